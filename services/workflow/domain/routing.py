"""How a step's tasks decide it, and who a user's managers are (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class TaskStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    DELEGATED = "delegated"  # handed to another person, who got a task of their own
    CANCELLED = "cancelled"  # no longer needed (another approver decided the step)


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TaskState:
    status: TaskStatus
    #: flow, delegated, added (a signer added on the way), escalated (the time limit ran out)
    origin: str


def step_outcome(mode: str, tasks: Sequence[TaskState]) -> StepStatus:
    """A step's state from its tasks.

    * one rejection rejects the step, one return returns it (whatever the mode);
    * an approval by someone the step was escalated to decides it (they act for all);
    * `any` (或签): one approval decides; `all` (会签): every task still standing
      (not delegated away, not cancelled) must be approved;
    * a step without standing tasks stays pending (someone must be added).
    """
    statuses = [t.status for t in tasks]
    if TaskStatus.REJECTED in statuses:
        return StepStatus.REJECTED
    if TaskStatus.RETURNED in statuses:
        return StepStatus.RETURNED
    if any(t.status is TaskStatus.APPROVED and t.origin == "escalated" for t in tasks):
        return StepStatus.APPROVED
    standing = [s for s in statuses if s not in (TaskStatus.DELEGATED, TaskStatus.CANCELLED)]
    if mode == "any":
        return StepStatus.APPROVED if TaskStatus.APPROVED in standing else StepStatus.PENDING
    if standing and all(s is TaskStatus.APPROVED for s in standing):
        return StepStatus.APPROVED
    return StepStatus.PENDING


@dataclass(frozen=True, slots=True)
class OrgPerson:
    username: str
    department: str | None
    manager: str | None


@dataclass(frozen=True, slots=True)
class OrgDepartment:
    code: str
    parent: str | None
    head: str | None


def direct_manager(
    username: str,
    people: Mapping[str, OrgPerson],
    departments: Mapping[str, OrgDepartment],
) -> str | None:
    """A person's manager: the one named on them, else the head of their department, or
    (when they head it themselves) of the nearest department above with another head."""
    person = people.get(username)
    if person is None:
        return None
    if person.manager:
        return person.manager
    code = person.department
    seen: set[str] = set()
    while code is not None and code not in seen:
        seen.add(code)
        department = departments.get(code)
        if department is None:
            return None
        if department.head and department.head != username:
            return department.head
        code = department.parent
    return None


def manager_at(
    username: str,
    levels: int,
    people: Mapping[str, OrgPerson],
    departments: Mapping[str, OrgDepartment],
) -> str | None:
    """The manager `levels` up from `username` (1 = direct manager); None when the chain
    ends (or loops) before."""
    current = username
    seen = {username}
    for _ in range(levels):
        manager = direct_manager(current, people, departments)
        if manager is None or manager in seen:
            return None
        seen.add(manager)
        current = manager
    return current
