"""The order side: action wire format, the gateway (sans-I/O half and async edge), reconcile."""
