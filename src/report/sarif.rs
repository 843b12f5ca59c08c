//! SARIF 2.1.0 rendering of a `lineage check` run, for code-scanning UIs
//! (GitHub code scanning and other SARIF viewers).
//!
//! In: the [`DocCheck`]s, which findings are accepted, and a `RunInfo`.
//! Out: one SARIF log (pretty JSON) with one run and one result per
//! finding. Each verdict is a rule (`lineage/derived`, `lineage/partial`,
//! `lineage/near-duplicate`, `lineage/duplicate`, and `lineage/contained`
//! for a checked text that holds an archived one whole); only the rules a
//! run uses are listed. A failing finding is an `error`; a finding accepted
//! in the baseline keeps its level and carries an `external` suppression,
//! which viewers show as dismissed. The result points at the checked
//! document (see `ci` for how ids become locations) and at
//! the first passage's lines, with the archived source as a related
//! location. `partialFingerprints["lineageFinding/v1"]` is an xxh3 hash of
//! the two ids, so a finding keeps its identity across runs and edits.
//!
//! Spec: <https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>.
//! The integration tests validate the output against the official schema
//! (`tests/data/sarif-schema-2.1.0.json`).

use serde_json::{json, Map, Value};

use crate::archive::check::{DocCheck, Finding};
use crate::compare::score::Verdict;
use crate::report::ci::{self, IsAccepted, Location, RunInfo};
use crate::report::human;

/// The `$schema` of the log.
pub(crate) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The rules, in the order they are listed.
const VERDICTS: [Verdict; 6] = [
    Verdict::Duplicate,
    Verdict::NearDuplicate,
    Verdict::Derived,
    Verdict::Summary,
    Verdict::Partial,
    Verdict::Unrelated,
];

/// Name, short and full description of a verdict's rule.
fn rule_text(verdict: Verdict) -> (&'static str, &'static str, &'static str) {
    match verdict {
        Verdict::Duplicate => (
            "DuplicateText",
            "Duplicate of an archived text",
            "The checked text and an archived one are the same text, give or take a few words.",
        ),
        Verdict::NearDuplicate => (
            "NearDuplicateText",
            "Near-duplicate of an archived text",
            "The checked text and an archived one are mostly the same text both ways, with edits.",
        ),
        Verdict::Derived => (
            "DerivedText",
            "Derived from an archived text",
            "Most of the checked text comes from an archived text: a rewrite, summary or excerpt.",
        ),
        Verdict::Summary => (
            "SummaryOfText",
            "Consistent with a summary of an archived text",
            "The rare words of the checked text come from an archived text, but no passage was copied or reworded: consistent with a summary of it. Another outlet's independent report of the same event can look the same.",
        ),
        Verdict::Partial => (
            "PartialReuse",
            "Partly taken from an archived text",
            "Some of the checked text comes from an archived text.",
        ),
        Verdict::Unrelated => (
            "ContainedText",
            "Holds an archived text",
            "The checked text holds much of an archived text, though that text is a small part of it.",
        ),
    }
}

fn rule(verdict: Verdict) -> Value {
    let (name, short, full) = rule_text(verdict);
    json!({
        "id": ci::rule_id(verdict),
        "name": name,
        "shortDescription": { "text": short },
        "fullDescription": { "text": full },
        "help": {
            "text": format!(
                "{full} Read the passages: quoting with attribution is fine; otherwise rewrite, cite the source, or accept the finding with `lineage check --write-baseline`."
            ),
        },
        "defaultConfiguration": { "level": "error" },
        "properties": { "tags": ["lineage", "text-reuse"] },
    })
}

/// Percent-encodes what may not stand in a URI reference: bytes outside
/// ASCII, controls, space and `"<>\^`{|}`. A path also has `%` encoded,
/// and `:` so that its first segment is not read as a scheme; `?` and `#`
/// too, since they end a path.
pub(crate) fn uri_encode(s: &str, is_url: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            || (is_url && b"%:?#[]".contains(&b));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URI of a path or URL id: absolute paths become `file://` URIs.
fn uri(path: &str, is_url: bool) -> String {
    if is_url {
        return uri_encode(path, true);
    }
    let windows_drive = path.len() >= 3
        && path.as_bytes()[0].is_ascii_alphabetic()
        && path.as_bytes()[1] == b':'
        && path.as_bytes()[2] == b'/';
    if windows_drive {
        format!("file:///{}{}", &path[..2], uri_encode(&path[2..], false))
    } else if path.starts_with('/') {
        format!("file://{}", uri_encode(path, false))
    } else {
        uri_encode(path, false)
    }
}

fn physical_location(loc: &Location) -> Value {
    let mut out = Map::new();
    out.insert(
        "artifactLocation".into(),
        json!({ "uri": uri(&loc.path, loc.is_url) }),
    );
    if let Some(start) = loc.start_line {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(start.max(1)));
        if let Some(end) = loc.end_line {
            region.insert("endLine".into(), json!(end.max(start.max(1))));
        }
        if let Some(snippet) = &loc.snippet {
            region.insert("snippet".into(), json!({ "text": snippet }));
        }
        out.insert("region".into(), Value::Object(region));
    }
    Value::Object(out)
}

/// The stable identity of a finding: derived and source ids.
pub(crate) fn fingerprint(f: &Finding) -> String {
    let key = format!("{}\0{}", f.report.derived, f.report.source);
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

fn message(check: &DocCheck, f: &Finding) -> String {
    let other = ci::other_id(f);
    let title = if f.checked_is_derived {
        &f.source_meta.title
    } else {
        &f.derived_meta.title
    };
    let mut text = format!(
        "{} ({} passages; coverage {:.2}",
        human::headline(&f.report),
        f.report.passages.len(),
        f.report.coverage,
    );
    if let Some(title) = title {
        text.push_str(&format!("; {other} is \"{title}\""));
    }
    text.push(')');
    if !f.checked_is_derived {
        text.push_str(&format!(
            ". The archived {other} is dated after {}, so it is taken as the copy",
            check.id
        ));
    }
    text
}

fn result(check: &DocCheck, f: &Finding, rule_index: usize, accepted: bool) -> Value {
    let loc = ci::location(&check.id, f);
    let other = ci::other_id(f);
    let other_meta = if f.checked_is_derived {
        &f.source_meta
    } else {
        &f.derived_meta
    };
    let related_uri = match &other_meta.url {
        Some(url) if ci::is_url(url) => uri(url, true),
        _ => uri(&other.replace('\\', "/"), ci::is_url(other)),
    };
    let related_text = match &other_meta.title {
        Some(title) => format!("archived text {other}: {title}"),
        None => format!("archived text {other}"),
    };
    let mut out = json!({
        "ruleId": ci::rule_id(f.report.verdict),
        "ruleIndex": rule_index,
        "level": "error",
        "message": { "text": message(check, f) },
        "locations": [{ "physicalLocation": physical_location(&loc) }],
        "relatedLocations": [{
            "id": 1,
            "physicalLocation": { "artifactLocation": { "uri": related_uri } },
            "message": { "text": related_text },
        }],
        "partialFingerprints": { "lineageFinding/v1": fingerprint(f) },
        "properties": {
            "score": f.report.score,
            "reverseScore": f.report.reverse_score,
            "coverage": f.report.coverage,
            "verbatimCoverage": f.report.verbatim_coverage,
            "verdict": f.report.verdict.as_str(),
            "passages": f.report.passages.len(),
            "derived": f.report.derived,
            "source": f.report.source,
            "checkedIsDerived": f.checked_is_derived,
            "baselined": accepted,
        },
    });
    if accepted {
        out["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": "accepted in the lineage baseline (--baseline)",
        }]);
    }
    out
}

/// Renders a SARIF 2.1.0 log of the run, pretty-printed, ending with a
/// newline.
pub fn render(checks: &[DocCheck], is_accepted: IsAccepted<'_>, run: &RunInfo<'_>) -> String {
    let used: Vec<Verdict> = VERDICTS
        .into_iter()
        .filter(|v| {
            checks
                .iter()
                .flat_map(|c| &c.findings)
                .any(|f| f.report.verdict == *v)
        })
        .collect();
    let mut results = Vec::new();
    for check in checks {
        for f in &check.findings {
            let rule_index = used
                .iter()
                .position(|v| *v == f.report.verdict)
                .unwrap_or(0);
            results.push(result(check, f, rule_index, is_accepted(f)));
        }
    }
    let mut driver = json!({
        "name": "lineage",
        "version": run.tool_version,
        "rules": used.into_iter().map(rule).collect::<Vec<_>>(),
    });
    if let Some(info) = run.information_uri {
        driver["informationUri"] = json!(info);
    }
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "results": results,
            "properties": {
                "index": run.index,
                "archived": run.archived,
                "checked": checks.len(),
                "threshold": run.threshold,
            },
        }],
    });
    format!("{log:#}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ci::tests::{check, finding, info as ci_info};

    fn info() -> RunInfo<'static> {
        ci_info("archive.idx")
    }

    fn log(checks: &[DocCheck], accepted: IsAccepted<'_>) -> Value {
        serde_json::from_str(&render(checks, accepted, &info())).unwrap()
    }

    #[test]
    fn one_result_per_finding_with_its_location() {
        let checks = [
            check(
                "posts/a b.txt",
                vec![
                    finding("posts/a b.txt", "old.txt", Verdict::Derived),
                    finding("posts/a b.txt", "other.txt", Verdict::Partial),
                ],
            ),
            check("clean.txt", vec![]),
        ];
        let log = log(&checks, &|_| false);
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 2);
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["lineage/derived", "lineage/partial"]);
        let r = &results[1];
        assert_eq!(r["ruleId"], "lineage/partial");
        assert_eq!(r["ruleIndex"], 1);
        assert_eq!(r["level"], "error");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "posts/a%20b.txt");
        assert_eq!(loc["region"]["startLine"], 2);
        assert_eq!(loc["region"]["endLine"], 3);
        assert_eq!(
            r["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "https://example.org/a?b=1&c=2"
        );
        assert!(r.get("suppressions").is_none());
    }

    #[test]
    fn baselined_findings_are_suppressed_not_dropped() {
        let checks = [check(
            "a.txt",
            vec![finding("a.txt", "old.txt", Verdict::Derived)],
        )];
        let log = log(&checks, &|_| true);
        let r = &log["runs"][0]["results"][0];
        assert_eq!(r["suppressions"][0]["kind"], "external");
        assert_eq!(r["properties"]["baselined"], true);
    }

    #[test]
    fn fingerprints_depend_on_the_pair_only() {
        let a = finding("a.txt", "old.txt", Verdict::Derived);
        let mut b = a.clone();
        b.report.score = 0.9;
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(
            fingerprint(&a),
            fingerprint(&finding("a.txt", "new.txt", Verdict::Derived))
        );
    }

    #[test]
    fn uris_are_encoded_and_absolute_paths_are_file_uris() {
        assert_eq!(uri("dir/a b%.txt", false), "dir/a%20b%25.txt");
        assert_eq!(uri("a:b.txt", false), "a%3Ab.txt");
        assert_eq!(uri("/tmp/é.txt", false), "file:///tmp/%C3%A9.txt");
        assert_eq!(uri("C:/x/y.txt", false), "file:///C:/x/y.txt");
        assert_eq!(
            uri("https://x.org/a b?q=1#f", true),
            "https://x.org/a%20b?q=1#f"
        );
    }
}
