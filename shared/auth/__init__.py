"""Identity inside the system: principals, roles and the internal token the gateway signs."""
