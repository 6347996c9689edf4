"""Small stand-in effects with exactly known output, for the engine's null tests.

They implement the Processor protocol the catalog's units implement (plus ``set_param`` and
``process_sidechain``), so every expected signal can be written down in a line of numpy.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from producer.audio import Audio
from producer.dsp.processor import Processor
from producer.model import ParamValue

RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "gain": {"gain_db": (-60.0, 24.0)},
    "latent": {"delay_frames": (0, 100000)},
    "echo": {"delay_frames": (1, 100000), "feedback": (0.0, 1.0)},
    "duck": {"depth": (0.0, 1.0)},
}


class _Base:
    def __init__(self, params: Mapping[str, ParamValue], channels: int) -> None:
        self.params = {k: float(v) for k, v in params.items()}
        self.channels = channels

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def set_param(self, name: str, value: float) -> None:
        self.params[name] = float(value)

    @property
    def latency_frames(self) -> int:
        return 0


class GainFx(_Base):
    def process(self, audio: Audio) -> Audio:
        g = 10.0 ** (self.params.get("gain_db", 0.0) / 20.0)
        return (audio * np.float32(g)).astype(np.float32)


class LatentFx(_Base):
    """A pure delay that reports it as latency: what a look-ahead limiter looks like."""

    def __init__(self, params: Mapping[str, ParamValue], channels: int) -> None:
        super().__init__(params, channels)
        self.state = np.zeros((channels, int(self.params.get("delay_frames", 0))), np.float32)

    def process(self, audio: Audio) -> Audio:
        buf = np.concatenate([self.state, audio], axis=1)
        self.state = buf[:, audio.shape[1] :]
        return buf[:, : audio.shape[1]]

    @property
    def latency_frames(self) -> int:
        return int(self.params.get("delay_frames", 0))


class EchoFx(LatentFx):
    """y[n] = x[n] + feedback · x[n − N]: one echo, no reported latency (a tail)."""

    def process(self, audio: Audio) -> Audio:
        delayed = super().process(audio)
        return (audio + np.float32(self.params.get("feedback", 0.5)) * delayed).astype(np.float32)

    @property
    def latency_frames(self) -> int:
        return 0


class DuckFx(_Base):
    """y = x · (1 − depth · |key|), key averaged over its channels: a sidechain ducker."""

    def process(self, audio: Audio) -> Audio:
        return audio

    def process_sidechain(self, audio: Audio, key: Audio) -> Audio:
        env = np.abs(key).mean(axis=0)
        return (audio * (1.0 - self.params.get("depth", 1.0) * env)).astype(np.float32)


CLASSES = {"gain": GainFx, "latent": LatentFx, "echo": EchoFx, "duck": DuckFx}


class StandInEffects:
    """The ``producer.engine.Effects`` interface over the stand-ins."""

    def create(
        self,
        kind: str,
        params: Mapping[str, ParamValue],
        sample_rate: int,
        channels: int,
        max_block_frames: int,
    ) -> Processor:
        return CLASSES[kind](params, channels)  # type: ignore[no-any-return]

    def check_params(self, kind: str, params: Mapping[str, ParamValue]) -> list[str]:
        if kind not in RANGES:
            return [f"unknown effect kind {kind!r} (kinds: {', '.join(RANGES)})"]
        problems = []
        for name, value in params.items():
            if name not in RANGES[kind]:
                problems.append(f"{kind}: unknown parameter {name!r}")
                continue
            lo, hi = RANGES[kind][name]
            if not lo <= float(value) <= hi:
                problems.append(f"{kind}.{name}: {value} is outside {lo}..{hi}")
        return problems
