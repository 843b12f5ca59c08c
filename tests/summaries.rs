//! Summaries, condensed passages and shared quotations, end to end.

use crate::util::{lineage, run, sample, sample_text, samples_dir, Run};

/// A one-sentence summary of `samples/original.txt`, written for this test:
/// it fuses facts from its first and last paragraphs in other words.
const SUMMARY: &str = "Washington denied offering Nicolas Maduro amnesty to leave office, \
    as Blinken said the evidence showed Edmundo Gonzalez won Venezuela's election.\n";

/// One sentence quoting `samples/original.txt` word for word, between
/// quotation marks, amid unrelated words.
const QUOTE: &str = "Asked about the talks, a spokesman told reporters: \"We have not made any \
    offers to Maduro or others since this election.\" Rain is expected across the capital on Friday.\n";

/// `lineage score DERIVED SOURCE --format json EXTRA...`.
fn score(
    derived: impl AsRef<std::ffi::OsStr>,
    source: impl AsRef<std::ffi::OsStr>,
    extra: &[&str],
) -> Run {
    run(lineage()
        .arg("score")
        .arg(derived)
        .arg(source)
        .args(["--format", "json"])
        .args(extra))
}

/// The kinds of a JSON pair's passages.
fn kinds(pair: &serde_json::Value) -> Vec<String> {
    pair["passages"]
        .as_array()
        .expect("passages")
        .iter()
        .map(|p| p["kind"].as_str().unwrap_or("").to_string())
        .collect()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn one_sentence_summary_is_a_finding_with_a_condensed_passage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = write(&dir, "summary.txt", SUMMARY);
    let original = sample("original.txt");
    let r = score(&d, &original, &[]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let j = r.one_json();
    assert_eq!(j["verdict"], "summary", "{j}");
    assert_eq!(j["finding"], true);
    let passages = j["passages"].as_array().expect("passages");
    let condensed: Vec<_> = passages
        .iter()
        .filter(|p| p["kind"] == "condensed")
        .collect();
    assert_eq!(condensed.len(), 1, "{passages:?}");
    let text = sample_text("original.txt");
    let draws = condensed[0]["draws_on"].as_array().expect("draws_on");
    assert!(draws.len() >= 2, "{draws:?}");
    let slices: Vec<&str> = draws
        .iter()
        .map(|r| {
            let (a, b) = (r["start"].as_u64().unwrap(), r["end"].as_u64().unwrap());
            &text[a as usize..b as usize]
        })
        .collect();
    // From anywhere in SOURCE: the opening sentence and one far below it.
    assert!(slices[0].starts_with("The State Department"), "{slices:?}");
    assert!(slices.iter().any(|s| s.contains("Edmundo")), "{slices:?}");
    // The text report says what the evidence supports.
    let text_run = run(lineage().arg("score").arg(&d).arg(&original));
    assert!(
        text_run.stdout.starts_with("summary: ")
            && text_run.stdout.contains("consistent with a summary of"),
        "{}",
        text_run.stdout
    );
    assert!(text_run.stdout.contains("(condensed, similarity"));
}

#[test]
fn a_shared_quotation_alone_is_not_a_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = write(&dir, "quote.txt", QUOTE);
    let original = sample("original.txt");
    let r = score(&d, &original, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    let j = r.one_json();
    assert_eq!(j["finding"], false, "{j}");
    assert_eq!(j["verdict"], "unrelated", "{j}");
    assert_eq!(kinds(&j), ["quote"]);
    // With its attribution reworded around it, still a shared quotation.
    let attributed = write(
        &dir,
        "attributed.txt",
        "Tensions rose again. \"We have not made any offers to Maduro or others since this \
         election,\" the department told reporters on Monday.\n",
    );
    let j = score(&attributed, &original, &[]).one_json();
    assert_eq!(j["finding"], false, "{j}");
    assert_eq!(kinds(&j), ["quote"], "{j}");
    // Counted on request, the same quotation is word-for-word copying.
    let counted = score(&d, &original, &["--count-quotes"]);
    assert_eq!(counted.code, Some(1), "{}", counted.stdout);
    assert_eq!(counted.one_json()["verdict"], "derived");
    // Putting SOURCE's own prose between quotation marks is quoting SOURCE:
    // word for word, not a shared quotation.
    let own = write(
        &dir,
        "own.txt",
        "As one report put it: \"Despite international calls for the Venezuelan president \
         to step aside amid mounting evidence that shows he lost to opposition leader \
         Edmundo Gonz\u{e1}lez, Maduro has refused to relinquish his power.\"\n",
    );
    let r = score(&own, &original, &[]);
    let j = r.one_json();
    assert_eq!(kinds(&j), ["verbatim"], "{j}");
    assert_eq!(j["finding"], true);
}

#[test]
fn verdicts_on_the_samples_are_unchanged() {
    let names: Vec<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.ends_with(".txt").then_some(name)
        })
        .collect();
    assert!(names.len() >= 8);
    for a in &names {
        for b in &names {
            if a == b {
                continue;
            }
            let r = score(sample(a), sample(b), &[]);
            let verdict = r.one_json()["verdict"].as_str().unwrap().to_string();
            let expected = match (a.as_str(), b.as_str()) {
                ("rewrite.txt", "original.txt") => "derived",
                ("original.txt", "rewrite.txt") => "partial",
                ("reuters-tseng.txt", "reuters-tseng-corrected.txt")
                | ("reuters-tseng-corrected.txt", "reuters-tseng.txt") => "near_duplicate",
                _ => "unrelated",
            };
            assert_eq!(verdict, expected, "{a} against {b}");
        }
    }
}

#[test]
fn a_malformed_weights_table_is_one_error_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = write(&dir, "w.tsv", "# documents 10\nmaduro 3\n");
    let r = run(lineage()
        .arg("score")
        .arg(sample("rewrite.txt"))
        .arg(sample("original.txt"))
        .args(["--weights", &w]));
    assert_eq!(r.code, Some(2));
    let lines = r.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("w.tsv:2:") && lines[0].contains("rarity_table.sh"));
}

#[test]
fn check_finds_the_article_a_one_sentence_summary_came_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = write(&dir, "summary.txt", SUMMARY);
    let index = dir.path().join("archive.idx");
    let mut add = lineage();
    add.args(["index", "add", "-q"]).arg(&index);
    for name in [
        "original.txt",
        "reuters-acq.txt",
        "reuters-crude.txt",
        "reuters-grain.txt",
        "reuters-ship.txt",
    ] {
        add.arg(sample(name));
    }
    assert_eq!(run(&mut add).code, Some(0));
    let r = run(lineage()
        .args(["check", "-q", "--format", "json"])
        .arg(&index)
        .arg(&d));
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    let findings: Vec<_> = r
        .json()
        .into_iter()
        .filter(|f| f["type"] == "finding")
        .collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert!(f["source"].as_str().unwrap().ends_with("original.txt"));
    assert_eq!(f["verdict"], "summary");
    // Found by its rare words: it shares too few content 2-grams.
    assert!(f["estimated_word_share"].as_f64().unwrap() > 0.5, "{f}");
}
