"""Use case ``producer meter``: measure audio files (BS.1770-4 / EBU R 128) and plot them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer.analysis import loudness
from producer.analysis.loudness import LoudnessReport
from producer.analysis.plots import loudness_plot
from producer.workflows.outputs import check_output


@dataclass(frozen=True)
class FileMeasurement:
    """One file's measurement as the shells show it."""

    path: Path
    report: LoudnessReport

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``producer meter --json`` (null where a value does not exist)."""
        return {"path": str(self.path), **self.report.to_json()}

    def reasons(self) -> dict[str, str]:
        """Why each null value is null, by JSON field."""
        return self.report.reasons()


def meter_files(paths: Sequence[str | os.PathLike[str]]) -> list[FileMeasurement]:
    """Measure each file, streamed in blocks, in the given order.

    Raises FormatError/NotFoundError naming the first file that is missing, not audio,
    empty, or holds NaN/Inf samples.
    """
    return [FileMeasurement(Path(p), loudness.measure_file(p)) for p in paths]


def plot_measurements(
    measurements: Sequence[FileMeasurement],
    png: str | os.PathLike[str],
    project_root: Path | None = None,
) -> Path:
    """Draw M/S loudness over time, I and the true-peak events of each file into one PNG
    (never over a measured file or the project's own files)."""
    check_output(Path(png), project_root, *(m.path for m in measurements))
    return loudness_plot(
        [m.report for m in measurements], png, titles=[m.path.name for m in measurements]
    )


__all__ = ["FileMeasurement", "meter_files", "plot_measurements"]
