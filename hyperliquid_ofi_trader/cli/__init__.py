"""The `hlofi` command line: one module per command, each with `register(app)`; `main.py`
builds the app. Its surface is the command, not Python names."""

__all__: list[str] = []
