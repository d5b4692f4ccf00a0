"""Fixtures shared by the service tests."""

from tests.service.catalog_support import catalog_fixture
from tests.service.test_thin_slice_inprocess import wired

__all__ = ["catalog_fixture", "wired"]
