"""Live connections: which Socket.IO connection belongs to whom, so access changes reach them."""
