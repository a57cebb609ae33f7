"""`framelens data validate|stats`"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from framelens.cli.render import console, err_console

app = typer.Typer(help="Inspect and check labelled corpora.", no_args_is_help=True)

PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Corpus files (JSONL/CSV/TSV/Parquet). Default: the bundled corpus."),
]


def _paths(paths: list[Path] | None) -> list[Path]:
    from framelens.data.corpus import corpus_files

    if paths:
        return paths
    files = corpus_files()
    if not files:
        from framelens.data.errors import DataError

        raise DataError.single("corpus", None, "(files)",
                               "the bundled corpus is missing; pass corpus files explicitly")
    return files


@app.command("validate")
def validate(
    paths: PathsArg = None,
    show_warnings: Annotated[bool, typer.Option("--warnings", help="List warnings too.")] = False,
) -> None:
    """Check schema, labels, empty/duplicate texts, near-duplicates and split leakage."""
    from framelens.data.validate import validate_corpus

    report = validate_corpus(_paths(paths))
    for issue in report.errors:
        err_console.print(f"[red]error[/red] {issue}", highlight=False)
    if show_warnings:
        for issue in report.warnings:
            err_console.print(f"[yellow]warning[/yellow] {issue}", highlight=False)
    status = "[green]valid[/green]" if report.ok else "[red]invalid[/red]"
    console.print(
        f"{status}: {report.n_rows} rows in {len(report.files)} file(s), "
        f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("stats")
def stats(
    paths: PathsArg = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown tables.")] = False,
) -> None:
    """Counts by label x conflict x register, hard-case tags and lengths."""
    from framelens.data.stats import corpus_frame, stats_markdown
    from framelens.data.validate import load_rows

    rows, _ = load_rows(_paths(paths))
    df = corpus_frame([r.data for r in rows])
    text = stats_markdown(df)
    if markdown:
        print(text, end="")
    else:
        from rich.markdown import Markdown

        console.print(Markdown(text))


@app.command("cues")
def cues(
    paths: PathsArg = None,
    task: Annotated[str, typer.Option(help="Whose labels the cues are checked against.")] = "frame",
) -> None:
    """Label distribution of each non-decisive cue word (codebook C15); exit 1 if one leans."""
    from framelens.data.cues import MAX_SHARE, cue_audit, cues_markdown
    from framelens.data.tasks import get_task
    from framelens.data.validate import load_rows

    spec = get_task(task)
    rows = [r.data for r in load_rows(_paths(paths))[0]]
    audit = cue_audit(rows, spec.label_column, spec.labels)
    print(cues_markdown(audit, spec.labels), end="")
    leaning = [c.cue for c in audit if c.leans]
    if leaning:
        console.print(f"[red]{len(leaning)} cue(s) lean more than {MAX_SHARE:.0%} to one label: "
                      f"{', '.join(leaning)}[/red]")
        raise typer.Exit(1)
    console.print(f"no audited cue leans more than {MAX_SHARE:.0%} to one {task} label")


@app.command("audit")
def audit(
    paths: PathsArg = None,
    task: Annotated[str, typer.Option(help="Task whose labels are audited.")] = "frame",
    out: Annotated[Path, typer.Option(help="CSV of suspected label errors.")] = Path(
        "outputs/audit/label_issues.csv"),
    base_model: Annotated[str | None, typer.Option(help="Encoder for the out-of-fold model "
                                                   "(default: the registry's default).")] = None,
) -> None:
    """Find likely mislabelled rows from out-of-fold probabilities (confident learning)."""
    import numpy as np

    from framelens.data.errors import DataError, DataIssue
    from framelens.data.tasks import get_task
    from framelens.data.validate import load_rows
    from framelens.data.writers import write_rows
    from framelens.models.embeddings import Encoder
    from framelens.training.audit import audit_rows, out_of_fold_probs

    spec = get_task(task)
    # The audit needs text and label only; schema problems elsewhere are `validate`'s job.
    loaded, _ = load_rows(_paths(paths))
    rows = [r.data for r in loaded]
    bad = [DataIssue(r.path, r.line, spec.label_column,
                     f"unknown label {r.data.get(spec.label_column)!r} (allowed: "
                     f"{', '.join(spec.labels)})")
           for r in loaded if r.data.get(spec.label_column) not in spec.label2id]
    if bad:
        raise DataError(bad)
    texts = [r["text"] for r in rows]
    labels = np.asarray([spec.label2id[r[spec.label_column]] for r in rows])
    embeddings = (Encoder(base_model) if base_model else Encoder()).encode(texts, progress=True)
    probs = out_of_fold_probs(embeddings, labels)
    issues, method = audit_rows(rows, texts, labels, probs, spec.labels)
    out = out.with_suffix(".csv") if out.suffix.lower() not in {".csv", ".jsonl"} else out
    write_rows(issues, out)
    accuracy = float((probs.argmax(1) == labels).mean())
    console.print(f"{len(issues)} of {len(rows)} rows flagged for review ({method}; out-of-fold "
                  f"accuracy {accuracy:.3f}); written to {out}")
