"""Trace: lot and serial genealogy built from the other services' event feeds."""
