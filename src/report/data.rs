//! The data the page embeds: one JSON object, compact (bulk tables as arrays of arrays, their
//! columns named once in `cols`), capped so that a run of 100k documents still opens in a
//! few seconds. Every cap is in the data (`caps`, `totals`), and the page says what it left out.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};

use super::tables::RunDir;
use super::texts::{self, Texts};
use super::{Caps, ReportError};
use crate::io::ReadOptions;

fn s(v: &Value, f: &str) -> Value {
    match v.get(f) {
        Some(Value::String(x)) => Value::from(x.as_str()),
        _ => Value::Null,
    }
}

fn n(v: &Value, f: &str) -> u64 {
    v.get(f).and_then(Value::as_u64).unwrap_or(0)
}

fn at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn num(v: &Value, pointer: &str) -> Value {
    v.pointer(pointer).and_then(Value::as_u64).map(Value::from).unwrap_or(Value::Null)
}

/// Column names of the bulk arrays, read by the page (`report.js`).
fn cols() -> Value {
    json!({
        "docs": ["doc_id", "status", "title", "url", "published", "source", "chars", "words", "mentions", "statements", "relations", "reason", "view"],
        "ents": ["entity_id", "name", "label", "aliases", "doc_count", "mention_count", "doc_ids"],
        "facts": ["fact_id", "subject_entity_id", "subject", "predicate", "type", "object_entity_id", "object", "support", "doc_ids", "sources", "positive", "negative", "hedged", "first_published", "last_published", "evidence"],
        "stmts": ["statement_id", "doc_id", "speaker_entity_id", "speaker", "cue", "kind", "content", "score"],
        "view_m": ["start", "end", "label", "entity_id", "text"],
        "view_s": ["content_start", "content_end", "speaker_start", "speaker_end", "speaker_entity_id", "cue", "kind", "speaker", "statement_id"],
        "view_r": ["subject", "subject_entity_id", "predicate", "object", "object_entity_id", "polarity", "modality", "evidence_start", "evidence_end", "evidence", "relation_id"],
        "evidence": ["doc_id", "text", "polarity", "modality"],
    })
}

/// What a document view holds before it is serialized.
#[derive(Default)]
struct View {
    mentions: Vec<Value>,
    statements: Vec<Value>,
    relations: Vec<Value>,
    /// (start, end, text) of every mention, to check the re-read text against.
    spans: Vec<(usize, usize, String)>,
}

/// The report's data, built table by table.
pub struct Builder<'a> {
    run: &'a RunDir,
    caps: &'a Caps,
    out: serde_json::Map<String, Value>,
    totals: BTreeMap<&'static str, u64>,
    views: BTreeMap<String, View>,
    /// Capped entities: id -> row index, to attach the documents that mention them.
    ent_index: HashMap<String, usize>,
    ent_rows: Vec<Value>,
    notes: Vec<String>,
}

impl<'a> Builder<'a> {
    pub fn new(run: &'a RunDir, caps: &'a Caps) -> Self {
        Builder {
            run,
            caps,
            out: serde_json::Map::new(),
            totals: BTreeMap::new(),
            views: BTreeMap::new(),
            ent_index: HashMap::new(),
            ent_rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Reads every table and returns the page's data object.
    pub fn build(mut self, inputs: &[std::path::PathBuf], read: &ReadOptions) -> Result<Value, ReportError> {
        let cited = self.conflicts()?;
        self.documents(&cited)?;
        self.entities()?;
        self.mentions()?;
        self.statements()?;
        let facts = self.facts()?;
        self.relations(facts)?;
        self.errors()?;
        self.texts(inputs, read);
        let totals: serde_json::Map<String, Value> =
            self.totals.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect();
        self.out.insert("totals".into(), Value::Object(totals));
        self.out.insert("caps".into(), serde_json::to_value(self.caps).unwrap_or(Value::Null));
        self.out.insert("cols".into(), cols());
        self.out.insert("manifest".into(), self.run.manifest.clone());
        self.out.insert("notes".into(), Value::from(self.notes));
        Ok(Value::Object(self.out))
    }

    /// Conflicts, all of them up to the cap; returns the documents their sides cite.
    fn conflicts(&mut self) -> Result<Vec<String>, ReportError> {
        let mut rows = self.run.rows("conflicts")?;
        self.totals.insert("conflicts", rows.len() as u64);
        rows.truncate(self.caps.rows);
        let mut cited = Vec::new();
        for r in &rows {
            for side in r["sides"].as_array().into_iter().flatten() {
                for d in side["doc_ids"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    cited.push(d.to_string());
                }
            }
        }
        self.out.insert("conflicts".into(), Value::from(rows));
        Ok(cited)
    }

    /// Every document's row (compact); views for up to `doc_views` of them: the ones conflicts
    /// cite first, then in input order.
    fn documents(&mut self, cited: &[String]) -> Result<(), ReportError> {
        let mut rows = Vec::new();
        let mut ok = Vec::new();
        self.run.for_each("documents", |d| {
            if d["status"] == "ok" {
                if let Some(id) = d["doc_id"].as_str() {
                    ok.push(id.to_string());
                }
            }
            rows.push(d);
        })?;
        let ok_ids: HashSet<&String> = ok.iter().collect();
        let mut chosen: Vec<&String> = Vec::new();
        let mut seen = HashSet::new();
        for id in cited.iter().chain(ok.iter()) {
            if chosen.len() >= self.caps.doc_views {
                break;
            }
            if ok_ids.contains(id) && seen.insert(id) {
                chosen.push(id);
            }
        }
        self.views = chosen.into_iter().map(|id| (id.clone(), View::default())).collect();
        let compact: Vec<Value> = rows
            .iter()
            .map(|d| {
                let view = d["doc_id"].as_str().is_some_and(|id| self.views.contains_key(id));
                json!([
                    s(d, "doc_id"),
                    s(d, "status"),
                    s(d, "title"),
                    s(d, "url"),
                    s(d, "published"),
                    s(d, "source"),
                    n(d, "chars"),
                    n(d, "words"),
                    n(d, "mentions"),
                    n(d, "statements"),
                    n(d, "relations"),
                    s(d, "reason"),
                    u8::from(view)
                ])
            })
            .collect();
        self.totals.insert("documents", rows.len() as u64);
        self.totals.insert("doc_views", self.views.len() as u64);
        self.out.insert("docs".into(), Value::from(compact));
        Ok(())
    }

    /// The most mentioned entities, up to the cap.
    fn entities(&mut self) -> Result<(), ReportError> {
        let mut rows = self.run.rows("entities")?;
        self.totals.insert("entities", rows.len() as u64);
        rows.sort_by(|a, b| {
            n(b, "mention_count").cmp(&n(a, "mention_count")).then_with(|| a["name"].as_str().cmp(&b["name"].as_str()))
        });
        rows.truncate(self.caps.rows);
        for (i, e) in rows.iter().enumerate() {
            let id = e["entity_id"].as_str().unwrap_or_default().to_string();
            self.ent_index.insert(id, i);
            let aliases: Vec<Value> =
                e["aliases"].as_array().into_iter().flatten().map(|a| json!([s(a, "text"), n(a, "count")])).collect();
            self.ent_rows.push(json!([
                s(e, "entity_id"),
                s(e, "name"),
                s(e, "label"),
                aliases,
                n(e, "doc_count"),
                n(e, "mention_count"),
                []
            ]));
        }
        Ok(())
    }

    /// Mentions: counts by label, the documents of each shown entity, the spans of each view.
    fn mentions(&mut self) -> Result<(), ReportError> {
        let mut labels: BTreeMap<String, u64> = BTreeMap::new();
        let mut total = 0u64;
        let (views, ent_index, ent_rows, cap) =
            (&mut self.views, &self.ent_index, &mut self.ent_rows, self.caps.entity_docs);
        self.run.for_each("mentions", |m| {
            total += 1;
            *labels.entry(m["label"].as_str().unwrap_or("?").to_string()).or_default() += 1;
            let doc = m["doc_id"].as_str().unwrap_or_default();
            if let Some(&i) = m["entity_id"].as_str().and_then(|e| ent_index.get(e)) {
                let docs = ent_rows[i][6].as_array_mut().expect("doc_ids column");
                if docs.len() < cap && !docs.iter().any(|d| d == doc) {
                    docs.push(Value::from(doc));
                }
            }
            if let Some(v) = views.get_mut(doc) {
                let (start, end) = (n(&m, "start"), n(&m, "end"));
                let text = m["text"].as_str().unwrap_or_default();
                v.spans.push((start as usize, end as usize, text.to_string()));
                v.mentions.push(json!([start, end, s(&m, "label"), s(&m, "entity_id"), text]));
            }
        })?;
        self.totals.insert("mentions", total);
        let mut by_count: Vec<(String, u64)> = labels.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.out.insert("labels".into(), json!(by_count));
        self.out.insert("ents".into(), Value::from(std::mem::take(&mut self.ent_rows)));
        Ok(())
    }

    /// Statements: the first ones up to the cap for the table, all of them in the views.
    fn statements(&mut self) -> Result<(), ReportError> {
        let mut rows = Vec::new();
        let mut total = 0u64;
        let (views, cap) = (&mut self.views, self.caps.rows);
        self.run.for_each("statements", |st| {
            total += 1;
            let doc = st["doc_id"].as_str().unwrap_or_default();
            if rows.len() < cap {
                rows.push(json!([
                    s(&st, "statement_id"),
                    s(&st, "doc_id"),
                    at(&st, "/speaker/entity_id"),
                    at(&st, "/speaker/text"),
                    s(&st, "cue"),
                    s(&st, "kind"),
                    at(&st, "/content/text"),
                    st.get("score").cloned().unwrap_or(Value::Null)
                ]));
            }
            if let Some(v) = views.get_mut(doc) {
                v.statements.push(json!([
                    num(&st, "/content/start"),
                    num(&st, "/content/end"),
                    num(&st, "/speaker/start"),
                    num(&st, "/speaker/end"),
                    at(&st, "/speaker/entity_id"),
                    s(&st, "cue"),
                    s(&st, "kind"),
                    at(&st, "/speaker/text"),
                    s(&st, "statement_id")
                ]));
            }
        })?;
        self.totals.insert("statements", total);
        self.out.insert("stmts".into(), Value::from(rows));
        Ok(())
    }

    /// Facts by support, up to the cap; returns them for the evidence pass over relations.
    fn facts(&mut self) -> Result<Vec<Value>, ReportError> {
        let mut rows = self.run.rows("facts")?;
        self.totals.insert("facts", rows.len() as u64);
        rows.sort_by(|a, b| {
            n(b, "support").cmp(&n(a, "support")).then_with(|| a["fact_id"].as_str().cmp(&b["fact_id"].as_str()))
        });
        rows.truncate(self.caps.rows);
        Ok(rows)
    }

    /// Relations: listed in the views, and the evidence of the facts they support.
    fn relations(&mut self, facts: Vec<Value>) -> Result<(), ReportError> {
        let mut by_doc_pred: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, f) in facts.iter().enumerate() {
            let pred = f["predicate"].as_str().unwrap_or_default().to_string();
            for d in f["doc_ids"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                by_doc_pred.entry((d.to_string(), pred.clone())).or_default().push(i);
            }
        }
        let mut evidence: Vec<Vec<Value>> = vec![Vec::new(); facts.len()];
        let mut total = 0u64;
        let (views, cap) = (&mut self.views, self.caps.evidence);
        self.run.for_each("relations", |r| {
            total += 1;
            let doc = r["doc_id"].as_str().unwrap_or_default().to_string();
            let pred = r["predicate"].as_str().unwrap_or_default().to_string();
            if let Some(idx) = by_doc_pred.get(&(doc.clone(), pred)) {
                for &i in idx {
                    if evidence[i].len() < cap && supports(&facts[i], &r) {
                        evidence[i].push(json!([doc, at(&r, "/evidence/text"), s(&r, "polarity"), s(&r, "modality")]));
                    }
                }
            }
            if let Some(v) = views.get_mut(&doc) {
                v.relations.push(json!([
                    arg_text(&r["subject"]),
                    at(&r, "/subject/entity_id"),
                    s(&r, "predicate"),
                    arg_text(&r["object"]),
                    at(&r, "/object/entity_id"),
                    s(&r, "polarity"),
                    s(&r, "modality"),
                    num(&r, "/evidence/start"),
                    num(&r, "/evidence/end"),
                    at(&r, "/evidence/text"),
                    s(&r, "relation_id")
                ]));
            }
        })?;
        self.totals.insert("relations", total);
        let rows: Vec<Value> = facts.iter().zip(evidence).map(|(f, ev)| fact_row(f, ev)).collect();
        self.out.insert("facts".into(), Value::from(rows));
        Ok(())
    }

    /// Rejected records grouped by the kind of reason, with a few examples each.
    fn errors(&mut self) -> Result<(), ReportError> {
        let mut groups: BTreeMap<String, (u64, Vec<Value>)> = BTreeMap::new();
        self.run.for_each("errors", |e| {
            let reason = e["reason"].as_str().unwrap_or("(no reason)");
            let g = groups.entry(reason_kind(reason)).or_default();
            g.0 += 1;
            if g.1.len() < 5 {
                g.1.push(json!([s(&e, "doc_id"), s(&e, "source_file"), e["source_line"].clone(), reason]));
            }
        })?;
        let mut out: Vec<Value> = groups.into_iter().map(|(k, (c, ex))| json!([k, c, ex])).collect();
        out.sort_by(|a, b| b[1].as_u64().cmp(&a[1].as_u64()));
        self.out.insert("errors".into(), Value::from(out));
        Ok(())
    }

    /// Re-reads the texts of the views and serializes them.
    fn texts(&mut self, inputs: &[std::path::PathBuf], read: &ReadOptions) {
        let wanted: HashSet<String> = self.views.keys().cloned().collect();
        let Texts { mut by_id, notes } = texts::load(&self.run.manifest, inputs, read, &wanted);
        self.notes.extend(notes);
        let mut mismatched = 0;
        let mut views = serde_json::Map::new();
        for (id, v) in std::mem::take(&mut self.views) {
            let spans: Vec<(usize, usize, &str)> = v.spans.iter().map(|(s, e, t)| (*s, *e, t.as_str())).collect();
            let (text, why) = match by_id.remove(&id) {
                Some(t) if texts::spans_match(&t, &spans) => (Value::from(t), Value::Null),
                Some(_) => {
                    mismatched += 1;
                    (Value::Null, Value::from("the input's text differs from the run's (its mentions do not match it)"))
                }
                None => (Value::Null, Value::from("the article's text was not found in the inputs")),
            };
            views.insert(id, json!({"t": text, "why": why, "m": v.mentions, "s": v.statements, "r": v.relations}));
        }
        if mismatched > 0 {
            self.notes.push(format!("{mismatched} document texts differ from the run's and are not shown"));
        }
        self.out.insert("views".into(), Value::Object(views));
    }
}

/// An argument as a reader says it: its text, or its value when it has no text.
fn arg_text(a: &Value) -> Value {
    a.get("text").filter(|t| t.is_string()).or_else(|| a.get("value")).cloned().unwrap_or(Value::Null)
}

/// Whether relation `r` (same document and predicate) is one of fact `f`'s: each argument
/// matches by entity id, or, for a value, by its text or value (case-folded).
fn supports(f: &Value, r: &Value) -> bool {
    fn side(eid: Option<&str>, val: Option<&str>, a: &Value) -> bool {
        if let Some(id) = eid {
            return a["entity_id"].as_str() == Some(id);
        }
        let Some(val) = val.map(str::to_lowercase) else { return true };
        ["value", "text"].iter().any(|k| a[*k].as_str().is_some_and(|t| t.to_lowercase() == val))
    }
    side(f["subject_entity_id"].as_str(), f["subject_value"].as_str(), &r["subject"])
        && side(f["object_entity_id"].as_str(), f["value"].as_str(), &r["object"])
}

/// Document ids kept per fact.
const MAX_FACT_DOCS: usize = 5;

fn fact_row(f: &Value, evidence: Vec<Value>) -> Value {
    let subject = f.get("subject_name").filter(|x| x.is_string()).unwrap_or(&f["subject_value"]);
    let object = f.get("object_name").filter(|x| x.is_string()).unwrap_or(&f["value"]);
    // A fact's documents are its evidence's; the full list (which can run to thousands) is in
    // the run's table, the page keeps the first few.
    let docs: Vec<Value> = f["doc_ids"].as_array().into_iter().flatten().take(MAX_FACT_DOCS).cloned().collect();
    json!([
        s(f, "fact_id"),
        s(f, "subject_entity_id"),
        subject,
        s(f, "predicate"),
        s(f, "type"),
        s(f, "object_entity_id"),
        object,
        n(f, "support"),
        docs,
        f["sources"],
        n(f, "positive"),
        n(f, "negative"),
        n(f, "hedged"),
        s(f, "first_published"),
        s(f, "last_published"),
        evidence
    ])
}

/// The kind of a rejection reason: its words before the first colon, with quoted names and
/// numbers blanked (`duplicate id 'a1', first seen at x:3` -> `duplicate id '…', first seen at x`).
pub fn reason_kind(reason: &str) -> String {
    let head = reason.split(": ").next().unwrap_or(reason);
    let mut out = String::new();
    let mut quoted = false;
    for c in head.chars() {
        match c {
            '\'' if !quoted => {
                quoted = true;
                out.push_str("'…'");
            }
            '\'' => quoted = false,
            _ if quoted => {}
            '0'..='9' => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            _ => out.push(c),
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_by_kind() {
        assert_eq!(reason_kind("malformed JSON: expected value at column 1"), "malformed JSON");
        assert_eq!(
            reason_kind("duplicate id 'a1', first seen at news.jsonl:3"),
            "duplicate id '…', first seen at news.jsonl:N"
        );
        assert_eq!(reason_kind("text is empty or whitespace only"), "text is empty or whitespace only");
    }

    #[test]
    fn a_fact_is_supported_by_matching_arguments_only() {
        let f = json!({"subject_entity_id": "E1", "subject_value": null, "object_entity_id": null, "value": "14"});
        let yes = json!({"subject": {"entity_id": "E1"}, "object": {"text": "14", "value": "14"}});
        let other_value = json!({"subject": {"entity_id": "E1"}, "object": {"text": "12", "value": "12"}});
        let other_subject = json!({"subject": {"entity_id": "E2"}, "object": {"text": "14"}});
        assert!(supports(&f, &yes));
        assert!(!supports(&f, &other_value));
        assert!(!supports(&f, &other_subject));
    }
}
