//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// Path of a file under `samples/`.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A command running the built `lineage` binary.
pub fn lineage() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("lineage").expect("binary builds")
}
