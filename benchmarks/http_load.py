"""Hit/no-hit through the HTTP API under load: sustained requests per second and latency
at 50 concurrent clients, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/http_load.py [--backend sqlite postgresql] [--targets 100000]
                                             [--seconds 20] [--clients 50] [--work DIR]

For each backend: a store with a register of --targets identifiers (built as
`benchmarks/hits.py` builds it), one liaison account, `emco serve` started as a
subprocess on a free loopback port, a service token made for the account (what a
service's own system would use: `Authorization: Bearer`), then 50 clients posting hit
queries (known and unknown identifiers, alternated) for --seconds after a short warm-up.
The per-user limit on hit queries (`EMCO_HIT_RATE`, 60 a minute by default) is raised
for the run: what is measured is the server, not the limit.
The load generator is wrk (Debian package `wrk`) with a Lua script when it is installed,
otherwise an asyncio client over httpx with the same concurrency; the output says which.
Every query is audited, so every request is also a write of the audit chain.
"""

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from hits import build, key_of, phone  # the register of the sibling benchmark

from emco.access import auth, tokens
from emco.access.gate import Access
from emco.model.enums import Permission, Protection, Role
from emco.store.db import Database

PASSWORD = "benchmark password"
EMCO = Path(sys.executable).parent / "emco"
LUA = """
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, nil, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%f %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def queries(n_targets: int, count: int = 200) -> list[str]:
    out = []
    for n in range(count):
        kind, value = key_of(1 + (n * 4999) % n_targets) if n % 2 else \
            ("phone", phone(90_000_000 + n))
        out.append(json.dumps({"kind": kind, "value": value}))
    return out


def serve(url: str, port: int, data: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "EMCO_DATABASE_URL": url, "EMCO_DATA_DIR": str(data),
           "EMCO_PORT": str(port), "EMCO_HIT_RATE": "1000000/minute"}
    proc = subprocess.Popen([str(EMCO), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def run_wrk(base: str, auth_header: str, bodies: list[str], clients: int, seconds: int
            ) -> tuple[int, int, float, float, float, float]:
    script = LUA % ", ".join(json.dumps(b) for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        result = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", fh.name,
             "-H", auth_header, "-H", "Content-Type: application/json",
             f"{base}/api/v1/hits"], capture_output=True, text=True, check=True)
    finally:
        os.unlink(fh.name)
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
    requests, errors, micros, p50, p95, p99 = line.split()[1:]
    duration = int(micros) / 1e6
    return (int(requests), int(errors), int(requests) / duration, float(p50) / 1000,
            float(p95) / 1000, float(p99) / 1000)


def run_httpx(base: str, auth_header: str, bodies: list[str], clients: int, seconds: int
              ) -> tuple[int, int, float, float, float, float]:
    async def main() -> tuple[int, int, float, float, float, float]:
        timings: list[float] = []
        errors = 0
        stop = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10,
                                     headers={"Authorization": auth_header.split(": ")[1],
                                              "Content-Type": "application/json"}) as c:
            async def one(worker: int) -> None:
                nonlocal errors
                n = worker
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    r = await c.post("/api/v1/hits", content=bodies[n % len(bodies)])
                    timings.append(time.perf_counter() - started)
                    errors += r.status_code != 200
                    n += clients
            started = time.monotonic()
            await asyncio.gather(*(one(w) for w in range(clients)))
            elapsed = time.monotonic() - started
        timings.sort()

        def pct(p: float) -> float:
            return timings[min(len(timings) - 1, int(p * len(timings)))] * 1000

        return len(timings), errors, len(timings) / elapsed, pct(.5), pct(.95), pct(.99)

    return asyncio.run(main())


def bench(backend: str, work: Path, n_targets: int, clients: int, seconds: int) -> None:
    admin, name = None, ""
    if backend == "sqlite":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        url = f"sqlite:///{work / 'http.sqlite3'}"
    else:
        name = f"emco_http_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    db = Database(url)
    proc = None
    try:
        print(f"{backend}:")
        build(db, n_targets)
        admin_access = Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN})))
        auth.create_user(admin_access, username="bench.ofast", display_name="Bench",
                         agency="OFAST", roles=frozenset({Role.LIAISON}),
                         clearance=Protection.NP, password=PASSWORD)
        token = tokens.create(admin_access, username="bench.ofast", name="load",
                              scopes=[Permission.HIT_QUERY.value], days=1).secret
        db.dispose()
        port = free_port()
        proc = serve(url, port, work)
        base = f"http://127.0.0.1:{port}"
        auth_header = f"Authorization: Bearer {token}"
        bodies = queries(n_targets)
        check = [httpx.post(f"{base}/api/v1/hits", content=b, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            for b in bodies[:2]]
        assert [r.json()["hit"] for r in check] == [False, True], [r.text for r in check]
        assert len(check[0].content) == len(check[1].content)
        runner = run_wrk if shutil.which("wrk") else run_httpx
        tool = "wrk -t2" if runner is run_wrk else "asyncio + httpx"
        runner(base, auth_header, bodies, clients, 3)  # warm-up
        total, errors, rate, p50, p95, p99 = runner(base, auth_header, bodies, clients,
                                                    seconds)
        print(f"  {tool}, {clients} clients, {seconds} s: {rate:,.0f} requests/s "
              f"({total:,} requests, {errors} errors); latency p50 {p50:.1f} ms, "
              f"p95 {p95:.1f} ms, p99 {p99:.1f} ms")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        db.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--work", type=Path, default=Path("/tmp/emco-http"))
    args = parser.parse_args()
    for backend in args.backend:
        bench(backend, args.work, args.targets, args.clients, args.seconds)


if __name__ == "__main__":
    main()
