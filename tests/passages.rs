//! Passages, attribution, colour and `lineage eval` end to end.

use crate::util::{lineage, sample};

fn json(args: &[&str]) -> serde_json::Value {
    let out = lineage().args(args).output().expect("runs");
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn json_passages_slice_both_files() {
    let d = sample("rewrite.txt");
    let s = sample("original.txt");
    let v = json(&[
        "score",
        d.to_str().unwrap(),
        s.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let dt = std::fs::read_to_string(&d).unwrap();
    let st = std::fs::read_to_string(&s).unwrap();
    assert!(v["coverage"].as_f64().unwrap() >= 0.8);
    let passages = v["passages"].as_array().unwrap();
    assert!(passages.len() >= 5);
    for p in passages {
        let (a, b) = (
            p["derived"]["start"].as_u64().unwrap() as usize,
            p["derived"]["end"].as_u64().unwrap() as usize,
        );
        let (c, e) = (
            p["source"]["start"].as_u64().unwrap() as usize,
            p["source"]["end"].as_u64().unwrap() as usize,
        );
        assert!(dt.get(a..b).is_some_and(|t| !t.trim().is_empty()));
        assert!(st.get(c..e).is_some_and(|t| !t.trim().is_empty()));
        assert_eq!(p["source"]["path"], s.to_str().unwrap());
        let sim = p["similarity"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&sim));
    }
}

#[test]
fn colour_when_asked_and_not_by_default_with_no_color() {
    let d = sample("rewrite.txt");
    let s = sample("original.txt");
    let run = |color: &str, no_color: bool| {
        let mut cmd = lineage();
        cmd.args(["score", "--color", color])
            .arg(&d)
            .arg(&s)
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    // Not a terminal: auto means no colour.
    assert!(!run("auto", false).contains('\x1b'));
    assert!(run("always", false).contains("\x1b[1;32m"));
    // NO_COLOR turns off the default; an explicit --color always wins.
    assert!(run("always", true).contains("\x1b[1;32m"));
    assert!(!run("never", false).contains('\x1b'));
    let plain = run("never", false);
    assert!(plain.contains("passage 1"));
    assert!(plain.contains(" | "));
}

#[test]
fn several_sources_attribute_passages() {
    let dir = tempfile::tempdir().unwrap();
    let unrelated = dir.path().join("grain.txt");
    std::fs::write(
        &unrelated,
        "Wheat harvests in the northern plains were delayed by heavy rain this autumn, \
         and grain elevators reported record low deliveries for the season.",
    )
    .unwrap();
    let v = json(&[
        "score",
        sample("rewrite.txt").to_str().unwrap(),
        unrelated.to_str().unwrap(),
        sample("original.txt").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(v["type"], "attribution");
    let sources = v["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["coverage"].as_f64().unwrap(), 0.0);
    assert!(sources[1]["coverage"].as_f64().unwrap() >= 0.8);
    let original = v["original"].as_f64().unwrap();
    assert!((original + v["coverage"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(v["passages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["source"]["path"] == sample("original.txt").to_str().unwrap()));
    // A finding: exit 1.
    lineage()
        .arg("score")
        .arg(sample("rewrite.txt"))
        .arg(&unrelated)
        .arg(sample("original.txt"))
        .assert()
        .code(1);
}

#[test]
fn eval_reports_auc_and_confusion() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.txt");
    std::fs::write(
        &other,
        "Wheat harvests in the northern plains were delayed by heavy rain this autumn.",
    )
    .unwrap();
    let list = dir.path().join("labelled.tsv");
    let d = sample("rewrite.txt");
    let s = sample("original.txt");
    std::fs::write(
        &list,
        format!(
            "# derived\tsource\tlabel\n{}\t{}\tcut\n{}\t{}\tnon\n{}\t{}\tnon\n",
            d.display(),
            s.display(),
            other.display(),
            s.display(),
            d.display(),
            other.display()
        ),
    )
    .unwrap();
    let v = json(&[
        "eval",
        list.to_str().unwrap(),
        "--positive",
        "cut",
        "--format",
        "json",
    ]);
    assert_eq!(v["type"], "evaluation");
    assert_eq!(v["pairs"], 3);
    assert_eq!(v["positives"], 1);
    assert_eq!(v["roc_auc"].as_f64().unwrap(), 1.0);
    assert_eq!(v["at_finding"]["tp"], 1);
    assert_eq!(v["at_finding"]["fp"], 0);
    let text = lineage()
        .arg("eval")
        .arg(&list)
        .args(["--positive", "cut"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("ROC-AUC"));
    assert!(text.contains("confusion"));
}

/// At 80 columns (COLUMNS, as a terminal of that width sets it) the
/// side-by-side passages fit.
#[test]
fn side_by_side_passages_fit_the_width() {
    for columns in ["80", "60"] {
        let out = lineage()
            .args(["score", "--color", "never"])
            .arg(sample("rewrite.txt"))
            .arg(sample("original.txt"))
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let width: usize = columns.parse().unwrap();
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(" | "))
            .collect();
        assert!(rows.len() > 10, "{text}");
        for row in rows {
            assert!(
                unicode_width::UnicodeWidthStr::width(row) <= width,
                "{} columns at COLUMNS={columns}: {row}",
                unicode_width::UnicodeWidthStr::width(row)
            );
        }
    }
}
