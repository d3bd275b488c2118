"""The HTTP side: `/info` queries (with the WebSocket `post` channel as first transport)."""
