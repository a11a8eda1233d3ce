//! The per-document record: everything one document contributes before the aggregation
//! barrier, in one versioned, serialized form that the cache stores, the resume journal
//! replays, and a shard of a scaled-out run would ship between machines.
//!
//! The record is the processed [`Document`] itself. Its rows (with chain keys in place of
//! entity ids, see [`crate::dataset::KEY`]) and what it feeds [`EntityIndex::add`] and
//! [`FactIndex::add`] are pure functions of it, so storing the document once is both the
//! smallest sound form and the one that stays right when the rows or the indexes change:
//! a cache never holds a stale copy of a row format.
//!
//! Beside the document, a record keeps the fingerprint of every per-document step that made
//! it ([`Steps`]), so a reader can tell how much of it is still valid for the current
//! configuration ([`Steps::reusable`]) and say which part changed when it is not.
//!
//! [`EntityIndex::add`]: crate::aggregate::entities::EntityIndex::add
//! [`FactIndex::add`]: crate::aggregate::facts::FactIndex::add

use std::io::Read;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::doc::Document;
use crate::model::Tagger;
use crate::pipeline::stage::Annotation;
use crate::stages::StageSet;

/// Version of the record encoding. Bumped when [`Document`]'s serialized form or this
/// envelope changes in a way an older reader would misread.
pub const RECORD_VERSION: u32 = 2;

/// zstd level of encoded records: fast, and about 8x smaller than the JSON.
const ZSTD_LEVEL: i32 = 3;

/// Errors decoding a record (encoding cannot fail).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not a zstd frame, or the frame is cut short.
    #[error("record is not valid zstd: {0}")]
    Compression(#[source] std::io::Error),
    /// The decompressed bytes are not a record.
    #[error("record does not parse: {0}")]
    Json(#[source] serde_json::Error),
    /// Written by another version of the encoding.
    #[error("record version {found}, expected {RECORD_VERSION}")]
    Version { found: u32 },
}

/// One step of the per-document pipeline and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub fingerprint: String,
}

/// The per-document steps of a run, in order: the stages before the tagger, the tagger, the
/// stages after it. The corpus step (`resolve`) is not one: it always re-runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steps(pub Vec<Step>);

/// The name the tagger goes by among the steps.
pub const TAGGER_STEP: &str = "tagger";

impl Steps {
    pub fn of(tagger: &Tagger, stages: &StageSet) -> Self {
        Self::from_parts(
            stages.before.iter().map(|s| (s.name(), s.fingerprint())),
            tagger.fingerprint(),
            stages.after.iter().map(|s| (s.name(), s.fingerprint())),
        )
    }

    /// Builds the steps from their parts (the tagger between the two halves).
    pub fn from_parts(
        before: impl IntoIterator<Item = (&'static str, String)>,
        tagger: &str,
        after: impl IntoIterator<Item = (&'static str, String)>,
    ) -> Self {
        let step = |(name, fingerprint): (&str, String)| Step { name: name.to_string(), fingerprint };
        let mut v: Vec<Step> = before.into_iter().map(step).collect();
        v.push(Step { name: TAGGER_STEP.into(), fingerprint: tagger.to_string() });
        v.extend(after.into_iter().map(step));
        Steps(v)
    }

    /// sha256 (hex) of every step's name and fingerprint, in order.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for s in &self.0 {
            for part in [&s.name, &s.fingerprint] {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
        }
        hex(&h.finalize())
    }

    /// How many leading steps of a document made under `stored` hold for `self`, as far as
    /// they can be used: a prefix that stops before the tagger is worth nothing (segmenting
    /// again is cheaper than checking it), so it counts as 0.
    pub fn reusable(&self, stored: &Steps) -> usize {
        let k = self.0.iter().zip(&stored.0).take_while(|(a, b)| a == b).count();
        let tagger = self.0.iter().position(|s| s.name == TAGGER_STEP).unwrap_or(0);
        if k <= tagger {
            0
        } else {
            k
        }
    }

    /// The first step that differs from `stored`, when one does (for "why did it miss").
    pub fn first_difference<'a>(&'a self, stored: &Steps) -> Option<&'a str> {
        let k = self.0.iter().zip(&stored.0).take_while(|(a, b)| a == b).count();
        self.0.get(k).map(|s| s.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A processed document with the steps that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocRecord {
    pub version: u32,
    /// [`content_hash`] of the input record the document came from.
    pub content: String,
    pub steps: Steps,
    pub doc: Document,
}

impl DocRecord {
    pub fn new(content: String, steps: Steps, doc: Document) -> Self {
        DocRecord { version: RECORD_VERSION, content, steps, doc }
    }

    /// zstd-compressed JSON.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).expect("documents serialize");
        zstd::bulk::compress(&json, ZSTD_LEVEL).expect("compressing to memory cannot fail")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let mut json = Vec::new();
        zstd::stream::read::Decoder::new(bytes)
            .and_then(|mut d| d.read_to_end(&mut json))
            .map_err(RecordError::Compression)?;
        // The version is read first so that a record of another version is reported as such,
        // not as a parse error.
        #[derive(Deserialize)]
        struct Head {
            version: u32,
        }
        let head: Head = serde_json::from_slice(&json).map_err(RecordError::Json)?;
        if head.version != RECORD_VERSION {
            return Err(RecordError::Version { found: head.version });
        }
        serde_json::from_slice(&json).map_err(RecordError::Json)
    }
}

/// sha256 (hex) of what a freshly read document says: id, text and metadata. Its origin (file
/// and line) is left out, so moving or renaming an input does not invalidate its cache
/// entries; the origin of a reused document is taken from the fresh one.
pub fn content_hash(doc: &Document) -> String {
    let mut h = Sha256::new();
    let meta = serde_json::to_vec(&doc.meta).expect("metadata serializes");
    for part in [doc.id.as_bytes(), doc.text.as_bytes(), &meta] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    hex(&h.finalize())
}

/// Empties what a stage assigns, before it runs again over a reused document.
pub fn clear(doc: &mut Document, what: Annotation) {
    match what {
        Annotation::Sentences => doc.sentences.clear(),
        Annotation::Tokens => doc.tokens.clear(),
        Annotation::Tags => doc.tokens.iter_mut().for_each(|t| t.tags = None),
        Annotation::Mentions => doc.mentions.clear(),
        Annotation::Chains => doc.chains.clear(),
        Annotation::Statements => doc.statements.clear(),
        Annotation::Relations => doc.relations.clear(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 (hex) of some bytes: the checksum stored beside every cache entry.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(fps: [&str; 5]) -> Steps {
        Steps::from_parts(
            [("segment", fps[0].to_string())],
            fps[1],
            [("entities", fps[2].to_string()), ("statements", fps[3].to_string()), ("relations", fps[4].to_string())],
        )
    }

    #[test]
    fn reusable_prefix_stops_at_the_first_change_and_needs_the_tagger() {
        let now = steps(["s", "t", "e", "p", "p"]);
        assert_eq!(now.reusable(&now.clone()), 5);
        assert_eq!(now.reusable(&steps(["s", "t", "e", "q", "q"])), 3);
        assert_eq!(now.first_difference(&steps(["s", "t", "e", "q", "q"])), Some("statements"));
        assert_eq!(now.reusable(&steps(["s", "u", "e", "p", "p"])), 0);
        assert_eq!(now.first_difference(&steps(["s", "u", "e", "p", "p"])), Some("tagger"));
        assert_eq!(now.reusable(&steps(["x", "t", "e", "p", "p"])), 0);
        assert_eq!(now.first_difference(&now.clone()), None);
        assert_ne!(now.hash(), steps(["s", "t", "e", "p", "q"]).hash());
    }

    #[test]
    fn records_round_trip_and_damage_is_an_error() {
        let mut d = Document::new("a", "Zürich — «Qasimi» said.");
        d.meta.source = Some("x".into());
        let rec = DocRecord::new(content_hash(&d), steps(["s", "t", "e", "p", "p"]), d.clone());
        let bytes = rec.encode();
        assert_eq!(DocRecord::decode(&bytes).unwrap(), rec);
        assert!(DocRecord::decode(&bytes[..bytes.len() / 2]).is_err());
        let mut other = rec.clone();
        other.version = RECORD_VERSION + 1;
        assert!(matches!(DocRecord::decode(&other.encode()), Err(RecordError::Version { .. })));
        // The origin is not content; the text is.
        let mut moved = d.clone();
        moved.origin.file = "elsewhere.jsonl".into();
        assert_eq!(content_hash(&moved), content_hash(&d));
        moved.text.push('!');
        assert_ne!(content_hash(&moved), content_hash(&d));
    }
}
