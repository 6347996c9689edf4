"""Model ↔ JSON-ready dicts: one generic codec driven by the dataclasses' type hints.

Writing: every field, in declaration order (stable, diffable), tuples as lists, enums as their
values, mappings with sorted keys, money (``Decimal``) as a decimal string ("425.00": a JSON
number would be read back as a binary float), dates and times in ISO 8601. Reading: unknown fields, missing required fields and values
of the wrong type are errors that name the field's path (``tracks[0].pan``), so a hand-edited
file fails with a line that says where. Defaults fill fields a document leaves out, which is
how a newer producer reads an older file of the same format_version.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from producer.errors import FormatError

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """A model object as plain JSON data (dicts keep the dataclass field order)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, tuple | list):
        return [to_dict(x) for x in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_dict(obj[k]) for k in sorted(obj)}
    if isinstance(obj, float) and not math.isfinite(obj):
        raise FormatError(f"cannot save the non-finite number {obj}")
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise FormatError(f"cannot save the non-finite amount {obj}")
        return format(obj, "f")  # never exponent notation: "1E+3" would surprise a reader
    if isinstance(obj, date):  # datetime is a date too
        return obj.isoformat()
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


Decoder = Callable[[Any, str], Any]
"""Turns JSON data at a document path into a model value, or raises FormatError naming it."""

_SCALARS = (int, float, str, bool)


def _scalar_decoder(tp: type) -> Decoder:
    if tp is bool:

        def dec_bool(value: Any, path: str) -> Any:
            if not isinstance(value, bool):
                raise FormatError(f"{path}: expected true or false, got {value!r}")
            return value

        return dec_bool
    if tp is int:

        def dec_int(value: Any, path: str) -> Any:
            if isinstance(value, bool) or not isinstance(value, int):
                raise FormatError(f"{path}: expected a whole number, got {value!r}")
            return value

        return dec_int
    if tp is float:

        def dec_float(value: Any, path: str) -> Any:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FormatError(f"{path}: expected a number, got {value!r}")
            return float(value)

        return dec_float

    def dec_str(value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise FormatError(f"{path}: expected a string, got {value!r}")
        return value

    return dec_str


_DECIMAL_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _dec_decimal(value: Any, path: str) -> Any:
    if not isinstance(value, str) or not _DECIMAL_TEXT.fullmatch(value):
        raise FormatError(f'{path}: expected a decimal string such as "12.50", got {value!r}')
    return Decimal(value)


def _dec_datetime(value: Any, path: str) -> Any:
    try:
        if isinstance(value, str) and "T" in value:
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise FormatError(f"{path}: expected a date and time like 2027-01-12T10:00, got {value!r}")


def _dec_date(value: Any, path: str) -> Any:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise FormatError(f"{path}: expected a date like 2027-01-12, got {value!r}")


@cache
def _decoder(tp: Any) -> Decoder:
    """The decoder of type ``tp``, built once per type from its hints (reading a large song
    walks thousands of values; re-inspecting the types for each one cost most of the time)."""
    origin = get_origin(tp)
    if tp is Any:
        return lambda value, path: value
    if origin is typing.Union or origin is types.UnionType:
        options = get_args(tp)
        has_none = type(None) in options
        decoders = [_decoder(o) for o in options if o is not type(None)]
        exact = tuple(o for o in options if o in _SCALARS)
        expected = " or ".join(_type_name(o) for o in options)

        def dec_union(value: Any, path: str) -> Any:
            if value is None and has_none:
                return None
            # A JSON scalar whose own type is one of the options keeps it: an int parameter
            # of ``float | int | str | bool`` must stay an int, not come back as 3.0.
            if type(value) in exact:
                return value
            if len(decoders) == 1:
                return decoders[0](value, path)  # its own message: "expected a date like ..."
            for dec in decoders:
                try:
                    return dec(value, path)
                except FormatError:
                    continue
            raise FormatError(f"{path}: expected {expected}, got {value!r}")

        return dec_union
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        cls = tp
        return lambda value, path: from_dict(cls, value, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        enum_cls = tp
        allowed = ", ".join(repr(m.value) for m in enum_cls)

        def dec_enum(value: Any, path: str) -> Any:
            try:
                return enum_cls(value)
            except ValueError:
                raise FormatError(f"{path}: {value!r} is not one of {allowed}") from None

        return dec_enum
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])

            def dec_seq(value: Any, path: str) -> Any:
                if not isinstance(value, list):
                    raise FormatError(f"{path}: expected a list, got {type(value).__name__}")
                return tuple(item(v, f"{path}[{i}]") for i, v in enumerate(value))

            return dec_seq
        items = [_decoder(a) for a in args]

        def dec_fixed(value: Any, path: str) -> Any:
            if not isinstance(value, list):
                raise FormatError(f"{path}: expected a list, got {type(value).__name__}")
            if len(items) != len(value):
                raise FormatError(f"{path}: expected {len(items)} items, got {len(value)}")
            return tuple(
                d(v, f"{path}[{i}]") for i, (d, v) in enumerate(zip(items, value, strict=True))
            )

        return dec_fixed
    if (
        origin in (dict, Mapping)
        or origin is typing.Mapping
        or (origin is not None and isinstance(origin, type) and issubclass(origin, Mapping))
    ):
        _, vt = get_args(tp)
        val = _decoder(vt)

        def dec_map(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                raise FormatError(f"{path}: expected an object, got {type(value).__name__}")
            return {str(k): val(v, f"{path}.{k}") for k, v in value.items()}

        return dec_map
    if tp in _SCALARS:
        return _scalar_decoder(tp)
    if tp is Decimal:
        return _dec_decimal
    if tp is datetime:
        return _dec_datetime
    if tp is date:
        return _dec_date

    def dec_unknown(value: Any, path: str) -> Any:  # pragma: no cover - a model type we lack
        raise FormatError(f"{path}: cannot read a value of type {_type_name(tp)}")

    return dec_unknown


@cache
def _fields(cls: type) -> tuple[frozenset[str], tuple[tuple[str, Decoder, bool], ...]]:
    """Field names, and per field (name, decoder, required) in declaration order."""
    assert dataclasses.is_dataclass(cls)
    hints = _hints(cls)
    specs = tuple(
        (
            f.name,
            _decoder(hints[f.name]),
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
    )
    return frozenset(name for name, _, _ in specs), specs


def from_dict(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from plain JSON data, naming the path of the first wrong field."""
    where = path or cls.__name__
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected an object, got {type(data).__name__}")
    names, specs = _fields(typing.cast(type, cls))
    if not names.issuperset(data):
        unknown = sorted(set(data) - names)
        raise FormatError(f"{where}: unknown field {unknown[0]!r}")
    kwargs = {}
    for name, dec, required in specs:
        if name not in data:
            if required:
                sub = f"{path}.{name}" if path else name
                raise FormatError(f"{sub}: required field is missing")
            continue
        kwargs[name] = dec(data[name], f"{path}.{name}" if path else name)
    return cls(**kwargs)


__all__ = ["from_dict", "to_dict"]
