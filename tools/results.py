"""The README's results table comes from a committed results file, never typed by hand.

    python tools/results.py collect --model BUNDLE --reports REPORT_DIR [--crossval CV_DIR]
    python tools/results.py table       # rewrite the README block from the results file

`collect` reads what the commands wrote (`framelens evaluate --out REPORT_DIR` for each task,
`framelens crossval --out CV_DIR`, and the model's own metrics.json for the training time)
into bench/results/accuracy.json. `table` renders that file into README.md between
<!-- results:begin --> and <!-- results:end -->; a test fails if the two disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "accuracy.json"
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- results:begin -->\n.*?<!-- results:end -->", re.S)


def _ci(m: dict[str, Any]) -> dict[str, Any]:
    return {"value": round(m["value"], 4), "ci": [round(x, 4) for x in m["ci"]]}


def collect_task(report: dict[str, Any]) -> dict[str, Any]:
    m = report["metrics"]
    out: dict[str, Any] = {"n": report["n"], "macro_f1": _ci(m["macro_f1"]),
                           "accuracy": _ci(m["accuracy"]), "ece": round(m["ece"], 4)}
    for b in report.get("baselines", []):
        if "tf-idf" in b["name"].lower() or b["name"].startswith("tfidf"):
            out["tfidf"] = {"macro_f1": _ci(b["macro_f1"]),
                            "delta": round(-b["delta_macro_f1"], 4),
                            "delta_ci": [round(-x, 4) for x in reversed(b["delta_ci"])],
                            "ci_overlap": b["ci_overlap"]}
    for s in report.get("slices", {}).get("version", []):
        out[f"macro_f1_{s['value']}"] = _ci(s["macro_f1"]) | {"n": s["n"]}
        if "baseline_macro_f1" in s:
            out[f"macro_f1_{s['value']}"]["tfidf"] = round(s["baseline_macro_f1"], 4)
    if "challenge" in report:
        out["challenge_pass_rate"] = round(report["challenge"]["pass_rate"], 4)
        out["challenge_n"] = report["challenge"]["n"]
    return out


def collect(model: Path, reports: Path, crossval: Path | None,
            separate: Path | None = None) -> dict[str, Any]:
    from framelens.models.model_dir import is_bundle, read_bundle, read_metrics

    tasks = read_bundle(model) if is_bundle(model) else {"task": "."}
    results: dict[str, Any] = {"tasks": {}}
    for name, sub in tasks.items():
        report_file = reports / name / "metrics.json"
        if not report_file.is_file():
            report_file = reports / "metrics.json"
        results["tasks"][name] = collect_task(json.loads(report_file.read_text()))
        metrics = read_metrics(model / sub) or {}
        results["train_seconds"] = metrics.get("train_seconds")
        results["epochs_run"] = metrics.get("epochs_run")
        if separate is not None and (separate / name / "metrics.json").is_file():
            other = json.loads((separate / name / "metrics.json").read_text())
            results["tasks"][name]["separate_model"] = {
                "macro_f1": _ci(other["metrics"]["macro_f1"])}
        if crossval is not None:
            cv_file = crossval / f"crossval-{name}.json"
            if cv_file.is_file():
                cv = json.loads(cv_file.read_text())
                results["tasks"][name]["leave_one_conflict_out"] = {
                    method: {"mean": round(agg["mean_macro_f1"], 4),
                             "sd": round(agg["sd_macro_f1"], 4),
                             "folds": len(agg["per_group"]),
                             "groups": sorted(agg["per_group"])}
                    for method, agg in cv["methods"].items()}
    return results


def _fmt(m: dict[str, Any]) -> str:
    return f"{m['value']:.3f} [{m['ci'][0]:.3f}, {m['ci'][1]:.3f}]"


def _version_cell(m: dict[str, Any] | None) -> str:
    """A version slice's macro-F1, with the TF-IDF baseline's in the same rows when known."""
    if m is None:
        return "—"
    return f"{m['value']:.3f}" + (f" (TF-IDF {m['tfidf']:.3f})" if "tfidf" in m else "")


def _within(value: float, m: dict[str, Any]) -> bool:
    return m["ci"][0] <= value <= m["ci"][1]


def _wars(loco: dict[str, Any]) -> str:
    """'21 wars', or the names when only a few folds were run."""
    groups = loco.get("groups", [])
    if groups and len(groups) <= 6:
        return f"{len(groups)} wars only: {', '.join(groups)}"
    return f"{loco['folds']} wars"


def render(results: dict[str, Any]) -> str:
    """The Markdown table (and its notes) for README.md."""
    lines = ["| task | macro-F1 (test) | v1 rows | v2 rows | TF-IDF + LR | Δ vs TF-IDF [paired CI] "
             "| leave-one-conflict-out | challenge set | ECE |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, t in results["tasks"].items():
        tf = t.get("tfidf")
        loco = t.get("leave_one_conflict_out", {})
        ours = next((loco[k] for k in ("joint", "transformer") if k in loco), None)
        lines.append(" | ".join([
            f"| {name}", f"**{_fmt(t['macro_f1'])}** (n={t['n']})",
            _version_cell(t.get("macro_f1_v1")),
            _version_cell(t.get("macro_f1_v2")),
            _fmt(tf["macro_f1"]) if tf else "—",
            (f"{tf['delta']:+.3f} [{tf['delta_ci'][0]:+.3f}, {tf['delta_ci'][1]:+.3f}]"
             + ("" if tf["ci_overlap"] else ", CIs apart")) if tf else "—",
            (f"{ours['mean']:.3f} ± {ours['sd']:.3f} ({_wars(ours)})" if ours else "not run"),
            f"{t['challenge_pass_rate']:.1%} of {t['challenge_n']}" if "challenge_pass_rate" in t
            else "—",
            f"{t['ece']:.3f} |",
        ]))
    separate = {n: t["separate_model"] for n, t in results["tasks"].items() if "separate_model" in t}
    if separate:
        inside = all(_within(results["tasks"][n]["macro_f1"]["value"], m["macro_f1"])
                     for n, m in separate.items())
        verdict = ("the shared encoder is within these CIs on every task" if inside else
                   "the shared encoder falls outside these CIs on at least one task")
        lines.append("")
        lines.append("The same recipe with one encoder per task (twice the training and inference "
                     "cost): " + ", ".join(f"{n} {_fmt(m['macro_f1'])}" for n, m in separate.items())
                     + f" — {verdict}.")
    if results.get("train_seconds") is not None:
        lines.append("")
        lines.append(f"Training time of the default bundle on this 2-core CPU: "
                     f"{results['train_seconds']:.0f} s ({results['epochs_run']:g} epochs).")
    return "\n".join(lines) + "\n"


def write_table(readme: Path = README, results_file: Path = RESULTS) -> None:
    results = json.loads(results_file.read_text())
    text = readme.read_text()
    if not BLOCK.search(text):
        raise SystemExit(f"{readme} has no <!-- results:begin --> block")
    block = f"<!-- results:begin -->\n{render(results)}<!-- results:end -->"
    readme.write_text(BLOCK.sub(lambda _: block, text))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--model", type=Path, required=True)
    c.add_argument("--reports", type=Path, required=True)
    c.add_argument("--crossval", type=Path)
    c.add_argument("--separate", type=Path, help="Reports of the same recipe, one model per task.")
    c.add_argument("--notes", default="")
    sub.add_parser("table")
    args = ap.parse_args()
    if args.cmd == "collect":
        results = collect(args.model, args.reports, args.crossval, args.separate)
        if args.notes:
            results["notes"] = args.notes
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {RESULTS}")
    write_table()
    print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
