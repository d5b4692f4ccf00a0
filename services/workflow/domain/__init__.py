"""Pure workflow rules: no I/O, no ORM, no web framework."""
