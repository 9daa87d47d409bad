"""A team's audit trail pages (views.py); the trail itself is `teamwork.audit`."""
