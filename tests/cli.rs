//! `lineage score` end to end on `samples/`: verdicts, direction and exit
//! codes on real texts (see `samples/README.md` for where they come from).

use crate::util::{lineage, num_field, run, sample, samples_dir, score_json, str_field};

/// The four single-topic Reuters stories; no two share a 5-word shingle.
const UNRELATED: [&str; 4] = [
    "reuters-grain.txt",
    "reuters-acq.txt",
    "reuters-crude.txt",
    "reuters-ship.txt",
];

#[test]
fn seed_pair_is_a_finding() {
    lineage()
        .arg("score")
        .arg(sample("rewrite.txt"))
        .arg(sample("original.txt"))
        .assert()
        .code(1);
}

/// The rewrite is mostly reworded, so raw 5-gram containment alone is low
/// (0.13); the verdict depends on the content view and passage alignment.
#[test]
fn seed_rewrite_is_derived_from_original() {
    let run = score_json("rewrite.txt", "original.txt");
    let record = run.one_json();
    assert_eq!(str_field(&record, "verdict"), "derived", "{record}");
    assert_eq!(
        str_field(&record, "direction"),
        "derived_from_source",
        "{record}"
    );
    assert!(num_field(&record, "score") >= 0.35, "{record}");
    assert!(num_field(&record, "coverage") >= 0.8, "{record}");
    assert_eq!(record["finding"], true, "{record}");
    assert_eq!(run.code, Some(1), "stderr: {}", run.stderr);
}

/// Arguments the wrong way round: the original is not derived from its
/// rewrite, and the report must say the copying runs the other way.
#[test]
fn seed_original_is_not_derived_from_rewrite() {
    let run = score_json("original.txt", "rewrite.txt");
    let record = run.one_json();
    assert_ne!(str_field(&record, "verdict"), "derived", "{record}");
    assert_ne!(
        str_field(&record, "direction"),
        "derived_from_source",
        "{record}"
    );
    assert!(
        num_field(&record, "reverse_score") > num_field(&record, "score"),
        "{record}"
    );
}

#[test]
fn unrelated_reuters_stories_are_unrelated() {
    for derived in UNRELATED {
        for source in UNRELATED {
            if derived == source {
                continue;
            }
            let run = score_json(derived, source);
            let record = run.one_json();
            assert_eq!(str_field(&record, "verdict"), "unrelated", "{record}");
            assert!(num_field(&record, "score") < 0.2, "{record}");
            assert_eq!(record["finding"], false, "{record}");
            assert_eq!(run.code, Some(0), "{derived} vs {source}: {}", run.stderr);
        }
    }
}

#[test]
fn seed_and_reuters_are_unrelated() {
    let run = score_json("rewrite.txt", "reuters-crude.txt");
    assert_eq!(str_field(&run.one_json(), "verdict"), "unrelated");
    assert_eq!(run.code, Some(0));
}

/// Reuters NEWID 9330 and its correction 9390: exact 5-shingle Jaccard 0.86.
#[test]
fn reuters_correction_is_a_near_duplicate_both_ways() {
    for (derived, source) in [
        ("reuters-tseng-corrected.txt", "reuters-tseng.txt"),
        ("reuters-tseng.txt", "reuters-tseng-corrected.txt"),
    ] {
        let run = score_json(derived, source);
        let record = run.one_json();
        let verdict = str_field(&record, "verdict");
        assert!(
            verdict == "near_duplicate" || verdict == "duplicate",
            "{derived} vs {source}: {record}"
        );
        assert!(num_field(&record, "jaccard") >= 0.8, "{record}");
        assert_eq!(record["finding"], true, "{record}");
        assert_eq!(run.code, Some(1), "{derived} vs {source}: {}", run.stderr);
    }
}

#[test]
fn a_text_against_itself_is_a_duplicate() {
    let run = score_json("reuters-grain.txt", "reuters-grain.txt");
    let record = run.one_json();
    assert_eq!(str_field(&record, "verdict"), "duplicate", "{record}");
    assert_eq!(num_field(&record, "score"), 1.0);
    assert_eq!(num_field(&record, "jaccard"), 1.0);
    assert_eq!(num_field(&record, "jaccard_estimate"), 1.0);
    assert_eq!(run.code, Some(1));
}

/// The text report leads with the verdict, and exit codes match the JSON run.
#[test]
fn text_output_leads_with_the_verdict() {
    let run = run(lineage().current_dir(crate::util::samples_dir()).args([
        "score",
        "reuters-tseng.txt",
        "reuters-tseng-corrected.txt",
    ]));
    assert_eq!(run.code, Some(1));
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("near_duplicate:") || first.starts_with("duplicate:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("reuters-tseng.txt"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "unexpected stderr: {}", run.stderr);
}

/// `--threshold` decides the exit code, not the verdict.
#[test]
fn threshold_sets_the_exit_code() {
    let run = run(lineage().current_dir(crate::util::samples_dir()).args([
        "score",
        "--threshold",
        "1",
        "reuters-tseng.txt",
        "reuters-tseng-corrected.txt",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.stdout);
}

/// `lineage completions SHELL` prints a script the shell accepts, naming
/// every subcommand; `lineage man` prints a roff page.
#[test]
fn completions_and_man_page_are_generated() {
    let r = run(lineage().args(["completions", "bash"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for name in [
        "score",
        "sketch",
        "dedup",
        "index",
        "check",
        "eval",
        "--max-doc-bytes",
    ] {
        assert!(
            r.stdout.contains(name),
            "{name} missing from the bash script"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("lineage.bash");
    std::fs::write(&script, &r.stdout).unwrap();
    if let Ok(out) = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
    {
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let r = run(lineage().args(["completions", shell]));
        assert_eq!(r.code, Some(0), "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("lineage"), "{shell}");
    }
    let r = run(lineage().args(["completions", "tcsh"]));
    assert_eq!(r.code, Some(2));
    let r = run(lineage().arg("man"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains(".TH lineage 1"), "{}", r.stdout);
    for name in ["score", "sketch", "dedup", "check"] {
        assert!(r.stdout.contains(name), "{name} missing from the man page");
    }
}

/// `--version` names the commit (issue 23), so a bug report says which
/// build it is about.
#[test]
fn version_names_the_commit() {
    let r = run(lineage().arg("--version"));
    assert_eq!(r.code, Some(0));
    let line = r.stdout.trim();
    let prefix = concat!("lineage ", env!("CARGO_PKG_VERSION"), " (commit ");
    assert!(line.starts_with(prefix) && line.ends_with(')'), "{line}");
    let commit = &line[prefix.len()..line.len() - 1];
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
}

/// `LINEAGE_PORTABLE=1` turns every SIMD kernel off (issue 18): the
/// sketches, native and Parquet, and a pair's report are byte for byte
/// those of the detected kernels.
#[test]
fn portable_switch_changes_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = |portable: &str| -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        for ext in ["lfp", "parquet"] {
            let out = dir.path().join(format!("s{portable}.{ext}"));
            let r = run(lineage()
                .env("LINEAGE_PORTABLE", portable)
                .args(["sketch", "-q", "--threads", "2"])
                .arg(samples_dir())
                .arg("-o")
                .arg(&out));
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            files.push(std::fs::read(&out).unwrap());
        }
        let r = run(lineage()
            .env("LINEAGE_PORTABLE", portable)
            .args(["score", "--format", "json"])
            .arg(sample("rewrite.txt"))
            .arg(sample("original.txt")));
        files.push(r.stdout.into_bytes());
        files
    };
    assert_eq!(outputs("1"), outputs("0"));
}
