"""The exception tree: every exception the package raises on purpose, by who is at fault
and so what the caller does about it (../shared/ARCHITECTURE.md, "Exceptions split by who is
at fault").

    TraderError
    ├── OurBugError        our code, our settings or the operator's input is wrong: fail fast
    │                      with the message (config, CLI arguments, illegal transitions, an
    │                      order the venue calls invalid, a key that does not load)
    ├── VenueGarbageError  the venue sent something we cannot use: count it, resync, never
    │                      trade on a guess (malformed answers, state that disagrees with ours)
    ├── TransientError     the network, the venue or the machine is momentarily unable: retry
    │                      with backoff (disconnects, timeouts, rate limits, a locked database)
    └── RiskRejectedError  a gate or the venue refused this one action: log it and skip it
                           (exposure limits, no liquidity, post-only would cross)

A family whose members differ in fault keeps its own base under `TraderError` and puts each
member under one of the four: the venue's refusals (`VenueError`, venues/hyperliquid/common/
errors.py), its WebSocket client (`WsError`, .../websocket/client.py), `post` requests
(`PostError`, .../websocket/post.py), /info queries (`InfoError`, .../http/info.py), and the
recorder (`RecordingError`, data/recording.py). Exceptions that were `ValueError`, `KeyError`
or `RuntimeError` still are: an existing `except` keeps catching them.
"""

from __future__ import annotations

__all__ = ["OurBugError", "RiskRejectedError", "TraderError", "TransientError",
           "VenueGarbageError"]


class TraderError(Exception):
    """Base of every exception this package raises on purpose."""


class OurBugError(TraderError):
    """Our code, our settings or the operator's input is wrong: fail fast with the message."""


class VenueGarbageError(TraderError):
    """The venue sent something we cannot use: count it and resync; never trade on a guess."""


class TransientError(TraderError):
    """Momentarily unable (network, venue, disk): retry with backoff."""


class RiskRejectedError(TraderError):
    """This one action was refused by a gate or by the venue: log it and skip it."""
