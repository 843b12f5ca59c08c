"""Extracts corpora for the peer benchmark.

Reuters-21578: the text of every <BODY> element of ../shared/data/reuters21578/*.sgm
with SGML entities decoded (html.unescape), written twice: as one JSON Lines file
(work/reuters.jsonl, {"id": NEWID, "text": body} per line, the form corpora of
millions of documents come in) and as one file per body (work/reuters/NNNNN.txt).
Articles without a body are skipped (19,043 of 21,578 have one). The kernel docs
are used in place (shared/data/linux_doc/rst).
"""

import html
import json
import os
import re
import sys

ARTICLE = re.compile(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', re.S)
BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)


def reuters_bodies(src: str):
    """(NEWID as five digits, body text) of every article with a <BODY>."""
    for name in sorted(os.listdir(src)):
        if not name.endswith(".sgm"):
            continue
        with open(os.path.join(src, name), encoding="latin-1") as f:
            data = f.read()
        for newid, article in ARTICLE.findall(data):
            m = BODY.search(article)
            if m:
                yield f"{int(newid):05d}", html.unescape(m.group(1))


def extract_reuters(src: str, dst: str, jsonl: str) -> int:
    os.makedirs(dst, exist_ok=True)
    count = 0
    with open(jsonl, "w", encoding="utf-8") as lines:
        for newid, text in reuters_bodies(src):
            with open(os.path.join(dst, f"{newid}.txt"), "w", encoding="utf-8") as out:
                out.write(text)
            lines.write(json.dumps({"id": newid, "text": text}) + "\n")
            count += 1
    return count


if __name__ == "__main__":
    n = extract_reuters(sys.argv[1], sys.argv[2], sys.argv[3])
    print(f"extracted {n} Reuters bodies into {sys.argv[2]} and {sys.argv[3]}", file=sys.stderr)
