"""The extra ear's verdict: every check run on one pass's measurements, as JSON findings.

:func:`analyse` takes what a :class:`~.stream.Listener` heard (the mix, its stems, the rest of
the mix, the stems' cross-spectra) and the context a workflow knows (the lead vocal, the song's
sections, the delivery profile, the streaming services, the song's tempo and key, reference
tracks, another version) and returns an :class:`Analysis`: ``mix`` metrics, ``stems`` metrics
and ``findings`` in the issue's JSON shape.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from producer import audio as audio_io
from producer.analysis.ear import (
    alignment,
    balance,
    faults,
    levels,
    masking,
    spectral,
    stereo,
    versions,
)
from producer.analysis.ear.balance import DeliveryTarget, StreamingService
from producer.analysis.ear.findings import Finding, jsonable, sort_findings
from producer.analysis.ear.masking import Section
from producer.analysis.ear.stream import (
    Heard,
    Listener,
    SignalAccumulator,
    SignalFeatures,
    one_blas_thread,
)
from producer.analysis.ear.tempo_key import Estimate, estimate
from producer.errors import FormatError, UserError

Progress = Callable[[int, int], None]

#: Tempo/key confidences under these are reported as uncertain.
TEMPO_CONFIDENT = 0.3
KEY_CONFIDENT = 0.6
TEMPO_KEY_MAX_S = 60.0


@dataclass(frozen=True)
class Context:
    """What the workflow knows about the material."""

    vocal: str | None = None
    sections: tuple[Section, ...] = ()
    delivery: DeliveryTarget | None = None
    services: tuple[StreamingService, ...] = ()
    song_tempo_bpm: float | None = None
    song_key: str | None = None
    float_render: bool = False
    """Stems come from producer's floating-point engine (samples over 0 dBFS clip nothing yet)."""
    title: str = ""


@dataclass(frozen=True, eq=False)
class Analysis:
    """The analysis of one mix: metrics, stems' metrics, findings, and the data for plots."""

    title: str
    heard: Heard
    context: Context
    mix: dict[str, Any]
    stems: dict[str, dict[str, Any]]
    findings: list[Finding]
    extra: dict[str, Any] = field(default_factory=dict)
    """Curves and matrices for the HTML report (spectra, masking matrix, versions, ...)."""

    def to_json(self) -> dict[str, Any]:
        """The issue's JSON: ``mix``, ``stems``, ``findings`` (and a summary beside them)."""
        counts = {
            s: sum(1 for f in self.findings if f.severity == s)
            for s in ("error", "warning", "info")
        }
        return {
            "title": self.title,
            "summary": counts,
            "vocal": self.context.vocal,
            "sections": [
                {"name": s.name, "start_s": s.start_s, "end_s": s.end_s}
                for s in self.context.sections
            ],
            "mix": jsonable(self.mix),
            "stems": jsonable(self.stems),
            "findings": [f.to_json() for f in self.findings],
        }


def _signal_metrics(sig: SignalFeatures) -> dict[str, Any]:
    m = levels.level_metrics(sig)
    m.update(stereo.stereo_metrics(sig))
    m.update(faults.fault_metrics(sig))
    return m


def analyse(
    heard: Heard,
    context: Context,
    references: Sequence[SignalFeatures] = (),
    against: tuple[str, SignalFeatures] | None = None,
    tempo_key: bool = True,
) -> Analysis:
    """Run every check on ``heard`` and return the findings, most serious first."""
    with one_blas_thread():
        return _analyse(heard, context, references, against, tempo_key)


def _analyse(
    heard: Heard,
    context: Context,
    references: Sequence[SignalFeatures] = (),
    against: tuple[str, SignalFeatures] | None = None,
    tempo_key: bool = True,
) -> Analysis:
    mix = heard.mix
    findings: list[Finding] = []
    mix_m = _signal_metrics(mix)
    stem_m = {name: _signal_metrics(sig) for name, sig in heard.stems.items()}
    extra: dict[str, Any] = {}
    # Peaks.
    findings += levels.clipping_findings(mix, None, context.float_render)
    findings += levels.isp_findings(mix, None)
    for name, sig in heard.stems.items():
        findings += levels.clipping_findings(sig, name, context.float_render)
        findings += levels.isp_findings(sig, name)
    # Microphones of one source.
    if heard.cross is not None:
        pairs = alignment.pairs(heard.cross)
        findings += alignment.pair_findings(pairs, mix.sample_rate)
        mix_m["same_source_pairs"] = [p.to_json() for p in pairs]
    # Stereo.
    findings += stereo.mono_findings(
        mix_m, {n: m for n, m in stem_m.items() if heard.stems[n].channels == 2}
    )
    findings += stereo.low_end_findings(
        mix_m, {n: m for n, m in stem_m.items() if heard.stems[n].channels == 2}
    )
    # Masking.
    mask = masking.analyse(heard.stems, context.vocal, context.sections)
    if mask is not None:
        findings += list(mask.findings)
        mix_m["masking_matrix_db"] = masking.matrix_json(mask)
        extra["masking"] = mask
    # Vocal balance.
    if context.vocal and context.vocal in heard.stems and heard.rest is not None:
        vb = balance.vocal_balance(
            heard.stems[context.vocal].loudness, heard.rest, context.sections, mix.duration_s
        )
        mix_m["vocal_balance"] = vb
        findings += balance.vocal_findings(vb, context.vocal)
    # Tonal balance.
    refs = [(r.name, *spectral.long_term_db(r)) for r in references]
    from producer.analysis.ear import band  # here: `python -m ...ear.band` runs it as a script

    builtin = None if refs else (band.builtin()["source"], band.builtin_curves())
    spec_m, spec_f = spectral.analyse(mix, heard.stems, refs, builtin)
    findings += spec_f
    extra["spectrum"] = spec_m
    extra["references"] = refs or (builtin[1] if builtin else [])
    # Faults, mix-level only when no stem explains them.
    stem_faults: list[Finding] = []
    for name in sorted(heard.stems):
        stem_faults += faults.fault_findings(stem_m[name], name, name)
    explained = {f.check for f in stem_faults}
    findings += stem_faults
    mix_faults = [
        f for f in faults.fault_findings(mix_m, "the mix", None) if f.check not in explained
    ]
    if heard.stems:  # the mix's floor is the stems' floors summed: named there
        mix_faults = [f for f in mix_faults if f.check != "noise-floor"]
    findings += mix_faults
    # Dynamics and delivery.
    d = context.delivery
    findings += levels.dynamics_findings(
        mix_m, d.target_lufs if d else None, d.ceiling_dbtp if d else None, d.name if d else ""
    )
    deliv_m, deliv_f = balance.delivery(mix.loudness, d, context.services)
    mix_m["delivery"] = deliv_m
    findings += deliv_f
    # Tempo and key.
    if tempo_key and mix.mono is not None and len(mix.mono) >= mix.mono_rate * 2:
        # The middle minute at most: intros and outros tell little, and librosa's CQT
        # costs time and memory in proportion to the length.
        keep = int(TEMPO_KEY_MAX_S * mix.mono_rate)
        start = max(0, (len(mix.mono) - keep) // 2)
        est = estimate(mix.mono[np.newaxis, start : start + keep], mix.mono_rate)
        mix_m["tempo"] = {"bpm": est.tempo_bpm, "confidence": est.tempo_confidence}
        mix_m["key"] = {"key": est.key, "confidence": est.key_confidence}
        findings += _tempo_key_findings(est, context)
    # Another version.
    if against is not None:
        name, other = against
        other_m = _signal_metrics(other)
        vm, vf = versions.compare(mix, other, mix_m, other_m, name)
        mix_m["version_diff"] = vm
        findings += vf
        extra["against"] = (name, other)
    return Analysis(
        title=context.title or mix.name,
        heard=heard,
        context=context,
        mix=mix_m,
        stems=stem_m,
        findings=sort_findings(findings),
        extra=extra,
    )


def _tempo_key_findings(est: Estimate, context: Context) -> list[Finding]:
    out = []
    song_bpm = context.song_tempo_bpm
    tempo_note = ""
    severity = "info"
    if song_bpm and est.tempo_confidence >= TEMPO_CONFIDENT:
        ratios = [est.tempo_bpm * m / song_bpm for m in (0.5, 1.0, 2.0)]
        if min(abs(r - 1.0) for r in ratios) > 0.02:
            severity = "warning"
            tempo_note = f"; the song says {song_bpm:g} BPM"
    out.append(
        Finding(
            check="tempo",
            severity=severity,
            metric="tempo_bpm",
            value=est.tempo_bpm,
            threshold=song_bpm,
            source="librosa beat tracker; confidence = onset autocorrelation at the beat period",
            action=(
                f"check the song's tempo map against the audio (producer song set --tempo {est.tempo_bpm:g})"
                if severity == "warning"
                else f"use {est.tempo_bpm:g} BPM for tempo-synced delays ({60000 / max(est.tempo_bpm, 1e-9):.0f} ms per beat)"
            ),
            message=f"tempo {est.tempo_bpm:g} BPM (confidence {est.tempo_confidence:.2f}){tempo_note}",
            data={"confidence": est.tempo_confidence},
        )
    )
    key_severity = "info"
    key_note = ""
    if (
        context.song_key
        and est.key
        and est.key_confidence >= KEY_CONFIDENT
        and context.song_key.lower() != est.key.lower()
    ):
        key_note = f"; the song says {context.song_key}"
    out.append(
        Finding(
            check="key",
            severity=key_severity,
            metric="key",
            value=est.key_confidence,
            threshold=KEY_CONFIDENT,
            source="Krumhansl-Schmuckler key profiles on librosa CQT chroma; confidence = profile correlation",
            action=(
                f"tune pitched effects and samples to {est.key}"
                if est.key_confidence >= KEY_CONFIDENT
                else "the key is uncertain: set it by ear (producer song set --key)"
            ),
            message=f"key {est.key or 'unknown'} (confidence {est.key_confidence:.2f}){key_note}",
            data={"key": est.key},
        )
    )
    return out


# ---------------------------------------------------------------------- files


def _open_info(path: Path, what: str) -> audio_io.AudioInfo:
    meta = audio_io.info(path)
    if meta.frames == 0:
        raise FormatError(f"{path}: holds no audio (zero frames)")
    if meta.channels not in (1, 2):
        raise FormatError(f"{path}: {meta.channels} channels; {what} must be mono or stereo")
    return meta


def listen_files(
    mix: str | os.PathLike[str],
    stems: Mapping[str, str | os.PathLike[str]] | None = None,
    *,
    rest: Sequence[str] = (),
    progress: Progress | None = None,
    block_frames: int = 65536,
    threads: int = 2,
) -> Heard:
    """One pass over a mix file and its stem files (read in lockstep, the shorter padded
    with silence). Raises FormatError naming a file that is not mono/stereo audio or whose
    sample rate differs from the mix's."""
    mix_path = Path(mix)
    meta = _open_info(mix_path, "the mix")
    stem_paths = {name: Path(p) for name, p in (stems or {}).items()}
    infos = {}
    for name, p in stem_paths.items():
        i = _open_info(p, "a stem")
        if i.sample_rate != meta.sample_rate:
            raise FormatError(
                f"{p}: {i.sample_rate} Hz, but the mix {mix_path.name} is {meta.sample_rate} Hz"
            )
        infos[name] = i
    total = max([meta.frames, *(i.frames for i in infos.values())])
    listener = Listener(
        meta.sample_rate,
        meta.channels,
        {n: i.channels for n, i in infos.items()},
        rest=rest,
        expected_frames=total,
        threads=threads,
        mix_name=mix_path.stem,
    )
    try:
        readers = {None: audio_io.blocks(mix_path, block_frames)} | {
            n: audio_io.blocks(p, block_frames) for n, p in stem_paths.items()
        }
        channels = {None: meta.channels} | {n: i.channels for n, i in infos.items()}
        done = 0
        while done < total:
            n = min(block_frames, total - done)
            blocks = {}
            for key, reader in readers.items():
                b = next(reader, None)
                if b is None:
                    b = np.zeros((channels[key], 0), dtype=np.float32)
                if b.shape[1] < n:
                    b = np.pad(b, ((0, 0), (0, n - b.shape[1])))
                blocks[key] = b
            listener.add(blocks.pop(None), blocks)  # type: ignore[arg-type]
            done += n
            if progress is not None:
                progress(done, total)
        return listener.finish()
    except BaseException:
        listener.close()
        raise


def _cut(a: npt.NDArray[np.float32], start: int, n: int) -> npt.NDArray[np.float32]:
    b = a[:, start : start + n]
    return np.pad(b, ((0, 0), (0, n - b.shape[1]))) if b.shape[1] < n else b


def listen_arrays(
    mix: npt.ArrayLike,
    stems: Mapping[str, npt.ArrayLike],
    sample_rate: int,
    *,
    rest: Sequence[str] = (),
    block_frames: int = 32768,
) -> Heard:
    """One pass over arrays: ``mix`` and each stem float32 (channels, frames), mono or stereo
    (the shorter ones padded with silence)."""
    arrays = {k: audio_io.as_audio(v) for k, v in stems.items()}
    m = audio_io.as_audio(mix)
    total = max([m.shape[1], *(a.shape[1] for a in arrays.values())])
    listener = Listener(
        sample_rate,
        m.shape[0],
        {k: a.shape[0] for k, a in arrays.items()},
        rest=rest,
        expected_frames=total,
    )
    try:
        for i in range(0, total, block_frames):
            n = min(block_frames, total - i)
            listener.add(_cut(m, i, n), {k: _cut(a, i, n) for k, a in arrays.items()})
        return listener.finish()
    except BaseException:
        listener.close()
        raise


def listen_file(
    path: str | os.PathLike[str], *, keep_mono: bool = False, block_frames: int = 65536
) -> SignalFeatures:
    """One signal's measurements (a reference track, another version of the mix)."""
    p = Path(path)
    meta = _open_info(p, "a reference or version")
    acc = SignalAccumulator(p.stem, meta.sample_rate, meta.channels, keep_mono=keep_mono)
    with one_blas_thread():
        for block in audio_io.blocks(p, block_frames):
            acc.add(block)
        features, _ = acc.finish()
    return features


def check_stem_names(names: Sequence[str]) -> None:
    """Stem names (file names without extension) must differ."""
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    dup = [n for n, k in seen.items() if k > 1]
    if dup:
        raise UserError(
            f"two stems are called {dup[0]!r} (stem names are the file names without extension)"
        )


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


__all__ = [
    "Analysis",
    "Context",
    "analyse",
    "check_stem_names",
    "listen_arrays",
    "listen_file",
    "listen_files",
]
