"""Accounts, sign-in sessions and invitations accepted into teams."""
