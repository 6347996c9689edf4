"""producer.mastering's __init__ is its contract: __all__ lists exactly what it exports."""

from __future__ import annotations

import producer.mastering as mastering


def test_all_names_exist() -> None:
    assert len(mastering.__all__) == len(set(mastering.__all__))
    for name in mastering.__all__:
        assert hasattr(mastering, name), name
    public = {n for n in vars(mastering) if not n.startswith("_")}
    modules = {
        "album", "chain", "cue", "eq", "export", "gainmodel", "guard", "profiles", "report",
        "report_plots", "result", "settings", "stream", "verdict",
    }  # fmt: skip
    assert public - modules - {"annotations"} == set(mastering.__all__)
