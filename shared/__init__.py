"""Code every service imports: settings, database, errors, idempotency, events, auth, HTTP."""
