"""`framelens classify`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console, predictions_table

Opt = typer.Option


def classify(
    input_file: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="A text file: an article (split into sentences) or, with --lines, "
            "one sentence per line.",
        ),
    ],
    model: Annotated[Path, Opt(help="Trained model directory or bundle.")],
    lines: Annotated[bool, Opt("--lines", help="Input has one sentence per line.")] = False,
    out: Annotated[
        Path | None, Opt(help="Write rows to a .jsonl or .csv file instead of a table.")
    ] = None,
    batch_size: Annotated[int, Opt(help="Prediction batch size.")] = 32,
) -> None:
    """Label every sentence of a text file with its frame/stance and class probabilities."""
    from framelens.data.errors import DataError
    from framelens.data.writers import write_rows
    from framelens.serving import Classifier
    from framelens.serving.lines import classify_lines

    text = _read_text(input_file)
    clf = Classifier.load(model, batch_size=batch_size)
    if lines:
        rows = classify_lines(clf, text, doc_id=input_file.name)
    else:
        rows = clf.analyze(text, doc_id=input_file.name).rows()
    if not rows:
        raise DataError.single(input_file, None, "(text)", "no sentences found (the file is empty)")
    if out:
        write_rows(rows, out)
        console.print(f"{len(rows)} sentences classified, written to {out}")
    else:
        console.print(predictions_table(rows, clf.tasks))


def _read_text(path: Path) -> str:
    from framelens.data.errors import DataError
    from framelens.data.readers import check_utf8

    if not path.is_file():
        raise DataError.single(path, None, "(file)", "no such file")
    check_utf8(path)  # names the line of the first undecodable byte
    # utf-8-sig: a byte-order mark is not part of the first sentence.
    return path.read_text(encoding="utf-8-sig")
