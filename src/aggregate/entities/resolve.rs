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
use crate::stages::entities::chains::{all_demonyms, name_class, Dsu};
use crate::stages::entities::names::{self, looks_like_acronym, NameSig};

/// A key split into its parts.
pub(super) struct Parsed {
    pub class: String,
    pub words: Vec<String>,
    /// A ruler id (`id:<id>`): a group of its own.
    pub forced: bool,
    /// Every surface form looks like an acronym ("NAF", "IS-K").
    pub acronym: bool,
    /// Signatures of the whole name, its first word and its last word (computed once).
    pub sig: NameSig,
    pub first: NameSig,
    pub last: NameSig,
}

fn parse_key(key: &str, st: &KeyStats) -> Parsed {
    // All capitals and short, or dotted/hyphenated ("NAF", "USGS", "IS-K"); "CHIEFS" in a
    // headline is a word.
    let acronym = !st.aliases.is_empty()
        && st.aliases.keys().all(|a| {
            looks_like_acronym(a) && (a.chars().filter(|c| c.is_alphabetic()).count() <= 5 || a.contains(['-', '.']))
        });
    if key.starts_with("id:") {
        let none = NameSig::of_joined("", false);
        return Parsed {
            class: String::new(),
            words: Vec::new(),
            forced: true,
            acronym,
            sig: none.clone(),
            first: none.clone(),
            last: none,
        };
    }
    let (label, name) = key.split_once(':').unwrap_or((st.label.as_str(), key));
    let words: Vec<String> = name.split(' ').filter(|w| !w.is_empty()).map(String::from).collect();
    // A facility ("Betty Ford Center", "Promises Treatment Centre") is tagged a place or an
    // organization at random: compare it with organizations.
    let facility = label == "LOC" && words.len() >= 2 && words.last().is_some_and(|w| FACILITIES.contains(&w.as_str()));
    let class = if facility { "NAME".to_string() } else { name_class(label).to_string() };
    let person = class == "PER";
    let sig_of = |w: &[String]| NameSig::of_words(w, person);
    let (sig, first, last) = match words.len() {
        0 => (sig_of(&words), sig_of(&words), sig_of(&words)),
        n => (sig_of(&words), sig_of(&words[..1]), sig_of(&words[n - 1..])),
    };
    Parsed { class, sig, first, last, words, forced: false, acronym }
}

/// Head words of facility names.
const FACILITIES: &[&str] = &[
    "center",
    "centre",
    "hospital",
    "clinic",
    "airport",
    "stadium",
    "arena",
    "university",
    "college",
    "school",
    "hotel",
    "prison",
    "jail",
    "mosque",
    "church",
    "cathedral",
    "temple",
    "museum",
    "library",
    "base",
    "station",
    "embassy",
    "consulate",
    "palace",
    "mall",
    "market",
    "park",
    "theater",
    "theatre",
];

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

    /// Unites `i` with the group that holds nearly all of `cands`' mentions (at least
    /// [`DOMINANCE`] times the rest: "Chiefs" of "Kansas City Chiefs", not of a headline's
    /// "Grinch in Chiefs"), or with the one group if there is one.
    fn join_dominant(&mut self, i: usize, cands: &BTreeSet<usize>) -> bool {
        // Candidates already in `i`'s group ("IR as New Orleans" beside "New Orleans") are no
        // evidence either way.
        let own = self.dsu.find(i);
        let mut by_root: BTreeMap<usize, u64> = BTreeMap::new();
        for &j in cands {
            let r = self.dsu.find(j);
            if r != own {
                *by_root.entry(r).or_default() += self.keys[j].1.mentions;
            }
        }
        let total: u64 = by_root.values().sum();
        let Some((&r, &top)) = by_root.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))) else {
            return false;
        };
        if by_root.len() > 1 && top < DOMINANCE * (total - top) {
            return false;
        }
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
            let key = (self.parsed[i].class.clone(), self.parsed[i].sig.clone());
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
    ///    less specific form of exactly one fuller name with the same surname (dropped middle
    ///    names, "Khalil Haqqani" of "Khalil Rahman Haqqani"; short or initial first names,
    ///    "Fred LaRue" of "Frederick C. LaRue", "Mo Cheeks" of "Maurice Cheeks"), a lone
    ///    surname of exactly one full name.
    fn person_name_parts(&mut self) {
        let mut tails: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        let mut by_surname: HashMap<NameSig, Vec<usize>> = HashMap::new();
        for i in 0..self.n {
            let w = &self.parsed[i].words;
            if !self.named(i, "PER") || w.len() < 2 {
                continue;
            }
            for s in 1..w.len() - 1 {
                tails.entry(self.sig(i, &w[s..])).or_default().insert(i);
                // Also multi-word starts: "Abdul Wadood" of "Abdul Wadood Achakzai".
                tails.entry(self.sig(i, &w[..s + 1])).or_default().insert(i);
            }
            by_surname.entry(self.parsed[i].last.clone()).or_default().push(i);
        }
        // Most specific names first, so that a chain of ever shorter forms ("Frederick Cheney
        // LaRue", "Frederick C. LaRue", "Frederick LaRue", "Fred LaRue") links up.
        let mut order: Vec<usize> =
            (0..self.n).filter(|&i| self.named(i, "PER") && self.parsed[i].words.len() >= 2).collect();
        let size = |p: &Parsed| (p.words.len(), p.words.iter().map(String::len).sum::<usize>());
        order.sort_by(|&a, &b| size(&self.parsed[b]).cmp(&size(&self.parsed[a])).then(a.cmp(&b)));
        for i in order {
            if let Some(c) = tails.get(&self.parsed[i].sig) {
                let c = c.clone();
                if self.join_unique(i, &c) {
                    continue;
                }
            }
            let Some(bucket) = by_surname.get(&self.parsed[i].last) else { continue };
            if bucket.len() > MAX_SURNAME_BUCKET {
                continue;
            }
            let fuller: BTreeSet<usize> = bucket
                .iter()
                .copied()
                .filter(|&j| {
                    let (a, b) = (&self.parsed[i], &self.parsed[j]);
                    j != i && fuller_form(&a.words, &b.words, a.first == b.first)
                })
                .collect();
            self.join_unique(i, &fuller);
        }
        // Lone names: the surname of exactly one full name, else (no full name has it as a
        // surname) the first name of exactly one ("Vincent" of "Vincent Gigante").
        let mut by_first: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        for c in by_surname.values() {
            for &j in c {
                by_first.entry(self.parsed[j].first.clone()).or_default().insert(j);
            }
        }
        for i in 0..self.n {
            if !self.named(i, "PER") || self.parsed[i].words.len() != 1 {
                continue;
            }
            let sig = self.parsed[i].sig.clone();
            if let Some(c) = by_surname.get(&sig) {
                let c: BTreeSet<usize> = c.iter().copied().collect();
                self.join_unique(i, &c);
            } else if let Some(c) = by_first.get(&sig) {
                let c = c.clone();
                self.join_unique(i, &c);
            }
        }
    }

    /// 4. Organization short forms: a name that ends exactly one longer organization name of
    ///    the corpus ("Colts" of "Indianapolis Colts", "Saints"), or that starts exactly one
    ///    ("Brennan" of "Brennan Aerospace", "T-Mobile" of "T-Mobile USA"; "Microsoft" starts
    ///    several unit names and stays the company); and a place's head ("Gulf" of "Gulf of
    ///    Aden"). Acronyms and curated aliases are left to their own steps.
    fn organization_short_forms(&mut self) {
        let mut suffixes: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        let mut prefixes: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        for i in 0..self.n {
            let w = &self.parsed[i].words;
            if !self.named(i, "NAME") || w.len() < 2 || self.parsed[i].acronym || all_demonyms(w) {
                continue;
            }
            for s in 1..w.len() {
                suffixes.entry(self.sig(i, &w[s..])).or_default().insert(i);
                prefixes.entry(self.sig(i, &w[..s])).or_default().insert(i);
            }
        }
        // Places named "X of Y" ("Gulf of Aden", "Strait of Hormuz") are called "the X" for short.
        let mut place_heads: HashMap<NameSig, BTreeSet<usize>> = HashMap::new();
        for i in 0..self.n {
            let w = &self.parsed[i].words;
            if self.named(i, "LOC") && w.len() >= 3 && w[1] == "of" {
                place_heads.entry(self.parsed[i].first.clone()).or_default().insert(i);
            }
        }
        for i in 0..self.n {
            if self.named(i, "LOC") && self.parsed[i].words.len() == 1 {
                if let Some(c) = place_heads.get(&self.parsed[i].sig) {
                    let c = c.clone();
                    self.join_dominant(i, &c);
                }
            }
        }
        let aliased: BTreeSet<usize> = (self.n..self.dsu.0.len()).map(|a| self.dsu.find(a)).collect();
        for i in 0..self.n {
            let p = &self.parsed[i];
            if !self.named(i, "NAME") || p.acronym || all_demonyms(&p.words) || aliased.contains(&self.dsu.find(i)) {
                continue;
            }
            let sig = self.parsed[i].sig.clone();
            for index in [&suffixes, &prefixes] {
                if let Some(c) = index.get(&sig) {
                    let c = c.clone();
                    if self.join_dominant(i, &c) {
                        break;
                    }
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
            let (all, content) = names::initials(&p.words);
            initials.entry(content).or_default().insert(i);
            initials.entry(all).or_default().insert(i);
        }
        for i in 0..self.n {
            let p = &self.parsed[i];
            if p.forced || !p.acronym {
                continue;
            }
            let letters: String = p.words.concat();
            if let Some(c) = defined.get(&letters) {
                let c = c.clone();
                self.join_unique(i, &c);
            } else if letters.chars().count() >= 3 && p.class != "PER" {
                if let Some(c) = initials.get(&letters) {
                    let c = c.clone();
                    self.join_unique(i, &c);
                }
            }
        }
    }

    /// 6. One name under two classes ("Kandahar" LOC and ORG): the minority joins the
    ///    majority when the majority has at least half again as many mentions, or is written
    ///    so by at least half again as many documents (one article repeating a wavering label
    ///    is one source against the others), and the minority is a name of its own (not part
    ///    of a group of other names, where the difference may be real: "Jordan" of "Michael
    ///    Jordan" and the country).
    fn one_name_two_classes(&mut self) {
        // Per name and class: (documents, mentions, first key).
        let mut by_name: HashMap<String, BTreeMap<&str, (u64, u64, usize)>> = HashMap::new();
        for i in 0..self.n {
            if self.parsed[i].forced {
                continue;
            }
            let e = by_name
                .entry(self.parsed[i].words.join(" "))
                .or_default()
                .entry(self.parsed[i].class.as_str())
                .or_insert((0, 0, i));
            e.0 += self.keys[i].1.docs;
            e.1 += self.keys[i].1.mentions;
        }
        // A group whose other names all extend this one at its end ("Deep Throat-a" of "Deep
        // Throat") is still a name of its own; "Michael Jordan" of "Jordan" is not.
        by_name.retain(|_, classes| classes.len() >= 2);
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.n {
            members.entry(self.dsu.find(i)).or_default().push(i);
        }
        let aliased: BTreeSet<usize> = (self.n..self.dsu.0.len()).map(|a| self.dsu.find(a)).collect();
        let mut variants_only: HashMap<usize, bool> = HashMap::new();
        for classes in by_name.values() {
            for &(_, _, i) in classes.values() {
                let w = &self.parsed[i].words;
                let ok = members[&self.dsu.find(i)].iter().all(|&j| self.parsed[j].words.starts_with(w));
                variants_only.insert(i, ok);
            }
        }
        let mut joins = Vec::new();
        for classes in by_name.values() {
            if classes.len() < 2 {
                continue;
            }
            let (_, &(top_docs, top, top_i)) = classes
                .iter()
                .max_by(|a, b| (a.1 .0, a.1 .1).cmp(&(b.1 .0, b.1 .1)).then_with(|| b.0.cmp(a.0)))
                .expect("non-empty");
            for &(docs, count, i) in classes.values() {
                let root = self.dsu.find(i);
                let alone = (members[&root].len() == 1 && !aliased.contains(&root)) || variants_only[&i];
                let outvoted = count * 3 <= top * 2 || docs * 3 <= top_docs * 2;
                if i != top_i && outvoted && alone {
                    joins.push((top_i, i));
                }
            }
        }
        for (a, b) in joins {
            self.dsu.union(a, b);
        }
    }
}

/// How many times the mentions of all other candidates one candidate group of an organization
/// short form must have to take it.
const DOMINANCE: u64 = 5;

/// Surnames shared by more full names than this are too common to link less specific forms by.
const MAX_SURNAME_BUCKET: usize = 64;

/// Whether `b` is a fuller form of the person name `a` with the same surname (checked by the
/// caller): as many words or more, a first name and (if `a` has one) a first middle name that
/// `a`'s can be written for ([`part_ok`]), and longer somewhere: more words, or a longer first
/// or middle name. Equal forms are not fuller.
fn fuller_form(a: &[String], b: &[String], same_first: bool) -> bool {
    if b.len() < a.len() || a.len() > 3 || b.len() > 4 {
        return false;
    }
    let (am, bm) = (&a[1..a.len() - 1], &b[1..b.len() - 1]);
    let middle_ok = am.is_empty() || (!bm.is_empty() && part_ok(&am[0], &bm[0], am[0] == bm[0]));
    let longer = |x: &String, y: &String| y.chars().count() > x.chars().count();
    let fuller = b.len() > a.len() || longer(&a[0], &b[0]) || (!am.is_empty() && longer(&am[0], &bm[0]));
    part_ok(&a[0], &b[0], same_first) && middle_ok && fuller
}

/// Whether name part `x` can be written for `y`: the same (`same`: by signature, computed by
/// the caller), a start of it with three letters or more ("Fred" / "Frederick"), or one or two
/// letters with its initial ("J.", "C.", "Mo").
fn part_ok(x: &str, y: &str, same: bool) -> bool {
    let (nx, ny) = (x.chars().count(), y.chars().count());
    same || (nx >= 3 && ny > nx && y.starts_with(x)) || (nx <= 2 && ny > nx && x.chars().next() == y.chars().next())
}
