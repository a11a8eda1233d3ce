//! `claimgraph report RUN_DIR`: one self-contained HTML file for analysts, to look at a run
//! before querying it: overview, entities, facts, conflicts, statements, documents with their
//! mentions highlighted, a few charts, and (with a second run) what changed.
//!
//! The page is a template (`assets/`: HTML, CSS and our own JavaScript, no library) with the
//! run's data embedded as JSON in a `<script type="application/json">` block. Everything in
//! the data is untrusted article text: the JSON is escaped so that no `<`, `>`, `&` or line
//! separator appears raw in it (a `</script>` in an article cannot end the block), the page
//! renders it with `textContent` only, links only `http(s)` URLs, and a Content Security Policy
//! lets only the page's own script (by nonce) run and forbids every network request.
//!
//! [`data`] builds the embedded object table by table, streaming the big tables and keeping
//! what the page shows within [`Caps`]; [`tables`] reads JSONL, CSV and Parquet runs alike;
//! [`texts`] re-reads the articles for the document views.

pub mod data;
pub mod tables;
pub mod texts;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::io::ReadOptions;

pub use tables::RunDir;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A folder without a readable `manifest.json`: not a finished run.
    #[error("{}: not a finished run (cannot read manifest.json: {source})", dir.display())]
    NotARun {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A table or manifest that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A JSONL row or a manifest that is not valid JSON.
    #[error("{}:{line}: {source}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {source}", path.display())]
    Arrow {
        path: PathBuf,
        #[source]
        source: arrow::error::ArrowError,
    },
    /// The report file cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The manifest names a table format the project does not write.
    #[error("{}: unknown table format '{format}'", path.display())]
    Format { path: PathBuf, format: String },
    /// A table name outside the schema (a bug in the caller).
    #[error("no table '{0}' in the schema")]
    UnknownTable(String),
}

/// How much of a run the page embeds. What is left out is counted and said on the page.
#[derive(Debug, Clone, Serialize)]
pub struct Caps {
    /// Rows per table (entities by mentions, facts by support, statements and conflicts in
    /// file order).
    pub rows: usize,
    /// Documents with a full view (text, highlighted mentions, statements, relations).
    pub doc_views: usize,
    /// Evidence sentences per fact.
    pub evidence: usize,
    /// Documents listed per entity.
    pub entity_docs: usize,
    /// Changed items listed per kind in "what changed".
    pub changes: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { rows: 20_000, doc_views: 1_000, evidence: 5, entity_docs: 20, changes: 1_000 }
    }
}

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub run: PathBuf,
    /// A second run to compare with (`--compare`): the report's run is the later one.
    pub compare: Option<PathBuf>,
    /// The inputs to read texts from, instead of the ones in `manifest.json`.
    pub inputs: Vec<PathBuf>,
    pub read: ReadOptions,
    pub caps: Caps,
}

const TEMPLATE: &str = include_str!("assets/report.html");
const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// The report as one HTML document.
pub fn build(opts: &Options) -> Result<String, ReportError> {
    let run = RunDir::open(&opts.run)?;
    let mut data = data::Builder::new(&run, &opts.caps).build(&opts.inputs, &opts.read)?;
    data["run"] = json!({"dir": opts.run.display().to_string(), "format": run.format.extension()});
    if let Some(before) = &opts.compare {
        data["compare"] = compare(&RunDir::open(before)?, &run, opts.caps.changes)?;
    }
    Ok(render(&data))
}

/// "What changed" from `before` to `run`: the diff library's summary and changes, capped.
fn compare(before: &RunDir, run: &RunDir, cap: usize) -> Result<Value, ReportError> {
    let load = |r: &RunDir| -> Result<crate::diff::Run, ReportError> {
        let mut tables = std::collections::BTreeMap::new();
        for t in ["documents", "errors", "mentions", "entities", "statements", "relations", "facts", "conflicts"] {
            if r.table_path(t).is_file() {
                tables.insert(t, r.rows(t)?);
            }
        }
        Ok(crate::diff::Run::from_rows(&r.dir, r.manifest.clone(), |t| tables.remove(t)))
    };
    let d = crate::diff::diff(&load(before)?, &load(run)?);
    let capped = |v: Value| match v {
        Value::Array(mut a) => {
            a.truncate(cap);
            Value::Array(a)
        }
        other => other,
    };
    Ok(json!({
        "summary": serde_json::to_value(&d.summary).unwrap_or(Value::Null),
        "entities": capped(serde_json::to_value(&d.entities).unwrap_or(Value::Null)),
        "facts": capped(serde_json::to_value(&d.facts).unwrap_or(Value::Null)),
        "conflicts": capped(serde_json::to_value(&d.conflicts).unwrap_or(Value::Null)),
        "documents": capped(serde_json::to_value(&d.documents).unwrap_or(Value::Null)),
        "counts": {"entities": d.entities.len(), "facts": d.facts.len(), "conflicts": d.conflicts.len(), "documents": d.documents.len()},
    }))
}

/// JSON text safe inside a `<script>` element: no `<`, `>` or `&` (so neither `</script>`
/// nor `<!--` can appear) and no U+2028/U+2029, all written as `\uXXXX` escapes, which JSON
/// reads back as the same characters.
pub fn script_json(v: &Value) -> String {
    let raw = v.to_string();
    let mut out = String::with_capacity(raw.len() + raw.len() / 64);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A nonce for the page's own script, derived from its data (the page must be reproducible;
/// the nonce only has to be unguessable to the article text, which cannot see the hash of
/// the whole data it sits in).
fn nonce(data_json: &str) -> String {
    let h = Sha256::digest(data_json.as_bytes());
    h.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn render(data: &Value) -> String {
    let json = script_json(data);
    let nonce = nonce(&json);
    // The data goes in last: a `{{...}}` inside article text is never taken for a slot.
    TEMPLATE.replace("{{NONCE}}", &nonce).replace("{{CSS}}", CSS).replace("{{JS}}", JS).replacen("{{DATA}}", &json, 1)
}

/// Writes the report of `opts` to `out`; returns its size in bytes.
pub fn write(opts: &Options, out: &Path) -> Result<u64, ReportError> {
    let html = build(opts)?;
    std::fs::write(out, &html).map_err(|source| ReportError::Write { path: out.into(), source })?;
    Ok(html.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_the_script_and_reads_back_the_same() {
        let v = json!({"t": "a </script><script>alert(1)</script> & <!-- \u{2028}\u{2029} é"});
        let s = script_json(&v);
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!s.contains(bad), "{bad:?} in {s}");
        }
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
    }

    #[test]
    fn template_slots_are_filled_once_and_data_is_not_a_slot() {
        let html = render(&json!({"t": "{{CSS}} {{JS}}"}));
        assert!(!html.contains("{{NONCE}}"));
        assert!(html.contains(r#"{"t":"{{CSS}} {{JS}}"}"#));
    }
}
