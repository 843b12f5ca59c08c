//! Bad input: every error is one line on stderr naming the file (and the
//! line of a `--pairs` file) with a suggested fix, and exit status 2. In
//! `--pairs` mode the other pairs are still scored. Recoverable oddities
//! (invalid UTF-8, an empty text) are warnings, and the pair is scored.

use std::path::{Path, PathBuf};

use crate::util::{
    assert_one_error_line, can_read, json_lines, lineage, lineage_within, num_field, run, sample,
    sample_text, samples_dir, str_field, Run,
};

fn score_paths(derived: &Path, source: &Path) -> Run {
    run(lineage()
        .args(["score", "--format", "json"])
        .arg(derived)
        .arg(source))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// Checks a failed single-pair run: exit 2, nothing on stdout, one line on
/// stderr naming `path` and containing `fix`.
fn assert_fails(run: &Run, path: &Path, fix: &str) {
    assert_eq!(run.code, Some(2), "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert_one_error_line(run, &[&path.display().to_string(), fix]);
}

#[test]
fn missing_file_either_side() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-file.txt");
    let fix = "check the path";
    assert_fails(
        &score_paths(&missing, &sample("original.txt")),
        &missing,
        fix,
    );
    assert_fails(
        &score_paths(&sample("original.txt"), &missing),
        &missing,
        fix,
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("temp dir");
    let locked = write(
        dir.path(),
        "locked.txt",
        sample_text("rewrite.txt").as_bytes(),
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    if can_read(&locked) {
        // Running as root (or with CAP_DAC_OVERRIDE): permissions do not bite.
        eprintln!("skipped: {} is readable despite mode 000", locked.display());
        return;
    }
    assert_fails(
        &score_paths(&locked, &sample("original.txt")),
        &locked,
        "permission",
    );
}

#[test]
fn directory_instead_of_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_fails(
        &score_paths(dir.path(), &sample("original.txt")),
        dir.path(),
        "not a folder",
    );
    assert_fails(
        &score_paths(&sample("original.txt"), dir.path()),
        dir.path(),
        "not a folder",
    );
}

#[test]
fn binary_file_with_nul_bytes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = sample_text("reuters-acq.txt").into_bytes();
    bytes.splice(10..10, [0u8, 1, 2, 0xff, 0]);
    let binary = write(dir.path(), "image.bin", &bytes);
    let run = score_paths(&binary, &sample("reuters-acq.txt"));
    assert_fails(&run, &binary, "extract the text");
    assert!(run.stderr.contains("binary"), "{}", run.stderr);
}

/// Invalid UTF-8 is decoded lossily: a warning, then a normal score.
#[test]
fn invalid_utf8_is_a_warning_and_still_scored() {
    let dir = tempfile::tempdir().expect("temp dir");
    // "Lab\xf6ratories": a Latin-1 o-umlaut, as a legacy encoding would write it.
    let mut bytes = sample_text("reuters-tseng.txt").into_bytes();
    let at = bytes
        .windows(12)
        .position(|w| w == b"Laboratories")
        .expect("sample mentions Laboratories");
    bytes[at + 3] = 0xf6;
    let latin1 = write(dir.path(), "latin1.txt", &bytes);

    let run = score_paths(&latin1, &sample("reuters-tseng.txt"));
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
    let record = run.one_json();
    assert!(num_field(&record, "score") > 0.8, "{record}");
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(lines[0].starts_with("lineage: warning: "), "{}", lines[0]);
    assert!(lines[0].contains("latin1.txt"), "{}", lines[0]);
    assert!(lines[0].contains("UTF-8"), "{}", lines[0]);
    assert!(!record["warnings"].as_array().expect("warnings").is_empty());
}

/// A document without words scores 0 against anything, with a warning.
#[test]
fn empty_document_scores_zero_with_a_warning() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in [
        ("empty.txt", &b""[..]),
        ("blank.txt", &b"  \n\t\n"[..]),
        ("punct.txt", &b"... -- !!! ?\n"[..]),
    ] {
        let empty = write(dir.path(), name, bytes);
        for run in [
            score_paths(&empty, &sample("original.txt")),
            score_paths(&sample("original.txt"), &empty),
            score_paths(&empty, &empty),
        ] {
            assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
            let record = run.one_json();
            assert_eq!(num_field(&record, "score"), 0.0, "{record}");
            assert_eq!(num_field(&record, "jaccard"), 0.0, "{record}");
            assert_eq!(str_field(&record, "verdict"), "unrelated", "{record}");
            assert!(
                run.stderr_lines()
                    .iter()
                    .all(|l| l.starts_with("lineage: warning: ") && l.contains(name)),
                "{}",
                run.stderr
            );
            assert!(!run.stderr.is_empty(), "{name}: no warning");
        }
    }
}

/// `-` reads standard input, on either side, and scores as the file would.
#[test]
fn stdin_either_side() {
    let from_files = score_paths(&sample("rewrite.txt"), &sample("original.txt")).one_json();

    let derived_stdin = run(lineage()
        .args(["score", "--format", "json", "-"])
        .arg(sample("original.txt"))
        .write_stdin(sample_text("rewrite.txt")));
    assert!(derived_stdin.stderr.is_empty(), "{}", derived_stdin.stderr);
    let record = derived_stdin.one_json();
    assert_eq!(str_field(&record, "derived"), "-");
    assert_eq!(record["score"], from_files["score"]);
    assert_eq!(record["verdict"], from_files["verdict"]);
    assert_eq!(record["raw"], from_files["raw"]);

    let source_stdin = run(lineage()
        .args(["score", "--format", "json"])
        .arg(sample("rewrite.txt"))
        .arg("-")
        .write_stdin(sample_text("original.txt")));
    let record = source_stdin.one_json();
    assert_eq!(str_field(&record, "source"), "-");
    assert_eq!(record["score"], from_files["score"]);
    assert_eq!(record["content"], from_files["content"]);
    assert_eq!(source_stdin.code, derived_stdin.code);
}

#[test]
fn stdin_on_both_sides_is_an_error() {
    let run = run(lineage()
        .args(["score", "-", "-"])
        .write_stdin("some text on standard input"));
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
    assert_one_error_line(&run, &["standard input"]);
}

#[test]
fn wrong_number_of_files_is_an_error() {
    for args in [&["score"][..], &["score", "a.txt"]] {
        let run = run(lineage().args(args));
        assert_eq!(run.code, Some(2), "{args:?}");
        assert!(run.stdout.is_empty());
        assert_one_error_line(&run, &["--pairs"]);
    }
}

/// Writes a pairs file with a good pair, a one-column line, a missing file,
/// a directory and a good pair again, run from `samples/`.
fn bad_pairs_file(dir: &Path) -> (PathBuf, PathBuf) {
    let missing = dir.join("missing.txt");
    let text = format!(
        "reuters-tseng.txt\treuters-tseng-corrected.txt\n\
         reuters-grain.txt\n\
         {}\toriginal.txt\n\
         # a comment\n\
         {}\toriginal.txt\n\
         reuters-crude.txt\treuters-ship.txt\n",
        missing.display(),
        dir.display()
    );
    (write(dir, "pairs.tsv", text.as_bytes()), missing)
}

#[test]
fn pairs_errors_name_file_and_line_and_the_rest_is_scored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (pairs, missing) = bad_pairs_file(dir.path());
    let run = run(lineage()
        .current_dir(samples_dir())
        .args(["score", "--format", "json", "--pairs"])
        .arg(&pairs));
    assert_eq!(run.code, Some(2), "an error wins over findings");

    let records = json_lines(&run.stdout);
    let scored: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (str_field(r, "derived"), str_field(r, "source")))
        .collect();
    assert_eq!(
        scored,
        [
            ("reuters-tseng.txt", "reuters-tseng-corrected.txt"),
            ("reuters-crude.txt", "reuters-ship.txt"),
        ]
    );

    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 3, "one line per bad line:\n{}", run.stderr);
    let pairs = pairs.display().to_string();
    let expect: [(usize, &[&str]); 3] = [
        (2, &["DERIVED<TAB>SOURCE"]),
        (3, &[&missing.display().to_string(), "check the path"]),
        (5, &["not a folder"]),
    ];
    for (line, (number, needles)) in lines.iter().zip(expect) {
        assert!(line.starts_with("lineage: "), "{line}");
        assert!(line.contains(&format!("{pairs}:{number}")), "{line}");
        for needle in needles {
            assert!(line.contains(needle), "{needle:?} missing from: {line}");
        }
    }
}

#[test]
fn missing_pairs_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pairs = dir.path().join("no-pairs.tsv");
    let run = run(lineage().args(["score", "--pairs"]).arg(&pairs));
    assert_fails(&run, &pairs, "check the path");
}

#[test]
fn invalid_option_values_are_errors() {
    for args in [
        &["--threshold", "1.5"][..],
        &["--num-perm", "0"],
        &["--shingle-size", "0"],
    ] {
        let run = run(lineage()
            .arg("score")
            .args(args)
            .arg(sample("rewrite.txt"))
            .arg(sample("original.txt")));
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
        assert_one_error_line(&run, &[]);
    }
}

/// Regression: the I/O cause used to be printed twice, once by the error's own
/// message and once more as its source in the `{:#}` chain ("cannot read: No
/// such file or directory (os error 2): No such file or directory (os error
/// 2)").
#[test]
fn io_error_cause_is_printed_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-file.txt");
    let cause = std::fs::read(&missing).expect_err("missing").to_string();
    let run = score_paths(&missing, &sample("original.txt"));
    assert_eq!(run.stderr.matches(&cause).count(), 1, "{}", run.stderr);
}

/// Files found by `fuzz/` (tests/data/README.md, "fuzz"): each claims a
/// length it does not hold. One error line and exit 2 within 500 MiB of
/// address space; before the fix each reserved gigabytes and aborted.
#[cfg(unix)]
#[test]
fn fuzz_finds_are_one_error_line_in_bounded_memory() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let r = run(lineage_within(500)
        .arg("dedup")
        .arg(dir.join("fuzz/fingerprints-set-claims-2gb.lfp")));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_one_error_line(&r, &["fingerprints-set-claims-2gb.lfp", "ends early"]);
    let r = run(lineage_within(500)
        .args(["dedup", "--from-parquet"])
        .arg(dir.join("fuzz/clusters-page-claims-1gb.parquet"))
        .arg(dir.join("reliability/samples-sketch.parquet")));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_one_error_line(&r, &["clusters-page-claims-1gb.parquet", "page header"]);
    // A footer with a list of 2^31 booleans: seconds in the parquet crate.
    let r = run(lineage_within(500)
        .args(["dedup", "--from-parquet"])
        .arg(dir.join("fuzz/clusters-footer-2e31-booleans.parquet"))
        .arg(dir.join("reliability/samples-sketch.parquet")));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_one_error_line(
        &r,
        &["clusters-footer-2e31-booleans.parquet", "footer", "damaged"],
    );
}

/// Damaged Parquet and index files (tests/data/README.md, "reliability"):
/// one error line and exit 2, never a panic or an abort, within 10 s and
/// 500 MiB.
#[cfg(unix)]
#[test]
fn damaged_parquet_and_index_files_are_one_error_line() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/reliability");
    let sketch = dir.join("samples-sketch.parquet");
    for name in [
        "parquet-1877224146.parquet",
        "parquet-4613964a23.parquet",
        "parquet-9c61c42f21.parquet",
        "parquet-ea63f0422f.parquet",
    ] {
        let r = run(lineage_within(500)
            .arg("dedup")
            .arg(dir.join(name))
            .args(["--format", "json"]));
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert_one_error_line(&r, &[name, "damaged"]);
    }
    for name in [
        "clusters-4613964a23.parquet",
        "clusters-6479fc90a6.parquet",
        "clusters-9c61c42f21.parquet",
        "clusters-ea63f0422f.parquet",
    ] {
        let r = run(lineage_within(500)
            .arg("dedup")
            .arg("--from-parquet")
            .arg(dir.join(name))
            .arg(&sketch));
        assert_eq!(r.code, Some(2), "{name}: {}", r.stderr);
        assert_one_error_line(&r, &[name, "damaged"]);
    }
    // A footer that claims 2^31 or 2^40 rows: read for what it holds.
    for name in [
        "parquet-num_rows-2e31.parquet",
        "parquet-num_rows-2e40.parquet",
    ] {
        let r = run(lineage_within(500).arg("dedup").arg(dir.join(name)));
        assert!(matches!(r.code, Some(0 | 1)), "{name}: {}", r.stderr);
    }
    let r = run(lineage_within(500)
        .args(["index", "stats"])
        .arg(dir.join("index-bytes-overflow.idx")));
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    assert_one_error_line(
        &r,
        &["index-bytes-overflow.idx", "not a usable lineage index"],
    );
}

/// `dedup` of an empty folder says so once; a damaged index header is
/// reported as damage, naming the file.
#[test]
fn empty_corpus_and_damaged_header_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let r = run(lineage().arg("dedup").arg(&empty));
    assert_eq!(r.code, Some(2));
    assert_one_error_line(&r, &["no documents in the inputs"]);
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "not json\n").unwrap();
    let r = run(lineage().arg("dedup").arg(&bad));
    assert_eq!(r.code, Some(2));
    assert_one_error_line(&r, &["bad.jsonl:1"]);
    let index = dir.path().join("z.idx");
    let r = run(lineage()
        .args(["index", "add", "-q"])
        .arg(&index)
        .arg(sample("original.txt")));
    assert_eq!(r.code, Some(0));
    let mut bytes = std::fs::read(&index).unwrap();
    bytes[28..32].copy_from_slice(&[0; 4]); // the scale field
    std::fs::write(&index, &bytes).unwrap();
    let r = run(lineage()
        .args(["index", "add", "-q"])
        .arg(&index)
        .arg(sample("rewrite.txt")));
    assert_eq!(r.code, Some(2));
    assert_one_error_line(&r, &["z.idx", "damaged header", "scale"]);
    assert_eq!(
        std::fs::read(&index).unwrap(),
        bytes,
        "the damaged file was changed"
    );
}

/// A UTF-16 file with a byte-order mark is read (with a warning), not
/// called binary; a loop of symbolic links is named as such.
#[test]
fn utf16_is_read_and_link_loops_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text("rewrite.txt");
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let utf16 = dir.path().join("rewrite-utf16.txt");
    std::fs::write(&utf16, le).unwrap();
    let r = run(lineage()
        .arg("score")
        .arg(&utf16)
        .arg(sample("original.txt"))
        .args(["--format", "json", "--no-passages"]));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let utf8 = run(lineage()
        .arg("score")
        .arg(sample("rewrite.txt"))
        .arg(sample("original.txt"))
        .args(["--format", "json"]));
    assert_eq!(r.one_json()["score"], utf8.one_json()["score"]);
    assert!(r.stderr.contains("read as UTF-16"), "{}", r.stderr);
    #[cfg(target_os = "linux")]
    {
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let r = run(lineage().arg("score").arg(&a).arg(sample("original.txt")));
        assert_eq!(r.code, Some(2));
        assert_one_error_line(&r, &["a.txt", "loop of symbolic links"]);
        // Found while walking a folder, the same.
        let r = run(lineage()
            .arg("sketch")
            .arg(dir.path())
            .arg("-o")
            .arg(dir.path().join("x.lfp")));
        assert!(r.stderr.contains("loop of symbolic links"), "{}", r.stderr);
    }
}

/// A full standard output (`> /dev/full`) is named as standard output,
/// one line, exit 2; `sketch -o -` streams the same bytes as a file.
#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_says_so() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let bin = assert_cmd::cargo::cargo_bin("lineage");
    for args in [
        vec!["score", "rewrite.txt", "original.txt"],
        vec!["dedup", ".", "--format", "json"],
        vec!["sketch", ".", "-o", "-"],
    ] {
        let out = std::process::Command::new(&bin)
            .args(&args)
            .current_dir(samples_dir())
            .stdout(full())
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(
            lines[0].contains("standard output") && lines[0].contains("No space left"),
            "{args:?}: {stderr}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.lfp");
    let r = run(lineage()
        .current_dir(samples_dir())
        .args(["sketch", "-q", ".", "-o"])
        .arg(&file));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = lineage()
        .current_dir(samples_dir())
        .args(["sketch", "-q", ".", "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, std::fs::read(&file).unwrap());
    assert!(!samples_dir().join("-").exists());
}

/// The reliability cases made by a command (../shared/cases/reliability):
/// 100,000 unclosed tags and 16,000 nested `<div>`s are read in bounded
/// time and memory, the text inside found.
#[cfg(unix)]
#[test]
fn deeply_nested_pages_are_read_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let unclosed = dir.path().join("deep.html");
    std::fs::write(
        &unclosed,
        format!(
            "<!doctype html><html><body>{}text\n",
            "<div><span><b>".repeat(100_000)
        ),
    )
    .unwrap();
    let nested = dir.path().join("nested.html");
    std::fs::write(
        &nested,
        format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(16_000),
            sample_text("original.txt"),
            "</div>".repeat(16_000)
        ),
    )
    .unwrap();
    for page in [&unclosed, &nested] {
        let r = run(lineage_within(500)
            .args(["score", "--format", "json"])
            .arg(page)
            .arg(sample("original.txt")));
        assert!(
            matches!(r.code, Some(0 | 1)),
            "{}: {}",
            page.display(),
            r.stderr
        );
    }
    // The nested page holds the whole article: a near-duplicate of it.
    let r = run(lineage_within(500)
        .args(["score", "--format", "json"])
        .arg(&nested)
        .arg(sample("original.txt")));
    assert!(r.stdout.contains("near_duplicate"), "{}", r.stdout);
}
