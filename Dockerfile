# One image for every service; docker-compose.yml picks the app with the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Every dependency pinned by constraints.txt (the full freeze), as `make install` does.
COPY pyproject.toml constraints.txt ./
COPY shared ./shared
COPY services ./services
COPY tools ./tools
RUN pip install -c constraints.txt .

# The code runs from /app (PYTHONPATH puts it before site-packages), beside its Alembic
# migrations, which shared.db.migrate finds relative to its own file.
COPY migrations ./migrations

RUN useradd --create-home --uid 10001 --user-group inventory
USER inventory

EXPOSE 8000
CMD ["python", "-m", "uvicorn", "services.gateway.app:create_app", "--factory", \
     "--host", "0.0.0.0", "--port", "8000"]
