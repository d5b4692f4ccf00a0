"""Post the demo company's six months through the gateway, as its people would have.

Everything goes through the public API with real users, so the services' rules apply:
items by an Excel import, BOMs released with effectivity, receipts with supplier lots,
inspections (some rejected), work orders with requisitions and production receipts
(serial numbers for the speakers), shipments to 20 customers, transfers to the second
warehouse, and, today, approvals, a stock count, open orders and an MRP run.

Dates are relative to the day the demo is loaded (`Clock.today`, UTC): the history is the
182 days before it, posted back-dated (`posted_at`) in time order. Names (lots, serials,
work orders, sales orders) never contain dates, so the tour's answers do not depend on
the day.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as dtime
from decimal import ROUND_CEILING, Decimal
from typing import Any, TypeVar

import httpx
from openpyxl import Workbook

from tools.demo.company import (
    BUILD_ORDER,
    CATEGORIES,
    CUSTOMERS,
    DEMO_PASSWORD,
    LINE_OF,
    LOCATIONS,
    OUTPUT_OF,
    PEOPLE,
    SEED,
    SPEAKER,
    Company,
    Item,
    build_company,
    speaker_parts,
    store_of,
)

T = TypeVar("T")
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
#: Biweekly production cycles over the history (work orders WO-01-* to WO-13-*); today's
#: orders are WO-14-*.
CYCLES = 13
CYCLE_DAYS = 14
HISTORY_DAYS = CYCLES * CYCLE_DAYS  # 182
#: Short names of the made items, used in work order and lot numbers.
TAG = {
    "IC-MCU-PRG": "MCU",
    "PCBA-MAIN": "MAIN",
    "PCBA-LED": "LED",
    "ASM-ONE-CORE": "CORE",
    SPEAKER: "SPK",
}
#: The supplier lot that turns out bad (the tour traces it forward and quarantines it).
BAD_LOT = ("IC-AMP-TAS", "IC-AMP-TAS-L01")
BOOK = "LS01"
#: Every supplier, in a fixed order (their purchase order numbers end in their place).
SUPPLIERS = sorted({item.supplier or "" for item in speaker_parts()})
#: Made every other cycle, twice as many.
TWICE = frozenset({"IC-MCU-PRG", "PCBA-LED"})
#: Speakers on today's work order, whose requisition is approved while loading.
TODAY_SPEAKERS = 60
#: LED rings on the requisition left waiting for the team leader.
PENDING_LED_RINGS = 100


class LoadError(RuntimeError):
    """A call the demo relies on did not answer as expected."""


@dataclass
class Clock:
    today: date

    def at(self, day: int, hour: int, minute: int = 0) -> str:
        """Day `day` relative to today (negative: past) at a Shanghai wall-clock time."""
        moment = datetime.combine(self.today + timedelta(days=day), dtime(hour, minute), SHANGHAI)
        return moment.isoformat()

    def day(self, day: int) -> str:
        return (self.today + timedelta(days=day)).isoformat()


@dataclass
class Api:
    """The gateway, called as one user; every unexpected answer stops the load."""

    client: httpx.Client
    calls: int = 0
    #: Calls and seconds per route (method and path with ids as {id}).
    spent: dict[str, list[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, method: str, path: str, *, expect: Iterable[int] = (200, 201), **kw: Any) -> Any:
        started = time.perf_counter()
        response = self.client.request(method, path, **kw)
        key = (
            method
            + " "
            + "/".join("{id}" if part.isdigit() else part for part in path.split("?")[0].split("/"))
        )
        with self.lock:
            self.calls += 1
            spent = self.spent.setdefault(key, [0, 0.0])
            spent[0] += 1
            spent[1] += time.perf_counter() - started
        if response.status_code not in tuple(expect):
            raise LoadError(
                f"{method} {path} answered {response.status_code}: {response.text[:2000]}"
            )
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, json=json, **kw)


def login(base_url: str, username: str, password: str, timeout: float = 60.0) -> Api:
    client = httpx.Client(base_url=base_url, timeout=timeout)
    response = client.post("/v1/auth/token", data={"username": username, "password": password})
    if response.status_code != 200:
        raise LoadError(f"login as {username}: {response.status_code} {response.text}")
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return Api(client)


def ceil_to(quantity: Decimal, multiple: int) -> int:
    return int((quantity / multiple).to_integral_value(ROUND_CEILING)) * multiple


@dataclass
class Demo:
    """The loader: `run()` posts the whole company; the attributes say what it made."""

    api: Api
    clock: Clock
    base_url: str
    company: Company = field(default_factory=build_company)
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    users: dict[str, Api] = field(default_factory=dict)
    #: Bought parts' stock as the loader plans it (received less issued).
    on_hand: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    lot_seq: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Speakers in finished goods, oldest first, per location.
    speakers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    serial_seq: int = 0
    sales_seq: int = 0
    work_orders: dict[str, int] = field(default_factory=dict)
    quantities: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: Facts the tour shows, found while loading.
    facts: dict[str, Any] = field(default_factory=dict)
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(3))
    #: Told what the load is doing, a line at a time (`make demo` prints it).
    progress: Callable[[str], None] = field(default=lambda text: None)

    # ------------------------------------------------------------------ the whole load

    def run(self) -> None:
        for name, step in (
            ("master data", self.master_data),
            ("people and flows", self.people),
            ("history", self.history),
            ("today", self.today),
        ):
            self.progress(f"  {name} ...")
            started = time.perf_counter()
            step()
            self.timings[name] = time.perf_counter() - started

    # ------------------------------------------------------------------ master data

    def master_data(self) -> None:
        api = self.api
        for code, name in CATEGORIES.items():
            api.post("/v1/categories", {"code": code, "name": name})
        api.post(
            "/v1/imports/items?dry_run=false", files={"file": ("items.xlsx", self._item_sheet())}
        )
        for item in self.company.items:
            if item.second_source is not None:
                found = api.get(f"/v1/items/by-code/{item.code}")
                maker, mpn = item.second_source
                api.post(
                    f"/v1/items/{found['id']}/manufacturer-parts",
                    {"manufacturer": maker, "mpn": mpn, "priority": 2},
                )
        for code in ("R0402-10K", "C0402-100N"):
            found = api.get(f"/v1/items/by-code/{code}")
            api.put(
                f"/v1/items/{found['id']}/unit-conversions",
                [{"uom": "reel", "factor": str(self.company.item(code).pack)}],
            )
        for code, name, kind, parent in LOCATIONS:
            place = {"code": code, "name": name, "location_type": kind}
            if parent:
                place["parent_code"] = parent
            api.post("/v1/locations", place)
        for bom in self.company.boms:
            body: dict[str, Any] = {
                "item_code": bom.item,
                "revision": bom.revision,
                "description": bom.description,
                "lines": [
                    {
                        "component_code": line.component,
                        "quantity": line.quantity,
                        **({"designators": line.designators} if line.designators else {}),
                        **({"scrap_percent": line.scrap_percent} if line.scrap_percent else {}),
                        "substitutes": [
                            {"component_code": sub, "priority": 1} for sub in line.substitutes
                        ],
                    }
                    for line in bom.lines
                ],
            }
            created = api.post("/v1/boms", body)
            api.post(
                f"/v1/boms/{created['id']}/release",
                {
                    "effective_from": self.clock.day(bom.effective_from_day),
                    "supersede": bom.supersede,
                    # revision A was released before its amplifier reached end of life
                    "allow_end_of_life": any(
                        self.company.item(line.component).lifecycle == "end_of_life"
                        for line in bom.lines
                    ),
                },
                headers={"If-Match": 'W/"1"'},
                expect=(200,),
            )
        api.post(
            "/v1/books",
            {"code": BOOK, "name": "灵声科技 深圳工厂", "template": "cas", "preparer": "Chen Jing"},
        )

    def _item_sheet(self) -> bytes:
        book = Workbook()
        sheet = book.active
        sheet.append(
            ["Code", "Name", "Specification", "UoM", "Item Type", "Category", "Procurement",
             "Tracking", "Shelf Life Days", "Safety Stock", "Lead Time Days", "MOQ",
             "Order Multiple", "Lifecycle", "Standard Cost", "Manufacturer", "MPN"]
        )  # fmt: skip
        for item in self.company.items:
            sheet.append(
                [
                    item.code, item.name, item.specification or None, item.uom, item.item_type,
                    item.category, item.procurement, item.tracking, item.shelf_life_days,
                    item.safety_stock, item.lead_time_days, item.moq, item.multiple,
                    item.lifecycle, str(item.price) if item.price is not None else None,
                    item.manufacturer, item.mpn,
                ]
            )  # fmt: skip
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    # ------------------------------------------------------------------ people

    def people(self) -> None:
        api = self.api
        for username, _name, roles, _dept, _wf in PEOPLE:
            api.post(
                "/v1/users", {"username": username, "password": DEMO_PASSWORD, "roles": list(roles)}
            )
        api.post(
            "/v1/org/departments", {"code": "SMT", "name": "SMT and assembly", "manager": "li"}
        )
        for username, name, _roles, dept, wf_roles in PEOPLE:
            person = {"username": username, "name": name}
            if dept:
                person["department_code"] = dept
            api.post("/v1/org/people", person)
            for role, scope in wf_roles:
                holder = {"role": role, "username": username}
                if scope:
                    holder["scope"] = scope
                api.post("/v1/org/role-holders", holder)
        for code, name in (("buyers", "Buyers group"), ("warehouse", "Warehouse group")):
            api.post(
                "/v1/notifications/channels",
                {
                    "code": code,
                    "name": name,
                    "kind": "dingtalk_robot",
                    "config": {
                        "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=DEMO",
                        "secret": "SEC_DEMO",
                    },
                },
            )
        for username in ("ann", "li", "zhou", "wang", "mes"):
            self.users[username] = login(self.base_url, username, DEMO_PASSWORD)

    # ------------------------------------------------------------------ history

    def history(self) -> None:
        self.quantities = [80 + 10 * self.rng.randint(0, 6) for _ in range(CYCLES)]
        for cycle in range(CYCLES):
            start = -HISTORY_DAYS + cycle * CYCLE_DAYS
            self.progress(f"    {self.clock.day(start)}: cycle {cycle + 1} of {CYCLES}")
            builds = self.builds(cycle)
            self.deliveries(cycle, start, builds)
            self.build(cycle, start, builds)
            self.ship(cycle, start)
        # Yesterday's deliveries wait for inspection (待检)
        self.deliveries(
            CYCLES,
            -1,
            {"PCBA-LED": 200},
            inspect=False,
            only=("MIC-MEMS", "PCB-LED", "MEC-GRILLE"),
        )

    def _revision(self, item: str, day: int) -> str:
        revisions = sorted(
            (b for b in self.company.boms if b.item == item and b.effective_from_day <= day),
            key=lambda b: b.effective_from_day,
        )
        return revisions[-1].revision

    def _needs(self, item: str, quantity: int, day: int) -> dict[str, Decimal]:
        """Components of `quantity` of `item` by the revision effective on `day`, scrap in."""
        bom = self.company.bom_for(item, self._revision(item, day))
        needs: dict[str, Decimal] = {}
        for line in bom.lines:
            per = Decimal(line.quantity) * (1 + Decimal(line.scrap_percent or "0") / 100)
            needs[line.component] = Decimal(ceil_to(per * quantity, 1))
        return needs

    def builds(self, cycle: int) -> dict[str, int]:
        """What a cycle makes: programmed SoCs and LED rings every other cycle for two
        cycles; the last cycle also makes the cores for today's speaker order."""
        quantity = self.quantities[cycle]
        builds = {}
        for made in BUILD_ORDER:
            if made in TWICE:
                if cycle % 2 == 0:
                    builds[made] = quantity + sum(self.quantities[cycle + 1 : cycle + 2])
            else:
                builds[made] = quantity
        if cycle == CYCLES - 1:
            for made in ("IC-MCU-PRG", "PCBA-MAIN", "PCBA-LED", "ASM-ONE-CORE"):
                builds[made] += TODAY_SPEAKERS
        return builds

    def deliveries(
        self,
        cycle: int,
        start: int,
        builds: dict[str, int],
        *,
        inspect: bool = True,
        only: tuple[str, ...] | None = None,
    ) -> None:
        """Buy what this cycle's builds need (covering two cycles), one receipt per supplier."""
        needs: dict[str, Decimal] = defaultdict(Decimal)
        for made, quantity in builds.items():
            for code, qty in self._needs(made, quantity, start + 2).items():
                if self.company.item(code).item_type == "raw_material":
                    needs[code] += qty
        if cycle == CYCLES - 1:  # today's speakers and the LED rings waiting for approval
            for made, quantity in ((SPEAKER, TODAY_SPEAKERS), ("PCBA-LED", PENDING_LED_RINGS)):
                for code, qty in self._needs(made, quantity, 0).items():
                    if self.company.item(code).item_type == "raw_material":
                        needs[code] += qty
        if cycle == 0:  # the launch stock of the old amplifier outlived revision A
            needs["IC-AMP-TPA"] += 2000
            needs["C0603-10U-SAM"] += 4000
        by_supplier: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for code, need in sorted(needs.items()):
            if only is not None and code not in only:
                continue
            item = self.company.item(code)
            have = self.on_hand[code]
            if only is None and have >= need * Decimal("1.3"):
                continue
            receive = ceil_to(max(need * 2 - have, Decimal(item.pack)), item.pack)
            self.on_hand[code] += receive
            by_supplier[item.supplier or "?"].append(self._receipt_line(item, receive, start))
        hour = 9
        for supplier, lines in sorted(by_supplier.items()):
            location = store_of(self.company.item(lines[0]["item_code"]))
            self.api.post(
                "/v1/receipts",
                {
                    "location_code": location,
                    "supplier": supplier,
                    "purchase_order": f"PO-{cycle + 1:02d}{SUPPLIERS.index(supplier) + 1:02d}",
                    "posted_at": self.clock.at(start, hour, 30),
                    "lines": lines,
                },
                headers={"Idempotency-Key": f"demo-gr-{cycle}-{supplier}"},
            )
            if inspect:
                self.inspect(lines, location, start + 1)
            hour = min(hour + 1, 17)

    def _receipt_line(self, item: Item, quantity: int, day: int) -> dict[str, Any]:
        line: dict[str, Any] = {
            "item_code": item.code,
            "quantity": str(quantity),
            "unit_price": str(item.price),
        }
        if item.tracking == "lot":
            self.lot_seq[item.code] += 1
            line["lot_number"] = f"{item.code}-L{self.lot_seq[item.code]:02d}"
            maker = (item.supplier or "XX")[:2].upper()
            line["supplier_lot"] = f"{maker}{self.rng.randint(100000, 999999)}"
            received = self.clock.today + timedelta(days=day - self.rng.randint(20, 60))
            year, week, _ = received.isocalendar()
            line["date_code"] = f"{year % 100:02d}{week:02d}"
        return line

    def inspect(self, lines: list[dict[str, Any]], location: str, day: int) -> None:
        """Every line inspected (three at a time); about one in ten has rejects."""
        rejects = []
        bodies = []
        for index, line in enumerate(lines):
            quantity = Decimal(line["quantity"])
            rejected = Decimal(0)
            if self.rng.random() < 0.1:
                rejected = max(
                    Decimal(1),
                    (quantity * Decimal(self.rng.randint(2, 20)) / 1000).quantize(Decimal(1)),
                )
            body: dict[str, Any] = {
                "item_code": line["item_code"],
                "location_code": location,
                "accepted_quantity": str(quantity - rejected),
                "rejected_quantity": str(rejected),
                "sample_size": min(int(quantity), 80 if quantity > 1000 else 20),
                "inspector": "Sun Hao",
                "posted_at": self.clock.at(day, 10 + index % 6, 5 * (index // 6)),
            }
            if line.get("lot_number"):
                body["lot_number"] = line["lot_number"]
            if rejected:
                body["defects"] = [
                    {"code": self.rng.choice(("SOLDERABILITY", "DAMAGED-REEL", "WRONG-MARKING",
                                               "SCRATCH", "DIMENSION")),
                     "quantity": str(min(rejected, body["sample_size"]))}
                ]  # fmt: skip
                rejects.append((line, rejected))
                self.on_hand[line["item_code"]] -= rejected
            bodies.append(body)
        list(self.pool.map(lambda body: self.api.post("/v1/inspections", body), bodies))
        if rejects:
            self.api.post(
                "/v1/transfers",
                {
                    "from_location_code": location,
                    "to_location_code": "SZ/QA",
                    "posted_at": self.clock.at(day, 16, 30),
                    "note": "rejected at incoming inspection",
                    "lines": [
                        {
                            "item_code": line["item_code"],
                            "quantity": str(rejected),
                            "quality_state": "defective",
                            **(
                                {"lot_number": line["lot_number"]} if line.get("lot_number") else {}
                            ),
                        }
                        for line, rejected in rejects
                    ],
                },
            )

    def build(self, cycle: int, start: int, builds: dict[str, int]) -> None:
        """The cycle's five work orders, lowest level first: requisition, then receipt.

        The orders are made first (three at a time), so mrp knows each before stock's
        feed tells it of the order's issues and receipts.
        """
        numbers = {made: f"WO-{cycle + 1:02d}-{TAG[made]}" for made in builds}
        steps = list(enumerate(builds))
        orders = [
            self._order(numbers[made], made, builds[made], start + 2 + step // 2)
            for step, made in steps
        ]
        self.make_orders(orders)
        for step, made in steps:
            quantity = builds[made]
            day = start + 2 + step // 2
            hour = 8 if step % 2 == 0 else 13  # each step's receipt before the next's issue
            number = numbers[made]
            needs = self._needs(made, quantity, day)
            self.requisition(number, made, needs, self.clock.at(day, hour, 10))
            output: dict[str, Any] = {"item_code": made, "quantity": str(quantity)}
            if made == SPEAKER:
                serials = [f"LS1-{self.serial_seq + n + 1:06d}" for n in range(quantity)]
                self.serial_seq += quantity
                output["serial_numbers"] = serials
                self.speakers["SZ/FG"].extend(serials)
            else:
                output["lot_number"] = f"{TAG[made]}-{cycle + 1:02d}"
            self.api.post(
                "/v1/production-receipts",
                {
                    "work_order": number,
                    "to_location_code": OUTPUT_OF[made],
                    "wip_location_code": LINE_OF[made],
                    "outputs": [output],
                    "components": [
                        {"item_code": code, "quantity": str(qty)} for code, qty in needs.items()
                    ],
                    "posted_at": self.clock.at(day, hour + 3, 40),
                },
                headers={"Idempotency-Key": f"demo-pr-{number}"},
            )

    def _order(self, number: str, made: str, quantity: int, day: int) -> dict[str, Any]:
        """A released work order's body: a day on the line, its output store."""
        return {
            "number": number,
            "item_code": made,
            "quantity": str(quantity),
            "start_date": self.clock.day(day),
            "due_date": self.clock.day(day + 1),
            "wip_location_code": LINE_OF[made],
            "output_location_code": OUTPUT_OF[made],
            "release": True,
        }

    def make_orders(self, orders: list[dict[str, Any]]) -> None:
        made = self.pool.map(lambda order: self.api.post("/v1/work-orders", order), orders)
        for body, order in zip(orders, made, strict=True):
            self.work_orders[body["number"]] = order["id"]

    def requisition(
        self,
        work_order: str,
        made: str,
        needs: dict[str, Decimal],
        posted_at: str | None,
        api: Api | None = None,
    ) -> dict[str, Any]:
        api = api or self.api
        created = api.post(
            "/v1/requisitions",
            {
                "work_order": work_order,
                "to_location_code": LINE_OF[made],
                "lines": [{"item_code": code, "quantity": str(qty)} for code, qty in needs.items()],
            },
        )
        submitted = api.post(f"/v1/requisitions/{created['id']}/submit", expect=(200, 202))
        for code, qty in needs.items():
            if self.company.item(code).item_type == "raw_material":
                self.on_hand[code] -= qty
        if posted_at is None:
            return dict(submitted)
        return dict(api.post(f"/v1/requisitions/{created['id']}/post", {"posted_at": posted_at}))

    def ship(self, cycle: int, start: int) -> None:
        """Two shipment days a cycle, two customers each; some speakers go to Dongguan."""
        for offset in (6, 10):
            day = start + offset
            if offset == 10 and len(self.speakers["SZ/FG"]) > 80:
                moved = self._take("SZ/FG", 40)
                self.api.post(
                    "/v1/transfers",
                    {
                        "from_location_code": "SZ/FG",
                        "to_location_code": "DG/FG",
                        "posted_at": self.clock.at(day, 9, 15),
                        "note": "weekly replenishment of the Dongguan hub",
                        "lines": [{"item_code": SPEAKER, "quantity": str(len(moved)),
                                   "serial_numbers": moved}],
                    },
                )  # fmt: skip
                self.speakers["DG/FG"].extend(moved)
            for slot in range(2):
                source = "DG/FG" if offset == 10 and slot == 1 else "SZ/FG"
                available = len(self.speakers[source])
                if available < 20:
                    continue
                quantity = min(available - 10, 5 * self.rng.randint(3, 9))
                serials = self._take(source, quantity)
                self.sales_seq += 1
                customer = CUSTOMERS[(self.sales_seq * 7) % len(CUSTOMERS)]
                self.api.post(
                    "/v1/shipments",
                    {
                        "sales_order": f"SO-{self.sales_seq:04d}",
                        "customer": customer,
                        "from_location_code": source,
                        "carrier": self.rng.choice(("SF Express", "JD Logistics", "DHL")),
                        "posted_at": self.clock.at(day, 15 + slot, 20),
                        "lines": [{"item_code": SPEAKER, "quantity": str(quantity),
                                   "serial_numbers": serials}],
                    },
                    headers={"Idempotency-Key": f"demo-sh-{self.sales_seq}"},
                )  # fmt: skip

    def _take(self, location: str, quantity: int) -> list[str]:
        taken = self.speakers[location][:quantity]
        del self.speakers[location][:quantity]
        return taken

    # ------------------------------------------------------------------ today

    def today(self) -> None:
        api = self.api
        # Requisitions go through approval from now on (team leader, director over 10,000,
        # keeper of the warehouse)
        api.post(
            "/v1/flows",
            {
                "document_type": "material_requisition",
                "name": "Material requisitions",
                "activate": True,
                "stages": [
                    {"key": "leader", "name": "Team leader", "steps": [
                        {"key": "leader", "name": "Team leader",
                         "approvers": [{"kind": "manager", "levels": 1}],
                         "time_limit_hours": "8"}]},
                    {"key": "director", "name": "Director", "condition": "document.amount > 10000",
                     "steps": [{"key": "director", "name": "Director",
                                "approvers": [{"kind": "role", "role": "director"}]}]},
                    {"key": "keeper", "name": "Keeper", "steps": [
                        {"key": "keeper", "name": "Keeper of the warehouse",
                         "approvers": [{"kind": "warehouse_role", "role": "keeper",
                                        "field": "document.warehouse_code"}],
                         "time_limit_hours": "4", "on_timeout": "escalate",
                         "escalate_to_role": "director"}]},
                ],
            },
        )  # fmt: skip
        self._wait_for_gate()
        # Today's speakers (WO-14-SPK): cores from the semi-finished store, approved all the way
        cycle = CYCLES
        quantity = TODAY_SPEAKERS
        number = f"WO-{cycle + 1:02d}-{TAG[SPEAKER]}"
        self.make_orders([self._order(number, SPEAKER, quantity, 0)])
        needs = self._needs(SPEAKER, quantity, 0)
        ann = self.users["ann"]
        submitted = self.requisition(number, SPEAKER, needs, None, api=ann)
        approval = self._approval_of(submitted["id"])
        for who in ("li", "zhou", "wang"):  # the director only when it is over 10,000
            tasks = self.users[who].get("/v1/inbox/tasks")["items"]
            if any(task["instance_id"] == approval for task in tasks):
                self.users[who].post(f"/v1/approvals/{approval}/approve", {"comment": "ok"})
        self._wait_posted(approval)
        self.facts["approved_requisition"] = submitted["number"]
        # ... and one waiting for the team leader: the LED rings of WO-14-LED
        number = f"WO-{cycle + 1:02d}-{TAG['PCBA-LED']}"
        self.make_orders([self._order(number, "PCBA-LED", PENDING_LED_RINGS, 1)])
        pending = self.requisition(
            number, "PCBA-LED", self._needs("PCBA-LED", PENDING_LED_RINGS, 1), None, api=ann
        )
        self.facts["pending_requisition"] = pending["number"]
        self.facts["pending_requisition_id"] = pending["id"]
        self._approval_of(pending["id"])
        # The month-end count of the mechanical rack: four feet missing
        count = api.post(
            "/v1/stock-counts",
            {"location_code": "SZ/RAW/C-01", "item_codes": ["MEC-FOOT", "SCR-M2X5"],
             "note": "month-end cycle count"},
        )  # fmt: skip
        lines = []
        for line in count["lines"]:
            counted = Decimal(line["book_quantity"]) - (4 if line["item_code"] == "MEC-FOOT" else 0)
            lines.append(
                {k: line[k] for k in ("item_code", "location_code")}
                | {"quality_state": line["quality_state"], "counted_quantity": str(counted)}
            )
        api.put(f"/v1/stock-counts/{count['id']}/lines", {"lines": lines})
        api.post(f"/v1/stock-counts/{count['id']}/post")
        # Orders and forecasts ahead, and the planner's MRP run
        for index in range(6):
            api.post(
                "/v1/sales-orders",
                {
                    "number": f"SO-{9001 + index}",
                    "customer": CUSTOMERS[index * 3 % len(CUSTOMERS)],
                    "lines": [{"item_code": SPEAKER, "quantity": str(300 + 100 * index),
                               "due_date": self.clock.day(7 + 7 * index)}],
                },
            )  # fmt: skip
        api.post(
            "/v1/forecasts",
            {"forecasts": [
                {"item_code": SPEAKER, "quantity": str(1200 + 200 * month),
                 "due_date": self.clock.day(30 * (month + 1)), "note": "sales plan"}
                for month in range(3)]},
        )  # fmt: skip
        run = api.post("/v1/mrp-runs", {})
        self.facts["mrp_run"] = run["id"]
        # The safety-stock rule watches the parts from now on
        rule = api.client.get("/v1/rules/safety_stock")
        body = rule.json()
        body["active"] = True
        api.put(
            "/v1/rules/safety_stock",
            {k: body[k] for k in ("code", "name", "trigger", "facts", "condition", "key",
                                  "actions", "scope", "active") if k in body},
            headers={"If-Match": rule.headers["ETag"]},
        )  # fmt: skip

    @staticmethod
    def _poll(check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
        """`check()` every 0.2 s until it answers something; LoadError naming `what` if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found is not None:
                return found
            time.sleep(0.2)
        raise LoadError(f"{what} within {timeout:.0f} s")

    def _wait_for_gate(self) -> None:
        def closed() -> bool | None:
            gates = self.api.get("/v1/approval-gates")
            items = gates["items"] if isinstance(gates, dict) else gates
            required = any(
                g["document_type"] == "material_requisition" and g["required"] for g in items
            )
            return True if required else None

        self._poll(closed, "stock's requisition gate did not close after the flow was activated")

    def _wait_posted(self, approval: int) -> None:
        def posted() -> bool | None:
            found = self.api.get(f"/v1/approvals/{approval}")
            if found["sync_state"] == "failed":
                raise LoadError(f"approval {approval} could not post: {found['sync_problem']}")
            return True if found["sync_state"] == "done" else None

        self._poll(posted, f"approval {approval} was not posted")

    def _approval_of(self, requisition_id: int) -> int:
        def started() -> int | None:
            found = self.api.get(
                f"/v1/approvals?document_type=material_requisition&document_id={requisition_id}"
            )
            if found["items"] and found["items"][0]["status"] != "starting":
                return int(found["items"][0]["id"])
            return None

        return self._poll(started, f"workflow started no approval for requisition {requisition_id}")


def load(
    base_url: str,
    admin_password: str,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Demo:
    api = login(base_url, "admin", admin_password)
    demo = Demo(api=api, clock=Clock(today or datetime.now(UTC).date()), base_url=base_url)
    if progress is not None:
        demo.progress = progress
    try:
        demo.run()
    finally:
        demo.pool.shutdown()
    return demo


def describe(demo: Demo) -> str:
    calls = demo.api.calls + sum(user.calls for user in demo.users.values())
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in demo.timings.items())
    return f"{len(demo.company.items)} items, {calls} calls: {parts}"
