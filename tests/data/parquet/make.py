"""Writes the Parquet test tables of tests/parquet.rs (pyarrow, snappy).

Run from the repository root with pyarrow installed:

    python3 tests/data/parquet/make.py

Statistics are left out to keep the files small.

texts.parquet: four rows from samples/ (id, text, title with a null,
date, and a struct column meta.body holding the same text), in two row
groups. numbered.parquet: integer ids in column `n`, the text in column
`body`, one row whose body is null.
"""
import pyarrow as pa
import pyarrow.parquet as pq

names = ["original.txt", "rewrite.txt", "reuters-tseng.txt", "reuters-tseng-corrected.txt"]
texts = [open(f"samples/{n}", encoding="utf-8").read() for n in names]

table = pa.table(
    {
        "id": [n.removesuffix(".txt") for n in names],
        "text": texts,
        "title": ["State Department denial", None, "Tseng", "Tseng (corrected)"],
        "date": ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z", None, None],
        "meta": [{"body": t, "words": len(t.split())} for t in texts],
    }
)
pq.write_table(table, "tests/data/parquet/texts.parquet", compression="snappy", row_group_size=2, write_statistics=False)

numbered = pa.table(
    {
        "n": pa.array([10, 11, 12], pa.int64()),
        "body": [texts[2], None, texts[3]],
    }
)
pq.write_table(numbered, "tests/data/parquet/numbered.parquet", compression="snappy", write_statistics=False)
