"""A dual-stack UDP dedicated server built on aioagones."""
