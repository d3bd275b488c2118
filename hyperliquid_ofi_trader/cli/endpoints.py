"""Where to reach a Hyperliquid API: `--url` for `run`, `paper` and `record`.

An API base (`http://127.0.0.1:8080`, `https://node.example`) serves REST at its root and
the WebSocket at `/ws`, as the venue, a private node and `hlofi sim-exchange` all do.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from hyperliquid_ofi_trader.errors import OurBugError


class EndpointError(OurBugError, ValueError):
    """A URL the user gave cannot be used (their fault: one clear line)."""


def api_endpoints(url: str) -> tuple[str, str]:
    """(REST base, WebSocket URL) of an http(s) API base such as http://127.0.0.1:8080."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise EndpointError(f"--url must be an http(s) API base such as "
                            f"http://127.0.0.1:8080, got {url!r}")
    path = parts.path.rstrip("/")
    rest = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return rest, urlunsplit((ws_scheme, parts.netloc, path + "/ws", "", ""))


def ws_url_of(url: str) -> str:
    """A WebSocket URL from a ws(s) URL, or from an http(s) API base (its /ws)."""
    parts = urlsplit(url.strip())
    if parts.scheme in ("ws", "wss") and parts.netloc:
        return urlunsplit(parts)
    if parts.scheme in ("http", "https") and parts.netloc:
        return api_endpoints(url)[1]
    raise EndpointError(f"not a usable URL: {url!r} (expected http(s)://host[:port] or "
                        "ws(s)://host[:port]/ws)")
