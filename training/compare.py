"""One leaderboard across evaluation report folders (what `evaluate --out` wrote)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framelens.data.errors import DataError


@dataclass(frozen=True)
class SavedReport:
    """One report folder and its metrics.json (kept apart: the folder is not report data)."""

    folder: Path
    report: dict[str, Any]


def load_reports(dirs: Sequence[str | Path]) -> list[SavedReport]:
    reports = []
    for d in dirs:
        path = Path(d) / "metrics.json"
        if not path.is_file():
            raise DataError.single(path, None, "(file)", "not an evaluation report (run "
                                   "`framelens evaluate --out DIR` first)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError.single(path, None, "(file)", f"not valid JSON ({exc})") from None
        if not isinstance(data, dict) or "metrics" not in data:
            raise DataError.single(path, None, "metrics",
                                   "missing: not a full report (made without --out?)")
        reports.append(SavedReport(Path(d), data))
    return reports


def leaderboard(reports: Sequence[SavedReport]) -> list[dict[str, Any]]:
    """One row per report, best macro-F1 first within each task."""
    rows = []
    for saved in reports:
        r, m = saved.report, saved.report["metrics"]
        rows.append({
            "report": str(saved.folder), "task": r["task"], "model": r["model"],
            "data": Path(r["data"]).name, "n": r["n"],
            "macro_f1": m["macro_f1"]["value"], "macro_f1_ci": m["macro_f1"]["ci"],
            "accuracy": m["accuracy"]["value"], "ece": m.get("ece"),
            "challenge": (r.get("challenge") or {}).get("pass_rate"),
        })
    return sorted(rows, key=lambda x: (x["task"], -x["macro_f1"]))


def leaderboard_markdown(rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| rank | task | model | data | n | macro-F1 [95% CI] | accuracy | ECE | challenge |",
             "|---|---|---|---|---|---|---|---|---|"]
    rank, last_task = 0, None
    for r in rows:
        rank = 1 if r["task"] != last_task else rank + 1
        last_task = r["task"]
        lo, hi = r["macro_f1_ci"]
        ece = f"{r['ece']:.3f}" if r["ece"] is not None else "—"
        ch = f"{r['challenge']:.1%}" if r["challenge"] is not None else "—"
        lines.append(f"| {rank} | {r['task']} | {r['model']} | {r['data']} | {r['n']} | "
                     f"{r['macro_f1']:.3f} [{lo:.3f}, {hi:.3f}] | {r['accuracy']:.3f} | {ece} | {ch} |")
    return "\n".join(lines) + "\n"
