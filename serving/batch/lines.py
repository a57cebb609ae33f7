"""Read a file line by line, in bounded memory, and know which lines are not UTF-8.

Every batch reader (text, CSV, TSV, JSONL) goes through `numbered_lines`, so an
undecodable byte is reported the same way everywhere: `file:line: (encoding): invalid
UTF-8 byte 0xe9 at column 4`. Bytes that do not decode are kept as surrogate escapes
instead of stopping the read, so one bad row can be skipped while the rest of the file is
still read; the caller decides. Only \\n, \\r\\n and \\r end a line (as in
`framelens.serving.lines`): form feeds and Unicode separators stay inside the text.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path


def encoding_problem(line: str) -> str | None:
    """None for clean text; otherwise where the first undecodable byte sits (1-based byte
    column), worded as `framelens.data.readers.check_utf8` words it."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(line[exc.start]) - 0xDC00
        column = len(line[: exc.start].encode("utf-8", "surrogateescape")) + 1
        return f"invalid UTF-8 byte 0x{byte:02x} at column {column}; re-save the file as UTF-8"
    return None


def numbered_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(1-based line number, line with its terminator, encoding problem or None).

    A UTF-8 byte-order mark is dropped (it is not part of the first field or sentence).
    """
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                  errors="surrogateescape", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            yield number, line, encoding_problem(line)
