//! Bounded memory (issue 19): every document is read under a limit
//! (`--max-doc-bytes`, 64 MiB by default); a longer one is one error line
//! for it alone, exit 2, and the others are still read. Streams (standard
//! input, devices) are read as streams under the same limit, so an endless
//! input ends in an error, not in running out of memory.

use std::io::Write;

use crate::util::{assert_one_error_line, lineage, lineage_within, run, sample};

fn record(id: &str, words: usize) -> String {
    let text = "the harbour bridge reopened on tuesday ".repeat(words / 6 + 1);
    format!("{{\"id\":\"{id}\",\"text\":\"{text}\"}}\n")
}

/// A text file over the limit: refused by its size, with the fix.
#[test]
fn a_file_over_the_limit_is_one_error_line() {
    let r = run(lineage()
        .args(["score", "--max-doc-bytes", "1K"])
        .arg(sample("original.txt"))
        .arg(sample("rewrite.txt")));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_one_error_line(
        &r,
        &["original.txt", "longer than 1 KiB", "--max-doc-bytes"],
    );
    // Under the default limit the same pair scores.
    let r = run(lineage()
        .arg("score")
        .arg(sample("original.txt"))
        .arg(sample("rewrite.txt")));
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
}

/// A 1 GiB text on one line (a sparse file: nothing is written to disk)
/// is refused before it is read, within 500 MiB of address space.
#[cfg(unix)]
#[test]
fn a_gigabyte_on_one_line_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    for command in [&["score"][..], &["sketch", "-o"]] {
        let mut cmd = lineage_within(500);
        cmd.args(command);
        if command.len() > 1 {
            cmd.arg(dir.path().join("out.lfp"));
        }
        cmd.arg(&big);
        if command.len() == 1 {
            cmd.arg(sample("original.txt"));
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, Some(2), "{command:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("big.txt: document longer than 64 MiB"),
            "{}",
            r.stderr
        );
    }
}

/// Devices are streams: `/dev/zero` and `/dev/urandom` end in an error
/// after the limit, as text and (one endless line) as JSON Lines.
#[cfg(target_os = "linux")]
#[test]
fn endless_devices_end_in_an_error() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let r = run(lineage_within(500)
            .args(["score", device])
            .arg(sample("original.txt")));
        assert_eq!(r.code, Some(2), "{device}: {}", r.stderr);
        assert_one_error_line(&r, &[device, "longer than 64 MiB"]);
    }
    let r = run(lineage_within(500).args(["dedup", "--input-format", "jsonl", "/dev/zero"]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("lineage: /dev/zero:1: document longer than 64 MiB"),
        "{}",
        r.stderr
    );
}

/// One JSON Lines record over the limit is skipped by line, the records
/// after it are read, from a file and from standard input alike.
#[test]
fn a_long_record_is_skipped_and_the_others_read() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = format!(
        "{}{}{}",
        record("short-1", 20),
        record("long", 400),
        record("short-2", 30)
    );
    let path = dir.path().join("c.jsonl");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(corpus.as_bytes())
        .unwrap();
    let from_file = dir.path().join("file.lfp");
    let r = run(lineage()
        .args(["sketch", "--max-doc-bytes", "1K", "-o"])
        .arg(&from_file)
        .arg(&path));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("c.jsonl:2: document longer than 1 KiB"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 documents"), "{}", r.stderr);
    let from_stdin = dir.path().join("stdin.lfp");
    let r = run(lineage()
        .args(["sketch", "--max-doc-bytes", "1K", "-o"])
        .arg(&from_stdin)
        .arg("-")
        .write_stdin(corpus));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains("-:2: document longer than 1 KiB"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 documents"), "{}", r.stderr);
}

#[test]
fn sizes_are_checked_on_the_command_line() {
    for bad in ["0", "lots", "99999999999G"] {
        let r = run(lineage()
            .args(["score", "--max-doc-bytes", bad])
            .arg(sample("original.txt"))
            .arg(sample("rewrite.txt")));
        assert_eq!(r.code, Some(2), "{bad}: {}", r.stderr);
    }
    let r = run(lineage().args(["score", "--help"]));
    assert!(r.stdout.contains("[default: 64M]"), "{}", r.stdout);
}
