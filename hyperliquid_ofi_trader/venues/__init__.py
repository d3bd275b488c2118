"""Venue adapters: everything one exchange's wire, transport and rules need, one folder each.

The rest of the system sends commands through the venue-neutral
`core.commands.CommandPort`. The emulator in `sim/` is a simulated venue, not an
adapter, and stays outside this package.
"""

__all__: list[str] = []  # the adapters are its subpackages
