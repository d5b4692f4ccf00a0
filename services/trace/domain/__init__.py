"""Pure trace rules: no I/O, no ORM, no web framework."""
