//! Folder walks: `.gitignore` and `.ignore` files inside the folder,
//! `--glob` (with `!` to leave out), `--no-ignore`, hidden entries, order.

use std::path::Path;

use crate::util::{lineage, run, str_field, Run};

/// A folder that is not a git repository, inside a parent whose own
/// `.gitignore` would leave out every `.md` file:
///
/// ```text
/// parent/.gitignore       *.md
/// parent/corpus/.gitignore drafts/ and *.log
/// parent/corpus/.ignore    scratch.txt
/// parent/corpus/{b.txt, a.md, x.log, scratch.txt, .hidden.txt}
/// parent/corpus/drafts/d.txt, sub/c.txt, sub/e.jsonl
/// ```
fn corpus() -> tempfile::TempDir {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("corpus");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    std::fs::write(parent.path().join(".gitignore"), "*.md\n").unwrap();
    write(".gitignore", "drafts/\n*.log\n");
    write(".ignore", "scratch.txt\n");
    write("b.txt", "the second text of the corpus\n");
    write("a.md", "the first text of the corpus\n");
    write("x.log", "a log line\n");
    write("scratch.txt", "scratch notes\n");
    write(".hidden.txt", "hidden\n");
    write("drafts/d.txt", "a draft\n");
    write("sub/c.txt", "a text in a sub-folder\n");
    write(
        "sub/e.jsonl",
        "{\"id\":\"e1\",\"text\":\"one record\"}\n{\"id\":\"e2\",\"text\":\"another\"}\n",
    );
    parent
}

/// `lineage extract` of `dir` with `args`: the ids read, in order.
fn extract(dir: &Path, args: &[&str]) -> (Vec<String>, Run) {
    let r = run(lineage()
        .current_dir(dir)
        .args(["extract", "--format", "json"])
        .args(args));
    let ids = r
        .json()
        .iter()
        .map(|d| str_field(d, "id").to_string())
        .collect();
    (ids, r)
}

#[test]
fn gitignore_inside_the_folder_is_honoured_outside_a_repository() {
    let parent = corpus();
    let (ids, r) = extract(parent.path(), &["corpus"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Sorted by name; drafts/, *.log (.gitignore) and scratch.txt
    // (.ignore) left out; the parent's *.md rule does not reach in.
    assert_eq!(
        ids,
        [
            "corpus/a.md",
            "corpus/b.txt",
            "corpus/sub/c.txt",
            "e1",
            "e2"
        ]
    );
    // The hidden file is noted, the honoured ignore files are not.
    assert_eq!(
        r.stderr.trim(),
        "lineage: corpus/.hidden.txt: skipped hidden entry",
        "{}",
        r.stderr
    );
}

#[test]
fn no_ignore_walks_everything_but_hidden_entries() {
    let parent = corpus();
    let (ids, r) = extract(parent.path(), &["corpus", "--no-ignore"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        ids,
        [
            "corpus/a.md",
            "corpus/b.txt",
            "corpus/drafts/d.txt",
            "corpus/scratch.txt",
            "corpus/sub/c.txt",
            "e1",
            "e2",
            "corpus/x.log"
        ]
    );
    // The ignore files are plain hidden files then.
    for hidden in [".gitignore", ".hidden.txt", ".ignore"] {
        assert!(
            r.stderr
                .contains(&format!("corpus/{hidden}: skipped hidden entry")),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn globs_keep_and_leave_out_like_ripgrep() {
    let parent = corpus();
    // Only .txt files, wherever they are; as in ripgrep, the glob wins
    // over the ignore files for the files it names (scratch.txt), while
    // an ignored folder stays out (drafts/).
    let (ids, r) = extract(parent.path(), &["corpus", "--glob", "*.txt"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        ids,
        ["corpus/b.txt", "corpus/scratch.txt", "corpus/sub/c.txt"]
    );
    // `!` leaves out; repeatable; a folder left out takes its files along.
    let (ids, _) = extract(parent.path(), &["corpus", "-g", "!sub/", "-g", "!*.md"]);
    assert_eq!(ids, ["corpus/b.txt"]);
    // A glob with a slash is anchored at the walked folder.
    let (ids, _) = extract(parent.path(), &["corpus", "-g", "sub/*"]);
    assert_eq!(ids, ["corpus/sub/c.txt", "e1", "e2"]);
    let (ids, _) = extract(parent.path(), &["corpus", "-g", "*.log"]);
    assert_eq!(ids, ["corpus/x.log"]);
}

#[test]
fn a_file_named_on_the_command_line_is_always_read() {
    let parent = corpus();
    let (ids, r) = extract(
        parent.path(),
        &["corpus/x.log", "corpus/drafts/d.txt", "-g", "!*.log"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(ids, ["corpus/x.log", "corpus/drafts/d.txt"]);
}

#[test]
fn a_bad_glob_is_one_line_and_exit_2() {
    let parent = corpus();
    let r = run(lineage()
        .current_dir(parent.path())
        .args(["sketch", "corpus", "-o", "x.lfp", "--glob", "[a"]));
    assert_eq!(r.code, Some(2));
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("[a") && first.contains("unclosed") && first.contains("e.g."),
        "{}",
        r.stderr
    );
    assert!(!parent.path().join("x.lfp").exists());
}

#[test]
fn corpus_commands_walk_the_same_way() {
    let parent = corpus();
    // Two copies of one text, the second in an ignored folder: found as
    // duplicates only with --no-ignore.
    let text = "a paragraph long enough to be a document of its own, copied word for word into a draft that the gitignore leaves out of the walk\n";
    std::fs::write(parent.path().join("corpus/b.txt"), text).unwrap();
    std::fs::write(parent.path().join("corpus/drafts/d.txt"), text).unwrap();
    let dedup = |extra: &[&str]| {
        run(lineage()
            .current_dir(parent.path())
            .args(["dedup", "corpus", "--format", "json"])
            .args(extra))
    };
    assert_eq!(dedup(&[]).code, Some(0));
    let all = dedup(&["--no-ignore"]);
    assert_eq!(all.code, Some(1), "{}", all.stderr);
    assert!(all.stdout.contains("corpus/drafts/d.txt"), "{}", all.stdout);
}
