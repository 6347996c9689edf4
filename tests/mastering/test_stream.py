"""The chain's streaming pieces against their whole-array references: Welch's spectrum (scipy),
the FIR (numpy's convolution), the sample store (in memory and spilled to a file), the
re-blocking the meter sees, the guard (exact true peak under its target, FFT-checked), the
limiter model (pedalboard's limiter rendered), and the worker thread's errors."""

from __future__ import annotations

import math
import threading

import numpy as np
import pedalboard
import pytest
import scipy.signal

from producer.analysis import loudness
from producer.mastering import chain, gainmodel, stream
from producer.mastering.guard import TruePeakGuard

from .refs import pinkish, true_peak_fft_dbtp

RNG = np.random.default_rng(17)


def test_welch_is_scipys_in_any_blocks() -> None:
    x = RNG.standard_normal((2, 100_000)).astype(np.float32)
    f, want = scipy.signal.welch(x.mean(axis=0).astype(np.float64), fs=44100, nperseg=8192)
    w = stream.Welch(44100)
    for start in range(0, x.shape[1], 7000):
        w.add(x[:, start : start + 7000])
    got_f, got = w.result()
    np.testing.assert_allclose(got_f, f)
    np.testing.assert_allclose(got, 10 * np.log10(want + 1e-20), atol=1e-4)


def test_fir_in_blocks_is_the_convolution_delay_removed() -> None:
    x = RNG.standard_normal((2, 50_000)).astype(np.float32)
    taps = scipy.signal.firwin(101, 0.3)
    fir = stream.StreamFir(taps, 2)
    parts = [fir.process(x[:, s : s + 4321]) for s in range(0, x.shape[1], 4321)]
    y = np.concatenate([*parts, fir.flush()], axis=1)
    want = np.stack([np.convolve(c.astype(np.float64), taps)[50 : 50 + x.shape[1]] for c in x])
    np.testing.assert_allclose(y, want, atol=1e-6)


@pytest.mark.parametrize("frames", [1000, 3_000_000])
def test_sample_store_gives_back_what_was_written(frames: int) -> None:
    """Small stores stay in memory; large ones go to a temporary file, deleted on close."""
    x = RNG.standard_normal((2, frames)).astype(np.float32)
    store = stream.SampleStore(44100, 2)
    for s in range(0, frames, 70_000):
        store.write(x[:, s : s + 70_000])
    np.testing.assert_array_equal(store.read(), x)
    assert [b.shape[1] for b in store.blocks(65536)][:1] == [min(frames, 65536)]
    path = store._path
    assert (path is not None) == (frames * 2 > stream.IN_MEMORY_SAMPLES)
    store.close()
    if path is not None:
        import os

        assert not os.path.exists(path)


def test_rebuffer_gives_the_meters_blocks() -> None:
    r = stream.Rebuffer(1, 100)
    out = [b.shape[1] for size in (30, 250, 7, 80) for b in r.push(np.zeros((1, size)))]
    out += [b.shape[1] for b in r.flush()]
    assert out == [100, 100, 100, 67]


def test_guard_holds_the_exact_true_peak_at_its_target() -> None:
    """Limited full-band noise overshoots pedalboard's 4x limiter; the guard brings the band-
    limited peak (checked by FFT interpolation) to its target, costing almost no loudness."""
    rate = 44100
    n = 8 * rate
    t = np.arange(n) / rate
    hats = np.random.default_rng(0).standard_normal((2, n)) * np.exp(-((t * 4) % 1) * 30)
    x = (pinkish(n, 2, 3) * 0.5 + 0.3 * hats) * 4.0
    y = np.asarray(
        pedalboard.BrickwallLimiter(ceiling_db=-1.1, true_peak=True)(x.astype(np.float32), rate),
        dtype=np.float32,
    )
    assert true_peak_fft_dbtp(y, rate) > -1.0  # the limiter alone lets peaks over
    target = 10 ** (-1.02 / 20)
    guard = TruePeakGuard(2, rate, target)
    parts = [guard.process(y[:, s : s + 30000]) for s in range(0, n, 30000)]
    z = np.concatenate([*parts, guard.flush()], axis=1)
    assert z.shape == y.shape and guard.dips > 0
    assert true_peak_fft_dbtp(z, rate) <= -1.02 + 1e-3
    lost = loudness.integrated_loudness(y, rate) - loudness.integrated_loudness(z, rate)
    assert 0 <= lost < 0.02


def test_limiter_model_predicts_the_rendered_limiter() -> None:
    """The model the gain is solved on, against pedalboard's BrickwallLimiter rendered, from no
    limiting to heavy limiting (within 0.1 LU; the chain corrects what is left by measuring)."""
    rate = 44100
    n = 20 * rate
    t = np.arange(n) / rate
    beats = 0.3 + np.exp(-((t * 2) % 1) * 10)
    x = (pinkish(n, 2, 8) * beats * 0.3).astype(np.float32)
    model = gainmodel.LimiterModel(rate, (1.0, 1.0))
    for s in range(0, n, 65536):
        model.add(x[:, s : s + 65536])
    model.finish()
    assert model.level_lufs == pytest.approx(loudness.integrated_loudness(x, rate), abs=0.01)
    for gain_db in (0.0, 8.0, 16.0):
        limiter = pedalboard.BrickwallLimiter(ceiling_db=-1.1, release_ms=100.0, true_peak=True)
        y = np.asarray(limiter(x * np.float32(10 ** (gain_db / 20)), rate), dtype=np.float32)
        predicted = model.predict(gain_db, -1.1, 100.0, 5.0)
        measured = loudness.integrated_loudness(y, rate)
        assert predicted.integrated_lufs == pytest.approx(measured, abs=0.1), gain_db


def test_errors_on_the_worker_thread_reach_the_caller() -> None:
    def produce():  # type: ignore[no-untyped-def]
        yield np.zeros((1, 4), dtype=np.float32)
        raise ValueError("broken limiter")

    with pytest.raises(ValueError, match="broken limiter"):
        list(chain._ahead(produce()))
    # Stopping early stops the worker (no deadlock on its full queue).
    many = (np.zeros((1, 4), dtype=np.float32) for _ in range(1000))
    for i, _ in enumerate(chain._ahead(many)):
        if i == 3:
            break
    assert math.isfinite(float(i))


@pytest.mark.parametrize("budget", ["1", "2"])
def test_the_pipeline_keeps_to_the_cpu_budget(budget: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A batch worker beside others sets PRODUCER_THREADS=1: no thread of the chain's own then.
    monkeypatch.setenv("PRODUCER_THREADS", budget)
    ran_on = []

    def produce():  # type: ignore[no-untyped-def]
        for _ in range(3):
            ran_on.append(threading.current_thread())
            yield np.zeros((1, 4), dtype=np.float32)

    assert len(list(chain._ahead(produce()))) == 3
    here = threading.current_thread()
    assert all((t is here) == (budget == "1") for t in ran_on)
    read_on = []

    def blocks():  # type: ignore[no-untyped-def]
        for _ in range(3):
            read_on.append(threading.current_thread())
            yield np.zeros((1, 4), dtype=np.float32)

    assert len(list(loudness._prefetched(blocks()))) == 3
    assert all((t is here) == (budget == "1") for t in read_on)
