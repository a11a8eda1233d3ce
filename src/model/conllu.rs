//! CoNLL-U (Universal Dependencies) files for `claimgraph eval conllu`: reading them, and
//! scoring a parse as the CoNLL 2018 shared task does (UAS; LAS on the universal part of the
//! relation, `nsubj:pass` = `nsubj`), over every syntactic word, punctuation included.

use std::path::Path;

use serde::Serialize;

use crate::model::ModelError;

/// One syntactic word of a sentence (multi-word token ranges and empty nodes are skipped).
#[derive(Debug, Clone, PartialEq)]
pub struct UdWord {
    pub form: String,
    pub upos: String,
    pub xpos: String,
    /// 1-based head in the sentence, 0 = root.
    pub head: usize,
    pub deprel: String,
}

/// A document (`# newdoc`) as its sentences.
pub type UdDocument = Vec<Vec<UdWord>>;

/// Reads a CoNLL-U file into documents; a file without `# newdoc` lines is one document.
pub fn read_conllu(path: &Path) -> Result<Vec<UdDocument>, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|e| ModelError::Io { path: path.to_path_buf(), source: e })?;
    let bad = |line: usize, reason: String| ModelError::Format {
        path: path.to_path_buf(),
        reason: format!("line {line}: {reason}"),
    };
    let (mut docs, mut doc, mut sent): (Vec<UdDocument>, UdDocument, Vec<UdWord>) = Default::default();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("# newdoc") {
            if !sent.is_empty() {
                doc.push(std::mem::take(&mut sent));
            }
            if !doc.is_empty() {
                docs.push(std::mem::take(&mut doc));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            if !sent.is_empty() {
                doc.push(std::mem::take(&mut sent));
            }
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 10 {
            return Err(bad(i + 1, format!("{} columns, expected 10", cols.len())));
        }
        if cols[0].contains(['-', '.']) {
            continue;
        }
        let head = cols[6].parse().map_err(|_| bad(i + 1, format!("head '{}' is not a number", cols[6])))?;
        sent.push(UdWord {
            form: cols[1].to_string(),
            upos: cols[3].to_string(),
            xpos: cols[4].to_string(),
            head,
            deprel: cols[7].to_string(),
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

/// The universal part of a relation: `nsubj:pass` -> `nsubj`.
pub fn universal(deprel: &str) -> &str {
    deprel.split(':').next().unwrap_or(deprel)
}

/// The Universal POS tag of a Penn Treebank tag, refined by the word's predicted relation
/// where PTB does not say (a verb that is `aux`/`cop` is AUX; `IN` that is `mark` is SCONJ).
pub fn upos_of(xpos: &str, deprel: &str) -> &'static str {
    let rel = universal(deprel);
    match xpos {
        "NN" | "NNS" => "NOUN",
        "NNP" | "NNPS" => "PROPN",
        "MD" => "AUX",
        x if x.starts_with("VB") => {
            if matches!(rel, "aux" | "cop") {
                "AUX"
            } else {
                "VERB"
            }
        }
        x if x.starts_with("JJ") || x == "AFX" => "ADJ",
        "RB" | "RBR" | "RBS" | "WRB" => "ADV",
        "IN" => {
            if rel == "mark" {
                "SCONJ"
            } else {
                "ADP"
            }
        }
        "RP" => "ADP",
        "DT" | "PDT" | "WDT" => {
            if matches!(rel, "det") {
                "DET"
            } else {
                "PRON"
            }
        }
        "PRP" | "PRP$" | "WP" | "WP$" | "EX" => "PRON",
        "CD" => "NUM",
        "CC" => "CCONJ",
        "TO" | "POS" => "PART",
        "UH" => "INTJ",
        "SYM" | "$" | "#" => "SYM",
        "FW" | "LS" | "ADD" | "GW" | "XX" => "X",
        _ => "PUNCT",
    }
}

/// Attachment scores of a parse (percent of words).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParseReport {
    pub uas: f64,
    /// Head and universal relation right (the CoNLL 2018 LAS).
    pub las: f64,
    /// Head and full relation (subtype included) right.
    pub las_full: f64,
    /// UPOS from the PTB tag ([`upos_of`]).
    pub upos: f64,
    /// The PTB tag against the treebank's XPOS column.
    pub xpos: f64,
    pub words: usize,
    pub sentences: usize,
    pub documents: usize,
    pub engine: String,
    pub seconds: f64,
}

/// Running counts behind a [`ParseReport`].
#[derive(Debug, Default)]
pub struct ParseCounts {
    words: usize,
    uas: usize,
    las: usize,
    las_full: usize,
    upos: usize,
    xpos: usize,
}

impl ParseCounts {
    /// Adds one word: gold, and predicted (head 1-based / 0 = root, relation, PTB tag).
    pub fn add(&mut self, gold: &UdWord, head: usize, deprel: &str, xpos: &str) {
        self.words += 1;
        if head == gold.head {
            self.uas += 1;
            self.las += (universal(deprel) == universal(&gold.deprel)) as usize;
            self.las_full += (deprel == gold.deprel) as usize;
        }
        self.upos += (upos_of(xpos, deprel) == gold.upos) as usize;
        self.xpos += (xpos == gold.xpos) as usize;
    }

    pub fn report(&self) -> ParseReport {
        let pct = |k: usize| if self.words == 0 { 0.0 } else { 100.0 * k as f64 / self.words as f64 };
        ParseReport {
            uas: pct(self.uas),
            las: pct(self.las),
            las_full: pct(self.las_full),
            upos: pct(self.upos),
            xpos: pct(self.xpos),
            words: self.words,
            ..ParseReport::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# newdoc id = a\n# text = I don't.\n1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_\n\
        2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n2\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n3\tn't\tnot\tPART\tRB\t_\t0\troot\t_\t_\n\
        3.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t_\t_\n\n# newdoc id = b\n1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_\n\n";

    #[test]
    fn reads_documents_and_skips_ranges_and_empty_nodes() {
        let dir = std::env::temp_dir().join(format!("cg-conllu-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.conllu");
        std::fs::write(&path, SAMPLE).unwrap();
        let docs = read_conllu(&path).unwrap();
        assert_eq!(docs.len(), 2);
        let words: Vec<&str> = docs[0][0].iter().map(|w| w.form.as_str()).collect();
        assert_eq!(words, ["I", "do", "n't"]);
        assert_eq!((docs[0][0][0].head, docs[0][0][0].deprel.as_str()), (3, "nsubj"));
        std::fs::write(&path, "1\tI\tI\tPRON\tPRP\t_\tx\tnsubj\t_\t_\n").unwrap();
        let err = read_conllu(&path).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("'x'"), "{err}");
    }

    #[test]
    fn scores_count_universal_relations_and_heads() {
        let gold =
            UdWord { form: "x".into(), upos: "NOUN".into(), xpos: "NN".into(), head: 2, deprel: "nsubj:pass".into() };
        let mut c = ParseCounts::default();
        c.add(&gold, 2, "nsubj", "NN"); // LAS right, full label wrong
        c.add(&gold, 3, "nsubj:pass", "NNS"); // head wrong
        let r = c.report();
        assert_eq!((r.uas, r.las, r.las_full, r.upos, r.xpos), (50.0, 50.0, 0.0, 100.0, 50.0));
        assert_eq!(upos_of("VBZ", "cop"), "AUX");
        assert_eq!(upos_of("IN", "mark"), "SCONJ");
    }
}
