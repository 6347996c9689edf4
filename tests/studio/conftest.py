"""Fixtures of the review studio's tests: a small real project, a studio on SQLite or on a
real PostgreSQL server, accounts for every role, and the ASGI app driven by httpx.

PostgreSQL: ``PRODUCER_TEST_POSTGRES_URL`` (``.ci/run`` starts a throwaway cluster and sets
it; locally ``eval "$(.ci/postgres start)"``). Each test gets its own database, dropped after.
Without it the PostgreSQL variants skip, saying so.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from argon2 import PasswordHasher

with warnings.catch_warnings():
    # Starlette 1.x would rather have httpx2 under its TestClient; httpx works the same here.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from producer.web import create_app
from producer.workflows import project as project_wf
from producer.workflows.studio import Studio, accounts, command_line_principal, open_studio, review

# argon2 at its production cost (64 MiB, 3 passes) takes ~0.1-1 s a hash on a shared machine;
# the in-process tests use a cheap hasher (verify reads the cost from each hash, so the code
# path is the same). The served-process tests (test_server.py) keep the real cost.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
accounts._DUMMY_HASH = accounts._hasher.hash("dummy")

PG_ENV = "PRODUCER_TEST_POSTGRES_URL"
PASSWORD = "correct horse battery"
ROLES = ("producer", "engineer", "artist", "label", "guest")
SONG = "first-light"


def tone(path: Path, seconds: float, freq: float, level: float, rate: int = 48000) -> Path:
    """A stereo test signal: a tone with a slow swell and a little noise (seeded)."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(int(freq))
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * t / 7.0)
    x = level * swell * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    sf.write(path, np.stack([x, 0.9 * x], axis=1).astype(np.float32), rate, subtype="PCM_24")
    return path


def make_project(root: Path, seconds: float = 20.0) -> Path:
    """A project with one song holding one audio track: a real mix to render and review."""
    project_wf.new_project(root, "Test Album", "The Testers")
    slug = project_wf.add_song(root, "First Light")
    assert slug == SONG
    src = tone(root.parent / f"{root.name}-guitar.wav", seconds, 220.0, 0.3)
    project_wf.import_audio(root, SONG, [src], track="Guitar")
    return root


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(
            f"PostgreSQL: {PG_ENV} is not set (.ci/run starts a throwaway cluster; "
            'locally: eval "$(.ci/postgres start)")'
        )
    return url


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server of PRODUCER_TEST_POSTGRES_URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = _postgres_url()
    name = f"producer_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is configured but not reachable: say so
        pytest.fail(f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)}: {exc}")
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The studio database: SQLite in the project, then a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'proj' / '.producer' / 'studio.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project built per session (copied per test: rendering is the slow part)."""
    root = tmp_path_factory.mktemp("studio-src") / "proj"
    make_project(root)
    return root


@pytest.fixture
def project_root(built_project: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "proj"
    shutil.copytree(built_project, dst)
    return dst


@dataclass
class Env:
    root: Path
    studio: Studio
    client: TestClient
    tokens: dict[str, str]
    url: str

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def publish(self, note: str = "") -> int:
        return review.publish(self.studio, command_line_principal(), SONG, note).id


def add_accounts(studio: Studio) -> None:
    for role in ROLES:
        accounts.add_user(studio, f"{role}@example.com", role.title(), role, PASSWORD)


@pytest.fixture
def env(project_root: Path, db_url: str) -> Iterator[Env]:
    """The project's studio on SQLite and on PostgreSQL, an account of every role logged in
    (bearer tokens), and an httpx client driving the ASGI app in process."""
    studio = open_studio(project_root, db_url)
    add_accounts(studio)
    client = TestClient(create_app(studio))
    tokens = {}
    for role in ROLES:
        r = client.post("/api/login", json={"email": f"{role}@example.com", "password": PASSWORD})
        assert r.status_code == 200, r.text
        tokens[role] = r.json()["token"]
    yield Env(project_root, studio, client, tokens, db_url)
    client.close()
    studio.close()
