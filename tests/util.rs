//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Path of a file under `samples/`.
pub fn sample(name: &str) -> PathBuf {
    samples_dir().join(name)
}

/// The `samples/` folder.
pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Text of a file under `samples/`.
pub fn sample_text(name: &str) -> String {
    std::fs::read_to_string(sample(name)).expect("sample is readable UTF-8")
}

/// A command running the built `lineage` binary.
pub fn lineage() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("lineage").expect("binary builds")
}

/// `lineage` under a limit of `mib` MiB of address space (`ulimit -v`):
/// an allocation the input only claims, never holds, aborts it. It is
/// killed after 10 s, the bound issue 19 sets for hostile inputs (a guard
/// against hangs and quadratic time, not a speed target: each case takes
/// milliseconds).
#[cfg(unix)]
pub fn lineage_within(mib: u64) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024))
        .arg(assert_cmd::cargo::cargo_bin("lineage"))
        .timeout(std::time::Duration::from_secs(10));
    cmd
}

/// What a finished run printed, and how it exited.
#[derive(Debug)]
pub struct Run {
    /// Exit status (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Standard output as text.
    pub stdout: String,
    /// Standard error as text.
    pub stderr: String,
}

impl Run {
    /// Standard error split into lines.
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }

    /// Standard output parsed as JSON Lines.
    pub fn json(&self) -> Vec<Value> {
        json_lines(&self.stdout)
    }

    /// The only JSON record on standard output.
    pub fn one_json(&self) -> Value {
        let mut records = self.json();
        assert_eq!(records.len(), 1, "expected one JSON line:\n{}", self.stdout);
        records.remove(0)
    }
}

/// Runs `cmd` to completion (any exit status) and captures its output.
pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().expect("lineage runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `lineage score --format json DERIVED SOURCE`, run from `samples/`, so
/// the ids in the output are the bare file names.
pub fn score_json(derived: &str, source: &str) -> Run {
    run(lineage()
        .current_dir(samples_dir())
        .args(["score", "--format", "json", derived, source]))
}

/// Parses JSON Lines, failing with the offending line.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// A string field of a JSON record.
pub fn str_field<'a>(record: &'a Value, name: &str) -> &'a str {
    record[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not a string in {record}"))
}

/// A number field of a JSON record.
pub fn num_field(record: &Value, name: &str) -> f64 {
    record[name]
        .as_f64()
        .unwrap_or_else(|| panic!("{name} is not a number in {record}"))
}

/// Whether this process can read `path`. Root reads files whatever their
/// mode, so tests about unreadable files check this before asserting.
pub fn can_read(path: &Path) -> bool {
    std::fs::read(path).is_ok()
}

/// Asserts that standard error is exactly one `lineage: ` line containing
/// every one of `needles` (the file, the line, a suggested fix).
pub fn assert_one_error_line(run: &Run, needles: &[&str]) {
    let lines = run.stderr_lines();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{}",
        run.stderr
    );
    let line = lines[0];
    assert!(line.starts_with("lineage: "), "no prefix: {line}");
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} missing from: {line}");
    }
}

/// A JSON Lines corpus of `n` distinct synthetic documents.
pub fn corpus(path: &Path, prefix: &str, n: usize) {
    let words = [
        "river", "market", "council", "harvest", "engine", "festival", "station", "winter",
        "budget", "orchard", "vessel", "library", "tunnel", "senate", "copper", "meadow",
    ];
    let mut out = String::new();
    for i in 0..n {
        let mut text = String::new();
        let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for _ in 0..120 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text.push_str(words[(x % words.len() as u64) as usize]);
            text.push(' ');
        }
        out.push_str(&format!("{{\"id\":\"{prefix}{i}\",\"text\":\"{text}\"}}\n"));
    }
    std::fs::write(path, out).unwrap();
}
