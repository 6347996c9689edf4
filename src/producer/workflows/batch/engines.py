"""Where the tasks run: a local process pool, or a Dask distributed cluster. One interface.

Both engines hand the driver a :class:`concurrent.futures.Executor` — a
``ProcessPoolExecutor`` or Dask's ``Client.get_executor()`` — so submitting, waiting and
collecting results is one code path (:mod:`.runner`). What differs is kept here:

* how many tasks run at once (``slots``) and each task's share of its machine's CPUs
  (``threads``, so that tasks × threads ≤ cores: no oversubscription of BLAS, the engine's
  and the meter's thread pools);
* how a dead worker shows: a local pool is *broken* by one dead process (every pending future
  fails with ``BrokenProcessPool``) and must be recreated (:meth:`LocalPool.renew`); Dask
  reschedules the dead worker's tasks itself and gives one up with ``KilledWorker`` after its
  ``allowed-failures`` (3) deaths.

The local pool starts its workers with ``forkserver`` (never ``fork``: the parent may hold
threads — libsndfile readers, JUCE — that a forked child would inherit half-locked); the
fork server preloads the task module and the workflow it calls, so a recreated pool starts in milliseconds rather than
re-importing numpy, scipy and pedalboard for each worker.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from producer import cpus
from producer.errors import UserError

TASK_MODULE = "producer.workflows.batch.tasks"


class Engine(Protocol):
    """What the driver needs from an engine."""

    name: str
    slots: int
    threads: int

    @property
    def executor(self) -> Executor: ...

    def describe(self) -> str: ...

    def worker_died(self, exc: BaseException) -> bool:
        """Whether a future's exception means its worker died (retry the task elsewhere)."""
        ...

    def broken(self, exc: BaseException) -> bool:
        """Whether the executor itself is unusable and must be renewed (every pending task
        resubmitted)."""
        ...

    def renew(self) -> None: ...

    def close(self) -> None: ...


def _threads_per_task(cores: int, tasks: int) -> int:
    return max(1, cores // max(1, tasks))


class LocalPool:
    """``workers`` processes on this machine (default: one per CPU the process may use)."""

    name = "local"

    def __init__(
        self, workers: int | None = None, threads: int | None = None, preload: Sequence[str] = ()
    ) -> None:
        cores = cpus.machine()
        if workers is not None and workers < 1:
            raise UserError(f"--workers {workers}: give 1 or more")
        self.slots = workers or cores
        self.threads = _threads_per_task(cores, self.slots) if threads is None else threads
        if self.slots * self.threads > max(cores, self.slots):
            raise UserError(
                f"--threads {self.threads} × {self.slots} worker(s) is more than the {cores} "
                "CPU(s) of this machine: the workers would slow each other down"
            )
        self.renewals = 0
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([TASK_MODULE, *preload])
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        from producer.workflows.batch.tasks import watch_driver

        return ProcessPoolExecutor(
            max_workers=self.slots,
            mp_context=self._context,
            initializer=watch_driver,
            initargs=(os.getpid(),),
        )

    @property
    def executor(self) -> Executor:
        return self._pool

    def describe(self) -> str:
        return f"local pool, {self.slots} worker(s) × {self.threads} thread(s)"

    def worker_died(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def broken(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def renew(self) -> None:
        """Replace the broken pool with a fresh one (new processes)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        self.renewals += 1

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _cpu_count() -> int:
    """Run on each Dask worker: the CPUs of its machine (for the thread budget)."""
    return cpus.machine()


class DaskCluster:
    """The workers of a running Dask scheduler at ``address`` (``tcp://HOST:PORT``)."""

    name = "dask"

    def __init__(
        self, address: str, threads: int | None = None, connect_timeout_s: float = 10.0
    ) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise UserError(
                '--scheduler needs Dask distributed: pip install "producer[cluster]"'
            ) from None
        self.address = address
        try:
            client: Any = Client(  # type: ignore[no-untyped-call]
                address, timeout=connect_timeout_s, set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            raise UserError(
                f"--scheduler {address}: cannot reach a Dask scheduler ({exc})"
            ) from None
        self.client = client
        try:
            client.wait_for_workers(1, timeout=connect_timeout_s)
        except (OSError, TimeoutError):
            client.close()
            raise UserError(
                f"--scheduler {address}: the scheduler has no workers "
                "(start some with: dask worker " + address + ")"
            ) from None
        self.slots, self.threads, self.workers = self._measure()
        if threads is not None:
            self.threads = threads
        # pure=False: a resubmitted task is a new Dask task, not the failed one again.
        self._executor = client.get_executor(pure=False)

    def _measure(self) -> tuple[int, int, int]:
        """Task slots (the workers' threads) and the thread budget per task: on each host,
        its CPUs over the tasks it runs at once; the smallest over the hosts."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        per_host: Counter[str] = Counter()
        for w in info.values():
            per_host[str(w["host"])] += int(w["nthreads"])
        cores = self.client.run(_cpu_count)
        host_cores: dict[str, int] = {}
        for addr, n in cores.items():
            host = str(info[addr]["host"]) if addr in info else addr
            host_cores[host] = int(n)
        threads = min(
            (_threads_per_task(host_cores.get(h, 1), n) for h, n in per_host.items()), default=1
        )
        return max(1, sum(per_host.values())), threads, len(info)

    @property
    def executor(self) -> Executor:
        return self._executor  # type: ignore[no-any-return]

    def describe(self) -> str:
        return (
            f"Dask cluster {self.address}, {self.workers} worker(s), {self.slots} slot(s) "
            f"× {self.threads} thread(s)"
        )

    def worker_died(self, exc: BaseException) -> bool:
        from distributed.scheduler import KilledWorker

        return isinstance(exc, KilledWorker)

    def broken(self, exc: BaseException) -> bool:
        return False

    def renew(self) -> None:  # pragma: no cover - Dask never reports a broken executor
        return None

    def close(self) -> None:
        try:
            self._executor.shutdown(wait=False)
        finally:
            self.client.close()


def open_engine(
    workers: int | None = None,
    scheduler: str | None = None,
    kind: str = "",
    threads: int | None = None,
) -> Engine:
    """The engine the command asked for: Dask when a scheduler address is given.

    ``threads`` is each task's thread budget (default: the cores of its machine over the
    tasks that run there at once). ``kind`` ("master", "mix", "meter") names the workflow
    the local pool's fork server imports once for all its workers."""
    if threads is not None and threads < 1:
        raise UserError(f"--threads {threads}: give 1 or more")
    if scheduler:
        if workers is not None:
            raise UserError(
                "--workers is for the local pool; a Dask cluster has the workers it was "
                "started with (dask worker --nworkers N)"
            )
        return DaskCluster(scheduler, threads)
    return LocalPool(workers, threads, [f"producer.workflows.{kind}"] if kind else [])


__all__ = ["DaskCluster", "Engine", "LocalPool", "open_engine"]
