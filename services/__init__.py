"""The services; each owns its database and imports only `shared`, never another service."""
