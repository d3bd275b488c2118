"""Keys, nonces and L1 action signing."""
