"""Near-duplicate records: the same story cleaned from several pages.

A wire story republished by many outlets, or today's update of yesterday's article, cleans
into texts that differ by a headline, a byline or a paragraph. Exact duplicates (the same
bytes) never reach the cleaner (:mod:`cleaners.run.ledger`); these are found here, on the
cleaned text, so that different page chrome does not hide a copy.

How (the MinHash + LSH recipe of datatrove, dolma and NeMo Curator, with the decisions kept
per record and stable across runs):

1. **Signature** (in the shard task, next to the cleaned text): the text's words
   (``\\w+``, lowercased, so spacing and punctuation do not matter), every run of
   ``shingle_words`` of them hashed, and the MinHash of those hashes: datasketch's
   ``affine32`` scheme, computed with numpy (:func:`minhash`).
   Texts of fewer than ``min_words`` words get none: a 20-word brief is the same as
   many others without being the same story.
2. **Candidates** (LSH): the signature cut into ``bands`` bands of ``rows`` values; two
   texts that agree on a whole band are candidates (in a crowded band bucket, only with
   its first ``BUCKET_CAP`` members: :class:`_Buckets`).
3. **Confirmation**: the share of equal signature values (MinHash's Jaccard estimate)
   must reach ``threshold``.
4. **Clusters**: documents are taken in history order (earlier runs by run id, then this
   run's shards and lines). A document's ``match`` is its most similar earlier document
   (ties: the earliest); its ``cluster`` is that document's cluster, i.e. the id of the
   cluster's first record. The first record of a cluster has ``near_duplicate`` null: a
   record depends only on what came before it, so nothing written is ever rewritten.

Across runs, the ledger keeps every cleaned document's signature and decision in
``<ledger>/near_duplicates/<run_id>-<chunk>.npz``; a run reads them chunk by chunk
(memory bounded by the run, not the history) and a document whose content is already
there (``--full``, a resumed run) keeps the decision it got then.
"""

from __future__ import annotations

import io
import posixpath
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

import numpy as np
from fsspec.core import url_to_fs

from cleaners.config import NearDuplicateOptions
from cleaners.record import NearDuplicate
from cleaners.run.ledger import parts_location
from cleaners.run.storage import AtomicWriter, join

#: Words of the cleaned text: what the AEB metric and most dedup tools count.
WORD = re.compile(r"\w+")
#: datasketch's permutation scheme. Signatures of another scheme, seed or shingle size are
#: not comparable: each file says which it holds (:func:`signature_kind`).
SCHEME = "affine32"
SEED = 1
#: Odd 64-bit multipliers that combine a shingle's word hashes (position-dependent, so
#: "a b c" and "c b a" differ); fixed forever, like the seed.
_MIXERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD,
     0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0x2545F4914F6CDD1D, 0x9FB21C651E98DF25, 0xC6A4A7935BD1E995],
    dtype=np.uint64,
)
MAX_SHINGLE_WORDS = len(_MIXERS)
#: A band bucket shared by more documents than this (a template text cleaned from thousands
#: of pages) pairs each document with its this-many predecessors only: linear, not quadratic.
BUCKET_CAP = 64
#: Documents per history file: the unit a run reads at a time.
CHUNK = 65_536
FOLDER = "near_duplicates"


def signature_kind(options: NearDuplicateOptions) -> str:
    """What makes two signatures comparable (not the threshold or the bands: those only
    decide what is done with them)."""
    return f"minhash-{SCHEME}-seed{SEED}-perm{options.permutations}-shingle{options.shingle_words}-w1"


@lru_cache(maxsize=8)
def _permutations(permutations: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutations for ``seed=SEED``: odd multipliers ``a`` and
    offsets ``b``, drawn as ``MinHash._init_permutations`` draws them."""
    draw = np.random.RandomState(SEED)
    a = draw.randint(0, 1 << 31, permutations, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, permutations, dtype=np.uint32)
    return a, b


#: MurmurHash3's 32-bit finalizer (datasketch's ``_fmix`` at width 32): shifts and multipliers.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
#: Shingles permuted at a time: bounds the (shingles x permutations) block to 2 MB.
_BLOCK = 4096


def minhash(shingles: np.ndarray, permutations: int) -> np.ndarray:
    """datasketch's ``MinHash(num_perm=permutations, seed=SEED, scheme="affine32")``
    updated with ``shingles`` as its hash values: the same numbers (a test holds them
    equal), computed in blocks. Importing datasketch loads scipy (about 60 MB in every
    worker) and its update calls a Python function per value; this is the same arithmetic."""
    a, b = _permutations(permutations)
    first, multiply, second, again, third = _FMIX32
    mixed = shingles.astype(np.uint32)
    mixed = mixed ^ (mixed >> first)
    mixed = mixed * multiply
    mixed = mixed ^ (mixed >> second)
    mixed = mixed * again
    mixed = mixed ^ (mixed >> third)
    values = np.full(permutations, np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(mixed), _BLOCK):
        block = mixed[start : start + _BLOCK, None] * a + b
        np.minimum(values, block.min(axis=0), out=values)
    return values


def shingle_hashes(text: str, shingle_words: int) -> np.ndarray:
    """The distinct 32-bit hashes of the text's runs of ``shingle_words`` lowercased words."""
    return _shingles_of(WORD.findall(text.lower()), shingle_words)


def _shingles_of(words: list[str], shingle_words: int) -> np.ndarray:
    count = len(words) - shingle_words + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32)
    hashes = np.fromiter((zlib.crc32(word.encode("utf-8")) for word in words), dtype=np.uint64, count=len(words))
    mixed = np.zeros(count, dtype=np.uint64)
    for position in range(shingle_words):
        mixed += hashes[position : position + count] * _MIXERS[position]
    return _sorted_unique((mixed >> np.uint64(32)).astype(np.uint32))


def signature(text: str, options: NearDuplicateOptions) -> np.ndarray | None:
    """The MinHash signature (``permutations`` uint32 values) of a cleaned text; None when
    it has fewer than ``min_words`` words."""
    words = WORD.findall(text.lower())
    if len(words) < options.min_words:
        return None
    return minhash(_shingles_of(words, options.shingle_words), options.permutations)


def band_keys(signatures: np.ndarray, options: NearDuplicateOptions) -> np.ndarray:
    """One 64-bit key per band per document, shape ``(documents, bands)``."""
    rows = options.permutations // options.bands
    values = signatures[:, : options.bands * rows].astype(np.uint64).reshape(len(signatures), options.bands, rows)
    keys = np.zeros((len(signatures), options.bands), dtype=np.uint64)
    for row in range(rows):
        keys = keys * np.uint64(0x100000001B3) + values[:, :, row] * _MIXERS[row % len(_MIXERS)]
    return keys


def similarities(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row by row, the share of equal values of two stacks of signatures (MinHash's
    Jaccard estimate), rounded to 4 places so that records print it plainly."""
    equal = np.count_nonzero(left == right, axis=1)
    return np.round(equal / left.shape[1], 4)


#: Candidate pairs scored at a time: bounds the gathered signatures to about 32 MB.
_SCORE_BLOCK = 32_768


def _scored(earlier: np.ndarray, later: np.ndarray, pairs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (rows of ``earlier``, rows of ``later``) whose estimate reaches
    ``threshold``, and their estimates, scored a block at a time."""
    kept, scores = [], []
    for start in range(0, len(pairs), _SCORE_BLOCK):
        block = pairs[start : start + _SCORE_BLOCK]
        score = similarities(earlier[block[:, 0]], later[block[:, 1]])
        good = score >= threshold
        kept.append(block[good])
        scores.append(score[good])
    if not kept:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
    return np.concatenate(kept), np.concatenate(scores)


def _best_per_later(pairs: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each later row among ``pairs``, its best earlier row: highest score, then the
    earliest. Returns (later rows, earlier rows, scores)."""
    if not len(pairs):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    order = np.lexsort((pairs[:, 0], -scores, pairs[:, 1]))
    ranked = pairs[order]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = ranked[1:, 1] != ranked[:-1, 1]
    return ranked[first, 1], ranked[first, 0], scores[order][first]


class _Buckets:
    """One band of the run's documents: each LSH bucket (run documents sharing the band's
    key) as a range of ``order``, and how many history documents fell in it so far.

    The cap: a bucket's members are compared with its first ``BUCKET_CAP`` members only
    (in history order: the history's, then the run's). A text cleaned from thousands of
    pages costs ``BUCKET_CAP`` comparisons per page, not thousands; and which members are
    first does not depend on how the history was cut into runs, so neither do decisions.
    """

    def __init__(self, keys: np.ndarray) -> None:
        # int32 rows (a run of up to 2**31 documents): a run holds one of these per band
        self.order = np.argsort(keys, kind="stable").astype(np.int32)
        ranked = keys[self.order]
        starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]])) if len(keys) else np.zeros(0, dtype=np.int64)
        self.keys = ranked[starts]
        self.start = starts.astype(np.int32)
        self.size = np.diff(np.append(starts, len(keys))).astype(np.int32)
        self.held = np.zeros(len(starts), dtype=np.int32)  # history documents in each bucket so far
        self.group = np.repeat(np.arange(len(starts), dtype=np.int32), self.size)  # bucket of each sorted position
        self.rank = np.arange(len(keys), dtype=np.int32) - self.start[self.group]  # place of each sorted position in its bucket

    def history_pairs(self, keys: np.ndarray) -> np.ndarray:
        """Pairs (row of a history chunk, run row) of the chunk's documents that are among
        their bucket's first ``BUCKET_CAP``; counts them into ``held``."""
        at = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        rows = np.flatnonzero(self.keys[at] == keys) if len(self.keys) else np.zeros(0, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, 2), dtype=np.int64)
        groups = at[rows]
        by_group = np.argsort(groups, kind="stable")  # chunk order within each bucket
        sorted_groups = groups[by_group]
        first = np.flatnonzero(np.concatenate([[True], sorted_groups[1:] != sorted_groups[:-1]]))
        rank = np.arange(len(rows)) - np.repeat(first, np.diff(np.append(first, len(rows))))
        eligible = self.held[sorted_groups] + rank < BUCKET_CAP
        np.add.at(self.held, groups, 1)
        owners, owner_groups = rows[by_group][eligible], sorted_groups[eligible]
        counts = self.size[owner_groups]
        steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        members = self.order[np.repeat(self.start[owner_groups], counts) + steps]
        return np.stack([np.repeat(owners, counts), members], axis=1)

    def run_pairs(self) -> np.ndarray:
        """Pairs (earlier run row, later run row) within buckets, the earlier one among its
        bucket's first ``BUCKET_CAP`` (history documents counted first)."""
        found = []
        for place in range(BUCKET_CAP):
            later = np.flatnonzero((self.rank > place) & (self.held[self.group] + place < BUCKET_CAP))
            if not len(later):
                break
            earlier = self.order[self.start[self.group[later]] + place]
            found.append(np.stack([earlier, self.order[later]], axis=1))
        return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)


def _union(codes: np.ndarray | None, pairs: np.ndarray, width: int) -> np.ndarray:
    """Pairs as sorted unique codes ``earlier * width + later``, merged with ``codes``:
    one band at a time, so that pairs shared by many bands are held once."""
    new = pairs[:, 0].astype(np.int64) * width + pairs[:, 1]
    return _sorted_unique(new if codes is None else np.concatenate([codes, new]))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting: numpy 2's hash-based ``unique`` took 73 s over the 32 bands
    of a run where 20,000 pages had one text (1.3 M pairs a band), sorting 5 s."""
    values = np.sort(values)
    return values[np.concatenate([[True], values[1:] != values[:-1]])] if len(values) else values


def candidate_pairs(signatures: np.ndarray, options: NearDuplicateOptions) -> np.ndarray:
    """The pairs (earlier row, later row) of one batch that share a band: what
    :func:`decide` compares within a run with no history (for benchmarks)."""
    keys, codes = band_keys(signatures, options), None
    for band in range(options.bands):
        codes = _union(codes, _Buckets(keys[:, band]).run_pairs(), len(signatures))
    return _decode(codes, len(signatures))


def _decode(codes: np.ndarray | None, width: int) -> np.ndarray:
    if codes is None or not len(codes):
        return np.zeros((0, 2), dtype=np.int64)
    return np.stack([codes // width, codes % width], axis=1)


@dataclass
class Batch:
    """Signatures of documents in history order, with their ids (32 raw bytes each)."""

    ids: np.ndarray  # (n, 32) uint8
    signatures: np.ndarray  # (n, permutations) uint32

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Decided(Batch):
    """Documents whose clusters are decided: a history file's content."""

    clusters: np.ndarray  # (n, 32) uint8; a document's own id when it opened its cluster
    matches: np.ndarray  # (n, 32) uint8; zeros when unmatched
    similarity: np.ndarray  # (n,) float32; 0 when unmatched
    known: np.ndarray | None = None  # (n,) bool, from :func:`decide`: the decision was read from the history


def decide(history: Iterable[Decided], run: Batch, options: NearDuplicateOptions) -> Decided:
    """The clusters of the run's documents (in their order), after the ``history``.

    A run document whose id is in the history keeps its decision from there. Each other
    document is matched to its most similar earlier document at ``threshold`` or above
    (ties: the earliest): the history's (streamed chunk by chunk) or the run's own earlier
    ones; it joins that document's cluster.
    """
    n = len(run)
    run_keys = band_keys(run.signatures, options)
    buckets = [_Buckets(run_keys[:, band]) for band in range(options.bands)]
    position = {bytes(row): i for i, row in enumerate(run.ids)}
    run_ids = _as_keys(run.ids)
    best_similarity = np.zeros(n, dtype=np.float64)
    best_cluster = np.array(run.ids, copy=True)
    best_match = np.zeros_like(run.ids)
    known = np.zeros(n, dtype=bool)  # decided in the history
    for chunk in history:
        for row in np.flatnonzero(np.isin(_as_keys(chunk.ids), run_ids)).tolist():
            i = position[bytes(chunk.ids[row])]
            if not known[i]:
                known[i] = True
                best_similarity[i], best_cluster[i], best_match[i] = chunk.similarity[row], chunk.clusters[row], chunk.matches[row]
        chunk_keys = band_keys(chunk.signatures, options)
        codes = None
        for band, bucket in enumerate(buckets):
            codes = _union(codes, bucket.history_pairs(chunk_keys[:, band]), n)
        pairs, scores = _scored(chunk.signatures, run.signatures, _decode(codes, n), options.threshold)
        fresh = ~known[pairs[:, 1]] & np.any(chunk.ids[pairs[:, 0]] != run.ids[pairs[:, 1]], axis=1)
        later, earlier, score = _best_per_later(pairs[fresh], scores[fresh])
        better = score > best_similarity[later]  # strictly: on a tie the earlier chunk's document stays
        later, earlier, score = later[better], earlier[better], score[better]
        best_similarity[later], best_cluster[later], best_match[later] = score, chunk.clusters[earlier], chunk.ids[earlier]
    codes = None
    for bucket in buckets:
        codes = _union(codes, bucket.run_pairs(), n)
    pairs, scores = _scored(run.signatures, run.signatures, _decode(codes, n), options.threshold)
    fresh = ~known[pairs[:, 1]] & np.any(run.ids[pairs[:, 0]] != run.ids[pairs[:, 1]], axis=1)
    later, earlier, score = _best_per_later(pairs[fresh], scores[fresh])
    for j, i, value in zip(later.tolist(), earlier.tolist(), score.tolist()):  # ascending: i's cluster is final
        if value > best_similarity[j]:  # strictly: on a tie the history's document, earlier, stays
            best_similarity[j], best_cluster[j], best_match[j] = value, best_cluster[i], run.ids[i]
    return Decided(run.ids, run.signatures, best_cluster, best_match, best_similarity.astype(np.float32), known)


def _as_keys(ids: np.ndarray) -> np.ndarray:
    """Ids as one comparable value each (for ``np.isin``)."""
    return np.ascontiguousarray(ids).view(np.dtype((np.void, 32))).ravel()


def verdicts(decided: Decided) -> list[NearDuplicate | None]:
    """Each document's :class:`NearDuplicate`, or None for the first of its cluster."""
    out: list[NearDuplicate | None] = []
    for cluster, match, score in zip(decided.clusters, decided.matches, decided.similarity.tolist()):
        out.append(None if not match.any() else NearDuplicate(cluster=bytes(cluster).hex(), similarity=round(score, 4), match=bytes(match).hex()))
    return out


# --- storage ---------------------------------------------------------------------------


def to_ids(hex_ids: Sequence[str]) -> np.ndarray:
    return np.frombuffer(b"".join(bytes.fromhex(h) for h in hex_ids), dtype=np.uint8).reshape(len(hex_ids), 32)


def _save(uri: str, kind: str, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, kind=np.array(kind), **arrays)
    with AtomicWriter(uri) as writer:
        writer.write_bytes(buffer.getvalue())


def _load(uri: str) -> tuple[str, dict[str, np.ndarray]]:
    fs, path = url_to_fs(uri)
    with fs.open(path, "rb") as handle:
        data = np.load(io.BytesIO(handle.read()), allow_pickle=False)
        return str(data["kind"]), {name: data[name] for name in data.files if name != "kind"}


def shard_uri(parts_dir: str, run_id: str, shard_index: int) -> str:
    """A cleaned shard's signatures, beside its ledger part until the run is decided."""
    return join(parts_dir, f"{run_id}-{shard_index:05d}.near.npz")


def save_shard(uri: str, options: NearDuplicateOptions, ids: Sequence[str], signatures: Sequence[np.ndarray]) -> None:
    """The signatures of a shard's records (those long enough to compare), in file order."""
    stack = np.stack(signatures) if signatures else np.zeros((0, options.permutations), dtype=np.uint32)
    _save(uri, signature_kind(options), {"ids": to_ids(ids), "signatures": stack})


def load_shard(uri: str) -> Batch:
    _, arrays = _load(uri)
    return Batch(arrays["ids"], arrays["signatures"])


def history_files(ledger: str, exclude_run: str | None = None) -> list[str]:
    """The history's files in history order (run ids sort by start time)."""
    fs, root = url_to_fs(join(ledger, FOLDER))
    if not fs.exists(root):
        return []
    names = sorted(posixpath.basename(p) for p in fs.glob(f"{root.rstrip('/')}/*.npz"))
    return [join(join(ledger, FOLDER), name) for name in names if exclude_run is None or not name.startswith(exclude_run + "-")]


def read_history(ledger: str, options: NearDuplicateOptions, exclude_run: str | None = None) -> Iterator[Decided]:
    """The history's decided documents, one file at a time; files of signatures made
    another way (another shingle size or permutation count) are passed over."""
    kind = signature_kind(options)
    for uri in history_files(ledger, exclude_run):
        found, arrays = _load(uri)
        if found == kind:
            yield Decided(arrays["ids"], arrays["signatures"], arrays["clusters"], arrays["matches"], arrays["similarity"])


def write_history(ledger: str, run_id: str, options: NearDuplicateOptions, decided: Decided, keep: np.ndarray) -> int:
    """Add the run's newly decided documents (``keep``: those not already in the history)
    to the history; returns the number of files written."""
    rows = np.nonzero(keep)[0]
    fs, root = url_to_fs(join(ledger, FOLDER))
    for stale in fs.glob(f"{root.rstrip('/')}/{run_id}-*.npz") if fs.exists(root) else []:
        fs.rm(stale)  # an earlier attempt of this run (resumed): its files are written again
    files = 0
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        _save(
            join(join(ledger, FOLDER), f"{run_id}-{files:04d}.npz"), signature_kind(options),
            {"ids": decided.ids[part], "signatures": decided.signatures[part], "clusters": decided.clusters[part],
             "matches": decided.matches[part], "similarity": decided.similarity[part]},
        )
        files += 1
    return files


# --- a run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunDecision:
    """What a run's index found: per shard, the records that are later copies (by id)."""

    marks: dict[int, dict[str, NearDuplicate]]
    compared: int  # records with a signature
    copies: int  # records that matched an earlier one
    clusters: int  # distinct clusters those copies belong to
    history: int  # earlier documents read from the ledger

    def summary(self) -> dict:
        return {"compared": self.compared, "copies": self.copies, "clusters": self.clusters, "history": self.history}


def decide_run(ledger: str, run_id: str, shards: Sequence[int], options: NearDuplicateOptions) -> RunDecision:
    """Decide the run's near-duplicates from its shards' signatures and the ledger's history,
    and add the run's documents to the history. Reads and writes signatures only: no text.

    Idempotent: a resumed run reads the same files (its own history file is left out and
    written again), so it decides the same.
    """
    parts = parts_location(ledger)
    batches, owners = [], []
    for index in shards:
        uri = shard_uri(parts, run_id, index)
        fs, path = url_to_fs(uri)
        if not fs.exists(path):  # a shard with no record, or cleaned without signatures
            continue
        batch = load_shard(uri)
        batches.append(batch)
        owners += [index] * len(batch)
    if not batches or not sum(map(len, batches)):
        return RunDecision({}, 0, 0, 0, 0)
    run = Batch(np.concatenate([b.ids for b in batches]), np.concatenate([b.signatures for b in batches]))
    seen = _Counting(read_history(ledger, options, exclude_run=run_id))
    decided = decide(seen, run, options)
    write_history(ledger, run_id, options, decided, ~decided.known)
    marks: dict[int, dict[str, NearDuplicate]] = {}
    for owner, raw, verdict in zip(owners, run.ids, verdicts(decided)):
        if verdict is not None:
            marks.setdefault(owner, {})[bytes(raw).hex()] = verdict
    copies = [v for shard in marks.values() for v in shard.values()]
    return RunDecision(marks, len(run), len(copies), len({v.cluster for v in copies}), seen.count)


class _Counting:
    """The history as :func:`decide` streams it, counted."""

    def __init__(self, chunks: Iterable[Decided]) -> None:
        self.chunks = chunks
        self.count = 0

    def __iter__(self) -> Iterator[Decided]:
        for chunk in self.chunks:
            self.count += len(chunk)
            yield chunk
