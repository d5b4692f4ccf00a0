"""Pure gateway rules: route matching, token buckets, password policy, API key format,
OpenAPI merging. No I/O, no web framework, no ORM."""
