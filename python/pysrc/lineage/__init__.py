"""lineage: was this text taken from that one?

One-way derivation scores with passage evidence, MinHash signatures,
near-duplicate clustering and checks against an archive, from the same
Rust library as the ``lineage`` command line tool: the same numbers, to the
last digit, as ``lineage score``, ``lineage sketch``, ``lineage dedup`` and
``lineage check``.

>>> import lineage
>>> original = open("samples/original.txt").read()
>>> rewrite = open("samples/rewrite.txt").read()
>>> s = lineage.score(rewrite, original)
>>> s.verdict, round(s.coverage, 2)
('derived', 0.82)
>>> p = s.passages[0]
>>> p.kind, rewrite[p.derived[0]:p.derived[1]].split()[:4]
('paraphrase', ['The', 'State', 'Department', 'has'])

Every option has the name and the default of the CLI flag that sets it.
Work runs without the GIL, on rayon's threads (all cores unless
``threads=`` or ``RAYON_NUM_THREADS`` says otherwise). Errors raise
:class:`LineageError` with the CLI's one-line message.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _lineage
from ._lineage import LineageError, __version__

__all__ = [
    "LineageError",
    "Passage",
    "Score",
    "score",
    "score_many",
    "MinHash",
    "Signatures",
    "sketch",
    "read_sketch",
    "DuplicatePair",
    "Cluster",
    "Clusters",
    "dedup",
    "Finding",
    "Check",
    "Index",
    "DEFAULTS",
    "__version__",
]

#: The library's defaults (read from it, never written twice).
DEFAULTS: Dict[str, Any] = json.loads(_lineage.defaults())

#: Texts held at once when reading an iterator (one batch is fingerprinted
#: in parallel, then only its signatures are kept).
BATCH = 8192

Document = Union[str, Tuple[Any, str]]


def _char_offsets(text: Optional[str], offsets: Iterable[int]) -> Dict[int, int]:
    """Maps UTF-8 byte offsets (at character boundaries) to str indices."""
    wanted = sorted(set(offsets))
    if text is None:
        return {}
    if text.isascii():
        return {b: b for b in wanted}
    encoded = text.encode("utf-8")
    out, last_byte, last_char = {}, 0, 0
    for b in wanted:
        last_char += len(encoded[last_byte:b].decode("utf-8", errors="ignore"))
        last_byte = b
        out[b] = last_char
    return out


@dataclass(frozen=True)
class Passage:
    """One aligned passage: a part of DERIVED and where it comes from.

    ``derived`` and ``source`` are ``(start, end)`` indices into the Python
    strings (``None`` for a side whose text was not given); ``*_bytes`` are
    the UTF-8 byte ranges the CLI reports.
    """

    kind: str
    derived: Optional[Tuple[int, int]]
    source: Optional[Tuple[int, int]]
    source_id: str
    similarity: float
    verbatim: float
    content: float
    derived_bytes: Tuple[int, int]
    source_bytes: Tuple[int, int]
    draws_on: Tuple[Tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Score:
    """The score of DERIVED against SOURCE (``lineage score --format json``).

    ``record`` holds the whole JSON record; the common fields are attributes.
    """

    derived_id: str
    source_id: str
    score: float
    verdict: str
    finding: bool
    direction: str
    reverse_score: float
    coverage: float
    containment: float
    reverse_containment: float
    jaccard: float
    jaccard_estimate: float
    passages: List[Passage]
    warnings: List[str]
    record: Dict[str, Any] = field(repr=False)

    @staticmethod
    def _from_record(
        record: Dict[str, Any], derived: Optional[str], source: Optional[str]
    ) -> "Score":
        passages = record.get("passages", [])
        dmap = _char_offsets(
            derived, [x for p in passages for x in (p["derived"]["start"], p["derived"]["end"])]
        )
        smap = _char_offsets(
            source,
            [x for p in passages for x in (p["source"]["start"], p["source"]["end"])]
            + [x for p in passages for r in p.get("draws_on", []) for x in (r["start"], r["end"])],
        )

        def span(m: Dict[int, int], a: int, b: int) -> Optional[Tuple[int, int]]:
            return (m[a], m[b]) if m else None

        out = []
        for p in passages:
            d, s = p["derived"], p["source"]
            draws = tuple(
                span(smap, r["start"], r["end"]) or (r["start"], r["end"])
                for r in p.get("draws_on", [])
            )
            out.append(
                Passage(
                    kind=p["kind"],
                    derived=span(dmap, d["start"], d["end"]),
                    source=span(smap, s["start"], s["end"]),
                    source_id=s["path"],
                    similarity=p["similarity"],
                    verbatim=p["verbatim"],
                    content=p["content"],
                    derived_bytes=(d["start"], d["end"]),
                    source_bytes=(s["start"], s["end"]),
                    draws_on=draws,
                )
            )
        return Score(
            derived_id=record["derived"],
            source_id=record["source"],
            score=record["score"],
            verdict=record["verdict"],
            finding=record["finding"],
            direction=record["direction"],
            reverse_score=record["reverse_score"],
            coverage=record["coverage"],
            containment=record["containment"],
            reverse_containment=record["reverse_containment"],
            jaccard=record["jaccard"],
            jaccard_estimate=record["jaccard_estimate"],
            passages=out,
            warnings=list(record.get("warnings", [])),
            record=record,
        )


def _score_options(
    threshold: Optional[float],
    shingle_size: Optional[int],
    content_size: Optional[int],
    num_perm: Optional[int],
    seed: Optional[int],
    weights: Optional[Union[str, os.PathLike]],
    count_quotes: bool,
) -> Dict[str, Any]:
    return dict(
        threshold=threshold,
        shingle_size=shingle_size,
        content_size=content_size,
        num_perm=num_perm,
        seed=seed,
        weights=os.fspath(weights) if weights is not None else None,
        count_quotes=count_quotes,
    )


def score(
    derived: str,
    source: str,
    *,
    derived_id: str = "derived",
    source_id: str = "source",
    threshold: Optional[float] = None,
    shingle_size: Optional[int] = None,
    content_size: Optional[int] = None,
    num_perm: Optional[int] = None,
    seed: Optional[int] = None,
    weights: Optional[Union[str, os.PathLike]] = None,
    count_quotes: bool = False,
) -> Score:
    """Scores how much of ``derived`` is taken from ``source`` (one way).

    Options left at ``None`` take the CLI's defaults (``DEFAULTS``);
    ``weights`` is a word-rarity table file, as ``--weights``.
    """
    record = json.loads(
        _lineage.score(
            derived,
            source,
            derived_id,
            source_id,
            _score_options(
                threshold, shingle_size, content_size, num_perm, seed, weights, count_quotes
            ),
        )
    )
    return Score._from_record(record, derived, source)


def score_many(
    pairs: Iterable[Sequence[str]],
    *,
    threads: Optional[int] = None,
    threshold: Optional[float] = None,
    shingle_size: Optional[int] = None,
    content_size: Optional[int] = None,
    num_perm: Optional[int] = None,
    seed: Optional[int] = None,
    weights: Optional[Union[str, os.PathLike]] = None,
    count_quotes: bool = False,
) -> List[Score]:
    """Scores ``(derived, source)`` or ``(derived, source, derived_id,
    source_id)`` pairs in parallel; results in input order."""
    rows = []
    for i, p in enumerate(pairs):
        if len(p) == 2:
            rows.append((p[0], p[1], f"derived{i}", f"source{i}"))
        elif len(p) == 4:
            rows.append((p[0], p[1], str(p[2]), str(p[3])))
        else:
            raise LineageError(
                f"pair {i}: expected (derived, source) or (derived, source, derived_id, source_id)"
            )
    results = _lineage.score_many(
        rows,
        _score_options(threshold, shingle_size, content_size, num_perm, seed, weights, count_quotes),
        threads=threads,
    )
    out = []
    for i, ((ok, payload), row) in enumerate(zip(results, rows)):
        if not ok:
            raise LineageError(f"pair {i}: {payload}")
        out.append(Score._from_record(json.loads(payload), row[0], row[1]))
    return out


def _documents(
    docs: Any, text_field: str = "text", id_field: Optional[str] = None
) -> Iterator[Document]:
    """Texts, ``(id, text)`` pairs, a pyarrow Table/Array or a pandas
    Series/DataFrame, as one stream (never all texts at once)."""
    if hasattr(docs, "to_batches") and hasattr(docs, "column_names"):  # pyarrow.Table
        for batch in docs.to_batches(max_chunksize=BATCH):
            texts = batch.column(text_field).to_pylist()
            if id_field is None:
                yield from texts
            else:
                yield from zip(batch.column(id_field).to_pylist(), texts)
        return
    if hasattr(docs, "chunks"):  # pyarrow.ChunkedArray
        for chunk in docs.chunks:
            yield from chunk.to_pylist()
        return
    if hasattr(docs, "to_pylist"):  # pyarrow.Array
        yield from docs.to_pylist()
        return
    if hasattr(docs, "columns") and hasattr(docs, "itertuples"):  # pandas.DataFrame
        if id_field is None:
            yield from docs[text_field]
        else:
            yield from zip(docs[id_field], docs[text_field])
        return
    yield from docs


class MinHash:
    """The MinHash signature of one text (``num_perm`` unsigned 32-bit
    slots), the values ``lineage sketch`` writes for it."""

    __slots__ = ("num_perm", "shingle_size", "seed", "_bytes")

    def __init__(
        self,
        text: Optional[str] = None,
        *,
        num_perm: int = DEFAULTS["num_perm"],
        shingle_size: int = DEFAULTS["shingle_size"],
        seed: int = DEFAULTS["seed"],
        _bytes: Optional[bytes] = None,
    ) -> None:
        self.num_perm, self.shingle_size, self.seed = num_perm, shingle_size, seed
        if _bytes is None:
            _, _, _bytes = _lineage.sketch(
                iter([text or ""]), num_perm, shingle_size, seed, 1, 1
            )
        self._bytes = bytes(_bytes)

    @property
    def hashvalues(self) -> Any:
        """The slots as a numpy ``uint32`` array (datasketch's name)."""
        import numpy as np

        return np.frombuffer(self._bytes, dtype="<u4")

    def digest(self) -> List[int]:
        """The slots as Python ints."""
        return [
            int.from_bytes(self._bytes[i : i + 4], "little")
            for i in range(0, len(self._bytes), 4)
        ]

    def jaccard(self, other: "MinHash") -> float:
        """Estimated Jaccard similarity: the share of equal slots (0 when
        either text has no shingles), as the library computes it."""
        return _lineage.jaccard(
            self._bytes, other._bytes, self._params(), other._params()
        )

    def _params(self) -> Tuple[int, int, int]:
        return (self.num_perm, self.shingle_size, self.seed)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MinHash)
            and self._params() == other._params()
            and self._bytes == other._bytes
        )

    def __repr__(self) -> str:
        return f"MinHash(num_perm={self.num_perm}, shingle_size={self.shingle_size})"


class Signatures:
    """Signatures of many texts: ``len(self)`` rows of ``num_perm`` slots,
    with the documents' ids (their position, or the id given)."""

    def __init__(
        self, ids: List[str], num_perm: int, data: bytes, shingle_size: int, seed: int
    ) -> None:
        self.ids, self.num_perm, self._data = ids, num_perm, data
        self.shingle_size, self.seed = shingle_size, seed

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> MinHash:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        row = 4 * self.num_perm
        return MinHash(
            num_perm=self.num_perm,
            shingle_size=self.shingle_size,
            seed=self.seed,
            _bytes=self._data[i * row : (i + 1) * row],
        )

    def __iter__(self) -> Iterator[MinHash]:
        for i in range(len(self)):
            yield self[i]

    def to_numpy(self) -> Any:
        """A read-only ``(len, num_perm)`` numpy ``uint32`` array (no copy)."""
        import numpy as np

        return np.frombuffer(self._data, dtype="<u4").reshape(len(self), self.num_perm)

    def jaccard(self, i: int, j: int) -> float:
        """Estimated Jaccard similarity of rows ``i`` and ``j``."""
        return self[i].jaccard(self[j])

    def __repr__(self) -> str:
        return f"Signatures({len(self)} documents, num_perm={self.num_perm})"


def sketch(
    docs: Any,
    *,
    num_perm: int = DEFAULTS["num_perm"],
    shingle_size: int = DEFAULTS["shingle_size"],
    seed: int = DEFAULTS["seed"],
    threads: Optional[int] = None,
    text_field: str = "text",
    id_field: Optional[str] = None,
) -> Signatures:
    """MinHash signatures of texts (an iterable of ``str`` or ``(id, text)``,
    a pyarrow Table/Array or a pandas Series/DataFrame), computed in
    parallel, ``BATCH`` texts at a time: the slots ``lineage sketch`` writes."""
    ids, k, data = _lineage.sketch(
        iter(_documents(docs, text_field, id_field)),
        num_perm,
        shingle_size,
        seed,
        BATCH,
        threads,
    )
    return Signatures(ids, k, data, shingle_size, seed)


def read_sketch(path: Union[str, os.PathLike]) -> Signatures:
    """Reads a file written by ``lineage sketch`` (native or Parquet)."""
    ids, k, data, shingle_size, seed = _lineage.read_sketch(os.fspath(path))
    return Signatures(ids, k, data, shingle_size, seed)


@dataclass(frozen=True)
class DuplicatePair:
    """A verified pair (document positions); containments with ``exact``."""

    left: int
    right: int
    jaccard: float
    left_in_right: Optional[float]
    right_in_left: Optional[float]


@dataclass(frozen=True)
class Cluster:
    """Near-duplicates: member positions, the one to keep, the pairs."""

    members: List[int]
    representative: int
    pairs: List[DuplicatePair]


@dataclass(frozen=True)
class Clusters:
    """The outcome of :func:`dedup` (``lineage dedup --format json``)."""

    ids: List[str]
    clusters: List[Cluster]
    candidates: int
    verified_pairs: int
    verification: str
    record: Dict[str, Any] = field(repr=False)

    @property
    def cluster_of(self) -> List[int]:
        """Per document, the index of its cluster, or -1."""
        out = [-1] * len(self.ids)
        for c, cluster in enumerate(self.clusters):
            for m in cluster.members:
                out[m] = c
        return out

    @property
    def representatives(self) -> List[int]:
        """Each cluster's document to keep."""
        return [c.representative for c in self.clusters]

    def kept(self) -> List[int]:
        """Positions of the documents to keep (``lineage dedup --keep``):
        all outside a cluster, and each cluster's representative."""
        dropped = set()
        for c in self.clusters:
            dropped.update(m for m in c.members if m != c.representative)
        return [i for i in range(len(self.ids)) if i not in dropped]


def dedup(
    docs: Any,
    *,
    threshold: float = DEFAULTS["dedup_threshold"],
    containment: Optional[float] = None,
    recall_weight: float = DEFAULTS["recall_weight"],
    exact: bool = True,
    threads: Optional[int] = None,
    text_field: str = "text",
    id_field: Optional[str] = None,
) -> Clusters:
    """Clusters near-duplicates among ``docs`` (as :func:`sketch` takes them)
    as ``lineage dedup`` does: pairs at Jaccard ``threshold`` or above (or,
    with ``containment``, one inside the other at that share).

    Texts are read ``BATCH`` at a time and dropped once sketched. With
    ``exact`` (the CLI's way) each document's shingle set is kept to verify
    candidates exactly; ``exact=False`` verifies on the signatures, so memory
    holds only signatures and LSH tables.
    """
    ids, record = _lineage.dedup(
        iter(_documents(docs, text_field, id_field)),
        threshold,
        containment,
        recall_weight,
        exact,
        BATCH,
        threads,
    )
    result = json.loads(record)
    clusters = [
        Cluster(
            members=c["members"],
            representative=c["representative"],
            pairs=[DuplicatePair(**p) for p in c["pairs"]],
        )
        for c in result["clusters"]
    ]
    return Clusters(
        ids=ids,
        clusters=clusters,
        candidates=result["candidates"],
        verified_pairs=result["verified_pairs"],
        verification=result["verification"],
        record=result,
    )


@dataclass(frozen=True)
class Finding:
    """An archived document related to a checked one (``lineage check``):
    ``score`` is the pair scored with the document that takes text as
    DERIVED (``checked_is_derived`` says which one that is)."""

    source_id: str
    checked_is_derived: bool
    score: Score
    record: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Check:
    """One checked document: its findings (best first) and warnings."""

    id: str
    findings: List[Finding]
    warnings: List[str]


class Index:
    """An archive index file, shared with ``lineage index`` and ``lineage
    check`` (created by the first :meth:`add`; safe against concurrent
    writers and crashes as the CLI's)."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        self.path = os.fspath(path)
        self._file = _lineage.IndexFile(self.path)

    def add(
        self,
        docs: Any,
        *,
        threads: Optional[int] = None,
        text_field: str = "text",
        id_field: Optional[str] = None,
    ) -> Dict[str, int]:
        """Adds documents (an id already there is replaced): the counts
        ``added``, ``updated``, ``unchanged``, ``total``."""
        return json.loads(
            self._file.add(iter(_documents(docs, text_field, id_field)), BATCH, threads=threads)
        )

    def check(
        self,
        docs: Any,
        *,
        threshold: float = DEFAULTS["check_threshold"],
        threads: Optional[int] = None,
        text_field: str = "text",
        id_field: Optional[str] = None,
    ) -> List[Check]:
        """Checks documents against the archive, as ``lineage check``;
        passages carry offsets into the checked texts. A document that
        cannot be checked raises :class:`LineageError`."""
        texts: List[str] = []

        def keep(stream: Iterator[Document]) -> Iterator[Document]:
            for d in stream:
                texts.append(d if isinstance(d, str) else d[1])
                yield d

        results = self._file.check(
            keep(_documents(docs, text_field, id_field)),
            BATCH,
            threshold=threshold,
            threads=threads,
        )
        out = []
        for i, (ok, payload) in enumerate(results):
            if not ok:
                raise LineageError(f"document {i}: {payload}")
            r = json.loads(payload)
            text = texts[i]
            findings = []
            for f in r["findings"]:
                derived, source = (text, None) if f["checked_is_derived"] else (None, text)
                s = Score._from_record(f, derived, source)
                other = f["source"] if f["checked_is_derived"] else f["derived"]
                findings.append(
                    Finding(
                        source_id=other,
                        checked_is_derived=f["checked_is_derived"],
                        score=s,
                        record=f,
                    )
                )
            out.append(Check(id=r["id"], findings=findings, warnings=r.get("warnings", [])))
        return out

    def stats(self) -> Dict[str, Any]:
        """The figures of ``lineage index stats``."""
        return json.loads(self._file.stats())
