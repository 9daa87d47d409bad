"""The audit trail: an append-only log of security and governance events."""
