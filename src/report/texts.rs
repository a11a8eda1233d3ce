//! Article texts for the document views. A run's tables hold spans, not the articles, so the
//! report reads the inputs again with the project's own reader (same field mapping as the
//! run): the inputs named in `manifest.json`, or the ones given with `--input`.
//!
//! A text is shown only when it is the one the run saw: every input's SHA-256 must match the
//! manifest's, and each document's mentions must be exactly `text[start:end]` (checked when
//! the views are built). Otherwise the view lists the spans without the text, and says why.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::Value;

use crate::io::{read_inputs, ReadOptions, Record};

/// Texts of the wanted documents, and notes for the reader of the report.
#[derive(Debug, Default)]
pub struct Texts {
    pub by_id: HashMap<String, String>,
    pub notes: Vec<String>,
}

/// The inputs to read: `given` when the user named them, else the manifest's (`-` for stdin
/// cannot be read again and is left out with a note).
fn input_paths(manifest: &Value, given: &[PathBuf], notes: &mut Vec<String>) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    let mut out = Vec::new();
    for input in manifest["inputs"].as_array().into_iter().flatten() {
        match input["path"].as_str() {
            Some("-") => notes.push("an input was read from stdin: its texts cannot be shown".into()),
            Some(p) => out.push(PathBuf::from(p)),
            None => {}
        }
    }
    out
}

/// Reads the texts of `wanted` documents. Never fails: an input that is gone or changed
/// becomes a note in the report.
pub fn load(manifest: &Value, given: &[PathBuf], opts: &ReadOptions, wanted: &HashSet<String>) -> Texts {
    let mut t = Texts::default();
    if wanted.is_empty() {
        return t;
    }
    let paths = input_paths(manifest, given, &mut t.notes);
    if paths.is_empty() {
        return t;
    }
    let mut reader = match read_inputs(&paths, opts) {
        Ok(r) => r,
        Err(e) => {
            t.notes.push(format!("texts not shown: {e} (give the inputs with --input)"));
            return t;
        }
    };
    for rec in reader.by_ref() {
        if let Record::Doc(doc) = rec {
            if wanted.contains(&doc.id) {
                t.by_id.insert(doc.id, doc.text);
            }
        }
    }
    if given.is_empty() {
        check_hashes(manifest, reader.stats(), &mut t);
    }
    t
}

/// Drops every text when an input is not byte for byte the one of the run.
fn check_hashes(manifest: &Value, stats: &[crate::io::InputStats], t: &mut Texts) {
    let expected: Vec<&str> =
        manifest["inputs"].as_array().into_iter().flatten().filter_map(|i| i["sha256"].as_str()).collect();
    for (s, want) in stats.iter().zip(expected) {
        if s.sha256 != want {
            t.notes.push(format!(
                "texts not shown: {} changed since the run (sha256 {} != {})",
                s.path,
                &s.sha256.get(..12).unwrap_or(""),
                &want.get(..12).unwrap_or("")
            ));
            t.by_id.clear();
        }
    }
}

/// Whether every span `(start, end, text)` is exactly `text[start:end]` in code points.
pub fn spans_match(text: &str, spans: &[(usize, usize, &str)]) -> bool {
    let chars: Vec<char> = text.chars().collect();
    spans.iter().all(|&(s, e, want)| s <= e && e <= chars.len() && chars[s..e].iter().copied().eq(want.chars()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_code_points() {
        let text = "🙂 Café Ahmad";
        assert!(spans_match(text, &[(2, 6, "Café"), (7, 12, "Ahmad")]));
        assert!(!spans_match(text, &[(3, 7, "Café")]));
        assert!(!spans_match(text, &[(7, 40, "Ahmad")]));
    }
}
