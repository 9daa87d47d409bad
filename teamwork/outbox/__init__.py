"""The email outbox: messages queued with the action that announces them, sent by the worker."""
