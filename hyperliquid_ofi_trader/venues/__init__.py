"""Venue adapters: everything one exchange's wire, transport and rules need, one folder each.

The rest of the system talks to a venue through two seams, both venue-neutral:
outbound `core.commands.CommandPort` (commands to a gateway) and inbound
`core.venue_feed.VenueFeed` (raw frames to domain events). The emulator in `sim/` is a
simulated venue, not an adapter, and stays outside this package.
"""

__all__: list[str] = []  # the adapters are its subpackages
