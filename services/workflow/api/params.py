"""Path parameters of the workflow routes with the demo company's ids and codes as
examples (for "Try it out")."""

from typing import Annotated, Any

from fastapi import Path

from services.workflow import org_examples, webhook_examples
from shared.http.params import IdPath


def code_path(example: str, max_length: int = 64) -> Any:
    """A code or user name in the path, with the demo company's as example."""
    return Path(min_length=1, max_length=max_length, examples=[example])


#: Flow 2, "Material requisitions" (the active version).
FlowId = Annotated[IdPath, Path(examples=[2])]
#: Approval 1 (MR-00000054, approved and posted).
ApprovalId = Annotated[IdPath, Path(examples=[1])]
#: Approval 2 (MR-00000055, waiting for the team leader li).
PendingApprovalId = Annotated[IdPath, Path(examples=[2])]
#: The role holder a POST of the example makes (wang, keeper of DG).
RoleHolderId = Annotated[IdPath, Path(examples=[org_examples.NEW_ROLE_HOLDER_ID])]
TodoId = Annotated[IdPath, Path(examples=[1])]
MessageId = Annotated[IdPath, Path(examples=[1])]
WebhookId = Annotated[IdPath, Path(examples=[1])]
WebhookDeliveryId = Annotated[IdPath, Path(examples=[webhook_examples.DELIVERY_ID])]

DepartmentCode = Annotated[str, code_path("SMT")]
Username = Annotated[str, code_path("li", max_length=100)]
CalendarCode = Annotated[str, code_path("standard")]
ChannelCode = Annotated[str, code_path("buyers")]
#: The shipped balance rule (below safety stock).
RuleCode = Annotated[str, code_path("safety_stock")]
#: A shipped scheduled rule (stock waiting for inspection over 24 hours).
ScheduledRuleCode = Annotated[str, code_path("pending_inspection")]
