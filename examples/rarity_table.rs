//! Builds the background model of word rarity that `lineage` ships
//! (`src/compare/rarity/en.tsv`): the document frequency of every stemmed content
//! word in a corpus of English documents.
//!
//! ```sh
//! scripts/rarity_table.sh            # Reuters-21578 from ../shared/data
//! cargo run --release --example rarity_table -- CORPUS.jsonl... > table.tsv
//! ```
//!
//! Input: JSON Lines files with a `text` field, one document per line.
//! Output: a `# documents N` header, then `stem<TAB>df` lines sorted by stem,
//! for stems found in at least `MIN_DF` documents (a rarer stem is treated
//! as never seen). Words go through the same normalisation, tokenisation,
//! stop-word list and Snowball stemmer as scoring, so the table's keys are
//! the terms `lineage` compares.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};

use lineage::text::shingle::stem;
use lineage::text::tokenize::tokenize;

/// Documents a stem must occur in to enter the table.
const MIN_DF: u32 = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut df: BTreeMap<String, u32> = BTreeMap::new();
    let mut documents = 0u64;
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let value: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| format!("{path}:{}: {e}", n + 1))?;
            let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
                continue;
            };
            let tokens = tokenize(text);
            let mut seen: HashSet<String> = HashSet::new();
            for i in 0..tokens.tokens.len() {
                let word = tokens.token_text(i);
                // Digits carry no rarity a reader would recognise.
                if !word.chars().any(char::is_alphabetic) {
                    continue;
                }
                if let Some(s) = stem(word) {
                    seen.insert(s);
                }
            }
            documents += 1;
            for s in seen {
                *df.entry(s).or_insert(0) += 1;
            }
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "# documents {documents}")?;
    for (s, n) in df {
        if n >= MIN_DF && !s.contains(['\t', '\n']) {
            writeln!(out, "{s}\t{n}")?;
        }
    }
    out.flush()?;
    Ok(())
}
