"""`hlofi status`: what the running systems are doing, from another shell.

It finds the runs in the registry (runtime/registry.py) and reads the status snapshot
each publishes about once a second (runtime/status.py): trading state and its cause,
uptime, positions, PnL (gross, fees, net), open orders, the last decisions and the feed's
health. `--json` prints `{"runs": [...]}` with one snapshot per run.

Exit codes: 0 when at least one system is running and every one of them published a
readable status; 1 when none is running (with --run-dir, the folder's last status is
still shown, marked as stopped); 2 when a running system's status cannot be read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Final, NoReturn

import msgspec
import typer

from hyperliquid_ofi_trader.runtime.registry import RunRegistry, state_dir
from hyperliquid_ofi_trader.runtime.status import (
    STATUS_FILE,
    RunStatus,
    StatusError,
    read_status,
)

EXIT_NONE_RUNNING: Final = 1
EXIT_UNREADABLE: Final = 2
_STALE_AFTER_S: Final = 5.0


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", help="Only the run using this folder (also shows a stopped run's last "
        "status).", file_okay=False)] = None,
    pid: Annotated[int | None, typer.Option("--pid", help="Only the run with this pid.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object: {\"runs\": [...]}.")]
    = False,
    decisions: Annotated[int, typer.Option(help="Last decisions to show per run.", min=0,
                                           max=10)] = 5,
) -> None:
    """Show the running systems: state, uptime, positions, PnL, orders, decisions, feed."""
    registry = RunRegistry(state_dir())
    entries = registry.select(run_dir=run_dir, pid=pid)
    if not entries:
        _none_running(registry, run_dir, as_json)
    found: list[RunStatus] = []
    problems: list[str] = []
    for entry in entries:
        try:
            found.append(read_status(Path(entry.status_file)))
        except StatusError as exc:
            problems.append(f"{entry.describe()}: {exc}")
    if as_json:
        typer.echo(_json(found, problems))
    else:
        dashboards = {e.pid: e.ui_url for e in entries if e.ui_url}
        for st in found:
            typer.echo(render(st, decisions))
            if st.pid in dashboards:  # the token is never stored: it was printed at start
                typer.echo(f"  dashboard {dashboards[st.pid]} (read-only without the token "
                           "printed at start)")
        for problem in problems:
            typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(EXIT_UNREADABLE)


def _none_running(registry: RunRegistry, run_dir: Path | None, as_json: bool) -> NoReturn:
    message = f"no running hlofi system found (registry {registry.root})"
    last: RunStatus | None = None
    if run_dir is not None:
        try:  # the folder's last snapshot: a killed process never wrote its final one
            last = msgspec.structs.replace(read_status(run_dir / STATUS_FILE), running=False)
        except StatusError:
            last = None
    if as_json:
        typer.echo(_json([last] if last is not None else [], [message]))
    else:
        typer.echo(message, err=True)
        if last is not None:
            typer.echo(f"last status of {run_dir} (the run is not running):")
            typer.echo(render(last, 5))
    raise typer.Exit(EXIT_NONE_RUNNING)


def _json(found: list[RunStatus], problems: list[str]) -> str:
    return msgspec.json.encode({"runs": found, "errors": problems}).decode()


# ---------------------------------------------------------------- text rendering


def render(st: RunStatus, n_decisions: int) -> str:
    lines = [_headline(st), _state_line(st), _feed_line(st), _pnl_line(st)]
    lines += [f"  position  {p.coin} {p.size:+.6g} @ {p.entry_px:,.2f} (mark "
              f"{_num(p.mark)}, unrealised {p.unrealised:+,.2f}, realised "
              f"{p.realised:+,.2f}, fees {p.fees:,.2f}, {p.fills} fills)"
              for p in st.positions if p.size != 0.0 or p.fills]
    if not any(p.size != 0.0 for p in st.positions):
        lines.append("  position  flat")
    lines.append(f"  orders    {len(st.open_orders)} open")
    lines += [f"    {o.coin} {o.side} {o.size:g} @ {o.price:,.6g} {o.tif}"
              f"{' reduce-only' if o.reduce_only else ''} {o.state} (cloid {o.cloid}, "
              f"decision {o.decision_id}, {o.age_s:.1f} s)" for o in st.open_orders[:10]]
    if st.last_decisions and n_decisions:
        lines.append("  decisions (latest first)")
        lines += [f"    #{d.id} {_clock(d.local_ns)} {d.coin} {d.outcome}: {d.reason}"
                  for d in st.last_decisions[:n_decisions]]
    return "\n".join(lines)


def _headline(st: RunStatus) -> str:
    running = "running" if st.running else "STOPPED"
    age = (dt.datetime.now(dt.UTC).timestamp() * 1e9 - st.updated_ns) / 1e9
    stale = f" (status {age:.0f} s old: the run may be stuck)" if (
        st.running and age > _STALE_AFTER_S) else ""
    ui = f"\n  dashboard {st.ui_url}" if st.ui_url else ""
    return (f"pid {st.pid} {st.mode} on {st.venue} ({st.network}), {running}, up "
            f"{_duration(st.uptime_s)}, account {st.account}\n  run dir   {st.run_dir}"
            f"{stale}{ui}")


def _state_line(st: RunStatus) -> str:
    line = f"  state     {st.trading_state}"
    if st.state_cause:
        line += f" ({st.state_reason or st.state_cause})"
    waiting = st.recovery.get("waiting_for") if st.recovery else None
    if waiting and st.trading_state != "ACTIVE":
        line += f"\n  recovery  waiting for {waiting}"
    if st.durable_halt:
        line += f"\n  halt      recorded, survives restarts: {st.durable_halt}"
    if st.kill_switch:
        line += f"\n  kill sw.  {st.kill_switch}"
    return line


def _feed_line(st: RunStatus) -> str:
    f = st.feed
    health = "healthy" if f.healthy else ("UNHEALTHY: " + ", ".join(f.unhealthy)
                                          if f.unhealthy else "not connected")
    age = f", last event {f.last_event_age_s:.1f} s ago" if f.last_event_age_s is not None \
        else ""
    lat = "; ".join(f"{coin} p50 {v.get('p50', 0):.0f} ms p99 {v.get('p99', 0):.0f} ms"
                    for coin, v in f.latency_ms.items())
    books = "; ".join(f"{c} {_num(b.bid)}/{_num(b.ask)}" for c, b in st.books.items())
    return (f"  feed      {health}, {f.connects} connect(s){age}"
            + (f"\n  latency   {lat}" if lat else "") + (f"\n  books     {books}" if books
                                                            else ""))


def _pnl_line(st: RunStatus) -> str:
    p = st.pnl
    return (f"  PnL USD   gross {p.gross:+,.2f}  fees {p.fees:,.2f}  net {p.net:+,.2f} "
            f"(realised {p.realised:+,.2f}, unrealised {p.unrealised:+,.2f}, funding "
            f"{p.funding:+,.2f})")


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:,.6g}"


def _clock(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9, dt.UTC).strftime("%H:%M:%S")


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m{s % 60:02d}s"
