"""Live chat fan-out against a real server: N viewers in one room, comments at a steady rate.

For each viewer count (default 1,000 and 5,000) this:

1. migrates a fresh SQLite database, seeds a merchant who is live with a pinned product and
   the poster accounts, and starts `uvicorn laotie.app:create_app --factory` (one process);
2. connects N anonymous viewers to `/ws/live/{id}` from client worker processes (the
   `websockets` library's asyncio client, uvloop, thousands of sockets per process);
3. sends `--rate` comments/s (default 50) for `--seconds` (default 10) from `--posters`
   signed-in accounts, each far below the per-user limit of 1/s; every body carries the
   send time, so each viewer that receives a comment knows how late it arrived;
4. counts, on every viewer, the comments delivered, and on every `--probe-every`th viewer
   the delivery latency of each comment (all viewers are evenly spread over the send order,
   so the sample sees early and late sockets alike);
5. runs the baseline in the same way: a bare Starlette WebSocket endpoint in its own uvicorn
   process that sends every comment to every socket individually (bench/_raw_broadcast.py).

Figures: delivered messages/s (comment deliveries ÷ time from the first delivery to the last,
all within the sending time plus DRAIN_SECONDS), the share of
(comments × viewers) delivered, the share shown under laotie's documented display cap
(`chat_frame_comments` per frame; skipped comments are reported by the server), p50/p99
latency, server CPU. Viewers that the server dropped as too slow (close 4008) are counted.

Run:  .venv/bin/python bench/live_chat.py [--viewers 1000,5000] [--seconds 10] [--rate 50]
                                           [--client-procs 2] [--no-baseline]
The last line on stdout is one JSON object with the figures, the targets and whether each was met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

try:
    from bench import _load, _seed
except ImportError:  # run as a script: bench/ itself is on sys.path
    import _load  # type: ignore[no-redef]
    import _seed  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-not-for-production"
TARGET_VIEWERS = 5000
TARGET_P99_MS = 500.0
TARGET_SHOWN = 1.0  # every comment reaches every viewer (or is visibly skipped by the cap)
CONNECT_PARALLEL = 64  # handshakes in flight per client process
DRAIN_SECONDS = 3.0

ui = Console(stderr=True)
out = Console()


# ---- the client worker (a subprocess: `live_chat.py --worker '<json>'`) ----------------------

async def worker_main(spec: dict[str, Any]) -> None:
    """Connect viewers, say READY, count until told STOP, print one JSON line of counts."""
    from websockets.asyncio.client import connect

    url, count, probe_every, offset = spec["url"], spec["count"], spec["probe_every"], spec["offset"]
    delivered = [0] * count
    latencies: list[float] = []
    seen_ids: dict[int, set[int]] = {}
    duplicates = 0
    closed_codes: dict[str, int] = {}
    skipped_seen: list[int] = []
    sockets: list[Any] = []
    failed = 0
    all_tried = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_PARALLEL)
    marker = '"type":"comment"'
    first_at: float | None = None
    last_at = 0.0

    async def viewer(i: int) -> None:
        nonlocal failed, duplicates, first_at, last_at
        probe = (offset + i) % probe_every == 0
        try:
            async with gate:
                ws = await connect(url, compression=None, ping_interval=None, open_timeout=60, max_size=2**22,
                                   max_queue=None)
        except Exception:
            failed += 1
            if len(sockets) + failed == count:
                all_tried.set()
            return
        sockets.append(ws)
        if len(sockets) + failed == count:
            all_tried.set()
        ids = seen_ids.setdefault(i, set()) if probe else None
        try:
            async for raw in ws:
                text = raw if isinstance(raw, str) else raw.decode()
                n = text.count(marker)
                if not n and '"stats"' not in text:
                    continue
                delivered[i] += n
                if n:
                    last_at = time.time()
                    if first_at is None:
                        first_at = last_at
                if probe:
                    now = time.time()
                    frame = json.loads(text)
                    for m in frame if isinstance(frame, list) else [frame]:
                        if m.get("type") == "comment":
                            sent = float(m["body"].split(" ", 1)[0][2:])
                            latencies.append(now - sent)
                            if m["id"] in ids:  # type: ignore[operator]
                                duplicates += 1
                            ids.add(m["id"])  # type: ignore[union-attr]
                        elif m.get("type") == "stats" and i == 0 and offset == 0:
                            skipped_seen.append(int(m.get("skipped", 0)))
        except Exception:
            pass
        code = ws.close_code
        if code is not None:
            closed_codes[str(code)] = closed_codes.get(str(code), 0) + 1

    tasks = [asyncio.create_task(viewer(i)) for i in range(count)]
    await all_tried.wait()
    cpu_start = time.process_time()
    print(json.dumps({"ready": len(sockets), "failed": failed}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # STOP
    cpu = time.process_time() - cpu_start
    print(json.dumps({
        "connected": len(sockets), "failed": failed, "delivered": sum(delivered),
        "min_per_viewer": min(delivered) if delivered else 0, "latencies": [round(x, 4) for x in latencies],
        "duplicates": duplicates, "closed": closed_codes, "skipped": sum(skipped_seen), "cpu_s": round(cpu, 2),
        "first_at": first_at, "last_at": last_at,
    }), flush=True)
    for task in tasks:
        task.cancel()
    os._exit(0)  # thousands of sockets: let the kernel close them


# ---- the driver --------------------------------------------------------------------------------

@dataclass
class Worker:
    proc: subprocess.Popen[str]
    ready: dict[str, Any] = field(default_factory=dict)

    async def line(self, within: float) -> dict[str, Any]:
        return await _load.json_line(self.proc, within)


def start_workers(url: str, viewers: int, procs: int, probe_every: int) -> list[Worker]:
    workers = []
    per = [viewers // procs + (1 if i < viewers % procs else 0) for i in range(procs)]
    offset = 0
    for count in per:
        spec = {"url": url, "count": count, "probe_every": probe_every, "offset": offset}
        offset += count
        proc = subprocess.Popen([sys.executable, __file__, "--worker", json.dumps(spec)], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        workers.append(Worker(proc))
    return workers


@dataclass
class Posting:
    sent: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def post_comments(urls: list[str], rate: float, seconds: float) -> Posting:
    """`rate` comments/s spread round-robin over the posters; bodies carry the send time."""
    from websockets.asyncio.client import connect

    result = Posting()
    # close_timeout: an overloaded server must not stretch the run while posters say goodbye.
    sockets = [await connect(u, compression=None, ping_interval=None, max_queue=None, close_timeout=0.5)
               for u in urls]

    async def drain(ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                if '"type":"error"' in raw:
                    for m in json.loads(raw):
                        if m.get("type") == "error":
                            result.errors[m["code"]] = result.errors.get(m["code"], 0) + 1

    readers = [asyncio.create_task(drain(ws)) for ws in sockets]
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    start = loop.time()
    for n in range(total):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await sockets[n % len(sockets)].send(json.dumps({"type": "comment", "body": f"t={time.time():.6f} n={n}"}))
        result.sent += 1
    result.seconds = loop.time() - start
    await asyncio.sleep(DRAIN_SECONDS)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return result


class Process:
    """A server subprocess (laotie or the baseline), CPU accounted from /proc."""

    def __init__(self, cmd: list[str], env: dict[str, str], workdir: Path) -> None:
        self.port = _load.free_port()
        self.cmd = [*cmd, "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                    "--no-access-log", "--backlog", "8192"]
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.log_path = workdir / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> subprocess.Popen[bytes]:
        with self.log_path.open("wb") as log:
            return subprocess.Popen(self.cmd, env=self.env, cwd=self.log_path.parent, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    async def __aenter__(self) -> Process:
        self.proc = self.spawn()
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return self
            except OSError:
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    async def __aexit__(self, *_exc: object) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def problems(self) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [ln for ln in text.splitlines() if "Traceback" in ln or "ERROR" in ln]


async def seed(url: str, workdir: Path, posters: int) -> tuple[int, list[str]]:
    from laotie.identity import service as identity
    from laotie.live.sale.service import cart

    async with _seed.seeded(url, workdir, SECRET) as (s, user):
        room = await _seed.live_host(s, user, title="Linyi apples 5kg", price=9900, stock=1000,
                                     attributes={"size": "M"})
        await cart.add_to_live_cart(s, room.host, room.session_id, room.product_id)
        await cart.pin_product(s, room.host, room.session_id, room.product_id)
        tokens = [await identity.issue_api_token(s, await user(f"bench-poster-{i}", {"consumer"}))
                  for i in range(posters)]
    return room.session_id, tokens


async def run_once(kind: str, viewers: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"laotie-chat-{kind}-"))
    try:
        if kind == "laotie":
            url = f"sqlite+aiosqlite:///{workdir / 'laotie.db'}"
            session_id, tokens = await seed(url, workdir, args.posters)
            env = {"LAOTIE_DATABASE_URL": url, "LAOTIE_DATA_DIR": str(workdir), "LAOTIE_SECRET_KEY": SECRET,
                   "LAOTIE_MEDIA_DIR": str(workdir / "media"), "LAOTIE_JOBS_ENABLED": "false"}
            cmd = [sys.executable, "-m", "uvicorn", "laotie.app:create_app", "--factory"]
        else:
            env, tokens, session_id = {}, ["-"] * args.posters, 0
            cmd = [sys.executable, "-m", "uvicorn", "bench._raw_broadcast:app"]
        async with Process(cmd, env, workdir) as server:
            base = f"ws://127.0.0.1:{server.port}"
            room_url = f"{base}/ws/live/{session_id}" if kind == "laotie" else f"{base}/ws"
            poster_urls = ([f"{room_url}?token={t}" for t in tokens] if kind == "laotie" else [room_url] * len(tokens))
            connect_started = time.monotonic()
            workers = start_workers(room_url, viewers, args.client_procs, args.probe_every)
            for w in workers:
                w.ready = await w.line(within=180)
            connect_s = time.monotonic() - connect_started
            ui.print(f"  {kind}: {sum(w.ready['ready'] for w in workers):,} viewers connected in {connect_s:.1f} s"
                     f" ({sum(w.ready['failed'] for w in workers)} failed)")
            cpu0 = server.cpu_seconds()
            wall0 = time.monotonic()
            posting = await post_comments(poster_urls, args.rate, args.seconds)
            wall = time.monotonic() - wall0
            server_cpu = server.cpu_seconds() - cpu0
            results = []
            for w in workers:
                assert w.proc.stdin is not None
                w.proc.stdin.write("STOP\n")
                w.proc.stdin.flush()
            for w in workers:
                results.append(await w.line(within=60))
                w.proc.wait(timeout=30)
            problems = server.problems()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    connected = sum(r["connected"] for r in results)
    delivered = sum(r["delivered"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    skipped = max((r["skipped"] for r in results), default=0)
    expected = posting.sent * connected
    shown_expected = (posting.sent - skipped) * connected

    def pct(p: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    firsts = [r["first_at"] for r in results if r["first_at"]]
    span = max((r["last_at"] for r in results), default=0.0) - min(firsts) if firsts else 0.0
    closed: dict[str, int] = {}
    for r in results:
        for code, n in r["closed"].items():
            closed[code] = closed.get(code, 0) + n
    return {
        "viewers": viewers, "connected": connected, "connect_failed": sum(r["failed"] for r in results),
        "comments_sent": posting.sent, "post_errors": posting.errors, "post_seconds": round(posting.seconds, 2),
        "delivered": delivered, "expected": expected,
        "delivered_share": round(delivered / expected, 4) if expected else 0.0,
        "skipped_by_cap": skipped,
        "shown_share": round(delivered / shown_expected, 4) if shown_expected else 0.0,
        "delivered_per_s": round(delivered / span, 1) if span > 0 else 0.0,
        "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0), "latency_samples": len(latencies),
        "duplicates": sum(r["duplicates"] for r in results),
        "min_per_viewer": min((r["min_per_viewer"] for r in results), default=0),
        "dropped_slow": closed.get("4008", 0), "closed": closed,
        "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "wall_s": round(wall, 1), "connect_s": round(connect_s, 1), "server_log_problems": problems[:5],
    }


def render(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    table = Table(title=f"live chat fan-out: {args.rate:g} comments/s for {args.seconds:g} s, one server process")
    table.add_column("figure")
    for name in results:
        table.add_column(name, justify="right")

    def row(label: str, fmt: Any) -> None:
        table.add_row(label, *("-" if "error" in r else fmt(r) for r in results.values()))

    row("viewers connected", lambda r: f"{r['connected']:,} / {r['viewers']:,}")
    row("comments sent (post errors)", lambda r: f"{r['comments_sent']:,} ({sum(r['post_errors'].values())})")
    row("delivered messages/s", lambda r: f"{r['delivered_per_s']:,.0f}")
    row("delivered share", lambda r: f"{r['delivered_share']:.2%}")
    row("skipped by display cap", lambda r: f"{r['skipped_by_cap']:,}")
    row("shown share (under the cap)", lambda r: f"{r['shown_share']:.2%}")
    row("p50 latency ms", lambda r: f"{r['p50_ms']}")
    row("p99 latency ms", lambda r: f"{r['p99_ms']}")
    row("max latency ms", lambda r: f"{r['max_ms']}")
    row("latency samples", lambda r: f"{r['latency_samples']:,}")
    row("duplicates / dropped as slow", lambda r: f"{r['duplicates']} / {r['dropped_slow']}")
    row("server CPU s (wall s)", lambda r: f"{r['server_cpu_s']} ({r['wall_s']})")
    row("client CPU s", lambda r: f"{r['client_cpu_s']}")
    row("connect time s", lambda r: f"{r['connect_s']}")
    out.print(table)
    for name, r in results.items():
        if "error" in r:
            out.print(f"[red]{name} failed:[/] {r['error']}")
        for line in r.get("server_log_problems", []):
            out.print(f"[yellow]{name} server log:[/] {line}")


async def main(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for viewers in args.viewers:
        for kind in ("laotie", "baseline") if args.baseline else ("laotie",):
            ui.print(f"[bold]{kind}, {viewers:,} viewers[/]")
            try:
                results[f"{kind} {viewers}"] = await run_once(kind, viewers, args)
            except Exception as exc:
                ui.print_exception()
                results[f"{kind} {viewers}"] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    return results


def summary(results: dict[str, dict[str, Any]], args: argparse.Namespace, fd_limit: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"bench": "live_chat", "rate": args.rate, "seconds": args.seconds,
                           "client": f"{args.client_procs} client processes (websockets asyncio client, uvloop), "
                                     f"latency on every {args.probe_every}th viewer; server and clients share "
                                     f"{os.cpu_count()} cores", "fd_limit": fd_limit}
    keys = ("connected", "comments_sent", "post_errors", "delivered_per_s", "delivered_share", "skipped_by_cap",
            "shown_share", "p50_ms", "p99_ms", "max_ms", "duplicates", "dropped_slow", "server_cpu_s",
            "client_cpu_s")
    for name, r in results.items():
        doc[name] = {"error": r["error"]} if "error" in r else {k: r[k] for k in keys}
    target = results.get(f"laotie {TARGET_VIEWERS}")
    met: dict[str, bool] = {}
    if target is not None:
        ok = "error" not in target
        met["every_comment_shown_at_5000"] = ok and target["shown_share"] >= TARGET_SHOWN
        met["p99_le_500ms_at_5000"] = ok and target["p99_ms"] is not None and target["p99_ms"] <= TARGET_P99_MS
        met["no_duplicates"] = ok and target["duplicates"] == 0
    doc["targets"] = {"viewers": TARGET_VIEWERS, "shown_share": TARGET_SHOWN, "p99_ms": TARGET_P99_MS}
    doc["met"] = met
    doc["all_met"] = bool(met) and all(met.values())
    return doc


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", default="1000,5000", help="comma-separated viewer counts")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long comments are sent")
    parser.add_argument("--rate", type=float, default=50.0, help="comments per second")
    parser.add_argument("--posters", type=int, default=60, help="accounts posting (limit is 1/s each)")
    parser.add_argument("--client-procs", type=int, default=2, help="viewer client processes")
    parser.add_argument("--probe-every", type=int, default=10, help="latency measured on every Nth viewer")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    args = parser.parse_args()
    args.viewers = [int(v) for v in args.viewers.split(",") if v.strip()]
    return args


def run() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        _load.raise_fd_limit()
        import uvloop

        uvloop.run(worker_main(json.loads(sys.argv[2])))
        return
    args = parse_args()
    fd_limit = _load.raise_fd_limit()  # inherited by the servers and the client workers
    for name in [n for n in os.environ if n.startswith("LAOTIE_")]:
        del os.environ[name]  # the server runs on laotie's defaults plus what this bench sets
    started = time.monotonic()
    import uvloop

    results = uvloop.run(main(args))
    render(results, args)
    doc = summary(results, args, fd_limit)
    doc["runtime_s"] = round(time.monotonic() - started, 1)
    out.print(f"total runtime {doc['runtime_s']} s")
    sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    run()
