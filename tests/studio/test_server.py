"""`producer serve` as users run it: a real uvicorn process on 127.0.0.1, argon2 at its real
cost, and what survives a restart and a `kill -9` in the middle of requests — on SQLite and
on a real PostgreSQL server."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import PASSWORD, SONG
from producer.workflows.studio import accounts, command_line_principal, open_studio, review


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path, db: str) -> None:
        self.root, self.db, self.port = root, db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "producer",
                "-C",
                str(self.root),
                "serve",
                "--port",
                str(self.port),
                "--db",
                self.db,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 180  # a shared machine under load can be slow
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                raise AssertionError(f"producer serve exited {self.proc.returncode}: {out}")
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("producer serve did not answer within 180 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


@pytest.fixture
def served(project_root: Path, db_url: str) -> Iterator[Server]:
    studio = open_studio(project_root, db_url)
    accounts.add_user(studio, "artist@example.com", "Ada", "artist", PASSWORD)
    accounts.add_user(studio, "producer@example.com", "Ben", "producer", PASSWORD)
    review.publish(studio, command_line_principal(), SONG)
    studio.close()
    server = Server(project_root, db_url)
    server.start()
    yield server
    server.stop(signal.SIGKILL)


def login(server: Server, email: str) -> dict[str, str]:
    r = httpx.post(
        server.url + "/api/login", json={"email": email, "password": PASSWORD}, timeout=30
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _check_loopback_and_secret(served: Server) -> None:
    r = httpx.get(served.url + "/api/songs", timeout=10)
    assert r.status_code == 401 and r.json() == {"error": "log in first (or use a share link)"}
    out = (
        subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout if _has("ss") else ""
    )
    if out:
        lines = [line for line in out.splitlines() if f":{served.port} " in line]
        assert lines and all("127.0.0.1:" in line for line in lines), lines
    # The secret is outside the documents and private.
    secret = served.root / ".producer" / "studio.secret"
    assert secret.stat().st_mode & 0o777 == 0o600


def _has(cmd: str) -> bool:
    import shutil

    return shutil.which(cmd) is not None


def test_comments_and_approvals_survive_restart_and_kill_9(served: Server) -> None:
    _check_loopback_and_secret(served)
    artist = login(served, "artist@example.com")
    producer = login(served, "producer@example.com")
    vid = httpx.get(served.url + f"/api/songs/{SONG}/versions", headers=artist, timeout=10).json()[
        0
    ]["id"]
    first = httpx.post(
        served.url + f"/api/versions/{vid}/comments",
        json={"start_s": 12.0, "body": "before restart"},
        headers=artist,
        timeout=10,
    )
    assert first.status_code == 201
    assert (
        httpx.post(
            served.url + f"/api/versions/{vid}/approve", headers=artist, timeout=30
        ).status_code
        == 201
    )
    # A clean restart.
    served.stop(signal.SIGTERM)
    served.start()
    artist = login(served, "artist@example.com")  # tokens live in the database: still valid, too
    comments = httpx.get(
        served.url + f"/api/versions/{vid}/comments", headers=artist, timeout=10
    ).json()
    assert [c["body"] for c in comments] == ["before restart"]
    v = httpx.get(served.url + f"/api/versions/{vid}", headers=producer, timeout=10).json()
    assert [a["role"] for a in v["approvals"]] == ["artist"]

    # kill -9 while writers are busy: every comment the server confirmed (201) is there after.
    confirmed: list[int] = []
    stop = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(base_url=served.url, headers=artist, timeout=10) as c:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = c.post(
                        f"/api/versions/{vid}/comments", json={"start_s": 1.0, "body": f"w{n}-{i}"}
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 201:
                    confirmed.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(1.5)

    def approve_now() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it: expected
            httpx.post(served.url + f"/api/versions/{vid}/approve", headers=producer, timeout=10)

    approve = threading.Thread(target=approve_now)
    approve.start()
    time.sleep(0.3)
    served.stop(signal.SIGKILL)
    stop.set()
    for t in [*threads, approve]:
        t.join(timeout=30)
    assert len(confirmed) > 5
    served.start()
    artist = login(served, "artist@example.com")
    listed = {
        c["id"]
        for c in httpx.get(
            served.url + f"/api/versions/{vid}/comments", headers=artist, timeout=10
        ).json()
    }
    assert set(confirmed) <= listed, f"lost {len(set(confirmed) - listed)} confirmed comments"
    assert first.json()["id"] in listed
    roles = [
        a["role"]
        for a in httpx.get(served.url + f"/api/versions/{vid}", headers=artist, timeout=10).json()[
            "approvals"
        ]
    ]
    assert roles[0] == "artist" and set(roles) <= {"artist", "producer"}
    if served.db.startswith("sqlite"):
        import sqlite3

        path = served.db.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
