"""The WebSocket side: codec, sans-I/O session, asyncio client, watchdog, subscriptions, post."""
