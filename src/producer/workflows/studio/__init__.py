"""Use cases of the review studio: accounts and share links, versions, comments, approvals,
uploads and the album board — what ``producer serve`` (the web shell) and the ``user``,
``share`` and ``review`` commands call. Storage of the conversation: ``producer.storage.studio``.
"""

from producer.workflows.studio import accounts, review, uploads
from producer.workflows.studio.core import (
    DEFAULT_MAX_UPLOAD_MB,
    Studio,
    authorize,
    command_line_principal,
    open_studio,
)

__all__ = [
    "DEFAULT_MAX_UPLOAD_MB",
    "Studio",
    "accounts",
    "authorize",
    "command_line_principal",
    "open_studio",
    "review",
    "uploads",
]
