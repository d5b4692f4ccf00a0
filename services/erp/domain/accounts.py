"""Account determination, keyed as in SAP: (movement type, valuation class, account
modifier) -> debit account, credit account, and the auxiliary dimensions (辅助核算) to
fill on each side. One map per company book; the two templates a book starts from are
data here, and every row of them can be edited afterwards.

Valuation classes are the catalog's item types (`raw_material`, `semi_finished`,
`finished_good`); `""` in a rule means any class. Modifiers come from the movement type
rules (`work_order` for a production receipt's output, `wip` for components consumed from
a line's work in progress); `""` means any.

Looking a movement up tries the exact key, then any class with the modifier, then the
class with any modifier, then both any: a modifier names a different business transaction
(a work order's output is not a purchase), so it weighs more than the class.
A movement type that reverses another (102 reverses 101) uses the other's rows when it has
none of its own; either way a reversal's voucher is red ink (红字) of those accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: The auxiliary dimensions a voucher line may carry.
DIMENSIONS = (
    "supplier",
    "customer",
    "department",
    "work_order",
    "project",
    "material",
    "warehouse",
)
VALUATION_CLASSES = ("raw_material", "semi_finished", "finished_good")
TEMPLATES = ("cas", "sbas")
TEMPLATE_NAMES = {"cas": "企业会计准则", "sbas": "小企业会计准则"}

RAW, SEMI, FINISHED = VALUATION_CLASSES
STOCK = ("material", "warehouse")


@dataclass(frozen=True, slots=True)
class AccountSpec:
    code: str
    name: str
    tracks_quantity: bool = False
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    movement_type: str
    valuation_class: str
    modifier: str
    debit_account: str | None
    credit_account: str | None
    debit_dimensions: tuple[str, ...] = ()
    credit_dimensions: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.movement_type, self.valuation_class, self.modifier)

    @property
    def posts(self) -> bool:
        return self.debit_account is not None


@dataclass(frozen=True, slots=True)
class Template:
    code: str
    name: str
    accounts: tuple[AccountSpec, ...]
    rules: tuple[RuleSpec, ...] = field(default=())


def _template(code: str, production: str, cost_of_sales: str, other_costs: str) -> Template:
    """Both standards share the stock accounts; they differ in where production cost and
    the cost of sales go (小企业会计准则: 4001 and 5401; 5001 there is revenue)."""
    accounts = (
        AccountSpec("1403", "原材料", True, STOCK),
        AccountSpec("1405", "库存商品", True, STOCK),
        AccountSpec("1901", "待处理财产损溢", False, ("warehouse",)),
        AccountSpec("2202", "应付账款", False, ("supplier",)),
        AccountSpec("2202.01", "应付账款-明细应付款", False, ("supplier",)),
        AccountSpec("2202.02", "应付账款-暂估应付款", False, ("supplier",)),
        AccountSpec(production, "生产成本", False, ("work_order", "material")),
        AccountSpec(cost_of_sales, "主营业务成本", False, ("customer", "material")),
        AccountSpec(other_costs, "其他业务成本", False, ("customer", "material")),
    )
    stock_of = {RAW: "1403", SEMI: "1405", FINISHED: "1405"}
    provisional = "2202.02"  # receipts not yet invoiced (暂估)
    rules: list[RuleSpec] = []
    for cls, stock in stock_of.items():
        rules += [
            # purchase receipt: stock against the supplier, provisionally
            RuleSpec("101", cls, "", stock, provisional, STOCK, ("supplier",)),
            # return to supplier
            RuleSpec("122", cls, "", provisional, stock, ("supplier",), STOCK),
            # issue to a work order: into production cost
            RuleSpec("261", cls, "", production, stock, ("work_order", "material"), STOCK),
            # scrap and count differences: to the pending losses account
            RuleSpec("551", cls, "", "1901", stock, ("warehouse",), STOCK),
            RuleSpec("701", cls, "", stock, "1901", STOCK, ("warehouse",)),
            RuleSpec("702", cls, "", "1901", stock, ("warehouse",), STOCK),
        ]
        sold = other_costs if cls == RAW else cost_of_sales
        rules += [
            RuleSpec("601", cls, "", sold, stock, ("customer", "material"), STOCK),
            RuleSpec("651", cls, "", stock, sold, STOCK, ("customer", "material")),
        ]
    for cls in (SEMI, FINISHED):
        # a work order's output: out of production cost into stock
        rules.append(
            RuleSpec(
                "101", cls, "work_order", "1405", production, STOCK, ("work_order", "material")
            )
        )
    # components consumed from the line's work in progress were costed to the order when
    # they were issued (261 by requisition): consuming them moves no value between accounts
    rules.append(RuleSpec("261", "", "wip", None, None))
    return Template(code, TEMPLATE_NAMES[code], accounts, tuple(rules))


BUILT_IN_TEMPLATES: Mapping[str, Template] = {
    "cas": _template("cas", production="5001", cost_of_sales="6401", other_costs="6402"),
    "sbas": _template("sbas", production="4001", cost_of_sales="5401", other_costs="5402"),
}


@dataclass(frozen=True, slots=True)
class Determination:
    """The rule that applies, the key it was found under, and whether the voucher is red
    ink (the movement reverses another)."""

    rule: RuleSpec
    found_under: tuple[str, str, str]
    red_ink: bool


def lookup_keys(
    movement_type: str, valuation_class: str, modifier: str
) -> list[tuple[str, str, str]]:
    """The keys tried, most specific first."""
    keys = [
        (movement_type, valuation_class, modifier),
        (movement_type, "", modifier),
        (movement_type, valuation_class, ""),
        (movement_type, "", ""),
    ]
    return list(dict.fromkeys(keys))


def determine(
    rules: Mapping[tuple[str, str, str], RuleSpec],
    movement_type: str,
    valuation_class: str,
    modifier: str,
    *,
    reverses: str | None = None,
    reversal: bool = False,
) -> Determination | None:
    """The rule for a movement of `movement_type` (reversing `reverses`, if that type is a
    reversal type): its own rows first, else the reversed type's; None: unmapped."""
    for code in (movement_type, reverses) if reverses else (movement_type,):
        for key in lookup_keys(code, valuation_class, modifier):
            rule = rules.get(key)
            if rule is not None:
                return Determination(rule, key, red_ink=reversal or code != movement_type)
    return None


def dimension_errors(values: Iterable[str], where: str) -> list[tuple[str, str]]:
    """(field, message) for each dimension that is not one of `DIMENSIONS`, or repeated."""
    errors: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value not in DIMENSIONS:
            errors.append((f"{where}.{index}", f"must be one of {', '.join(DIMENSIONS)}"))
        elif value in seen:
            errors.append((f"{where}.{index}", f"{value} is named twice"))
        seen.add(value)
    return errors
