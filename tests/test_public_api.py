"""Each package's __init__ is its contract: __all__ lists exactly what it exports."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "producer",
    "producer.errors",
    "producer.units",
    "producer.fileio",
    "producer.audio",
    "producer.model",
    "producer.storage",
    "producer.dsp",
    "producer.analysis",
    "producer.analysis.ear",
    "producer.engine",
    "producer.mastering",
    "producer.preproduction",
    "producer.tracking",
    "producer.storage.studio",
    "producer.workflows.studio",
    "producer.web",
    "producer.model.studio",
    "producer.office",
    "producer.cpus",
    "producer.workflows.batch",
    "producer.workflows.mix",
    "producer.workflows.tracking",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


def test_every_error_has_an_exit_code() -> None:
    from producer import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert cls.exit_code in (1, 2)
    assert errors.UserError.exit_code == 2
