"""OpenAPI examples of the organisation and calendar models (`schemas.py`): answers copied
from the demo company (`make demo`, Lumen Audio), requests that succeed on its data.

The SMT department headed by li, the people ann, li, zhou, wang, sun, chen and mes, their
approval roles (director zhou, keeper of SZ wang ...) and the `standard` calendar.
"""

from __future__ import annotations

from typing import Any

# --- departments -----------------------------------------------------------------------

#: A new department (POST): the Shenzhen stores, headed by their keeper.
DEPARTMENT_IN: dict[str, Any] = {
    "code": "WH-SZ",
    "name": "Shenzhen stores",
    "parent_code": None,
    "manager": "wang",
}

#: The demo's SMT department replaced (PUT /v1/org/departments/SMT).
DEPARTMENT_UPDATE: dict[str, Any] = {
    "code": "SMT",
    "name": "SMT and final assembly",
    "parent_code": None,
    "manager": "li",
}

DEPARTMENT: dict[str, Any] = {
    "code": "SMT",
    "name": "SMT and assembly",
    "parent_code": None,
    "manager": "li",
    "id": 1,
    "version": 1,
    "created_at": "2026-11-28T05:10:06.564554Z",
}

#: Answers of POST and PUT with the bodies above.
DEPARTMENT_CREATED: dict[str, Any] = {
    **DEPARTMENT_IN,
    "id": 2,
    "version": 1,
    "created_at": "2026-11-30T01:20:33.412907Z",
}
DEPARTMENT_UPDATED: dict[str, Any] = {**DEPARTMENT, **DEPARTMENT_UPDATE, "version": 2}

# --- people ----------------------------------------------------------------------------

#: A new person (POST): a buyer reporting to the director.
PERSON_IN: dict[str, Any] = {
    "username": "liu",
    "name": "Liu Yang (buyer)",
    "department_code": None,
    "manager": "zhou",
    "mobile": "+8613800138021",
    "email": "liu.yang@lumen-audio.example",
    "dingtalk_user_id": "",
    "wecom_user_id": "",
    "language": "zh",
    "active": True,
}

#: li replaced (PUT /v1/org/people/li): contacts added, so SMS and e-mail reach him.
PERSON_UPDATE: dict[str, Any] = {
    "username": "li",
    "name": "Li Wei (SMT team leader)",
    "department_code": "SMT",
    "manager": "zhou",
    "mobile": "+8613800138002",
    "email": "li.wei@lumen-audio.example",
    "dingtalk_user_id": "",
    "wecom_user_id": "",
    "language": "zh",
    "active": True,
}

PERSON: dict[str, Any] = {
    "username": "li",
    "name": "Li Wei (SMT team leader)",
    "department_code": "SMT",
    "manager": None,
    "mobile": "",
    "email": "",
    "dingtalk_user_id": "",
    "wecom_user_id": "",
    "language": "zh",
    "active": True,
    "id": 2,
    "version": 1,
    "created_at": "2026-11-28T05:10:06.598651Z",
}

PERSON_CREATED: dict[str, Any] = {
    **PERSON_IN,
    "id": 8,
    "version": 1,
    "created_at": "2026-11-30T01:21:05.730218Z",
}
PERSON_UPDATED: dict[str, Any] = {**PERSON, **PERSON_UPDATE, "version": 2}

# --- role holders ----------------------------------------------------------------------

#: wang keeps the Dongguan stores too (POST); the holder made is the demo's fifth.
ROLE_HOLDER_IN: dict[str, Any] = {"role": "keeper", "scope": "DG", "username": "wang"}

ROLE_HOLDER: dict[str, Any] = {
    "role": "keeper",
    "scope": "SZ",
    "username": "wang",
    "id": 3,
    "created_at": "2026-11-28T05:10:06.665134Z",
}

#: The holder `ROLE_HOLDER_IN` makes (DELETE /v1/org/role-holders/5 takes it away).
NEW_ROLE_HOLDER_ID = 5
ROLE_HOLDER_CREATED: dict[str, Any] = {
    **ROLE_HOLDER_IN,
    "id": NEW_ROLE_HOLDER_ID,
    "created_at": "2026-11-30T01:21:40.118356Z",
}

# --- calendars -------------------------------------------------------------------------

_WORKING_DAY = "09:00-12:00,13:00-18:00"
_MONDAY_TO_FRIDAY = {str(day): _WORKING_DAY for day in range(1, 6)}

#: A new calendar (POST): the plant's 2027, Saturday mornings, the Spring Festival off.
CALENDAR_IN: dict[str, Any] = {
    "code": "sz-plant-2027",
    "name": "Shenzhen plant 2027 (Sat mornings, statutory holidays)",
    "timezone": "Asia/Shanghai",
    "week": {**_MONDAY_TO_FRIDAY, "6": "09:00-12:00"},
    "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"],
    "extra_workdays": ["2027-02-14"],
    "extra_day_hours": _WORKING_DAY,
}

#: The standard calendar replaced (PUT /v1/calendars/standard): New Year's Day off.
CALENDAR_UPDATE: dict[str, Any] = {
    "code": "standard",
    "name": "Standard (Mon-Fri 09:00-12:00, 13:00-18:00)",
    "timezone": "Asia/Shanghai",
    "week": _MONDAY_TO_FRIDAY,
    "holidays": ["2027-01-01"],
    "extra_workdays": [],
    "extra_day_hours": _WORKING_DAY,
}

CALENDAR: dict[str, Any] = {
    "code": "standard",
    "name": "Standard (Mon-Fri 09:00-12:00, 13:00-18:00)",
    "timezone": "Asia/Shanghai",
    "week": _MONDAY_TO_FRIDAY,
    "holidays": [],
    "extra_workdays": [],
    "extra_day_hours": _WORKING_DAY,
    "id": 1,
    "version": 1,
    "created_at": "2026-11-27T00:00:00Z",
}

CALENDAR_CREATED: dict[str, Any] = {
    **CALENDAR_IN,
    "id": 2,
    "version": 1,
    "created_at": "2026-11-30T01:22:17.904561Z",
}
CALENDAR_UPDATED: dict[str, Any] = {**CALENDAR, **CALENDAR_UPDATE, "version": 2}
