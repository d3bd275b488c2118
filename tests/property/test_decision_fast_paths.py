"""Fast paths of the per-decision forecast and trust equal their reference computations.

Each replaced an exact computation with a cheaper one (speed pass on the backtest's hot
path); these properties drive both with the same random inputs and require bit-identical
results:
- OnlineForecast._quad by sum(map(mul)) vs the plain multiply-add loop it replaced;
- OnlineForecast.learn / _solve writing into preallocated scratch vs the temporaries
  (np.outer, scale * ..., A0 + A) they replaced;
- SignalTrust.weight's early answer for a signal outside a known coin's model vs the
  lookup through estimator() it skips;
- AlphaCombiner's breakdown sharing a used signal's contribution while its value and trust
  are the same objects vs one built for every breakdown.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperliquid_ofi_trader.alpha.combiner import AlphaCombiner, SignalContribution
from hyperliquid_ofi_trader.alpha.forecast import OnlineForecast
from hyperliquid_ofi_trader.alpha.forecast_model import ForecastModel
from hyperliquid_ofi_trader.feedback.trust_score import _SEED_ALIASES, SignalTrust
from hyperliquid_ofi_trader.regime.state import LiquidityLevel, RegimeState, VolLevel

FAST = settings(max_examples=120, deadline=None)

FEATURES = ("lead_ret_bps", "lag_trend_1000ms_bps", "ofi", "aggressive_volume")
values = st.one_of(st.floats(min_value=-1e3, max_value=1e3), st.just(0.0), st.just(-0.0))
vectors = st.lists(values, min_size=len(FEATURES), max_size=len(FEATURES))


def _model() -> ForecastModel:
    return ForecastModel(coin="ETH", horizon_ms=2_000, latency_ms=100, features=FEATURES,
                         coef_bps=(0.5, -0.2, 0.1, 0.0), coef_std_bps=(0.1,) * 4,
                         feature_std=(0.7, 1.3, 2.0, 0.4), residual_std_bps=4.0,
                         sample_ms=250)


def _reference_quad(x: list[float], rows: list[list[float]]) -> float:
    total = 0.0
    for xi, row in zip(x, rows, strict=True):
        if xi:
            inner = 0.0
            for c, xj in zip(row, x, strict=True):
                inner += c * xj
            total += xi * inner
    return total


class _ReferenceForecast(OnlineForecast):
    """`learn` and `_solve` as they were, with a temporary per operation."""

    __slots__ = ()

    def learn(self, x: list[float], move_bps: float, ns: int | None = None,
              weight: float = 1.0) -> None:
        if not abs(move_bps) <= 1e4 or not all(abs(v) <= 1e6 for v in x):
            self.refused += 1
            return
        if ns is not None:
            self._forget(ns)
        xa = np.asarray(x, dtype=np.float64)
        resid = move_bps - float(xa @ np.asarray(self.coef))
        a = 1.0 / self.settings.sigma_halflife_samples
        self.sigma2 = min(1e6, max(1e-4, (1 - a) * self.sigma2 + a * resid * resid))
        scale = weight / self.sigma2
        self._a_data += scale * np.outer(xa, xa)
        self._b_data += scale * move_bps * xa
        self.n_eff += weight
        self.samples += 1
        self._solve()

    def _solve(self) -> None:
        a = self._a0 + self._a_data
        b = self._b0 + self._b_data
        try:
            cov = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return
        self.coef = [min(max(v, -hi), hi)
                     for v, hi in zip((cov @ b).tolist(), self._bound, strict=True)]
        self._cov_rows = cov.tolist()


def _bits(v: object) -> object:
    if isinstance(v, float):
        return v.hex()
    if isinstance(v, list):
        return [_bits(e) for e in v]
    return v


@FAST
@given(vectors, st.lists(vectors, min_size=len(FEATURES), max_size=len(FEATURES)))
def test_quad_equals_reference_loop(x: list[float], rows: list[list[float]]) -> None:
    est = OnlineForecast(_model())
    est._cov_rows = rows
    assert est._quad(x).hex() == _reference_quad(x, rows).hex()


@FAST
@given(st.lists(st.tuples(vectors, st.floats(min_value=-50, max_value=50),
                          st.integers(min_value=0, max_value=2_000_000_000),
                          st.sampled_from([1.0, 0.125, 0.04])), min_size=1, max_size=25))
def test_learn_equals_reference(samples: list[tuple[list[float], float, int, float]]) -> None:
    fast, ref = OnlineForecast(_model()), _ReferenceForecast(_model())
    ns = 1_000_000_000
    for x, move, step, weight in samples:
        ns += step
        fast.learn(x, move, ns, weight)
        ref.learn(x, move, ns, weight)
        assert _bits(fast.coef) == _bits(ref.coef)
        assert _bits(fast._cov_rows) == _bits(ref._cov_rows)
        assert fast.sigma2.hex() == ref.sigma2.hex()
        assert fast._a_data.tobytes() == ref._a_data.tobytes()
        assert fast._b_data.tobytes() == ref._b_data.tobytes()
        signals = dict(zip(FEATURES, x, strict=True))
        got, want = fast.forecast(signals), ref.forecast(signals)
        assert _bits(list(got[:2])) == _bits(list(want[:2]))


def _reference_weight(trust: SignalTrust, name: str, coin: str | None) -> float:
    coin = coin or trust.settings.default_coin
    w = trust._weights.get((coin, name))
    if w is not None:
        return w
    trust.estimator(coin)
    w = trust._weights.get((coin, _SEED_ALIASES.get(name, name)))
    return 1.0 if w is None else w


names = st.sampled_from([*FEATURES, "leadlag", "microprice", "av", "unknown"])


@FAST
@given(st.lists(st.tuples(names, st.sampled_from(["ETH", "BTC", None])), max_size=12),
       st.booleans())
def test_weight_equals_reference(asks: list[tuple[str, str | None]], learn: bool) -> None:
    fast = SignalTrust(models={"ETH": _model()})
    ref = SignalTrust(models={"ETH": _model()})
    if learn:  # an outside-the-model signal judged on a fill gets a weight of its own
        for trust in (fast, ref):
            trust.observe("microprice", 0.8, True, 3.0)
    for name, coin in asks:
        got, want = fast.weight(name, coin), _reference_weight(ref, name, coin)
        assert got.hex() == want.hex()
        assert sorted(fast._estimators) == sorted(ref._estimators)
    assert math.isfinite(fast.weight("ofi", "ETH"))


class _PoolTrust:
    """Trust from a small pool of float objects, so that the same object comes back."""

    def __init__(self, picks: list[int]) -> None:
        self.pool = (1.0, 0.25, -0.0, 0.5)
        self.picks = picks
        self.calls = 0

    def weight(self, name: str) -> float:
        self.calls += 1
        return self.pool[self.picks[self.calls % len(self.picks)]]


COMBINER_NAMES = ("ofi", "leadlag", "aggressive_volume", "microprice")
pool = (0.0, -0.0, 1.5, -2.25, 1e-300, 3.0)
signal_picks = st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=len(pool) - 1)),
                        min_size=4, max_size=4)


def _fresh(c: SignalContribution) -> SignalContribution:
    if c.status != "used":
        return c
    return SignalContribution(name=c.name, status=c.status, value=c.value,
                              config_weight=c.config_weight, trust=c.trust,
                              contribution=c.config_weight * c.trust * c.value)


@FAST
@given(st.lists(signal_picks, min_size=1, max_size=8),
       st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=5))
def test_shared_contributions_equal_fresh_ones(steps: list[list[int | None]],
                                               trust_picks: list[int]) -> None:
    combiner = AlphaCombiner(dict(zip(COMBINER_NAMES, (0.4, 0.3, 0.2, 0.1), strict=True)),
                             trust=_PoolTrust(trust_picks))
    regime = RegimeState(tradable=True, liquidity=LiquidityLevel.LIQUID,
                         volatility=VolLevel.NORMAL, liquidation=False)
    for picks in steps:
        signals = {n: pool[i] for n, i in zip(COMBINER_NAMES, picks, strict=True)
                   if i is not None}
        combiner.compute(signals, regime)
        got = combiner.explain().signals
        for g in got:
            want = _fresh(g)
            assert [_bits(getattr(g, f)) for f in g.__struct_fields__] == [
                _bits(getattr(want, f)) for f in want.__struct_fields__]
        # what was recorded for this compute, not a previous one
        for contribution, pick in zip(got, picks, strict=True):
            if pick is None:
                assert contribution.status == "missing"
            elif contribution.status == "used":
                assert contribution.value is pool[pick]
