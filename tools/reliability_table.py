"""Regenerate the README's Reliability table from a test run.

    python tools/reliability_table.py            # run the marked tests, update JSON + README
    python tools/reliability_table.py --no-run   # re-render README from the committed JSON

The tests marked `reliability` (bad-input catalogue, injected faults, property tests) run
with FRAMELENS_RELIABILITY_REPORT set; tests/conftest.py writes each case, its expected
outcome and its result to tests/fixtures/reliability.json, and the table between the
README's `<!-- reliability:begin -->` and `<!-- reliability:end -->` is rendered from it.
A test checks that the README and the JSON agree, so the table cannot be edited by hand
or go stale silently.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JSON_PATH = ROOT / "tests" / "fixtures" / "reliability.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"
TEST_FILES = ("tests/test_bad_inputs.py", "tests/test_faults.py", "tests/test_properties.py")
RESULT_MARK = {"passed": "✅ passed", "failed": "❌ failed", "skipped": "⏭ skipped",
               "not run": "not run"}


def run_tests(json_path: Path = JSON_PATH) -> int:
    """Run the marked tests with the report variable set; the pytest exit code."""
    env = dict(os.environ, FRAMELENS_RELIABILITY_REPORT=str(json_path), HF_HUB_OFFLINE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "reliability",
           *TEST_FILES]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(data: dict[str, Any]) -> str:
    """The Markdown table (and a one-line tally) for the cases in `data`."""
    cases = data["cases"]
    tally = Counter(c["result"] for c in cases)
    parts = [f"{n} {result}" for result, n in sorted(tally.items())]
    lines = [f"{len(cases)} cases: {', '.join(parts)}.", "",
             "| Area | Case | Expected | Result |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(c['area'])} | {_cell(c['case'])} | {_cell(c['expect'])} | "
              f"{RESULT_MARK.get(c['result'], c['result'])} |" for c in cases]
    return "\n".join(lines)


def readme_block(readme_text: str) -> str:
    """What the README holds between the markers (stripped)."""
    if BEGIN not in readme_text or END not in readme_text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    return readme_text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def update_readme(table: str, readme: Path = README) -> bool:
    """Put `table` between the markers; whether the README changed."""
    text = readme.read_text(encoding="utf-8")
    readme_block(text)  # the markers must be there
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n{table}\n{END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true",
                        help="Render the committed JSON without running the tests.")
    args = parser.parse_args(argv)
    code = 0
    if not args.no_run:
        code = run_tests()
        if code not in (0, 1):  # 1: some case failed, which the table then shows
            print(f"pytest exited with {code}; README not updated", file=sys.stderr)
            return code
    data = json.loads(JSON_PATH.read_text(encoding="utf-8"))
    changed = update_readme(render(data))
    print(f"{len(data['cases'])} cases; README {'updated' if changed else 'unchanged'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
