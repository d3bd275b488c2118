"""The live web dashboard of a running `hlofi run` / `hlofi paper` (aiohttp, loopback).

- Reads are open to whoever can reach the port (127.0.0.1 by default): the page, the
  latest snapshot, the chart history, a server-sent-event stream, and the explanation of
  any decision (the same text `hlofi explain` prints).
- Control (kill, resume) needs the per-run token printed at start, as
  `Authorization: Bearer <token>`: none -> 401, a wrong one -> 403. A control request goes
  through the same control file as `hlofi kill` (risk/control.py): journaled the same way,
  acted on within the runner's 200 ms control poll.
- Off the hot path: a publisher task builds one snapshot every `period_s` (between events,
  on the loop thread) and reads the journal on a worker thread; the engine never waits for
  the dashboard. The signing key is never part of anything served.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from hyperliquid_ofi_trader.errors import OurBugError
from hyperliquid_ofi_trader.risk.control import (
    ACK_FILE,
    COMMANDS,
    ControlAck,
    ControlError,
    read_ack,
    write_command,
)
from hyperliquid_ofi_trader.runtime.dashboard.history import ChartHistory, chart_point
from hyperliquid_ofi_trader.runtime.dashboard.snapshot import (
    PipelineCache,
    journal_snapshot,
    live_snapshot,
)
from hyperliquid_ofi_trader.runtime.explanation import ExplainError, explain_text, resolve_decision
from hyperliquid_ofi_trader.runtime.live import LiveRunner

log = logging.getLogger(__name__)

_STATIC = resources.files("hyperliquid_ofi_trader.runtime.dashboard") / "static"
_CONTENT_TYPES = {".html": "text/html", ".js": "application/javascript",
                  ".css": "text/css", ".LICENSE": "text/plain"}
_STATIC_FILES = frozenset({"index.html", "app.js", "app.css", "uPlot.iife.min.js",
                           "uPlot.min.css", "uPlot.LICENSE"})
_MAX_REASON = 200
_EXPLAIN_WIDTH = 160  # the page scrolls sideways; a narrower text cuts long inputs short
_ACK_WAIT_S = 2.0  # the runner polls every 200 ms; an answer later than this is news


class DashboardError(OurBugError):
    """The dashboard cannot start (port busy, bad address): one line for the operator."""


class Dashboard:
    """One run's dashboard server. `start` binds; `attach` gives it the runner to show."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", period_s: float = 0.5,
                 token: str | None = None) -> None:
        self.host, self.port, self.period_s = host, port, period_s
        self.token = token or secrets.token_urlsafe(24)
        self._runner: LiveRunner | None = None
        self._note = ""
        self._latest: dict[str, Any] = {"state": {"trading_state": "STARTING"}}
        self._journal: dict[str, Any] = {}
        self._history = ChartHistory()
        self._pipeline = PipelineCache()
        self._changed = asyncio.Event()
        self._closing = False
        self._web: web.AppRunner | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def url_with_token(self) -> str:
        """The page with the control token in the fragment (never sent to the server)."""
        return f"{self.url}#token={self.token}"

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([
            web.get("/", self._index), web.get("/static/{name}", self._static),
            web.get("/api/snapshot", self._snapshot), web.get("/api/history", self._hist),
            web.get("/api/stream", self._stream),
            web.get("/api/explain/{decision}", self._explain),
            web.get("/api/explain-order/{cloid}", self._explain_order),
            web.post("/api/control", self._control),
        ])
        self._web = web.AppRunner(app, access_log=None, handle_signals=False,
                                  shutdown_timeout=0.5)
        await self._web.setup()
        site = web.TCPSite(self._web, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._web.cleanup()
            raise DashboardError(f"--ui-port {self.port} is not available on {self.host}: "
                                 f"{exc.strerror or exc}") from exc
        self.port = _bound_port(site) or self.port
        self._task = asyncio.create_task(self._publish_loop(), name="dashboard")

    def attach(self, runner: LiveRunner, venue_note: str) -> None:
        self._runner, self._note = runner, venue_note

    async def stop(self) -> None:
        self._closing = True
        self._changed.set()  # releases every stream handler
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._web is not None:
            await self._web.cleanup()

    # ------------------------------------------------------------ publishing

    async def _publish_loop(self) -> None:
        tick = 0
        while not self._closing:
            await asyncio.sleep(self.period_s)
            runner = self._runner
            if runner is None:
                continue
            # The journal only changes at its flush (1 s): read it every other tick.
            if tick % 2 == 0 and runner.journal_path.is_file():
                self._journal = await asyncio.to_thread(journal_snapshot, runner.journal_path)
            tick += 1
            self.publish(live_snapshot(runner, self._note, self._pipeline.get(runner)))

    def publish(self, live: dict[str, Any]) -> None:
        """Merge a live snapshot with the latest journal view and wake the streams."""
        snap = {**live, **self._journal}
        self._latest = snap
        self._history.add(chart_point(snap))
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ------------------------------------------------------------ reads

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return _file_response("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in _STATIC_FILES:
            raise web.HTTPNotFound(text=f"no static file {name}")
        return _file_response(name)

    async def _snapshot(self, request: web.Request) -> web.Response:
        return _json(self._latest)

    async def _hist(self, request: web.Request) -> web.Response:
        return _json({"points": self._history.points()})

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while not self._closing:
                await resp.write(b"data: " + _dumps(self._latest) + b"\n\n")
                await self._changed.wait()
        return resp

    async def _explain(self, request: web.Request) -> web.Response:
        return await self._explained(request.match_info["decision"], None)

    async def _explain_order(self, request: web.Request) -> web.Response:
        return await self._explained("last", request.match_info["cloid"])

    async def _explained(self, decision: str, cloid: str | None) -> web.Response:
        runner = self._runner
        if runner is None:
            raise web.HTTPServiceUnavailable(text="the run has not started yet")

        def text() -> tuple[int, str]:
            decision_id = resolve_decision(runner.journal_path, decision, cloid)
            return decision_id, explain_text(runner.journal_path, decision_id,
                                             width=_EXPLAIN_WIDTH)

        try:
            decision_id, body = await asyncio.to_thread(text)
        except ExplainError as exc:
            raise web.HTTPNotFound(text=str(exc)) from exc
        return _json({"decision_id": decision_id, "text": body})

    # ------------------------------------------------------------ control

    async def _control(self, request: web.Request) -> web.Response:
        self._authorise(request)
        runner = self._runner
        if runner is None:
            raise web.HTTPServiceUnavailable(text="the run has not started yet")
        command, reason = await _command_of(request)
        run_dir: Path = runner.options.run_dir
        try:
            record = await asyncio.to_thread(write_command, run_dir, command,
                                             f"dashboard: {reason}", runner.clock.now_ns())
        except ControlError as exc:
            raise web.HTTPInternalServerError(text=str(exc)) from exc
        log.warning("dashboard %s #%d: %s", command, record.seq, reason)
        ack = await _await_ack(run_dir, record.seq)
        answer: dict[str, Any] = {"command": command, "seq": record.seq, "acknowledged": False}
        if ack is not None:
            answer.update(acknowledged=True, trading_state=ack.trading_state,
                          applied_after_s=(ack.applied_ns - record.written_ns) / 1e9,
                          detail=ack.detail)
        return _json(answer)

    def _authorise(self, request: web.Request) -> None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise web.HTTPUnauthorized(text="control needs the run's token: "
                                       "Authorization: Bearer <token>")
        if not hmac.compare_digest(given.strip().encode(), self.token.encode()):
            raise web.HTTPForbidden(text="wrong token for this run")


async def _await_ack(run_dir: Path, seq: int) -> ControlAck | None:
    """The runner's answer to command `seq` (same channel as `hlofi kill`), None if late."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _ACK_WAIT_S
    while loop.time() < deadline:
        ack = await asyncio.to_thread(read_ack, run_dir / ACK_FILE)
        if ack is not None and ack.seq >= seq:
            return ack
        await asyncio.sleep(0.05)
    return None


async def _command_of(request: web.Request) -> tuple[str, str]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=f"control body is not JSON: {exc}") from exc
    command = body.get("command") if isinstance(body, dict) else None
    if command not in COMMANDS:
        raise web.HTTPBadRequest(text=f"command must be one of {sorted(COMMANDS)}")
    reason = body.get("reason", "")
    return str(command), str(reason)[:_MAX_REASON] or f"operator {command}"


def _file_response(name: str) -> web.Response:
    data = (_STATIC / name).read_bytes()
    suffix = "." + name.rsplit(".", 1)[-1]
    return web.Response(body=data, content_type=_CONTENT_TYPES.get(suffix, "text/plain"),
                        headers={"Cache-Control": "no-cache"})


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def _json(value: Any) -> web.Response:
    return web.Response(body=_dumps(value), content_type="application/json")


def _bound_port(site: web.TCPSite) -> int | None:
    server = site._server  # aiohttp keeps the asyncio server here; port 0 -> real port
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        return int(sock.getsockname()[1])
    return None
