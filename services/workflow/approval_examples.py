"""OpenAPI examples of the flow, approval and inbox models (`schemas.py`): answers copied
from the demo company (`make demo`, Lumen Audio), requests that succeed on its data.

The "Material requisitions" flow (id 2: team leader, director over 10,000, keeper of the
warehouse), approval 1 (MR-00000054 for WO-14-SPK, approved and posted) and approval 2
(MR-00000055 for WO-14-LED, waiting for the team leader li). The answers of the actions
are approval 2 after them, on Monday morning (li decides, ann withdraws); its document
lines are trimmed to three.
"""

from __future__ import annotations

import copy
from typing import Any

# --- flows -----------------------------------------------------------------------------

MANAGER: dict[str, Any] = {
    "kind": "manager",
    "role": None,
    "user": None,
    "levels": 1,
    "field": None,
}
DIRECTOR: dict[str, Any] = {
    "kind": "role",
    "role": "director",
    "user": None,
    "levels": 1,
    "field": None,
}
KEEPER: dict[str, Any] = {
    "kind": "warehouse_role",
    "role": "keeper",
    "user": None,
    "levels": 1,
    "field": "document.warehouse_code",
}

LEADER_STEP: dict[str, Any] = {
    "key": "leader",
    "name": "Team leader",
    "condition": None,
    "approvers": [MANAGER],
    "mode": "any",
    "time_limit_hours": "8",
    "on_timeout": "remind",
    "escalate_to_role": None,
    "mobile": "none",
}
DIRECTOR_STEP: dict[str, Any] = {
    "key": "director",
    "name": "Director",
    "condition": None,
    "approvers": [DIRECTOR],
    "mode": "any",
    "time_limit_hours": None,
    "on_timeout": "remind",
    "escalate_to_role": None,
    "mobile": "none",
}
KEEPER_STEP: dict[str, Any] = {
    "key": "keeper",
    "name": "Keeper of the warehouse",
    "condition": None,
    "approvers": [KEEPER],
    "mode": "any",
    "time_limit_hours": "4",
    "on_timeout": "escalate",
    "escalate_to_role": "director",
    "mobile": "none",
}

LEADER_STAGE: dict[str, Any] = {
    "key": "leader",
    "name": "Team leader",
    "condition": None,
    "steps": [LEADER_STEP],
}
DIRECTOR_STAGE: dict[str, Any] = {
    "key": "director",
    "name": "Director",
    "condition": "document.amount > 10000",
    "steps": [DIRECTOR_STEP],
}
KEEPER_STAGE: dict[str, Any] = {
    "key": "keeper",
    "name": "Keeper",
    "condition": None,
    "steps": [KEEPER_STEP],
}
STAGES = [LEADER_STAGE, DIRECTOR_STAGE, KEEPER_STAGE]

#: The next version of the requisition flow: the warehouse group hears of every step.
FLOW_IN: dict[str, Any] = {
    "document_type": "material_requisition",
    "name": "Material requisitions",
    "calendar_code": "standard",
    "stages": STAGES,
    "notify_channels": ["warehouse"],
    "activate": True,
}

FLOW: dict[str, Any] = {
    "id": 2,
    "document_type": "material_requisition",
    "version": 2,
    "name": "Material requisitions",
    "calendar_code": "standard",
    "stages": STAGES,
    "notify_channels": [],
    "active": True,
    "created_at": "2026-11-28T05:12:22.338776Z",
    "created_by": "user:admin",
    "activated_at": "2026-11-28T05:12:22.338776Z",
}

#: Flow 2 after POST /v1/flows/2/deactivate.
FLOW_DEACTIVATED: dict[str, Any] = {**FLOW, "active": False}

# --- approval 1: MR-00000054, approved and posted ---------------------------------------

TASK: dict[str, Any] = {
    "id": 1,
    "assignee": "li",
    "status": "approved",
    "origin": "flow",
    "created_at": "2026-11-28T05:12:24.662427Z",
    "due_at": "2026-11-30T10:00:00Z",
    "decided_at": "2026-11-28T05:12:25.057053Z",
    "comment": "ok",
}

STEP: dict[str, Any] = {
    "id": 1,
    "stage_index": 0,
    "key": "leader",
    "name": "Team leader",
    "mode": "any",
    "status": "approved",
    "started_at": "2026-11-28T05:12:24.662427Z",
    "due_at": "2026-11-30T10:00:00Z",
    "finished_at": "2026-11-28T05:12:25.057053Z",
    "note": "",
    "tasks": [TASK],
}

HISTORY: dict[str, Any] = {
    "at": "2026-11-28T05:12:24.662427Z",
    "actor": "system",
    "action": "step_started",
    "step_key": "leader",
    "comment": "",
    "detail": {"approvers": ["li"], "due_at": "2026-11-30T10:00:00+00:00"},
}


def _line(number: int, code: str, name: str, category: str, item_type: str, **money: Any) -> Any:
    return {
        "line_no": number,
        "item_code": code,
        "quantity": money["quantity"],
        "lot_number": None,
        "unit_cost": money["unit_cost"],
        "value": money["value"],
        "item": {
            "code": code,
            "name": name,
            "category": category,
            "item_type": item_type,
            "uom": "pcs",
        },
    }


def _document(number: int, work_order: str, line: str, amount: str, lines: list[Any]) -> Any:
    return {
        "type": "material_requisition",
        "id": number,
        "number": f"MR-{number:08d}",
        "work_order": work_order,
        "from_location_code": None,
        "to_location_code": line,
        "location_code": line,
        "warehouse_code": "SZ",
        "supplier": "",
        "purchase_order": "",
        "reason": "",
        "note": "",
        "item_code": "",
        "revision": "",
        "effective_from": "",
        "effective_to": "",
        "order_type": "",
        "start_date": "",
        "due_date": "",
        "created_by": "user:ann",
        "submitted_by": "user:ann",
        "amount": float(amount),
        "exact_amount": amount,
        "lines": lines,
    }


ANN = {
    "username": "ann",
    "name": "Ann Lin (material planner)",
    "department": "SMT",
    "manager": "li",
}

INSTANCE: dict[str, Any] = {
    "id": 1,
    "document_type": "material_requisition",
    "document_id": 54,
    "document_number": "MR-00000054",
    "flow_id": 2,
    "flow_version": 2,
    "status": "approved",
    "requester": "user:ann",
    "amount": "1294.31256",
    "submitted_at": "2026-11-28T05:12:23.391785Z",
    "finished_at": "2026-11-28T05:12:25.270440Z",
    "reason": "",
    "problem": "",
    "sync_state": "done",
    "sync_problem": None,
    "current_stage": None,
    "context": {
        "document": _document(
            54,
            "WO-14-SPK",
            "SZ/ASM-1",
            "1294.312560",
            [
                _line(
                    1,
                    "ASM-ONE-CORE",
                    "Lumen One core assembly (acoustic unit)",
                    "SA",
                    "semi_finished",
                    quantity=60.0,
                    unit_cost=17.511876,
                    value=1050.71256,
                ),
                _line(
                    2,
                    "ADP-5V2A",
                    "Power adapter 5 V 2 A, CN plug",
                    "CBL",
                    "raw_material",
                    quantity=60.0,
                    unit_cost=2.3,
                    value=138.0,
                ),
                _line(
                    3,
                    "CBL-USBC-1M",
                    "USB-C cable 1 m",
                    "CBL",
                    "raw_material",
                    quantity=60.0,
                    unit_cost=0.85,
                    value=51.0,
                ),
            ],
        ),
        "requester": ANN,
    },
    "steps": [
        STEP,
        {
            "id": 2,
            "stage_index": 2,
            "key": "keeper",
            "name": "Keeper of the warehouse",
            "mode": "any",
            "status": "approved",
            "started_at": "2026-11-28T05:12:25.057053Z",
            "due_at": "2026-11-30T06:00:00Z",
            "finished_at": "2026-11-28T05:12:25.270440Z",
            "note": "",
            "tasks": [
                {
                    "id": 2,
                    "assignee": "wang",
                    "status": "approved",
                    "origin": "flow",
                    "created_at": "2026-11-28T05:12:25.057053Z",
                    "due_at": "2026-11-30T06:00:00Z",
                    "decided_at": "2026-11-28T05:12:25.270440Z",
                    "comment": "ok",
                }
            ],
        },
    ],
    "history": [
        {
            "at": "2026-11-28T05:12:24.662427Z",
            "actor": "user:ann",
            "action": "submitted",
            "step_key": "",
            "comment": "",
            "detail": {"flow": "Material requisitions", "version": 2},
        },
        HISTORY,
        {
            "at": "2026-11-28T05:12:25.057053Z",
            "actor": "user:li",
            "action": "approved",
            "step_key": "leader",
            "comment": "ok",
            "detail": {},
        },
        {
            "at": "2026-11-28T05:12:25.057053Z",
            "actor": "system",
            "action": "stage_skipped",
            "step_key": "director",
            "comment": "condition false: document.amount > 10000",
            "detail": {},
        },
        {
            "at": "2026-11-28T05:12:25.057053Z",
            "actor": "system",
            "action": "step_started",
            "step_key": "keeper",
            "comment": "",
            "detail": {"approvers": ["wang"], "due_at": "2026-11-30T06:00:00+00:00"},
        },
        {
            "at": "2026-11-28T05:12:25.270440Z",
            "actor": "user:wang",
            "action": "approved",
            "step_key": "keeper",
            "comment": "ok",
            "detail": {},
        },
        {
            "at": "2026-11-28T05:12:25.270440Z",
            "actor": "system",
            "action": "approved",
            "step_key": "",
            "comment": "",
            "detail": {},
        },
        {
            "at": "2026-11-28T05:12:25.461992Z",
            "actor": "system",
            "action": "posted",
            "step_key": "",
            "comment": "",
            "detail": {},
        },
    ],
}

# --- approval 2: MR-00000055, waiting for li --------------------------------------------

#: As the lists show it (GET /v1/approvals, /v1/inbox/requests).
INSTANCE_SUMMARY: dict[str, Any] = {
    "id": 2,
    "document_type": "material_requisition",
    "document_id": 55,
    "document_number": "MR-00000055",
    "flow_id": 2,
    "flow_version": 2,
    "status": "pending",
    "requester": "user:ann",
    "amount": "283.6716",
    "submitted_at": "2026-11-28T05:12:26.080718Z",
    "finished_at": None,
    "reason": "",
    "problem": "",
    "sync_state": "none",
    "sync_problem": None,
    "current_stage": "leader",
}

_SUBMITTED = "2026-11-28T05:12:29.035276Z"
_LEADER_TASK: dict[str, Any] = {
    "id": 3,
    "assignee": "li",
    "status": "pending",
    "origin": "flow",
    "created_at": _SUBMITTED,
    "due_at": "2026-11-30T10:00:00Z",
    "decided_at": None,
    "comment": "",
}
PENDING: dict[str, Any] = {
    **INSTANCE_SUMMARY,
    "context": {
        "document": _document(
            55,
            "WO-14-LED",
            "SZ/SMT-1",
            "283.671600",
            [
                _line(
                    1,
                    "IC-LEDDRV",
                    "LED driver 12-channel",
                    "IC",
                    "raw_material",
                    quantity=100.0,
                    unit_cost=0.28,
                    value=28.0,
                ),
                _line(
                    2,
                    "LED0402-RGB",
                    "LED RGB 0404 side view",
                    "DIO",
                    "raw_material",
                    quantity=1212.0,
                    unit_cost=0.045,
                    value=54.54,
                ),
                _line(
                    3,
                    "MIC-MEMS",
                    "MEMS microphone, bottom port",
                    "ACOU",
                    "raw_material",
                    quantity=404.0,
                    unit_cost=0.38,
                    value=153.52,
                ),
            ],
        ),
        "requester": ANN,
    },
    "steps": [
        {
            "id": 3,
            "stage_index": 0,
            "key": "leader",
            "name": "Team leader",
            "mode": "any",
            "status": "pending",
            "started_at": _SUBMITTED,
            "due_at": "2026-11-30T10:00:00Z",
            "finished_at": None,
            "note": "",
            "tasks": [_LEADER_TASK],
        }
    ],
    "history": [
        {
            "at": _SUBMITTED,
            "actor": "user:ann",
            "action": "submitted",
            "step_key": "",
            "comment": "",
            "detail": {"flow": "Material requisitions", "version": 2},
        },
        {
            "at": _SUBMITTED,
            "actor": "system",
            "action": "step_started",
            "step_key": "leader",
            "comment": "",
            "detail": {"approvers": ["li"], "due_at": "2026-11-30T10:00:00+00:00"},
        },
    ],
}

#: When li (or ann) acts: Monday morning.
ACTED_AT = "2026-11-30T01:35:08.214530Z"

#: The bodies of the actions (`DecisionIn`, `ReasonIn`, `DelegateIn`, `SignerIn`,
#: `CommentIn`).
DECISION_IN: dict[str, Any] = {"comment": "Quantities match the LED ring BOM, ok"}
REASON_IN: dict[str, Any] = {"reason": "WO-14-LED moves to next week: request the parts again then"}
DELEGATE_IN: dict[str, Any] = {"to": "zhou", "comment": "On the Dongguan line today"}
SIGNER_IN: dict[str, Any] = {
    "user": "wang",
    "comment": "Please confirm the MIC-MEMS on hand at SZ/RAW/B-01",
}
COMMENT_IN: dict[str, Any] = {"text": "5,000 more MIC-MEMS are waiting for inspection"}


def _entry(actor: str, action: str, step_key: str = "", comment: str = "", **detail: Any) -> Any:
    return {
        "at": ACTED_AT,
        "actor": actor,
        "action": action,
        "step_key": step_key,
        "comment": comment,
        "detail": detail,
    }


def _acted(
    *entries: dict[str, Any],
    task: dict[str, Any] | None = None,
    step: dict[str, Any] | None = None,
    added: list[dict[str, Any]] | None = None,
    **summary: Any,
) -> dict[str, Any]:
    """Approval 2 after an action: its leader task and step changed, tasks or steps
    added, history entries appended, summary fields replaced."""
    out = copy.deepcopy(PENDING)
    out.update(summary)
    leader = out["steps"][0]
    leader["tasks"][0].update(task or {})
    leader.update(step or {})
    leader["tasks"].extend(added or [])
    out["history"].extend(entries)
    return out


def _new_task(task_id: int, assignee: str, origin: str, due_at: str) -> dict[str, Any]:
    return {
        "id": task_id,
        "assignee": assignee,
        "status": "pending",
        "origin": origin,
        "created_at": ACTED_AT,
        "due_at": due_at,
        "decided_at": None,
        "comment": "",
    }


_KEEPER_DUE = "2026-11-30T06:35:08.214530Z"
_DECIDED = {"decided_at": ACTED_AT}
_FINISHED = {"finished_at": ACTED_AT}

#: li approves: the director's stage is skipped (283.67 is not over 10,000), wang's starts.
APPROVED_BY_LEADER = _acted(
    _entry("user:li", "approved", "leader", DECISION_IN["comment"]),
    _entry("system", "stage_skipped", "director", "condition false: document.amount > 10000"),
    _entry(
        "system",
        "step_started",
        "keeper",
        approvers=["wang"],
        due_at="2026-11-30T06:35:08.214530+00:00",
    ),
    task={"status": "approved", "comment": DECISION_IN["comment"], **_DECIDED},
    step={"status": "approved", **_FINISHED},
    current_stage="keeper",
)
APPROVED_BY_LEADER["steps"].append(
    {
        "id": 4,
        "stage_index": 2,
        "key": "keeper",
        "name": "Keeper of the warehouse",
        "mode": "any",
        "status": "pending",
        "started_at": ACTED_AT,
        "due_at": _KEEPER_DUE,
        "finished_at": None,
        "note": "",
        "tasks": [_new_task(4, "wang", "flow", _KEEPER_DUE)],
    }
)


def _ended(status: str, actor: str, decided: bool) -> dict[str, Any]:
    """Approval 2 rejected or returned by li (`decided`), or withdrawn by ann."""
    reason = REASON_IN["reason"]
    entries = [_entry(actor, status, "leader", reason)] if decided else []
    return _acted(
        *entries,
        _entry(actor, status, comment=reason),
        task={
            "status": status if decided else "cancelled",
            "comment": reason if decided else "",
            **_DECIDED,
        },
        step={"status": status if decided else "cancelled", **_FINISHED},
        status=status,
        finished_at=ACTED_AT,
        reason=reason,
        sync_state="pending",
        current_stage=None,
    )


REJECTED = _ended("rejected", "user:li", decided=True)
RETURNED = _ended("returned", "user:li", decided=True)
WITHDRAWN = _ended("withdrawn", "user:ann", decided=False)

#: li hands his step to zhou.
DELEGATED = _acted(
    _entry("user:li", "delegated", "leader", DELEGATE_IN["comment"], to="zhou"),
    task={"status": "delegated", "comment": DELEGATE_IN["comment"], **_DECIDED},
    added=[_new_task(4, "zhou", "delegated", "2026-11-30T10:00:00Z")],
)

#: li asks wang to sign the step too.
SIGNER_ADDED = _acted(
    _entry("user:li", "signer_added", "leader", SIGNER_IN["comment"], user="wang"),
    added=[_new_task(4, "wang", "added", "2026-11-30T10:00:00Z")],
)

COMMENTED = _acted(_entry("user:li", "commented", comment=COMMENT_IN["text"]))

#: wang approved too, but stock refused to post (the microphones moved meanwhile); wang
#: asks for the posting again.
_KEEPER_DECIDED = "2026-11-30T02:10:44.907311Z"
_SHORT = "MIC-MEMS lot MIC-MEMS-L02 at SZ/RAW/B-01 (qualified): 352 available, 404 needed"
RETRIED = copy.deepcopy(APPROVED_BY_LEADER)
RETRIED["steps"][1].update(status="approved", finished_at=_KEEPER_DECIDED)
RETRIED["steps"][1]["tasks"][0].update(
    status="approved", decided_at=_KEEPER_DECIDED, comment="Picked and ready"
)
RETRIED["history"].extend(
    [
        {**_entry("user:wang", "approved", "keeper", "Picked and ready"), "at": _KEEPER_DECIDED},
        {**_entry("system", "approved"), "at": _KEEPER_DECIDED},
        {
            **_entry("system", "posting_failed", comment=_SHORT),
            "at": "2026-11-30T02:10:45.118402Z",
        },
        {**_entry("user:wang", "retry_requested"), "at": "2026-11-30T02:31:19.604825Z"},
    ]
)
RETRIED.update(
    status="approved",
    finished_at=_KEEPER_DECIDED,
    sync_state="pending",
    sync_problem={
        "type": "urn:inventory:problem:insufficient_stock",
        "title": "Not enough stock",
        "status": 409,
        "code": "insufficient_stock",
        "detail": _SHORT,
        "instance": "/v1/requisitions/55/approval-decision",
        "request_id": "5b0f6c2e9d7a4e1b8c3f2a9d6e4b7c10",
        "errors": [],
        "item_code": "MIC-MEMS",
        "location_code": "SZ/RAW/B-01",
        "lot_number": "MIC-MEMS-L02",
        "serial_number": None,
        "quality_state": "qualified",
        "available": "352",
        "needed": "404",
    },
    current_stage=None,
)

# --- inbox -----------------------------------------------------------------------------

#: li's inbox (GET /v1/inbox/tasks as li).
INBOX_TASK: dict[str, Any] = {
    "task_id": 3,
    "instance_id": 2,
    "document_type": "material_requisition",
    "document_number": "MR-00000055",
    "requester": "user:ann",
    "amount": "283.6716",
    "step_key": "leader",
    "step_name": "Team leader",
    "created_at": _SUBMITTED,
    "due_at": "2026-11-30T10:00:00Z",
    "overdue": False,
}

#: li's badge.
INBOX_COUNTS: dict[str, Any] = {
    "pending": 1,
    "overdue": 0,
    "my_requests_pending": 0,
    "my_requests_failed": 0,
}
