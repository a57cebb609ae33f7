"""Write prediction rows to JSONL or CSV, atomically (no partial files on failure)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from framelens.data.errors import OutputError
from framelens.data.outputs import atomic_file

OUTPUT_SUFFIXES = (".jsonl", ".csv")


def write_rows(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write `rows` to a .jsonl or .csv file atomically; an OutputError if it cannot be."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise OutputError(
            f"{path}: unsupported output type {suffix or '(none)'}; use .jsonl or .csv"
        )
    with atomic_file(path) as fh:
        if suffix == ".jsonl":
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            # Every key of every row, in first-seen order: a row with an extra field (a
            # note) must not make the writer fail after the work is done.
            fields = list(dict.fromkeys(k for row in rows for k in row)) or ["index", "text"]
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    return path
