"""Which exceptions are the user's mistakes (one clear line, exit 2, no traceback)."""

from __future__ import annotations

from framelens.data.errors import DataError
from framelens.models.registry import ModelNotAvailable

USER_ERRORS: tuple[type[BaseException], ...] = (
    DataError,
    ModelNotAvailable,
    FileNotFoundError,
    NotADirectoryError,
    ValueError,
)
