//! `lineage index` and `lineage check`: findings, exit codes, baselines,
//! damaged indexes, crashes and concurrent writers.
//!
//! The archive is a slice of `samples/`: the seed article and Reuters
//! stories (sources cited in `samples/README.md`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{corpus, lineage, run, sample, Run};

fn index_add(index: &Path, inputs: &[PathBuf]) -> Run {
    run(lineage()
        .args(["index", "add", "-q"])
        .arg(index)
        .args(inputs))
}

fn doc_count(index: &Path) -> u64 {
    let out = run(lineage()
        .args(["index", "stats", "--format", "json"])
        .arg(index));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out.one_json()["documents"].as_u64().unwrap()
}

/// An index of the seed article and two Reuters stories.
fn archive(dir: &Path) -> PathBuf {
    let index = dir.join("archive.idx");
    let out = index_add(
        &index,
        &[
            sample("original.txt"),
            sample("reuters-grain.txt"),
            sample("reuters-acq.txt"),
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    index
}

fn check(index: &Path, inputs: &[PathBuf], extra: &[&str]) -> Run {
    run(lineage()
        .args(["check", "-q", "--format", "json"])
        .args(extra)
        .arg(index)
        .args(inputs))
}

fn findings(out: &Run) -> Vec<serde_json::Value> {
    out.json()
        .into_iter()
        .filter(|r| r["type"] == "finding")
        .collect()
}

#[test]
fn rewrite_is_one_finding_with_passages() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let inputs = [
        sample("rewrite.txt"),
        sample("reuters-crude.txt"),
        sample("reuters-ship.txt"),
        sample("reuters-tseng.txt"),
    ];
    let out = check(&index, &inputs, &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let found = findings(&out);
    assert_eq!(found.len(), 1, "{}", out.stdout);
    let f = &found[0];
    assert!(f["derived"].as_str().unwrap().ends_with("rewrite.txt"));
    assert!(f["source"].as_str().unwrap().ends_with("original.txt"));
    assert_eq!(f["verdict"], "derived");
    assert!(f["passages"].as_array().unwrap().len() >= 3);
    assert!(!f["excerpts"][0]["derived"].as_str().unwrap().is_empty());
    let summary = out.json().pop().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["checked"], 4);

    let clean = check(&index, &inputs[1..], &[]);
    assert_eq!(clean.code, Some(0), "{}", clean.stdout);
    assert!(findings(&clean).is_empty());
}

#[test]
fn text_output_names_the_pair_and_shows_passages() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let out = run(lineage()
        .args(["check", "--color", "never"])
        .arg(&index)
        .arg(sample("rewrite.txt")));
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.starts_with("FINDING derived: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("passage 1 "));
    assert!(out
        .stdout
        .contains("1 findings (0 accepted in the baseline)"));
}

#[test]
fn readding_is_a_noop_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let before = std::fs::read(&index).unwrap();
    let out = run(lineage()
        .args(["index", "add"])
        .arg(&index)
        .arg(sample("original.txt")));
    assert_eq!(out.code, Some(0));
    assert!(
        out.stderr.contains("0 added, 0 updated, 1 unchanged"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(&index).unwrap(), before);
    assert_eq!(doc_count(&index), 3);
}

#[test]
fn stats_reports_size_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let out = run(lineage().args(["index", "stats"]).arg(&index));
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout
            .contains("3 documents, 0 replaced awaiting compaction, 1 segments"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("without the stored text"));
    assert!(out.stdout.contains("0000000001.seg: 3 documents"));
}

/// The segment files of an archive, sorted.
fn segments(index: &Path) -> Vec<PathBuf> {
    let mut dir = index.as_os_str().to_owned();
    dir.push(".segments");
    let mut files: Vec<PathBuf> = std::fs::read_dir(PathBuf::from(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn adds_append_segments_replace_by_tombstone_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let first = segments(&index);
    let first_bytes = std::fs::read(&first[0]).unwrap();
    // A new document: a new segment; the first is not rewritten.
    assert_eq!(
        index_add(&index, &[sample("reuters-crude.txt")]).code,
        Some(0)
    );
    assert_eq!(segments(&index).len(), 2);
    assert_eq!(std::fs::read(&first[0]).unwrap(), first_bytes);
    // The same id with another text replaces the archived document.
    let moved = dir.path().join("moved");
    std::fs::create_dir(&moved).unwrap();
    let changed = moved.join("original.txt");
    std::fs::write(
        &changed,
        "A different story altogether, about a harbour strike.",
    )
    .unwrap();
    let id = sample("original.txt");
    let out = run(lineage()
        .args(["index", "add", "--id"])
        .arg(&id)
        .arg(&index)
        .arg("-")
        .write_stdin(std::fs::read(&changed).unwrap()));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("0 added, 1 updated"), "{}", out.stderr);
    assert_eq!(doc_count(&index), 4);
    let stats = run(lineage()
        .args(["index", "stats", "--format", "json"])
        .arg(&index))
    .one_json();
    assert_eq!(stats["tombstones"], 1);
    // The replaced text is no longer found.
    let out = check(&index, &[sample("rewrite.txt")], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    // Compaction: one segment, the tombstone applied, the same answers.
    let out = run(lineage().args(["index", "compact"]).arg(&index));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(segments(&index).len(), 1);
    let stats = run(lineage()
        .args(["index", "stats", "--format", "json"])
        .arg(&index))
    .one_json();
    assert_eq!(stats["tombstones"], 0);
    assert_eq!(stats["documents"], 4);
    let out = check(&index, &[sample("rewrite.txt")], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    let out = check(&index, &[sample("reuters-crude.txt")], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    assert_eq!(
        run(lineage().args(["index", "verify"]).arg(&index)).code,
        Some(0)
    );
}

#[test]
fn a_lineage_0_1_index_is_read_and_converted() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("old.idx");
    // Written by lineage 0.1 (see tests/data/README.md).
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy/v2.idx"),
        &index,
    )
    .unwrap();
    let out = check(&index, &[sample("rewrite.txt")], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(findings(&out)[0]["source"], "original.txt");
    assert_eq!(
        index_add(&index, &[sample("reuters-crude.txt")]).code,
        Some(0)
    );
    assert_eq!(segments(&index).len(), 2);
    assert_eq!(doc_count(&index), 3);
    let out = check(&index, &[sample("rewrite.txt")], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(findings(&out)[0]["source"], "original.txt");
}

#[test]
fn baseline_accepts_known_findings() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let baseline = dir.path().join("baseline.jsonl");
    let rewrite = [sample("rewrite.txt")];
    let write = run(lineage()
        .args(["check", "-q", "--write-baseline"])
        .arg(&baseline)
        .arg(&index)
        .args(&rewrite));
    assert_eq!(write.code, Some(0), "{}", write.stderr);
    let accepted = check(
        &index,
        &rewrite,
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(accepted.code, Some(0), "{}", accepted.stdout);
    assert_eq!(findings(&accepted)[0]["baselined"], true);
    std::fs::write(&baseline, "not json\n").unwrap();
    let bad = check(
        &index,
        &rewrite,
        &["--baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(bad.code, Some(2));
    assert!(bad.stderr.contains("baseline.jsonl:1"), "{}", bad.stderr);
}

#[test]
fn within_finds_copies_among_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let inputs = [
        sample("reuters-tseng.txt"),
        sample("reuters-tseng-corrected.txt"),
    ];
    assert_eq!(check(&index, &inputs, &[]).code, Some(0));
    let out = check(&index, &inputs, &["--within"]);
    assert_eq!(out.code, Some(1), "{}", out.stdout);
    let found = findings(&out);
    assert_eq!(found.len(), 1, "{}", out.stdout);
    assert_eq!(found[0]["source_kind"], "input");
}

/// Every file of an archive and its bytes.
fn snapshot(index: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::iter::once(index.to_path_buf())
        .chain(segments(index))
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

/// `check` and `index add` refuse the archive with exit 2 and one line
/// naming `culprit`, and leave every file as it is.
fn refused(index: &Path, culprit: &Path, what: &str) {
    let before = snapshot(index);
    let out = check(index, &[sample("rewrite.txt")], &[]);
    assert_eq!(out.code, Some(2), "{what}: {}", out.stdout);
    assert!(
        out.stderr.contains("not a usable lineage index")
            && out.stderr.contains(&*culprit.to_string_lossy()),
        "{what}: {}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
    let add = index_add(index, &[sample("reuters-crude.txt")]);
    assert_eq!(add.code, Some(2), "{what}");
    assert_eq!(snapshot(index), before, "{what}: files were modified");
}

#[test]
fn damaged_index_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let good = std::fs::read(&index).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    let damaged: [(&str, Vec<u8>); 3] = [
        ("truncated", good[..good.len() - 10].to_vec()),
        ("flipped", flipped),
        ("foreign", b"id,text\n1,hello\n".repeat(10)),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&index, &bytes).unwrap();
        refused(&index, &index, what);
    }
    std::fs::write(&index, &good).unwrap();
}

#[test]
fn a_bit_flip_anywhere_in_a_segment_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    assert_eq!(
        index_add(&index, &[sample("reuters-crude.txt")]).code,
        Some(0)
    );
    for seg in segments(&index) {
        let good = std::fs::read(&seg).unwrap();
        // Every 97th byte, and the last ones (the footer).
        let spots: Vec<usize> = (0..good.len())
            .step_by(97)
            .chain(good.len() - 8..good.len())
            .collect();
        for at in spots {
            let mut bad = good.clone();
            bad[at] ^= 0x04;
            std::fs::write(&seg, &bad).unwrap();
            // Found by a full verify whatever byte it is...
            let out = run(lineage().args(["index", "verify"]).arg(&index));
            assert_eq!(out.code, Some(2), "flip at {at} of {}", seg.display());
            assert!(
                out.stderr.contains(&*seg.to_string_lossy()),
                "{}",
                out.stderr
            );
        }
        // ... and by check and add where the damage is read.
        let mut bad = good.clone();
        bad[good.len() - 20] ^= 0x04;
        std::fs::write(&seg, &bad).unwrap();
        refused(&index, &seg, "footer");
        std::fs::write(&seg, &good).unwrap();
    }
    assert_eq!(
        run(lineage().args(["index", "verify"]).arg(&index)).code,
        Some(0)
    );
}

#[test]
fn other_parameters_are_refused_when_adding() {
    let dir = tempfile::tempdir().unwrap();
    let index = archive(dir.path());
    let out = run(lineage()
        .args(["index", "add", "--scale", "4"])
        .arg(&index)
        .arg(sample("rewrite.txt")));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("other parameters"), "{}", out.stderr);
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lineage"))
}

#[test]
fn killed_adds_leave_the_old_or_the_new_index() {
    const BATCH: u64 = 3000;
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("crash.idx");
    let old = dir.path().join("old.jsonl");
    corpus(&old, "old", 200);
    assert_eq!(index_add(&index, &[old]).code, Some(0));
    let batch = |round: usize| {
        let batch = dir.path().join(format!("new{round}.jsonl"));
        corpus(&batch, &format!("r{round}-"), BATCH as usize);
        batch
    };
    let add = |batch: PathBuf| {
        Command::new(bin())
            .args(["index", "add", "-q"])
            .arg(&index)
            .arg(&batch)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long an add runs when left alone: kills are spread over it.
    let first = batch(0);
    let started = std::time::Instant::now();
    assert!(add(first).wait().unwrap().success());
    let span = started.elapsed().as_micros() as u64 * 3 / 2 + 1;
    let mut count = doc_count(&index);
    assert_eq!(count, 200 + BATCH);
    // Deterministic pseudo-random kill times in [0, 1.5 x span).
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let (mut killed, mut finished) = (0, 0);
    for round in 1..=30 {
        let mut child = add(batch(round));
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_micros(x % span));
        let _ = child.kill(); // SIGKILL on Unix
        if child.wait().unwrap().success() {
            finished += 1;
        } else {
            killed += 1;
        }
        let now = doc_count(&index);
        assert!(
            now == count || now == count + BATCH,
            "round {round}: {now} documents, expected {count} or {}",
            count + BATCH
        );
        count = now;
    }
    assert!(
        killed >= 5,
        "only {killed} adds were killed; the test proves little"
    );
    assert!(finished + killed == 30);
    // Stale temporary files are cleared by the next writer.
    let more = dir.path().join("more.jsonl");
    corpus(&more, "more", 10);
    assert_eq!(index_add(&index, &[more]).code, Some(0));
    let stray = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(stray, 0);
    // Segments no manifest names (written by a killed add) are removed too.
    let mut listed = run(lineage()
        .args(["index", "stats", "--format", "json"])
        .arg(&index))
    .one_json()["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| PathBuf::from(s["file"].as_str().unwrap()))
        .collect::<Vec<_>>();
    listed.sort();
    assert_eq!(segments(&index), listed);
    assert_eq!(doc_count(&index), count + 10);
    assert_eq!(
        run(lineage().args(["index", "verify"]).arg(&index)).code,
        Some(0)
    );
}

#[test]
fn concurrent_adds_keep_every_document() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("shared.idx");
    let children: Vec<_> = (0..4)
        .map(|k| {
            let part = dir.path().join(format!("part{k}.jsonl"));
            corpus(&part, &format!("p{k}-"), 400);
            Command::new(bin())
                .args(["index", "add", "-q"])
                .arg(&index)
                .arg(&part)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(doc_count(&index), 1600);
}

#[test]
fn check_never_passes_what_it_did_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let archived = dir.path().join("a.txt");
    std::fs::copy(sample("original.txt"), &archived).unwrap();
    let index = dir.path().join("nt.idx");
    let out = run(lineage()
        .args(["index", "add", "-q", "--no-text"])
        .arg(&index)
        .arg(&archived)
        .arg(sample("reuters-grain.txt")));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let check = || {
        run(lineage()
            .args(["check", "-q", "--format", "json"])
            .arg(&index)
            .arg(sample("rewrite.txt")))
    };
    assert_eq!(check().code, Some(1));
    // The archived file changed since it was indexed.
    let mut text = std::fs::read_to_string(&archived).unwrap();
    text.push_str("\nA line added later.\n");
    std::fs::write(&archived, text).unwrap();
    let out = check();
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "a.txt: candidate source not verified: the file changed since it was indexed"
        ),
        "{}",
        out.stderr
    );
    // It is gone.
    std::fs::remove_file(&archived).unwrap();
    let out = check();
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr.contains("the index stores no texts"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("without --no-text"), "{}", out.stderr);
}

/// An index without texts re-reads each archived file the way `index add`
/// read it: a gzipped text and an HTML page verify (they were refused as
/// "binary" or "changed" when re-read as plain text). The checked text is a
/// copy of both, so each is a finding with word-for-word passages (a
/// rewrite is reported against one of two copies only: see
/// `archive::check::keep_best_summary`).
#[test]
fn no_text_index_rereads_compressed_and_html_sources_as_indexed() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(sample("original.txt")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(original.as_bytes()).unwrap();
    std::fs::write(dir.path().join("orig.txt.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("orig.html"),
        format!("<html><body><article><p>{original}</p></article></body></html>"),
    )
    .unwrap();
    let index = dir.path().join("a.idx");
    let r = crate::util::run(
        crate::util::lineage()
            .args(["index", "add", "-q", "--no-text"])
            .arg(&index)
            .arg(dir.path().join("orig.txt.gz"))
            .arg(dir.path().join("orig.html")),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = crate::util::run(
        crate::util::lineage()
            .args(["check", "--format", "json"])
            .arg(&index)
            .arg(crate::util::sample("original.txt")),
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stdout.contains("orig.txt.gz") && r.stdout.contains("orig.html"),
        "{}",
        r.stdout
    );
}
