//! `claimgraph diff RUN_A RUN_B`: what changed between two runs' datasets, keyed by ids.
//!
//! Two runs are *equal* when every table holds the same rows. Beyond that verdict the diff
//! explains the change in the analyst's terms: entities added, removed, renamed or relabelled
//! (matched by id, else by shared aliases), facts added, removed or with changed support,
//! conflicts appeared or resolved, statements and relations gained and lost per document, and
//! which step fingerprints differ between the two manifests (the likely cause).
//!
//! Every list is sorted by id, so a diff's output does not depend on the order rows were read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A run folder without a readable `manifest.json` (not a finished run).
    #[error("{path}: not a finished run (cannot read manifest.json: {source})")]
    Manifest {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A manifest or a table row that is not the JSON it should be.
    #[error("{path}:{line}: {source}")]
    Json {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    /// A table file that cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The diff reads JSONL tables.
    #[error("{path}: tables are {format}; diff reads runs written with --format jsonl")]
    Format { path: PathBuf, format: String },
}

/// The tables a run may hold, with the fields that identify a row.
const TABLES: &[(&str, &[&str])] = &[
    ("documents", &["doc_id", "source_file", "source_line"]),
    ("errors", &["source_file", "source_line"]),
    ("mentions", &["mention_id"]),
    ("entities", &["entity_id"]),
    ("statements", &["statement_id"]),
    ("relations", &["relation_id"]),
    ("facts", &["fact_id"]),
    ("conflicts", &["conflict_id"]),
    ("sentences", &["doc_id", "sentence"]),
];

/// A table's rows by id (the row's JSON text kept for an exact comparison).
type Rows = BTreeMap<String, (Value, String)>;

/// A finished run, read back.
pub struct Run {
    pub dir: PathBuf,
    manifest: Value,
    tables: BTreeMap<&'static str, Rows>,
}

fn row_id(row: &Value, fields: &[&str]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| match row.get(*f) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        })
        .collect();
    parts.join("\u{1f}")
}

/// Adds a row under its id; ids are unique in a well-formed table, and a repeat is kept
/// apart, not lost.
fn insert_row(rows: &mut Rows, id: &[&str], v: Value, text: String) {
    let mut key = row_id(&v, id);
    while rows.contains_key(&key) {
        key.push('\u{1f}');
    }
    rows.insert(key, (v, text));
}

impl Run {
    pub fn load(dir: &Path) -> Result<Self, DiffError> {
        let mpath = dir.join("manifest.json");
        let text = std::fs::read_to_string(&mpath)
            .map_err(|source| DiffError::Manifest { path: dir.to_path_buf(), source })?;
        let manifest: Value =
            serde_json::from_str(&text).map_err(|source| DiffError::Json { path: mpath.clone(), line: 1, source })?;
        let format = manifest["format"].as_str().unwrap_or("jsonl");
        if format != "jsonl" {
            return Err(DiffError::Format { path: dir.to_path_buf(), format: format.to_string() });
        }
        let mut tables = BTreeMap::new();
        for (name, id) in TABLES {
            let path = dir.join(format!("{name}.jsonl"));
            if !path.is_file() {
                continue;
            }
            let f = std::fs::File::open(&path).map_err(|source| DiffError::Read { path: path.clone(), source })?;
            let mut rows = Rows::new();
            for (i, line) in BufReader::new(f).lines().enumerate() {
                let line = line.map_err(|source| DiffError::Read { path: path.clone(), source })?;
                let v: Value = serde_json::from_str(&line).map_err(|source| DiffError::Json {
                    path: path.clone(),
                    line: i + 1,
                    source,
                })?;
                insert_row(&mut rows, id, v, line);
            }
            tables.insert(*name, rows);
        }
        Ok(Run { dir: dir.to_path_buf(), manifest, tables })
    }

    /// A run from rows already read (by `claimgraph report`, which reads every format): each
    /// row is compared by its compact JSON text. `rows` gives `None` for a table the run lacks.
    pub fn from_rows(dir: &Path, manifest: Value, mut rows: impl FnMut(&str) -> Option<Vec<Value>>) -> Self {
        let mut tables = BTreeMap::new();
        for (name, id) in TABLES {
            let Some(values) = rows(name) else { continue };
            let mut t = Rows::new();
            for v in values {
                let text = v.to_string();
                insert_row(&mut t, id, v, text);
            }
            tables.insert(*name, t);
        }
        Run { dir: dir.to_path_buf(), manifest, tables }
    }

    fn rows(&self, table: &str) -> Option<&Rows> {
        self.tables.get(table)
    }

    /// Step fingerprints in pipeline order: the model as `tagger`, then the stages.
    fn fingerprints(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(fp) = self.manifest["model"]["fingerprint"].as_str() {
            out.push(("tagger".to_string(), fp.to_string()));
        }
        for s in self.manifest["stages"].as_array().into_iter().flatten() {
            if let (Some(n), Some(f)) = (s["name"].as_str(), s["fingerprint"].as_str()) {
                out.push((n.to_string(), f.to_string()));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FingerprintChange {
    pub step: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub rows_before: u64,
    pub rows_after: u64,
    pub equal: bool,
}

/// Gained, lost and changed (same id, other content) rows of a per-document table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    pub gained: u64,
    pub lost: u64,
    pub changed: u64,
}

/// The diff's summary (`--json`, and `summary.json` under `--out`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub equal: bool,
    pub run_a: String,
    pub run_b: String,
    /// Steps whose fingerprint differs (the likely cause of the changes).
    pub fingerprints: Vec<FingerprintChange>,
    pub tables: BTreeMap<String, TableCount>,
    /// Entity changes by kind: added, removed, renamed, relabelled, changed.
    pub entities: BTreeMap<String, u64>,
    /// Fact changes by kind: added, removed, support_changed, changed.
    pub facts: BTreeMap<String, u64>,
    /// Conflict changes by kind: appeared, resolved, changed.
    pub conflicts: BTreeMap<String, u64>,
    pub mentions: RowCounts,
    pub statements: RowCounts,
    pub relations: RowCounts,
    /// Documents by change: added, removed, changed (any of their rows differ).
    pub documents: BTreeMap<String, u64>,
}

/// One side of an entity change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitySide {
    pub entity_id: String,
    pub name: String,
    pub label: String,
    pub mention_count: u64,
    pub doc_count: u64,
}

/// A line of `entities.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityChange {
    /// added, removed, renamed, relabelled or changed (same name and label, other counts or
    /// aliases).
    pub change: &'static str,
    /// `id` (the same entity id on both sides) or `aliases` (different ids sharing a surface
    /// form); null for added and removed.
    pub matched_by: Option<&'static str>,
    pub before: Option<EntitySide>,
    pub after: Option<EntitySide>,
}

/// A line of `facts.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactChange {
    /// added, removed, support_changed (documents or sources gained or lost) or changed
    /// (same support, other counts or dates).
    pub change: &'static str,
    pub fact_id: String,
    pub subject: String,
    pub predicate: String,
    pub object: String,
    pub support_before: u64,
    pub support_after: u64,
    pub docs_gained: Vec<String>,
    pub docs_lost: Vec<String>,
    pub sources_gained: Vec<String>,
    pub sources_lost: Vec<String>,
}

/// A line of `conflicts.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictChange {
    /// appeared, resolved or changed (other sides).
    pub change: &'static str,
    pub conflict_id: String,
    pub kind: String,
    pub subject: String,
    pub predicate: String,
}

/// A line of `documents.jsonl`: one per document whose rows differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocChange {
    pub doc_id: String,
    /// added, removed or changed.
    pub change: &'static str,
    pub mentions: RowCounts,
    pub statements_gained: Vec<String>,
    pub statements_lost: Vec<String>,
    pub statements_changed: Vec<String>,
    pub relations_gained: Vec<String>,
    pub relations_lost: Vec<String>,
    pub relations_changed: Vec<String>,
    /// Whether its `documents` row (status, counts, metadata) differs.
    pub document_row_changed: bool,
}

/// The whole diff.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub summary: Summary,
    pub entities: Vec<EntityChange>,
    pub facts: Vec<FactChange>,
    pub conflicts: Vec<ConflictChange>,
    pub documents: Vec<DocChange>,
}

/// Compares two runs.
pub fn diff(a: &Run, b: &Run) -> Diff {
    let mut d = Diff::default();
    let s = &mut d.summary;
    s.run_a = a.dir.display().to_string();
    s.run_b = b.dir.display().to_string();
    let (la, lb) = (a.fingerprints(), b.fingerprints());
    let (fa, fb): (BTreeMap<_, _>, BTreeMap<_, _>) = (la.iter().cloned().collect(), lb.iter().cloned().collect());
    // In RUN_B's pipeline order, then steps only RUN_A had.
    let mut steps: Vec<&String> = lb.iter().map(|(n, _)| n).collect();
    steps.extend(la.iter().map(|(n, _)| n).filter(|n| !fb.contains_key(*n)));
    s.fingerprints = steps
        .into_iter()
        .filter(|k| fa.get(*k) != fb.get(*k))
        .map(|k| FingerprintChange { step: k.clone(), before: fa.get(k).cloned(), after: fb.get(k).cloned() })
        .collect();
    let empty = Rows::new();
    for (name, _) in TABLES {
        let (ra, rb) = (a.rows(name), b.rows(name));
        if ra.is_none() && rb.is_none() {
            continue;
        }
        let (ra, rb) = (ra.unwrap_or(&empty), rb.unwrap_or(&empty));
        let equal = ra.len() == rb.len() && ra.iter().zip(rb).all(|((ka, va), (kb, vb))| ka == kb && va.1 == vb.1);
        s.tables
            .insert(name.to_string(), TableCount { rows_before: ra.len() as u64, rows_after: rb.len() as u64, equal });
    }
    s.equal = s.tables.values().all(|t| t.equal);
    let rows = |r: &Run, t: &str| r.rows(t).cloned().unwrap_or_default();
    d.entities = entities(&rows(a, "entities"), &rows(b, "entities"));
    d.facts = facts(&rows(a, "facts"), &rows(b, "facts"));
    d.conflicts = conflicts(&rows(a, "conflicts"), &rows(b, "conflicts"));
    d.documents = documents(a, b);
    let s = &mut d.summary;
    for e in &d.entities {
        *s.entities.entry(e.change.to_string()).or_default() += 1;
    }
    for f in &d.facts {
        *s.facts.entry(f.change.to_string()).or_default() += 1;
    }
    for c in &d.conflicts {
        *s.conflicts.entry(c.change.to_string()).or_default() += 1;
    }
    for doc in &d.documents {
        *s.documents.entry(doc.change.to_string()).or_default() += 1;
        s.mentions.gained += doc.mentions.gained;
        s.mentions.lost += doc.mentions.lost;
        s.mentions.changed += doc.mentions.changed;
        s.statements.gained += doc.statements_gained.len() as u64;
        s.statements.lost += doc.statements_lost.len() as u64;
        s.statements.changed += doc.statements_changed.len() as u64;
        s.relations.gained += doc.relations_gained.len() as u64;
        s.relations.lost += doc.relations_lost.len() as u64;
        s.relations.changed += doc.relations_changed.len() as u64;
    }
    d
}

fn str_of(v: &Value, f: &str) -> String {
    v.get(f).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn u64_of(v: &Value, f: &str) -> u64 {
    v.get(f).and_then(Value::as_u64).unwrap_or(0)
}

fn side(v: &Value) -> EntitySide {
    EntitySide {
        entity_id: str_of(v, "entity_id"),
        name: str_of(v, "name"),
        label: str_of(v, "label"),
        mention_count: u64_of(v, "mention_count"),
        doc_count: u64_of(v, "doc_count"),
    }
}

fn aliases(v: &Value) -> BTreeSet<String> {
    v["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("text").and_then(Value::as_str).or_else(|| a.as_str()))
        .map(str::to_lowercase)
        .collect()
}

fn entities(a: &Rows, b: &Rows) -> Vec<EntityChange> {
    let mut out = Vec::new();
    let kind = |x: &EntitySide, y: &EntitySide| {
        if x.label != y.label {
            "relabelled"
        } else if x.name != y.name {
            "renamed"
        } else {
            "changed"
        }
    };
    for (id, (va, la)) in a {
        if let Some((vb, lb)) = b.get(id) {
            if la != lb {
                let (x, y) = (side(va), side(vb));
                out.push(EntityChange {
                    change: kind(&x, &y),
                    matched_by: Some("id"),
                    before: Some(x),
                    after: Some(y),
                });
            }
        }
    }
    // Entities only on one side: pair a removed one with the added one sharing most aliases
    // (ties to the smaller id), each used once.
    let removed: Vec<&Value> = a.iter().filter(|(k, _)| !b.contains_key(*k)).map(|(_, v)| &v.0).collect();
    let added: Vec<&Value> = b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(_, v)| &v.0).collect();
    let added_aliases: Vec<BTreeSet<String>> = added.iter().map(|v| aliases(v)).collect();
    let mut used = vec![false; added.len()];
    for va in removed {
        let al = aliases(va);
        let best = added_aliases
            .iter()
            .enumerate()
            .filter(|(j, _)| !used[*j])
            .map(|(j, ab)| (al.intersection(ab).count(), j))
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, j)| (*n, std::cmp::Reverse(*j)));
        let x = side(va);
        match best {
            Some((_, j)) => {
                used[j] = true;
                let y = side(added[j]);
                let change = if x.label != y.label { "relabelled" } else { "renamed" };
                out.push(EntityChange { change, matched_by: Some("aliases"), before: Some(x), after: Some(y) });
            }
            None => out.push(EntityChange { change: "removed", matched_by: None, before: Some(x), after: None }),
        }
    }
    for (j, vb) in added.iter().enumerate() {
        if !used[j] {
            out.push(EntityChange { change: "added", matched_by: None, before: None, after: Some(side(vb)) });
        }
    }
    let key = |e: &EntityChange| {
        let s = e.before.as_ref().or(e.after.as_ref()).expect("one side at least");
        (s.entity_id.clone(), e.after.as_ref().map(|y| y.entity_id.clone()))
    };
    out.sort_by_key(key);
    out
}

fn strings(v: &Value, f: &str) -> BTreeSet<String> {
    v[f].as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_string)).collect()
}

/// A fact's or conflict's side as text: the entity name, else the value.
fn named(v: &Value, name: &str, value: &str) -> String {
    v.get(name).and_then(Value::as_str).or_else(|| v.get(value).and_then(Value::as_str)).unwrap_or_default().to_string()
}

fn facts(a: &Rows, b: &Rows) -> Vec<FactChange> {
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let (ra, rb) = (a.get(id), b.get(id));
        if let (Some(x), Some(y)) = (ra, rb) {
            if x.1 == y.1 {
                continue;
            }
        }
        let v = rb.or(ra).map(|r| &r.0).expect("in one of the two");
        let none = Value::Null;
        let (va, vb) = (ra.map_or(&none, |r| &r.0), rb.map_or(&none, |r| &r.0));
        let (da, db) = (strings(va, "doc_ids"), strings(vb, "doc_ids"));
        let (sa, sb) = (strings(va, "sources"), strings(vb, "sources"));
        let change = match (ra, rb) {
            (None, _) => "added",
            (_, None) => "removed",
            _ if da != db || sa != sb => "support_changed",
            _ => "changed",
        };
        out.push(FactChange {
            change,
            fact_id: id.clone(),
            subject: named(v, "subject_name", "subject_value"),
            predicate: str_of(v, "predicate"),
            object: named(v, "object_name", "value"),
            support_before: u64_of(va, "support"),
            support_after: u64_of(vb, "support"),
            docs_gained: db.difference(&da).cloned().collect(),
            docs_lost: da.difference(&db).cloned().collect(),
            sources_gained: sb.difference(&sa).cloned().collect(),
            sources_lost: sa.difference(&sb).cloned().collect(),
        });
    }
    out
}

fn conflicts(a: &Rows, b: &Rows) -> Vec<ConflictChange> {
    let ids: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let (ra, rb) = (a.get(id), b.get(id));
        let change = match (ra, rb) {
            (None, Some(_)) => "appeared",
            (Some(_), None) => "resolved",
            (Some(x), Some(y)) if x.1 != y.1 => "changed",
            _ => continue,
        };
        let v = &rb.or(ra).expect("in one of the two").0;
        out.push(ConflictChange {
            change,
            conflict_id: id.clone(),
            kind: str_of(v, "kind"),
            subject: named(v, "subject_name", "subject_value"),
            predicate: str_of(v, "predicate"),
        });
    }
    out
}

/// A per-document row: its id, and its content without positional ids.
type DocRow = (String, String);

/// Rows only in `b`, only in `a`, and in both with other content, by their ids (`b`'s for
/// gained and changed, `a`'s for lost), sorted.
fn compare(a: &BTreeMap<String, DocRow>, b: &BTreeMap<String, DocRow>) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut gained: Vec<String> = b.iter().filter(|(k, _)| !a.contains_key(*k)).map(|(_, r)| r.0.clone()).collect();
    let mut lost: Vec<String> = a.iter().filter(|(k, _)| !b.contains_key(*k)).map(|(_, r)| r.0.clone()).collect();
    let mut changed: Vec<String> =
        b.iter().filter(|(k, r)| a.get(*k).is_some_and(|x| x.1 != r.1)).map(|(_, r)| r.0.clone()).collect();
    for v in [&mut gained, &mut lost, &mut changed] {
        v.sort();
    }
    (gained, lost, changed)
}

/// Where a row sits in its document: what makes it the same row in two runs. Mention,
/// statement and relation ids are positions (`<doc>#r3`), so one row more or less would
/// renumber all later ones; spans and labels do not move.
fn natural_key(table: &str, v: &Value) -> String {
    let at = |p: &str| v.pointer(p).map(|x| x.to_string()).unwrap_or_default();
    let parts: Vec<String> = match table {
        "mentions" => ["/start", "/end", "/label"].iter().map(|p| at(p)).collect(),
        "statements" => ["/content/start", "/content/end", "/cue"].iter().map(|p| at(p)).collect(),
        _ => [
            "/evidence/start",
            "/evidence/end",
            "/predicate",
            "/subject/start",
            "/subject/end",
            "/object/start",
            "/object/end",
        ]
        .iter()
        .map(|p| at(p))
        .collect(),
    };
    parts.join(",")
}

/// A row's JSON without the positional ids in it (at any depth).
fn without_positions(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "mention_id" | "statement_id" | "relation_id"))
                .map(|(k, x)| (k.clone(), without_positions(x)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_positions).collect()),
        x => x.clone(),
    }
}

/// A per-document table's rows grouped by document, by [`natural_key`].
fn by_doc(r: &Run, table: &str) -> BTreeMap<String, BTreeMap<String, DocRow>> {
    let id_field = format!("{}_id", table.trim_end_matches('s'));
    let mut out: BTreeMap<String, BTreeMap<String, DocRow>> = BTreeMap::new();
    for (v, _) in r.rows(table).into_iter().flatten().map(|(_, row)| row) {
        let rows = out.entry(str_of(v, "doc_id")).or_default();
        let mut key = natural_key(table, v);
        // Two rows at one place (rare): kept apart, in table order.
        while rows.contains_key(&key) {
            key.push('+');
        }
        rows.insert(key, (str_of(v, &id_field), without_positions(v).to_string()));
    }
    out
}

/// The `documents` rows by doc id.
fn doc_rows(r: &Run) -> BTreeMap<String, &str> {
    r.rows("documents").into_iter().flatten().map(|(_, (v, line))| (str_of(v, "doc_id"), line.as_str())).collect()
}

fn documents(a: &Run, b: &Run) -> Vec<DocChange> {
    let (da, db) = (doc_rows(a), doc_rows(b));
    let (ma, mb) = (by_doc(a, "mentions"), by_doc(b, "mentions"));
    let (sa, sb) = (by_doc(a, "statements"), by_doc(b, "statements"));
    let (ra, rb) = (by_doc(a, "relations"), by_doc(b, "relations"));
    let ids: BTreeSet<&String> = da
        .keys()
        .chain(db.keys())
        .chain(ma.keys())
        .chain(mb.keys())
        .chain(sa.keys())
        .chain(sb.keys())
        .chain(ra.keys())
        .chain(rb.keys())
        .collect();
    let empty = BTreeMap::new();
    let mut out = Vec::new();
    for id in ids {
        let (mg, ml, mc) = compare(ma.get(id).unwrap_or(&empty), mb.get(id).unwrap_or(&empty));
        let (sg, sl, sc) = compare(sa.get(id).unwrap_or(&empty), sb.get(id).unwrap_or(&empty));
        let (rg, rl, rc) = compare(ra.get(id).unwrap_or(&empty), rb.get(id).unwrap_or(&empty));
        let row_changed = da.get(id) != db.get(id);
        let change = match (da.contains_key(id), db.contains_key(id)) {
            (false, true) => "added",
            (true, false) => "removed",
            _ if row_changed
                || !(mg.is_empty() && ml.is_empty() && mc.is_empty())
                || !(sg.is_empty() && sl.is_empty() && sc.is_empty())
                || !(rg.is_empty() && rl.is_empty() && rc.is_empty()) =>
            {
                "changed"
            }
            _ => continue,
        };
        out.push(DocChange {
            doc_id: id.clone(),
            change,
            mentions: RowCounts { gained: mg.len() as u64, lost: ml.len() as u64, changed: mc.len() as u64 },
            statements_gained: sg,
            statements_lost: sl,
            statements_changed: sc,
            relations_gained: rg,
            relations_lost: rl,
            relations_changed: rc,
            document_row_changed: row_changed,
        });
    }
    out
}
