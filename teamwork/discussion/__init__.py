"""Discussion: comments on proposals, agenda items and workplan activities."""
