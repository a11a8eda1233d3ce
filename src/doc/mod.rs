//! The document model: a [`Document`] owns its text; every annotation is a view into it.
//!
//! Offsets inside the pipeline are **UTF-8 byte** spans (`text[span.start..span.end]` in Rust);
//! writers convert them once, at the output boundary, to the Unicode code-point offsets that
//! `docs/SCHEMA.md` promises (see [`CharOffsets`]).
//!
//! Annotations refer to each other by index into the document's own vectors (a mention's
//! `tokens` range, a relation argument's `mention`), never by pointer, so a document serializes
//! as it is and can be cached or spilled to disk between stages.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A half-open byte range into [`Document::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        Span { start, end }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }
    /// The text this span covers.
    pub fn of<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }
}

/// Where a record came from, so an error or an output row can be traced to its input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Origin {
    /// The input file as given on the command line (`-` for stdin), or the file inside an
    /// input directory.
    pub file: String,
    /// 1-based line (JSONL) or data row (CSV/TSV, header not counted); `None` for a text file.
    pub line: Option<u64>,
}

/// Article metadata carried through to the output unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Meta {
    pub title: Option<String>,
    pub url: Option<String>,
    /// Publication date or date-time as given (ISO 8601 expected; used to resolve "on Wednesday").
    pub published: Option<String>,
    /// The outlet.
    pub source: Option<String>,
    /// Any other fields of the input record, kept in key order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A sentence: a span of text and the range of its tokens in [`Document::tokens`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub span: Span,
    pub tokens: Range<usize>,
}

/// A word (CoNLL-style: punctuation split off, abbreviations such as "U.S." kept whole).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub span: Span,
    /// Index of the sentence this token belongs to.
    pub sentence: usize,
    /// Filled by the tagger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// What the tagger says about one word.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tags {
    /// Penn Treebank part of speech ("NNP", "VBD", ...).
    pub pos: String,
    /// Phrase chunk, IOB2 ("B-NP", "I-VP", "O").
    pub chunk: String,
    /// Named entity, IOB2 over PER/ORG/LOC/MISC ("B-PER", "O"), after BIO repair.
    pub ner: String,
    /// Probability of `ner` under the model, 0..1.
    pub ner_score: f32,
    /// Dependency head: the document token index of this word's head in its sentence's tree;
    /// `None` for the sentence's root, and when the model has no parser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<usize>,
    /// Universal Dependencies relation to the head ("nsubj", "obl:tmod", "root"); empty when
    /// the model has no parser.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deprel: String,
}

/// Which component produced a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionSource {
    /// Decoded from the tagger's NER labels.
    Model,
    /// A built-in rule (dates, money, percentages, quantities).
    Rule,
    /// The user's entity ruler file.
    Ruler,
}

/// A typed mention of an entity or value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub span: Span,
    /// PER, ORG, LOC, MISC, DATE, TIME, MONEY, PERCENT, CARDINAL (or a ruler's own label).
    pub label: String,
    pub score: f32,
    pub sentence: usize,
    /// Token range covered by the mention.
    pub tokens: Range<usize>,
    pub source: MentionSource,
    /// Normalized value for DATE/TIME (ISO 8601), MONEY ("USD 1000000"), PERCENT ("12.5"),
    /// CARDINAL ("42").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Index into [`Document::chains`]: the within-article entity this mention refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<usize>,
}

/// Mentions of one entity within one article (full name, surname, title + name, acronym...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    pub label: String,
    /// Index into [`Document::mentions`] of the most complete form.
    pub representative: usize,
    /// Indices into [`Document::mentions`], in text order.
    pub mentions: Vec<usize>,
    /// Cross-document blocking key (normalized name + label); the aggregate step maps keys to
    /// canonical entities.
    pub key: String,
    /// Names this chain is also known by in this article (e.g. an acronym defined here),
    /// normalized like `key`, so the corpus step can connect documents that use only one form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alt_keys: Vec<String>,
}

/// Speech kind of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    Direct,
    Indirect,
    Mixed,
}

/// Who speaks: a mention of the article when resolved, else the text that names the speaker
/// ("a security analyst").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    pub span: Span,
    /// Index into [`Document::mentions`] of the resolved entity mention (for a pronoun or role,
    /// the mention it resolves to, not the pronoun).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention: Option<usize>,
}

/// Who said what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub sentence: usize,
    pub speaker: Option<Speaker>,
    /// The attribution cue, lemma-like ("say", "tell", "according_to").
    pub cue: String,
    pub cue_span: Option<Span>,
    pub kind: StatementKind,
    pub content: Span,
    pub score: f32,
    /// How it was found ("quote:after", "quote:before", "cue:parse", "according_to"): provenance.
    #[serde(default)]
    pub frame: String,
    /// The medium the speaker spoke through ("a statement", "the letter"), when the text names
    /// one; a medium is never the speaker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<Span>,
}

/// One side of a relation: an entity mention, or a value (date, count, title).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Argument {
    pub span: Span,
    /// Index into [`Document::mentions`] when the argument is a mention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention: Option<usize>,
    /// Normalized value when the argument is a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Positive,
    Negative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    Asserted,
    Hedged,
    Reported,
}

/// A relation the text states between two arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    pub sentence: usize,
    pub subject: Argument,
    pub object: Argument,
    /// Normalized predicate phrase ("claim_responsibility_for", "kill", "uncle_of").
    pub predicate: String,
    /// Typed schema name where the predicate maps onto one ("attack", "family", ...).
    #[serde(rename = "type")]
    pub rtype: Option<String>,
    pub polarity: Polarity,
    pub modality: Modality,
    /// Index into [`Document::statements`] when the relation sits inside a statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<usize>,
    pub evidence: Span,
    pub score: f32,
    /// The frame that produced it ("verb:claim+responsibility", "role:title"): provenance.
    #[serde(default)]
    pub frame: String,
}

/// An article and everything the pipeline learned about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Document {
    pub id: String,
    pub text: String,
    pub meta: Meta,
    pub origin: Origin,
    pub sentences: Vec<Sentence>,
    pub tokens: Vec<Token>,
    pub mentions: Vec<Mention>,
    pub chains: Vec<Chain>,
    pub statements: Vec<Statement>,
    pub relations: Vec<Relation>,
}

impl Document {
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document { id: id.into(), text: text.into(), ..Default::default() }
    }
    /// The text of a span of this document.
    pub fn slice(&self, span: Span) -> &str {
        span.of(&self.text)
    }
    /// The text of token `i`.
    pub fn token_text(&self, i: usize) -> &str {
        self.tokens[i].span.of(&self.text)
    }
    /// The tokens lying wholly inside `span` (tokens are sorted and do not overlap).
    pub fn tokens_in(&self, span: Span) -> Range<usize> {
        let a = self.tokens.partition_point(|t| t.span.start < span.start);
        let z = self.tokens.partition_point(|t| t.span.end <= span.end);
        a..z.max(a)
    }
    /// Number of words, for throughput reporting.
    pub fn word_count(&self) -> usize {
        self.tokens.len()
    }
}

/// Converts UTF-8 byte offsets of one text to Unicode code-point offsets.
///
/// Built once per document at the output boundary; each lookup is a binary search over the
/// positions of multi-byte characters, so ASCII-heavy news text costs almost nothing.
pub struct CharOffsets {
    /// Byte offset of every character that is not one byte long, with the extra bytes seen
    /// up to and including it.
    wide: Vec<(usize, usize)>,
}

impl CharOffsets {
    pub fn new(text: &str) -> Self {
        let mut wide = Vec::new();
        let mut extra = 0;
        for (b, c) in text.char_indices() {
            let n = c.len_utf8();
            if n > 1 {
                extra += n - 1;
                wide.push((b, extra));
            }
        }
        CharOffsets { wide }
    }
    /// Code-point offset of byte offset `b` (which must be a char boundary).
    pub fn char_of(&self, b: usize) -> usize {
        // Characters starting before `b` contribute their extra bytes.
        let i = self.wide.partition_point(|&(pos, _)| pos < b);
        let extra = if i == 0 { 0 } else { self.wide[i - 1].1 };
        b - extra
    }
    /// A byte span as a code-point `(start, end)` pair.
    pub fn span(&self, s: Span) -> (usize, usize) {
        (self.char_of(s.start), self.char_of(s.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_match_char_indices() {
        let text = "Zürich — «Qasimi» said 😀 مرحبا ok";
        let map = CharOffsets::new(text);
        for (ci, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(map.char_of(b), ci, "byte {b}");
        }
        assert_eq!(map.char_of(text.len()), text.chars().count());
    }
}
