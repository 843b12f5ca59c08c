//! Records the git commit the binary is built from, for `lineage
//! --version` (`LINEAGE_COMMIT`: a short hash, or `unknown` outside a git
//! checkout, as in a crates.io package). Reruns when HEAD moves.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    println!(
        "cargo:rustc-env=LINEAGE_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    // HEAD names a branch; the branch's ref moves with each commit (a loose
    // ref file, or packed-refs after `git gc`).
    if let Some(dir) = git(&["rev-parse", "--git-dir"]).map(PathBuf::from) {
        println!("cargo:rerun-if-changed={}", dir.join("HEAD").display());
        println!(
            "cargo:rerun-if-changed={}",
            dir.join("packed-refs").display()
        );
        if let Some(name) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&["rev-parse", "--git-common-dir"]).map(PathBuf::from);
            let base = common.unwrap_or(dir);
            println!("cargo:rerun-if-changed={}", base.join(name).display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
