"""The minutes of meetings: services.py (notes, action items, the record, approval by consensus,
amendments, the summary) and export.py (PDF and the time chart)."""
