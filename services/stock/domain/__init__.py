"""Pure stock rules: no I/O, no ORM, no web framework."""
