"""DAWproject in, automation: ``Points`` lanes as our automation lanes.

A lane names its parameter by id (registered by the mixer and device readers with the strip,
target and unit it stands for); its points become our units: linear volumes become dB lanes
(``curves.gain_lane_to_db`` adds points until the two agree), semitone frequencies Hz, booleans
a stepped lane; a hold point in a linear lane keeps its value until one frame before the next.
Expression automation and tempo ``Points`` (read from ``TempoAutomation``) are reported.
"""

from __future__ import annotations

from lxml import etree

from producer.interchange.curves import gain_lane_to_db, semitones_to_hz
from producer.interchange.dawproject.read_state import ReaderState, Scope, required_float_attr
from producer.model import AutomationLane, AutomationPoint, Interpolation


class AutomationReader(ReaderState):
    """Reads ``<Points>`` lanes onto the strips whose parameters they name."""

    def points(self, el: etree._Element, scope: Scope) -> None:
        target = el.find("Target")
        pid = target.get("parameter") if target is not None else None
        if pid is None:
            what = target.get("expression") if target is not None else "?"
            self.lose(
                f"{what} expression automation",
                "a Points lane",
                "producer automates mixer and effect parameters",
            )
            return
        if pid == self.tempo_id:
            self.lose(
                "tempo automation as Points", "a Points lane", "read from TempoAutomation only"
            )
            return
        param = self.params.get(pid)
        if param is None:
            self.lose(
                "automation of an unknown parameter",
                f"Points {el.get('id') or ''}".strip(),
                "its parameter is not one producer imports",
            )
            return
        raw: list[tuple[float, float, str]] = []
        for p in el:
            if p.tag == "BoolPoint":
                raw.append(
                    (
                        scope.to_song(required_float_attr(p, "time")),
                        1.0 if p.get("value") == "true" else 0.0,
                        "hold",
                    )
                )
            elif p.tag == "RealPoint":
                raw.append(
                    (
                        scope.to_song(required_float_attr(p, "time")),
                        required_float_attr(p, "value"),
                        p.get("interpolation") or "linear",
                    )
                )
            elif p.tag != "Target":
                self.lose(f"<{p.tag!s}> automation point", param.strip, "not understood here")
        if not raw:
            return
        raw.sort(key=lambda x: x[0])
        rate = self.b.rate
        step = param.kind == "bool" or all(x[2] == "hold" for x in raw)
        pts: list[tuple[float, float]] = []
        for i, (t, v, interp) in enumerate(raw):
            pts.append((max(t, 0.0), v))
            if (
                not step
                and interp == "hold"
                and i + 1 < len(raw)
                and raw[i + 1][0] - t > 1.0 / rate
            ):
                pts.append((raw[i + 1][0] - 1.0 / rate, v))  # a hold in a linear lane
        if param.kind == "gain" and not step:
            conv = gain_lane_to_db(pts, 1.0 / rate)
        elif param.kind == "hz" and not step:
            from producer.interchange.curves import convert_lane

            conv = convert_lane(
                pts, semitones_to_hz, lambda x, y: abs(x - y) <= 1e-4 * max(x, y), 1.0 / rate
            )
        else:
            conv = [(t, param.convert(v)) for t, v in pts]
        points = tuple(AutomationPoint(self.b.frames(t), v) for t, v in conv)
        lane = AutomationLane(
            param.target, points, Interpolation.STEP if step else Interpolation.LINEAR
        )
        strip = self._strip(param.strip)
        lanes = tuple(x for x in getattr(strip, "automation", ()) if x.target != param.target)
        self._set(param.strip, automation=(*lanes, lane))
        self.carry("automation")


__all__ = ["AutomationReader"]
