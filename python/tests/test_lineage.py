"""The Python package gives the CLI's results: same scores to the last
digit, same signatures, same clusters, same findings (issue 21).

The CLI binary is $LINEAGE_BIN, or built with scripts/lineage_bin.sh. The
Reuters tests need ../shared/data/reuters21578 (or $LINEAGE_REUTERS) and
are skipped without it; the samples' tests always run.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lineage

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ORIGINAL = (SAMPLES / "original.txt").read_text(encoding="utf-8")
REWRITE = (SAMPLES / "rewrite.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("LINEAGE_BIN")
    if not path:
        path = subprocess.run(
            [str(REPO / "scripts" / "lineage_bin.sh"), "debug"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    return path


def run(cli, *args, ok=(0, 1)):
    p = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert p.returncode in ok, p.stderr
    return p


@pytest.fixture(scope="session")
def reuters(tmp_path_factory):
    """The Reuters-21578 bodies as JSON Lines, as benches/peers/extract.py
    writes them."""
    src = Path(os.environ.get("LINEAGE_REUTERS", REPO.parent / "shared/data/reuters21578"))
    if not src.exists():
        pytest.skip("no Reuters data (../shared/data/reuters21578 or $LINEAGE_REUTERS)")
    work = tmp_path_factory.mktemp("reuters")
    out = work / "reuters.jsonl"
    subprocess.run(
        [sys.executable, str(REPO / "benches/peers/extract.py"), str(src), str(work / "r"), str(out)],
        check=True,
        capture_output=True,
    )
    docs = [json.loads(line) for line in out.open(encoding="utf-8")]
    return out, docs


def test_score_equals_cli_json(cli):
    record = json.loads(run(cli, "score", "samples/rewrite.txt", "samples/original.txt", "--format", "json").stdout)
    record.pop("type")
    s = lineage.score(REWRITE, ORIGINAL, derived_id="samples/rewrite.txt", source_id="samples/original.txt")
    assert s.record == record
    assert s.verdict == "derived" and s.finding
    assert len(s.passages) == len(record["passages"])


def test_passage_offsets_index_the_python_strings():
    text = "Ünïcödé prefix. " + REWRITE
    s = lineage.score(text, ORIGINAL)
    assert s.passages
    for p in s.passages:
        start, end = p.derived
        assert text[start:end].encode("utf-8") == text.encode("utf-8")[p.derived_bytes[0] : p.derived_bytes[1]]
        a, b = p.source
        assert ORIGINAL[a:b].encode("utf-8") == ORIGINAL.encode("utf-8")[p.source_bytes[0] : p.source_bytes[1]]


def test_score_options_are_the_cli_flags(cli):
    args = ["--threshold", "0.6", "--shingle-size", "4", "--num-perm", "64", "--seed", "7", "--count-quotes"]
    record = json.loads(run(cli, "score", "samples/rewrite.txt", "samples/original.txt", "--format", "json", *args).stdout)
    record.pop("type")
    s = lineage.score(
        REWRITE,
        ORIGINAL,
        derived_id="samples/rewrite.txt",
        source_id="samples/original.txt",
        threshold=0.6,
        shingle_size=4,
        num_perm=64,
        seed=7,
        count_quotes=True,
    )
    assert s.record == record


def test_score_many_keeps_order_and_equals_score():
    pairs = [(REWRITE, ORIGINAL), (ORIGINAL, REWRITE)] * 4
    many = lineage.score_many(pairs, threads=2)
    assert [m.verdict for m in many] == [lineage.score(d, s).verdict for d, s in pairs]
    assert many[0].score == lineage.score(REWRITE, ORIGINAL).score


def test_errors_are_lineage_errors_with_the_cli_message(cli, tmp_path):
    missing = tmp_path / "no-such-table.tsv"
    p = run(cli, "score", "samples/rewrite.txt", "samples/original.txt", "--weights", missing, ok=(2,))
    with pytest.raises(lineage.LineageError) as e:
        lineage.score(REWRITE, ORIGINAL, weights=missing)
    assert str(e.value) in p.stderr
    with pytest.raises(lineage.LineageError, match="threshold"):
        lineage.dedup(["a b c"], threshold=1.5)
    with pytest.raises(lineage.LineageError, match="document 1"):
        lineage.sketch(["fine", 42])


def test_signatures_equal_the_cli_sketch(cli, tmp_path):
    files = [SAMPLES / n for n in sorted(os.listdir(SAMPLES)) if n.endswith(".txt")]
    out = tmp_path / "s.lfp"
    run(cli, "sketch", *files, "-o", out)
    from_cli = lineage.read_sketch(out)
    ours = lineage.sketch([(str(f), f.read_text(encoding="utf-8")) for f in files])
    assert len(ours) == len(from_cli) == len(files)
    assert [m.digest() for m in ours] == [m.digest() for m in from_cli]
    assert ours[0] == lineage.MinHash(files[0].read_text(encoding="utf-8"))


def test_signatures_do_not_depend_on_threads():
    texts = [ORIGINAL, REWRITE, ORIGINAL.upper(), ""] * 10
    one = lineage.sketch(texts, threads=1)
    two = lineage.sketch(texts, threads=2)
    assert [m.digest() for m in one] == [m.digest() for m in two]
    assert one.jaccard(0, 2) == 1.0 and one.jaccard(3, 7) == 0.0


def test_numpy_view():
    np = pytest.importorskip("numpy")
    sigs = lineage.sketch([ORIGINAL, REWRITE])
    a = sigs.to_numpy()
    assert a.shape == (2, 128) and a.dtype == np.uint32
    assert list(a[1]) == sigs[1].digest()
    assert (sigs[0].hashvalues == a[0]).all()


def test_reuters_signatures_equal_the_cli(cli, reuters, tmp_path):
    path, docs = reuters
    out = tmp_path / "r.lfp"
    run(cli, "sketch", path, "-o", out)
    from_cli = lineage.read_sketch(out)
    ours = lineage.sketch((d["id"], d["text"]) for d in docs)
    assert ours.ids == from_cli.ids
    assert ours._data == from_cli._data


def cli_clusters(cli, *args):
    lines = run(cli, "dedup", *args, "--format", "json").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    return [[m["id"] for m in r["members"]] for r in records if r["type"] == "cluster"], records


def test_reuters_dedup_equals_the_cli(cli, reuters):
    path, docs = reuters
    expected, records = cli_clusters(cli, path)
    got = lineage.dedup((d["id"], d["text"]) for d in docs)
    assert [[got.ids[m] for m in c.members] for c in got.clusters] == expected
    pairs = {
        (p["left"], p["right"]): p["jaccard"]
        for r in records
        if r["type"] == "cluster"
        for p in r["pairs"]
    }
    # The CLI's dedup JSON gives Jaccard to four decimals.
    ours = {(got.ids[p.left], got.ids[p.right]): round(p.jaccard, 4) for c in got.clusters for p in c.pairs}
    assert ours == pairs
    assert len(expected) > 100


def test_reuters_dedup_with_containment_and_arrow(cli, reuters):
    pa = pytest.importorskip("pyarrow")
    path, docs = reuters
    expected, _ = cli_clusters(cli, path, "--containment", "0.9")
    table = pa.table({"id": [d["id"] for d in docs], "text": [d["text"] for d in docs]})
    got = lineage.dedup(table, id_field="id", containment=0.9)
    assert [[got.ids[m] for m in c.members] for c in got.clusters] == expected


def test_dedup_on_signatures_only_finds_the_same_clusters(reuters):
    _, docs = reuters
    exact = lineage.dedup((d["id"], d["text"]) for d in docs)
    estimate = lineage.dedup(((d["id"], d["text"]) for d in docs), exact=False)
    assert estimate.verification == "estimate"
    same = {tuple(c.members) for c in exact.clusters} & {tuple(c.members) for c in estimate.clusters}
    assert len(same) >= 0.95 * len(exact.clusters)


def test_index_check_equals_the_cli(cli, tmp_path):
    idx = tmp_path / "a.idx"
    sources = ["original.txt", "reuters-grain.txt", "reuters-acq.txt"]
    run(cli, "index", "add", idx, *[SAMPLES / s for s in sources])
    lines = run(cli, "check", idx, "samples/rewrite.txt", "--format", "json").stdout.splitlines()
    cli_findings = [json.loads(line) for line in lines]
    cli_findings = [r for r in cli_findings if r.get("type") == "finding"]

    archive = lineage.Index(tmp_path / "b.idx")
    added = archive.add((str(SAMPLES / s), (SAMPLES / s).read_text(encoding="utf-8")) for s in sources)
    assert added == {"added": 3, "updated": 0, "unchanged": 0, "total": 3}
    assert archive.add([(str(SAMPLES / "original.txt"), ORIGINAL)])["unchanged"] == 1
    checks = archive.check([("samples/rewrite.txt", REWRITE)])
    assert len(checks) == 1 and checks[0].findings
    ours = checks[0].findings
    assert [f.score.score for f in ours] == [r["score"] for r in cli_findings]
    assert ours[0].score.verdict == "derived"
    p = ours[0].score.passages[0]
    assert REWRITE[p.derived[0] : p.derived[1]].strip()
    assert archive.stats()["documents"] == 3
    # The CLI reads the index the package wrote.
    run(cli, "check", tmp_path / "b.idx", "samples/rewrite.txt", ok=(1,))
