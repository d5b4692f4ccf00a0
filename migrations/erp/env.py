from services.erp.db.models import Base
from shared.db.alembic_env import run_migrations

run_migrations(Base.metadata)
