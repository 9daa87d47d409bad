"""Tests of moderator terms: rules, services, pages and the demo."""
