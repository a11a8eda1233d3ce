//! Grouping chain keys into entities: the steps of [`EntityIndex::finish`](super::EntityIndex::finish).
//!
//! Identity is the name, not the label: keys are compared within a *name class* (persons;
//! places; organizations and MISC together, which the tagger confuses most; each ruler label
//! on its own), and one name under two classes joins only on a vote of its mentions. Every
//! step is a lookup in a map from a blocking key to the groups that have it, never a
//! comparison of all pairs, and a step links a name only to a *unique* candidate group, so
//! articles about other names cannot change a link (see the module doc of `entities`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::aliases::AliasTable;
use super::KeyStats;
use crate::stages::entities::chains::{name_class, Dsu};
use crate::stages::entities::names::{looks_like_acronym, NameSig};

/// A key split into its parts.
pub(super) struct Parsed {
    pub label: String,
    pub class: String,
    pub words: Vec<String>,
    /// A ruler id (`id:<id>`): a group of its own.
    pub forced: bool,
    /// Every surface form looks like an acronym ("NAF", "IS-K").
    pub acronym: bool,
}

fn parse_key(key: &str, st: &KeyStats) -> Parsed {
    let acronym = !st.aliases.is_empty() && st.aliases.keys().all(|a| looks_like_acronym(a));
    if key.starts_with("id:") {
        return Parsed { label: st.label.clone(), class: String::new(), words: Vec::new(), forced: true, acronym };
    }
    let (label, name) = key.split_once(':').unwrap_or((st.label.as_str(), key));
    Parsed {
        label: label.to_string(),
        class: name_class(label).to_string(),
        words: name.split(' ').filter(|w| !w.is_empty()).map(String::from).collect(),
        forced: false,
        acronym,
    }
}

/// The union-find over keys `0..n` and alias groups `n..n + aliases.len()`.
pub(super) struct Resolve<'a> {
    pub keys: &'a [(String, KeyStats)],
    pub parsed: Vec<Parsed>,
    pub dsu: Dsu,
    pub n: usize,
}

impl<'a> Resolve<'a> {
    /// Runs every step in order.
    pub fn run(keys: &'a [(String, KeyStats)], aliases: &AliasTable) -> Resolve<'a> {
        let n = keys.len();
        let parsed = keys.iter().map(|(k, s)| parse_key(k, s)).collect();
        let mut r = Resolve { keys, parsed, dsu: Dsu((0..n + aliases.len()).collect()), n };
        r.same_signature();
        r.curated_aliases(aliases);
        r.person_name_parts();
        r.organization_short_forms();
        r.acronyms();
        r.one_name_two_classes();
        r
    }

    fn named(&self, i: usize, class: &str) -> bool {
        !self.parsed[i].forced && self.parsed[i].class == class
    }

    fn sig(&self, i: usize, words: &[String]) -> NameSig {
        NameSig::of_words(words, self.parsed[i].class == "PER")
    }

    /// Unites `i` with the one group among `cands`, if they are all in one group.
    fn join_unique(&mut self, i: usize, cands: &BTreeSet<usize>) -> bool {
        let roots: BTreeSet<usize> = cands.iter().map(|&j| self.dsu.find(j)).collect();
        if roots.len() != 1 {
            return false;
        }
        let r = *roots.iter().next().expect("one");
        self.dsu.union(r, i);
        true
    }

    /// 1. Same class and signature (spelling and transliteration variants, joiner particles,
    ///    case, diacritics: `names::NameSig`).
    fn same_signature(&mut self) {
        let mut first: HashMap<(String, NameSig), usize> = HashMap::with_capacity(self.n);
        for i in 0..self.n {
            if self.parsed[i].forced {
                continue;
            }
            let key = (self.parsed[i].class.clone(), self.sig(i, &self.parsed[i].words));
            match first.get(&key) {
                Some(&f) => self.dsu.union(f, i),
                None => {
                    first.insert(key, i);
                }
            }
        }
    }

    /// 2. Names in the curated alias table join their alias group ("US", "U.S.", "United
    ///    States"). Persons are never aliased.
    fn curated_aliases(&mut self, aliases: &AliasTable) {
        for i in 0..self.n {
            let p = &self.parsed[i];
            if p.forced || p.class == "PER" {
                continue;
            }
            if let Some(g) = aliases.group_of(&p.words.join(" ")) {
                self.dsu.union(self.n + g, i);
            }
        }
    }

    /// 3. Person names: a multi-word tail of exactly one longer name ("Rahim Qasimi"), a
    ///    first + last name of exactly one longer name with middle names ("Khalil Haqqani" of
    ///    "Khalil Rahman Haqqani"), a lone surname of exactly one full name.
    fn person_name_parts(&mut self) {
        let mut tails: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        let mut ends: HashMap<(NameSig, NameSig), BTreeSet<usize>> = HashMap::new();
        let mut last_word: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        for i in 0..self.n {
            let w = &self.parsed[i].words;
            if !self.named(i, "PER") || w.len() < 2 {
                continue;
            }
            for s in 1..w.len() - 1 {
                tails.entry(self.sig(i, &w[s..])).or_default().insert(i);
            }
            if w.len() >= 3 {
                let key = (self.sig(i, &w[..1]), self.sig(i, &w[w.len() - 1..]));
                ends.entry(key).or_default().insert(i);
            }
            last_word.entry(self.sig(i, &w[w.len() - 1..])).or_default().insert(i);
        }
        for i in 0..self.n {
            let w = self.parsed[i].words.clone();
            if !self.named(i, "PER") {
                continue;
            }
            if w.len() >= 2 {
                if let Some(c) = tails.get(&self.sig(i, &w)) {
                    let c = c.clone();
                    if self.join_unique(i, &c) {
                        continue;
                    }
                }
            }
            if w.len() == 2 {
                if let Some(c) = ends.get(&(self.sig(i, &w[..1]), self.sig(i, &w[1..]))) {
                    let c = c.clone();
                    self.join_unique(i, &c);
                }
            }
        }
        for i in 0..self.n {
            if self.named(i, "PER") && self.parsed[i].words.len() == 1 {
                if let Some(c) = last_word.get(&self.sig(i, &self.parsed[i].words)) {
                    let c = c.clone();
                    self.join_unique(i, &c);
                }
            }
        }
    }

    /// 4. Organization short forms: a name that ends exactly one longer organization name of
    ///    the corpus ("Colts" of "Indianapolis Colts", "Saints"), or a one-word name that
    ///    starts exactly one ("Brennan" of "Brennan Aerospace", "T-Mobile" of "T-Mobile USA").
    ///    Acronyms and curated aliases are left to their own steps.
    fn organization_short_forms(&mut self) {
        let mut suffixes: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        let mut first_word: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        for i in 0..self.n {
            let w = &self.parsed[i].words;
            if !self.named(i, "NAME") || w.len() < 2 {
                continue;
            }
            for s in 1..w.len() {
                suffixes.entry(self.sig(i, &w[s..])).or_default().insert(i);
            }
            first_word.entry(self.sig(i, &w[..1])).or_default().insert(i);
        }
        let aliased: BTreeSet<usize> = (self.n..self.dsu.0.len()).map(|a| self.dsu.find(a)).collect();
        for i in 0..self.n {
            let p = &self.parsed[i];
            if !self.named(i, "NAME") || p.acronym || aliased.contains(&self.dsu.find(i)) {
                continue;
            }
            let sig = self.sig(i, &p.words);
            let one_word = p.words.len() == 1;
            if let Some(c) = suffixes.get(&sig) {
                let c = c.clone();
                if self.join_unique(i, &c) {
                    continue;
                }
            }
            if one_word {
                if let Some(c) = first_word.get(&sig) {
                    let c = c.clone();
                    self.join_unique(i, &c);
                }
            }
        }
    }

    /// 5. Acronyms: an acronym-only name joins its expansion when exactly one is known for
    ///    those letters in the corpus, from definitions ("Northern Alliance Front (NAF)", the
    ///    chains' `acr:` keys), else from the initials of the corpus's multi-word names
    ///    ("USGS" for "U.S. Geological Survey"; three letters or more).
    fn acronyms(&mut self) {
        let mut defined: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        for (i, (_, st)) in self.keys.iter().enumerate() {
            for a in &st.alt_keys {
                let Some(acr) = a.strip_prefix("acr:") else { continue };
                if self.parsed[i].forced || (self.parsed[i].words.len() >= 2 && !self.parsed[i].acronym) {
                    defined.entry(acr.replace(' ', "")).or_default().insert(i);
                }
            }
        }
        let mut initials: HashMap<String, BTreeSet<usize>> = HashMap::new();
        for i in 0..self.n {
            let p = &self.parsed[i];
            if p.forced || p.class == "PER" || p.acronym || p.words.len() < 2 {
                continue;
            }
            for letters in initials_of(&p.words) {
                initials.entry(letters).or_default().insert(i);
            }
        }
        for i in 0..self.n {
            let p = &self.parsed[i];
            if p.forced || p.class == "PER" || !p.acronym {
                continue;
            }
            let letters: String = p.words.concat();
            if let Some(c) = defined.get(&letters) {
                let c = c.clone();
                self.join_unique(i, &c);
            } else if letters.chars().count() >= 3 {
                if let Some(c) = initials.get(&letters) {
                    let c = c.clone();
                    self.join_unique(i, &c);
                }
            }
        }
    }

    /// 6. One name under two classes ("Kandahar" LOC and ORG): the minority joins the
    ///    majority when the majority has at least half again as many mentions and the minority
    ///    is a name of its own (not part of a group of other names, where the difference may be
    ///    real: "Jordan" of "Michael Jordan" and the country).
    fn one_name_two_classes(&mut self) {
        let mut by_name: BTreeMap<String, BTreeMap<&str, (u64, usize)>> = BTreeMap::new();
        for i in 0..self.n {
            if self.parsed[i].forced {
                continue;
            }
            let e = by_name
                .entry(self.parsed[i].words.join(" "))
                .or_default()
                .entry(self.parsed[i].class.as_str())
                .or_insert((0, i));
            e.0 += self.keys[i].1.mentions;
        }
        let mut group_size: HashMap<usize, usize> = HashMap::new();
        for i in 0..self.dsu.0.len() {
            *group_size.entry(self.dsu.find(i)).or_default() += 1;
        }
        let mut joins = Vec::new();
        for classes in by_name.values() {
            if classes.len() < 2 {
                continue;
            }
            let (_, &(top, top_i)) =
                classes.iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0).then_with(|| b.0.cmp(a.0))).expect("non-empty");
            for &(count, i) in classes.values() {
                let alone = group_size.get(&self.dsu.find(i)).copied().unwrap_or(1) == 1;
                if i != top_i && count * 3 <= top * 2 && alone {
                    joins.push((top_i, i));
                }
            }
        }
        for (a, b) in joins {
            self.dsu.union(a, b);
        }
    }
}

/// The letters an acronym of these name words could have: every word's initial, and the
/// initials of the content words only ("of", "the", "and" left out).
fn initials_of(words: &[String]) -> Vec<String> {
    let all: String = words.iter().filter_map(|w| w.chars().next()).collect();
    let mut out = vec![all];
    // `is_acronym_of` knows which words an acronym may skip; keep its content variant.
    let content: String = words
        .iter()
        .filter(|w| !matches!(w.as_str(), "of" | "the" | "and" | "for" | "in" | "on" | "to" | "at" | "de" | "du" | "la"))
        .filter_map(|w| w.chars().next())
        .collect();
    if content != out[0] {
        out.push(content);
    }
    out
}
