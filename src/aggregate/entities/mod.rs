//! Canonical entities across the corpus.
//!
//! [`EntityIndex`] accumulates, per chain key (`LABEL:normalized name`, `id:<ruler id>`),
//! only counts: the surface forms and the mention labels with their counts, the number of
//! mentions and documents, and the chain's alternative keys (acronyms). Indexes built on
//! different threads or shards are combined with [`EntityIndex::merge`]; the result does not
//! depend on the order.
//!
//! [`EntityIndex::finish_with`] groups keys (steps in [`resolve`]): identity is the name, not
//! the tagger's label, so "Taliban" tagged MISC in one article and ORG in the next is one
//! entity, whose label is the vote of its mentions (each mention keeps its own label).
//! 1. Same name class (persons; places; organizations and MISC) and the same `NameSig`:
//!    spelling and transliteration variants ("Qasimi"/"Qasemi"), joiner particles ("Khalil-ur-
//!    Rehman"/"Khalil Rehman"), spaced initials ("U. S."), case, diacritics.
//! 2. The curated alias table ([`aliases`]: "US"/"United States", "Daesh"/"ISIL").
//! 3. Person name parts joining the *only* full name of the corpus they fit: tails ("Rahim
//!    Qasimi"), first + last name ("Khalil Haqqani" of "Khalil Rahman Haqqani"), lone surnames
//!    (with two Karimis, "Karimi" stays apart).
//! 4. Organization short forms: the end of exactly one longer name ("Colts", "Saints"), or a
//!    one-word start of exactly one ("T-Mobile" of "T-Mobile USA").
//! 5. Acronyms: the one expansion defined for those letters in the corpus, else the one
//!    multi-word name whose initials they are ("USGS").
//! 6. One name under two classes joins on a clear vote of its mentions when it is a name of its
//!    own (so "Jordan" of "Michael Jordan" stays apart from the country).
//!
//! Every link needs a *unique* candidate among the names that share a blocking key, so
//! articles that do not use those names cannot change an article's links: adding unrelated
//! articles to a corpus leaves the first corpus's entities as they were (a test pins it).
//! Every step is a map lookup, O(K log K) in the number K of distinct keys.
//! `#ambiguous` chains get no entity.
//!
//! `entity_id` is `"E"` + the first 16 hex digits of SHA-256 over the group's canonical key,
//! `name:<folded name>` (no label): the curated alias name, else the smallest multi-word name
//! of the group, else its smallest name; a ruler id keeps `id:<id>`. When two groups have one
//! canonical name (a person and a place called Jordan), each uses its smallest chain key,
//! which carries the label. The id depends only on the group's names, never on corpus order,
//! thread count or the label vote.

pub mod aliases;
mod resolve;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::doc::Document;
use crate::stages::entities::chains::AMBIGUOUS_SUFFIX;
#[cfg(test)]
use crate::stages::entities::names::name_words;
use crate::stages::entities::names::{lexicons, strip_possessive};
pub use aliases::AliasTable;
use resolve::Resolve;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct KeyStats {
    label: String,
    aliases: BTreeMap<String, u64>,
    /// Mentions per tagger label.
    #[serde(default)]
    labels: BTreeMap<String, u64>,
    mentions: u64,
    docs: u64,
    alt_keys: BTreeSet<String>,
}

impl KeyStats {
    #[allow(dead_code)] // used by `merge`, which a single-process run may not call
    fn absorb(&mut self, o: KeyStats) {
        if self.label.is_empty() || (!o.label.is_empty() && o.label < self.label) {
            // Keep the smallest label so merge order cannot change it.
            self.label = o.label;
        }
        for (a, c) in o.aliases {
            *self.aliases.entry(a).or_default() += c;
        }
        for (l, c) in o.labels {
            *self.labels.entry(l).or_default() += c;
        }
        self.mentions += o.mentions;
        self.docs += o.docs;
        self.alt_keys.extend(o.alt_keys);
    }
}

/// Per-key counts over the documents seen so far (see module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntityIndex {
    keys: HashMap<String, KeyStats>,
}

/// An alias of an entity with the number of mentions written that way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub text: String,
    pub count: u64,
}

/// One canonical entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRecord {
    pub entity_id: String,
    /// The most complete common form.
    pub name: String,
    pub label: String,
    /// Sorted by count (descending), then text.
    pub aliases: Vec<Alias>,
    pub mention_count: u64,
    /// Documents mentioning the entity. Summed over its keys: exact unless one document has
    /// two chains that only the corpus step joins (the stage joins the usual cases first).
    pub doc_count: u64,
}

/// The corpus-wide mapping from chain keys to entities.
#[derive(Debug, Clone, Default)]
pub struct Canon {
    entities: Vec<EntityRecord>,
    by_key: HashMap<String, usize>,
}

impl Canon {
    /// The entity of a chain key, `None` for unknown and `#ambiguous` keys.
    pub fn entity_of(&self, chain_key: &str) -> Option<&str> {
        self.by_key.get(chain_key).map(|&i| self.entities[i].entity_id.as_str())
    }
    /// The entity of mention `m` of `doc` (through its chain).
    #[allow(dead_code)] // convenience for writers; the pipeline may resolve keys itself
    pub fn mention_entity(&self, doc: &Document, m: usize) -> Option<&str> {
        let c = doc.mentions.get(m)?.chain?;
        self.entity_of(&doc.chains.get(c)?.key)
    }
    /// All entities, sorted by `entity_id`.
    pub fn entities(&self) -> &[EntityRecord] {
        &self.entities
    }
}

/// `"E"` + 16 hex digits of SHA-256 of the canonical key.
pub fn entity_id(canonical_key: &str) -> String {
    let h = Sha256::digest(canonical_key.as_bytes());
    let mut s = String::with_capacity(17);
    s.push('E');
    for b in &h[..8] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl EntityIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct chain keys seen.
    #[allow(dead_code)] // for progress reporting and the benchmark
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Records the chains of one document (ambiguous chains are skipped).
    pub fn add(&mut self, doc: &Document) {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for chain in &doc.chains {
            if chain.key.ends_with(AMBIGUOUS_SUFFIX) {
                continue;
            }
            let first = seen.insert(chain.key.as_str());
            // Look up before inserting so the common case does not allocate the key.
            if !self.keys.contains_key(&chain.key) {
                self.keys.insert(chain.key.clone(), KeyStats::default());
            }
            let st = self.keys.get_mut(&chain.key).expect("just inserted");
            if st.label.is_empty() {
                st.label = chain.label.clone();
            }
            for &m in &chain.mentions {
                let Some(men) = doc.mentions.get(m) else { continue };
                let Some(text) = doc.text.get(men.span.start..men.span.end) else { continue };
                let text = strip_possessive(text.trim());
                match st.aliases.get_mut(text) {
                    Some(c) => *c += 1,
                    None => {
                        st.aliases.insert(text.to_string(), 1);
                    }
                }
                match st.labels.get_mut(men.label.as_str()) {
                    Some(c) => *c += 1,
                    None => {
                        st.labels.insert(men.label.clone(), 1);
                    }
                }
                st.mentions += 1;
            }
            if first {
                st.docs += 1;
            }
            for a in &chain.alt_keys {
                if !st.alt_keys.contains(a) {
                    st.alt_keys.insert(a.clone());
                }
            }
        }
    }

    /// Adds another index's counts (order-independent).
    #[allow(dead_code)] // for sharded runs; a single-process run fills one index
    pub fn merge(&mut self, other: EntityIndex) {
        for (k, v) in other.keys {
            self.keys.entry(k).or_default().absorb(v);
        }
    }

    /// Groups the keys into canonical entities with the built-in alias table.
    pub fn finish(self) -> Canon {
        self.finish_with(&AliasTable::builtin())
    }

    /// Groups the keys into canonical entities (see module doc).
    pub fn finish_with(self, aliases: &AliasTable) -> Canon {
        let mut keys: Vec<(String, KeyStats)> = self.keys.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut r = Resolve::run(&keys, aliases);
        let n = keys.len();
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            groups.entry(r.dsu.find(i)).or_default().push(i);
        }
        let alias_of: HashMap<usize, usize> = (0..aliases.len()).map(|g| (r.dsu.find(n + g), g)).collect();
        let canon_keys: Vec<String> = groups
            .iter()
            .map(|(root, members)| canonical_key(&r, members, alias_of.get(root).map(|&g| aliases.canonical(g))))
            .collect();
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for k in &canon_keys {
            *uses.entry(k.as_str()).or_default() += 1;
        }
        let mut entities: Vec<(EntityRecord, Vec<usize>)> = Vec::with_capacity(groups.len());
        for ((_, members), ck) in groups.into_iter().zip(&canon_keys) {
            // Two groups with one canonical name (a person and a place called Jordan): each is
            // told apart by its smallest key, which carries the label.
            let id_key = if uses[ck.as_str()] > 1 { keys[members[0]].0.as_str() } else { ck.as_str() };
            entities.push((record(&keys, &members, id_key, ck), members));
        }
        drop(r);
        entities.sort_by(|a, b| a.0.entity_id.cmp(&b.0.entity_id).then_with(|| keys[a.1[0]].0.cmp(&keys[b.1[0]].0)));
        let mut by_key = HashMap::with_capacity(n);
        let mut out = Vec::with_capacity(entities.len());
        for (idx, (rec, members)) in entities.into_iter().enumerate() {
            for i in members {
                by_key.insert(std::mem::take(&mut keys[i].0), idx);
            }
            out.push(rec);
        }
        Canon { entities: out, by_key }
    }
}

/// The canonical key of a group: its curated alias name, else its ruler id, else the name of its
/// smallest multi-word key, else of its smallest key (`name:<folded words>`, no label).
fn canonical_key(r: &Resolve, members: &[usize], alias: Option<&str>) -> String {
    if let Some(a) = alias {
        return format!("name:{a}");
    }
    if let Some(&i) = members.iter().find(|&&i| r.parsed[i].forced) {
        return r.keys[i].0.clone();
    }
    let i = *members.iter().find(|&&i| r.parsed[i].words.len() >= 2).unwrap_or(&members[0]);
    format!("name:{}", r.parsed[i].words.join(" "))
}

/// The record of one group: label by its mentions' vote, the best name, summed counts.
fn record(keys: &[(String, KeyStats)], members: &[usize], id_key: &str, canon_key: &str) -> EntityRecord {
    let mut aliases: BTreeMap<&str, u64> = BTreeMap::new();
    let mut labels: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut mentions, mut docs) = (0, 0);
    for &i in members {
        let st = &keys[i].1;
        for (a, c) in &st.aliases {
            *aliases.entry(a.as_str()).or_default() += c;
        }
        for (l, c) in &st.labels {
            *labels.entry(l.as_str()).or_default() += c;
        }
        if st.labels.is_empty() {
            *labels.entry(st.label.as_str()).or_default() += st.mentions.max(1);
        }
        mentions += st.mentions;
        docs += st.docs;
    }
    // Most mentions; ties: a typed label over MISC, then the smallest.
    let label = labels
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| (*b.0 == "MISC").cmp(&(*a.0 == "MISC"))).then_with(|| b.0.cmp(a.0)))
        .map_or("", |(l, _)| l);
    let name = best_name(&aliases).unwrap_or_else(|| canon_key.split_once(':').map_or(canon_key, |x| x.1).to_string());
    let mut aliases: Vec<Alias> = aliases.into_iter().map(|(t, c)| Alias { text: t.to_string(), count: c }).collect();
    aliases.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    EntityRecord {
        entity_id: entity_id(id_key),
        name,
        label: label.to_string(),
        aliases,
        mention_count: mentions,
        doc_count: docs,
    }
}

fn all_caps(s: &str) -> bool {
    let mut letters = s.chars().filter(|c| c.is_alphabetic()).peekable();
    letters.peek().is_some() && letters.all(|c| c.is_uppercase())
}

/// Name words and title words of an alias, cheaply (no Unicode normalization: only used
/// to rank aliases): "Gen. Abdul-Rahim Qasimi" -> (3, 1).
fn shape(alias: &str) -> (usize, usize) {
    let titles = &lexicons().title_words;
    let mut words = alias.split(|c: char| c.is_whitespace() || c == '-').filter(|w| !w.is_empty()).peekable();
    let mut n_titles = 0;
    while let Some(w) = words.peek() {
        let w = w.trim_end_matches('.').to_lowercase();
        if titles.contains(&w) {
            n_titles += 1;
            words.next();
        } else {
            break;
        }
    }
    (words.count(), n_titles)
}

/// The most complete common form: among aliases used at least a tenth as often as the most
/// frequent one, prefer mixed case (not a dateline or acronym), then more name words, then
/// fewer titles, then more uses, then the smaller text.
fn best_name(aliases: &BTreeMap<&str, u64>) -> Option<String> {
    let top = aliases.values().copied().max()?;
    let threshold = top.div_ceil(10);
    aliases
        .iter()
        .filter(|(_, &c)| c >= threshold)
        .map(|(t, &c)| {
            let (words, titles) = shape(t);
            ((!all_caps(t), words, std::cmp::Reverse(titles), c), *t)
        })
        .max_by(|(ka, ta), (kb, tb)| ka.cmp(kb).then_with(|| tb.cmp(ta)))
        .map(|(_, t)| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Chain, Mention, MentionSource, Span};

    /// A document whose chains are given directly: `(key, [surface forms], [alt keys])`.
    fn doc(id: &str, chains: &[(&str, &[&str], &[&str])]) -> Document {
        let mut d = Document::new(id, "");
        for (key, forms, alts) in chains {
            let label = if key.starts_with("id:") { "ORG" } else { key.split(':').next().unwrap() };
            let mut ms = Vec::new();
            for f in *forms {
                let start = d.text.len();
                d.text.push_str(f);
                let span = Span::new(start, d.text.len());
                d.text.push(' ');
                ms.push(d.mentions.len());
                d.mentions.push(Mention {
                    span,
                    label: label.into(),
                    score: 0.9,
                    sentence: 0,
                    tokens: 0..1,
                    source: MentionSource::Model,
                    value: None,
                    chain: Some(d.chains.len()),
                });
            }
            d.chains.push(Chain {
                label: label.into(),
                representative: ms[0],
                mentions: ms,
                key: key.to_string(),
                alt_keys: alts.iter().map(|s| s.to_string()).collect(),
            });
        }
        d
    }

    fn canon(docs: &[Document]) -> Canon {
        let mut ix = EntityIndex::new();
        for d in docs {
            ix.add(d);
        }
        ix.finish()
    }

    fn same(c: &Canon, a: &str, b: &str) -> bool {
        c.entity_of(a).is_some() && c.entity_of(a) == c.entity_of(b)
    }

    #[test]
    fn transliteration_variants_merge_across_outlets() {
        let c = canon(&[
            doc("a", &[("PER:abdul rahim qasimi", &["Abdul-Rahim Qasimi", "Qasimi"], &[])]),
            doc("b", &[("PER:abdurrahim qasemi", &["Abdurrahim Qasemi"], &[])]),
            doc("c", &[("PER:abdul rahim qasimi", &["ABDUL RAHIM QASIMI"], &[])]),
            doc(
                "d",
                &[
                    ("PER:mohammad nabi", &["Mohammad Nabi"], &[]),
                    ("PER:muhammad nabi", &["Muhammad Nabi"], &[]),
                    ("PER:mohamed nabi", &["Mohamed Nabi"], &[]),
                ],
            ),
        ]);
        assert!(same(&c, "PER:abdul rahim qasimi", "PER:abdurrahim qasemi"));
        assert!(same(&c, "PER:mohammad nabi", "PER:mohamed nabi"));
        assert_eq!(c.entities().len(), 2);
        let q = c.entities().iter().find(|e| e.aliases.iter().any(|a| a.text == "Qasimi")).unwrap();
        assert_eq!(q.mention_count, 4);
        assert_eq!(q.doc_count, 3);
        // Mixed case and the most words beat the all-caps dateline form.
        assert_eq!(q.name, "Abdul-Rahim Qasimi");
        assert_eq!(q.label, "PER");
    }

    #[test]
    fn different_people_sharing_a_surname_stay_apart() {
        let c = canon(&[
            doc("a", &[("PER:ahmad karimi", &["Ahmad Karimi"], &[]), ("PER:javed karimi", &["Javed Karimi"], &[])]),
            doc("b", &[("PER:karimi", &["Karimi"], &[])]),
            doc("c", &[("ORG:karimi group", &["Karimi Group"], &[])]),
            doc("d", &[("PER:karimi#ambiguous", &["Karimi"], &[])]),
        ]);
        assert!(!same(&c, "PER:ahmad karimi", "PER:javed karimi"));
        // Two full names end in Karimi: the bare surname links to neither.
        assert!(!same(&c, "PER:karimi", "PER:ahmad karimi") && !same(&c, "PER:karimi", "PER:javed karimi"));
        assert!(!same(&c, "ORG:karimi group", "PER:karimi"));
        assert_eq!(c.entity_of("PER:karimi#ambiguous"), None);
        assert_eq!(c.entities().len(), 4);
    }

    #[test]
    fn lone_surname_joins_the_only_full_name() {
        let c = canon(&[
            doc("a", &[("PER:abdul rahim qasimi", &["Abdul Rahim Qasimi"], &[])]),
            doc("b", &[("PER:qasemi", &["Gen. Qasemi"], &[])]),
            doc("c", &[("PER:rahim qasimi", &["Rahim Qasimi"], &[])]),
        ]);
        assert!(same(&c, "PER:qasemi", "PER:abdul rahim qasimi"));
        assert!(same(&c, "PER:rahim qasimi", "PER:abdul rahim qasimi"));
        assert_eq!(c.entities().len(), 1);
        // The canonical key is the smallest multi-word one, whatever came first.
        assert_eq!(c.entities()[0].entity_id, entity_id("name:abdul rahim qasimi"));
    }

    #[test]
    fn city_and_province_and_labels_stay_apart() {
        let c = canon(&[doc(
            "a",
            &[
                ("LOC:kandahar", &["Kandahar"], &[]),
                ("LOC:kandahar province", &["Kandahar province"], &[]),
                ("ORG:kandahar", &["Kandahar"], &[]),
            ],
        )]);
        assert_eq!(c.entities().len(), 3);
    }

    #[test]
    fn acronyms_link_across_documents_only_when_unique() {
        let c = canon(&[
            doc("a", &[("ORG:northern alliance front", &["Northern Alliance Front", "NAF"], &["acr:naf"])]),
            doc("b", &[("ORG:naf", &["NAF"], &["acr:naf"])]),
            doc(
                "c",
                &[
                    ("ORG:national archive foundation", &["National Archive Foundation"], &[]),
                    ("ORG:ttp", &["TTP"], &["acr:ttp"]),
                ],
            ),
        ]);
        assert!(same(&c, "ORG:naf", "ORG:northern alliance front"));
        let naf = c.entities().iter().find(|e| e.entity_id == c.entity_of("ORG:naf").unwrap()).unwrap();
        assert_eq!(naf.name, "Northern Alliance Front");
        assert_eq!(
            naf.aliases,
            vec![Alias { text: "NAF".into(), count: 2 }, Alias { text: "Northern Alliance Front".into(), count: 1 }]
        );
        // A second expansion for the same letters: the bare acronym stays apart.
        let c = canon(&[
            doc("a", &[("ORG:northern alliance front", &["Northern Alliance Front"], &["acr:naf"])]),
            doc("b", &[("ORG:national action forum", &["National Action Forum"], &["acr:naf"])]),
            doc("c", &[("ORG:naf", &["NAF"], &["acr:naf"])]),
        ]);
        assert_eq!(c.entities().len(), 3);
    }

    #[test]
    fn ids_are_stable_across_order_and_sharding() {
        let docs = vec![
            doc("a", &[("PER:abdul rahim qasimi", &["Abdul Rahim Qasimi"], &[]), ("LOC:kabul", &["Kabul"], &[])]),
            doc(
                "b",
                &[
                    ("PER:abdurrahim qasemi", &["Abdurrahim Qasemi"], &[]),
                    ("ORG:northern alliance front", &["Northern Alliance Front"], &["acr:naf"]),
                ],
            ),
            doc("c", &[("ORG:naf", &["NAF"], &["acr:naf"]), ("LOC:kabul", &["KABUL"], &[])]),
            doc("d", &[("id:karimi-group", &["Karimi Group", "KG"], &[])]),
        ];
        let a = canon(&docs);
        let rev: Vec<Document> = docs.iter().rev().cloned().collect();
        let b = canon(&rev);
        let (mut s1, mut s2) = (EntityIndex::new(), EntityIndex::new());
        s1.add(&docs[2]);
        s1.add(&docs[0]);
        s2.add(&docs[3]);
        s2.add(&docs[1]);
        s2.merge(s1);
        let c = s2.finish();
        assert_eq!(a.entities(), b.entities());
        assert_eq!(a.entities(), c.entities());
        let ids: Vec<&str> = a.entities().iter().map(|e| e.entity_id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert_eq!(a.entity_of("id:karimi-group").unwrap(), entity_id("id:karimi-group"));
    }

    #[test]
    fn one_name_under_two_labels_is_one_entity_labelled_by_its_mentions() {
        let c = canon(&[
            doc("a", &[("MISC:taliban", &["Taliban", "Taliban", "Taliban"], &[])]),
            doc("b", &[("ORG:taliban", &["Taliban", "Taliban"], &[])]),
            doc("c", &[("ORG:us geological survey", &["U.S. Geological Survey"], &[])]),
            doc("d", &[("MISC:us geological survey", &["U. S. Geological Survey"], &[])]),
        ]);
        assert!(same(&c, "MISC:taliban", "ORG:taliban"));
        let t = c.entities().iter().find(|e| e.name == "Taliban").unwrap();
        assert_eq!((t.label.as_str(), t.mention_count, t.doc_count), ("MISC", 5, 2));
        assert_eq!(t.entity_id, entity_id("name:taliban"));
        assert!(same(&c, "ORG:us geological survey", "MISC:us geological survey"));
    }

    #[test]
    fn a_label_wavering_in_one_article_is_outvoted_by_the_other_outlets() {
        // An airline tagged LOC by three outlets and ORG by a fourth that names it three times.
        let c = canon(&[
            doc("a", &[("LOC:aeroandino", &["AeroAndino"], &[])]),
            doc("b", &[("LOC:aeroandino", &["AeroAndino"], &[])]),
            doc("c", &[("LOC:aeroandino", &["AeroAndino", "AeroAndino"], &[])]),
            doc("d", &[("ORG:aeroandino", &["AeroAndino", "AeroAndino", "AeroAndino"], &[])]),
        ]);
        assert!(same(&c, "LOC:aeroandino", "ORG:aeroandino"));
        let e = c.entities().iter().find(|e| e.name == "AeroAndino").unwrap();
        assert_eq!((e.label.as_str(), e.mention_count, e.doc_count), ("LOC", 7, 4));
        // One document against one is no vote: the mentions decide, or nothing joins.
        let c = canon(&[
            doc("a", &[("LOC:aeroandino", &["AeroAndino", "AeroAndino"], &[])]),
            doc("b", &[("ORG:aeroandino", &["AeroAndino", "AeroAndino"], &[])]),
        ]);
        assert!(!same(&c, "LOC:aeroandino", "ORG:aeroandino"));
    }

    #[test]
    fn a_person_and_a_place_with_one_name_stay_apart() {
        let c = canon(&[
            doc("a", &[("PER:michael jordan", &["Michael Jordan", "Jordan"], &[])]),
            doc("b", &[("PER:jordan", &["Jordan"], &[])]),
            doc("c", &[("LOC:jordan", &["Jordan", "Jordan", "Jordan"], &[])]),
        ]);
        assert!(same(&c, "PER:jordan", "PER:michael jordan"));
        assert!(!same(&c, "PER:jordan", "LOC:jordan"));
        // Different referents, different ids, though the place's name is the person's surname.
        let ids: BTreeSet<&str> = c.entities().iter().map(|e| e.entity_id.as_str()).collect();
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn name_variants_particles_and_dropped_middle_names() {
        let c = canon(&[
            doc("a", &[("PER:khalil rahman haqqani", &["Khalil Rahman Haqqani"], &[])]),
            doc("b", &[("PER:khalil ur rehman haqqani", &["Khalil-ur-Rehman Haqqani"], &[])]),
            doc("c", &[("PER:khalil haqqani", &["Khalil Haqqani"], &[])]),
            doc("d", &[("PER:sirajuddin haqqani", &["Sirajuddin Haqqani"], &[])]),
        ]);
        assert!(same(&c, "PER:khalil rahman haqqani", "PER:khalil ur rehman haqqani"));
        assert!(same(&c, "PER:khalil haqqani", "PER:khalil rahman haqqani"));
        assert!(!same(&c, "PER:sirajuddin haqqani", "PER:khalil haqqani"));
        // Two longer names fit "Ahmad Karimi": it joins neither.
        let c = canon(&[
            doc("a", &[("PER:ahmad shah karimi", &["Ahmad Shah Karimi"], &[])]),
            doc("b", &[("PER:ahmad zia karimi", &["Ahmad Zia Karimi"], &[])]),
            doc("c", &[("PER:ahmad karimi", &["Ahmad Karimi"], &[])]),
        ]);
        assert_eq!(c.entities().len(), 3);
    }

    #[test]
    fn organization_short_forms_join_the_only_longer_name() {
        let c = canon(&[
            doc("a", &[("ORG:indianapolis colts", &["Indianapolis Colts"], &[])]),
            doc("b", &[("ORG:colts", &["Colts"], &[])]),
            doc("c", &[("ORG:t mobile usa", &["T-Mobile USA"], &[])]),
            doc("d", &[("ORG:t mobile", &["T-Mobile"], &[])]),
            doc("e", &[("ORG:interior ministry", &["Interior Ministry"], &[])]),
            doc("f", &[("ORG:defence ministry", &["Defence Ministry"], &[])]),
            doc("g", &[("ORG:ministry", &["Ministry"], &[])]),
        ]);
        assert!(same(&c, "ORG:colts", "ORG:indianapolis colts"));
        assert!(same(&c, "ORG:t mobile", "ORG:t mobile usa"));
        // Two ministries: "Ministry" alone is neither.
        assert!(
            !same(&c, "ORG:ministry", "ORG:interior ministry") && !same(&c, "ORG:ministry", "ORG:defence ministry")
        );
    }

    #[test]
    fn acronyms_from_initials_and_curated_aliases() {
        let c = canon(&[
            doc("a", &[("ORG:us geological survey", &["U.S. Geological Survey"], &[])]),
            doc("b", &[("ORG:usgs", &["USGS"], &[])]),
            doc("c", &[("ORG:islamic state khorasan province", &["Islamic State Khorasan Province"], &[])]),
            doc("d", &[("ORG:isis k", &["ISIS-K"], &[]), ("ORG:is k", &["IS-K"], &[])]),
            doc("e", &[("LOC:us", &["US"], &[]), ("LOC:united states", &["United States"], &[])]),
            doc("f", &[("ORG:us", &["U.S."], &[])]),
        ]);
        assert!(same(&c, "ORG:usgs", "ORG:us geological survey"));
        assert!(same(&c, "ORG:isis k", "ORG:islamic state khorasan province"));
        assert!(same(&c, "ORG:is k", "ORG:islamic state khorasan province"));
        assert!(same(&c, "LOC:us", "LOC:united states") && same(&c, "ORG:us", "LOC:united states"));
        // The id of an aliased entity is its curated name's, whichever forms a corpus uses.
        assert_eq!(c.entity_of("LOC:us").unwrap(), entity_id("name:united states"));
        // Without the table, "US" is its own entity.
        let mut ix = EntityIndex::new();
        ix.add(&doc("e", &[("LOC:us", &["US"], &[]), ("LOC:united states", &["United States"], &[])]));
        let c = ix.finish_with(&AliasTable::default());
        assert!(!same(&c, "LOC:us", "LOC:united states"));
    }

    #[test]
    fn fuller_person_forms_link_from_the_most_specific_down() {
        let c = canon(&[
            doc("a", &[("PER:frederick cheney larue", &["Frederick Cheney LaRue"], &[])]),
            doc("b", &[("PER:frederick c larue", &["Frederick C. LaRue"], &[])]),
            doc("c", &[("PER:frederick larue", &["Frederick LaRue"], &[])]),
            doc("d", &[("PER:fred larue", &["Fred LaRue"], &[]), ("PER:joyce larue", &["Joyce LaRue"], &[])]),
            doc("e", &[("PER:vincent gigante", &["Vincent Gigante"], &[])]),
            doc("f", &[("PER:vincent", &["Vincent"], &[])]),
        ]);
        for k in ["PER:frederick c larue", "PER:frederick larue", "PER:fred larue"] {
            assert!(same(&c, k, "PER:frederick cheney larue"), "{k}");
        }
        assert!(!same(&c, "PER:joyce larue", "PER:fred larue"));
        // No full name ends in "Vincent": the one that starts with it takes it.
        assert!(same(&c, "PER:vincent", "PER:vincent gigante"));
    }

    #[test]
    fn a_place_named_x_of_y_is_called_x() {
        let c = canon(&[
            doc("a", &[("LOC:gulf of aden", &["Gulf of Aden"; 5], &[])]),
            doc("b", &[("LOC:gulf", &["Gulf"], &[])]),
        ]);
        assert!(same(&c, "LOC:gulf", "LOC:gulf of aden"));
    }

    /// Adding articles about other names never changes the first corpus's entities.
    #[test]
    fn unrelated_documents_leave_links_and_ids_unchanged() {
        let first = vec![
            doc("a", &[("PER:scott peterson", &["Scott Peterson"], &[]), ("ORG:indianapolis colts", &["Colts"], &[])]),
            doc("b", &[("PER:peterson", &["Peterson"], &[]), ("ORG:colts", &["Colts"], &[])]),
            doc("c", &[("MISC:taliban", &["Taliban"], &[]), ("ORG:naf", &["NAF"], &["acr:naf"])]),
            doc("d", &[("ORG:northern alliance front", &["Northern Alliance Front"], &["acr:naf"])]),
        ];
        let other = vec![
            doc("x", &[("PER:reggie bush", &["Reggie Bush"], &[]), ("ORG:new orleans saints", &["Saints"], &[])]),
            doc("y", &[("LOC:athens", &["Athens"], &[]), ("ORG:ttp", &["TTP"], &[])]),
        ];
        let a = canon(&first);
        let mut all = first.clone();
        all.extend(other);
        let b = canon(&all);
        for e in a.entities() {
            let again = b.entities().iter().find(|x| x.entity_id == e.entity_id).expect("same id");
            assert_eq!(again, e);
        }
        for k in ["PER:peterson", "ORG:colts", "ORG:naf", "MISC:taliban"] {
            assert_eq!(a.entity_of(k), b.entity_of(k), "{k}");
        }
    }

    /// Outlets reporting the same events with different spellings, end to end through the
    /// entities stage.
    #[test]
    fn end_to_end_across_outlets() {
        use crate::stages::entities::testdoc::doc_published;
        use crate::stages::entities::{extract, EntityConfig};
        let specs = [
            "KABUL/ORG , Afghanistan/LOC — Gen. Abdul/PER ~- ~Rahim/PER Qasimi/PER , the governor of Kandahar/LOC province , said on Wednesday that the Northern/ORG Alliance/ORG Front/ORG ( NAF/ORG ) had claimed the attack , which killed 12 people . || Qasimi/PER ~'s office gave no details .",
            "Abdurrahim/PER Qasemi/PER , the provincial governor , denied that NAF/ORG fighters were involved . || Afghan/ORG officials said 40 percent of the district was cut off .",
            "The uncle , Ahmad/PER Karimi/PER , and the nephew , Javed/PER Karimi/PER , both work for the Karimi/ORG Group/ORG . || Karimi/PER declined to comment .",
            "KANDAHAR/LOC , Afghanistan/LOC — Mullah/PER QASIMI/PER met elders in Kandahar/LOC city on Dec. 9 .",
        ];
        let mut docs: Vec<Document> = specs.iter().map(|s| doc_published(s, Some("2024-12-11"))).collect();
        for (i, d) in docs.iter_mut().enumerate() {
            d.id = format!("doc{i}");
            extract(d, &EntityConfig::default());
        }
        let mut ix = EntityIndex::new();
        for d in &docs {
            ix.add(d);
        }
        let c = ix.finish();
        let ent = |d: usize, text: &str| {
            let m = docs[d]
                .mentions
                .iter()
                .position(|m| docs[d].slice(m.span) == text)
                .unwrap_or_else(|| panic!("no mention {text}"));
            c.mention_entity(&docs[d], m).map(String::from)
        };
        // One governor across four spellings and a title.
        let q = ent(0, "Abdul-Rahim Qasimi").unwrap();
        assert_eq!(ent(1, "Abdurrahim Qasemi").as_ref(), Some(&q));
        assert_eq!(ent(3, "QASIMI").as_ref(), Some(&q));
        let rec = c.entities().iter().find(|e| e.entity_id == q).unwrap();
        assert_eq!(
            (rec.name.as_str(), rec.label.as_str(), rec.doc_count, rec.mention_count),
            ("Abdul-Rahim Qasimi", "PER", 3, 4)
        );
        // The acronym used alone by the second outlet is the front defined by the first.
        assert_eq!(ent(1, "NAF"), ent(0, "Northern Alliance Front"));
        // Demonym, family firm, two Karimis and an undecidable bare "Karimi".
        assert_eq!(
            c.entities().iter().find(|e| Some(&e.entity_id) == ent(1, "Afghan").as_ref()).unwrap().label,
            "MISC"
        );
        let (ahmad, javed, firm) = (ent(2, "Ahmad Karimi"), ent(2, "Javed Karimi"), ent(2, "Karimi Group"));
        assert!(ahmad.is_some() && ahmad != javed && firm != ahmad && firm != javed);
        assert_eq!(ent(2, "Karimi"), None);
        // City, province and all-caps dateline.
        assert_eq!(ent(3, "KANDAHAR"), ent(3, "Kandahar"));
        // "Kandahar" (province; the mention is the name alone) vs the city.
        assert_ne!(ent(0, "Kandahar"), ent(3, "Kandahar"));
        assert!(ent(0, "Kandahar").is_some());
        // Values carry no entity.
        assert_eq!(ent(0, "12"), None);
        let ids: BTreeSet<&str> = c.entities().iter().map(|e| e.entity_id.as_str()).collect();
        assert_eq!(ids.len(), c.entities().len());
    }

    /// Synthetic corpus: `docs` documents, 10 mentions each (5 chains of full name +
    /// surname), names drawn from a pool with spelling variants. Returns (distinct keys,
    /// entities, seconds in `add`, seconds in `finish`); building the documents is not timed.
    pub(crate) fn bench(docs: usize) -> (usize, usize, f64, f64) {
        let first =
            ["Abdul Rahim", "Abdurrahim", "Mohammad", "Muhammad", "Ahmad", "Javed", "Gul", "Nasir", "Hamid", "Zahir"];
        let last = ["Qasimi", "Qasemi", "Karimi", "Ahmadzai", "Popal", "Noori", "Nuri", "Safi", "Wardak", "Hotak"];
        let mut corpus = Vec::with_capacity(docs);
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for d in 0..docs {
            let mut chains: Vec<(String, Vec<String>)> = Vec::new();
            for _ in 0..5 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let f = first[(x % 10) as usize];
                let l = last[((x >> 8) % 10) as usize];
                let fam = (x >> 16) % 20_000; // 20k families -> ~2M possible distinct names
                let surname = format!("{l}{fam}");
                let full = format!("{f} {surname}");
                let key = format!("PER:{}", name_words(&full, "PER").join(" "));
                chains.push((key, vec![full, surname]));
            }
            let mut doc = Document::new(format!("d{d}"), "");
            for (key, forms) in chains {
                let mut ms = Vec::new();
                for f in forms {
                    let s = doc.text.len();
                    doc.text.push_str(&f);
                    doc.text.push(' ');
                    ms.push(doc.mentions.len());
                    doc.mentions.push(Mention {
                        span: Span::new(s, s + f.len()),
                        label: "PER".into(),
                        score: 1.0,
                        sentence: 0,
                        tokens: 0..1,
                        source: MentionSource::Model,
                        value: None,
                        chain: Some(doc.chains.len()),
                    });
                }
                doc.chains.push(Chain {
                    label: "PER".into(),
                    representative: ms[0],
                    mentions: ms,
                    key,
                    alt_keys: vec![],
                });
            }
            corpus.push(doc);
        }
        let t0 = std::time::Instant::now();
        let mut ix = EntityIndex::new();
        for d in &corpus {
            ix.add(d);
        }
        let keys = ix.key_count();
        let t1 = std::time::Instant::now();
        let c = ix.finish();
        (keys, c.entities().len(), (t1 - t0).as_secs_f64(), t1.elapsed().as_secs_f64())
    }

    /// `cargo test --release -- --ignored bench_million --nocapture`
    #[test]
    #[ignore]
    fn bench_million_mentions() {
        let (keys, ents, add, finish) = bench(100_000);
        eprintln!(
            "1,000,000 mentions (100,000 docs): add {add:.2}s, finish {finish:.2}s: {keys} keys -> {ents} entities"
        );
    }

    #[test]
    fn bench_small_runs() {
        let (keys, ents, _, _) = bench(500);
        assert!(keys > 0 && ents > 0 && ents <= keys);
    }
}
