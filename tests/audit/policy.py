"""Who may use the audit trail pages (merged into tests/test_authorization_matrix.py)."""

POLICY = {
    "audit.index": {"GET": "lead"},
    "audit.export": {"GET": "lead"},
}
