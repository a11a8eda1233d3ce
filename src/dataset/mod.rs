//! The output dataset: its tables, their columns, and the rows a processed document yields.
//!
//! This module is the contract described in `docs/SCHEMA.md`; change one, change both, and
//! bump [`SCHEMA_VERSION`] when a field changes meaning or disappears.
//!
//! Rows are built as JSON values. JSONL keeps them nested; CSV and Parquet flatten them into
//! the columns declared here. Offsets become Unicode code points (so `text[start:end]` in
//! Python is the span) and scores are rounded to 4 decimals, so the bytes out do not depend on
//! thread count or batch size.
//!
//! Entity ids are only known after the aggregation barrier, so per-document rows first carry
//! the chain key of their entity under [`KEY`]; [`resolve_keys`] swaps it for the canonical
//! `entity_id` when the rows are written out.

use serde_json::{json, Map, Value};

use crate::doc::{Argument, CharOffsets, Document, Origin, Span};
use crate::io::{ColType, Column, TableSpec};

/// Version of the output contract (docs/SCHEMA.md).
pub const SCHEMA_VERSION: &str = "2.3.0";

/// Placeholder field holding a chain key until entities are canonicalized.
pub const KEY: &str = "_chain_key";

fn col(name: &'static str, path: &'static str, ty: ColType) -> Column {
    Column { name, path, ty }
}

pub fn documents_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "documents",
        columns: vec![
            col("doc_id", "/doc_id", Str),
            col("status", "/status", Str),
            col("source_file", "/source_file", Str),
            col("source_line", "/source_line", Int),
            col("title", "/title", Str),
            col("url", "/url", Str),
            col("published", "/published", Str),
            col("source", "/source", Str),
            col("extra", "/extra", Json),
            col("chars", "/chars", Int),
            col("sentences", "/sentences", Int),
            col("words", "/words", Int),
            col("mentions", "/mentions", Int),
            col("statements", "/statements", Int),
            col("relations", "/relations", Int),
            col("reason", "/reason", Str),
        ],
    }
}

pub fn errors_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "errors",
        columns: vec![
            col("source_file", "/source_file", Str),
            col("source_line", "/source_line", Int),
            col("doc_id", "/doc_id", Str),
            col("reason", "/reason", Str),
        ],
    }
}

pub fn sentences_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "sentences",
        columns: vec![
            col("doc_id", "/doc_id", Str),
            col("sentence", "/sentence", Int),
            col("start", "/start", Int),
            col("end", "/end", Int),
            col("tokens", "/tokens", Json),
        ],
    }
}

pub fn mentions_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "mentions",
        columns: vec![
            col("doc_id", "/doc_id", Str),
            col("mention_id", "/mention_id", Str),
            col("sentence", "/sentence", Int),
            col("start", "/start", Int),
            col("end", "/end", Int),
            col("text", "/text", Str),
            col("label", "/label", Str),
            col("score", "/score", Float),
            col("value", "/value", Str),
            col("source", "/source", Str),
            col("entity_id", "/entity_id", Str),
        ],
    }
}

pub fn entities_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "entities",
        columns: vec![
            col("entity_id", "/entity_id", Str),
            col("name", "/name", Str),
            col("label", "/label", Str),
            col("aliases", "/aliases", Json),
            col("mention_count", "/mention_count", Int),
            col("doc_count", "/doc_count", Int),
        ],
    }
}

pub fn statements_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "statements",
        columns: vec![
            col("doc_id", "/doc_id", Str),
            col("statement_id", "/statement_id", Str),
            col("sentence", "/sentence", Int),
            col("speaker_entity_id", "/speaker/entity_id", Str),
            col("speaker_text", "/speaker/text", Str),
            col("speaker_start", "/speaker/start", Int),
            col("speaker_end", "/speaker/end", Int),
            col("cue", "/cue", Str),
            col("kind", "/kind", Str),
            col("content_text", "/content/text", Str),
            col("content_start", "/content/start", Int),
            col("content_end", "/content/end", Int),
            col("score", "/score", Float),
            col("frame", "/frame", Str),
            col("medium_text", "/medium/text", Str),
            col("medium_start", "/medium/start", Int),
            col("medium_end", "/medium/end", Int),
        ],
    }
}

pub fn relations_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "relations",
        columns: vec![
            col("doc_id", "/doc_id", Str),
            col("relation_id", "/relation_id", Str),
            col("sentence", "/sentence", Int),
            col("subject_entity_id", "/subject/entity_id", Str),
            col("subject_text", "/subject/text", Str),
            col("subject_start", "/subject/start", Int),
            col("subject_end", "/subject/end", Int),
            col("subject_value", "/subject/value", Str),
            col("predicate", "/predicate", Str),
            col("type", "/type", Str),
            col("object_entity_id", "/object/entity_id", Str),
            col("object_text", "/object/text", Str),
            col("object_start", "/object/start", Int),
            col("object_end", "/object/end", Int),
            col("object_value", "/object/value", Str),
            col("polarity", "/polarity", Str),
            col("modality", "/modality", Str),
            col("attributed_kind", "/attributed_to/kind", Str),
            col("attributed_statement_id", "/attributed_to/statement_id", Str),
            col("attributed_entity_id", "/attributed_to/entity_id", Str),
            col("attributed_text", "/attributed_to/text", Str),
            col("evidence_start", "/evidence/start", Int),
            col("evidence_end", "/evidence/end", Int),
            col("evidence_text", "/evidence/text", Str),
            col("score", "/score", Float),
            col("frame", "/frame", Str),
        ],
    }
}

pub fn facts_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "facts",
        columns: vec![
            col("fact_id", "/fact_id", Str),
            col("subject_entity_id", "/subject_entity_id", Str),
            col("subject_name", "/subject_name", Str),
            col("subject_value", "/subject_value", Str),
            col("predicate", "/predicate", Str),
            col("type", "/type", Str),
            col("object_entity_id", "/object_entity_id", Str),
            col("object_name", "/object_name", Str),
            col("value", "/value", Str),
            col("support", "/support", Int),
            col("doc_ids", "/doc_ids", StrList),
            col("sources", "/sources", StrList),
            col("positive", "/positive", Int),
            col("negative", "/negative", Int),
            col("hedged", "/hedged", Int),
            col("first_published", "/first_published", Str),
            col("last_published", "/last_published", Str),
        ],
    }
}

pub fn conflicts_spec() -> TableSpec {
    use ColType::*;
    TableSpec {
        name: "conflicts",
        columns: vec![
            col("conflict_id", "/conflict_id", Str),
            col("kind", "/kind", Str),
            col("subject_entity_id", "/subject_entity_id", Str),
            col("subject_name", "/subject_name", Str),
            col("subject_value", "/subject_value", Str),
            col("predicate", "/predicate", Str),
            col("object", "/object", Str),
            col("sides", "/sides", Json),
        ],
    }
}

/// Rounds a score so that output bytes are stable.
pub fn round4(x: f32) -> f64 {
    ((x as f64) * 10_000.0).round() / 10_000.0
}

fn origin_fields(o: &Origin, row: &mut Map<String, Value>) {
    row.insert("source_file".into(), json!(o.file));
    row.insert("source_line".into(), json!(o.line));
}

/// The `documents` row of a processed document.
pub fn document_row(doc: &Document) -> Value {
    let mut row = Map::new();
    row.insert("doc_id".into(), json!(doc.id));
    row.insert("status".into(), json!("ok"));
    origin_fields(&doc.origin, &mut row);
    row.insert("title".into(), json!(doc.meta.title));
    row.insert("url".into(), json!(doc.meta.url));
    row.insert("published".into(), json!(doc.meta.published));
    row.insert("source".into(), json!(doc.meta.source));
    row.insert("extra".into(), if doc.meta.extra.is_empty() { Value::Null } else { json!(doc.meta.extra) });
    row.insert("chars".into(), json!(doc.text.chars().count()));
    row.insert("sentences".into(), json!(doc.sentences.len()));
    row.insert("words".into(), json!(doc.tokens.len()));
    row.insert("mentions".into(), json!(doc.mentions.len()));
    row.insert("statements".into(), json!(doc.statements.len()));
    row.insert("relations".into(), json!(doc.relations.len()));
    row.insert("reason".into(), Value::Null);
    Value::Object(row)
}

/// The `documents` row of a rejected record.
pub fn rejected_document_row(origin: &Origin, doc_id: Option<&str>, reason: &str) -> Value {
    let mut row = Map::new();
    row.insert("doc_id".into(), json!(doc_id));
    row.insert("status".into(), json!("rejected"));
    origin_fields(origin, &mut row);
    row.insert("reason".into(), json!(reason));
    Value::Object(row)
}

/// The `errors` row of a rejected record.
pub fn error_row(origin: &Origin, doc_id: Option<&str>, reason: &str) -> Value {
    let mut row = Map::new();
    origin_fields(origin, &mut row);
    row.insert("doc_id".into(), json!(doc_id));
    row.insert("reason".into(), json!(reason));
    Value::Object(row)
}

/// Per-document rows of the annotation tables, with chain keys not yet resolved.
pub struct DocRows {
    pub sentences: Vec<Value>,
    pub mentions: Vec<Value>,
    pub statements: Vec<Value>,
    pub relations: Vec<Value>,
}

struct Ctx<'d> {
    doc: &'d Document,
    map: CharOffsets,
}

impl Ctx<'_> {
    fn span(&self, s: Span) -> (usize, usize) {
        self.map.span(s)
    }
    fn chain_key_of_mention(&self, m: usize) -> Option<&str> {
        let c = self.doc.mentions.get(m)?.chain?;
        self.doc.chains.get(c).map(|c| c.key.as_str())
    }
    fn mention_id(&self, i: usize) -> String {
        format!("{}#m{}", self.doc.id, i)
    }
    fn argument(&self, a: &Argument) -> Value {
        let (start, end) = self.span(a.span);
        let mut v = Map::new();
        v.insert("text".into(), json!(self.doc.slice(a.span)));
        v.insert("start".into(), json!(start));
        v.insert("end".into(), json!(end));
        let value =
            a.value.clone().or_else(|| a.mention.and_then(|m| self.doc.mentions.get(m)).and_then(|m| m.value.clone()));
        v.insert("value".into(), json!(value));
        v.insert("mention_id".into(), json!(a.mention.map(|m| self.mention_id(m))));
        v.insert("entity_id".into(), Value::Null);
        if let Some(k) = a.mention.and_then(|m| self.chain_key_of_mention(m)) {
            v.insert(KEY.into(), json!(k));
        }
        Value::Object(v)
    }
}

/// Builds the annotation rows of one processed document; the `sentences` rows (one JSON array
/// per token) only when `with_tokens`, since they are the costliest and off by default.
pub fn doc_rows(doc: &Document, with_tokens: bool) -> DocRows {
    let cx = Ctx { doc, map: CharOffsets::new(&doc.text) };
    let sentences = if !with_tokens {
        Vec::new()
    } else {
        doc
            .sentences
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (start, end) = cx.span(s.span);
                // Heads are 1-based within the sentence, 0 for its root (CoNLL-U's convention).
                let head = |t: &crate::doc::Tags| t.head.map_or(0, |h| h + 1 - s.tokens.start);
                json!({"doc_id": doc.id, "sentence": i, "start": start, "end": end,
                       "tokens": doc.tokens[s.tokens.clone()].iter().map(|t| {
                           let (a, b) = cx.span(t.span);
                           let tags = t.tags.as_ref();
                           json!([a, b, tags.map(|t| t.pos.as_str()), tags.map(|t| t.chunk.as_str()), tags.map(|t| t.ner.as_str()),
                                  tags.map(head), tags.map(|t| t.deprel.as_str())])
                       }).collect::<Vec<_>>()})
            })
            .collect()
    };
    let mentions = doc
        .mentions
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (start, end) = cx.span(m.span);
            let mut row = json!({
                "doc_id": doc.id, "mention_id": cx.mention_id(i), "sentence": m.sentence,
                "start": start, "end": end, "text": doc.slice(m.span), "label": m.label,
                "score": round4(m.score), "value": m.value, "source": m.source, "entity_id": null,
            });
            if let Some(k) = cx.chain_key_of_mention(i) {
                row[KEY] = json!(k);
            }
            row
        })
        .collect();
    let statement_id = |i: usize| format!("{}#s{}", doc.id, i);
    let statements = doc
        .statements
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let speaker = s.speaker.as_ref().map(|sp| {
                let (start, end) = cx.span(sp.span);
                let mut v = json!({"text": doc.slice(sp.span), "start": start, "end": end,
                                   "mention_id": sp.mention.map(|m| cx.mention_id(m)), "entity_id": null});
                if let Some(k) = sp.mention.and_then(|m| cx.chain_key_of_mention(m)) {
                    v[KEY] = json!(k);
                }
                v
            });
            let (cs, ce) = cx.span(s.content);
            let medium = s.medium.map(|m| {
                let (start, end) = cx.span(m);
                json!({"text": doc.slice(m), "start": start, "end": end})
            });
            json!({
                "doc_id": doc.id, "statement_id": statement_id(i), "sentence": s.sentence,
                "speaker": speaker, "cue": s.cue, "kind": s.kind,
                "content": {"text": doc.slice(s.content), "start": cs, "end": ce},
                "score": round4(s.score), "frame": s.frame, "medium": medium,
            })
        })
        .collect();
    let relations = doc
        .relations
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let attributed = match r.statement.and_then(|si| doc.statements.get(si).map(|s| (si, s))) {
                Some((si, st)) => {
                    let sp = st.speaker.as_ref();
                    let mut v = json!({"kind": "speaker", "statement_id": statement_id(si),
                        "text": sp.map(|sp| doc.slice(sp.span)), "entity_id": null});
                    if let Some(k) = sp.and_then(|sp| sp.mention).and_then(|m| cx.chain_key_of_mention(m)) {
                        v[KEY] = json!(k);
                    }
                    v
                }
                None => json!({"kind": "outlet", "statement_id": null, "entity_id": null,
                               "text": doc.meta.source}),
            };
            let (es, ee) = cx.span(r.evidence);
            json!({
                "doc_id": doc.id, "relation_id": format!("{}#r{}", doc.id, i), "sentence": r.sentence,
                "subject": cx.argument(&r.subject), "object": cx.argument(&r.object),
                "predicate": r.predicate, "type": r.rtype, "polarity": r.polarity, "modality": r.modality,
                "attributed_to": attributed,
                "evidence": {"text": doc.slice(r.evidence), "start": es, "end": ee},
                "score": round4(r.score), "frame": r.frame,
            })
        })
        .collect();
    DocRows { sentences, mentions, statements, relations }
}

/// Adds `subject_name` / `object_name` next to `subject_entity_id` / `object_entity_id` in an
/// aggregate row, so analysts can read facts and conflicts without a join.
pub fn add_names(row: &mut Value, name_of: &dyn Fn(&str) -> Option<String>) {
    if let Value::Object(map) = row {
        for (id_field, name_field) in [("subject_entity_id", "subject_name"), ("object_entity_id", "object_name")] {
            let name = map.get(id_field).and_then(Value::as_str).and_then(name_of);
            if map.contains_key(id_field) {
                map.insert(name_field.into(), json!(name));
            }
        }
    }
}

/// Replaces every chain-key placeholder in `row` (at any depth) with the canonical
/// `entity_id` that `entity_of` gives for it.
pub fn resolve_keys(row: &mut Value, entity_of: &dyn Fn(&str) -> Option<String>) {
    match row {
        Value::Object(map) => {
            if let Some(Value::String(k)) = map.remove(KEY) {
                map.insert("entity_id".into(), json!(entity_of(&k)));
            }
            for v in map.values_mut() {
                resolve_keys(v, entity_of);
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve_keys(v, entity_of);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_keys_replaces_nested_placeholders() {
        let mut row = json!({"subject": {KEY: "per:qasimi", "entity_id": null},
                             "object": {"entity_id": null}, KEY: "org:naf"});
        resolve_keys(&mut row, &|k| Some(format!("E-{k}")));
        assert_eq!(row["subject"]["entity_id"], "E-per:qasimi");
        assert_eq!(row["entity_id"], "E-org:naf");
        assert!(row["object"]["entity_id"].is_null());
        assert!(row.get(KEY).is_none());
    }
}
