"""`hlofi research ofi|leadlag|signals|microprice`: test the signals on recorded data.

Each command replays a recording through the production codec, book and signal classes
(see `research/`), prints a table (or `--json` for scripts) and, where it helps, PNG plots.
The figures are whatever the data gives; nothing is tuned to reach a number.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from hyperliquid_ofi_trader.cli.catalog_options import (
    CatalogOption,
    CoinsOption,
    FromOption,
    SourceChoiceError,
    ToOption,
    resolve_source,
)
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource, ReplaySourceError
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label
from hyperliquid_ofi_trader.research import leadlag_xcorr, microprice_fit, ofi_impact, signal_ic
from hyperliquid_ofi_trader.research.recordings import load_market
from hyperliquid_ofi_trader.research.series import MarketSeries, ResearchError, book_tick
from hyperliquid_ofi_trader.signals.microprice import MicropriceModel, MicropriceModelError
from hyperliquid_ofi_trader.sim.latency import DEFAULT_ENTRY, DEFAULT_FEED

research_app = typer.Typer(
    name="research",
    help="Test the signals on recorded data: OFI price impact, lead-lag cross-correlation, "
    "information coefficients, micro-price fitting. Reads our recordings, Hyperliquid "
    "archive LZ4 and ns-prefixed captures, and (research only) Binance USD-M captures.",
    no_args_is_help=True,
)

DataOption = Annotated[Path | None, typer.Option(
    "--data", help="A recording file or directory (or use --catalog).")]
CoinOption = Annotated[str | None, typer.Option(
    "--coin", help="Coin to study when a Hyperliquid recording holds several.")]
TickOption = Annotated[float | None, typer.Option(
    "--tick", help="Price tick; default: the smallest price gap seen in the data.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Directory for PNG plots (none when omitted).", file_okay=False)]

# When our order could reach the venue after the lead moved: median feed + entry delay.
DEFAULT_REACTION_MS = DEFAULT_FEED.median_ms + DEFAULT_ENTRY.median_ms
_UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m)\s*$")


def register(app: typer.Typer) -> None:
    app.add_typer(research_app)


# ---------------------------------------------------------------- helpers


def parse_duration_ns(text: str) -> int:
    """'100ms', '1s', '2.5s', '1m' → ns. Raises typer.BadParameter on anything else."""
    m = _DURATION.match(text)
    if m is None:
        raise typer.BadParameter(f"{text!r} is not a duration like 100ms, 1s, 30s or 1m")
    ns = round(float(m.group(1)) * _UNITS[m.group(2)])
    if ns <= 0:
        raise typer.BadParameter(f"duration must be positive, got {text!r}")
    return ns


def parse_durations(text: str) -> list[int]:
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise typer.BadParameter("give at least one duration, e.g. 1s,5s,10s")
    return sorted(set(map(parse_duration_ns, parts)))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _source(data: Path | None, catalog: str | None, coins: str | None, start: str | None,
            end: str | None, coin: str | None) -> ReplaySource:
    """--data, or --catalog with --coins (default: the --coin studied), --from, --to."""
    if catalog is not None and coins is None:
        coins = coin
    try:
        return resolve_source(data, catalog, coins, start, end)
    except SourceChoiceError as exc:
        raise _fail(str(exc)) from None


def _load(path: ReplaySource, coin: str | None, levels: int = 1) -> MarketSeries:
    try:
        return load_market(path, coin, levels)
    except (ReplaySourceError, ResearchError) as exc:
        raise _fail(str(exc)) from None


def _tick(market: MarketSeries, tick: float | None) -> float:
    t = tick if tick is not None else book_tick(market.book)
    if not (math.isfinite(t) and t > 0.0):
        raise _fail(f"cannot infer the tick of {market.coin} from the data: pass --tick")
    return t


def data_note(*paths: ReplaySource) -> str:
    """What the data is: "SYNTHETIC (scenario X, seed N)" for a synthetic recording (each
    one named when several differ), else "recorded market data"."""
    labels = list(dict.fromkeys(synthetic_label(p) or "recorded market data" for p in paths))
    return " + ".join(labels)


def _emit_json(obj: Any, *paths: ReplaySource) -> None:
    """Print `obj` as JSON; with `paths`, a "data" key says what the data was."""
    if paths and isinstance(obj, dict):
        obj = {"data": data_note(*paths), **obj}
    # orjson writes NaN/inf as null: "unknown" stays visible instead of breaking parsers.
    typer.echo(orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode())


def _say_data(con: Console, *paths: ReplaySource) -> None:
    note = data_note(*paths)
    con.print(f"[bold]{note}[/bold]" if note.startswith("SYNTHETIC") else note)


def _f(x: float, digits: int = 3) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.{digits}f}"


def _source_line(market: MarketSeries, tick: float) -> str:
    b = market.book
    st = market.stats
    rej = sum(st.book_rejections.values()) + sum(st.codec_rejections.values())
    return (f"{market.coin} ({market.source}): {len(b):,} book rows, {len(market.trades):,} "
            f"trades, {(b.ns[-1] - b.ns[0]) / 1e9:,.1f} s, tick {tick:g}, {rej} rejected")


# ---------------------------------------------------------------- ofi


_HELP_OFI = (
    "Regress the mid change (ticks) per interval on summed L1 OFI, "
    "contemporaneous and next-interval, raw and depth-normalised; fit β per "
    "average-depth bucket."
)


@research_app.command("ofi", help=_HELP_OFI)
def ofi_cmd(
    data: DataOption = None,
    intervals: Annotated[str, typer.Option(help="Comma-separated interval lengths.")]
    = "1s,5s,10s,30s",
    levels: Annotated[int, typer.Option(
        help="Book levels for integrated OFI (Cont, Cucuringu & Zhang); 1 = Level 1 only.",
        min=1, max=20)] = 1,
    depth_buckets: Annotated[int, typer.Option(help="Depth buckets for β vs depth.", min=2)]
    = 5,
    coin: CoinOption = None,
    tick: TickOption = None,
    as_json: JsonOption = False,
    out: OutOption = None,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    source = _source(data, catalog, coins, start, end, coin)
    ivs = parse_durations(intervals)
    market = _load(source, coin, levels)
    t = _tick(market, tick)
    report = ofi_impact.analyse(market.book, ivs, t, levels=levels, n_buckets=depth_buckets)
    plots = _ofi_plots(report, out)
    if as_json:
        _emit_json({**report.as_dict(), "source": market.source, "plots": plots}, source)
        return
    con = Console()
    _say_data(con, source)
    con.print(_source_line(market, t))
    con.print(_impact_table(report))
    con.print(_depth_table(report))
    for p in plots:
        con.print(f"wrote {p}")


def _ofi_plots(report: ofi_impact.OfiImpactReport, out: Path | None) -> list[str]:
    if out is None:
        return []
    from hyperliquid_ofi_trader.research import plots  # matplotlib only when asked

    try:
        return [str(plots.ofi_scatter(report, out / f"ofi_scatter_{report.coin}.png")),
                str(plots.slope_vs_depth(report, out / f"ofi_beta_depth_{report.coin}.png"))]
    except OSError as exc:
        raise _fail(f"cannot write plots to {out}: {exc.strerror or exc}") from None


def _impact_table(report: ofi_impact.OfiImpactReport) -> Table:
    table = Table(title=f"OFI price impact, {report.coin} (Δmid in ticks of {report.tick:g})")
    for col in ("interval", "regressor", "timing", "R²", "slope", "t", "n"):
        table.add_column(col, justify="right" if col in ("R²", "slope", "t", "n") else "left")
    for r in report.impact:
        f = r.fit
        table.add_row(f"{r.interval_s:g} s", r.regressor, r.timing, _f(f.r2), _f(f.slope, 4),
                      _f(f.t_stat, 1), str(f.n))
    return table


def _depth_table(report: ofi_impact.OfiImpactReport) -> Table:
    e = report.depth_exponent
    table = Table(title=f"β vs average L1 depth ({report.depth_interval_s:g} s intervals); "
                  f"log β on log depth: exponent {_f(e.slope, 2)} (Cont et al.: about −1), "
                  f"n={e.n}")
    for col in ("depth range", "mean depth", "β", "β × depth", "R²", "n"):
        table.add_column(col, justify="right")
    for b in report.depth_buckets:
        table.add_row(f"{b.depth_lo:.3g}–{b.depth_hi:.3g}", f"{b.mean_depth:.3g}",
                      _f(b.fit.slope, 4), _f(b.fit.slope * b.mean_depth, 3), _f(b.fit.r2),
                      str(b.fit.n))
    return table


# ---------------------------------------------------------------- leadlag


_HELP_LEADLAG = (
    "Cross-correlation of lead and lag returns by lag on a common "
    "exchange-time grid (positive lag: the lead moves first), against a "
    "white-noise band and a circular-shift null, and the hit rate of "
    "LeadLagSignal over the next horizon."
)


@research_app.command("leadlag", help=_HELP_LEADLAG)
def leadlag_cmd(
    lead: Annotated[Path, typer.Option("--lead", help="Recording of the leading coin.")],
    lag: Annotated[Path, typer.Option("--lag", help="Recording of the lagging coin.")],
    max_lag_ms: Annotated[float, typer.Option(help="Largest lag examined, ms.", min=0.001)]
    = 500.0,
    step_ms: Annotated[float, typer.Option(help="Grid step, ms.", min=0.001)] = 10.0,
    lead_coin: Annotated[str | None, typer.Option(
        help="Lead coin inside a Hyperliquid recording with several coins.")] = None,
    lag_coin: Annotated[str | None, typer.Option(
        help="Lag coin inside a Hyperliquid recording with several coins.")] = None,
    window_ms: Annotated[float, typer.Option(
        help="LeadLagSignal window, ms (< 300).", min=0.001, max=299.999)] = 100.0,
    threshold_sigma: Annotated[float, typer.Option(help="LeadLagSignal threshold.", min=0.0)]
    = 2.0,
    vol_halflife_ms: Annotated[float, typer.Option(help="LeadLagSignal vol half-life, ms.",
                                                   min=1.0)] = 30_000.0,
    horizon_ms: Annotated[float, typer.Option(help="Hit-rate horizon, ms.", min=0.001)]
    = 500.0,
    shifts: Annotated[int, typer.Option(help="Circular shifts for the null.", min=0)] = 100,
    latency_ms: Annotated[float, typer.Option(
        "--latency-ms", help="Reaction delay: the lag's move is measured from this long "
        "after the lead's move (default: the backtest's median feed + entry latency).",
        min=0.0)] = DEFAULT_REACTION_MS,
    as_json: JsonOption = False,
    out: OutOption = None,
) -> None:
    if step_ms > max_lag_ms:
        raise _fail(f"--step-ms ({step_ms}) must not exceed --max-lag-ms ({max_lag_ms})")
    a, b = _load(lead, lead_coin), _load(lag, lag_coin)
    try:
        report = leadlag_xcorr.analyse(
            a.book, b.book, max_lag_ms=max_lag_ms, step_ms=step_ms, window_ms=window_ms,
            threshold_sigma=threshold_sigma, vol_halflife_ms=vol_halflife_ms,
            horizon_ms=horizon_ms, shifts=shifts, latency_ms=latency_ms)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    plots = _xcorr_plot(report, out)
    if as_json:
        _emit_json({**report.as_dict(), "plots": plots}, lead, lag)
        return
    _say_data(Console(), lead, lag)
    _print_leadlag(report, plots)


def _xcorr_plot(report: leadlag_xcorr.LeadLagReport, out: Path | None) -> list[str]:
    if out is None:
        return []
    from hyperliquid_ofi_trader.research import plots

    name = f"xcorr_{report.lead}_{report.lag}.png"
    try:
        return [str(plots.xcorr_plot(report.xcorr, report.lead, report.lag, out / name))]
    except OSError as exc:
        raise _fail(f"cannot write plots to {out}: {exc.strerror or exc}") from None


def _print_leadlag(report: leadlag_xcorr.LeadLagReport, plots: list[str]) -> None:
    x, h = report.xcorr, report.hit_rate
    table = Table(title=f"Lead-lag {report.lead} → {report.lag} over {report.span_s:,.1f} s "
                  f"({x.step_ms:g} ms grid, n={x.n:,})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in _regression_rows(report.regression):
        table.add_row(k, v)
    for k, v in (("peak lag", f"{x.peak_lag_ms:+g} ms (ρ {_f(x.peak_corr)})"),
                 ("lag 0", f"ρ {_f(x.lag0_corr)}"),
                 ("best lead (lag > 0)", f"{x.best_lead_lag_ms:+g} ms (ρ {_f(x.best_lead_corr)})"),
                 ("best lead / lag 0", _f(x.lead_to_lag0_ratio, 2)),
                 ("white-noise band ±2/√n", _f(x.band)),
                 (f"shift null 95% ({x.shifts} shifts)", _f(x.shift_null_95)),
                 ("lead significant", "yes" if x.lead_significant else "no"),
                 (f"signal fires (window {h.window_ms:g} ms, {h.threshold_sigma:g}σ)",
                  str(h.fires)),
                 (f"hit / miss / flat {h.latency_ms:g}-{h.latency_ms + h.horizon_ms:g} ms "
                  "after onset",
                  f"{h.hits} / {h.misses} / {h.flats}"),
                 ("hit rate (non-flat)", f"{_f(h.hit_rate)} (z vs 50%: {_f(h.z_vs_half, 1)})"
                  + (" SMALL SAMPLE" if h.small_sample else "")),
                 (f"mean move after {h.latency_ms:g} ms (bps, signed)",
                  f"{_f(h.mean_move_bps)} (t {_f(h.move_t, 1)})")):
        table.add_row(k, v)
    con = Console()
    con.print(table)
    for note in report.notes:
        con.print(f"- {note}")
    for p in plots:
        con.print(f"wrote {p}")


def _regression_rows(reg: leadlag_xcorr.BlockRegression | None) -> list[tuple[str, str]]:
    if reg is None:
        return []
    return [("VERDICT (grid-free)", reg.verdict),
            (f"block regression ({reg.block_ms:g} ms blocks)",
             f"slope {_f(reg.slope)}, t {_f(reg.t_stat, 1)}, R² {_f(reg.r2, 4)}, n {reg.n:,}"
             + (" SMALL SAMPLE" if reg.small_sample else ""))]


# ---------------------------------------------------------------- signals


_HELP_SIGNALS = (
    "Information coefficient (Spearman) of each available signal against "
    "the future mid move at each horizon, with the ±2/√n band over "
    "non-overlapping horizons."
)


@research_app.command("signals", help=_HELP_SIGNALS)
def signals_cmd(
    data: DataOption = None,
    horizons: Annotated[str, typer.Option(help="Comma-separated forecast horizons.")]
    = "100ms,1s,5s",
    ofi_window: Annotated[str, typer.Option(help="Rolling OFI window.")] = "1s",
    aggr_window: Annotated[str, typer.Option(help="Aggressive-volume window.")] = "5s",
    model: Annotated[Path | None, typer.Option(
        help="Fitted micro-price model (hlofi research microprice); default: weighted mid.",
        dir_okay=False)] = None,
    coin: CoinOption = None,
    tick: TickOption = None,
    as_json: JsonOption = False,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    source = _source(data, catalog, coins, start, end, coin)
    hs = parse_durations(horizons)
    ofi_ns, aggr_ns = parse_duration_ns(ofi_window), parse_duration_ns(aggr_window)
    mp = _load_model(model)
    market = _load(source, coin)
    t = _tick(market, tick)
    report = signal_ic.analyse(market, t, hs, ofi_window_ns=ofi_ns, aggr_window_ns=aggr_ns,
                               model=mp)
    if as_json:
        _emit_json(report.as_dict(), source)
        return
    con = Console()
    _say_data(con, source)
    con.print(_source_line(market, t))
    table = Table(title="Information coefficient (Spearman) vs future mid move; "
                  "n_ind = span / horizon")
    for col in ("signal", "horizon", "IC", "band ±", "significant", "pairs", "n_ind"):
        table.add_column(col, justify="left" if col == "signal" else "right")
    for r in report.ic:
        table.add_row(r.signal, f"{r.horizon_ms:g} ms", _f(r.ic), _f(r.band),
                      "yes" if r.significant else "no", f"{r.n:,}", f"{r.n_independent:,}")
    con.print(table)
    if not report.trades:
        con.print("- no trades in this recording: aggressive volume not evaluated")
    if any(not math.isfinite(r.ic) for r in report.ic):
        con.print("- n/a: the signal or the future move is constant at that horizon "
                  "(e.g. horizon shorter than the book cadence)")


def _load_model(path: Path | None) -> MicropriceModel | None:
    if path is None:
        return None
    try:
        return MicropriceModel.load(path)
    except MicropriceModelError as exc:
        raise _fail(str(exc)) from None


# ---------------------------------------------------------------- microprice


_HELP_MICROPRICE = (
    "Fit Stoikov's micro-price G*(imbalance, spread) on a recording, save "
    "the model and print the adjustment table (ticks)."
)


@research_app.command("microprice", help=_HELP_MICROPRICE)
def microprice_cmd(
    out: Annotated[Path, typer.Option("--out", help="Where to save the fitted model (JSON).",
                                      dir_okay=False)],
    data: DataOption = None,
    n_imbalance: Annotated[int, typer.Option(help="Imbalance buckets.", min=2)] = 10,
    n_spread: Annotated[int, typer.Option(help="Spreads fitted, 1..N ticks.", min=1)] = 2,
    max_move_ticks: Annotated[float, typer.Option(
        help="Mid moves larger than this (ticks) are treated as gaps.", min=0.5)] = 1.0,
    coin: CoinOption = None,
    tick: TickOption = None,
    as_json: JsonOption = False,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
) -> None:
    source = _source(data, catalog, coins, start, end, coin)
    market = _load(source, coin)
    t = _tick(market, tick)
    try:
        result = microprice_fit.fit(market.book, t, n_imbalance=n_imbalance,
                                    n_spread=n_spread, max_move_ticks=max_move_ticks)
        result.model.save(out)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        _emit_json({**result.as_dict(), "model_path": str(out)}, source)
        return
    _say_data(Console(), source)
    _print_microprice(market, t, result, out)


def _print_microprice(market: MarketSeries, tick: float, result: microprice_fit.MicropriceFit,
                      out: Path) -> None:
    m = result.model
    con = Console()
    con.print(_source_line(market, tick))
    table = Table(title=f"Micro-price adjustment G* (ticks), {m.n_transitions:,} transitions, "
                  f"{'converged' if m.converged else 'NOT converged'} in {m.iterations} "
                  "iterations")
    table.add_column("imbalance")
    for s in range(1, m.n_spread + 1):
        share = result.spread_share.get(s, math.nan)
        table.add_column(f"spread {s} ({_f(100 * share, 1)}% rows)", justify="right")
    for b in range(m.n_imbalance):
        cells = [_cell(m.adjustment_ticks[s][b], m.state_counts[s][b]) for s in range(m.n_spread)]
        table.add_row(f"{b / m.n_imbalance:.2f}–{(b + 1) / m.n_imbalance:.2f}", *cells)
    con.print(table)
    for s, ok in enumerate(microprice_fit.agrees_with_weighted_mid(m), start=1):
        if ok is False:
            con.print(f"- spread {s}: G* falls as the bid gets heavier, opposite to the "
                      "weighted mid: check the data's sampling before using this model")
    con.print(f"saved {out}")


def _cell(g: float | None, count: int) -> str:
    return "unseen" if g is None else f"{g:+.3f} (n={count:,})"


# ---------------------------------------------------------------- fit (the forecast model)

_HELP_FIT = (
    "Fit the forecast model (expected mid move in bps over --horizon-ms, from --latency-ms "
    "after the decision) on forward returns, through the strategy's own signal stage; "
    "time-ordered train/test split; prints out-of-sample R2, IC and calibration by decile; "
    "writes the model file the strategy loads (thresholds.yaml forecast.model_path)."
)


@research_app.command("fit", help=_HELP_FIT)
def fit_cmd(
    data: Annotated[list[Path], typer.Option(
        "--data", help="A recording file or directory; repeat to pool several recordings "
        "(each is split in time on its own).")],
    coin: Annotated[str, typer.Option("--coin", help="The traded coin to forecast.")] = "ETH",
    horizon_ms: Annotated[int, typer.Option("--horizon-ms", min=1,
                                            help="Forecast horizon (ms).")] = 1000,
    latency_ms: Annotated[int, typer.Option(
        "--latency-ms", min=0, help="Decision + entry latency: the move is measured from "
        "this long after the decision.")] = 100,
    sample_ms: Annotated[int, typer.Option("--sample-ms", min=1,
                                           help="Minimum spacing of samples (ms).")] = 100,
    train_fraction: Annotated[float, typer.Option(
        "--train-fraction", help="Leading share of the data used to fit.")] = 0.7,
    features: Annotated[str | None, typer.Option(
        "--features", help="Comma-separated signal names (default: lead_ret_bps, "
        "lag_ret_bps, ofi, aggressive_volume, microprice).")] = None,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="Config folder (its signal settings build the features).")] = None,
    synthetic: Annotated[bool, typer.Option(
        "--synthetic", help="Mark the model as fitted on synthetic data.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Model file to write (YAML).",
                                             dir_okay=False)] = None,
    as_json: JsonOption = False,
) -> None:
    from hyperliquid_ofi_trader.config.errors import ConfigError
    from hyperliquid_ofi_trader.config.loader import load_config
    from hyperliquid_ofi_trader.research import forecast_fit

    names = (forecast_fit.DEFAULT_FEATURES if features is None
             else tuple(f.strip() for f in features.split(",") if f.strip()))
    if not names:
        raise _fail("--features names no signal")
    try:
        cfg = load_config(config_dir)
        samples = [forecast_fit.collect_samples(d, cfg, coin, names, sample_ms) for d in data]
        report = forecast_fit.fit(samples, latency_ms=latency_ms, horizon_ms=horizon_ms,
                                  sample_ms=sample_ms, train_fraction=train_fraction,
                                  source=", ".join(map(str, data)),
                                  synthetic=synthetic or all(map(_is_synthetic, data)))
    except (ConfigError, ReplaySourceError, ResearchError) as exc:
        raise _fail(str(exc)) from None
    if out is not None:
        report.model.save(out)
    if as_json:
        _emit_json({**report.as_dict(), "model_file": None if out is None else str(out)})
        return
    _print_fit(report, out)


def _is_synthetic(path: Path) -> bool:
    """A recording written by `hlofi sim record` says so in its recording.json."""
    meta = (path if path.is_dir() else path.parent) / "recording.json"
    try:
        return b"SYNTHETIC" in meta.read_bytes()
    except OSError:
        return False


def _print_fit(report: Any, out: Path | None) -> None:
    m = report.model
    console = Console()
    kind = "SYNTHETIC data" if m.fit.synthetic else "recorded data"
    console.print(f"[bold]{m.coin}[/bold] forecast over {m.horizon_ms} ms from "
                  f"{m.latency_ms} ms after the decision ({kind}: {m.fit.source})")
    console.print(f"train {m.fit.n_train:,} samples (effective {m.fit.n_eff_train:,.0f}), "
                  f"test {m.fit.n_test:,}; R2 train {_f(m.fit.r2_train, 4)}, "
                  f"[bold]R2 out-of-sample {_f(m.fit.r2_oos, 4)}[/bold], "
                  f"IC out-of-sample {_f(m.fit.ic_oos, 3)}; residual "
                  f"{_f(m.residual_std_bps, 2)} bps")
    coefs = Table(title="coefficients (bps of move per unit of signal)")
    for col in ("feature", "coef_bps", "std_bps", "t"):
        coefs.add_column(col, justify="right")
    for f, c, s in zip(m.features, m.coef_bps, m.coef_std_bps, strict=True):
        coefs.add_row(f, _f(c, 4), _f(s, 4), _f(c / s, 1) if s > 0 else "n/a")
    console.print(coefs)
    cal = Table(title="calibration out of sample: forecast decile -> realised move (bps)")
    for col in ("decile", "forecast", "realised", "n"):
        cal.add_column(col, justify="right")
    for i, row in enumerate(report.calibration, 1):
        cal.add_row(str(i), _f(row.predicted_bps, 3), _f(row.realised_bps, 3), str(row.count))
    console.print(cal)
    if report.dropped_features:
        console.print(f"never non-zero in the training data: {', '.join(report.dropped_features)}")
    if out is not None:
        console.print(f"model written to {out}")
