"""`hlofi backtest --data PATH` (or `--catalog URI --coins --from --to`): recorded frames
through the live engine against the in-process simulated venue, with modelled latencies;
writes the journal (and the HTML report) into `--out`."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hyperliquid_ofi_trader.backtest.ray_backtest import DayRun
from hyperliquid_ofi_trader.backtest.report import run_figures
from hyperliquid_ofi_trader.backtest.runner import (
    BacktestError,
    BacktestResult,
    BacktestSettings,
    run_backtest,
    write_html_report,
)
from hyperliquid_ofi_trader.cli.backtest_ray import backtest_by_day
from hyperliquid_ofi_trader.cli.catalog_options import (
    CatalogOption,
    CoinsOption,
    FromOption,
    SourceChoiceError,
    ToOption,
    resolve_source,
)
from hyperliquid_ofi_trader.cli.fee_options import (
    DEFAULT_FEE_TIER,
    FeeTierOption,
    MakerFeeOption,
    TakerFeeOption,
    resolve_fees,
)
from hyperliquid_ofi_trader.config import ConfigError, load_config
from hyperliquid_ofi_trader.data.replay_sources import ReplaySource, ReplaySourceError
from hyperliquid_ofi_trader.data.synthetic_meta import synthetic_label
from hyperliquid_ofi_trader.sim.latency import (
    DEFAULT_ACK,
    DEFAULT_ENTRY,
    DEFAULT_FEED,
    Distribution,
    LatencyConfig,
    LatencyConfigError,
    parse_distribution,
)
from hyperliquid_ofi_trader.sim.settings import SimSettingsError

_SPEC_HELP = ("const:MS, uniform:LO,HI, lognormal:MEDIAN,P99 (ms), file:PATH[:COLUMN] "
              "(JSON list or Parquet of one-way ms) or rtt-file:PATH[:COLUMN] (round trips, "
              "halved)")


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest_command)


def backtest_command(
    data: Annotated[Path | None, typer.Option(
        "--data", help="A recording file or folder (our .zst recordings, the Hyperliquid "
        "archive LZ4 format, or `<ns> <json>` gzip captures).")] = None,
    catalog: CatalogOption = None,
    coins: CoinsOption = None,
    start: FromOption = None,
    end: ToOption = None,
    config_dir: Annotated[Path | None, typer.Option(
        "--config", help="User config folder overriding the packaged defaults.",
        file_okay=False)] = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the latency samples: same data, config and seed give the "
        "same journal.", min=0)] = 0,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Output folder for journal.sqlite and the report (default: "
        "runs/backtest-<time>); must not hold a journal yet.", file_okay=False)] = None,
    feed_mode: Annotated[str, typer.Option(
        "--feed-mode", help="recorded: the engine receives market data at the recording's "
        "receive times; modelled: at exchange time + a --feed-latency sample.")] = "recorded",
    feed_latency: Annotated[str | None, typer.Option(
        "--feed-latency", help=f"Venue -> us delay of pushes (and of market data when "
        f"modelled): {_SPEC_HELP}. Default: {DEFAULT_FEED.describe()}.")] = None,
    entry_latency: Annotated[str | None, typer.Option(
        "--entry-latency", help=f"Our command -> venue: {_SPEC_HELP}. Default: "
        f"{DEFAULT_ENTRY.describe()}.")] = None,
    ack_latency: Annotated[str | None, typer.Option(
        "--ack-latency", help=f"Venue answer -> us: {_SPEC_HELP}. Default: "
        f"{DEFAULT_ACK.describe()}.")] = None,
    fee_tier: FeeTierOption = DEFAULT_FEE_TIER,
    taker_fee_bps: TakerFeeOption = None,
    maker_fee_bps: MakerFeeOption = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Stop after this many frames.", min=1)] = None,
    report: Annotated[bool, typer.Option(
        "--report/--no-report", help="Also write the HTML report into --out.")] = True,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the summary (incl. the journal SHA-256) as one JSON object.")
    ] = False,
    ray: Annotated[str | None, typer.Option(
        "--ray", help="Split the --catalog selection by UTC day and backtest the days in "
        "parallel on this Ray cluster ('auto', 'ray://host:10001', 'local'); each day "
        "starts flat. Writes <out>/date=YYYY-MM-DD/ and days.parquet.")] = None,
    max_retries: Annotated[int, typer.Option(
        "--max-retries", help="With --ray: re-run a day whose worker or node died this "
        "many times before recording it as failed.", min=0)] = 3,
) -> None:
    """Backtest the configured strategy over recorded data: the exact live engine and order
    path against an in-process simulated venue (queue position, fees, latency)."""
    err = Console(stderr=True)
    try:
        source = resolve_source(data, catalog, coins, start, end)
    except SourceChoiceError as exc:
        _fail(err, str(exc))
    try:
        cfg = load_config(config_dir)
        latency = _latency(feed_mode, feed_latency, entry_latency, ack_latency)
        taker_fee, maker_fee = resolve_fees(fee_tier, taker_fee_bps, maker_fee_bps)
        settings = BacktestSettings(taker_fee=taker_fee, maker_fee=maker_fee)
        settings.venue_settings(cfg)  # validate fees and instruments before reading data
    except ConfigError as exc:
        _fail(err, f"invalid configuration:\n{exc}")
    except (LatencyConfigError, SimSettingsError, BacktestError) as exc:
        _fail(err, f"invalid backtest settings: {exc}")
    out_dir = out or _default_out()
    if ray is not None:
        backtest_by_day(source, config_dir, DayRun(seed, latency, settings, limit, report),
                        out_dir, ray, max_retries)
        return
    try:
        result = _run((cfg, source, out_dir, seed), latency, settings, limit, quiet=as_json)
        if report:
            write_html_report(result)
    except (ReplaySourceError, BacktestError) as exc:
        _fail(err, f"cannot backtest {source}: {exc}")
    doc = summary_dict(result, source)
    if as_json:
        typer.echo(orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS).decode())
    else:
        print_summary(Console(), result, doc)


def summary_dict(result: BacktestResult, data: ReplaySource) -> dict[str, Any]:
    """The result, what data it ran on (SYNTHETIC when it was), and the run's headline
    figures from its journal (the same source as `hlofi report`)."""
    return {"data": synthetic_label(data) or "recorded market data", **result.as_dict(),
            **run_figures(result.journal)}


def _fail(err: Console, message: str) -> NoReturn:
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(1)


def _latency(mode: str, feed: str | None, entry: str | None,
             ack: str | None) -> LatencyConfig:
    def dist(spec: str | None, default: Distribution) -> Distribution:
        return default if spec is None else parse_distribution(spec)

    if mode not in ("recorded", "modelled"):
        raise LatencyConfigError(f"--feed-mode must be recorded or modelled, got {mode!r}")
    return LatencyConfig(feed_mode="recorded" if mode == "recorded" else "modelled",
                         feed=dist(feed, DEFAULT_FEED), entry=dist(entry, DEFAULT_ENTRY),
                         ack=dist(ack, DEFAULT_ACK))


def _run(what: tuple[Any, ReplaySource, Path, int], latency: LatencyConfig,
         settings: BacktestSettings, limit: int | None, quiet: bool) -> BacktestResult:
    cfg, data, out_dir, seed = what
    if quiet:
        return run_backtest(cfg, data, out_dir, seed, latency=latency, settings=settings,
                            limit=limit, stopwatch=time.perf_counter)
    columns = (TextColumn("backtesting"), BarColumn(bar_width=None),
               TextColumn("{task.completed:,} frames"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("backtest", total=limit)
        return run_backtest(cfg, data, out_dir, seed, latency=latency, settings=settings,
                            limit=limit, stopwatch=time.perf_counter,
                            on_progress=lambda n: progress.update(task, completed=n))


def _default_out() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return Path("runs") / f"backtest-{stamp}"


def print_summary(console: Console, result: BacktestResult,
                  doc: dict[str, Any] | None = None) -> None:
    d = doc if doc is not None else result.as_dict()
    engine, orders = d["engine"], d["execution"].get("orders", {})
    positions = d["execution"].get("positions", {})
    table = Table(title="backtest summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        ("data", d.get("data", "")), ("source", d["source"]), ("journal", d["journal"]),
        ("report", d["report"] or "not written"),
        ("frames", f"{d['frames']:,} over {d['recorded_span_s']:,.1f} s of recording"),
        ("throughput", f"{d['events_per_s']:,.0f} engine events/s ({d['wall_s']:.2f} s wall)"),
        ("latency", ", ".join(f"{k} {v}" for k, v in d["latency"].items())),
        ("decisions", f"{engine['decisions']:,}: {_kv(engine['outcomes'])}"),
        ("orders", _kv(orders.get("outcomes", {})) or "none"),
        ("positions", "; ".join(f"{c} {p['size']:+g} (fees {p['fees']:.2f}, realised "
                                f"{p['realised']:.2f})" for c, p in positions.items())
         or "flat"),
        ("venue account value", d["venue"].get("account_value")),
        *_pnl_rows(d),
        ("stage errors", _kv(engine["stage_errors"]) or "none"),
        ("trading state", engine["trading_state"]),
        ("journal sha256", d["journal_sha256"]),
    ]
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)


def _pnl_rows(d: dict[str, Any]) -> list[tuple[str, Any]]:
    """Gross, fees, net, turnover and fills, in total and by order type."""
    if "net_pnl_usd" not in d:
        return []
    rows: list[tuple[str, Any]] = [(
        "PnL (USD)", f"gross {d['gross_pnl_usd']:+,.2f} - fees {d['fees_usd']:,.2f} = net "
        f"{d['net_pnl_usd']:+,.2f}; turnover {d['turnover_usd']:,.0f}; {d['fills']:,} fills "
        f"(maker {d['maker_fills']:,}, taker {d['taker_fills']:,})")]
    for tif, o in sorted(d.get("by_order_type", {}).items()):
        rows.append((f"  {tif}", order_type_line(o)))
    return rows


def order_type_line(o: dict[str, Any]) -> str:
    """One order type's figures; edge/cost means when the router journaled them."""
    line = (f"{o['fills']:,} fills, gross {o['gross_pnl_usd']:+,.2f}, fees "
            f"{o['fees_usd']:,.2f}, net {o['net_pnl_usd']:+,.2f}, turnover "
            f"{o['turnover_usd']:,.0f}")
    if o.get("expected_edge_bps_mean") is not None:
        line += (f"; expected edge {o['expected_edge_bps_mean']:.2f} bps, cost "
                 f"{o['expected_cost_bps_mean'] or 0.0:.2f} bps, margin "
                 f"{o['margin_bps_mean'] or 0.0:+.2f} bps")
    return line


def _kv(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                     for k, v in sorted(mapping.items()))
