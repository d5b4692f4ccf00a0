"""ERP connector request and response models: the public contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.http.pagination import Page

TypeCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9A-Z]{3,4}$"),
    Field(description="A movement type code: 3-4 digits or capital letters (101, Z01)"),
]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")]
AccountCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,39}$")]
DocumentType = Literal[
    "purchase_receipt",
    "inspection",
    "defective_release",
    "transfer",
    "requisition",
    "production_receipt",
    "shipment",
    "stock_count",
    "opening_balance",
    "scrap",
    "supplier_return",
    "customer_return",
]
QualityState = Literal["pending_inspection", "qualified", "defective"]
StageName = Literal["raw", "wip", "semi_finished", "finished"]
Dimension = Literal[
    "supplier", "customer", "department", "work_order", "project", "material", "warehouse"
]
Template = Literal["cas", "sbas"]
VoucherMode = Literal["per_document", "daily_summary"]
Modifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9_]{0,20}$"),
    Field(description='An account modifier (work_order, wip, ...); "": none'),
]
ValuationClass = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9_]{0,40}$"),
    Field(
        description="The item type that decides the stock account (raw_material, "
        'semi_finished, finished_good); "": any'
    ),
]
Location = Annotated[
    str,
    StringConstraints(max_length=100),
    Field(description='A location code, or a prefix ending in * (WH2/*); "": any'),
]


class MovementTypeRuleIn(BaseModel):
    """Which stock movements a type stands for: every criterion given must hold."""

    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType | Literal[""] = Field("", description='"": any document')
    reversal: bool | None = Field(None, description="Only reversals (true), only originals (false)")
    from_location: Location = ""
    to_location: Location = ""
    from_state: QualityState | Literal[""] = ""
    to_state: QualityState | Literal[""] = ""
    stage: StageName | Literal[""] = ""
    modifier: Modifier = ""


class MovementTypeRuleOut(MovementTypeRuleIn):
    id: int
    specificity: int = Field(description="Criteria set; the most specific matching rule wins")


class MovementTypeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: TypeCode
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    reverses: TypeCode | None = Field(None, description="The type this one reverses (102: 101)")
    value_change: bool = Field(True, description="Whether it changes stock value")
    posts_voucher: bool = Field(True, description="Whether its movements give vouchers")
    rules: list[MovementTypeRuleIn] = Field(default_factory=list, max_length=50)


class MovementTypeOut(BaseModel):
    code: str
    name: str
    description: str
    reverses: str | None
    value_change: bool
    posts_voucher: bool
    builtin: bool = Field(description="Shipped with the product (editable, not deletable)")
    rules: list[MovementTypeRuleOut]
    version: int
    updated_at: datetime


MovementTypePage = Page[MovementTypeOut]


class MovementFactsIn(BaseModel):
    """A stock movement as stock's feed (`MovementPosted`) describes it; extra fields of the
    event are ignored, so a feed payload can be sent as it is."""

    document_type: str = Field(min_length=1, max_length=40)
    reversal_of_id: int | None = None
    from_location: str = Field(min_length=1, max_length=100)
    to_location: str = Field(min_length=1, max_length=100)
    from_state: QualityState
    to_state: QualityState
    stage: StageName


class ClassificationOut(BaseModel):
    matched: bool
    movement_type: str | None
    name: str | None
    modifier: str | None
    reversal: bool = Field(description="The movement reverses another: its voucher is red ink")
    posts_voucher: bool = Field(description="Whether the type gives a voucher")
    rule: MovementTypeRuleOut | None = Field(description="The rule that decided")


class BookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: str = Field(min_length=1, max_length=200)
    template: Template = Field(
        description="cas: 企业会计准则; sbas: 小企业会计准则. Fills the book's accounts and "
        "account map when it is created; changing it later is refused."
    )
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    voucher_mode: VoucherMode = Field(
        "per_document",
        description="A voucher per posted document, or per day and movement type",
    )
    voucher_word: str = Field("记", min_length=1, max_length=10, description="凭证字")
    preparer: str = Field("erp-connector", min_length=1, max_length=100, description="制单人")


class BookOut(BookIn):
    template_name: str
    account_count: int
    rule_count: int
    version: int
    created_at: datetime


BookPage = Page[BookOut]


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    tracks_quantity: bool = Field(False, description="Lines carry quantity and unit price")
    dimensions: list[Dimension] = Field(
        default_factory=list, description="The auxiliary dimensions (辅助核算) it carries"
    )
    active: bool = True


class AccountOut(AccountIn):
    code: str


AccountPage = Page[AccountOut]


class AccountRuleIn(BaseModel):
    """Both accounts given: the movement's voucher lines; both null: it deliberately gives
    no voucher (components consumed from work in progress, already costed)."""

    model_config = ConfigDict(extra="forbid")

    movement_type: TypeCode
    valuation_class: ValuationClass = ""
    modifier: Modifier = ""
    debit_account: AccountCode | None
    credit_account: AccountCode | None
    debit_dimensions: list[Dimension] = Field(default_factory=list)
    credit_dimensions: list[Dimension] = Field(default_factory=list)


class AccountRuleOut(AccountRuleIn):
    id: int
    updated_at: datetime


AccountRulePage = Page[AccountRuleOut]


class DeterminationOut(BaseModel):
    book_code: str
    movement_type: str
    valuation_class: str
    modifier: str
    rule: AccountRuleOut = Field(description="The row that applies")
    found_under: list[str] = Field(
        description="The key it was found under: movement type, class, modifier"
    )
    red_ink: bool = Field(description="A reversal: the voucher's amounts are negative (红字)")
    posts: bool = Field(description="Whether the combination gives voucher lines")
