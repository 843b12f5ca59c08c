//! No output replaces an input; writes follow links and keep permissions;
//! a killed writer leaves the old output and no temporary file behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{assert_one_error_line, corpus, lineage, run, sample};

#[test]
fn no_output_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.jsonl");
    corpus(&c, "d", 20);
    let before = std::fs::read(&c).unwrap();
    let index = dir.path().join("a.idx");
    assert_eq!(
        run(lineage().args(["index", "add", "-q"]).arg(&index).arg(&c)).code,
        Some(0)
    );
    let link = dir.path().join("link.jsonl");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&c, &link).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&c, &link).unwrap();
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["sketch".into(), p(&c), "-o".into(), p(&c)],
            "fingerprint file",
        ),
        (
            vec!["sketch".into(), p(&link), "-o".into(), p(&c)],
            "fingerprint file",
        ),
        (
            vec!["dedup".into(), p(&c), "--keep".into(), p(&c)],
            "keep list",
        ),
        (
            vec![
                "check".into(),
                p(&index),
                p(&c),
                "--write-baseline".into(),
                p(&c),
            ],
            "baseline",
        ),
        (
            vec![
                "check".into(),
                p(&index),
                p(&c),
                "--write-baseline".into(),
                p(&index),
            ],
            "baseline",
        ),
        (vec!["index".into(), "add".into(), p(&c), p(&c)], "index"),
    ];
    for (args, what) in cases {
        let r = run(lineage().args(&args));
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert_one_error_line(
            &r,
            &[what, "would replace the input", "nothing was written"],
        );
        assert_eq!(
            std::fs::read(&c).unwrap(),
            before,
            "{args:?} changed the input"
        );
    }
    // The index survived its own case too.
    let r = run(lineage().args(["index", "stats"]).arg(&index));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn index_add_through_a_link_updates_the_file_it_names() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.idx");
    let link = dir.path().join("link.idx");
    let add = |index: &Path, name: &str| {
        run(lineage()
            .args(["index", "add", "-q"])
            .arg(index)
            .arg(sample(name)))
    };
    assert_eq!(add(&real, "original.txt").code, Some(0));
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real.idx", &link).unwrap();
    assert_eq!(add(&link, "reuters-grain.txt").code, Some(0));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let stats = run(lineage()
        .args(["index", "stats", "--format", "json"])
        .arg(&real));
    assert_eq!(stats.one_json()["documents"], 2);
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "permissions of the archive changed");
}

#[test]
fn killed_sketches_leave_the_old_output_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    corpus(&input, "d", 20_000);
    let out = dir.path().join("out.lfp");
    let sketch = || {
        Command::new(PathBuf::from(env!("CARGO_BIN_EXE_lineage")))
            .args(["sketch", "-q"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let started = std::time::Instant::now();
    assert!(sketch().wait().unwrap().success());
    let span = started.elapsed().as_micros() as u64 * 3 / 2 + 1;
    // Sketching the same input gives the same bytes: every state the
    // output is seen in must be exactly that file.
    let expected = std::fs::read(&out).unwrap();
    let temps = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut killed = 0;
    for round in 0..20 {
        let mut child = sketch();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_micros(x % span));
        let _ = child.kill();
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        assert!(
            std::fs::read(&out).unwrap() == expected,
            "round {round}: the output is not the previous file"
        );
    }
    assert!(
        killed >= 5,
        "only {killed} runs were killed; the test proves little"
    );
    assert!(sketch().wait().unwrap().success());
    assert_eq!(std::fs::read(&out).unwrap(), expected);
    assert!(temps().is_empty(), "left behind: {:?}", temps());
}
