"""The review studio's web shell (layer 6, beside ``producer.cli``): FastAPI on uvicorn.

``create_app(studio)`` builds the ASGI app; :func:`serve` runs it for ``producer serve``.
Routes call ``producer.workflows.studio`` and nothing below it (import-linter checks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from producer.web.app import CSP, create_app
from producer.workflows.studio import DEFAULT_MAX_UPLOAD_MB, open_studio, review


def serve(
    root: Path,
    host: str = "127.0.0.1",
    port: int = 8750,
    db: str | None = None,
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
    announce: Callable[[str], None] = print,
) -> None:
    """Open the project's studio (migrating its database) and serve it until interrupted."""
    import uvicorn

    studio = open_studio(root, db, remember=db is not None, max_upload_mb=max_upload_mb)
    app = create_app(studio)
    # Answer at once; load the renderer and the meter meanwhile (seconds of imports).
    threading.Thread(target=review.warm_up, name="warm-up", daemon=True).start()
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    announce(f"studio of {studio.root} on http://{shown}:{port}/ (database {studio.store.where})")
    if host not in ("127.0.0.1", "::1", "localhost"):
        announce("note: listening beyond this machine; put it behind HTTPS (a reverse proxy)")
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
            timeout_keep_alive=20,  # longer than clients keep idle connections (httpx: 5 s)
        )
    finally:
        studio.close()


__all__ = ["CSP", "create_app", "serve"]
