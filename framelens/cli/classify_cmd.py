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
    from framelens.data.writers import write_rows
    from framelens.models.documents import predict_rows, sentences_of, task_names
    from framelens.models.predictor import Classifier

    text = _read_text(input_file)
    sentences = sentences_of(text, one_per_line=lines)
    if not sentences:
        raise ValueError(f"{input_file}: no sentences found (the file is empty)")
    clf = Classifier.load(model)
    rows = predict_rows(clf, sentences, batch_size=batch_size, progress=len(sentences) > 200)
    if out:
        write_rows(rows, out)
        console.print(f"{len(rows)} sentences classified, written to {out}")
    else:
        console.print(predictions_table(rows, task_names(clf)))


def _read_text(path: Path) -> str:
    from framelens.data.readers import check_utf8

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    check_utf8(path)  # names the line of the first undecodable byte
    return path.read_text(encoding="utf-8")
