"""Model ↔ JSON-ready dicts: one generic codec driven by the dataclasses' type hints.

Writing: every field, in declaration order (stable, diffable), tuples as lists, enums as their
values, mappings with sorted keys. Reading: unknown fields, missing required fields and values
of the wrong type are errors that name the field's path (``tracks[0].pan``), so a hand-edited
file fails with a line that says where. Defaults fill fields a document leaves out, which is
how a newer producer reads an older file of the same format_version.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
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
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is typing.Union or origin is types.UnionType:
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for opt in options:
            if opt is type(None):
                continue
            try:
                return _decode(opt, value, path)
            except FormatError as exc:
                errors.append(str(exc))
        expected = " or ".join(_type_name(o) for o in options)
        raise FormatError(f"{path}: expected {expected}, got {value!r}")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return from_dict(tp, value, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise FormatError(f"{path}: {value!r} is not one of {allowed}") from None
    if origin is tuple:
        if not isinstance(value, list):
            raise FormatError(f"{path}: expected a list, got {type(value).__name__}")
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(args) != len(value):
            raise FormatError(f"{path}: expected {len(args)} items, got {len(value)}")
        return tuple(
            _decode(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True))
        )
    if (
        origin in (dict, Mapping)
        or origin is typing.Mapping
        or (origin is not None and isinstance(origin, type) and issubclass(origin, Mapping))
    ):
        if not isinstance(value, dict):
            raise FormatError(f"{path}: expected an object, got {type(value).__name__}")
        _, vt = get_args(tp)
        return {str(k): _decode(vt, v, f"{path}.{k}") for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise FormatError(f"{path}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FormatError(f"{path}: expected a whole number, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FormatError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise FormatError(f"{path}: expected a string, got {value!r}")
        return value
    raise FormatError(f"{path}: cannot read a value of type {_type_name(tp)}")  # pragma: no cover


def from_dict(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from plain JSON data, naming the path of the first wrong field."""
    where = path or cls.__name__
    if not isinstance(data, dict):
        raise FormatError(f"{where}: expected an object, got {type(data).__name__}")
    assert dataclasses.is_dataclass(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise FormatError(f"{where}: unknown field {unknown[0]!r}")
    hints = _hints(cls)
    kwargs = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise FormatError(f"{sub}: required field is missing")
            continue
        kwargs[name] = _decode(hints[name], data[name], sub)
    return cls(**kwargs)


__all__ = ["from_dict", "to_dict"]
