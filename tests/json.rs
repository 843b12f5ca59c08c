//! `--format json`: one JSON object per line with every figure a program
//! needs, consistent with itself.

use serde_json::Value;

use crate::util::{num_field, score_json, str_field};

const VERDICTS: [&str; 5] = [
    "duplicate",
    "near_duplicate",
    "derived",
    "partial",
    "unrelated",
];

const DIRECTIONS: [&str; 3] = ["derived_from_source", "source_from_derived", "mutual"];

fn count(record: &Value, pointer: &str) -> u64 {
    record
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} is not a count in {record}"))
}

fn assert_unit(record: &Value, name: &str) {
    let x = num_field(record, name);
    assert!((0.0..=1.0).contains(&x), "{name} = {x} outside [0, 1]");
}

#[test]
fn pair_record_has_every_field() {
    let run = score_json("reuters-tseng-corrected.txt", "reuters-tseng.txt");
    assert!(run.stdout.ends_with('\n'));
    let r = run.one_json();
    assert_eq!(str_field(&r, "type"), "pair");
    assert_eq!(str_field(&r, "derived"), "reuters-tseng-corrected.txt");
    assert_eq!(str_field(&r, "source"), "reuters-tseng.txt");
    assert!(VERDICTS.contains(&str_field(&r, "verdict")), "{r}");
    assert!(DIRECTIONS.contains(&str_field(&r, "direction")), "{r}");
    assert!(r["finding"].is_boolean(), "{r}");
    for name in [
        "score",
        "reverse_score",
        "jaccard",
        "jaccard_estimate",
        "containment",
        "reverse_containment",
        "content_containment",
        "content_reverse_containment",
    ] {
        assert_unit(&r, name);
    }
    for pointer in [
        "/derived_tokens",
        "/source_tokens",
        "/derived_bytes",
        "/source_bytes",
        "/raw/derived_shingles",
        "/raw/source_shingles",
        "/raw/shared",
        "/content/derived_shingles",
        "/content/source_shingles",
        "/content/shared",
    ] {
        count(&r, pointer);
    }
    assert_eq!(count(&r, "/derived_bytes"), 605);
    assert_eq!(count(&r, "/source_bytes"), 579);
    assert!(r["warnings"].as_array().is_some_and(Vec::is_empty), "{r}");
}

/// Parameters are recorded so that a result can be reproduced.
#[test]
fn params_are_recorded() {
    let r = score_json("reuters-grain.txt", "reuters-acq.txt").one_json();
    let params = &r["params"];
    assert!(params.is_object(), "{r}");
    assert_eq!(count(params, "/shingle/raw_size"), 5);
    assert!(count(params, "/shingle/content_size") >= 1);
    count(params, "/shingle/seed");
    assert_eq!(count(params, "/num_perm"), 128);
    let threshold = params["threshold"].as_f64().expect("threshold");
    assert!((0.0..=1.0).contains(&threshold));
    for name in ["duplicate", "near_duplicate", "derived", "partial"] {
        assert!(params["thresholds"][name].is_number(), "{name}: {r}");
    }
}

/// Options change the recorded parameters.
#[test]
fn options_show_in_params() {
    let run = crate::util::run(
        crate::util::lineage()
            .current_dir(crate::util::samples_dir())
            .args([
                "score",
                "--format",
                "json",
                "--shingle-size",
                "3",
                "--num-perm",
                "64",
                "--seed",
                "7",
                "--threshold",
                "0.3",
                "reuters-grain.txt",
                "reuters-acq.txt",
            ]),
    );
    let r = run.one_json();
    assert_eq!(count(&r, "/params/shingle/raw_size"), 3);
    assert_eq!(count(&r, "/params/shingle/seed"), 7);
    assert_eq!(count(&r, "/params/num_perm"), 64);
    assert_eq!(num_field(&r["params"], "threshold"), 0.3);
}

/// The ratios in a record follow from the counts in the same record.
#[test]
fn figures_agree_with_counts() {
    for (derived, source) in [
        ("rewrite.txt", "original.txt"),
        ("reuters-tseng.txt", "reuters-tseng-corrected.txt"),
        ("reuters-crude.txt", "reuters-ship.txt"),
    ] {
        let r = score_json(derived, source).one_json();
        let d = count(&r, "/raw/derived_shingles") as f64;
        let s = count(&r, "/raw/source_shingles") as f64;
        let shared = count(&r, "/raw/shared") as f64;
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(num_field(&r, "containment"), shared / d), "{r}");
        assert!(
            close(num_field(&r, "reverse_containment"), shared / s),
            "{r}"
        );
        assert!(
            close(num_field(&r, "jaccard"), shared / (d + s - shared)),
            "{r}"
        );
        // Every token starts at most one raw shingle.
        assert!(d <= count(&r, "/derived_tokens").max(1) as f64, "{r}");
        let threshold = num_field(&r["params"], "threshold");
        assert_eq!(r["finding"], num_field(&r, "score") >= threshold, "{r}");
    }
}

/// Swapping the arguments swaps the one-way figures and keeps the symmetric
/// ones.
#[test]
fn swapping_arguments_mirrors_the_record() {
    let ab = score_json("rewrite.txt", "original.txt").one_json();
    let ba = score_json("original.txt", "rewrite.txt").one_json();
    for (x, y) in [
        ("score", "reverse_score"),
        ("containment", "reverse_containment"),
        ("content_containment", "content_reverse_containment"),
        ("jaccard", "jaccard"),
        ("jaccard_estimate", "jaccard_estimate"),
    ] {
        assert_eq!(num_field(&ab, x), num_field(&ba, y), "{x} vs {y}");
    }
    assert_eq!(ab["derived_tokens"], ba["source_tokens"]);
    assert_eq!(ab["raw"]["shared"], ba["raw"]["shared"]);
}
