"""Composition root: builds the engine and its stages from the config for each run mode."""
