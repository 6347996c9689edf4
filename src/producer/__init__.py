"""producer: a music production system — pre-production, tracking, mixing, mastering, office.

The public API is re-exported here; ``producer.model`` holds the data, ``producer.workflows``
the use cases the CLI calls.
"""

from producer.errors import (
    FormatError,
    LockedError,
    NotFoundError,
    ProducerError,
    RenderError,
    UserError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "FormatError",
    "LockedError",
    "NotFoundError",
    "ProducerError",
    "RenderError",
    "UserError",
    "ValidationError",
    "__version__",
]
