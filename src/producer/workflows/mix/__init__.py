"""Use cases of the mix: render a song (mix and stems), buses, sends, inserts, automation.

One module per concern:

* :mod:`.media` — ``ProjectMedia``, the ``MediaSource`` over a project's media folder that the
  engine reads (it never opens project files itself);
* :mod:`.rendering` — render a song: to files (mix and stems, with the clipping they report),
  into the caller's sinks, and once per render id into ``renders/``;
* :mod:`.edit` — the mixer: buses, sends, inserts and their parameters;
* :mod:`.automation` — automation lanes: points, targets, what a lane does to the fixed value.
"""

from producer.workflows.mix.automation import Automated, automate, parse_points
from producer.workflows.mix.edit import (
    bus_add,
    fx_add,
    fx_bypass,
    fx_kinds,
    fx_remove,
    fx_set,
    parse_params,
    send_add,
)
from producer.workflows.mix.media import ProjectMedia
from producer.workflows.mix.rendering import (
    MIXES_DIR,
    RENDER_ID,
    RENDER_ID_IGNORES,
    RENDERS_DIR,
    CachedRender,
    Clipping,
    RenderSummary,
    cached_render_path,
    engine_version,
    render,
    render_by_id,
    render_id,
    render_into,
    strip_names,
)

__all__ = [
    "MIXES_DIR",
    "RENDERS_DIR",
    "RENDER_ID",
    "RENDER_ID_IGNORES",
    "Automated",
    "CachedRender",
    "Clipping",
    "ProjectMedia",
    "RenderSummary",
    "automate",
    "bus_add",
    "cached_render_path",
    "engine_version",
    "fx_add",
    "fx_bypass",
    "fx_kinds",
    "fx_remove",
    "fx_set",
    "parse_params",
    "parse_points",
    "render",
    "render_by_id",
    "render_id",
    "render_into",
    "send_add",
    "strip_names",
]
