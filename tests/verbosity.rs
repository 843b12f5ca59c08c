//! `-q`/`--quiet` and `-v`/`--verbose` on every command: quiet leaves
//! standard error without notes or summaries, verbose adds parameters,
//! files and timings there, and standard output is the same either way.

use crate::util::{lineage, run, sample, samples_dir};

/// Every command and subcommand, as typed.
const COMMANDS: &[&[&str]] = &[
    &["score"],
    &["sketch"],
    &["dedup"],
    &["index", "add"],
    &["index", "stats"],
    &["check"],
    &["extract"],
    &["eval"],
    &["completions"],
    &["man"],
];

#[test]
fn every_command_takes_quiet_and_verbose() {
    for command in COMMANDS {
        let r = run(lineage().args(*command).arg("--help"));
        assert_eq!(r.code, Some(0), "{command:?}: {}", r.stderr);
        for flag in ["-q, --quiet", "-v, --verbose"] {
            assert!(
                r.stdout.contains(flag),
                "{command:?} --help lacks {flag}:\n{}",
                r.stdout
            );
        }
        // Both at once is a usage error, exit 2.
        let r = run(lineage().args(*command).args(["-q", "-v"]));
        assert_eq!(r.code, Some(2), "{command:?}: {}", r.stderr);
        assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    }
}

/// A folder of the samples plus a hidden file, which earns a note.
fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["original.txt", "rewrite.txt", "reuters-tseng.txt"] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join(".notes"), "hidden").unwrap();
    dir
}

#[test]
fn sketch_quiet_is_silent_and_verbose_tells_files_parameters_and_times() {
    let dir = corpus();
    let outputs = tempfile::tempdir().unwrap();
    let out = |name: &str| outputs.path().join(name);
    let plain = run(lineage()
        .arg("sketch")
        .arg(dir.path())
        .arg("-o")
        .arg(out("plain.lfp")));
    assert_eq!(plain.code, Some(0), "{}", plain.stderr);
    assert!(
        plain.stderr.contains("skipped hidden entry"),
        "{}",
        plain.stderr
    );
    assert!(plain.stderr.contains("3 documents"), "{}", plain.stderr);

    let quiet = run(lineage()
        .arg("sketch")
        .arg(dir.path())
        .arg("-o")
        .arg(out("quiet.lfp"))
        .arg("-q"));
    assert_eq!(quiet.code, Some(0));
    assert_eq!(quiet.stderr, "", "quiet printed something");

    let verbose = run(lineage()
        .arg("sketch")
        .arg(dir.path())
        .arg("-o")
        .arg(out("verbose.lfp"))
        .arg("--verbose"));
    assert_eq!(verbose.code, Some(0), "{}", verbose.stderr);
    for expected in [
        "lineage: inputs: 3 files to read (3 found in folders), 1 skipped",
        "rewrite.txt",
        "parameters: 128 MinHash slots, shingles of 5 words, seed 42",
        "lineage: time: read, sketch and write",
        "lineage: time: total",
        "skipped hidden entry",
    ] {
        assert!(
            verbose.stderr.contains(expected),
            "no {expected:?} in:\n{}",
            verbose.stderr
        );
    }
    // The fingerprints do not depend on how much was said.
    let plain = std::fs::read(out("plain.lfp")).unwrap();
    assert_eq!(std::fs::read(out("quiet.lfp")).unwrap(), plain);
    assert_eq!(std::fs::read(out("verbose.lfp")).unwrap(), plain);
}

#[test]
fn score_verbose_adds_to_standard_error_only() {
    let score = |flag: Option<&str>| {
        let mut cmd = lineage();
        cmd.arg("score")
            .arg(sample("rewrite.txt"))
            .arg(sample("original.txt"))
            .args(["--format", "json"]);
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        run(&mut cmd)
    };
    let plain = score(None);
    let verbose = score(Some("-v"));
    let quiet = score(Some("-q"));
    assert_eq!(verbose.code, plain.code);
    assert_eq!(verbose.stdout, plain.stdout);
    assert_eq!(quiet.stdout, plain.stdout);
    assert_eq!(plain.stderr, "");
    assert_eq!(quiet.stderr, "");
    for expected in [
        "parameters: shingles of 5 words and 2 content words, 128 MinHash slots",
        "rewrite.txt: id ",
        "lineage: time: score and align",
        "lineage: time: total",
    ] {
        assert!(verbose.stderr.contains(expected), "{}", verbose.stderr);
    }
}

#[test]
fn dedup_and_index_verbose_and_quiet() {
    let dir = corpus();
    let dedup = |flag: &str| run(lineage().arg("dedup").arg(dir.path()).arg(flag));
    let verbose = dedup("-v");
    assert!(
        verbose.stderr.contains("candidate pairs")
            && verbose.stderr.contains("time: find clusters"),
        "{}",
        verbose.stderr
    );
    assert_eq!(dedup("-q").stderr, "");
    assert_eq!(dedup("-q").stdout, verbose.stdout);

    let index = dir.path().join("a.idx");
    let add = |flag: &str| {
        run(lineage()
            .args(["index", "add"])
            .arg(&index)
            .arg(samples_dir().join("original.txt"))
            .arg(flag))
    };
    let verbose = add("-v");
    assert_eq!(verbose.code, Some(0), "{}", verbose.stderr);
    assert!(
        verbose.stderr.contains("lineage: creating "),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("lineage: reading "),
        "{}",
        verbose.stderr
    );
    let quiet = add("-q");
    assert_eq!(quiet.code, Some(0));
    assert_eq!(quiet.stderr, "");
    let check = run(lineage()
        .arg("check")
        .arg(&index)
        .arg(sample("rewrite.txt"))
        .args(["--format", "json", "-v"]));
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    assert!(
        check.stderr.contains("parameters: index "),
        "{}",
        check.stderr
    );
}
