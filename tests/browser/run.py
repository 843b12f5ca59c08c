#!/usr/bin/env python3
"""Issue 22's browser test: lineage's HTML reports opened in headless Chromium.

    python3 tests/browser/run.py [LINEAGE]    # default: scripts/lineage_bin.sh debug

Drives Chromium (Debian's `chromium`; CHROMIUM names another binary) over
the DevTools protocol on a pipe (--remote-debugging-pipe), with Python's
standard library only, and checks from the rendered DOM, after the page's
script ran:

- the seed pair (samples/rewrite.txt against samples/original.txt) shows
  as many passages as `--format json` gives, each on both sides; clicking
  one selects it on both sides and scrolls the SOURCE side to it; n / p
  step through them; it stacks on a phone, prints side by side, and
  follows a dark preference;
- a hostile document (tests/data/html/hostile.txt, under a file name that
  is itself markup) renders as text: no element from it, no console error,
  no dialog;
- no page makes a request (the CSP allows the inline style and script
  only, and no element has a `src` or an outside `href`);
- `lineage check` of tests/data/html/feed.rss against three samples lists
  each finding by score and links to its view;
- several sources and `--pairs` show every passage and pair;
- a generated 5,000-word pair stays under 1 MB; its render time is printed
  (not asserted: a slow machine is not a bug).

Prints one line per check; exits 1 if any failed, 2 if it could not run.
"""

import base64
import fcntl
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "html"
FAILED = []


def check(ok, what, detail=""):
    """Records and prints one check."""
    print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
    if not ok:
        FAILED.append(what)
    return ok


def lineage_binary():
    if len(sys.argv) > 1:
        return sys.argv[1]
    out = subprocess.run(
        [str(ROOT / "scripts" / "lineage_bin.sh"), "debug"],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def run(lineage, *args, cwd=ROOT):
    """lineage's standard output (exit status 0 or 1: no finding or findings)."""
    p = subprocess.run([lineage, *map(str, args)], cwd=cwd, capture_output=True)
    if p.returncode not in (0, 1):
        sys.exit(f"lineage {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr.decode()}")
    return p.stdout


def chromium_binary():
    for name in [os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"]:
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("no chromium found (apt-get install chromium, or set CHROMIUM)")


class Browser:
    """Headless Chromium spoken to over --remote-debugging-pipe: JSON
    messages separated by NUL bytes, written to its fd 3, read from its fd 4."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="lineage-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def child_fds():
            # Out of the way first, so that neither dup2 overwrites the other.
            a = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child_fds, close_fds=False,
        )
        os.close(to_child)
        os.close(from_child)
        self.messages = queue.Queue()
        self.events = []
        self.next_id = 0
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        buf = b""
        while True:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                self.messages.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.messages.put(json.loads(msg))

    def _next(self, deadline):
        msg = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
        if msg is None:
            raise RuntimeError("chromium closed the pipe")
        return msg

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._next(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e.get("method") == method and e.get("sessionId") == session and not e.get("seen"):
                    e["seen"] = True
                    return e
            self.events.append(self._next(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab with a report loaded, and what it did while loading."""

    def __init__(self, browser, path, width=1280, height=900, fragment=""):
        self.b = browser
        self.url = path.resolve().as_uri()
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.target = target
        self.s = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ["Page", "Runtime", "Network", "Log"]:
            self.cmd(f"{domain}.enable")
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        start = time.monotonic()
        self.cmd("Page.navigate", {"url": self.url + fragment})
        browser.wait_event("Page.loadEventFired", self.s)
        self.painted_ms = self.eval(
            "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))")
        self.wall_ms = 1000 * (time.monotonic() - start)
        self.load_ms = self.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")

    def cmd(self, method, params=None):
        return self.b.send(method, params, session=self.s)

    def eval(self, expression):
        r = self.cmd("Runtime.evaluate",
                     {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def key(self, key):
        for kind in ["keyDown", "keyUp"]:
            params = {"type": kind, "key": key}
            if kind == "keyDown" and len(key) == 1:
                params["text"] = key
            if key == "Escape":
                params.update(code="Escape", windowsVirtualKeyCode=27)
            self.cmd("Input.dispatchKeyEvent", params)

    def mine(self, method):
        return [e for e in self.b.events if e.get("sessionId") == self.s and e.get("method") == method]

    def problems(self):
        """Console errors, exceptions, log errors (CSP violations), dialogs."""
        out = []
        for e in self.mine("Runtime.consoleAPICalled"):
            if e["params"]["type"] in ("error", "assert"):
                out.append(f"console.{e['params']['type']}: {e['params']['args']}")
        for e in self.mine("Runtime.exceptionThrown"):
            out.append(f"exception: {e['params']['exceptionDetails'].get('text')}")
        for e in self.mine("Log.entryAdded"):
            if e["params"]["entry"]["level"] in ("error", "warning"):
                out.append(f"log: {e['params']['entry']['text']}")
        for e in self.mine("Page.javascriptDialogOpening"):
            out.append(f"dialog: {e['params']['message']}")
        return out

    def requests(self):
        """URLs requested besides the report itself."""
        return [e["params"]["request"]["url"] for e in self.mine("Network.requestWillBeSent")
                if e["params"]["request"]["url"] != self.url]

    def close(self):
        self.b.send("Target.closeTarget", {"targetId": self.target})


def passages_of(json_line):
    return len(json.loads(json_line)["passages"])


def common_checks(page, name):
    """What every report must hold: the script ran under the CSP, nothing
    went wrong, nothing left the page."""
    check(page.eval("document.documentElement.hasAttribute('data-ready')"),
          f"{name}: the inline script ran (its CSP hash matches)")
    problems = page.problems()
    check(not problems, f"{name}: no console error, exception, CSP violation or dialog", "; ".join(problems))
    reqs = page.requests()
    check(not reqs, f"{name}: no request left the page", ", ".join(reqs))
    outside = page.eval("""[...document.querySelectorAll('[src], [href], [srcset], [action], [formaction]')]
        .filter(e => !(e.getAttribute('href') || '').startsWith('#')).map(e => e.outerHTML.slice(0, 80))""")
    check(not outside, f"{name}: no src= and no outside href", "; ".join(outside))
    csp = page.eval("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
    check(csp.startswith("default-src 'none'; style-src 'sha256-") and "unsafe" not in csp,
          f"{name}: CSP allows only the hashed inline style and script", csp)
    scripts = page.eval("document.scripts.length")
    check(scripts == 1, f"{name}: one script element (the page's own)", str(scripts))


def hostile_checks(page, name):
    found = page.eval("""({
        script: document.querySelectorAll('script').length,
        style: document.querySelectorAll('style').length,
        img: document.querySelectorAll('img').length,
        iframe: document.querySelectorAll('iframe').length,
        textarea: document.querySelectorAll('textarea').length,
        handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
        js_links: document.querySelectorAll('a[href^="javascript" i]').length,
        links: [...document.querySelectorAll('a')].filter(a => !a.getAttribute('href').startsWith('#')).length,
    })""")
    want = {"script": 1, "style": 1, "img": 0, "iframe": 0, "textarea": 0, "handlers": 0, "js_links": 0, "links": 0}
    check(found == want, f"{name}: the hostile markup became no element", json.dumps(found))
    text = page.eval("document.body.textContent")
    for literal in ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]:
        check(literal in text, f"{name}: {literal!r} shows as text")
    check("\u202e" not in text and page.eval("document.querySelectorAll('.cc-char').length") >= 1,
          f"{name}: the right-to-left override shows as a visible U+202E, not applied")


def seed_pair(b, lineage, tmp):
    args = ["score", "samples/rewrite.txt", "samples/original.txt"]
    want = passages_of(run(lineage, *args, "--format", "json"))
    html = tmp / "seed.html"
    html.write_bytes(run(lineage, *args, "--format", "html"))
    page = Page(b, html)
    name = "seed pair"
    common_checks(page, name)
    rows = page.eval("document.querySelectorAll('section.pair table.passages tbody tr').length")
    check(rows == want, f"{name}: {rows} passages shown, as in the JSON output ({want})")
    for side in ["derived", "source"]:
        shown = page.eval(f"""new Set([...document.querySelectorAll('.{side} mark')]
            .flatMap(m => m.dataset.p.split(' '))).size""")
        check(shown == want, f"{name}: every passage highlighted in {side.upper()} ({shown})")
    check(page.eval("document.querySelectorAll('.derived b, .source b').length") > 50,
          f"{name}: shared words marked")
    # Click passage 4 in the table: selected on both sides, SOURCE scrolled to it.
    page.eval("document.querySelector('table.passages button[data-p=\"4\"]').click()")
    state = page.eval("""(() => {
        const box = document.querySelector('.source .text');
        const on = document.querySelector('.source mark.on');
        const r = on.getBoundingClientRect(), b = box.getBoundingClientRect();
        return {derived: document.querySelector('.derived mark.on').dataset.p,
                source: on.dataset.p, scrolled: box.scrollTop,
                visible: r.top >= b.top && r.top < b.bottom};
    })()""")
    check(state["derived"].split()[0] == "4" and "4" in state["source"].split()
          and state["scrolled"] > 0 and state["visible"],
          f"{name}: clicking passage 4 selects it on both sides and scrolls SOURCE to it", json.dumps(state))
    # Keyboard: Escape clears, n / n / p steps 1, 2, 1 with focus.
    page.eval("document.activeElement && document.activeElement.blur()")
    page.key("Escape")
    check(page.eval("document.querySelectorAll('.on').length") == 0, f"{name}: Escape clears the selection")
    steps = []
    for key in ["n", "n", "p"]:
        page.key(key)
        steps.append(page.eval("""[document.activeElement.dataset.p,
            document.querySelector('.source mark.on') ? 'both' : 'one']"""))
    check(steps == [["1", "both"], ["2", "both"], ["1", "both"]],
          f"{name}: n, n, p focus passages 1, 2, 1 and select them on both sides", json.dumps(steps))
    page.key("Enter")
    check(page.eval("document.querySelector('.derived mark.on').dataset.p") == "1",
          f"{name}: Enter selects the focused passage")
    check(page.eval("location.hash") == "#pair-1-p1", f"{name}: the address links to the selected passage")
    # A phone: stacked, nothing wider than the screen.
    page.cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    phone = page.eval("""({columns: getComputedStyle(document.querySelector('.sbs')).gridTemplateColumns.split(' ').length,
        width: document.documentElement.scrollWidth})""")
    check(phone == {"columns": 1, "width": 390}, f"{name}: stacked on a 390 px phone, no sideways scrolling", json.dumps(phone))
    page.cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    # Print: side by side, the texts whole (not in scroll boxes).
    page.cmd("Emulation.setEmulatedMedia", {"media": "print"})
    printed = page.eval("""({columns: getComputedStyle(document.querySelector('.sbs')).gridTemplateColumns.split(' ').length,
        overflow: getComputedStyle(document.querySelector('.text')).overflowY,
        maxHeight: getComputedStyle(document.querySelector('.text')).maxHeight})""")
    check(printed == {"columns": 2, "overflow": "visible", "maxHeight": "none"},
          f"{name}: printed side by side with the texts whole", json.dumps(printed))
    pdf = page.cmd("Page.printToPDF", {"printBackground": True})
    check(len(base64.b64decode(pdf["data"])) > 10_000, f"{name}: prints to PDF")
    # Light and dark.
    background = "getComputedStyle(document.body).backgroundColor"
    page.cmd("Emulation.setEmulatedMedia", {"media": "screen", "features": [{"name": "prefers-color-scheme", "value": "light"}]})
    light = page.eval(background)
    page.cmd("Emulation.setEmulatedMedia", {"media": "screen", "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = page.eval(background)
    check(light != dark and sum(map(int, dark[4:-1].split(","))) < sum(map(int, light[4:-1].split(","))),
          f"{name}: follows a dark preference ({light} -> {dark})")
    check(not page.problems(), f"{name}: still no error after clicking, keys, phone, print, dark", "; ".join(page.problems()))
    page.close()
    page = Page(b, html, fragment="#pair-1-p4")
    opened = page.eval("[...document.querySelectorAll('.on')].map(e => e.dataset.p.split(' ')[0])")
    check(opened and set(opened) == {"4"} and page.eval("document.querySelector('.source .text').scrollTop") > 0,
          f"{name}: opening #pair-1-p4 shows passage 4 on both sides", json.dumps(opened))
    page.close()
    return want


def hostile(b, lineage, tmp):
    # The file name is markup too: ids are as hostile as texts.
    named = tmp / "<img src=x onerror=alert(1)>.txt"
    shutil.copy(DATA / "hostile.txt", named)
    args = ["score", named, "samples/original.txt"]
    want = passages_of(run(lineage, *args, "--format", "json"))
    html = tmp / "hostile.html"
    html.write_bytes(run(lineage, *args, "--format", "html"))
    page = Page(b, html)
    name = "hostile document"
    common_checks(page, name)
    hostile_checks(page, name)
    rows = page.eval("document.querySelectorAll('table.passages tbody tr').length")
    check(rows == want and want > 0, f"{name}: {rows} passages shown, as in the JSON output ({want})")
    page.close()


def check_run(b, lineage, tmp):
    index = tmp / "archive.idx"
    run(lineage, "index", "add", "-q", index, "original.txt", "reuters-acq.txt", "reuters-grain.txt",
        cwd=ROOT / "samples")
    feed = DATA / "feed.rss"
    records = [json.loads(line) for line in run(lineage, "check", "-q", index, feed, "--format", "json").splitlines()]
    findings = [r for r in records if r["type"] == "finding"]
    html = tmp / "check.html"
    html.write_bytes(run(lineage, "check", "-q", index, feed, "--format", "html"))
    page = Page(b, html)
    name = "check of tests/data/html/feed.rss"
    common_checks(page, name)
    hostile_checks(page, name)
    table = page.eval("""[...document.querySelectorAll('table.runs tbody tr')].map(tr => ({
        href: tr.querySelector('a').getAttribute('href'),
        score: parseFloat(tr.cells[1].textContent),
        target: !!document.getElementById(tr.querySelector('a').getAttribute('href').slice(1)),
        derived: tr.cells[3].textContent, source: tr.cells[4].textContent,
        passages: +tr.cells[6].textContent}))""")
    check(len(table) == len(findings) == 2, f"{name}: the table lists each finding ({len(table)} of {len(findings)})")
    check(all(r["target"] for r in table), f"{name}: each row links to its pair's view")
    check([r["score"] for r in table] == sorted((r["score"] for r in table), reverse=True),
          f"{name}: sorted by score")
    by_pair = {(f["derived"], f["source"]): len(f["passages"]) for f in findings}
    shown = {(r["derived"], r["source"]): r["passages"] for r in table}
    check(shown == by_pair, f"{name}: each finding's passages as in the JSON output", f"{shown} vs {by_pair}")
    sections = page.eval("""[...document.querySelectorAll('section.pair')].map(s =>
        [s.id, s.querySelectorAll('table.passages tbody tr').length])""")
    check(sorted(n for _, n in sections) == sorted(by_pair.values()), f"{name}: each view shows its passages")
    last = table[-1]["href"]
    page.eval(f"document.querySelector('table.runs a[href=\"{last}\"]').click()")
    where = page.eval(f"[location.hash, Math.round(document.querySelector('{last}').getBoundingClientRect().top)]")
    check(where[0] == last and abs(where[1]) < 5, f"{name}: a table link jumps to its view", json.dumps(where))
    page.close()


def attribution_and_pairs(b, lineage, tmp):
    args = ["score", "samples/rewrite.txt", "samples/original.txt", "samples/reuters-acq.txt"]
    want = passages_of(run(lineage, *args, "--format", "json"))
    html = tmp / "attribution.html"
    html.write_bytes(run(lineage, *args, "--format", "html"))
    page = Page(b, html)
    name = "several sources"
    common_checks(page, name)
    rows = page.eval("document.querySelectorAll('table.passages tbody tr').length")
    check(rows == want, f"{name}: {rows} passages shown, as in the JSON output ({want})")
    shares = page.eval("document.querySelectorAll('table.shares tbody tr').length")
    check(shares == 2, f"{name}: each source's share ({shares})")
    page.close()

    pairs = tmp / "pairs.tsv"
    pairs.write_text("samples/rewrite.txt\tsamples/original.txt\n"
                     "samples/reuters-tseng-corrected.txt\tsamples/reuters-tseng.txt\n"
                     "samples/reuters-acq.txt\tsamples/reuters-crude.txt\n")
    want = [passages_of(line) for line in run(lineage, "score", "--pairs", pairs, "--format", "json").splitlines()]
    html = tmp / "pairs.html"
    html.write_bytes(run(lineage, "score", "--pairs", pairs, "--format", "html"))
    page = Page(b, html)
    name = "--pairs"
    common_checks(page, name)
    got = page.eval("""[...document.querySelectorAll('section.pair')].map(s =>
        s.querySelectorAll('table.passages tbody tr').length)""")
    links = page.eval("document.querySelectorAll('table.runs a').length")
    check(got == want and links == len(want), f"{name}: every pair, linked, with its passages", f"{got} vs {want}")
    page.close()


def long_pair(tmp):
    """A deterministic 5,000-word pair from the samples' sentences: SOURCE
    their sentences in a shuffled order, DERIVED about 4 in 5 of them (some
    word for word, some with words dropped and swapped), reordered, with
    sentences of its own between."""
    import re
    rng = random.Random(22)
    sentences = []
    for f in sorted((ROOT / "samples").glob("*.txt")):
        text = " ".join(f.read_text(encoding="utf-8").split())
        sentences += [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 6]
    # DERIVED keeps about 9 words in 10: SOURCE gets 5,600 for 5,000 in both.
    source, words = [], 0
    while words < 5600:
        s = sentences[len(source) % len(sentences)]
        source.append(s)
        words += len(s.split())
    rng.shuffle(source)
    vocabulary = sorted({w for s in sentences for w in s.split()})
    derived = []
    for s in source:
        roll = rng.random()
        if roll < 0.35:
            derived.append(s)
        elif roll < 0.8:
            w = s.split()
            w = [x for i, x in enumerate(w) if i % 5 != 2]
            if len(w) > 4:
                i = rng.randrange(len(w) - 1)
                w[i], w[i + 1] = w[i + 1], w[i]
            derived.append(" ".join(w))
        else:
            derived.append(" ".join(rng.choice(vocabulary) for _ in range(len(s.split()))) + ".")
    d, s = tmp / "long-derived.txt", tmp / "long-source.txt"
    d.write_text("\n".join(derived) + "\n", encoding="utf-8")
    s.write_text("\n".join(source) + "\n", encoding="utf-8")
    return d, s


def long(b, lineage, tmp):
    d, s = long_pair(tmp)
    words = (len(d.read_text().split()), len(s.read_text().split()))
    want = passages_of(run(lineage, "score", d, s, "--format", "json"))
    html = tmp / "long.html"
    html.write_bytes(run(lineage, "score", d, s, "--format", "html"))
    size = html.stat().st_size
    page = Page(b, html)
    name = f"{words[0]:,}/{words[1]:,}-word pair"
    common_checks(page, name)
    rows = page.eval("document.querySelectorAll('table.passages tbody tr').length")
    check(rows == want, f"{name}: {rows} passages shown, as in the JSON output ({want})")
    check(size < 1_000_000, f"{name}: {size:,} bytes, under 1 MB")
    fast = page.painted_ms < 1000
    print(f"{'ok  ' if fast else 'SLOW'} {name}: load event {page.load_ms:.0f} ms, first frame painted "
          f"{page.painted_ms:.0f} ms after navigation ({page.wall_ms:.0f} ms wall clock); "
          f"the acceptance asks under 1 s (reported, not asserted)")
    page.close()


def main():
    lineage = str(Path(lineage_binary()).resolve())
    tmp = Path(tempfile.mkdtemp(prefix="lineage-browser-"))
    b = Browser()
    try:
        print(f"chromium: {b.send('Browser.getVersion')['product']}")
        seed_pair(b, lineage, tmp)
        hostile(b, lineage, tmp)
        check_run(b, lineage, tmp)
        attribution_and_pairs(b, lineage, tmp)
        long(b, lineage, tmp)
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILED:
        print(f"{len(FAILED)} browser checks failed")
        sys.exit(1)
    print("all browser checks passed")


if __name__ == "__main__":
    main()
