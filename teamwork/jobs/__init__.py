"""The background worker: scheduled sweeps run exactly once per occurrence (docs/architecture.md)."""
