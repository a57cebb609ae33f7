"""framelens.data — the ground floor: tasks, readers, validation, splits, sentences.

Nothing here imports torch or transformers, so the data tools stay fast and
usable without a model.
"""

from framelens.data.errors import DataError, DataIssue
from framelens.data.tasks import BUILTIN_TASKS, Task, get_task

__all__ = ["BUILTIN_TASKS", "DataError", "DataIssue", "Task", "get_task"]
