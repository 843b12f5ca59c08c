//! `lineage score --pairs FILE`: many pairs, in input order, with output that
//! does not depend on the number of threads.

use std::path::{Path, PathBuf};

use crate::util::{json_lines, lineage, run, samples_dir, str_field, Run};

/// Every `.txt` file under `samples/`, sorted by name.
fn sample_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("samples/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "samples missing: {names:?}");
    names
}

/// Every ordered pair of samples (self pairs included), shuffled with a
/// fixed seed so that input order is neither sorted nor reverse sorted.
fn all_pairs() -> Vec<(String, String)> {
    let names = sample_names();
    let mut pairs: Vec<(String, String)> = names
        .iter()
        .flat_map(|d| names.iter().map(move |s| (d.clone(), s.clone())))
        .collect();
    // Fisher-Yates with a 64-bit LCG (Knuth's MMIX constants).
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for i in (1..pairs.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        pairs.swap(i, j);
    }
    pairs
}

/// Writes a pairs file: a comment, the pairs with a blank line in the middle.
fn write_pairs_file(dir: &Path, pairs: &[(String, String)]) -> PathBuf {
    let mut text = String::from("# DERIVED<TAB>SOURCE, relative to samples/\n");
    for (i, (d, s)) in pairs.iter().enumerate() {
        if i == pairs.len() / 2 {
            text.push('\n');
        }
        text.push_str(&format!("{d}\t{s}\n"));
    }
    let path = dir.join("pairs.tsv");
    std::fs::write(&path, text).expect("write pairs file");
    path
}

/// Runs `lineage score --pairs FILE` from `samples/` with extra arguments and
/// environment.
fn run_pairs(pairs_file: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = lineage();
    cmd.current_dir(samples_dir())
        .env_remove("RAYON_NUM_THREADS")
        .arg("score")
        .arg("--pairs")
        .arg(pairs_file)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

#[test]
fn pairs_are_printed_in_input_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pairs = all_pairs();
    let file = write_pairs_file(dir.path(), &pairs);
    let run = run_pairs(&file, &["--format", "json", "--threads", "2"], &[]);
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    // Self pairs are duplicates, so there are findings.
    assert_eq!(run.code, Some(1));
    let got: Vec<(String, String)> = json_lines(&run.stdout)
        .iter()
        .map(|r| {
            (
                str_field(r, "derived").to_string(),
                str_field(r, "source").to_string(),
            )
        })
        .collect();
    assert_eq!(got, pairs);
}

#[test]
fn pairs_output_is_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_pairs_file(dir.path(), &all_pairs());
    for format in ["json", "text"] {
        let base = run_pairs(&file, &["--format", format, "--threads", "1"], &[]);
        assert_eq!(base.code, Some(1), "stderr: {}", base.stderr);
        assert!(!base.stdout.is_empty());
        let others = [
            (
                "--threads 2",
                run_pairs(&file, &["--format", format, "--threads", "2"], &[]),
            ),
            (
                "RAYON_NUM_THREADS=1",
                run_pairs(&file, &["--format", format], &[("RAYON_NUM_THREADS", "1")]),
            ),
            ("default", run_pairs(&file, &["--format", format], &[])),
        ];
        for (name, other) in others {
            assert_eq!(other.code, base.code, "{format}, {name}");
            assert_eq!(other.stderr, base.stderr, "{format}, {name}");
            assert!(
                other.stdout == base.stdout,
                "{format}: {name} differs from --threads 1:\n--- threads 1\n{}\n--- {name}\n{}",
                base.stdout,
                other.stdout
            );
        }
    }
}

/// A pair scored through `--pairs` reports exactly what scoring it alone does.
#[test]
fn pairs_match_single_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pairs = vec![
        ("rewrite.txt".to_string(), "original.txt".to_string()),
        (
            "reuters-tseng.txt".to_string(),
            "reuters-tseng-corrected.txt".to_string(),
        ),
    ];
    let file = write_pairs_file(dir.path(), &pairs);
    let listed = run_pairs(&file, &["--format", "json"], &[]);
    let mut single = String::new();
    for (d, s) in &pairs {
        single.push_str(&crate::util::score_json(d, s).stdout);
    }
    assert_eq!(listed.stdout, single);
}

#[test]
fn zero_threads_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_pairs_file(dir.path(), &all_pairs()[..2]);
    let run = run_pairs(&file, &["--threads", "0"], &[]);
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
    crate::util::assert_one_error_line(&run, &["--threads"]);
}
