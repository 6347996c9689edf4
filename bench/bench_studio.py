"""Review studio load test (issue 12): `producer serve` on 127.0.0.1 under 50 clients.

A real server process (uvicorn, as users run it) on SQLite (and on PostgreSQL when
``PRODUCER_TEST_POSTGRES_URL`` names a server). 50 concurrent clients, each logged in with
its own bearer token, loop for 30 s: post a comment, fetch the version's peaks, fetch a
64 KiB range of its audio, and every fifth round the comment list, then waits
``BENCH_STUDIO_THINK_MS`` (default 1000 ms): a person listening and commenting, whose player
fetches about a range a second (a closed loop with no pause would only measure the queue in
front of a saturated server, whatever its speed). Printed: requests/s, p50/p95/max per kind of call, errors, and whether every
comment the server confirmed (201) is listed afterwards.

Goals: no error, no lost comment, p95 < 100 ms for the JSON calls on SQLite. The load
generator runs on the same 2 cores as the server: its CPU time is printed beside the
server's. Bounded: ``BENCH_STUDIO_SECONDS`` (default 30), ``BENCH_STUDIO_CLIENTS`` (50);
every request has a 10 s timeout; loopback only.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from producer.workflows import project as project_wf
from producer.workflows.studio import accounts, command_line_principal, open_studio, review

PASSWORD = "bench password 1"
SONG = "load-test"


def _project(root: Path) -> None:
    project_wf.new_project(root, "Bench Album", "Load")
    project_wf.add_song(root, "Load Test")
    rate, seconds = 48000, 180.0
    t = np.arange(int(rate * seconds)) / rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * t / 9))
    src = root.parent / "bench-source.wav"
    sf.write(src, np.stack([x, x], axis=1).astype(np.float32), rate, subtype="PCM_24")
    project_wf.import_audio(root, SONG, [src], track="Tone")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _load(
    url: str, tokens: list[str], vid: int, size: int, seconds: float, think_s: float
) -> dict[str, object]:
    lat: dict[str, list[float]] = {
        "POST comment": [],
        "GET peaks": [],
        "GET comments": [],
        "GET audio range": [],
    }
    errors: list[str] = []
    confirmed: list[int] = []
    stop_at = time.monotonic() + seconds
    # A client drops an idle connection before the server would (uvicorn keeps them 20 s):
    # otherwise a request can race the server's close of the same connection.
    limits = httpx.Limits(max_connections=len(tokens) + 5, keepalive_expiry=2.0)

    async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as http:

        async def call(
            kind: str, method: str, path: str, token: str, **kw: object
        ) -> httpx.Response | None:
            t0 = time.perf_counter()
            try:
                r = await http.request(
                    method,
                    path,
                    headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})},
                    **kw,
                )  # type: ignore[arg-type]
            except httpx.HTTPError as exc:
                errors.append(f"{kind}: {type(exc).__name__}")
                return None
            lat[kind].append(time.perf_counter() - t0)
            ok = {"POST comment": 201, "GET audio range": 206}.get(kind, 200)
            if r.status_code != ok:
                errors.append(f"{kind}: HTTP {r.status_code}")
            return r

        async def client(n: int, token: str) -> None:
            rng = random.Random(n)
            i = 0
            await asyncio.sleep(rng.random() * think_s)  # not all at once
            while time.monotonic() < stop_at:
                i += 1
                r = await call(
                    "POST comment",
                    "POST",
                    f"/api/versions/{vid}/comments",
                    token,
                    json={"start_s": rng.random() * 170, "body": f"client {n} note {i}"},
                )
                if r is not None and r.status_code == 201:
                    confirmed.append(r.json()["id"])
                await call("GET peaks", "GET", f"/api/versions/{vid}/peaks", token)
                start = rng.randrange(0, size - 65536)
                await call(
                    "GET audio range",
                    "GET",
                    f"/api/versions/{vid}/audio",
                    token,
                    headers={"Range": f"bytes={start}-{start + 65535}"},
                )
                if i % 5 == 0:
                    await call("GET comments", "GET", f"/api/versions/{vid}/comments", token)
                await asyncio.sleep(think_s)

        t0 = time.perf_counter()
        await asyncio.gather(*(client(n, tok) for n, tok in enumerate(tokens)))
        wall = time.perf_counter() - t0
        r = await http.get(
            f"/api/versions/{vid}/comments", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        listed = {c["id"] for c in r.json()}
    return {"lat": lat, "errors": errors, "confirmed": confirmed, "listed": listed, "wall": wall}


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def run(db: str | None, label: str) -> bool:
    seconds = float(os.environ.get("BENCH_STUDIO_SECONDS", "30"))
    n_clients = int(os.environ.get("BENCH_STUDIO_CLIENTS", "50"))
    think_s = float(os.environ.get("BENCH_STUDIO_THINK_MS", "1000")) / 1000
    with tempfile.TemporaryDirectory(prefix="producer-bench-studio-") as tmp:
        root = Path(tmp) / "proj"
        _project(root)
        url_db = db or f"sqlite:///{root / '.producer' / 'studio.db'}"
        studio = open_studio(root, url_db)
        users = 10
        for k in range(users):
            accounts.add_user(
                studio, f"listener{k}@example.com", f"Listener {k}", "artist", PASSWORD
            )
        v = review.publish(studio, command_line_principal(), SONG)
        size = (root / "renders" / f"{v.render_id}.wav").stat().st_size
        studio.close()
        port = _port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "producer",
                "-C",
                str(root),
                "serve",
                "--port",
                str(port),
                "--db",
                url_db,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(url + "/login", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            tokens = [
                httpx.post(
                    url + "/api/login",
                    json={"email": f"listener{n % users}@example.com", "password": PASSWORD},
                    timeout=30,
                ).json()["token"]
                for n in range(n_clients)
            ]
            cpu0_server = _cpu_s(server.pid)
            cpu0_self = resource.getrusage(resource.RUSAGE_SELF)
            out = asyncio.run(_load(url, tokens, v.id, size, seconds, think_s))
            cpu_server = _cpu_s(server.pid) - cpu0_server
            ru = resource.getrusage(resource.RUSAGE_SELF)
            cpu_self = ru.ru_utime + ru.ru_stime - cpu0_self.ru_utime - cpu0_self.ru_stime
        finally:
            server.kill()
            server.wait()
    lat: dict[str, list[float]] = out["lat"]  # type: ignore[assignment]
    errors: list[str] = out["errors"]  # type: ignore[assignment]
    confirmed: list[int] = out["confirmed"]  # type: ignore[assignment]
    listed: set[int] = out["listed"]  # type: ignore[assignment]
    wall: float = out["wall"]  # type: ignore[assignment]
    total = sum(len(v) for v in lat.values())
    print(
        f"  {label}: {n_clients} clients × {seconds:.0f} s, think {think_s * 1000:.0f} ms: "
        f"{total} requests, {total / wall:.0f} requests/s; CPU server {cpu_server:.1f} s "
        f"({cpu_server / max(total, 1) * 1000:.1f} ms a request), load generator {cpu_self:.1f} s"
    )
    for kind, values in lat.items():
        print(
            f"    {kind:<16} n={len(values):6d}  p50 {_pct(values, 0.5) * 1000:7.1f} ms  "
            f"p95 {_pct(values, 0.95) * 1000:7.1f} ms  max {max(values, default=float('nan')) * 1000:7.1f} ms"
        )
    lost = set(confirmed) - listed
    json_p95 = _pct(lat["POST comment"] + lat["GET peaks"] + lat["GET comments"], 0.95)
    distinct = sorted(set(errors))
    print(
        f"    errors: {len(errors)}{' (' + ', '.join(distinct[:5]) + ')' if errors else ''}; "
        f"comments confirmed {len(confirmed)}, lost {len(lost)}; JSON p95 {json_p95 * 1000:.1f} ms"
    )
    ok = not errors and not lost and (json_p95 < 0.100 or not label.startswith("SQLite"))
    goal = (
        "p95 < 100 ms, no error, no lost comment"
        if label.startswith("SQLite")
        else "no error, no lost comment"
    )
    print(f"    goal ({goal}): {'met' if ok else 'NOT met'}")
    return ok


def main() -> None:
    run(None, "SQLite")
    pg = os.environ.get("PRODUCER_TEST_POSTGRES_URL")
    if pg:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"producer_bench_{os.getpid()}"
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            run(make_url(pg).set(database=name).render_as_string(hide_password=False), "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("  PostgreSQL: skipped (set PRODUCER_TEST_POSTGRES_URL; .ci/postgres start)")


if __name__ == "__main__":
    main()
