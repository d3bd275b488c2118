"""The venue's nonce rules, per signer (HYPERLIQUID.md section 4).

For each signer (the API wallet when an agent signs) the venue keeps the 100 highest nonces
it has accepted. A new nonce is accepted only when it is
- not one of them (else "duplicate"),
- greater than the smallest of them once 100 are kept (else "too low"), and
- inside (now - 2 days, now + 1 day) in milliseconds (else "out of window").
Accepting one evicts the smallest when more than 100 would be kept.

A min-heap plus a set gives O(log k) checks and inserts with k = 100.
"""

from __future__ import annotations

import enum
import heapq


class NonceVerdict(enum.Enum):
    OK = "ok"
    DUPLICATE = "duplicate"
    TOO_LOW = "too_low"
    TOO_EARLY = "too_early"  # below now - window (stale)
    TOO_LATE = "too_late"  # beyond now + window (clock far ahead)


class _SignerNonces:
    __slots__ = ("heap", "seen")

    def __init__(self) -> None:
        self.heap: list[int] = []
        self.seen: set[int] = set()


class NonceBook:
    """Accepted nonces of every signer. `check` is pure; `accept` records."""

    __slots__ = ("_future_ms", "_kept", "_past_ms", "_signers")

    def __init__(self, kept: int = 100, past_ms: int = 2 * 86_400_000,
                 future_ms: int = 86_400_000) -> None:
        self._kept = kept
        self._past_ms = past_ms
        self._future_ms = future_ms
        self._signers: dict[str, _SignerNonces] = {}

    def check(self, signer: str, nonce: int, now_ms: int) -> NonceVerdict:
        """What the venue would say about `nonce` from `signer` at `now_ms`."""
        if nonce <= now_ms - self._past_ms:
            return NonceVerdict.TOO_EARLY
        if nonce >= now_ms + self._future_ms:
            return NonceVerdict.TOO_LATE
        state = self._signers.get(signer)
        if state is None:
            return NonceVerdict.OK
        if nonce in state.seen:
            return NonceVerdict.DUPLICATE
        if len(state.heap) >= self._kept and nonce <= state.heap[0]:
            return NonceVerdict.TOO_LOW
        return NonceVerdict.OK

    def accept(self, signer: str, nonce: int) -> None:
        """Record an accepted nonce, evicting the smallest beyond the kept count."""
        state = self._signers.get(signer)
        if state is None:
            state = self._signers[signer] = _SignerNonces()
        heapq.heappush(state.heap, nonce)
        state.seen.add(nonce)
        if len(state.heap) > self._kept:
            state.seen.discard(heapq.heappop(state.heap))

    def kept(self, signer: str) -> tuple[int, ...]:
        """The nonces currently kept for `signer`, ascending (inspection and tests)."""
        state = self._signers.get(signer)
        return tuple(sorted(state.heap)) if state else ()

    def smallest_kept(self, signer: str) -> int | None:
        state = self._signers.get(signer)
        return state.heap[0] if state and state.heap else None
