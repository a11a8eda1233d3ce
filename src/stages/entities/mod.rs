//! Entities stage: typed mentions and within-article chains.
//!
//! 1. [`decode`] turns the tagger's IOB2 labels into PER/ORG/LOC/MISC mentions, re-joining
//!    names split at hyphens, apostrophes and "al-"/"ul-" particles, repairing all-caps
//!    datelines ("KABUL, Afghanistan —"), relabelling demonyms as MISC and keeping
//!    "X province" apart from the city X.
//! 2. [`rules`] adds DATE/TIME (ISO values resolved against `meta.published`), MONEY,
//!    PERCENT and CARDINAL mentions where no entity mention already sits.
//! 3. [`ruler`] applies the user's entity ruler, which overrides anything it overlaps.
//! 4. [`chains`] links the mentions of one entity (full name, surname, title + name,
//!    acronym and expansion) and gives each chain a cross-document key, normalized by
//!    [`names`].
//!
//! Everything is deterministic: mentions are sorted by (start, end), chains by their first
//! mention, and no hash-map order reaches the output.

pub mod chains;
pub mod decode;
pub mod names;
pub mod ruler;
pub mod rules;

use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::doc::{Document, Mention, MentionSource, Span};

pub use ruler::EntityRuler;

/// Bumped whenever the logic changes what this stage outputs, so caches keyed by
/// [`fingerprint`] are invalidated.
pub const VERSION: &str = "entities-2";

/// Errors of this stage (only loading a ruler can fail; extraction never does).
#[derive(Debug, thiserror::Error)]
pub enum EntityError {
    #[error("cannot read entity ruler {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("entity ruler {path}, line {line}: {msg}")]
    Ruler { path: String, line: usize, msg: String },
}

/// Configuration of the entities stage.
#[derive(Debug, Clone, Default)]
pub struct EntityConfig {
    pub ruler: Option<EntityRuler>,
}

/// SHA-256 (hex) over the version, the lexicons and the ruler: identical fingerprints mean
/// identical output for identical input.
pub fn fingerprint(cfg: &EntityConfig) -> String {
    let mut h = Sha256::new();
    for part in
        [VERSION, names::TITLES_TXT, names::DEMONYMS_TXT, names::PARTICLES_TXT, names::ADMIN_TXT, chains::ROLES_TXT]
    {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    match &cfg.ruler {
        Some(r) => h.update(r.fingerprint().as_bytes()),
        None => h.update(b"no-ruler"),
    }
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A mention under construction, with what [`Mention`] has no field for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Draft {
    pub tokens: Range<usize>,
    pub label: String,
    pub score: f32,
    pub source: MentionSource,
    pub value: Option<String>,
    /// Canonical entity forced by a ruler entry's "id".
    pub forced_id: Option<String>,
    /// Text span when it is narrower than the tokens' ("Dubai" inside the token
    /// "Dubai-based").
    pub span: Option<Span>,
    /// A word outside the span that tells this entity apart from a namesake, added to its
    /// chain key ("province" after "Ghazni": the province, not the city).
    pub qualifier: Option<String>,
}

impl Draft {
    pub(crate) fn new(tokens: Range<usize>, label: &str, score: f32, source: MentionSource) -> Draft {
        Draft {
            tokens,
            label: label.to_string(),
            score,
            source,
            value: None,
            forced_id: None,
            span: None,
            qualifier: None,
        }
    }
}

/// True for labels that name values, which get no chain or entity.
pub fn is_value_label(label: &str) -> bool {
    matches!(label, "DATE" | "TIME" | "MONEY" | "PERCENT" | "CARDINAL")
}

/// Fills `doc.mentions` (sorted by span start, then end) and `doc.chains` (setting each
/// mention's `chain`). Replaces whatever mentions and chains the document had.
pub fn extract(doc: &mut Document, cfg: &EntityConfig) {
    let mut drafts = decode::decode(doc);
    let values = rules::find(doc);
    drafts = overlay(drafts, values, false);
    let acronyms = chains::acronym_drafts(doc, &drafts);
    drafts = overlay(drafts, acronyms, true);
    if let Some(r) = &cfg.ruler {
        drafts = overlay(drafts, r.find(doc), true);
    }
    drafts.sort_by(|a, b| {
        let (sa, sb) =
            (a.span.unwrap_or_else(|| span_of(doc, &a.tokens)), b.span.unwrap_or_else(|| span_of(doc, &b.tokens)));
        (sa.start, sa.end).cmp(&(sb.start, sb.end)).then_with(|| a.label.cmp(&b.label))
    });
    doc.mentions = drafts
        .iter()
        .map(|d| Mention {
            span: d.span.unwrap_or_else(|| span_of(doc, &d.tokens)),
            label: d.label.clone(),
            score: d.score,
            sentence: doc.tokens[d.tokens.start].sentence,
            tokens: d.tokens.clone(),
            source: d.source,
            value: d.value.clone(),
            chain: None,
        })
        .collect();
    let qualifiers: Vec<Option<String>> = drafts.iter().map(|d| d.qualifier.clone()).collect();
    let forced: Vec<Option<String>> = drafts.into_iter().map(|d| d.forced_id).collect();
    doc.chains = chains::build(doc, &forced, &qualifiers);
}

/// Byte span covered by a token range (never empty ranges: callers guarantee that).
pub(crate) fn span_of(doc: &Document, r: &Range<usize>) -> Span {
    Span::new(doc.tokens[r.start].span.start, doc.tokens[r.end - 1].span.end)
}

/// Adds `extra` to `base`. When they overlap, `override_base` decides who wins: the ruler
/// overrides everything, rule values yield to entity mentions. Among `extra` itself, longer
/// matches win, then earlier ones.
fn overlay(base: Vec<Draft>, mut extra: Vec<Draft>, override_base: bool) -> Vec<Draft> {
    extra.sort_by(|a, b| (b.tokens.len(), a.tokens.start).cmp(&(a.tokens.len(), b.tokens.start)));
    let by_base = if override_base { Occupied::default() } else { Occupied::of(&base) };
    let mut kept: Vec<Draft> = Vec::new();
    let mut by_kept = Occupied::default();
    for e in extra {
        if by_kept.any(&e.tokens) || by_base.any(&e.tokens) {
            continue;
        }
        by_kept.mark(&e.tokens);
        kept.push(e);
    }
    let mut out: Vec<Draft> =
        if override_base { base.into_iter().filter(|b| !by_kept.any(&b.tokens)).collect() } else { base };
    out.extend(kept);
    out
}

/// The tokens some drafts cover, so that an overlap test costs the length of the range
/// tested rather than the number of drafts.
#[derive(Default)]
struct Occupied(Vec<bool>);

impl Occupied {
    /// The tokens of `drafts`.
    fn of(drafts: &[Draft]) -> Self {
        let mut o = Occupied::default();
        for d in drafts {
            o.mark(&d.tokens);
        }
        o
    }

    fn mark(&mut self, r: &Range<usize>) {
        if self.0.len() < r.end {
            self.0.resize(r.end, false);
        }
        self.0[r.clone()].fill(true);
    }

    fn any(&self, r: &Range<usize>) -> bool {
        self.0.get(r.start..r.end.min(self.0.len())).is_some_and(|s| s.contains(&true))
    }
}

/// Test helper: a document laid out from `(word, pos, chunk, ner)` rows. A word "\n" ends a
/// sentence; words are separated by one space except that `glue` words ("-", "'s", ...) and
/// punctuation attach to their neighbours the way news text is written.
#[cfg(test)]
pub mod testdoc {
    use crate::doc::{Document, Sentence, Span, Tags, Token};

    /// Builds a document from whitespace-separated words with inline labels: `Karimi/PER`,
    /// `Abdul/B-PER`, `Rahim/I-PER`; a bare `Word/PER` is B- when the previous word's label
    /// differs and I- otherwise; unlabeled words are O. `||` ends a sentence. `~` before a
    /// word glues it to the previous one (no space): `Abdul/PER ~-/O ~Rahim/PER`.
    pub fn doc(spec: &str) -> Document {
        doc_published(spec, None)
    }

    pub fn doc_published(spec: &str, published: Option<&str>) -> Document {
        let mut text = String::new();
        let mut tokens: Vec<Token> = Vec::new();
        let mut sentences: Vec<Sentence> = Vec::new();
        let mut sent_start_tok = 0;
        let mut prev_label = String::from("O");
        for raw in spec.split_whitespace() {
            if raw == "||" {
                if tokens.len() > sent_start_tok {
                    close(&mut sentences, &tokens, sent_start_tok);
                }
                sent_start_tok = tokens.len();
                prev_label = "O".into();
                continue;
            }
            let (glue, raw) = match raw.strip_prefix('~') {
                Some(r) => (true, r),
                None => (false, raw),
            };
            let (word, tag) = match raw.rsplit_once('/') {
                Some((w, t))
                    if !w.is_empty() && t.chars().all(|c| c.is_ascii_uppercase() || c == '-') && !t.is_empty() =>
                {
                    (w, t)
                }
                _ => (raw, "O"),
            };
            let ner = if tag == "O" {
                "O".to_string()
            } else if tag.starts_with("B-") || tag.starts_with("I-") {
                tag.to_string()
            } else if prev_label == tag {
                format!("I-{tag}")
            } else {
                format!("B-{tag}")
            };
            prev_label = if tag.len() > 2 && (tag.starts_with("B-") || tag.starts_with("I-")) {
                tag[2..].to_string()
            } else {
                tag.to_string()
            };
            let word = word.replace('_', " ");
            if !text.is_empty() && !glue {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(&word);
            let numeric = word.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
                && word.chars().any(|c| c.is_ascii_digit());
            let pos = if numeric || word.to_lowercase().split('-').all(|p| NUMBER_WORDS.contains(&p)) {
                "CD"
            } else if word.chars().next().is_some_and(char::is_uppercase) {
                "NNP"
            } else {
                "NN"
            };
            tokens.push(Token {
                span: Span::new(start, text.len()),
                sentence: sentences.len(),
                tags: Some(Tags { pos: pos.into(), chunk: "O".into(), ner, ner_score: 0.9, ..Tags::default() }),
            });
        }
        if tokens.len() > sent_start_tok {
            close(&mut sentences, &tokens, sent_start_tok);
        }
        let mut d = Document::new("d1", text);
        d.tokens = tokens;
        d.sentences = sentences;
        d.meta.published = published.map(String::from);
        d
    }

    const NUMBER_WORDS: &[&str] = &[
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "five",
        "dozen", "hundred", "thousand", "million",
    ];

    fn close(sentences: &mut Vec<Sentence>, tokens: &[Token], from: usize) {
        let span = Span::new(tokens[from].span.start, tokens[tokens.len() - 1].span.end);
        sentences.push(Sentence { span, tokens: from..tokens.len() });
    }
}

#[cfg(test)]
mod tests {
    use super::testdoc::doc;
    use super::*;

    #[test]
    fn mentions_are_sorted_and_chained() {
        let mut d = doc("Gen./PER Abdul/PER Rahim/PER Qasimi/PER said on Wednesday that 12 fighters died . || Qasimi/PER added that the Northern/ORG Alliance/ORG Front/ORG ( NAF/ORG ) was responsible .");
        d.meta.published = Some("2024-12-11".into());
        extract(&mut d, &EntityConfig::default());
        let spans: Vec<_> = d.mentions.iter().map(|m| (m.span.start, m.span.end)).collect();
        let mut sorted = spans.clone();
        sorted.sort();
        assert_eq!(spans, sorted);
        let labels: Vec<&str> = d.mentions.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, vec!["PER", "DATE", "CARDINAL", "PER", "ORG", "ORG"]);
        // Qasimi links to the full name, NAF to its expansion, values have no chain.
        assert_eq!(d.mentions[0].chain, d.mentions[3].chain);
        assert_eq!(d.mentions[4].chain, d.mentions[5].chain);
        assert!(d.mentions[1].chain.is_none() && d.mentions[2].chain.is_none());
        assert_eq!(d.chains.len(), 2);
        for (ci, c) in d.chains.iter().enumerate() {
            for &m in &c.mentions {
                assert_eq!(d.mentions[m].chain, Some(ci));
            }
        }
    }

    /// Random tag sequences, glue and punctuation: extraction never panics and its output
    /// keeps the promised shape.
    #[test]
    fn random_documents_keep_invariants() {
        const WORDS: &[&str] = &[
            "Karimi",
            "Abdul",
            "-",
            "'s",
            "'",
            "al",
            "ul",
            "(",
            ")",
            "NAF",
            "KABUL",
            ",",
            "\u{2014}",
            "said",
            "on",
            "Wednesday",
            "12",
            "1,200",
            "$",
            "percent",
            "province",
            "Afghan",
            "Gen.",
            "the",
            "Qāsimī",
            "Dec.",
            "2024",
            ".",
        ];
        const TAGS: &[&str] = &["O", "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"];
        let ruler = EntityRuler::from_jsonl(
            r#"{"label":"ORG","pattern":"Karimi al"}
{"label":"MISC","regex":"Abdul\\s*-"}"#,
            "r",
        )
        .unwrap();
        let mut x: u64 = 0x2545f4914f6cdd1d;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut index = crate::aggregate::entities::EntityIndex::new();
        for round in 0..3000 {
            let len = next(30);
            let mut spec = String::new();
            for _ in 0..len {
                if next(12) == 0 {
                    spec.push_str(" ||");
                }
                spec.push(' ');
                if next(4) == 0 {
                    spec.push('~');
                }
                spec.push_str(WORDS[next(WORDS.len())]);
                spec.push('/');
                spec.push_str(TAGS[next(TAGS.len())]);
            }
            let mut d = testdoc::doc_published(&spec, if round % 2 == 0 { Some("2024-12-11") } else { None });
            let cfg = EntityConfig { ruler: if round % 3 == 0 { Some(ruler.clone()) } else { None } };
            extract(&mut d, &cfg);
            let mut prev_end = 0;
            for (i, m) in d.mentions.iter().enumerate() {
                assert!(!m.tokens.is_empty(), "{spec}");
                assert_eq!(m.span, span_of(&d, &m.tokens), "{spec}");
                assert!(m.span.start >= prev_end, "overlap in {spec}: {:?}", d.mentions);
                prev_end = m.span.end;
                assert_eq!(m.chain.is_none(), is_value_label(&m.label), "{spec}");
                if let Some(c) = m.chain {
                    assert!(d.chains[c].mentions.contains(&i));
                }
            }
            for c in &d.chains {
                assert!(c.mentions.contains(&c.representative) && !c.key.is_empty());
            }
            index.add(&d);
        }
        let canon = index.finish();
        assert!(!canon.entities().is_empty());
    }

    /// `cargo test --release -- --ignored bench_extract --nocapture`: a ~700-word article.
    #[test]
    #[ignore]
    fn bench_extract() {
        let para = "KABUL/ORG , Afghanistan/LOC — Gen. Abdul/PER ~- ~Rahim/PER Qasimi/PER , the governor of Kandahar/LOC province , said on Wednesday that the Northern/ORG Alliance/ORG Front/ORG ( NAF/ORG ) had claimed the attack , which killed at least 12 people and wounded 1,200 . || Qasimi/PER ~'s office said $ ~1.2 million in aid , about 40 percent of the total , arrived at 10:30 p.m. on December 11 ~, 2024 . || The uncle , Ahmad/PER Karimi/PER , and the nephew , Javed/PER Karimi/PER , run the Karimi/ORG Group/ORG ; Karimi/PER declined to comment , Afghan/MISC officials said . ||";
        let spec: String = [para; 7].join(" ");
        let base = testdoc::doc_published(&spec, Some("2024-12-11"));
        let n = 500;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut d = base.clone();
            extract(&mut d, &EntityConfig::default());
            assert!(d.mentions.len() > 50);
        }
        let per = t.elapsed().as_secs_f64() / n as f64;
        eprintln!("extract: {} words, {:.3} ms/doc", base.tokens.len(), per * 1e3);
    }

    #[test]
    fn fingerprint_depends_on_ruler() {
        let a = fingerprint(&EntityConfig::default());
        assert_eq!(a, fingerprint(&EntityConfig::default()));
        let r = EntityRuler::from_jsonl(r#"{"label":"ORG","pattern":"Karimi Group"}"#, "mem").unwrap();
        let b = fingerprint(&EntityConfig { ruler: Some(r) });
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
