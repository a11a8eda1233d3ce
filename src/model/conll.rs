//! CoNLL-2003 files and the evaluation of the tagger on them.
//!
//! Metrics follow conlleval/seqeval (IOB2, strict spans): an entity counts as found only when
//! its type, start and end all match. Chunk F1 uses the same definition over chunk spans.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::model::ModelError;

/// One token of a CoNLL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConllToken {
    pub word: String,
    pub pos: String,
    pub chunk: String,
    pub ner: String,
}

/// An article of a CoNLL file: the sentences between two `-DOCSTART-` lines.
pub type ConllDoc = Vec<Vec<ConllToken>>;

/// Reads a four-column CoNLL-2003 file into articles of sentences.
pub fn read_conll(path: &Path) -> Result<Vec<ConllDoc>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::Io { path: path.to_path_buf(), source: e })?;
    let mut docs: Vec<ConllDoc> = Vec::new();
    let mut doc: ConllDoc = Vec::new();
    let mut sent: Vec<ConllToken> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() {
            if !sent.is_empty() {
                doc.push(std::mem::take(&mut sent));
            }
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.first() == Some(&"-DOCSTART-") {
            if !sent.is_empty() {
                doc.push(std::mem::take(&mut sent));
            }
            if !doc.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
            continue;
        }
        if cols.len() < 4 {
            return Err(ModelError::Format {
                path: path.to_path_buf(),
                reason: format!("line {}: expected 4 columns, found {}", i + 1, cols.len()),
            });
        }
        sent.push(ConllToken {
            word: cols[0].to_string(),
            pos: cols[1].to_string(),
            chunk: cols[2].to_string(),
            ner: cols[cols.len() - 1].to_string(),
        });
    }
    if !sent.is_empty() {
        doc.push(sent);
    }
    if !doc.is_empty() {
        docs.push(doc);
    }
    Ok(docs)
}

/// Typed spans `(type, start, end)` of an IOB2 (or IOB1) sequence, as conlleval reads them.
pub fn spans(tags: &[&str]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<(String, usize)> = None;
    for (i, tag) in tags.iter().enumerate() {
        let (prefix, ty) = match tag.split_once('-') {
            Some((p, t)) => (p, t),
            None => ("O", ""),
        };
        let continues = prefix == "I" && cur.as_ref().is_some_and(|(t, _)| t == ty);
        if !continues {
            if let Some((t, s)) = cur.take() {
                out.push((t, s, i));
            }
            if prefix == "B" || prefix == "I" {
                cur = Some((ty.to_string(), i));
            }
        }
    }
    if let Some((t, s)) = cur {
        out.push((t, s, tags.len()));
    }
    out
}

/// Precision, recall and F1 in 0..1.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    pub fn from_counts(tp: usize, pred: usize, gold: usize) -> Self {
        let p = if pred == 0 { 0.0 } else { tp as f64 / pred as f64 };
        let r = if gold == 0 { 0.0 } else { tp as f64 / gold as f64 };
        let f = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        Prf { precision: p, recall: r, f1: f }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NerReport {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub per_type: BTreeMap<String, Prf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accuracy {
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChunkReport {
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
}

/// The `eval conll --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub ner: NerReport,
    pub pos: Accuracy,
    pub chunk: ChunkReport,
    pub words: usize,
    pub documents: usize,
    /// The engine and precision that produced the labels (`Tagger::engine`).
    pub engine: String,
}

/// Sequence-level accumulator for spans of gold and predicted tags.
#[derive(Default)]
pub struct SpanCounts {
    per_type: BTreeMap<String, (usize, usize, usize)>, // tp, pred, gold
}

impl SpanCounts {
    pub fn add(&mut self, gold: &[&str], pred: &[&str]) {
        let g = spans(gold);
        let p = spans(pred);
        for (t, _, _) in &g {
            self.per_type.entry(t.clone()).or_default().2 += 1;
        }
        for s in &p {
            let e = self.per_type.entry(s.0.clone()).or_default();
            e.1 += 1;
            if g.contains(s) {
                e.0 += 1;
            }
        }
    }
    pub fn overall(&self) -> Prf {
        let (tp, pr, go) = self.per_type.values().fold((0, 0, 0), |a, v| (a.0 + v.0, a.1 + v.1, a.2 + v.2));
        Prf::from_counts(tp, pr, go)
    }
    pub fn per_type(&self) -> BTreeMap<String, Prf> {
        self.per_type.iter().map(|(t, &(tp, p, g))| (t.clone(), Prf::from_counts(tp, p, g))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_conlleval() {
        let tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"];
        assert_eq!(
            spans(&tags),
            vec![
                ("PER".to_string(), 0, 2),
                ("LOC".to_string(), 3, 4),
                ("LOC".to_string(), 4, 5),
                ("ORG".to_string(), 5, 6)
            ]
        );
    }

    #[test]
    fn counts_strict_matches_only() {
        let mut c = SpanCounts::default();
        c.add(&["B-PER", "I-PER", "O", "B-LOC"], &["B-PER", "O", "O", "B-LOC"]);
        let o = c.overall();
        assert!((o.precision - 0.5).abs() < 1e-9);
        assert!((o.recall - 0.5).abs() < 1e-9);
        assert_eq!(c.per_type()["LOC"].f1, 1.0);
        assert_eq!(c.per_type()["PER"].f1, 0.0);
    }
}
