"""Catalog: the item master (later: units, BOM versions, routings, where-used, imports)."""
