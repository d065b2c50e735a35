"""The run manifest and run summary, built from shard summaries.

``manifest.json`` is what a downstream job reads to know a run is complete and what it
contains: counts that add up (inputs = records + rejects + skipped), every shard with its
record count and sha256, and the config hash and version that produced them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from cleaners import __version__
from cleaners.run.shards import ShardSummary


#: How many of the most frequent removal rules the manifest and summaries list.
TOP_RULES = 10


@dataclass(frozen=True)
class RunTotals:
    inputs: int
    records: int
    rejects: int
    chars_in: int
    chars_out: int
    removals: dict[str, int]
    top_rules: dict[str, int]
    languages: dict[str, int]
    reject_reasons: dict[str, int]
    skipped: int
    skip_reasons: dict[str, int]


def totals(summaries: Sequence[ShardSummary], skip_reasons: Mapping[str, int] | None = None) -> RunTotals:
    removals: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for s in summaries:
        removals.update(s.removals)
        rules.update(s.rules)
        languages.update(s.languages)
        reasons.update(r["reason"] for r in s.rejects)
    return RunTotals(
        inputs=sum(s.inputs for s in summaries),
        records=sum(s.records for s in summaries),
        rejects=sum(len(s.rejects) for s in summaries),
        chars_in=sum(s.chars_in for s in summaries),
        chars_out=sum(s.chars_out for s in summaries),
        removals=dict(sorted(removals.items())),
        top_rules=dict(sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_RULES]),
        languages=dict(sorted(languages.items())),
        reject_reasons=dict(sorted(reasons.items())),
        skipped=sum((skip_reasons or {}).values()),
        skip_reasons=dict(sorted((skip_reasons or {}).items())),
    )


def build_manifest(
    *,
    run_id: str,
    flow_run_id: str | None,
    flow_run_ids: list[str],
    started_at: str,
    ended_at: str,
    config_hash: str,
    config: dict,
    sources: list[str],
    inputs: int,
    files: int,
    summaries: Sequence[ShardSummary],
    rejects_sha256: str,
    skip_reasons: Mapping[str, int],
    skipped_sha256: str,
    ledger: str | None,
    unsupported_endings: Mapping[str, int] | None = None,
    near_duplicates: dict | None = None,
) -> dict:
    """The manifest of a finished run; raises if any input is unaccounted for.

    ``inputs`` is the number of documents the scan found (a JSONL line, a WARC record or a
    whole file each) in ``files`` files, counted independently of the cleaning shards, so a
    lost shard or document fails the run instead of shrinking the counts.
    ``unsupported_endings``: the files of other endings in the source folders (skipped as
    ``unsupported_format``), by ending. ``near_duplicates``: the run's near-duplicate
    figures (mode, records compared, copies, clusters, history size); null when off.
    """
    t = totals(summaries, skip_reasons)
    if inputs != t.records + t.rejects + t.skipped or inputs != t.inputs + t.skipped:
        raise AssertionError(
            f"accounting error: {inputs} inputs != {t.records} records + {t.rejects} rejects + {t.skipped} skipped"
        )
    return {
        "run_id": run_id,
        "flow_run_id": flow_run_id,
        "flow_run_ids": flow_run_ids,
        "started_at": started_at,
        "ended_at": ended_at,
        "newsclean_version": __version__,
        "config_hash": config_hash,
        "config": config,
        "sources": sources,
        "counts": {"inputs": inputs, "records": t.records, "rejects": t.rejects, "skipped": t.skipped},
        "files": files,
        "invariant": "inputs == records + rejects + skipped",
        "chars": {"in": t.chars_in, "out": t.chars_out},
        "removals": t.removals,
        "top_rules": t.top_rules,
        "languages": t.languages,
        "reject_reasons": t.reject_reasons,
        "skip_reasons": t.skip_reasons,
        "unsupported_endings": dict(sorted((unsupported_endings or {}).items(), key=lambda item: (-item[1], item[0]))),
        "near_duplicates": near_duplicates,
        "shards": [{"file": s.file, "records": s.records, "sha256": s.sha256} for s in summaries],
        "rejects_file": {"file": "rejects.jsonl", "sha256": rejects_sha256},
        "skipped_file": {"file": "skipped.jsonl", "sha256": skipped_sha256},
        "ledger": ledger,
    }


def summary_table(manifest: dict) -> list[dict]:
    """One row per figure, for the Prefect table artifact and the CLI."""
    rows = [
        {"figure": "documents (inputs)", "value": manifest["counts"]["inputs"]},
        {"figure": "records", "value": manifest["counts"]["records"]},
        {"figure": "rejects", "value": manifest["counts"]["rejects"]},
        {"figure": "skipped", "value": manifest["counts"]["skipped"]},
        {"figure": "characters in", "value": manifest["chars"]["in"]},
        {"figure": "characters out", "value": manifest["chars"]["out"]},
    ]
    rows += [{"figure": f"removed: {cat}", "value": n} for cat, n in manifest["removals"].items()]
    rows += [{"figure": f"rejected: {reason}", "value": n} for reason, n in manifest["reject_reasons"].items()]
    rows += [{"figure": f"skipped: {reason}", "value": n} for reason, n in manifest["skip_reasons"].items()]
    near = manifest.get("near_duplicates")  # null when off; absent in manifests before 0.3
    if near:
        rows += [
            {"figure": "near-duplicates: records compared", "value": near["compared"]},
            {"figure": f"near-duplicates: later copies ({'skipped' if near['mode'] == 'skip' else 'marked'})", "value": near["copies"]},
            {"figure": "near-duplicates: clusters", "value": near["clusters"]},
        ]
    endings = manifest.get("unsupported_endings") or {}  # manifests of 0.1 runs have none
    rows += [{"figure": f"skipped: unsupported_format {ending}", "value": n} for ending, n in endings.items()]
    return rows


def summary_markdown(manifest: dict, run_dir: str) -> str:
    lines = [
        f"# newsclean run `{manifest['run_id']}`",
        "",
        f"Output: `{run_dir}`  ",
        f"newsclean {manifest['newsclean_version']}, config `{manifest['config_hash'][:12]}`",
        "",
        "| figure | value |",
        "|---|---:|",
    ]
    lines += [f"| {row['figure']} | {row['value']} |" for row in summary_table(manifest)]
    lines += ["", "| language | documents |", "|---|---:|"]
    lines += [f"| {code} | {n} |" for code, n in manifest["languages"].items()]
    lines += ["", f"| top {TOP_RULES} removal rules | spans |", "|---|---:|"]
    lines += [f"| `{rule}` | {n} |" for rule, n in manifest["top_rules"].items()]
    return "\n".join(lines) + "\n"
