"""``producer batch master --scheduler``: the same batch on a real Dask cluster on 127.0.0.1.

The test starts Dask's own ``dask scheduler`` and two ``dask worker`` processes from this
virtual environment (free ports, no nanny, one thread each) and stops them afterwards. The
scheduler runs with ``allowed-failures`` 0, so the loss of a worker reaches producer at once
(``KilledWorker``) and producer's own retry runs the task again on the other worker; with
Dask's default (3) the scheduler would reschedule it by itself, invisibly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf
from batch_support import (
    BIN,
    add_corrupt,
    assert_on_target,
    env,
    make_inputs,
    outputs_state,
    parse,
    run,
    start,
    wait_for_records,
)

pytest.importorskip("distributed", reason='the cluster extra: pip install "producer[cluster]"')


QUIET = ("--no-dashboard",)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    address: str
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    e = env()
    e["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"
    log = open(folder / "scheduler.log", "wb")  # noqa: SIM115 - closed below
    procs: list[subprocess.Popen[bytes]] = []
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), *QUIET],
        cwd=folder,
        env=e,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    procs.append(scheduler)
    workers = []
    try:
        for n in range(2):
            w = subprocess.Popen(
                [
                    *(str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", *QUIET),
                    *("--nthreads", "1", "--no-nanny", "--local-directory", str(folder / f"w{n}")),
                ],
                cwd=folder,
                env=env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            procs.append(w)
            workers.append(w)
        with Client(address, timeout=120) as client:
            client.wait_for_workers(2, timeout=120)
        yield Cluster(address, scheduler, workers)
    finally:
        _stop(procs)
        log.close()


def test_cluster_batch_survives_a_killed_worker_reruns_exactly(
    cluster: Cluster, testdata: Path, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    make_inputs(testdata, inputs)
    add_corrupt(testdata, inputs)
    out = tmp_path / "out"
    args = ("batch", "master", inputs, "--profile", "streaming", "-o", out)
    args += ("--scheduler", cluster.address)
    proc = start(*args, "--json", cwd=tmp_path, out=tmp_path / "first.json")
    assert wait_for_records(out, 2, proc, timeout=240, status="done") >= 2
    victim, survivor = cluster.workers
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    code = proc.wait(timeout=300)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 1, stderr  # the corrupt input; everything else succeeded
    import json

    first = json.loads((tmp_path / "first.json").read_text())
    assert "Dask cluster" in first["engine"]
    rows = {Path(i["input"]).name: i for i in first["inputs"]}
    bad = rows.pop("corrupt.wav")
    assert bad["status"] == "failed" and "not a readable audio file" in bad["error"]
    assert len(rows) == 12
    for row in rows.values():
        assert_on_target(row)
    # The tasks the dead worker held were run again, on the other worker.
    retried = [r for r in rows.values() if r["attempts"] > 1]
    assert retried, [r["attempts"] for r in rows.values()]
    assert all(r["worker"].endswith(f":{survivor.pid}") for r in retried), retried

    # A rerun does nothing; changing one input redoes only that one.
    outputs = [p for r in rows.values() for p in r["outputs"]]
    before = outputs_state(outputs)
    again = parse(run(*args, "--json", cwd=tmp_path))
    assert (again["totals"]["skipped"], again["totals"]["done"]) == (12, 0)
    assert again["totals"]["failed"] == 1
    assert outputs_state(outputs) == before
    changed = inputs / "c07.wav"
    data, rate = sf.read(changed, dtype="float32")
    sf.write(changed, data[::-1] * 0.7, rate, subtype="PCM_16")
    third = parse(run(*args, "--json", cwd=tmp_path))
    done = [i for i in third["inputs"] if i["status"] == "done"]
    assert [Path(i["input"]).name for i in done] == ["c07.wav"]
    assert_on_target(done[0])
    after = outputs_state(outputs)
    assert {p for p in outputs if after[p] != before[p]} == set(done[0]["outputs"])
