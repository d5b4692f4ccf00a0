"""The demo company loads through the API, and the README's tour answers as it shows.

`make demo` in a test: the stack on free ports with a temporary var dir, the company
posted by `tools.demo.load`, then every step of `tools.demo.tour` run with bash and curl,
in order, each output compared with the answer the README prints. The README's tour
section must be exactly `tools.demo.tour.render()`, so the two never drift apart.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tools.demo import tour
from tools.demo.load import Demo, describe
from tools.demo.stack import load_demo
from tools.run import Stack

pytestmark = pytest.mark.system


def test_readme_shows_the_tour_as_the_code_defines_it() -> None:
    section = tour.readme_section(tour.README.read_text())
    assert section, "README.md lost its tour section"
    assert section == tour.render(), "run: python -m tools.demo.tour --write-readme"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Demo]]:
    var_dir = tmp_path_factory.mktemp("demo") / "var"
    stack, loaded = load_demo(var_dir, 0)
    print(f"demo loaded: {describe(loaded)}")
    try:
        yield stack, loaded
    finally:
        stack.stop()


def test_the_company_is_all_there(demo: tuple[Stack, Demo]) -> None:
    _, loaded = demo
    assert len(loaded.company.items) >= 1900
    assert loaded.facts["approved_requisition"] != loaded.facts["pending_requisition"]
    api = loaded.api
    assert api.get("/v1/items?limit=1")["items"]
    serials = api.get("/v1/serials?item_code=SPK-ONE-BLK&status=shipped&limit=500")["items"]
    assert len(serials) == 500  # over 1,000 speakers shipped to 20 customers
    customers = {shipment["customer"] for shipment in api.get("/v1/shipments?limit=200")["items"]}
    assert len(customers) == 20


def test_every_tour_step_answers_as_the_readme_shows(demo: tuple[Stack, Demo]) -> None:
    assert shutil.which("curl") and shutil.which("bash"), "the tour needs curl and bash"
    stack, _ = demo
    outputs = tour.run(stack.gateway_url, stack.var_dir.parent)
    for step, output in zip(tour.STEPS, outputs, strict=True):
        assert output == step.answer, f"step {step.title!r} answered:\n{output}"
