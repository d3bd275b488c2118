"""`HLOFI_SIM_FAULTS` arms emulator faults in the emulator a run starts, and the
`server_error` fault's parameters are checked like every other fault's."""

from __future__ import annotations

import pytest

from hyperliquid_ofi_trader.cli.sim_exchange import (
    SimExchangeError,
    SimExchangeOptions,
    build_server,
)
from hyperliquid_ofi_trader.core.clock import ReplayClock
from hyperliquid_ofi_trader.sim.faults import (
    ENV_FAULTS,
    FaultError,
    FaultInjector,
    ServerErrorFate,
    faults_from_env,
)
from hyperliquid_ofi_trader.sim.ws_session import post_error_payload

T0 = 1_700_000_000_000_000_000


def test_the_env_spec_lists_faults_separated_by_semicolons() -> None:
    spec = {ENV_FAULTS: "rate_limit:kind=ip,probability=0.5; server_error:status=502"}
    assert faults_from_env(spec) == (
        {"fault": "rate_limit", "kind": "ip", "probability": 0.5},
        {"fault": "server_error", "status": 502})
    assert faults_from_env({}) == ()


def test_server_error_parameters() -> None:
    faults = FaultInjector(1, ReplayClock(T0))
    faults.apply({"fault": "server_error", "status": 503, "applied": "no",
                  "shape": "garbled", "count": 1})
    assert faults.server_error_fate(T0) == ServerErrorFate(503, applied=False, garbled=True)
    assert faults.server_error_fate(T0) is None  # count 1: fired once
    for bad in ({"status": 404}, {"applied": "maybe"}, {"shape": "html"}):
        with pytest.raises(FaultError):
            faults.apply({"fault": "server_error", **bad})


def test_post_errors_mirror_the_status_for_limits_and_server_errors_only() -> None:
    assert post_error_payload(429, "Too many requests") == "429 Too Many Requests"
    assert post_error_payload(502, "Server Error") == "502 Bad Gateway"
    assert post_error_payload(500, {"unexpected": 1}) == {"unexpected": 1}
    assert post_error_payload(422, "Failed to deserialize") == "Failed to deserialize"


def test_a_bad_env_spec_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_FAULTS, "explode:now=1")
    with pytest.raises(SimExchangeError, match="unknown fault"):
        build_server(SimExchangeOptions(seed=1), ReplayClock(T0))
    monkeypatch.setenv(ENV_FAULTS, "rate_limit:oops")
    with pytest.raises(SimExchangeError, match=ENV_FAULTS):
        build_server(SimExchangeOptions(seed=1), ReplayClock(T0))
