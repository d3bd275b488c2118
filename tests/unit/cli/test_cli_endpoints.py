"""`--url`: API bases and WebSocket URLs."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.cli.endpoints import EndpointError, api_endpoints, ws_url_of


def test_api_base_gives_rest_and_ws() -> None:
    assert api_endpoints("http://127.0.0.1:8080") == ("http://127.0.0.1:8080",
                                                     "ws://127.0.0.1:8080/ws")
    assert api_endpoints("https://node.example/hl/") == ("https://node.example/hl",
                                                        "wss://node.example/hl/ws")


def test_ws_url_of() -> None:
    assert ws_url_of("wss://api.hyperliquid.xyz/ws") == "wss://api.hyperliquid.xyz/ws"
    assert ws_url_of("http://127.0.0.1:9") == "ws://127.0.0.1:9/ws"


@pytest.mark.parametrize("bad", ["ftp://x", "127.0.0.1:8080", "http://", "http://h/?q=1", ""])
def test_bad_urls_are_refused(bad: str) -> None:
    with pytest.raises(EndpointError):
        api_endpoints(bad)
    with pytest.raises(EndpointError):
        ws_url_of(bad)
