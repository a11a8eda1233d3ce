//! Facts and conflicts across documents.
//!
//! [`FactIndex::add`] keeps one compact record per relation (never the document): where it
//! came from (doc id, outlet, publication date), its arguments as chain keys (entities) or
//! values, predicate, type, polarity, modality and a truncated evidence text. Indexes built
//! on different threads [`merge`](FactIndex::merge) by concatenation; [`finish`](FactIndex::finish)
//! sorts the records first, so the result does not depend on merge order.
//!
//! `finish` maps chain keys to canonical entity ids and groups records by (subject,
//! predicate, object): each group is a [`FactRecord`] with its support (distinct documents),
//! sources and polarity counts. Conflicts are
//! - **polarity**: a fact asserted by some documents and negated by others; a universal
//!   negation ("no group has claimed responsibility for the attack in Kabul") conflicts with
//!   every positive fact that has the same predicate and object, whoever the subject;
//! - **value**: for count predicates (`count` in `frames.tsv`, e.g. `kill`), positive
//!   records with the same subject and predicate but different numbers ("12" vs "14" dead).
//!
//! An event argument ("the attack in Nahrin") is anchored to the mention of its named victim
//! or its place, so it keys by that entity (the gold convention: casualty counts with no named
//! attacker have the place as subject). Arguments that are plain values (a title, "no group",
//! an event with no place) have no entity: a fact's `subject_entity_id` is then null and the
//! value is in `subject_value` (its object goes in `value`). A chain key no entity has (a
//! surname left unresolved in its article) is grouped per article and shown by its name, never
//! as the internal key: every `*entity_id` in the tables is an `entities` row.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::doc::{Argument, Document, Modality, Polarity};
use crate::stages::relations::lexicon::Lexicon;

/// Longest evidence text kept per relation, in bytes (cut at a char boundary).
const MAX_EVIDENCE: usize = 300;
/// Most evidence snippets per conflict side.
const MAX_SIDE_EVIDENCE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// A chain key, mapped to a canonical entity at `finish`.
    Entity(String),
    Value(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rec {
    doc_id: String,
    source: Option<String>,
    published: Option<String>,
    subject: Key,
    predicate: String,
    rtype: Option<String>,
    object: Key,
    negative: bool,
    hedged: bool,
    evidence: String,
}

/// Per-relation records collected from documents.
#[derive(Debug, Default, Clone)]
pub struct FactIndex {
    recs: Vec<Rec>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactRecord {
    pub fact_id: String,
    /// The subject's entity; null when the subject is a value or a surname left unresolved.
    pub subject_entity_id: Option<String>,
    /// The subject when it is no entity: a value ("attack in Nahrin", "no group") or an
    /// unresolved surname.
    pub subject_value: Option<String>,
    pub predicate: String,
    #[serde(rename = "type")]
    pub rtype: Option<String>,
    pub object_entity_id: Option<String>,
    pub value: Option<String>,
    /// Number of distinct documents.
    pub support: usize,
    pub doc_ids: Vec<String>,
    pub sources: Vec<String>,
    /// Relation counts by polarity / hedging.
    pub positive: usize,
    pub negative: usize,
    pub hedged: usize,
    pub first_published: Option<String>,
    pub last_published: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub doc_id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictSide {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polarity: Option<Polarity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For a universal negation side, the subject text ("no group"); for a polarity side
    /// otherwise absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub doc_ids: Vec<String>,
    pub sources: Vec<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictRecord {
    pub conflict_id: String,
    /// "polarity" or "value".
    pub kind: String,
    pub subject_entity_id: Option<String>,
    pub subject_value: Option<String>,
    pub predicate: String,
    /// The object of a polarity conflict (entity id or value); absent for value conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub sides: Vec<ConflictSide>,
}

fn count_predicates() -> &'static BTreeSet<String> {
    static SET: OnceLock<BTreeSet<String>> = OnceLock::new();
    SET.get_or_init(|| match Lexicon::builtin() {
        Ok(lx) => lx.all_frames().filter(|f| f.count).map(|f| f.predicate.clone()).collect(),
        Err(_) => BTreeSet::new(),
    })
}

fn hash_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let d = h.finalize();
    format!("{prefix}_{}", d[..8].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn key_of(doc: &Document, a: &Argument) -> Option<Key> {
    if let Some(m) = a.mention.and_then(|m| doc.mentions.get(m)) {
        if let Some(ch) = m.chain.and_then(|c| doc.chains.get(c)) {
            // A surname the entities stage could not attach to one person is no entity: scope
            // it to its article so that different people named alike never share a fact or
            // make a false conflict across articles.
            if ch.key.ends_with(crate::stages::entities::chains::AMBIGUOUS_SUFFIX) {
                return Some(Key::Entity(format!("{}@{}", ch.key, doc.id)));
            }
            return Some(Key::Entity(ch.key.clone()));
        }
        if let Some(v) = &a.value {
            return Some(Key::Value(v.clone()));
        }
        return Some(Key::Value(
            m.value.clone().unwrap_or_else(|| doc.text.get(m.span.start..m.span.end).unwrap_or("").to_string()),
        ));
    }
    a.value.clone().map(Key::Value)
}

/// The name in a chain key that no entity has: "PER:karimi#ambiguous@doc-3" -> "karimi".
fn unresolved_name(key: &str) -> String {
    let name = key.split_once(':').map_or(key, |(_, n)| n);
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    name.trim_end_matches(crate::stages::entities::chains::AMBIGUOUS_SUFFIX).to_string()
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok()
}

impl FactIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of relation records held.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn add(&mut self, doc: &Document) {
        for r in &doc.relations {
            let (Some(subject), Some(object)) = (key_of(doc, &r.subject), key_of(doc, &r.object)) else { continue };
            let evidence = doc.text.get(r.evidence.start..r.evidence.end).unwrap_or("");
            self.recs.push(Rec {
                doc_id: doc.id.clone(),
                source: doc.meta.source.clone(),
                published: doc.meta.published.clone(),
                subject,
                predicate: r.predicate.clone(),
                rtype: r.rtype.clone(),
                object,
                negative: r.polarity == Polarity::Negative,
                hedged: r.modality == Modality::Hedged,
                evidence: truncate(evidence.trim(), MAX_EVIDENCE),
            });
        }
    }

    pub fn merge(&mut self, o: FactIndex) {
        self.recs.extend(o.recs);
    }

    /// Groups the records into facts and finds conflicts. `entity_of` maps a chain key to
    /// the canonical entity id; keys it does not know stand for themselves.
    pub fn finish(mut self, entity_of: &dyn Fn(&str) -> Option<String>) -> (Vec<FactRecord>, Vec<ConflictRecord>) {
        self.recs.sort();
        self.recs.dedup();
        // What the tables show: an entity id that is an `entities` row, or the value (for a
        // key no entity has, such as an unresolved surname, its name).
        let resolve = |k: &Key| -> (Option<String>, Option<String>) {
            match k {
                Key::Entity(c) => match entity_of(c) {
                    Some(e) => (Some(e), None),
                    None => (None, Some(unresolved_name(c))),
                },
                Key::Value(v) => (None, Some(v.clone())),
            }
        };
        // The grouping key: an entity id, else the chain key (scoped to its article when
        // unresolved), else `value:<value>`.
        let id_or_value = |k: &Key| -> String {
            match k {
                Key::Entity(c) => entity_of(c).unwrap_or_else(|| c.clone()),
                Key::Value(v) => format!("value:{v}"),
            }
        };
        // The public form of an object: its entity id, else `value:<value>`.
        let public = |k: &Key| -> String {
            match resolve(k) {
                (Some(e), _) => e,
                (None, v) => format!("value:{}", v.unwrap_or_default()),
            }
        };
        // (subject, predicate, object) -> records
        let mut groups: BTreeMap<(String, String, String), Vec<&Rec>> = BTreeMap::new();
        for r in &self.recs {
            groups.entry((id_or_value(&r.subject), r.predicate.clone(), id_or_value(&r.object))).or_default().push(r);
        }
        let mut facts = Vec::with_capacity(groups.len());
        for ((s, p, o), recs) in &groups {
            let (object_entity_id, value) = resolve(&recs[0].object);
            let (subject_entity_id, subject_value) = resolve(&recs[0].subject);
            let docs: BTreeSet<&str> = recs.iter().map(|r| r.doc_id.as_str()).collect();
            let sources: BTreeSet<&str> = recs.iter().filter_map(|r| r.source.as_deref()).collect();
            let published: Vec<&str> = recs.iter().filter_map(|r| r.published.as_deref()).collect();
            // Most frequent type (ties: the smallest name), so one odd pattern does not decide.
            let mut types: BTreeMap<&str, usize> = BTreeMap::new();
            for t in recs.iter().filter_map(|r| r.rtype.as_deref()) {
                *types.entry(t).or_default() += 1;
            }
            let rtype = types.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(t, _)| t.to_string());
            facts.push(FactRecord {
                fact_id: hash_id("f", &[s, p, o]),
                subject_entity_id,
                subject_value,
                predicate: p.clone(),
                rtype,
                object_entity_id,
                value,
                support: docs.len(),
                doc_ids: docs.iter().map(|d| d.to_string()).collect(),
                sources: sources.iter().map(|d| d.to_string()).collect(),
                positive: recs.iter().filter(|r| !r.negative).count(),
                negative: recs.iter().filter(|r| r.negative).count(),
                hedged: recs.iter().filter(|r| r.hedged).count(),
                first_published: published.iter().min().map(|d| d.to_string()),
                last_published: published.iter().max().map(|d| d.to_string()),
            });
        }
        facts.sort_by(|a, b| a.fact_id.cmp(&b.fact_id));

        let side = |polarity: Option<Polarity>,
                    value: Option<String>,
                    subject: Option<String>,
                    recs: &[&Rec]|
         -> ConflictSide {
            let docs: BTreeSet<&str> = recs.iter().map(|r| r.doc_id.as_str()).collect();
            let sources: BTreeSet<&str> = recs.iter().filter_map(|r| r.source.as_deref()).collect();
            ConflictSide {
                polarity,
                value,
                subject,
                doc_ids: docs.iter().map(|d| d.to_string()).collect(),
                sources: sources.iter().map(|d| d.to_string()).collect(),
                evidence: recs
                    .iter()
                    .take(MAX_SIDE_EVIDENCE)
                    .map(|r| Evidence { doc_id: r.doc_id.clone(), text: r.evidence.clone() })
                    .collect(),
            }
        };
        let mut conflicts = Vec::new();
        // Polarity conflicts within a fact.
        for ((s, p, o), recs) in &groups {
            let pos: Vec<&Rec> = recs.iter().copied().filter(|r| !r.negative).collect();
            let neg: Vec<&Rec> = recs.iter().copied().filter(|r| r.negative).collect();
            if !pos.is_empty() && !neg.is_empty() {
                let subj = resolve(&recs[0].subject);
                conflicts.push(ConflictRecord {
                    conflict_id: hash_id("c", &["polarity", s, p, o]),
                    kind: "polarity".into(),
                    subject_entity_id: subj.0,
                    subject_value: subj.1,
                    predicate: p.clone(),
                    object: Some(public(&recs[0].object)),
                    sides: vec![
                        side(Some(Polarity::Positive), None, None, &pos),
                        side(Some(Polarity::Negative), None, None, &neg),
                    ],
                });
            }
        }
        // Universal negations ("no group has claimed ...") against positive facts.
        let mut universal: BTreeMap<(String, String), Vec<&Rec>> = BTreeMap::new();
        for r in &self.recs {
            if r.negative && matches!(r.subject, Key::Value(_)) {
                universal.entry((r.predicate.clone(), id_or_value(&r.object))).or_default().push(r);
            }
        }
        for ((s, p, o), recs) in &groups {
            if s.starts_with("value:") {
                continue;
            }
            let Some(negs) = universal.get(&(p.clone(), o.clone())) else { continue };
            let pos: Vec<&Rec> = recs.iter().copied().filter(|r| !r.negative).collect();
            if pos.is_empty() {
                continue;
            }
            let subject = match &negs[0].subject {
                Key::Value(v) => Some(v.clone()),
                Key::Entity(_) => None,
            };
            let subj = resolve(&recs[0].subject);
            conflicts.push(ConflictRecord {
                conflict_id: hash_id("c", &["polarity-universal", s, p, o]),
                kind: "polarity".into(),
                subject_entity_id: subj.0,
                subject_value: subj.1,
                predicate: p.clone(),
                object: Some(public(&recs[0].object)),
                sides: vec![
                    side(Some(Polarity::Positive), None, None, &pos),
                    side(Some(Polarity::Negative), None, subject, negs),
                ],
            });
        }
        // Value conflicts for count predicates.
        let counts = count_predicates();
        let mut by_subject: BTreeMap<(String, String), BTreeMap<String, Vec<&Rec>>> = BTreeMap::new();
        for r in &self.recs {
            if r.negative || !counts.contains(&r.predicate) {
                continue;
            }
            if let Key::Value(v) = &r.object {
                if is_number(v) {
                    by_subject
                        .entry((id_or_value(&r.subject), r.predicate.clone()))
                        .or_default()
                        .entry(v.clone())
                        .or_default()
                        .push(r);
                }
            }
        }
        for ((s, p), values) in &by_subject {
            // Only across documents: one article updating its own count is not a conflict
            // between outlets, but still shows two values.
            let docs: BTreeSet<&str> = values.values().flatten().map(|r| r.doc_id.as_str()).collect();
            if values.len() < 2 || docs.len() < 2 {
                continue;
            }
            let mut vals: Vec<(&String, &Vec<&Rec>)> = values.iter().collect();
            vals.sort_by(|a, b| {
                a.0.parse::<f64>().unwrap_or(0.0).total_cmp(&b.0.parse::<f64>().unwrap_or(0.0)).then(a.0.cmp(b.0))
            });
            let keys: Vec<&str> = vals.iter().map(|(v, _)| v.as_str()).collect();
            let mut parts: Vec<&str> = vec!["value", s, p];
            parts.extend(keys.iter().copied());
            let subj = resolve(&vals[0].1[0].subject);
            conflicts.push(ConflictRecord {
                conflict_id: hash_id("c", &parts),
                kind: "value".into(),
                subject_entity_id: subj.0,
                subject_value: subj.1,
                predicate: p.clone(),
                object: None,
                sides: vals.iter().map(|(v, recs)| side(None, Some((*v).clone()), None, recs)).collect(),
            });
        }
        conflicts.sort_by(|a, b| a.conflict_id.cmp(&b.conflict_id));
        (facts, conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::relations::testdoc::build;
    use crate::stages::relations::{extract_relations, ClaimsConfig};
    use crate::stages::statements::extract_statements;

    fn doc(id: &str, source: &str, published: &str, text: &str) -> Document {
        let mut d = build(id, text);
        d.meta.source = Some(source.into());
        d.meta.published = Some(published.into());
        let cfg = ClaimsConfig::default();
        extract_statements(&mut d, &cfg);
        extract_relations(&mut d, &cfg);
        d
    }

    /// Canonical ids: the entities aggregate would map spelling variants to one id.
    fn canon(key: &str) -> Option<String> {
        match key {
            "free valley front|ORG" | "fvf|ORG" => Some("E-fvf".into()),
            "kestrel|ORG" => Some("E-kestrel".into()),
            "orbis|ORG" => Some("E-orbis".into()),
            "kabul|LOC" => Some("E-kabul".into()),
            _ => None,
        }
    }

    fn corpus() -> Vec<Document> {
        vec![
            doc("a1", "Daily Ledger", "2026-03-02", "A suicide bombing in [LOC Kabul] killed at least [CARDINAL 12] people. The [ORG Free Valley Front] claimed responsibility for the bombing in [LOC Kabul]. [ORG Kestrel] acquired [ORG Orbis]."),
            doc("a2", "Morning Wire", "2026-03-03", "[CARDINAL 14] people were killed in the attack in [LOC Kabul]. The [ORG FVF] claimed responsibility for the attack in [LOC Kabul]. [ORG Kestrel] acquired [ORG Orbis]."),
            doc("a3", "Capital Post", "2026-03-01", "The [ORG Free Valley Front] denied responsibility for the attack in [LOC Kabul]. A blast in [LOC Kabul] killed [CARDINAL 12] people."),
            doc("a4", "Morning Wire", "2026-03-04", "No group has claimed responsibility for the bombing in [LOC Kabul]."),
        ]
    }

    fn finish_all(docs: &[Document], split: usize) -> (Vec<FactRecord>, Vec<ConflictRecord>) {
        // Two partial indexes merged, as rayon would build them.
        let mut a = FactIndex::new();
        let mut b = FactIndex::new();
        for (i, d) in docs.iter().enumerate() {
            if i < split {
                a.add(d)
            } else {
                b.add(d)
            }
        }
        b.merge(a);
        b.finish(&canon)
    }

    /// An ambiguous surname ("Karimi" when two Karimis are in the article) is no entity: the
    /// same unresolved key in two articles must not make one fact with support 2.
    #[test]
    fn ambiguous_surnames_do_not_aggregate_across_articles() {
        let mut docs = vec![
            doc("k1", "Daily Ledger", "2026-03-02", "[ORG Kestrel] acquired [ORG Orbis]."),
            doc("k2", "Morning Wire", "2026-03-03", "[ORG Kestrel] acquired [ORG Orbis]."),
        ];
        for d in &mut docs {
            let c = d.chains.iter().position(|c| c.key.starts_with("kestrel")).expect("a Kestrel chain");
            d.chains[c].key = format!("PER:karimi{}", crate::stages::entities::chains::AMBIGUOUS_SUFFIX);
        }
        let (facts, _) = finish_all(&docs, 1);
        let acq: Vec<_> = facts.iter().filter(|f| f.predicate == "acquire").collect();
        assert_eq!(acq.len(), 2, "{acq:?}");
        // No internal key reaches the table: no entity id, the surname as the subject's value.
        assert!(acq.iter().all(|f| f.support == 1 && f.subject_entity_id.is_none()));
        assert!(acq.iter().all(|f| f.subject_value.as_deref() == Some("karimi")), "{acq:?}");
    }

    #[test]
    fn support_sources_and_dates() {
        let (facts, _) = finish_all(&corpus(), 2);
        let acq = facts.iter().find(|f| f.predicate == "acquire").expect("acquire fact");
        assert_eq!(acq.subject_entity_id.as_deref(), Some("E-kestrel"));
        assert_eq!(acq.object_entity_id.as_deref(), Some("E-orbis"));
        assert_eq!(acq.support, 2);
        assert_eq!(acq.doc_ids, ["a1", "a2"]);
        assert_eq!(acq.sources, ["Daily Ledger", "Morning Wire"]);
        assert_eq!(
            (acq.first_published.as_deref(), acq.last_published.as_deref()),
            (Some("2026-03-02"), Some("2026-03-03"))
        );
        let claim = facts
            .iter()
            .find(|f| f.predicate == "claim_responsibility_for" && f.subject_entity_id.as_deref() == Some("E-fvf"))
            .expect("claim fact");
        // Events are anchored to their place's mention, so they key by that entity.
        assert_eq!(claim.object_entity_id.as_deref(), Some("E-kabul"));
        assert_eq!((claim.support, claim.positive, claim.negative), (3, 2, 1));
        assert_eq!(claim.rtype.as_deref(), Some("claim_responsibility"));
    }

    #[test]
    fn polarity_and_value_conflicts() {
        let (_, conflicts) = finish_all(&corpus(), 1);
        let pol: Vec<&ConflictRecord> = conflicts.iter().filter(|c| c.kind == "polarity").collect();
        assert_eq!(pol.len(), 2, "{pol:#?}");
        for c in &pol {
            assert_eq!(c.subject_entity_id.as_deref(), Some("E-fvf"));
            assert_eq!(c.sides[0].polarity, Some(Polarity::Positive));
            assert_eq!(c.sides[0].doc_ids, ["a1", "a2"]);
        }
        let neg_docs: BTreeSet<&str> = pol.iter().flat_map(|c| c.sides[1].doc_ids.iter().map(String::as_str)).collect();
        assert_eq!(neg_docs, BTreeSet::from(["a3", "a4"]));
        assert!(pol.iter().any(|c| c.sides[1].subject.as_deref() == Some("no group")));

        let val: Vec<&ConflictRecord> = conflicts.iter().filter(|c| c.kind == "value").collect();
        assert_eq!(val.len(), 1, "{val:#?}");
        assert_eq!(val[0].subject_entity_id.as_deref(), Some("E-kabul"));
        assert_eq!(val[0].predicate, "kill");
        let sides: Vec<(Option<&str>, Vec<&str>)> =
            val[0].sides.iter().map(|s| (s.value.as_deref(), s.doc_ids.iter().map(String::as_str).collect())).collect();
        assert_eq!(sides, vec![(Some("12"), vec!["a1", "a3"]), (Some("14"), vec!["a2"])]);
        assert!(val[0].sides[1].evidence[0].text.contains("14 people were killed"));
    }

    #[test]
    fn output_is_independent_of_merge_order_and_ids_are_stable() {
        let docs = corpus();
        let (f1, c1) = finish_all(&docs, 0);
        let (f2, c2) = finish_all(&docs, 3);
        assert_eq!(f1, f2);
        assert_eq!(c1, c2);
        assert!(f1.windows(2).all(|w| w[0].fact_id < w[1].fact_id));
        assert_eq!(hash_id("f", &["a", "b", "c"]), hash_id("f", &["a", "b", "c"]));
        assert_ne!(hash_id("f", &["a", "bc"]), hash_id("f", &["ab", "c"]));
    }

    #[test]
    fn multi_outlet_story_yields_claim_and_casualty_conflicts() {
        let docs = vec![
            doc("w1", "Frontier Wire", "2026-05-05", "PUL-E-KHUMRI, [LOC Afghanistan] — Dozens of militants stormed the district headquarters in [LOC Nahrin] before dawn on Tuesday, killing [CARDINAL 11] police officers, officials said.\n\nThe [ORG Eastern Hills Front] ([ORG EHF]), an armed group that emerged last year, claimed responsibility in a statement."),
            doc("w2", "Kabul Ledger", "2026-05-06", "[LOC KABUL] — The death toll from Tuesday's assault on the district headquarters in [LOC Nahrin] rose to [CARDINAL 14], the ministry said. The [ORG EHF] denied any role in the attack."),
            doc("w3", "Asia Courier", "2026-05-06", "No other group has claimed responsibility for the attack in [LOC Nahrin]."),
        ];
        let canon = |k: &str| match k {
            "eastern hills front|ORG" | "ehf|ORG" => Some("E-ehf".to_string()),
            "nahrin|LOC" => Some("E-nahrin".to_string()),
            _ => None,
        };
        let mut idx = FactIndex::new();
        for d in &docs {
            idx.add(d);
        }
        let (facts, conflicts) = idx.finish(&canon);
        let claim = facts
            .iter()
            .find(|f| f.predicate == "claim_responsibility_for" && f.subject_entity_id.as_deref() == Some("E-ehf"))
            .expect("claim fact");
        assert_eq!(claim.object_entity_id.as_deref(), Some("E-nahrin"));
        assert_eq!((claim.positive, claim.negative, claim.support), (1, 1, 2));
        let kinds: Vec<(&str, &str)> =
            conflicts.iter().map(|c| (c.kind.as_str(), c.subject_entity_id.as_deref().unwrap_or(""))).collect();
        assert!(kinds.contains(&("polarity", "E-ehf")), "{kinds:?}");
        let val = conflicts.iter().find(|c| c.kind == "value").expect("casualty conflict");
        assert_eq!(val.subject_entity_id.as_deref(), Some("E-nahrin"));
        let values: Vec<&str> = val.sides.iter().filter_map(|s| s.value.as_deref()).collect();
        assert_eq!(values, ["11", "14"]);
        // The universal "no other group" negation also stands against the EHF's claim.
        assert!(
            conflicts.iter().any(|c| c.kind == "polarity" && c.sides[1].subject.as_deref() == Some("no other group")),
            "{conflicts:#?}"
        );
    }

    #[test]
    fn evidence_is_truncated_on_char_boundary() {
        let s = "é".repeat(200);
        let t = truncate(&s, 301);
        assert!(t.len() <= 304 && t.ends_with('…'));
    }
}
