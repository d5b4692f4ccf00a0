"""Fixtures shared by the service tests."""

from tests.service.catalog_support import catalog_fixture

__all__ = ["catalog_fixture"]
