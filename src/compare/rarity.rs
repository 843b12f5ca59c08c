//! Background model of word rarity: how much a shared word says.
//!
//! In: a stem hash (stage 3's `content_term`).
//! Out: its weight, the inverse document frequency of the stem in a corpus
//! of English, `ln((N + 1) / (df + 1))`.
//!
//! Why: a summary takes from its article exactly the words the article
//! repeats, so weights counted inside the pair (inverse sentence frequency)
//! make them weigh least. Rarity in the language does not: "said" and
//! "year" weigh little in every pair, "Maduro" and "amnesty" a lot.
//!
//! The table shipped in the binary (`Rarity::builtin`, `src/compare/rarity/en.tsv`)
//! holds the document frequencies of the stems found in at least two of the
//! 19,043 Reuters-21578 newswire bodies (built by `scripts/rarity_table.sh`
//! with `examples/rarity_table.rs`, through the same normaliser, tokeniser,
//! stop words and stemmer as scoring). A stem the table lacks counts as
//! rarest: names and rare words are what a copy keeps. A user may supply a
//! table for their own domain in the same format ([`Rarity::load`],
//! `--weights FILE`): a `# documents N` line, then `stem<TAB>df` lines.
//!
//! Texts in other languages fall back to weights counted inside the pair:
//! `Rarity::covers` tells whether a text's words are the table's language.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};

use crate::error::{Error, Result};
use crate::kernels::hash::MulHasher;
use crate::text::shingle::token_hash;

/// The table shipped in the binary.
const BUILTIN: &str = include_str!("rarity/en.tsv");
/// Its name in reports.
const BUILTIN_NAME: &str = "builtin:en-reuters21578";

/// Share of a text's content words the table must know for the text to
/// count as written in the table's language (English prose: 0.8-0.95 with
/// the built-in table; French or German: below 0.3).
pub(crate) const MIN_KNOWN_SHARE: f64 = 0.5;

/// Stem hashes to document frequencies. The keys are xxh3 hashes of
/// stems, not an attacker's choice: SipHash, the standard map's default,
/// took most of the time of parsing the built-in table (15,776 stems).
type StemMap = HashMap<u64, u32, BuildHasherDefault<MulHasher>>;

/// Document frequencies of stems in a background corpus.
#[derive(Debug)]
pub struct Rarity {
    name: String,
    documents: f64,
    df: StemMap,
}

impl Rarity {
    /// The table shipped in the binary, parsed once.
    pub(crate) fn builtin() -> &'static Rarity {
        static TABLE: OnceLock<Rarity> = OnceLock::new();
        TABLE.get_or_init(|| {
            Rarity::parse(
                BUILTIN_NAME,
                Path::new("src/compare/rarity/en.tsv"),
                BUILTIN,
            )
            .expect("the built-in rarity table parses (checked by a unit test)")
        })
    }

    /// Reads a table from a file (`--weights FILE`).
    pub fn load(path: &Path) -> Result<Rarity> {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Rarity::parse(&path.display().to_string(), path, &text)
    }

    /// Parses a table: `# documents N`, then `stem<TAB>df` lines; blank
    /// lines and other `#` lines are skipped. `path` names the file in
    /// errors.
    pub(crate) fn parse(name: &str, path: &Path, text: &str) -> Result<Rarity> {
        let malformed = |line: usize, message: String| Error::BadWeights {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut documents: Option<f64> = None;
        let mut df = StemMap::with_capacity_and_hasher(text.len() / 10, Default::default());
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix('#') {
                if let Some(n) = rest.trim().strip_prefix("documents") {
                    let n: u64 = n.trim().parse().map_err(|_| {
                        malformed(
                            i + 1,
                            format!("expected '# documents N' with a whole number, got {line:?}"),
                        )
                    })?;
                    documents = Some(n as f64);
                }
                continue;
            }
            let (stem, count) = line
                .split_once('\t')
                .ok_or_else(|| malformed(i + 1, "expected STEM<TAB>DOCUMENT_FREQUENCY".into()))?;
            let count: u32 = count.trim().parse().map_err(|_| {
                malformed(
                    i + 1,
                    format!("document frequency must be a whole number, got {count:?}"),
                )
            })?;
            df.insert(token_hash(stem.trim()), count);
        }
        let documents = documents.ok_or_else(|| {
            malformed(
                1,
                "no '# documents N' line: say how many documents the counts come from".into(),
            )
        })?;
        if let Some(max) = df.values().max() {
            if f64::from(*max) > documents {
                return Err(malformed(
                    1,
                    format!("a document frequency ({max}) exceeds '# documents {documents}'"),
                ));
            }
        }
        Ok(Rarity {
            name: name.to_string(),
            documents,
            df,
        })
    }

    /// The weight of a stem: `ln((N + 1) / (df + 1))`, highest for stems the
    /// table lacks.
    pub(crate) fn weight(&self, term: u64) -> f64 {
        let df = self.df.get(&term).copied().unwrap_or(0);
        ((self.documents + 1.0) / (f64::from(df) + 1.0)).ln()
    }

    /// Whether the table knows a stem.
    pub(crate) fn knows(&self, term: u64) -> bool {
        self.df.contains_key(&term)
    }

    /// Whether a text with these content terms (one per content word that
    /// holds a letter, in text order) is in the table's language: at least
    /// [`MIN_KNOWN_SHARE`] of them are known. An empty text is not.
    pub(crate) fn covers(&self, terms: &[u64]) -> bool {
        if terms.is_empty() {
            return false;
        }
        let known = terms.iter().filter(|&&t| self.knows(t)).count();
        known as f64 >= MIN_KNOWN_SHARE * terms.len() as f64
    }

    /// Stems in the table.
    pub fn len(&self) -> usize {
        self.df.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.df.is_empty()
    }

    /// The table's name in reports: the built-in table's, or the path it
    /// was read from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes a table live for the rest of the process, so that a
    /// [`RarityTable`] handle (and so [`crate::compare::Config`]) stays
    /// `Copy`. A process loads one user table.
    pub fn leak(self) -> RarityTable {
        RarityTable(Some(Box::leak(Box::new(self))))
    }
}

/// A handle on a [`Rarity`] table, the one a configuration scores with.
/// Serialised as the table's name. The default, the built-in table, is
/// parsed when first used, not when a configuration is made: commands that
/// never weigh words (`sketch`, `dedup`) do not pay for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RarityTable(Option<&'static Rarity>);

impl RarityTable {
    /// The table.
    pub(crate) fn get(&self) -> &'static Rarity {
        self.0.unwrap_or_else(Rarity::builtin)
    }

    /// The table's name, without parsing the built-in one.
    fn name(&self) -> &str {
        self.0.map_or(BUILTIN_NAME, |table| &table.name)
    }
}

impl PartialEq for RarityTable {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Serialize for RarityTable {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::shingle::content_term;
    use crate::text::tokenize::tokenize;

    fn terms(text: &str) -> Vec<u64> {
        let t = tokenize(text);
        (0..t.tokens.len())
            .map(|i| t.token_text(i))
            .filter(|w| w.chars().any(char::is_alphabetic))
            .filter_map(content_term)
            .collect()
    }

    #[test]
    fn builtin_table_loads_compact_and_ranks_words() {
        let r = Rarity::builtin();
        assert!(r.len() > 10_000, "{} stems", r.len());
        assert!(BUILTIN.len() < 1 << 20, "{} bytes", BUILTIN.len());
        let w = |word: &str| r.weight(content_term(word).unwrap());
        assert!(w("said") < 1.0, "said {}", w("said"));
        assert!(w("amnesty") > w("government"));
        assert!(w("maduro") >= w("amnesty"));
    }

    #[test]
    fn builtin_table_covers_the_samples() {
        let r = Rarity::builtin();
        for text in [
            include_str!("../../samples/original.txt"),
            include_str!("../../samples/rewrite.txt"),
            include_str!("../../samples/reuters-grain.txt"),
        ] {
            let t = terms(text);
            let known = t.iter().filter(|&&x| r.knows(x)).count();
            assert!(r.covers(&t), "{known} of {} known", t.len());
        }
        // Another language falls back to in-pair weights.
        let fr = terms(
            "Le gouvernement vénézuélien a démenti jeudi les informations selon lesquelles \
             le président aurait reçu une offre d'amnistie en échange de son départ.",
        );
        assert!(!r.covers(&fr));
    }

    #[test]
    fn user_tables_parse_or_name_the_line() {
        let t =
            Rarity::parse("t", Path::new("t.tsv"), "# documents 10\nfoo\t3\nbar\t10\n").unwrap();
        assert_eq!(t.len(), 2);
        assert!(t.weight(token_hash("bar")) < t.weight(token_hash("foo")));
        assert!(t.weight(token_hash("foo")) < t.weight(token_hash("never")));
        let e = Rarity::parse("t", Path::new("t.tsv"), "# documents 10\nfoo 3\n").unwrap_err();
        assert!(e.to_string().starts_with("t.tsv:2:"), "{e}");
        let e = Rarity::parse("t", Path::new("t.tsv"), "foo\t3\n").unwrap_err();
        assert!(e.to_string().contains("# documents"), "{e}");
        let e = Rarity::parse("t", Path::new("t.tsv"), "# documents 2\nfoo\t3\n").unwrap_err();
        assert!(e.to_string().contains("exceeds"), "{e}");
    }
}
