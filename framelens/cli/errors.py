"""How the CLI reports errors: the user's mistakes on one line, bugs with their traceback.

Only `FramelensError` (data, config, model, output and environment problems) counts as
the user's to fix. Any other exception is a bug and keeps its traceback, so it gets
reported instead of hidden. `--debug` or FRAMELENS_DEBUG=1 shows the traceback of user
errors too.
"""

from __future__ import annotations

import os

from framelens.data.errors import FramelensError

USER_ERRORS: tuple[type[BaseException], ...] = (FramelensError,)
EXIT_USER_ERROR = 2


def debug_enabled() -> bool:
    return os.environ.get("FRAMELENS_DEBUG", "").lower() in {"1", "true", "yes", "on"}
