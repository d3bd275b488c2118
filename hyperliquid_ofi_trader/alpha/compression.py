"""Squash an unbounded score into [-1, +1].

`compress(x, scale) = clip(tanh(x / scale), -1, 1)`: linear near zero (slope 1/scale), smooth
saturation for large scores, odd (so mirrored inputs give mirrored outputs). `scale` is the
score at which the output reaches tanh(1) ~= 0.76.

NaN/inf policy (one place, documented): `compress` RAISES `InvalidSignal` for a non-finite
input; it never returns NaN. Callers that must not raise (the combiner) filter non-finite
values before and count them. A finite input whose quotient x/scale overflows to +-inf is
fine: tanh saturates to +-1.
"""

from __future__ import annotations

import math

from hyperliquid_ofi_trader.errors import OurBugError


# The brief (and callers) name it InvalidSignal; an "Error" suffix would add nothing.
class InvalidSignal(OurBugError, ValueError):  # noqa: N818
    """A signal value was NaN or infinite: the producer's bug or bad data, never a score."""


class AlphaConfigError(OurBugError, ValueError):
    """Alpha parameters are invalid (operator's configuration): raised at construction."""


def validate_scale(scale: float) -> float:
    """Return `scale` if it is a usable compression scale (finite and > 0)."""
    if not (math.isfinite(scale) and scale > 0.0):
        raise AlphaConfigError(f"compression scale must be finite and > 0, got {scale!r}")
    return scale


def clip_unit(x: float) -> float:
    """Clip to [-1, 1]. NaN is not a number to clip: callers reject it before."""
    if x > 1.0:
        return 1.0
    if x < -1.0:
        return -1.0
    return x


def compress(x: float, scale: float) -> float:
    """tanh(x / scale) clipped to [-1, 1]; raises `InvalidSignal` when x is not finite."""
    if not math.isfinite(x):
        raise InvalidSignal(f"cannot compress a non-finite score: {x!r}")
    if not scale > 0.0:  # one comparison; also catches a NaN scale
        raise AlphaConfigError(f"compression scale must be > 0, got {scale!r}")
    return clip_unit(math.tanh(x / scale))
