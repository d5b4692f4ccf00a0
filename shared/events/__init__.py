"""Transactional outbox, the event feed and the feed consumer (see ARCHITECTURE.md)."""
