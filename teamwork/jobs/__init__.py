"""The background worker: scheduled sweeps, each occurrence run once (docs/architecture.md)."""
