"""`GET /v1/audit`: who changed what in this service, with before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from shared.auth.principal import ADMIN, Principal
from shared.db.database import Database
from shared.db.tables import audit_log
from shared.http.context import require_roles
from shared.http.pagination import Page, PageParams, cursor_int, next_cursor, page_params
from shared.http.problems import problem_responses

router = APIRouter(tags=["audit"])


#: A real entry of the demo's stock service (`GET /v1/audit?entity_type=location`).
AUDIT_ENTRY_EXAMPLE: dict[str, Any] = {
    "id": 8,
    "occurred_at": "2026-11-28T05:10:03.803896Z",
    "actor": "user:admin",
    "request_id": "99a63e05cb914a91b301038a9d1ec25a",
    "action": "create",
    "entity_type": "location",
    "entity_id": "14",
    "before": None,
    "after": {
        "id": 14,
        "code": "SZ/QA",
        "name": "Quarantine",
        "location_type": "quarantine",
        "parent_code": "SZ",
        "is_virtual": False,
        "active": True,
        "version": 1,
        "created_at": "2026-11-28T05:10:03.802540Z",
    },
}


class AuditEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [AUDIT_ENTRY_EXAMPLE]})

    id: int
    occurred_at: datetime
    actor: str
    request_id: str | None
    action: str
    entity_type: str
    entity_id: str
    before: Any = None
    after: Any = None


@router.get(
    "/v1/audit",
    response_model=Page[AuditEntry],
    operation_id="list_audit_entries",
    responses=problem_responses(401, 403, 422),
)
async def list_audit_entries(
    request: Request,
    _: Annotated[Principal, Depends(require_roles(ADMIN))],
    page: Annotated[PageParams, Depends(page_params)],
    entity_type: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[AuditEntry]:
    """List audit entries, newest first, filtered by entity or actor."""
    db: Database = request.app.state.db
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(page.limit + 1)
    if entity_type:
        query = query.where(audit_log.c.entity_type == entity_type)
    if entity_id:
        query = query.where(audit_log.c.entity_id == entity_id)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if page.cursor:
        query = query.where(audit_log.c.id < cursor_int(page.cursor))
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    items, cursor = next_cursor(rows, page.limit, key=lambda row: [row.id])
    return Page[AuditEntry](
        items=[AuditEntry.model_validate(row._mapping) for row in items], next_cursor=cursor
    )
