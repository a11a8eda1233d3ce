//! Turning one input record (a JSON object, or a CSV row seen as one) into a [`Document`],
//! or into the reason it cannot be one.

use serde_json::{Map, Value};

use super::{ReadOptions, Record, Rejection};
use crate::doc::{Document, Meta, Origin};

/// Builds a document from the fields of one record. `origin.line` must be set: it makes the
/// fallback id `<file>:<line>` for records without one.
pub(crate) fn build(mut map: Map<String, Value>, origin: Origin, opts: &ReadOptions) -> Record {
    let f = &opts.fields;
    let given_id = match map.remove(&f.id) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return reject(
                origin,
                None,
                format!("field '{}' must be a string or a number, found {}", f.id, kind(&other)),
            )
        }
    };
    let text = match map.remove(&f.text) {
        None | Some(Value::Null) => return reject(origin, given_id, format!("missing field '{}'", f.text)),
        Some(Value::String(s)) => s,
        Some(other) => {
            return reject(origin, given_id, format!("field '{}' must be a string, found {}", f.text, kind(&other)))
        }
    };
    if let Err(reason) = check_text(&text, opts) {
        return reject(origin, given_id, reason);
    }
    let meta = Meta {
        title: take_str(&mut map, &f.title),
        url: take_str(&mut map, &f.url),
        published: take_str(&mut map, &f.published),
        source: take_str(&mut map, &f.source),
        // serde_json's Map is a BTreeMap without `preserve_order`: already key-sorted.
        extra: map.into_iter().collect(),
    };
    let id = given_id.unwrap_or_else(|| match origin.line {
        Some(line) => format!("{}:{}", origin.file, line),
        None => origin.file.clone(),
    });
    Record::Doc(Document { id, text, meta, origin, ..Default::default() })
}

/// The checks every document text must pass, whatever format it came in.
pub(crate) fn check_text(text: &str, opts: &ReadOptions) -> Result<(), String> {
    if text.len() > opts.max_text_bytes {
        return Err(format!(
            "text is {} bytes, more than the limit of {} (see --max-text-bytes)",
            text.len(),
            opts.max_text_bytes
        ));
    }
    if text.is_empty() {
        return Err("text is empty".to_string());
    }
    if text.trim().is_empty() {
        return Err("text is only whitespace".to_string());
    }
    if let Some(b) = memchr::memchr(0, text.as_bytes()) {
        // Users count characters, not bytes; NUL is ASCII so `b` is a char boundary.
        let at = text[..b].chars().count();
        return Err(format!("text contains NUL bytes at char {at}"));
    }
    Ok(())
}

/// A metadata field: strings as they are, any other JSON value as its JSON text.
fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn reject(origin: Origin, doc_id: Option<String>, reason: String) -> Record {
    Record::Rejected(Rejection { origin, doc_id, reason })
}
