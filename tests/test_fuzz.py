"""A small fuzz corpus (every broken-input kind, mixed with real pages) through `newsclean clean`.

The generator and the checks are those of ``benchmarks/fuzz_corpus.py`` (which reports the
full-size run, more than 1,000 broken inputs); here 3 rounds of every kind and 8 good pages.
"""

from __future__ import annotations

import sys

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import fuzz_corpus  # noqa: E402


def test_broken_inputs_are_all_accounted_for_and_good_pages_all_present(prefect_server, tmp_path, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the CLI records on the test server
    planted = fuzz_corpus.build(tmp_path / "corpus", broken=3 * fuzz_corpus.KINDS, good=8)
    code, _, stderr = fuzz_corpus.run_cli(tmp_path / "corpus", tmp_path / "out")
    assert code == 0, stderr
    result = fuzz_corpus.check(tmp_path / "out", planted)
    assert result["invariant_holds"], result
    assert result["internal_errors"] == 0
    assert result["reasons_match"], (result["reject_reasons"], result["planted_reasons"])
    assert result["good_missing"] == []
    assert result["skips_match"], result
    assert result["counts"]["records"] == 8 and result["counts"]["skipped"] == sum(planted.skips.values()) > 0
