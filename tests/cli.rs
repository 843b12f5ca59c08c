//! `lineage score` end to end on `samples/`.

use crate::util::{lineage, sample};

#[test]
fn seed_pair_is_a_finding() {
    lineage()
        .arg("score")
        .arg(sample("rewrite.txt"))
        .arg(sample("original.txt"))
        .assert()
        .code(1);
}
