"""Item master rules."""

from __future__ import annotations

import pytest

from services.catalog.domain.items import ItemType, Procurement, default_procurement
from shared.http.etags import etag, version_from_if_match


def test_default_procurement() -> None:
    assert default_procurement(ItemType.RAW_MATERIAL) is Procurement.BUY
    assert default_procurement(ItemType.SEMI_FINISHED) is Procurement.MAKE
    assert default_procurement(ItemType.FINISHED_GOOD) is Procurement.MAKE


@pytest.mark.parametrize(("header", "version"), [
    ('W/"3"', 3), ('"12"', 12), ("7", 7), ('W/"x"', None), ("", None), ('W/"-1"', None),
])
def test_if_match_parsing(header: str, version: int | None) -> None:
    assert version_from_if_match(header) == version


def test_etag_roundtrip() -> None:
    assert version_from_if_match(etag(41)) == 41
