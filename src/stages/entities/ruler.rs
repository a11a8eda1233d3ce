//! The user's entity ruler: names the model misses, with labels, that add or override
//! mentions.
//!
//! File format (JSONL, one entry a line; blank lines and lines starting with `#` skipped):
//! `{"label": "ORG", "pattern": "Northern Alliance Front"}` — an exact phrase, matched
//! case-insensitively and whitespace-insensitively on token boundaries; or
//! `{"label": "ORG", "regex": "..."}` — a regular expression over the text whose match must
//! start and end on token boundaries. An optional `"id"` forces the canonical entity key, so
//! every mention the entry matches lands on one entity whatever its spelling.
//!
//! Matching is deterministic: candidate matches are taken longest first, then leftmost,
//! then in file order; a ruler mention replaces any model or rule mention it overlaps.
//! Phrases are indexed by their first characters so a large ruler costs a few map lookups
//! per token, not one scan per entry.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::doc::{Document, MentionSource};

use super::rules::align;
use super::{hex, Draft, EntityError};

/// Index prefix length, in characters of the compacted (lower-cased, space-free) phrase.
const PREFIX: usize = 4;

#[derive(Debug, Clone)]
enum Matcher {
    /// Lower-cased phrase with whitespace removed.
    Phrase(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct Entry {
    label: String,
    id: Option<String>,
    matcher: Matcher,
}

/// A compiled entity ruler (see module doc).
#[derive(Debug, Clone)]
pub struct EntityRuler {
    entries: Vec<Entry>,
    /// Phrase prefix -> entry indices, in file order.
    index: BTreeMap<String, Vec<usize>>,
    fingerprint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    label: String,
    pattern: Option<String>,
    regex: Option<String>,
    id: Option<String>,
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

impl EntityRuler {
    pub fn from_path(p: &Path) -> Result<Self, EntityError> {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|source| EntityError::Io { path: name.clone(), source })?;
        Self::from_jsonl(&text, &name)
    }

    /// Parses ruler lines; `name` only labels errors.
    pub fn from_jsonl(text: &str, name: &str) -> Result<Self, EntityError> {
        let err = |line: usize, msg: String| EntityError::Ruler { path: name.to_string(), line, msg };
        let mut entries = Vec::new();
        let mut index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut h = Sha256::new();
        for (n, raw) in text.lines().enumerate() {
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let l: Line = serde_json::from_str(raw).map_err(|e| err(n + 1, e.to_string()))?;
            let label = l.label.trim().to_string();
            if label.is_empty() {
                return Err(err(n + 1, "empty label".into()));
            }
            if super::is_value_label(&label) && l.id.is_some() {
                return Err(err(n + 1, format!("value label {label} cannot carry an entity id")));
            }
            let matcher = match (l.pattern, l.regex) {
                (Some(p), None) => {
                    let c = compact(&p);
                    if c.is_empty() {
                        return Err(err(n + 1, "empty pattern".into()));
                    }
                    Matcher::Phrase(c)
                }
                (None, Some(r)) => Matcher::Regex(Regex::new(&r).map_err(|e| err(n + 1, format!("bad regex: {e}")))?),
                _ => return Err(err(n + 1, "give exactly one of \"pattern\" and \"regex\"".into())),
            };
            // Fingerprint the parsed meaning, not the bytes, so formatting changes do not
            // invalidate caches.
            let canon = match &matcher {
                Matcher::Phrase(p) => format!("P\x1f{label}\x1f{p}\x1f{}", l.id.as_deref().unwrap_or("")),
                Matcher::Regex(r) => format!("R\x1f{label}\x1f{}\x1f{}", r.as_str(), l.id.as_deref().unwrap_or("")),
            };
            h.update((canon.len() as u64).to_le_bytes());
            h.update(canon.as_bytes());
            if let Matcher::Phrase(p) = &matcher {
                index.entry(p.chars().take(PREFIX).collect()).or_default().push(entries.len());
            }
            entries.push(Entry { label, id: l.id, matcher });
        }
        Ok(EntityRuler { entries, index, fingerprint: hex(&h.finalize()) })
    }

    /// SHA-256 (hex) of the parsed entries in file order.
    pub fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// All matches in the document (overlaps are settled by the caller).
    pub(crate) fn find(&self, doc: &Document) -> Vec<Draft> {
        let mut out = Vec::new();
        let mk = |e: &Entry, tokens| Draft {
            tokens,
            label: e.label.clone(),
            score: 1.0,
            source: MentionSource::Ruler,
            value: None,
            forced_id: e.id.clone(),
            span: None,
            qualifier: None,
        };
        let n = doc.tokens.len();
        for i in 0..n {
            // Compacted text from token i on (same sentence), long enough for the index prefix.
            let mut head = String::new();
            let mut j = i;
            while j < n && head.chars().count() < PREFIX && doc.tokens[j].sentence == doc.tokens[i].sentence {
                head.push_str(&compact(doc.token_text(j)));
                j += 1;
            }
            let mut cands: Vec<usize> = Vec::new();
            for k in 1..=PREFIX {
                if head.chars().count() < k {
                    break;
                }
                let p: String = head.chars().take(k).collect();
                if let Some(v) = self.index.get(&p) {
                    cands.extend(v.iter().copied().filter(|&e| match &self.entries[e].matcher {
                        Matcher::Phrase(ph) => k == PREFIX || ph.chars().count() == k,
                        Matcher::Regex(_) => false,
                    }));
                }
            }
            cands.sort_unstable();
            cands.dedup();
            for e in cands {
                let Matcher::Phrase(ph) = &self.entries[e].matcher else { continue };
                let mut acc = String::new();
                let mut j = i;
                while j < n && acc.len() < ph.len() && doc.tokens[j].sentence == doc.tokens[i].sentence {
                    acc.push_str(&compact(doc.token_text(j)));
                    j += 1;
                }
                if acc == *ph {
                    out.push(mk(&self.entries[e], i..j));
                }
            }
        }
        for e in &self.entries {
            if let Matcher::Regex(re) = &e.matcher {
                for m in re.find_iter(&doc.text) {
                    if let Some(t) = align(doc, m.start(), m.end()) {
                        out.push(mk(e, t));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdoc::doc;
    use super::super::{extract, EntityConfig};
    use super::*;

    fn run(rules: &str, spec: &str) -> Vec<(String, String, MentionSource)> {
        let r = EntityRuler::from_jsonl(rules, "test").unwrap();
        let mut d = doc(spec);
        extract(&mut d, &EntityConfig { ruler: Some(r) });
        d.mentions.iter().map(|m| (d.slice(m.span).to_string(), m.label.clone(), m.source)).collect()
    }

    #[test]
    fn phrase_adds_and_overrides() {
        let rules = r#"{"label": "ORG", "pattern": "Northern Alliance Front"}
{"label": "WEAPON", "regex": "\\bRPG-\\d+\\b"}"#;
        let got = run(rules, "fighters of the northern alliance/LOC front fired an RPG-7 at Kabul/LOC");
        assert_eq!(
            got,
            vec![
                ("northern alliance front".into(), "ORG".into(), MentionSource::Ruler),
                ("RPG-7".into(), "WEAPON".into(), MentionSource::Ruler),
                ("Kabul".into(), "LOC".into(), MentionSource::Model),
            ]
        );
    }

    #[test]
    fn phrase_needs_token_boundaries() {
        let got = run(r#"{"label":"ORG","pattern":"NAF"}"#, "the NAFTA/MISC deal and NAF fighters");
        assert_eq!(
            got.iter().filter(|m| m.2 == MentionSource::Ruler).map(|m| m.0.as_str()).collect::<Vec<_>>(),
            vec!["NAF"]
        );
    }

    #[test]
    fn longer_match_wins_then_file_order() {
        let rules = r#"{"label":"LOC","pattern":"Karimi"}
{"label":"ORG","pattern":"Karimi Group"}
{"label":"MISC","pattern":"Karimi Group"}"#;
        let got = run(rules, "the Karimi Group said");
        assert_eq!(got, vec![("Karimi Group".into(), "ORG".into(), MentionSource::Ruler)]);
    }

    #[test]
    fn forced_id_becomes_the_chain_key() {
        let r = EntityRuler::from_jsonl(r#"{"label":"ORG","pattern":"Karimi Group","id":"karimi-group-ltd"}"#, "t")
            .unwrap();
        let mut d = doc("the Karimi Group said");
        extract(&mut d, &EntityConfig { ruler: Some(r) });
        assert_eq!(d.chains[0].key, "id:karimi-group-ltd");
    }

    #[test]
    fn bad_lines_are_errors_with_line_numbers() {
        for (bad, line) in [
            ("{\"label\":\"ORG\"}", 1),
            ("\n{\"label\":\"ORG\",\"pattern\":\"a\",\"regex\":\"b\"}", 2),
            ("{\"label\":\"ORG\",\"regex\":\"(\"}", 1),
            ("not json", 1),
            ("{\"label\":\"\",\"pattern\":\"x\"}", 1),
        ] {
            match EntityRuler::from_jsonl(bad, "f.jsonl") {
                Err(EntityError::Ruler { line: l, .. }) => assert_eq!(l, line, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(EntityRuler::from_path(Path::new("/nonexistent/ruler.jsonl")), Err(EntityError::Io { .. })));
    }

    #[test]
    fn fingerprint_ignores_formatting_but_not_content() {
        let a = EntityRuler::from_jsonl(r#"{"label":"ORG","pattern":"Karimi Group"}"#, "a").unwrap();
        let b = EntityRuler::from_jsonl("\n  {\"pattern\": \"Karimi  Group\", \"label\": \"ORG\"}  \n", "b").unwrap();
        let c = EntityRuler::from_jsonl(r#"{"label":"PER","pattern":"Karimi Group"}"#, "c").unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn from_path_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.jsonl");
        std::fs::write(&p, "{\"label\":\"ORG\",\"pattern\":\"Hizb-ut-Tahrir\"}\n").unwrap();
        let r = EntityRuler::from_path(&p).unwrap();
        let mut d = doc("members of Hizb ~- ~ut ~- ~Tahrir marched");
        extract(&mut d, &EntityConfig { ruler: Some(r) });
        assert_eq!(d.mentions.iter().map(|m| d.slice(m.span)).collect::<Vec<_>>(), vec!["Hizb-ut-Tahrir"]);
    }
}
