"""The newcomer's tour of the demo company: curl commands and the answers they give.

The README's section between `<!-- tour:start -->` and `<!-- tour:end -->` is rendered
from `STEPS` (`python -m tools.demo.tour --write-readme`); `tests/system/test_demo_tour.py`
loads the demo, runs every step's commands with bash, in order, and compares what each
prints with its `answer`, and checks that the README shows exactly these steps. Answers
leave out what depends on the day (dates, times) or on timing (ids of concurrent posts).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- tour:start -->", "<!-- tour:end -->"
MARK = "@@tour-step@@"


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    text: str
    commands: str
    answer: str


PRELUDE = r"""GW=http://127.0.0.1:8000
login() { curl -s -X POST $GW/v1/auth/token -d username=$1 -d "password=$2" |
  python3 -c 'import json,sys; print("Authorization: Bearer " + json.load(sys.stdin)["access_token"])'; }
AUTH=$(login admin "$(grep ^ADMIN_PASSWORD= var/secrets.env | cut -d= -f2-)")
LI=$(login li Lumen-Demo-2026); WANG=$(login wang Lumen-Demo-2026); MES=$(login mes Lumen-Demo-2026)
J='Content-Type: application/json'
# show EXPR: print part of the JSON answer (d), a list one element per line
show() { python3 -c 'import json,sys
d = json.load(sys.stdin); r = eval(sys.argv[1].replace("\n", " "))
for x in (r if isinstance(r, list) else [r]): print(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False))' "$1"; }"""

STEPS: tuple[Step, ...] = (
    Step(
        "Log in",
        "The admin's password is in `var/secrets.env`; the demo's people share one password. "
        "`show` prints part of an answer: drop `| show ...` to see all of it.",
        PRELUDE,
        "",
    ),
    Step(
        "Explode the speaker's BOM",
        "Five levels: the speaker, its core assembly, the two PCBAs, the programmed SoC and "
        "the blank chip. The made items, the chip at the bottom and the number of rows:",
        r"""SPK=$(curl -s $GW/v1/items/by-code/SPK-ONE-BLK -H "$AUTH" | show 'd["id"]')
curl -s "$GW/v1/items/$SPK/explosion?quantity=1" -H "$AUTH" | show '[(r["level"],
  r["component_code"], r["extended_quantity"], r["child_revision"]) for r in d["rows"]
  if r["has_children"] or r["level"] == 4] + [d["row_count"]]'""",
        """\
[1, "ASM-ONE-CORE", "1", "A"]
[2, "PCBA-MAIN", "1", "B"]
[3, "IC-MCU-PRG", "1", "A"]
[4, "IC-ESP32S3", "1.005", null]
[2, "PCBA-LED", "1", "A"]
42""",
    ),
    Step(
        "Diff two revisions of the main board",
        "Revision B (ECN-0412, in force for twelve weeks) replaced the TPA3116 amplifier "
        "with the TAS5805M and dropped passives; revision C takes effect in two weeks.",
        r"""curl -s "$GW/v1/boms?item_code=PCBA-MAIN" -H "$AUTH" | show '[(b["id"], b["revision"], b["status"]) for b in d["items"]]'
curl -s "$GW/v1/boms/3/diff?against=2" -H "$AUTH" | show '[("+", l["component_code"]) for l in d["added"]]
  + [("-", l["component_code"]) for l in d["removed"]] + [("~", c["component_code"],
  [x for x in c["changes"] if x["field"] == "quantity"], c["designators_removed"]) for c in d["changed"]]'""",
        """\
[2, "A", "released"]
[3, "B", "released"]
[4, "C", "released"]
["+", "IC-AMP-TAS"]
["-", "IC-AMP-TPA"]
["~", "R0402-22R", [{"field": "quantity", "before": "6", "after": "4"}], ["R21", "R22"]]
["~", "C0805-22U", [{"field": "quantity", "before": "4", "after": "2"}], ["C31", "C32"]]
["~", "L-4U7-PWR", [{"field": "quantity", "before": "2", "after": "1"}], ["L2"]]""",
    ),
    Step(
        "Stock by stage and quality state",
        "Both warehouses: yesterday's deliveries wait for inspection (待检), rejects sit "
        "defective in quarantine, the assembly line holds today's issue as work in progress.",
        r"""curl -s "$GW/v1/stock-overview?group_by=warehouse" -H "$AUTH" | show '[(r["group"]["warehouse_code"],
  c["stage"], c["quality_state"], c["quantity"]) for r in d["rows"] for c in r["cells"]]'""",
        """\
["DG", "finished", "qualified", "30"]
["SZ", "raw", "pending_inspection", "5200"]
["SZ", "raw", "qualified", "65822"]
["SZ", "raw", "defective", "358"]
["SZ", "wip", "qualified", "480"]
["SZ", "finished", "qualified", "10"]""",
    ),
    Step(
        "Run MRP and read the shortages",
        "Six open sales orders and three months of forecast against the stock, the open "
        "work orders and the BOMs (revision C from its date on):",
        r"""RUN=$(curl -s -X POST $GW/v1/mrp-runs -H "$AUTH" -H "$J" -d '{}' | show 'd["id"]')
curl -s "$GW/v1/mrp-runs/$RUN/shortages?limit=8" -H "$AUTH" | show '[(s["item_code"],
  s["quantity"]) for s in d["items"]]'""",
        """\
["IC-ESP32S3", "6562"]
["IC-FLASH-128M", "5730"]
["IC-CODEC", "4720"]
["IC-AMP-TAS", "5570"]
["IC-PMIC", "4726"]
["IC-LDO-33", "4720"]
["IC-LEDDRV", "4720"]
["XTAL-40M", "4720"]""",
    ),
    Step(
        "Approve a requisition",
        "Ann asked for the LED-ring parts of WO-14-LED; the flow wants her team leader, "
        "then the keeper of Shenzhen (the director only above 10,000). Each approves from "
        "their inbox; the last approval posts the requisition.",
        r"""AP=$(curl -s $GW/v1/inbox/tasks -H "$LI" | show 'd["items"][0]["instance_id"]')
curl -s -X POST $GW/v1/approvals/$AP/approve -H "$LI" -H "$J" -d '{"comment": "for WO-14-LED"}' | show 'd["status"]'
curl -s -X POST $GW/v1/approvals/$AP/approve -H "$WANG" -H "$J" -d '{}' | show 'd["status"]'
sleep 2; curl -s $GW/v1/approvals/$AP -H "$AUTH" | show '[d["document_number"], d["status"], d["sync_state"]]'""",
        """\
pending
approved
MR-00000055
approved
done""",
    ),
    Step(
        "Post a completion as MES would",
        "WO-14-SPK's parts were issued to the assembly line this morning; MES (an "
        "`integration` user) reports 60 speakers packed. Stock receives them with their "
        "serials and backflushes the cores and packaging from the line by the BOM.",
        r"""WO=$(curl -s "$GW/v1/work-orders?number=WO-14-SPK" -H "$AUTH" | show 'd["items"][0]["id"]')
python3 -c 'import json; print(json.dumps({"event_id": "MES-WO14-1", "operation": "0090 Pack-out",
  "station": "ASM-1", "operator": "Zhao", "produced": [{"quantity": "60",
  "serial_numbers": ["LS1-%06d" % n for n in range(9001, 9061)]}]}))' > completion.json
curl -s -X POST $GW/v1/work-orders/$WO/completions -H "$MES" -H "$J" -d @completion.json |
  show '[d["work_order"]["status"], d["produced_quantity"], d["backflushed"]]'""",
        """\
completed
60
true""",
    ),
    Step(
        "Trace a shipped speaker backward",
        "A customer in Canada calls about LS1-000700: which work orders, revisions and "
        "supplier lots are inside it?",
        r"""curl -s "$GW/v1/genealogy/backward?item_code=SPK-ONE-BLK&serial_number=LS1-000700" -H "$AUTH" |
  show '[d["root"]["customer"], d["root"]["sales_order"], d["root"]["work_order"], d["complete"],
  len(d["supplier_lots"])] + [(n["item_code"], n["lot_number"], n["work_order"], n["bom_revision"])
  for n in d["root"]["children"]]'""",
        """\
Maple Electronics Canada
SO-0024
WO-07-SPK
true
30
["ASM-ONE-CORE", "CORE-07", "WO-07-CORE", "A"]""",
    ),
    Step(
        "Trace the bad amplifier lot forward, and quarantine what is left",
        "TI warns that lot IC-AMP-TAS-L01 has an ESD defect. Where did it go, who has it, "
        "and what is still ours?",
        r"""curl -s "$GW/v1/recalls/report?item_code=IC-AMP-TAS&lot_number=IC-AMP-TAS-L01" -H "$AUTH" |
  show '[d["counts"], len(d["customers"]), len(d["to_quarantine"])]'
curl -s -X POST $GW/v1/recalls/quarantine -H "$AUTH" -H "$J" -d '{"item_code": "IC-AMP-TAS",
  "lot_number": "IC-AMP-TAS-L01", "to_location_code": "SZ/QA", "note": "TI ESD notice"}' |
  show '[(t["from_location_code"], t["lines"], t["quantity"]) for t in d["transfers"]]'""",
        """\
[{"status": "consumed", "nodes": 12}, {"status": "in_stock", "nodes": 100}, {"status": "shipped", "nodes": 670}]
20
101
["DG/FG", 1, "30"]
["SZ/FG", 1, "70"]
["SZ/RAW/A-01", 1, "1230"]""",
    ),
    Step(
        "Dead stock and aging",
        "The old amplifier outlived revision A, and the Samsung capacitors bought as a "
        "second source were never needed:",
        r"""curl -s "$GW/v1/reports/dead-stock?idle_days=90&limit=5" -H "$AUTH" | show '[(i["item_code"],
  i["quantity"]) for i in d["items"]] + [d["total_items"]]'
curl -s "$GW/v1/reports/aging?group_by=warehouse" -H "$AUTH" | show '[(r["key"], [(b["label"],
  b["quantity"]) for b in r["buckets"] if b["quantity"] not in (None, "0")]) for r in d["rows"]]'""",
        """\
["IC-AMP-TPA", "5250"]
["C0603-10U-SAM", "8000"]
2
["SZ", [["0-30", "12903"], ["31-90", "16744"], ["91-180", "93"], ["181-365", "41740"]]]""",
    ),
    Step(
        "Pull the ERP vouchers",
        "Every posting became a balanced voucher in book LS01 (企业会计准则), ready for "
        "Kingdee or U8 to pull (`after` is the cursor):",
        r"""curl -s "$GW/v1/vouchers?book=LS01&document_type=shipment&limit=2" -H "$AUTH" |
  show '[(v["document_number"], [(l["account"], l["debit"], l["credit"]) for l in v["lines"]])
  for v in d["items"]]'""",
        """\
["SH-00000001", [["6401", "991.35", "0"], ["1405", "0", "991.35"]]]
["SH-00000002", [["6401", "330.45", "0"], ["1405", "0", "330.45"]]]""",
    ),
)


def script(steps: tuple[Step, ...], gateway_url: str | None = None) -> str:
    """All steps as one bash script, each step's output after a marker line."""
    parts = ["set -euo pipefail"]
    for step in steps:
        commands = step.commands
        if gateway_url is not None:
            commands = commands.replace("GW=http://127.0.0.1:8000", f"GW={gateway_url}")
        parts += [f"echo {MARK}", commands]
    return "\n".join(parts) + "\n"


def run(gateway_url: str, cwd: Path, steps: tuple[Step, ...] = STEPS) -> list[str]:
    """Run the tour against a running demo; what each step printed, in order."""
    done = subprocess.run(
        ["bash", "-c", script(steps, gateway_url)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    outputs = done.stdout.split(MARK + "\n")[1:]
    if done.returncode != 0 or len(outputs) != len(steps):
        raise RuntimeError(f"the tour stopped (exit {done.returncode}): {done.stderr[-2000:]}")
    return [output.rstrip("\n") for output in outputs]


def render(steps: tuple[Step, ...] = STEPS) -> str:
    lines = [START, ""]
    for number, step in enumerate(steps):
        lines += [f"**{number}. {step.title}.** {step.text}", "", "```bash", step.commands, "```"]
        if step.answer:
            lines += ["", "```text", step.answer, "```"]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def readme_section(text: str) -> str:
    found = re.search(re.escape(START) + r".*?" + re.escape(END), text, re.S)
    return found.group(0) if found else ""


def write_readme() -> None:
    text = README.read_text()
    current = readme_section(text)
    if not current:
        raise SystemExit(f"README.md has no {START} ... {END} section")
    README.write_text(text.replace(current, render()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-readme"]:
        write_readme()
    else:
        print(render())
