"""ERP connector request and response models: the public contract."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from services.erp import book_examples, movement_type_examples, voucher_examples
from shared.http.pagination import Page
from shared.schemas import DecimalString

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

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [movement_type_examples.RULE_IN]}
    )

    document_type: DocumentType | Literal[""] = Field("", description='"": any document')
    reversal: bool | None = Field(None, description="Only reversals (true), only originals (false)")
    from_location: Location = ""
    to_location: Location = ""
    from_state: QualityState | Literal[""] = ""
    to_state: QualityState | Literal[""] = ""
    stage: StageName | Literal[""] = ""
    modifier: Modifier = ""


class MovementTypeRuleOut(MovementTypeRuleIn):
    model_config = ConfigDict(json_schema_extra={"examples": [movement_type_examples.RULE_OUT]})

    id: int
    specificity: int = Field(description="Criteria set; the most specific matching rule wins")


class MovementTypeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [movement_type_examples.TYPE_IN]}
    )

    code: TypeCode
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    reverses: TypeCode | None = Field(None, description="The type this one reverses (102: 101)")
    value_change: bool = Field(True, description="Whether it changes stock value")
    posts_voucher: bool = Field(True, description="Whether its movements give vouchers")
    rules: list[MovementTypeRuleIn] = Field(default_factory=list, max_length=50)


class MovementTypeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [movement_type_examples.TYPE_OUT]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [movement_type_examples.FACTS_IN]})

    document_type: str = Field(min_length=1, max_length=40)
    reversal_of_id: int | None = None
    from_location: str = Field(min_length=1, max_length=100)
    to_location: str = Field(min_length=1, max_length=100)
    from_state: QualityState
    to_state: QualityState
    stage: StageName


class ClassificationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [movement_type_examples.CLASSIFICATION_OUT]}
    )

    matched: bool
    movement_type: str | None
    name: str | None
    modifier: str | None
    reversal: bool = Field(description="The movement reverses another: its voucher is red ink")
    posts_voucher: bool = Field(description="Whether the type gives a voucher")
    rule: MovementTypeRuleOut | None = Field(description="The rule that decided")


class BookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [book_examples.BOOK_IN]}
    )

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
    timezone: str = Field(
        "Asia/Shanghai", max_length=60, description="Decides a voucher's date and period"
    )
    warehouses: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=200,
        description="The warehouses (first segment of a location code) whose movements this "
        "book posts; empty: all",
    )

    push_target: str | None = Field(
        None,
        max_length=60,
        description="Push its vouchers to this ERP (a name in ERP_PUSH_TARGETS); null: "
        "the ERP pulls them",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value


class BookOut(BookIn):
    model_config = ConfigDict(json_schema_extra={"examples": [book_examples.BOOK_OUT]})

    template_name: str
    account_count: int
    rule_count: int
    version: int
    created_at: datetime


BookPage = Page[BookOut]


class AccountIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [book_examples.ACCOUNT_IN]}
    )

    name: str = Field(min_length=1, max_length=200)
    tracks_quantity: bool = Field(False, description="Lines carry quantity and unit price")
    dimensions: list[Dimension] = Field(
        default_factory=list, description="The auxiliary dimensions (辅助核算) it carries"
    )
    active: bool = True


class AccountOut(AccountIn):
    model_config = ConfigDict(json_schema_extra={"examples": [book_examples.ACCOUNT_OUT]})

    code: str


AccountPage = Page[AccountOut]


class AccountRuleIn(BaseModel):
    """Both accounts given: the movement's voucher lines; both null: it deliberately gives
    no voucher (components consumed from work in progress, already costed)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [book_examples.RULE_IN]}
    )

    movement_type: TypeCode
    valuation_class: ValuationClass = ""
    modifier: Modifier = ""
    debit_account: AccountCode | None
    credit_account: AccountCode | None
    debit_dimensions: list[Dimension] = Field(default_factory=list)
    credit_dimensions: list[Dimension] = Field(default_factory=list)


class AccountRuleOut(AccountRuleIn):
    model_config = ConfigDict(json_schema_extra={"examples": [book_examples.RULE_OUT]})

    id: int
    updated_at: datetime


AccountRulePage = Page[AccountRuleOut]


class DeterminationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [book_examples.DETERMINATION_OUT]})

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


Money = Annotated[Decimal, Field(description="In the book's currency, to the cent"), DecimalString]
Amount = Annotated[Decimal, DecimalString] | None
VoucherStatus = Literal["ready", "held", "exported", "failed", "voided"]


class PushOut(BaseModel):
    """The voucher's push to its book's ERP."""

    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.PUSH_OUT]})

    target: str
    state: Literal["pending", "sent", "unknown", "confirmed", "failed"] = Field(
        description="sent: on its way; unknown: no answer came, the ERP will be asked"
    )
    attempts: int
    last_error: str | None
    erp_number: str | None
    next_attempt_at: datetime


class VoucherLineOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.LINE_OUT]})

    line_no: int
    summary: str = Field(description="摘要")
    account: str
    currency: str
    debit: Money
    credit: Money
    quantity: Amount = Field(description="Where the account tracks quantity")
    unit_price: Amount = Field(description="Amount / quantity, to 6 places")
    dimensions: dict[str, str] = Field(description="Auxiliary dimensions (辅助核算) by name")


class VoucherOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.VOUCHER_OUT]})

    id: int
    number: str = Field(description="Our stable external number: the ERP's bill number")
    book_code: str
    status: Literal["open", "ready", "held", "failed", "exported", "voided"] = Field(
        description="ready: to export; held: cannot be built (hold_reasons); failed: the "
        "ERP refused the push (push.last_error); exported: the ERP has it (erp_number); "
        "voided: cancelled in the ERP, a corrected voucher replaces it"
    )
    date: date
    year: int
    period: int
    word: str = Field(description="凭证字")
    preparer: str
    attachments: int = Field(description="附件数: the documents it stands for")
    currency: str
    document_type: str | None
    document_id: int | None
    document_number: str | None
    movement_types: list[str]
    red_ink: bool = Field(description="红字: the amounts reverse an earlier voucher")
    reverses_number: str | None = Field(description="The voucher a red-ink one reverses")
    total: Money = Field(description="Debits, which equal credits")
    hold_reasons: list[str] = Field(description="Why a held voucher cannot be built")
    erp_number: str | None = Field(description="The ERP's voucher number, once acknowledged")
    exported_at: datetime | None
    void_reason: str | None = None
    voided_at: datetime | None = None
    replaces_number: str | None = Field(None, description="The voided voucher this one corrects")
    cursor: int = Field(description="Its place in the pull feed; pass as `after` to read on")
    updated_at: datetime
    push: PushOut | None = Field(None, description="When the book pushes to an ERP")
    lines: list[VoucherLineOut]


class VoucherFeed(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.VOUCHER_FEED]})

    items: list[VoucherOut]
    next_after: int = Field(description="Pass as `after` to read on")
    has_more: bool


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [voucher_examples.ACKNOWLEDGE_IN]}
    )

    erp_number: str = Field(
        min_length=1, max_length=60, description="The ERP's voucher number (e.g. 记-0012)"
    )


class ReleaseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.RELEASE_OUT]})

    released: int = Field(description="Held vouchers that now build and are ready")
    still_held: int


class AccountReconciliation(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [voucher_examples.ACCOUNT_RECONCILIATION]}
    )

    account: str
    name: str
    stock_value: Money = Field(description="Stock on this account at the end of the day")
    voucher_balance: Money = Field(description="Debits minus credits of the book's vouchers")
    difference: Money = Field(description="stock_value - voucher_balance")


class UnexplainedDocument(BaseModel):
    """A document whose movements are not (all) in the book's vouchers."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [voucher_examples.UNEXPLAINED_DOCUMENT]}
    )

    document_type: str | None
    document_id: int | None
    document_number: str | None
    voucher_number: str | None
    state: Literal["held", "not_built"]
    value: Money = Field(description="The value its movements moved")
    reasons: list[str]


class UnplacedStock(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.UNPLACED_STOCK]})

    item_code: str
    stage: str
    value: Money
    reason: str


class ReconciliationOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.RECONCILIATION_OUT]})

    book_code: str
    as_of_date: date
    accounts: list[AccountReconciliation] = Field(
        description="Every account that holds stock by the book's map, and any other the "
        "stock or the vouchers touch"
    )
    total_difference: Money
    documents: list[UnexplainedDocument] = Field(
        description="Documents behind a difference: held vouchers, movements not yet read"
    )
    unplaced_stock: list[UnplacedStock] = Field(
        description="Stock no account of the map takes (no rule for its class)"
    )


class VoidIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [voucher_examples.VOID_IN]}
    )

    reason: str = Field(min_length=1, max_length=500, description="Why it is voided (作废)")


class VoidOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [voucher_examples.VOID_OUT]})

    voided: VoucherOut
    replacement: VoucherOut = Field(
        description="Built again from the same movements with the book's map as it is now, "
        "under a new number; pushed like any ready voucher"
    )
