"""Near-duplicate records (issue 35): precision and recall against exact Jaccard, and cost.

``cleaners/run/near_duplicates.py`` marks a record as a copy of an earlier one when the
MinHash estimate of the Jaccard similarity of their word shingles reaches ``threshold``,
with LSH bands choosing which pairs are compared. This script checks that it finds the
copies a news corpus has and only those, and what it costs:

* **Synthetic syndication set** (:func:`synthesize`, seeded; reusable by tests): English gold
  texts of ``../shared/bench`` (all three files, at least 150 words, near-identical golds
  dropped) are *stories*; each appears as its original and 1-20 copies (a truncated power law:
  most stories get 1-3 copies, a few up to 20), each copy with a random mix of a new headline,
  a byline, one paragraph dropped (at most a quarter of the words) or one added (from another article),
  a block of 1-4 boilerplate lines from another page (lines of its ``scraped_text`` that are not in its gold), and
  whitespace / punctuation changes. Beside them, texts that must *not* join a story: a
  *same-topic* article (the unused gold with the most content words in common with the story)
  and a *follow-up* (the story's first 1-2 paragraphs, then at least twice as many words of
  other text). The copies stand for cleaned texts: what a cleaner leaves of another page.
* **Edge level**: on a sample of whole stories (``--sample`` documents), every pair's exact
  Jaccard of the module's own shingle sets (``shingle_hashes``) by brute force (a sparse
  product); truth = pairs at ``threshold`` or above; predicted = the pairs the module confirms
  (a shared band key, estimate at the threshold). Precision, recall, and the LSH's share of
  the recall loss.
* **Cluster level**: ``decide`` + ``verdicts`` over the sample as one run; pairs in one cluster
  against the exact-Jaccard truth and against the generator's truth (same story), and the
  same-topic / follow-up texts that joined their story's cluster.
* **Incremental**: the sample in 3 nights, each decided with the earlier nights as history,
  must give the one-run verdicts; a re-run of a night (its documents already in the history)
  must keep them.
* **Real pairs**: the bench golds' own pairs at exact Jaccard 0.3 or more (a few real copies,
  a few different articles of one site whose gold keeps the site's template text), with the
  module's estimate: where the threshold has to fall on real text.
* **Sweep** (``--skip-sweep``): threshold x shingle words x (permutations, bands).
* **Cost**: ``signature`` CPU ms per document on the gold texts, on ``scraped_text`` and on
  the cleaned texts, against ``clean_document`` on the same pages in the same run; then, each
  in a child process (peak RSS by ``VmHWM``, tracemalloc peak in another child),
  ``decide`` over ``--scale`` synthetic documents in one run, and ``--scale / 10`` new ones
  after a history of ``--scale`` (and of half as many) read by ``read_history`` from a ledger
  written by ``write_history``; their verdicts must equal those of one run over all.
  The scale set is the same generator over *composed* stories (random sentences of the gold
  texts), since the bench holds fewer than 2,000 distinct articles.

CPU time (``time.process_time``), not wall time: the machine is shared. The stories, copies
and every choice follow ``--seed``.

    .venv/bin/python benchmarks/near_duplicates.py [--stories 600] [--sample 3000] [--scale 100000]
        [--skip-sweep] [--skip-scale] [--seed 35] [--json benchmarks/results/near_duplicates.json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "bench"
sys.path.insert(0, str(ROOT))

from cleaners.config import NearDuplicateOptions
from cleaners.run import near_duplicates as nd

SETS = ("scrapinghub", "wcxb-dev-articles", "dragnet-train")
WORD = re.compile(r"\w+")
#: A source article has at least this many words (a story worth syndicating).
MIN_SOURCE_WORDS = 150
#: Two bench golds this similar (exact Jaccard of 5-word shingles) are one article: the later is dropped.
SAME_SOURCE = 0.5
#: Copies per story: P(k) proportional to k ** -COPY_EXPONENT, k = 1..MAX_COPIES.
MAX_COPIES, COPY_EXPONENT = 20, 1.6
#: Probability of each change to a copy (at least one is always made).
CHANGES = {"headline": 0.6, "byline": 0.5, "paragraph": 0.6, "boilerplate": 0.5, "punctuation": 0.7}
AGENCIES = ("Associated Press", "Reuters", "AFP", "Bloomberg", "PA Media", "dpa", "UPI", "CNN Wire", "The Conversation", "Staff")
FIRST = ("Anna", "James", "Maria", "David", "Sarah", "Michael", "Laura", "Daniel", "Emily", "Thomas", "Olivia", "Robert", "Grace", "Samuel")
LAST = ("Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Martinez", "Wilson", "Anderson", "Taylor", "Moore", "Clark", "Lewis")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
SHINGLES = (3, 4, 5, 7)
PERMUTATIONS_BANDS = ((64, 16), (128, 16), (128, 32), (256, 32), (256, 64), (512, 64))
#: Pages whose ``clean_document`` time is the reference for the signature's cost.
CLEAN_PAGES = 300
TODAY_CLEAN_MS = "20-28"


# --- the synthetic set -------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    key: str  # "<set>/<row id>"
    text: str  # the gold text, line ends normalised
    boilerplate: tuple[str, ...]  # lines of the row's scraped_text that are not in its gold


@dataclass(frozen=True)
class SynthDoc:
    id: str  # 64 hex (sha256), as a record's id
    text: str
    story: int  # documents of one story are copies of each other: the generator's truth
    kind: str  # "original", "copy", "same_topic" or "follow_up"
    related: int  # the story it copies or resembles (its own for originals and copies)


def words(text: str) -> list[str]:
    return WORD.findall(text)


def paragraphs(text: str) -> list[str]:
    """Blank-line paragraphs; lines when there are fewer than 3 of those."""
    found = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    if len(found) < 3:
        found = [line.strip() for line in text.splitlines() if line.strip()]
    return found


def load_sources(min_words: int = MIN_SOURCE_WORDS) -> tuple[list[Source], dict]:
    """English golds of every bench file with ``min_words`` words or more, in file order;
    a gold whose 5-word shingles are ``SAME_SOURCE`` Jaccard-similar to an earlier one's is
    dropped (the bench's own duplicates would be unlabelled copies)."""
    found = []
    for name in SETS:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                gold = row["gold_text"].replace("\r\n", "\n").replace("\r", "\n")
                if row["lang"] != "en" or len(words(gold)) < min_words:
                    continue
                golds = {g.strip() for g in gold.splitlines() if g.strip()}
                extra = []
                for scraped in row["scraped_text"].replace("\r\n", "\n").splitlines():
                    scraped = scraped.strip()
                    if scraped and scraped not in golds and scraped not in gold and 2 <= len(words(scraped)) <= 30:
                        extra.append(scraped)
                found.append(Source(f"{name}/{row['id']}", gold, tuple(extra)))
    pairs = exact_pairs([s.text for s in found], 5)
    drop = set(pairs.j[pairs.jaccard >= SAME_SOURCE].tolist())
    kept = [s for i, s in enumerate(found) if i not in drop]
    return kept, {"english_golds": len(found), "dropped_as_duplicates": len(drop), "sources": len(kept)}


def compose_sources(sources: Sequence[Source], count: int, seed: int) -> list[Source]:
    """``count`` distinct articles of 4-10 paragraphs of 2-5 random sentences of the gold
    texts: stories for a set larger than the bench (they share a sentence now and then, as
    quotes do, never a story)."""
    rng = np.random.default_rng(seed)
    sentences = [s for src in sources for p in paragraphs(src.text) for s in re.split(r"(?<=[.!?])\s+", p) if 6 <= len(words(s)) <= 60]
    out = []
    for n in range(count):
        paras = [" ".join(sentences[i] for i in rng.integers(len(sentences), size=rng.integers(2, 6))) for _ in range(rng.integers(4, 11))]
        donor = sources[int(rng.integers(len(sources)))]
        out.append(Source(f"composed/{n}", "\n\n".join(paras), donor.boilerplate))
    return out


def _headline(story_words: list[str], rng: np.random.Generator) -> str:
    pool = [w for w in story_words if len(w) >= 4] or story_words
    picked = rng.choice(pool, size=min(len(pool), int(rng.integers(6, 13))), replace=False)
    return " ".join(w.capitalize() for w in picked)


def _byline(rng: np.random.Generator) -> str:
    name = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"
    agency = AGENCIES[rng.integers(len(AGENCIES))]
    return f"By {name}, {agency}" if rng.random() < 0.7 else f"Reporting by {name}; editing by {FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"


def _repunctuate(text: str, rng: np.random.Generator) -> str:
    """Whitespace and punctuation changes (a different CMS's typography)."""
    ops: list[Callable[[str], str]] = [
        lambda t: t.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"'),
        lambda t: re.sub(r"'([^'\n]{1,80})'", "\u2018\\1\u2019", t).replace("'", "\u2019"),
        lambda t: t.replace(" \u2014 ", " - ").replace("\u2014", " -- ").replace("\u2013", "-"),
        lambda t: re.sub(r",", lambda m: "" if rng.random() < 0.3 else ",", t),
        lambda t: re.sub(r"\. ", lambda m: ".  " if rng.random() < 0.5 else ". ", t),
        lambda t: re.sub(r"\n\s*\n", "\n", t),
        lambda t: re.sub(r"(?<=[.!?\"\u201d]) (?=[A-Z])", lambda m: "\n" if rng.random() < 0.2 else " ", t),
        lambda t: "\n".join(line + " " * int(rng.integers(0, 3)) for line in t.split("\n")),
        lambda t: t.replace("...", "\u2026"),
    ]
    chosen = [op for op in ops if rng.random() < 0.4] or [ops[int(rng.integers(len(ops)))]]
    for op in chosen:
        text = op(text)
    return text


def make_copy(paras: list[str], story_words: list[str], rng: np.random.Generator, other_paragraph: Callable[[], str], boilerplate_block: Callable[[], list[str]]) -> tuple[str, list[str]]:
    """A syndicated copy of a story's paragraphs and the names of the changes made."""
    changes = []
    while not changes:
        changes = [name for name, p in CHANGES.items() if rng.random() < p]
    paras = list(paras)
    head, tail = [], []
    if "paragraph" in changes:
        total = len(words(" ".join(paras)))
        short = [i for i, p in enumerate(paras) if len(words(p)) * 4 <= total]  # a trimmed paragraph, not half the story
        if len(paras) >= 3 and short and rng.random() < 0.5:
            del paras[short[int(rng.integers(len(short)))]]
            changes[changes.index("paragraph")] = "drop_paragraph"
        else:
            paras.insert(int(rng.integers(len(paras) + 1)), other_paragraph())
            changes[changes.index("paragraph")] = "add_paragraph"
    if "headline" in changes:
        head.append(_headline(story_words, rng))
    if "byline" in changes:
        (head if rng.random() < 0.7 else tail).append(_byline(rng))
    if "boilerplate" in changes:
        block = boilerplate_block()
        if rng.random() < 0.5:
            head = block + head
        else:
            tail = tail + block
    text = "\n\n".join(head + paras + tail)
    if "punctuation" in changes:
        text = _repunctuate(text, rng)
    return text, changes


def copy_counts(stories: int, rng: np.random.Generator) -> np.ndarray:
    """Copies per story: 1-``MAX_COPIES``, most 1-3 (a truncated power law)."""
    k = np.arange(1, MAX_COPIES + 1)
    p = k ** -COPY_EXPONENT
    return rng.choice(k, size=stories, p=p / p.sum())


def nearest_by_words(stories: Sequence[str], others: Sequence[str]) -> np.ndarray:
    """For each story, the other text with the highest Jaccard of content-word sets
    (lowercased words of 4+ letters), ranked: shape (stories, others) argsort, best first."""
    vocab: dict[str, int] = {}
    def matrix(texts: Sequence[str]) -> sparse.csr_matrix:
        rows, cols = [], []
        for i, t in enumerate(texts):
            ws = {w for w in WORD.findall(t.lower()) if len(w) >= 4 and not w.isdigit()}
            cols.extend(vocab.setdefault(w, len(vocab)) for w in ws)
            rows.extend([i] * len(ws))
        return rows, cols
    r1, c1 = matrix(stories)
    r2, c2 = matrix(others)
    a = sparse.csr_matrix((np.ones(len(r1), np.float32), (r1, c1)), shape=(len(stories), len(vocab)))
    b = sparse.csr_matrix((np.ones(len(r2), np.float32), (r2, c2)), shape=(len(others), len(vocab)))
    inter = (a @ b.T).toarray()
    union = np.asarray(a.sum(1)) + np.asarray(b.sum(1)).T - inter
    return np.argsort(-(inter / np.maximum(union, 1)), axis=1, kind="stable")


def synthesize(sources: Sequence[Source], stories: int, seed: int, same_topic: float = 0.25, follow_up: float = 0.25, nearest_topic: bool = True) -> list[SynthDoc]:
    """The synthetic syndication set, in history order (shuffled, seeded).

    ``stories`` sources (a seeded choice) become stories: the original and its copies
    (:func:`copy_counts`, :func:`make_copy`). For a ``same_topic`` share of the stories, the
    unused source with most content words in common joins as a different story (with
    ``nearest_topic`` false: any unused source); for a ``follow_up`` share, a text made of the
    story's first 1-2 paragraphs and at least twice as many words of other text. Unused
    sources (those not chosen as stories) give the same-topic articles, the added paragraphs
    and the follow-ups' new text, so that these never copy a story of the set.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sources))
    if stories > len(sources) // 2:
        raise ValueError(f"at most {len(sources) // 2} stories from {len(sources)} sources (the rest supply other text)")
    chosen = [sources[i] for i in order[:stories]]
    spare = [sources[i] for i in order[stories:]]
    counts = copy_counts(stories, rng)
    topic_for = rng.random(stories) < same_topic
    follow_for = rng.random(stories) < follow_up
    # Same-topic articles first, each spare source at most once; the other spare sources
    # give paragraphs: added ones drawn with replacement, follow-ups' new text without (two
    # texts of different stories never share more than an added paragraph).
    ranked = nearest_by_words([s.text for s in chosen], [s.text for s in spare]) if nearest_topic and topic_for.any() else None
    topic_pick: dict[int, int] = {}
    for n in np.nonzero(topic_for)[0].tolist():
        candidates = ranked[n] if ranked is not None else rng.permutation(len(spare))
        pick = next((int(i) for i in candidates if int(i) not in topic_pick.values()), None)
        if pick is not None:
            topic_pick[n] = pick
    taken = set(topic_pick.values())
    spare_paras = [p for i, s in enumerate(spare) if i not in taken for p in paragraphs(s.text) if 20 <= len(words(p)) <= 150]
    fresh = [spare_paras[i] for i in rng.permutation(len(spare_paras)).tolist()]
    with_boilerplate = [s.boilerplate for s in sources if s.boilerplate]

    def other_paragraph() -> str:
        return spare_paras[int(rng.integers(len(spare_paras)))]

    def boilerplate_block() -> list[str]:
        lines = with_boilerplate[int(rng.integers(len(with_boilerplate)))]
        size = int(rng.integers(1, 5))
        start = int(rng.integers(max(len(lines) - size, 0) + 1))
        return list(lines[start : start + size])

    docs: list[tuple[str, int, str, int]] = []
    next_story = stories
    for n, src in enumerate(chosen):
        paras = paragraphs(src.text)
        story_words = words(" ".join(paras[:2]))
        docs.append((src.text, n, "original", n))
        for _ in range(int(counts[n])):
            docs.append((make_copy(paras, story_words, rng, other_paragraph, boilerplate_block)[0], n, "copy", n))
        if n in topic_pick:
            docs.append((spare[topic_pick[n]].text, next_story, "same_topic", n))
            next_story += 1
        if follow_for[n]:
            kept = paras[: int(rng.integers(1, 3))]
            needed = max(2 * len(words("\n\n".join(kept))), 120)
            new: list[str] = []
            while len(words("\n\n".join(new))) < needed and fresh:
                new.append(fresh.pop())
            head = [_headline(story_words, rng)] if rng.random() < 0.7 else []
            docs.append(("\n\n".join(head + kept + new), next_story, "follow_up", n))
            next_story += 1
    shuffled = rng.permutation(len(docs))
    out = []
    for position, i in enumerate(shuffled.tolist()):
        text, story, kind, related = docs[i]
        digest = hashlib.sha256(f"{seed}:{position}\n{text}".encode()).hexdigest()
        out.append(SynthDoc(digest, text, story, kind, related))
    return out


def sample_stories(docs: Sequence[SynthDoc], size: int, seed: int) -> list[int]:
    """Row numbers (in history order) of whole related groups (a story with its same-topic
    and follow-up texts) chosen at random until ``size`` documents."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        groups[d.related].append(i)
    if len(docs) <= size:
        return list(range(len(docs)))
    rng = np.random.default_rng(seed + 1)
    keys = sorted(groups)
    picked: list[int] = []
    for g in rng.permutation(len(keys)).tolist():
        if len(picked) >= size:
            break
        picked.extend(groups[keys[g]])
    return sorted(picked)


# --- truth and measurement ---------------------------------------------------------------


@dataclass
class Pairs:
    """Pairs ``i < j`` of row numbers with their exact Jaccard (every pair sharing a shingle)."""

    i: np.ndarray
    j: np.ndarray
    jaccard: np.ndarray

    def codes(self, n: int, at_least: float) -> np.ndarray:
        keep = self.jaccard >= at_least
        return np.sort(self.i[keep].astype(np.int64) * n + self.j[keep])


def exact_pairs(texts: Sequence[str], shingle_words: int) -> Pairs:
    """Exact Jaccard, by brute force, of the module's shingle sets (``shingle_hashes``) of
    every pair of texts that share at least one shingle (a sparse product: the others are 0)."""
    sets = [nd.shingle_hashes(t, shingle_words) for t in texts]
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    flat = np.concatenate(sets) if sets else np.zeros(0, np.uint32)
    _, columns = np.unique(flat, return_inverse=True)
    rows = np.repeat(np.arange(len(sets)), sizes)
    m = sparse.csr_matrix((np.ones(len(flat), np.int32), (rows, columns.ravel())), shape=(len(sets), int(columns.max(initial=-1)) + 1))
    product = sparse.triu(m @ m.T, k=1).tocoo()
    inter = product.data.astype(np.int64)
    jac = inter / (sizes[product.row] + sizes[product.col] - inter)
    return Pairs(product.row.astype(np.int64), product.col.astype(np.int64), jac)


def pr(predicted: np.ndarray, truth: np.ndarray) -> dict:
    hit = len(np.intersect1d(predicted, truth, assume_unique=True))
    return {
        "predicted": len(predicted), "truth": len(truth), "hits": hit,
        "precision": round(hit / len(predicted), 5) if len(predicted) else 1.0,
        "recall": round(hit / len(truth), 5) if len(truth) else 1.0,
    }


def signatures(texts: Sequence[str], options: NearDuplicateOptions) -> tuple[np.ndarray, float]:
    """Signatures of texts that all have one, and the CPU ms per text."""
    start = time.process_time()
    sigs = [nd.signature(t, options) for t in texts]
    ms = (time.process_time() - start) * 1000 / max(len(texts), 1)
    if any(s is None for s in sigs):
        raise ValueError("a text under min_words in the set")
    return np.stack(sigs), ms


def labels_of(decided: nd.Decided) -> np.ndarray:
    """Each document's cluster as the row number of the cluster's first document."""
    row_of = {bytes(r).hex(): i for i, r in enumerate(decided.ids)}
    return np.array([i if v is None else row_of[v.cluster] for i, v in enumerate(nd.verdicts(decided))], dtype=np.int64)


def same_label_codes(labels: np.ndarray) -> np.ndarray:
    """Pairs ``i < j`` with equal labels, as codes ``i * n + j``."""
    n = len(labels)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        groups[label].append(i)
    codes = []
    for members in groups.values():
        if len(members) > 1:
            m = np.array(members, dtype=np.int64)
            a, b = np.triu_indices(len(m), k=1)
            codes.append(m[a] * n + m[b])
    return np.sort(np.concatenate(codes)) if codes else np.zeros(0, np.int64)


def evaluate(docs: Sequence[SynthDoc], sigs: np.ndarray, truth_pairs: Pairs, options: NearDuplicateOptions, incremental: bool = False) -> dict:
    """Edge- and cluster-level precision / recall of the module at ``options`` on ``docs``."""
    n = len(docs)
    ids = nd.to_ids([d.id for d in docs])
    truth = truth_pairs.codes(n, options.threshold)
    start = time.process_time()
    candidates = nd.candidate_pairs(sigs, options)
    estimates = nd.similarities(sigs[candidates[:, 0]], sigs[candidates[:, 1]]) if len(candidates) else np.zeros(0)
    edge_ms = (time.process_time() - start) * 1000
    candidate_codes = np.sort(candidates[:, 0] * n + candidates[:, 1])
    confirmed = np.sort(candidates[estimates >= options.threshold, 0] * n + candidates[estimates >= options.threshold, 1])
    edge = pr(confirmed, truth)
    edge["candidates"] = len(candidates)
    edge["truth_pairs_not_candidates"] = len(np.setdiff1d(truth, candidate_codes, assume_unique=True))
    start = time.process_time()
    decided = nd.decide([], nd.Batch(ids, sigs), options)
    decide_ms = (time.process_time() - start) * 1000
    labels = labels_of(decided)
    clustered = same_label_codes(labels)
    stories = np.array([d.story for d in docs])
    story_pairs = same_label_codes(stories)
    wrong = {"same_topic": 0, "follow_up": 0}
    total = {"same_topic": 0, "follow_up": 0}
    rows_of: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        rows_of[d.story].append(i)
    for i, d in enumerate(docs):
        if d.kind in wrong:
            total[d.kind] += 1
            wrong[d.kind] += int(labels[i] in set(labels[rows_of[d.related]].tolist()))
    out = {
        "threshold": options.threshold, "shingle_words": options.shingle_words, "permutations": options.permutations, "bands": options.bands,
        "documents": n, "edge": edge, "cluster_vs_exact": pr(clustered, truth), "cluster_vs_story": pr(clustered, story_pairs),
        "story_pairs_at_threshold": round(len(np.intersect1d(story_pairs, truth)) / max(len(story_pairs), 1), 5),
        "wrongly_clustered": {k: f"{wrong[k]}/{total[k]}" for k in wrong}, "wrong_count": wrong, "related_count": total,
        "clusters": len(np.unique(labels)), "stories": len(np.unique(stories)),
        "confirm_ms_per_doc": round(edge_ms / n, 4), "decide_ms_per_doc": round(decide_ms / n, 4),
    }
    if incremental:
        out["incremental"] = incremental_check(ids, sigs, options, decided)
    return out


def incremental_check(ids: np.ndarray, sigs: np.ndarray, options: NearDuplicateOptions, one_run: nd.Decided, nights: int = 3) -> dict:
    """Verdicts night by night (earlier nights as history) against one run; and a re-run of
    the last night (already in the history) keeps its verdicts."""
    bounds = np.linspace(0, len(ids), nights + 1).astype(int)
    history: list[nd.Decided] = []
    for a, b in pairwise(bounds.tolist()):
        history.append(nd.decide(list(history), nd.Batch(ids[a:b], sigs[a:b]), options))
    nightly = [v for d in history for v in nd.verdicts(d)]
    expected = nd.verdicts(one_run)
    differ = [i for i, (x, y) in enumerate(zip(nightly, expected)) if x != y]
    cluster_differ = [i for i in differ if (nightly[i] and nightly[i].cluster) != (expected[i] and expected[i].cluster)]
    a, b = bounds[-2], bounds[-1]
    rerun = nd.verdicts(nd.decide(list(history), nd.Batch(ids[a:b], sigs[a:b]), options))
    return {
        "nights": nights, "verdicts_differ": len(differ), "clusters_differ": len(cluster_differ), "equal": not differ,
        "rerun_keeps": rerun == nd.verdicts(history[-1]),
    }


def bench_pairs(options: NearDuplicateOptions, at_least: float = 0.3) -> list[dict]:
    """Real pairs: every two bench golds (any language, ``min_words`` or more, all three
    files) whose exact Jaccard reaches ``at_least``, with the module's estimate. The bench
    holds a few true copies (one wire story from two pages) and a few different articles of
    one site whose gold keeps the site's template text: where the threshold must fall."""
    found = []
    for name in SETS:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                gold = row["gold_text"].replace("\r\n", "\n")
                if len(words(gold)) >= options.min_words:
                    found.append((f"{name}/{row['id']}", gold))
    pairs = exact_pairs([g for _, g in found], options.shingle_words)
    out = []
    for x in np.nonzero(pairs.jaccard >= at_least)[0].tolist():
        (a, ta), (b, tb) = found[pairs.i[x]], found[pairs.j[x]]
        estimate = float(nd.similarities(nd.signature(ta, options)[None, :], nd.signature(tb, options)[None, :])[0])
        out.append({"a": a, "b": b, "exact": round(float(pairs.jaccard[x]), 4), "estimate": estimate,
                    "a_start": " ".join(ta.split())[:60], "b_start": " ".join(tb.split())[:60]})
    return sorted(out, key=lambda r: -r["exact"])


# --- cost --------------------------------------------------------------------------------


def cost_signature(sources: Sequence[Source], options: NearDuplicateOptions, seed: int) -> dict:
    """Signature CPU ms/doc on golds, scraped texts and cleaned texts, and ``clean_document``'s
    CPU ms/doc on the same pages (the reference), best of 3 rounds."""
    from cleaners.config import CleanConfig
    from cleaners.pipeline import InputDocument, RunInfo, clean_document
    from cleaners.record import Record

    scraped: dict[str, str] = {}
    for name in SETS:
        with gzip.open(BENCH / f"{name}.jsonl.gz", "rt", encoding="utf-8") as rows:
            for line in rows:
                row = json.loads(line)
                scraped[f"{name}/{row['id']}"] = row["scraped_text"]
    golds = [s.text for s in sources]
    dirty = [scraped[s.key] for s in sources if len(words(scraped[s.key])) >= options.min_words]

    def best(texts: Sequence[str], fn: Callable[[str], object], rounds: int = 3) -> float:
        fn(texts[0])
        times = []
        for _ in range(rounds):
            start = time.process_time()
            for t in texts:
                fn(t)
            times.append((time.process_time() - start) * 1000 / len(texts))
        return min(times)

    out = {}
    for label, texts in (("gold_text", golds), ("scraped_text", dirty)):
        out[label] = {
            "docs": len(texts), "words_per_doc": round(float(np.mean([len(words(t)) for t in texts])), 1),
            "signature_ms": round(best(texts, lambda t: nd.signature(t, options)), 4),
            "shingles_ms": round(best(texts, lambda t: nd.shingle_hashes(t, options.shingle_words)), 4),
        }
    rng = np.random.default_rng(seed)
    pages = [dirty[i] for i in sorted(rng.choice(len(dirty), size=min(CLEAN_PAGES, len(dirty)), replace=False).tolist())]
    config = CleanConfig()
    run = RunInfo(config.config_hash(), processed_at="benchmark")
    cleaned = []
    for i, page in enumerate(pages):
        result = clean_document(InputDocument(uri=f"page-{i}", raw=page.encode("utf-8")), config, run)
        if isinstance(result, Record) and len(words(result.text)) >= options.min_words:
            cleaned.append(result.text)
    clean_ms = best(pages, lambda t: clean_document(InputDocument(uri="page", raw=t.encode("utf-8")), config, run), rounds=2)
    sig_clean = best(cleaned, lambda t: nd.signature(t, options))
    out["cleaned_text"] = {"docs": len(cleaned), "words_per_doc": round(float(np.mean([len(words(t)) for t in cleaned])), 1), "signature_ms": round(sig_clean, 4)}
    out["clean_document_ms"] = round(clean_ms, 3)
    out["clean_pages"] = len(pages)
    out["signature_share_of_clean"] = round(sig_clean / clean_ms, 4)
    return out


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` figure in MB: ``VmRSS`` (now) or ``VmHWM`` (peak). Not
    ``ru_maxrss``: Linux carries the parent's peak into a child across ``exec``."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(task: str, folder: Path, options: NearDuplicateOptions, traced: bool) -> dict:
    """One measurement in a fresh process (``--child``): ``one_run`` decides
    ``history.npz`` (the first ``--scale`` documents; and writes the history ledgers: all of it, and its first half),
    ``history`` / ``half_history`` decide ``new.npz`` after the ledger's history (read by
    ``read_history``), ``all_one_run`` decides ``all.npz`` (both) as one run (the reference verdicts)."""
    ledger = {"history": str(folder / "ledger"), "half_history": str(folder / "ledger-half")}
    source = {"one_run": "history.npz", "all_one_run": "all.npz"}.get(task, "new.npz")
    with np.load(folder / source) as data:
        run = nd.Batch(data["ids"], data["signatures"])
    base_rss = _status_mb("VmRSS")
    if traced:
        tracemalloc.start()
    start = time.process_time()
    if task in ("one_run", "all_one_run"):
        decided = nd.decide([], run, options)
    else:
        decided = nd.decide(nd.read_history(ledger[task], options), run, options)
    cpu = time.process_time() - start
    out = {"task": task, "run_docs": len(run), "cpu_s": round(cpu, 3), "rss_before_mb": round(base_rss, 1), "peak_rss_mb": round(_status_mb("VmHWM"), 1)}
    if traced:
        out["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
        return out
    if task == "one_run":
        start = time.process_time()
        files = nd.write_history(ledger["history"], "run-0001", options, decided, np.ones(len(decided), bool))
        out["write_history_cpu_s"] = round(time.process_time() - start, 3)
        out["history_files"] = files
        half = len(run) // 2
        part = nd.Decided(decided.ids[:half], decided.signatures[:half], decided.clusters[:half], decided.matches[:half], decided.similarity[:half])
        nd.write_history(ledger["half_history"], "run-0001", options, part, np.ones(half, bool))
        out["clusters"] = len(np.unique(labels_of(decided)))
    np.savez(folder / f"decided-{task}.npz", clusters=decided.clusters, matches=decided.matches, similarity=decided.similarity)
    return out


def run_child(task: str, folder: Path, options: NearDuplicateOptions, traced: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", task, "--child-dir", str(folder), "--child-options", options.model_dump_json()]
    if traced:
        command.append("--traced")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"child {task} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cost_scale(sources: Sequence[Source], scale: int, options: NearDuplicateOptions, seed: int) -> dict:
    """``decide`` over ``scale`` documents (one run), and ``scale / 10`` new ones after a
    history of ``scale`` (and of ``scale / 2``), each measured in a child process."""
    new = max(scale // 10, 1)
    expected_docs_per_story = 1 + (np.arange(1, MAX_COPIES + 1) ** (1 - COPY_EXPONENT)).sum() / (np.arange(1, MAX_COPIES + 1) ** -COPY_EXPONENT).sum() + 0.5
    stories = math.ceil((scale + new) / expected_docs_per_story * 1.05)
    start = time.process_time()
    composed = compose_sources(sources, 2 * stories + 200, seed)
    docs = synthesize(composed, stories, seed, nearest_topic=False)[: scale + new]
    gen_s = time.process_time() - start
    if len(docs) < scale + new:
        raise RuntimeError(f"the scale set has {len(docs)} documents, wanted {scale + new}")
    sigs, sig_ms = signatures([d.text for d in docs], options)
    ids = nd.to_ids([d.id for d in docs])
    stories_of = np.array([d.story for d in docs])
    _, sizes = np.unique(stories_of, return_counts=True)
    out: dict = {
        "documents": scale, "new_documents": new, "generate_cpu_s": round(gen_s, 1), "signature_ms_per_doc": round(sig_ms, 4),
        "words_per_doc": round(float(np.mean([len(words(d.text)) for d in docs[:2000]])), 1),
        "stories": len(sizes), "largest_story": int(sizes.max()), "docs_in_multi_doc_stories": int(sizes[sizes > 1].sum()),
        "signature_bytes_per_doc": int(sigs.itemsize * sigs.shape[1] + 32),
    }
    candidates = nd.candidate_pairs(sigs[:scale], options)
    out["candidate_pairs"] = len(candidates)
    # decide compares each candidate pair's two signatures side by side, all at once
    del candidates
    with tempfile.TemporaryDirectory(prefix="nd-bench-") as tmp:
        folder = Path(tmp)
        np.savez(folder / "history.npz", ids=ids[:scale], signatures=sigs[:scale])
        np.savez(folder / "new.npz", ids=ids[scale:], signatures=sigs[scale:])
        np.savez(folder / "all.npz", ids=ids, signatures=sigs)
        del sigs
        out["one_run"] = run_child("one_run", folder, options)
        out["one_run"]["tracemalloc_peak_mb"] = run_child("one_run", folder, options, traced=True)["tracemalloc_peak_mb"]
        ledger_bytes = sum(p.stat().st_size for p in (folder / "ledger").rglob("*.npz"))
        out["history_ledger_bytes_per_doc"] = round(ledger_bytes / scale, 1)
        for task in ("history", "half_history"):
            out[task] = run_child(task, folder, options)
            out[task]["tracemalloc_peak_mb"] = run_child(task, folder, options, traced=True)["tracemalloc_peak_mb"]
        out["all_one_run"] = run_child("all_one_run", folder, options)
        reference = np.load(folder / "decided-all_one_run.npz")
        for task in ("history", "half_history"):
            got = np.load(folder / f"decided-{task}.npz")
            if task == "half_history":
                out[task]["equal_to_one_run"] = None  # its history lacks the second half: not comparable
                continue
            same = (np.all(got["clusters"] == reference["clusters"][scale:], axis=1) & np.all(got["matches"] == reference["matches"][scale:], axis=1)
                    & (got["similarity"] == reference["similarity"][scale:]))
            out[task]["verdicts_differ"] = int((~same).sum())
            out[task]["clusters_differ"] = int((~np.all(got["clusters"] == reference["clusters"][scale:], axis=1)).sum())
            out[task]["equal_to_one_run"] = bool(same.all())
        first = np.load(folder / "decided-one_run.npz")
        out["one_run"]["equal_to_prefix_of_all"] = bool(np.array_equal(first["clusters"], reference["clusters"][:scale]) and np.array_equal(first["matches"], reference["matches"][:scale]))
        clusters = reference["clusters"]
        story_of_cluster = defaultdict(set)
        for c, s in zip(map(bytes, clusters), stories_of.tolist()):
            story_of_cluster[c].add(s)
        out["clusters_spanning_stories"] = sum(len(v) > 1 for v in story_of_cluster.values())
        out["clusters"] = len(story_of_cluster)
    return out


# --- output ------------------------------------------------------------------------------


def fmt_pr(d: dict) -> str:
    return f"{d['precision']:.4f} / {d['recall']:.4f}"


def print_default(res: dict) -> None:
    e, ce, cs = res["edge"], res["cluster_vs_exact"], res["cluster_vs_story"]
    print(f"  documents {res['documents']}, stories {res['stories']}, clusters found {res['clusters']}")
    print(f"  {'level':34s} {'truth pairs':>11s} {'predicted':>9s} {'precision':>9s} {'recall':>7s}")
    print(f"  {'edge vs exact J >= t':34s} {e['truth']:11d} {e['predicted']:9d} {e['precision']:9.4f} {e['recall']:7.4f}")
    print(f"  {'cluster vs exact J >= t':34s} {ce['truth']:11d} {ce['predicted']:9d} {ce['precision']:9.4f} {ce['recall']:7.4f}")
    print(f"  {'cluster vs generator (same story)':34s} {cs['truth']:11d} {cs['predicted']:9d} {cs['precision']:9.4f} {cs['recall']:7.4f}")
    print(f"  LSH candidates {e['candidates']}; truth pairs never candidates {e['truth_pairs_not_candidates']}; "
          f"story pairs with exact J >= t: {res['story_pairs_at_threshold']:.4f}")
    print(f"  wrongly clustered with their story: same-topic {res['wrongly_clustered']['same_topic']}, follow-up {res['wrongly_clustered']['follow_up']}")
    if "incremental" in res:
        inc = res["incremental"]
        print(f"  incremental ({inc['nights']} nights) equal to one run: {inc['equal']} (verdicts differ {inc['verdicts_differ']}, clusters differ "
              f"{inc['clusters_differ']}); re-run of a night keeps its verdicts: {inc['rerun_keeps']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=600, help="stories of the synthetic set (each with its copies)")
    parser.add_argument("--sample", type=int, default=3000, help="documents (whole stories) whose every pair gets its exact Jaccard")
    parser.add_argument("--scale", type=int, default=100_000, help="documents of the decide cost / memory run")
    parser.add_argument("--seed", type=int, default=35)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-cost", action="store_true", help="no signature / clean_document timing")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-options", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        options = NearDuplicateOptions.model_validate_json(args.child_options)
        print(json.dumps(child(args.child, args.child_dir, options, args.traced)))
        return

    defaults = NearDuplicateOptions()
    wall = time.time()
    sources, source_info = load_sources()
    docs = synthesize(sources, args.stories, args.seed)
    kinds = defaultdict(int)
    for d in docs:
        kinds[d.kind] += 1
    rows = sample_stories(docs, args.sample, args.seed)
    sample = [docs[i] for i in rows]
    print(f"sources: {source_info}")
    print(f"synthetic set: {len(docs)} documents ({dict(kinds)}) from {args.stories} stories, seed {args.seed}; sample {len(sample)} documents")
    results: dict = {"args": {k: v for k, v in vars(args).items() if not k.startswith("child") and k != "traced" and k != "json"},
                     "defaults": defaults.model_dump(), "sources": source_info, "set": {"documents": len(docs), "kinds": dict(kinds), "sample": len(sample)}}

    texts = [d.text for d in sample]
    truth_by_k = {}
    start = time.process_time()
    truth_by_k[defaults.shingle_words] = exact_pairs(texts, defaults.shingle_words)
    exact_s = time.process_time() - start
    sigs, _ = signatures(texts, defaults)
    print(f"\n== default options (threshold {defaults.threshold}, shingle_words {defaults.shingle_words}, permutations {defaults.permutations}, "
          f"bands {defaults.bands}); exact Jaccard of {len(sample) * (len(sample) - 1) // 2} pairs in {exact_s:.1f} s CPU")
    res = evaluate(sample, sigs, truth_by_k[defaults.shingle_words], defaults, incremental=True)
    print_default(res)
    results["default"] = res
    jac = truth_by_k[defaults.shingle_words]
    stories = np.array([d.story for d in sample])
    same = stories[jac.i] == stories[jac.j]
    hist = np.histogram(jac.jaccard[same], bins=[0, 0.3, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0001])[0]
    print(f"  exact J of same-story pairs by bin [0,.3,.5,.6,.65,.7,.75,.8,.9,1]: {hist.tolist()}; different-story pairs with J >= 0.5: "
          f"{int(((~same) & (jac.jaccard >= 0.5)).sum())}, max {float(jac.jaccard[~same].max(initial=0)):.3f}")
    results["default"]["same_story_jaccard_histogram"] = hist.tolist()

    real = bench_pairs(defaults)
    print(f"\n== the bench's own gold pairs with exact J >= 0.3 (shingle_words {defaults.shingle_words}): real copies and same-site templates")
    for r in real:
        print(f"  exact {r['exact']:.3f} estimate {r['estimate']:.3f}  {r['a']:28s} {r['b']:28s} {r['a_start'][:40]!r} / {r['b_start'][:40]!r}")
    results["bench_pairs"] = real

    if not args.skip_sweep:
        print("\n== sweep (sample): edge = confirmed pairs vs exact J >= t; cluster = same-cluster pairs vs exact J / vs same story")
        print(f"  {'t':>4s} {'k':>2s} {'perm':>4s} {'bands':>5s} {'edge P / R':>17s} {'cluster/exact P / R':>20s} {'cluster/story P / R':>20s} "
              f"{'wrong ST/FU':>11s} {'cands':>7s} {'sig ms':>6s} {'dec ms':>6s}")
        sweep = []
        for k in SHINGLES:
            if k not in truth_by_k:
                truth_by_k[k] = exact_pairs(texts, k)
            for perm, bands in PERMUTATIONS_BANDS:
                base = NearDuplicateOptions(shingle_words=k, permutations=perm, bands=bands)
                sweep_sigs, sig_ms = signatures(texts, base)
                for t in THRESHOLDS:
                    opts = NearDuplicateOptions(threshold=t, shingle_words=k, permutations=perm, bands=bands)
                    r = evaluate(sample, sweep_sigs, truth_by_k[k], opts)
                    r["signature_ms_per_doc"] = round(sig_ms, 4)
                    sweep.append(r)
                    mark = " *" if (t, k, perm, bands) == (defaults.threshold, defaults.shingle_words, defaults.permutations, defaults.bands) else ""
                    print(f"  {t:4.2f} {k:2d} {perm:4d} {bands:5d} {fmt_pr(r['edge']):>17s} {fmt_pr(r['cluster_vs_exact']):>20s} {fmt_pr(r['cluster_vs_story']):>20s} "
                          f"{r['wrong_count']['same_topic']:>5d}/{r['wrong_count']['follow_up']:<5d} {r['edge']['candidates']:7d} {sig_ms:6.3f} {r['decide_ms_per_doc']:6.3f}{mark}", flush=True)
        results["sweep"] = sweep

    if not args.skip_cost:
        print("\n== signature cost (CPU ms per document, best of 3 rounds)")
        cost = cost_signature(sources, defaults, args.seed)
        for label in ("gold_text", "scraped_text", "cleaned_text"):
            c = cost[label]
            extra = f", of which shingling {c['shingles_ms']:.3f}" if "shingles_ms" in c else ""
            print(f"  {label:13s} {c['docs']:5d} docs, {c['words_per_doc']:7.1f} words/doc: signature {c['signature_ms']:.3f} ms{extra}")
        print(f"  clean_document on {cost['clean_pages']} of those scraped pages: {cost['clean_document_ms']:.2f} ms/doc (today's figure: {TODAY_CLEAN_MS} ms); "
              f"signature of the cleaned text = {cost['signature_share_of_clean']:.1%} of it, "
              f"{cost['cleaned_text']['signature_ms'] / 28:.1%}-{cost['cleaned_text']['signature_ms'] / 20:.1%} of {TODAY_CLEAN_MS} ms")
        results["cost"] = cost

    if not args.skip_scale:
        print(f"\n== decide at scale: {args.scale} documents (composed stories, same generator), each in a child process")
        sc = cost_scale(sources, args.scale, defaults, args.seed)
        print(f"  set: {sc['stories']} stories, largest {sc['largest_story']} docs, {sc['docs_in_multi_doc_stories']} docs in multi-doc stories, "
              f"{sc['words_per_doc']} words/doc; signatures {sc['signature_ms_per_doc']:.3f} ms/doc; ledger {sc['history_ledger_bytes_per_doc']} bytes/doc")
        print(f"  {'run':34s} {'docs':>7s} {'CPU s':>7s} {'ms/doc':>7s} {'RSS before':>10s} {'peak RSS':>9s} {'tracemalloc':>11s}  equal to one run")
        for task, label in (("one_run", f"one run of {args.scale}"), ("history", f"{sc['new_documents']} new after {args.scale} history"),
                            ("half_history", f"{sc['new_documents']} new after {args.scale // 2} history"), ("all_one_run", f"one run of {args.scale + sc['new_documents']}")):
            r = sc[task]
            equal = r.get("equal_to_one_run", r.get("equal_to_prefix_of_all", ""))
            traced = f"{r['tracemalloc_peak_mb']:9.1f}MB" if "tracemalloc_peak_mb" in r else f"{'-':>11s}"
            print(f"  {label:34s} {r['run_docs']:7d} {r['cpu_s']:7.2f} {r['cpu_s'] * 1000 / r['run_docs']:7.3f} {r['rss_before_mb']:8.1f}MB {r['peak_rss_mb']:7.1f}MB "
                  f"{traced}  {equal}")
        print(f"  clusters {sc['clusters']}, clusters spanning two generator stories {sc['clusters_spanning_stories']}; candidate pairs of the one run "
              f"{sc['candidate_pairs']} (scored in blocks of {nd._SCORE_BLOCK}); write_history {sc['one_run']['write_history_cpu_s']} s CPU")
        results["scale"] = sc
    results["wall_s"] = round(time.time() - wall, 1)
    print(f"\nwall time {results['wall_s']} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
