"""Fake external servers for tests."""
