"""Hyperliquid rules and formats shared by the WebSocket, HTTP and execution halves."""
