"""Database plumbing: engines, column types, shared tables, unit of work, migrations."""
