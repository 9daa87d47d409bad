"""The live meeting: services.py (the meeting as it runs, its snapshot), sockets.py (the
"/meeting" namespace, docs/realtime.md) and views.py (the live screen and the room display)."""
