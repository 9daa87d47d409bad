"""Accepting an invitation: the page behind the emailed link (views.py)."""
