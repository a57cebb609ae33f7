"""Batch classification of whole archives: tables, folders and stdin in; sentence rows out.

Streaming (bounded chunks in, bounded chunks out), resumable (chunks committed
atomically with a manifest), and built on `framelens.serving.Classifier`, so its rows are
the same schema (`framelens.serving.results.sentence_row`) as the Python API and the
server. Modules, in the order data flows: `options`, `inputs` / `tabular` / `lines`,
`chunking`, `engine`, `writers`, `manifest`, `output`, `summary`; `summarize` and
`charts` read a finished output back into per-group shares.
"""

from framelens.serving.batch.engine import BatchReport, Interrupted, classify_rows, run_batch
from framelens.serving.batch.options import BatchOptions

__all__ = ["BatchOptions", "BatchReport", "Interrupted", "classify_rows", "run_batch"]
