"""The batch's progress line: counts, throughput and the time left at the run's own pace."""

from __future__ import annotations

from producer.workflows.batch.runner import Event, Outcome, _Counts
from producer.workflows.batch.tasks import Task
from producer.workflows.progress import reporting


def _finished(status: str, attempts: int = 1) -> Event:
    return Event("finished", Outcome(Task("master", "x.wav", "x.wav"), status, attempts=attempts))


def test_counts_throughput_and_eta_follow_the_tasks_run() -> None:
    now = [100.0]
    said: list[tuple[str, float, float | None]] = []
    counts = _Counts(clock=lambda: now[0])
    with reporting(lambda stage, done, total: said.append((stage, done, total))):
        counts(Event("start", total=10))
        assert said[-1] == ("0/10 run · done 0 · failed 0 · skipped 0", 0, 10)  # no pace yet
        counts(_finished("skipped", attempts=0))  # done by an earlier run: not part of the pace
        now[0] += 30.0
        counts(_finished("done"))
        counts(_finished("failed"))
        # 2 tasks in 30 s: 4.0 per minute; 8 left at 15 s each: 2:00.
        assert said[-1] == (
            "2/10 run · done 1 · failed 1 · skipped 1 · 4.0/min · ETA 2:00",
            2,
            10,
        )
        now[0] += 3570.0  # 3 tasks in an hour: the 7 left take 2 h 20 min
        counts(_finished("done"))
        assert said[-1][0].endswith("· 0.1/min · ETA 2:20:00")
        counts(Event("retry", message="x.wav: its worker died; retrying"))
        assert len(said) == 5  # a retry moves nothing


def test_eta_is_zero_when_everything_has_run() -> None:
    now = [0.0]
    counts = _Counts(clock=lambda: now[0])
    said: list[str] = []
    with reporting(lambda stage, done, total: said.append(stage)):
        counts(Event("start", total=1))
        now[0] = 12.0
        counts(_finished("done"))
    assert said[-1] == "1/1 run · done 1 · failed 0 · skipped 0 · 5.0/min · ETA 0:00"
