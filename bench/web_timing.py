"""bench/web.py ``--timing``: where a slow answer's time went, the server's side and the client's.

The server is started with :func:`app_from_environment` instead of pathways' own factory: the
same application, wrapped in an ASGI middleware that adds a ``Server-Timing`` header (W3C) to
every answer: when the worker's application code got the request and when it had the answer
(``time.perf_counter``, which is ``CLOCK_MONOTONIC`` on Linux, one clock for every process of
the machine, so comparable with the client's), the time spent in the database driver, in the
worker's garbage collector (``gc.callbacks``) and how many requests the worker had in hand.
The client (:class:`ClientClock`) notes its own collections and how late its event loop wakes.

Each request then splits into: **before** (client's write to the worker's application: the
kernel, the worker's event loop busy with other requests or waiting for the GIL held by a
handler thread), **app** (the handler: SQL, rendering) and **after** (the answer written by
the server, read by the client: the client's event loop busy with other clients).

Nothing of this runs without ``--timing``; pathways itself is unchanged.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event

from pathways.bootstrap import build
from pathways.web.app import create_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class _GcClock:
    """Seconds spent collecting garbage in this process so far, and each collection's span."""

    total: float = 0.0
    started: float = 0.0
    cpu_started: float = 0.0
    spans: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, generation
    cpu: list[float] = field(default_factory=list)  # each collection's CPU seconds (its thread's)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self.started, self.cpu_started = now, time.thread_time()
        else:
            self.total += now - self.started
            self.spans.append((self.started, now, info.get("generation", -1)))
            self.cpu.append(time.thread_time() - self.cpu_started)


GC_PATH = "/_bench/gc"
_SQL: contextvars.ContextVar[list[float]] = contextvars.ContextVar("bench_sql_seconds")


class ServerTiming:
    """ASGI middleware: a ``Server-Timing`` header on every HTTP answer (see the module)."""

    def __init__(self, app: ASGIApp, gc_clock: _GcClock) -> None:
        self.app = app
        self.gc = gc_clock
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == GC_PATH:
            await self._gc_stats(send)
            return
        start, gc_before = time.perf_counter(), self.gc.total
        sql = [0.0]
        _SQL.set(sql)  # the handler's thread runs in a copy of this context: the same list
        self.inflight += 1
        inflight = self.inflight

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                end = time.perf_counter()
                value = (
                    f"start;dur={start * 1000:.3f}, end;dur={end * 1000:.3f}, "
                    f"sql;dur={sql[0] * 1000:.3f}, gc;dur={(self.gc.total - gc_before) * 1000:.3f}, "
                    f"inflight;dur={inflight}, pid;dur={os.getpid()}"
                )
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", value.encode())],
                }
            await send(message)

        try:
            await self.app(scope, receive, timed)
        finally:
            self.inflight -= 1

    async def _gc_stats(self, send: Send) -> None:
        """This worker's collections so far: the bench's own path, never pathways'."""
        by_generation: dict[int, list[tuple[float, float]]] = {}
        for (start, end, generation), cpu in zip(self.gc.spans, self.gc.cpu, strict=True):
            by_generation.setdefault(generation, []).append(((end - start) * 1000, cpu * 1000))
        body = json.dumps(
            {
                "pid": os.getpid(),
                "objects": len(gc.get_objects()),
                "frozen": gc.get_freeze_count(),
                "generations": {  # wall ms (a busy machine preempts a collection too), CPU ms
                    g: {
                        "n": len(v),
                        "wall_sum": round(sum(w for w, _ in v), 1),
                        "wall_max": round(max(w for w, _ in v), 1),
                        "cpu_sum": round(sum(c for _, c in v), 1),
                        "cpu_p50": round(statistics.median(c for _, c in v), 2),
                        "cpu_max": round(max(c for _, c in v), 1),
                    }
                    for g, v in sorted(by_generation.items())
                },
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _sql_started(conn: Any, *_: Any) -> None:
    conn.info["bench_started"] = time.perf_counter()  # Connection.info: the documented user dict


def _sql_ended(conn: Any, *_: Any) -> None:
    spent = _SQL.get(None)
    if spent is not None:
        spent[0] += time.perf_counter() - conn.info.pop("bench_started")


def app_from_environment() -> ASGIApp:
    """``uvicorn --factory web_timing:app_from_environment``: pathways' application, timed."""
    app = build()
    event.listen(app.store.engine, "before_cursor_execute", _sql_started)
    event.listen(app.store.engine, "after_cursor_execute", _sql_ended)
    clock = _GcClock()
    gc.callbacks.append(clock)
    return ServerTiming(create_app(app, freeze_heap=True), clock)  # as pathways.web.factory does


# --- the client's side -----------------------------------------------------------------------


def parse(value: str) -> dict[str, float]:
    """``{"start": ..., "end": ..., "sql": ..., "gc": ..., ...}`` (ms) from a Server-Timing value."""
    out = {}
    for metric in value.split(","):
        name, _, dur = metric.strip().partition(";dur=")
        out[name] = float(dur)
    return out


@dataclass
class Sample:
    """One request as both sides saw it (perf_counter seconds; server figures in ms)."""

    kind: str
    sent: float
    done: float
    server: dict[str, float]


class ClientClock:
    """The load generator's own stalls: its garbage collections and its event loop's lateness."""

    TICK = 0.005

    def __init__(self) -> None:
        self.gc = _GcClock()
        self.lags: list[tuple[float, float]] = []  # (when, seconds late)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        gc.callbacks.append(self.gc)
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def stop(self) -> None:
        gc.callbacks.remove(self.gc)
        if self._task is not None:
            self._task.cancel()

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.TICK)
            now = time.perf_counter()
            self.lags.append((now, now - before - self.TICK))


def _overlap(spans: Sequence[tuple[float, float, int]], start: float, end: float) -> float:
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e, _ in spans)


def report(samples: Sequence[Sample], client: ClientClock, worst: float = 0.02) -> str:
    """Where the time of all requests and of the slowest `worst` of them went (ms, medians and
    means), and the stalls of both sides."""
    if not samples:
        return "no samples"
    rows = []
    for s in samples:
        total = (s.done - s.sent) * 1000
        start, end = s.server["start"] / 1000, s.server["end"] / 1000
        lag = max((late for when, late in client.lags if s.sent <= when <= s.done + client.TICK), default=0.0)
        rows.append(
            {
                "total": total,
                "before": (start - s.sent) * 1000,
                "app": (end - start) * 1000,
                "sql": s.server["sql"],
                "server gc": s.server["gc"],
                "after": (s.done - end) * 1000,
                "client gc": _overlap(client.gc.spans, s.sent, s.done) * 1000,
                "client loop late": lag * 1000,
                "in hand": s.server["inflight"],
            }
        )
    rows.sort(key=lambda r: r["total"])
    slow = rows[-max(1, int(len(rows) * worst)) :]
    names = list(rows[0])

    def line(label: str, chosen: list[dict[str, float]]) -> str:
        cells = " | ".join(
            f"{statistics.median(r[n] for r in chosen):.1f} / {statistics.fmean(r[n] for r in chosen):.1f}"
            for n in names
        )
        return f"| {label} ({len(chosen)}) | {cells} |"

    gens = [g for _, _, g in client.gc.spans]
    head = "| requests | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names)
    slowest = "\n".join("  " + ", ".join(f"{n} {r[n]:.1f}" for n in names) for r in rows[-8:])
    late = sorted(lag for _, lag in client.lags)
    longest = max((e - s for s, e, _ in client.gc.spans), default=0.0)
    return (
        f"{head}\n{line('all', rows)}\n{line(f'slowest {worst:.0%}', slow)}\n"
        f"(median / mean ms; 'in hand': requests the worker held, this one included)\n"
        f"client: {len(client.gc.spans)} collections (gen 2: {gens.count(2)}), "
        f"{client.gc.total * 1000:.0f} ms in all, longest {longest * 1000:.1f} ms; "
        f"event loop late p99 {late[int(len(late) * 0.99)] * 1000 if late else 0:.1f} ms, "
        f"max {late[-1] * 1000 if late else 0:.1f} ms\n"
        f"the 8 slowest:\n{slowest}"
    )


class _Sender(Protocol):
    async def send(self, raw: bytes) -> tuple[int, bytes]: ...


class Probe:
    """One phase's ``--timing``: its samples (filled by bench/web.py's ``phase``), the client's
    stalls, the SQLite log's size before and after, and the workers' collections."""

    def __init__(self, database_url: str, host: str) -> None:
        self.samples: list[Sample] = []
        self.client = ClientClock()
        self.url, self.host = database_url, host
        self.wal = wal_size(database_url)
        self.client.start()

    async def finish(self, conns: Sequence[_Sender]) -> str:
        """The report; each worker's collections asked for on the connections (each held by one)."""
        self.client.stop()
        ask = f"GET {GC_PATH} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
        workers = {}
        for conn in conns:
            stats = json.loads((await conn.send(ask))[1])
            workers[stats["pid"]] = stats
        lines = [report(self.samples, self.client)]
        lines.append(f"SQLite log (WAL) file: {self.wal} -> {wal_size(self.url)} bytes")
        lines += [f"server worker GC: {json.dumps(stats)}" for stats in workers.values()]
        return "\n".join(lines)


def wal_size(url: str) -> int | None:
    """The size of a SQLite database's write-ahead log (None: PostgreSQL, or no log)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///") + "-wal")
    return path.stat().st_size if path.exists() else None
