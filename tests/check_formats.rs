//! `lineage check --format sarif|junit|github`: the CI outputs of a real
//! run, the SARIF log validated against the official SARIF 2.1.0 schema
//! (`tests/data/sarif-schema-2.1.0.json`, see `tests/data/README.md`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{lineage, run, samples_dir, Run};

/// An index of three archived samples, in a temporary folder.
fn archive() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = dir.path().join("archive.idx");
    let add = run(lineage().current_dir(samples_dir()).args([
        "index",
        "add",
        index.to_str().expect("UTF-8 temp path"),
        "original.txt",
        "reuters-acq.txt",
        "reuters-grain.txt",
    ]));
    assert_eq!(add.code, Some(0), "index add failed: {}", add.stderr);
    (dir, index)
}

/// `lineage check --format FORMAT INDEX INPUTS.. [EXTRA..]`, run from
/// `samples/` so ids are bare file names.
fn check(index: &Path, format: &str, inputs: &[&str], extra: &[&str]) -> Run {
    run(lineage()
        .current_dir(samples_dir())
        .args(["check", "--quiet", "--format", format])
        .args(extra)
        .arg(index)
        .args(inputs))
}

fn schema() -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("vendored SARIF schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Parses `text` as SARIF and asserts it is valid against the schema.
fn valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors: Vec<String> = schema()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid SARIF:\n{}\n{text}",
        errors.join("\n")
    );
    log
}

#[test]
fn sarif_of_a_finding_validates_against_the_official_schema() {
    let (_dir, index) = archive();
    let out = check(&index, "sarif", &["rewrite.txt"], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let log = valid_sarif(&out.stdout);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "lineage");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "lineage/derived");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["ruleId"], "lineage/derived");
    assert_eq!(r["level"], "error");
    assert!(r.get("suppressions").is_none());
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "rewrite.txt");
    assert!(loc["region"]["startLine"].as_u64().expect("startLine") >= 1);
    assert_eq!(
        r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "original.txt"
    );
    assert!(r["partialFingerprints"]["lineageFinding/v1"].is_string());
    assert!(r["properties"]["passages"].as_u64().expect("passages") > 0);
}

#[test]
fn sarif_without_findings_validates_and_has_no_results() {
    let (_dir, index) = archive();
    let out = check(&index, "sarif", &["reuters-crude.txt"], &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let log = valid_sarif(&out.stdout);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_suppresses_baselined_findings_and_still_validates() {
    let (dir, index) = archive();
    let baseline = dir.path().join("baseline.jsonl");
    let baseline = baseline.to_str().expect("UTF-8 temp path");
    let write = check(
        &index,
        "json",
        &["rewrite.txt"],
        &["--write-baseline", baseline],
    );
    assert_eq!(write.code, Some(0), "{}", write.stderr);
    let out = check(&index, "sarif", &["rewrite.txt"], &["--baseline", baseline]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let log = valid_sarif(&out.stdout);
    let r = &log["runs"][0]["results"][0];
    assert_eq!(r["suppressions"][0]["kind"], "external");
}

#[test]
fn the_schema_check_is_not_vacuous() {
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": {} }, "results": [{ "level": "fatal" }] }],
    });
    assert!(schema().iter_errors(&bad).count() > 0);
    // Formats are checked too: a URI with a space is not a URI.
    let bad_uri = serde_json::json!({
        "$schema": "not a uri",
        "version": "2.1.0",
        "runs": [],
    });
    assert!(schema().iter_errors(&bad_uri).count() > 0);
}

#[test]
fn junit_has_one_testcase_per_document_and_fails_the_copy() {
    let (_dir, index) = archive();
    let out = check(&index, "junit", &["rewrite.txt", "reuters-crude.txt"], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let xml = &out.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert!(xml.trim_end().ends_with("</testsuites>"));
    assert!(xml.contains(
        "<testsuite name=\"lineage check\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\">"
    ));
    assert_eq!(xml.matches("<testcase ").count(), 2);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert_eq!(xml.matches("</failure>").count(), 1);
    assert!(xml.contains("<testcase classname=\"lineage.check\" name=\"rewrite.txt\">"));
    assert!(xml.contains("<testcase classname=\"lineage.check\" name=\"reuters-crude.txt\"/>"));
    // Well-formed enough for a CI parser: tags balance and text has no raw
    // markup characters.
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
    let failure = &xml[xml.find("<failure ").expect("failure")..xml.find("</failure>").unwrap()];
    let body = &failure[failure.find('>').expect("end of tag") + 1..];
    assert!(!body.contains('<') && !body.contains('"'), "{body}");
    assert!(body.contains("rewrite.txt comes from original.txt"));
}

#[test]
fn github_annotates_the_copied_file() {
    let (_dir, index) = archive();
    let out = check(&index, "github", &["rewrite.txt", "reuters-crude.txt"], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(
        lines[0].starts_with("::error file=rewrite.txt,line="),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(",title=lineage%3A derived::derived: "));
    assert!(!lines[0].contains('\n'));
}
