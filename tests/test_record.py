"""The record contract: schema checked in, every record valid, output deterministic."""

from __future__ import annotations

import json

import jsonschema

from cleaners.config import CleanConfig
from cleaners.pipeline import InputDocument, RunInfo, clean_document
from cleaners.record import CATEGORIES, EDIT_KINDS, SCHEMA_PATH, render_schema

from .conftest import SEEDS


def test_checked_in_schema_matches_the_models():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), "run `make schema` and commit docs/record.schema.json"


def test_every_seed_record_validates_against_the_schema(seed_run):
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for record in seed_run["records"].values():
        validator.validate(record)
        assert record["id"] == record["source"]["sha256"]
        assert record["stats"]["chars_out"] == len(record["text"])
        assert sum(record["stats"]["removals"].values()) == len(record["removed"])
        # every category and edit kind, in one order, on every record: one stable column type
        assert list(record["stats"]["removals"]) == list(CATEGORIES)
        assert list(record["stats"]["edits"]) == list(EDIT_KINDS)
        assert sum(record["stats"]["edits"].values()) == len(record["edits"])


def _content(record) -> tuple:
    return record.text, [r.model_dump() for r in record.removed], [e.model_dump() for e in record.edits]


def test_cleaning_twice_gives_identical_text_removals_and_edits():
    config = CleanConfig()
    run = RunInfo(config.config_hash(), processed_at="2026-01-01T00:00:00+00:00")
    for path in sorted(SEEDS.glob("*.txt")):
        doc = InputDocument(uri=str(path), raw=path.read_bytes())
        first, second = clean_document(doc, config, run), clean_document(doc, config, run)
        assert first.model_dump_json() == second.model_dump_json()


def test_seed_run_records_match_a_direct_call(seed_run):
    """The flow adds orchestration, not behaviour: same content as calling the pipeline."""
    from cleaners.run.shards import merge_profiles, profile_shard

    config = CleanConfig()
    paths = sorted(SEEDS.glob("*.txt"))
    profile = merge_profiles([profile_shard([str(p) for p in paths])])
    run = RunInfo(config.config_hash())
    for path in paths:
        direct = clean_document(InputDocument(uri=str(path), raw=path.read_bytes()), config, run, profile)
        flowed = seed_run["records"][path.name[:3]]
        assert (flowed["text"], flowed["removed"], flowed["edits"]) == (
            direct.text,
            [r.model_dump() for r in direct.removed],
            [e.model_dump() for e in direct.edits],
        )


def test_config_hash_is_stable_and_sensitive():
    assert CleanConfig().config_hash() == CleanConfig().config_hash()
    assert CleanConfig().config_hash() != CleanConfig.model_validate({"typos": {"enabled": False}}).config_hash()


def test_a_manifest_that_does_not_add_up_fails_the_run():
    """A lost document (the scan found more than the shards account for) is an error, not a smaller count."""
    import pytest

    from cleaners.run.shards import ShardSummary
    from cleaners.run.manifest import build_manifest

    shard = ShardSummary(index=0, file="documents-00000.jsonl", records=2, inputs=3, rejects=[{"reason": "empty"}])
    common = dict(
        run_id="r", flow_run_id=None, flow_run_ids=[], started_at="t", ended_at="t", config_hash="h", config={}, sources=["s"],
        files=1, summaries=[shard], rejects_sha256="", skip_reasons={}, skipped_sha256="", ledger=None,
    )
    assert build_manifest(inputs=3, **common)["counts"] == {"inputs": 3, "records": 2, "rejects": 1, "skipped": 0}
    with pytest.raises(AssertionError, match="accounting error: 4 inputs != 2 records"):
        build_manifest(inputs=4, **common)
