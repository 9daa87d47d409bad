"""Calendar feeds of meetings: services.py (iCalendar feeds and their secret addresses) and
views.py (the feed pages and the feed itself)."""
