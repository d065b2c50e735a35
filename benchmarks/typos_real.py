"""Word edits on real writing: every typo, split and name-variant edit on the bench's gold texts, judged.

The injected-typo benchmark (``normalisation.py``) measures recall on typos this repository
made up; it cannot tell how often a *real* text gets a wrong edit, the error that costs most
(a downstream reader trusts the text). So: every gold text of ``../shared/bench``
(scrapinghub, wcxb-dev-articles, dragnet-train: real articles, no noise added) goes through
the repair steps as the flow runs them (``clean_text`` with boilerplate off, so the typo
step sees the whole gold), with one run-wide profile per set built from all its texts, as
the flow's scan pass builds it. Every ``typo``, ``split`` and ``name_variant`` edit is listed
with its context and looked up in ``typos_real_labels.jsonl`` (beside this script), a
committed file with a verdict on each edit.

The labelling rule (also the file's first line): an edit is ``right`` only if the writer
certainly meant the new form; ``wrong`` if the writer meant what was written (a real word,
a name, a quoted foreign word, a deliberate spelling) or the edit changes the meaning;
``unsure`` when the context does not settle it. Precision = right / (right + wrong);
``unsure`` edits count in neither and are shown.

Prints per set and step: tokens, edits, right / wrong / unsure / unlabelled, precision and
wrong edits per 10,000 tokens; then each wrong and each unlabelled edit in context.
``--unlabelled FILE`` writes the unlabelled edits as label lines (verdict empty) to fill in
and append to the labels file.

    .venv/bin/python benchmarks/typos_real.py [--set NAME] [--unlabelled FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import MEASURED_SETS, load  # noqa: E402  (also puts ../shared/bench on sys.path)

from cleaners.config import CleanConfig  # noqa: E402
from cleaners.steps.run_profile import CorpusProfile  # noqa: E402
from cleaners.pipeline import clean_text  # noqa: E402
from cleaners.steps.typos import english_lexicon  # noqa: E402

LABELS = Path(__file__).resolve().parent / "typos_real_labels.jsonl"
WORD_EDITS = ("typo", "split", "name_variant")
CONTEXT = 60
TOKEN = re.compile(r"\w+")
REPAIR_ONLY = CleanConfig.model_validate({"boilerplate": {"enabled": False}})
VERDICTS = ("right", "wrong", "unsure")


@dataclass(frozen=True)
class WordEdit:
    set: str
    page: str
    kind: str
    before: str
    after: str
    start: int
    context: str

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        return (self.set, self.page, self.start, self.before, self.after)


def context_of(text: str, start: int, end: int) -> str:
    """The edited word in brackets with ``CONTEXT`` characters either side, on one line."""
    left = text[max(start - CONTEXT, 0) : start]
    right = text[end : end + CONTEXT]
    return f"{left}[{text[start:end]}]{right}".replace("\n", " ¶ ")


def word_edits(name: str) -> tuple[list[WordEdit], int]:
    """Every word edit on the set's gold texts, and the set's token count."""
    rows = [r for r in load(name) if r["gold_text"].strip()]
    profile = CorpusProfile.of_texts((r["gold_text"] for r in rows), english_lexicon().knows)
    found, tokens = [], 0
    for row in rows:
        gold = row["gold_text"]
        result, language = clean_text(gold, REPAIR_ONLY, profile)
        if language.code in REPAIR_ONLY.typos.languages:
            tokens += len(TOKEN.findall(gold))
        found += [
            WordEdit(name, row["id"], e.kind, e.before, e.after, e.start, context_of(gold, e.start, e.end))
            for e in result.edits
            if e.kind in WORD_EDITS
        ]
    return found, tokens


def read_labels(path: Path) -> dict[tuple[str, str, int, str, str], dict]:
    labels = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        row = json.loads(line)
        if "rule" in row:  # the labelling rule, the file's first line
            continue
        labels[(row["set"], row["page"], row["start"], row["before"], row["after"])] = row
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", choices=list(MEASURED_SETS))
    parser.add_argument("--unlabelled", type=Path, help="write unlabelled edits here as label lines to fill in")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    labels = read_labels(LABELS)
    rows, wrong, unlabelled = [], [], []
    print(f"{'set':18s} {'step':13s} {'tokens':>9s} {'edits':>6s} {'right':>6s} {'wrong':>6s} {'unsure':>6s} {'unlab.':>6s} {'precision':>9s} {'wrong/10k':>9s}")
    for name in args.set or MEASURED_SETS:
        edits, tokens = word_edits(name)
        for kind in (*WORD_EDITS, "all"):
            mine = [e for e in edits if kind in ("all", e.kind)]
            verdicts = Counter(labels[e.key]["verdict"] if e.key in labels else "unlabelled" for e in mine)
            judged = verdicts["right"] + verdicts["wrong"]
            precision = verdicts["right"] / judged if judged else None
            per_10k = verdicts["wrong"] / tokens * 10_000 if tokens else 0.0
            rows.append({"set": name, "step": kind, "tokens": tokens, "edits": len(mine), **{v: verdicts[v] for v in (*VERDICTS, "unlabelled")},
                         "precision": precision, "wrong_per_10k_tokens": per_10k})
            shown = f"{precision:9.3f}" if precision is not None else f"{'-':>9s}"
            print(f"{name:18s} {kind:13s} {tokens:9d} {len(mine):6d} {verdicts['right']:6d} {verdicts['wrong']:6d} {verdicts['unsure']:6d} {verdicts['unlabelled']:6d} {shown} {per_10k:9.3f}", flush=True)
        wrong += [e for e in edits if e.key in labels and labels[e.key]["verdict"] == "wrong"]
        unlabelled += [e for e in edits if e.key not in labels]
    for title, shown in (("wrong edits", wrong), ("unlabelled edits (label them in the same commit)", unlabelled)):
        if shown:
            print(f"\n{title}: {len(shown)}")
            for e in shown:
                why = labels[e.key].get("why", "") if e.key in labels else ""
                print(f"  {e.set[:10]:10s} {e.page[:12]:12s} {e.kind:12s} {e.before!r} -> {e.after!r}  {e.context!r}  {why}")
    if args.unlabelled:
        args.unlabelled.write_text("".join(
            json.dumps({"set": e.set, "page": e.page, "start": e.start, "kind": e.kind, "before": e.before, "after": e.after,
                        "context": e.context, "verdict": "", "why": ""}, ensure_ascii=False) + "\n" for e in unlabelled), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
