"""Regenerate the counts block of data/DATACARD.md from the bundled corpus.

Usage: python tools/update_datacard.py
The block between <!-- stats:begin --> and <!-- stats:end --> is replaced by
`framelens data stats --markdown`; a test checks that the two match.
"""

from __future__ import annotations

import json
import re

from framelens.data.corpus import DATACARD_PATH, corpus_files
from framelens.data.cues import cue_audit, cues_markdown
from framelens.data.stats import corpus_frame, stats_markdown
from framelens.data.tasks import FRAME


def main() -> None:
    rows = [json.loads(line) for p in corpus_files() for line in p.read_text().splitlines()]
    block = stats_markdown(corpus_frame(rows))
    card = DATACARD_PATH.read_text()
    new = re.sub(
        r"<!-- stats:begin -->\n.*<!-- stats:end -->",
        lambda _: f"<!-- stats:begin -->\n{block}<!-- stats:end -->",
        card,
        flags=re.S,
    )
    cues = cues_markdown(cue_audit(rows, "frame", FRAME.labels), FRAME.labels)
    new = re.sub(
        r"<!-- cues:begin -->\n.*<!-- cues:end -->",
        lambda _: f"<!-- cues:begin -->\n{cues}<!-- cues:end -->",
        new,
        flags=re.S,
    )
    DATACARD_PATH.write_text(new)
    print(f"updated {DATACARD_PATH}")


if __name__ == "__main__":
    main()
