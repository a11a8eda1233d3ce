//! Within-article chains: which mentions name the same entity.
//!
//! Mentions are clustered with a union-find in a fixed order of steps, each using only
//! evidence inside the article:
//! 1. ruler mentions with a forced `id` form their own chains (key `id:<id>`);
//! 2. mentions with the same label and the same [`NameSig`] (spelling variants, titles and
//!    possessives already dropped) are one entity, except single-word person names;
//! 3. a shorter multi-word person name contained at the end or start of exactly one longer
//!    one ("Rahim Qasimi" in "Abdul Rahim Qasimi") joins it;
//! 4. an acronym joins its expansion: defined in parentheses ("Northern Alliance Front
//!    (NAF)"), anywhere in the article (so uses before the definition count too), or, when
//!    never defined, the only multi-word name in the article whose initials it spells;
//! 5. a one-word person name ("Karimi", "Gen. Karimi", "Karimi's") joins the full name whose
//!    last word (else first word) it matches. With several candidates, role evidence
//!    (titles, "the uncle"/"the nephew" next to the name) decides, then recency (the nearest
//!    candidate must be at most one sentence back and two sentences nearer than any other);
//!    otherwise the mention is left alone in a chain whose key ends in `#ambiguous`, which
//!    the corpus step never merges.
//!
//! Chain keys are `LABEL:normalized words` of the representative (the mention with the
//! most name words, then the longest, then the first), so documents can be joined later.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::OnceLock;

use crate::doc::{Chain, Document, MentionSource};

use super::names::{self, fold, lexicons, looks_like_acronym, name_words, NameSig};
use super::{is_value_label, Draft};

pub(crate) const ROLES_TXT: &str = include_str!("../../../data/lexicons/roles.txt");

/// Suffix of the key of a chain left unlinked because its name fits several people.
pub const AMBIGUOUS_SUFFIX: &str = "#ambiguous";

fn roles() -> &'static BTreeSet<String> {
    static R: OnceLock<BTreeSet<String>> = OnceLock::new();
    R.get_or_init(|| {
        let mut s: BTreeSet<String> =
            ROLES_TXT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(fold).collect();
        s.extend(lexicons().title_words.iter().cloned());
        s
    })
}

/// Union-find over indices (path compression; the smaller index is the root), shared with
/// the corpus step in `aggregate::entities`.
pub(crate) struct Dsu(pub(crate) Vec<usize>);
impl Dsu {
    pub(crate) fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let n = self.0[y];
            self.0[y] = r;
            y = n;
        }
        r
    }
    /// Unites, keeping the smaller index as root so results do not depend on call order.
    pub(crate) fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

struct Info {
    label: String,
    words: Vec<String>,
    word_sigs: Vec<NameSig>,
    sig: NameSig,
    acronym: bool,
    surface: String,
    roles: BTreeSet<String>,
}

/// Acronyms defined in parentheses after a multi-word name, and every other bare use of the
/// same acronym not already covered, as new mentions with the expansion's label.
pub(crate) fn acronym_drafts(doc: &Document, drafts: &[Draft]) -> Vec<Draft> {
    let n = doc.tokens.len();
    let mut defined: BTreeMap<String, (String, f32)> = BTreeMap::new();
    let mut out = Vec::new();
    let covered = |i: usize, out: &Vec<Draft>| drafts.iter().chain(out.iter()).any(|d| d.tokens.contains(&i));
    for d in drafts {
        if d.tokens.len() < 2 || is_value_label(&d.label) {
            continue;
        }
        let e = d.tokens.end;
        if e + 2 < n && doc.token_text(e) == "(" && doc.token_text(e + 2) == ")" {
            let acr = doc.token_text(e + 1);
            let exp = super::span_of(doc, &d.tokens).of(&doc.text);
            if looks_like_acronym(acr) && names::is_defined_acronym_of(acr, exp) {
                defined.entry(acr.to_string()).or_insert((d.label.clone(), d.score));
            }
        }
    }
    for i in 0..n {
        if let Some((label, score)) = defined.get(doc.token_text(i)) {
            if !covered(i, &out) {
                out.push(Draft::new(i..i + 1, label, *score, MentionSource::Rule));
            }
        }
    }
    out
}

/// The members of `items` grouped by the name word `key` gives each (none: left out).
fn index_by<'a>(items: &[usize], key: impl Fn(usize) -> Option<&'a NameSig>) -> BTreeMap<&'a NameSig, Vec<usize>> {
    let mut out: BTreeMap<&NameSig, Vec<usize>> = BTreeMap::new();
    for &i in items {
        if let Some(k) = key(i) {
            out.entry(k).or_default().push(i);
        }
    }
    out
}

/// The indices filed under `key` in an [`index_by`] map, in their original order.
fn lookup<'m>(index: &'m BTreeMap<&NameSig, Vec<usize>>, key: Option<&NameSig>) -> &'m [usize] {
    key.and_then(|k| index.get(k)).map_or(&[], Vec::as_slice)
}

/// Title and role words attached to the mention at `tokens`: inside it, up to two words
/// before it ("the uncle, Ahmad Karimi" / "Gen. Karimi") and in apposition after it
/// ("Karimi, the nephew,").
fn role_words(doc: &Document, tokens: &Range<usize>, words_in_mention: &[String]) -> BTreeSet<String> {
    let r = roles();
    let mut out: BTreeSet<String> = words_in_mention.iter().filter(|w| r.contains(*w)).cloned().collect();
    let sent = doc.tokens[tokens.start].sentence;
    let same = |i: usize| doc.tokens[i].sentence == sent;
    let skip = |w: &str| matches!(w, "the" | "a" | "an" | "his" | "her" | "their" | "former" | "then" | ",");
    let mut i = tokens.start;
    let mut seen = 0;
    while i > 0 && seen < 3 && same(i - 1) {
        i -= 1;
        let w = fold(doc.token_text(i));
        if r.contains(&w) {
            out.insert(w);
        } else if !skip(&w) && !w.is_empty() {
            break;
        }
        seen += 1;
    }
    let n = doc.tokens.len();
    let e = tokens.end;
    if e < n && same(e) && doc.token_text(e) == "," {
        for j in e + 1..(e + 5).min(n) {
            if !same(j) {
                break;
            }
            let w = fold(doc.token_text(j));
            if r.contains(&w) {
                out.insert(w);
            } else if !skip(&w) || w == "," {
                break;
            }
        }
    }
    out
}

/// Builds the chains of `doc` from its (sorted) mentions; `forced[i]` is the ruler id of
/// mention `i`. Sets `mention.chain` for entity mentions.
#[allow(clippy::needless_range_loop)] // indices tie infos, forced and doc.mentions together
pub(crate) fn build(doc: &mut Document, forced: &[Option<String>], qualifiers: &[Option<String>]) -> Vec<Chain> {
    let m = doc.mentions.len();
    let infos: Vec<Option<Info>> = (0..m)
        .map(|i| {
            let men = &doc.mentions[i];
            if is_value_label(&men.label) {
                return None;
            }
            let surface = doc.slice(men.span).to_string();
            let mut words = name_words(&surface, &men.label);
            if words.is_empty() {
                words = vec![fold(&surface)];
            }
            if let Some(Some(q)) = qualifiers.get(i) {
                words.push(fold(q));
            }
            let person = men.label == "PER";
            let all_words: Vec<String> = fold(names::strip_possessive(&surface)).split(' ').map(String::from).collect();
            Some(Info {
                label: men.label.clone(),
                word_sigs: words.iter().map(|w| NameSig::of_words(std::slice::from_ref(w), person)).collect(),
                sig: NameSig::of_words(&words, person),
                acronym: looks_like_acronym(names::strip_possessive(&surface)),
                roles: role_words(doc, &men.tokens, &all_words),
                words,
                surface,
            })
        })
        .collect();
    let mut dsu = Dsu((0..m).collect());
    let ent = |i: usize| infos[i].is_some() && !matches!(forced.get(i), Some(Some(_)));
    let mut alt: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();

    // 1. Forced ids.
    let mut by_id: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..m {
        if let (Some(_), Some(Some(id))) = (&infos[i], forced.get(i)) {
            match by_id.get(id.as_str()) {
                Some(&f) => dsu.union(f, i),
                None => {
                    by_id.insert(id, i);
                }
            }
        }
    }

    // 2. Same name class and signature.
    let mut by_sig: BTreeMap<(&str, &NameSig), usize> = BTreeMap::new();
    for i in 0..m {
        let Some(inf) = &infos[i] else { continue };
        if !ent(i) || (inf.label == "PER" && inf.words.len() < 2) {
            continue;
        }
        match by_sig.get(&(name_class(&inf.label), &inf.sig)) {
            Some(&f) => dsu.union(f, i),
            None => {
                by_sig.insert((name_class(&inf.label), &inf.sig), i);
            }
        }
    }

    // 3. Shorter multi-word person names inside exactly one longer one.
    let per_multi: Vec<usize> = (0..m)
        .filter(|&i| ent(i) && infos[i].as_ref().is_some_and(|f| f.label == "PER" && f.words.len() >= 2))
        .collect();
    // Names that could contain another share its last or its first word: index them so the
    // step stays linear in the number of names.
    let sigs = |i: usize| infos[i].as_ref().map_or(&[][..], |f| f.word_sigs.as_slice());
    let (per_by_last, per_by_first) =
        (index_by(&per_multi, |i| sigs(i).last()), index_by(&per_multi, |i| sigs(i).first()));
    for &a in &per_multi {
        let wa = sigs(a);
        let mut cands: BTreeSet<usize> = BTreeSet::new();
        for &b in lookup(&per_by_last, wa.last()).iter().chain(lookup(&per_by_first, wa.first())) {
            let wb = sigs(b);
            if wb.len() > wa.len() && (wb.ends_with(wa) || wb.starts_with(wa)) {
                cands.insert(dsu.find(b));
            }
        }
        if cands.len() == 1 {
            let b = *cands.iter().next().expect("one");
            dsu.union(a, b);
        }
    }

    // 4. Acronyms.
    let n_tok = doc.tokens.len();
    let mut defined: BTreeMap<String, usize> = BTreeMap::new();
    for i in 0..m {
        let Some(inf) = &infos[i] else { continue };
        // Any label: a definition in parentheses is evidence enough, whatever the tagger called
        // the name ("Lashkar-e-Wilayat (LeW)" tagged PER).
        if !ent(i) || inf.words.len() < 2 {
            continue;
        }
        let e = doc.mentions[i].tokens.end;
        if e + 2 < n_tok && doc.token_text(e) == "(" && doc.token_text(e + 2) == ")" {
            let acr = doc.token_text(e + 1);
            if looks_like_acronym(acr) && names::is_defined_acronym_of(acr, &inf.surface) {
                defined.entry(acr.to_string()).or_insert(i);
            }
        }
    }
    // The names each acronym could abbreviate, by their initials (any label: the tagger calls
    // "Lashkar-e-Wilayat" PER as often as ORG), computed once so that the step stays linear.
    let mut by_initials: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for j in 0..m {
        let Some(f) = infos[j].as_ref().filter(|f| ent(j) && f.words.len() >= 2 && !f.acronym) else { continue };
        let (all, content) = names::expansion_initials(&f.surface);
        by_initials.entry(all).or_default().push(j);
        by_initials.entry(content).or_default().push(j);
    }
    for i in 0..m {
        let Some(inf) = &infos[i] else { continue };
        let acr = names::strip_possessive(&inf.surface).to_string();
        if !ent(i) || !inf.acronym || inf.words.len() != 1 {
            continue;
        }
        let target = match defined.get(&acr) {
            Some(&d) => Some(d),
            None => {
                let key = names::acronym_key(&acr);
                let expansions = key.as_ref().and_then(|k| by_initials.get(k)).map_or(&[][..], Vec::as_slice);
                let roots: BTreeSet<usize> = expansions.iter().map(|&j| dsu.find(j)).collect();
                (roots.len() == 1).then(|| *roots.iter().next().expect("one"))
            }
        };
        if let Some(t) = target {
            dsu.union(t, i);
        }
        // Organisations (and MISC, where models often put them) advertise their acronym so
        // the corpus step can join documents that use only one form. All-caps place names
        // ("KABUL") are not acronyms.
        if matches!(inf.label.as_str(), "ORG" | "MISC") || defined.contains_key(&acr) {
            let root = dsu.find(i);
            alt.entry(root).or_default().insert(format!("acr:{}", fold(&acr)));
        }
    }

    // 4b. Organization short forms: a name that ends exactly one longer organization name in
    // the article ("Colts" beside "Indianapolis Colts"). A name that starts a longer one is
    // left to the corpus step, which sees whether other names start with it too ("Microsoft"
    // beside "Microsoft Security Bulletin": a unit, not the company).
    let demonyms: Vec<bool> = infos.iter().map(|f| f.as_ref().is_some_and(|f| all_demonyms(&f.words))).collect();
    let named: Vec<usize> = (0..m)
        .filter(|&j| {
            ent(j) && !demonyms[j] && infos[j].as_ref().is_some_and(|f| name_class(&f.label) == "NAME" && !f.acronym)
        })
        .collect();
    let names_by_last = index_by(&named, |j| sigs(j).last());
    for &i in &named {
        let inf = infos[i].as_ref().expect("entity");
        let roots: BTreeSet<usize> = lookup(&names_by_last, inf.word_sigs.last())
            .iter()
            .filter(|&&j| sigs(j).len() > inf.word_sigs.len() && sigs(j).ends_with(&inf.word_sigs))
            .map(|&j| dsu.find(j))
            .collect();
        if roots.len() == 1 {
            let r = *roots.iter().next().expect("one");
            dsu.union(r, i);
        }
    }

    // 5. One-word person names.
    let mut ambiguous: BTreeSet<usize> = BTreeSet::new();
    let mut single_by_sig: BTreeMap<NameSig, usize> = BTreeMap::new();
    // Sentence of the latest mention of each cluster root, updated as we link.
    let mut last_seen: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &per_multi {
        last_seen.entry(dsu.find(i)).or_default().push(i);
    }
    for i in 0..m {
        let Some(inf) = &infos[i] else { continue };
        if !ent(i) || inf.label != "PER" || inf.words.len() != 1 {
            continue;
        }
        let w = &inf.word_sigs[0];
        let mut cands: BTreeSet<usize> = lookup(&per_by_last, Some(w)).iter().map(|&j| dsu.find(j)).collect();
        if cands.is_empty() {
            cands = lookup(&per_by_first, Some(w)).iter().map(|&j| dsu.find(j)).collect();
        }
        let chosen = match cands.len() {
            0 => None,
            // "Peterson ... his wife": the one full name may be the relative's.
            1 if relative_may_be(doc, i, &cand_words(&infos, &last_seen, &cands)) => {
                ambiguous.insert(i);
                continue;
            }
            1 => cands.iter().next().copied(),
            _ => decide(doc, &infos, &last_seen, &cands, i),
        };
        match chosen {
            Some(root) => {
                dsu.union(root, i);
                let r = dsu.find(i);
                let mut v = last_seen.remove(&root).unwrap_or_default();
                v.push(i);
                last_seen.insert(r, v);
            }
            None if cands.len() > 1 => {
                ambiguous.insert(i);
            }
            None => match single_by_sig.get(w) {
                Some(&f) => dsu.union(f, i),
                None => {
                    single_by_sig.insert(w.clone(), i);
                }
            },
        }
    }

    // Collect chains in order of first mention.
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..m {
        if infos[i].is_some() {
            groups.entry(dsu.find(i)).or_default().push(i);
        }
    }
    let mut order: Vec<(usize, Vec<usize>)> = groups.into_iter().collect();
    order.sort_by_key(|(_, v)| v[0]);
    let mut chains = Vec::with_capacity(order.len());
    for (root, members) in order {
        let rep = *members
            .iter()
            .max_by(|&&a, &&b| {
                let (fa, fb) = (infos[a].as_ref().expect("entity"), infos[b].as_ref().expect("entity"));
                let ka = (!fa.acronym, fa.words.len(), fa.surface.chars().count());
                let kb = (!fb.acronym, fb.words.len(), fb.surface.chars().count());
                ka.cmp(&kb).then(b.cmp(&a))
            })
            .expect("non-empty group");
        let rinf = infos[rep].as_ref().expect("entity");
        let label = vote_label(members.iter().map(|&x| infos[x].as_ref().expect("entity").label.as_str()), &rinf.label);
        let forced_id = members.iter().find_map(|&x| forced.get(x).cloned().flatten());
        let key = if let Some(id) = forced_id {
            format!("id:{id}")
        } else if members.len() == 1 && ambiguous.contains(&rep) {
            format!("{label}:{}{AMBIGUOUS_SUFFIX}", rinf.words.join(" "))
        } else {
            format!("{label}:{}", rinf.words.join(" "))
        };
        let mut alt_keys: BTreeSet<String> = BTreeSet::new();
        for &x in &members {
            if let Some(a) = alt.get(&x) {
                alt_keys.extend(a.iter().cloned());
            }
        }
        if let Some(a) = alt.get(&root) {
            alt_keys.extend(a.iter().cloned());
        }
        let ci = chains.len();
        for &x in &members {
            doc.mentions[x].chain = Some(ci);
        }
        chains.push(Chain {
            label,
            representative: rep,
            mentions: members,
            key,
            alt_keys: alt_keys.into_iter().collect(),
        });
    }
    chains
}

/// The class within which names are compared: organizations and MISC together (the tagger
/// confuses them most), every other label on its own.
pub(crate) fn name_class(label: &str) -> &str {
    match label {
        "ORG" | "MISC" => "NAME",
        l => l,
    }
}

/// Whether every word is a nationality ("Tajik Afghan"): such names are no organization whose
/// end or start could stand for it.
pub(crate) fn all_demonyms(words: &[String]) -> bool {
    words.iter().all(|w| names::is_demonym(w))
}

/// The label most of a chain's mentions have; ties go to the representative's.
fn vote_label<'a>(labels: impl Iterator<Item = &'a str>, rep: &'a str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in labels {
        *counts.entry(l).or_default() += 1;
    }
    let top = counts.values().copied().max().unwrap_or(0);
    if counts.get(rep) == Some(&top) {
        return rep.to_string();
    }
    counts.into_iter().find(|&(_, c)| c == top).map_or(rep, |(l, _)| l).to_string()
}

/// Kinship words that name a relative, who may share a surname.
const KIN: &[&str] = &[
    "wife",
    "husband",
    "son",
    "daughter",
    "brother",
    "sister",
    "father",
    "mother",
    "widow",
    "widower",
    "sons",
    "daughters",
    "brothers",
    "sisters",
    "parents",
    "uncle",
    "nephew",
    "niece",
    "cousin",
    "grandson",
    "granddaughter",
];

/// Whether the sentence of mention `i` speaks of someone's relative ("his wife", "her son")
/// who may be the one full name `cand` of the article: an unnamed spouse, or a relative named
/// by the start of `cand` ("his daughter, Laci" beside "Laci Peterson"). A possessive must stand
/// before the kinship word, so an apposition ("the uncle, Karimi") does not count, and a
/// relative named otherwise ("his brother, Abdul Wadood") leaves the surname to `cand`.
fn relative_may_be(doc: &Document, i: usize, cand: &[String]) -> bool {
    let s = doc.mentions[i].sentence;
    let idx: Vec<usize> =
        doc.sentences.get(s).map_or(0..0, |se| se.tokens.start..se.tokens.end.min(doc.tokens.len())).collect();
    let word = |k: usize| fold(doc.token_text(idx[k]));
    for k in 1..idx.len() {
        if !(matches!(word(k - 1).as_str(), "his" | "her" | "their") && KIN.contains(&word(k).as_str())) {
            continue;
        }
        let mut j = k + 1;
        while j < idx.len() && word(j).is_empty() {
            j += 1;
        }
        let named: Vec<String> = (j..idx.len())
            .take_while(|&t| doc.token_text(idx[t]).chars().next().is_some_and(char::is_uppercase))
            .map(word)
            .collect();
        // An unnamed spouse ("murdering his wife") is the likeliest other bearer of the surname;
        // an unnamed brother is as often the person named ("called his brother by name").
        let spouse = matches!(word(k).as_str(), "wife" | "husband" | "widow" | "widower");
        if (named.is_empty() && spouse) || (!named.is_empty() && cand.starts_with(&named)) {
            return true;
        }
    }
    false
}

/// The name words of the (one) candidate group's longest mention.
fn cand_words(infos: &[Option<Info>], last_seen: &BTreeMap<usize, Vec<usize>>, cands: &BTreeSet<usize>) -> Vec<String> {
    let root = *cands.iter().next().expect("one candidate");
    let ms = last_seen.get(&root).map_or(&[][..], Vec::as_slice);
    ms.iter().filter_map(|&x| infos[x].as_ref()).map(|f| f.words.clone()).max_by_key(Vec::len).unwrap_or_default()
}

/// Picks among several full-name candidates for a one-word name, or `None` when the
/// evidence is not decisive.
fn decide(
    doc: &Document,
    infos: &[Option<Info>],
    last_seen: &BTreeMap<usize, Vec<usize>>,
    cands: &BTreeSet<usize>,
    i: usize,
) -> Option<usize> {
    let me = infos[i].as_ref().expect("entity");
    // Role evidence: role words of the candidate's mentions shared with this mention.
    if !me.roles.is_empty() {
        let hits: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&c| {
                last_seen.get(&c).is_some_and(|ms| {
                    ms.iter().any(|&x| infos[x].as_ref().is_some_and(|f| !f.roles.is_disjoint(&me.roles)))
                })
            })
            .collect();
        if hits.len() == 1 {
            return Some(hits[0]);
        }
        if hits.len() > 1 {
            return None;
        }
    }
    // Recency: the sentence distance to each candidate's latest preceding mention.
    let s = doc.mentions[i].sentence;
    let mut dist: Vec<(usize, usize)> = cands
        .iter()
        .filter_map(|&c| {
            let latest = last_seen.get(&c)?.iter().filter(|&&x| x < i).map(|&x| doc.mentions[x].sentence).max()?;
            Some((s - latest.min(s), c))
        })
        .collect();
    dist.sort();
    let recent = match dist.as_slice() {
        [(d0, c0), (d1, _), ..] if *d0 <= 1 && *d1 >= d0 + 2 => Some(*c0),
        // The other candidates are named only after this mention.
        [(d0, c0)] if *d0 <= 1 => Some(*c0),
        _ => None,
    };
    // Salience: when all candidates but one entered the article as someone's relative ("His
    // brother, Abdul Wadood Achakzai"), a bare surname far from both is the one who did not.
    recent.or_else(|| {
        let principal: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|c| {
                last_seen.get(c).and_then(|ms| ms.iter().min()).is_some_and(|&x| !introduced_as_relative(doc, x))
            })
            .collect();
        (principal.len() == 1).then(|| principal[0])
    })
}

/// Whether mention `j` is introduced as someone's relative: "his (younger) brother, X",
/// "Karimi's son X", "their father X".
fn introduced_as_relative(doc: &Document, j: usize) -> bool {
    let start = doc.mentions[j].tokens.start;
    let sent = doc.mentions[j].sentence;
    let mut words: Vec<String> = Vec::new();
    let mut t = start;
    while t > 0 && words.len() < 4 && doc.tokens[t - 1].sentence == sent {
        t -= 1;
        words.push(fold(doc.token_text(t)));
    }
    // words[0] is the nearest: an optional comma (folded to ""), the kinship word, an optional
    // adjective, then a possessive.
    let mut k = usize::from(words.first().is_some_and(String::is_empty));
    if !words.get(k).is_some_and(|w| KIN.contains(&w.as_str())) {
        return false;
    }
    k += 1;
    if words
        .get(k)
        .is_some_and(|w| matches!(w.as_str(), "younger" | "elder" | "older" | "eldest" | "youngest" | "late"))
    {
        k += 1;
    }
    words.get(k).is_some_and(|w| matches!(w.as_str(), "his" | "her" | "their" | "s"))
}

#[cfg(test)]
mod tests {
    use super::super::testdoc::doc;
    use super::super::{extract, EntityConfig};

    /// Chains as lists of mention texts, plus their keys.
    fn chains(spec: &str) -> Vec<(String, Vec<String>)> {
        let mut d = doc(spec);
        extract(&mut d, &EntityConfig::default());
        d.chains
            .iter()
            .map(|c| (c.key.clone(), c.mentions.iter().map(|&m| d.slice(d.mentions[m].span).to_string()).collect()))
            .collect()
    }
    fn ch(key: &str, ms: &[&str]) -> (String, Vec<String>) {
        (key.into(), ms.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn full_name_surname_first_name_title_possessive() {
        let got = chains(
            "Gen. Abdul/PER Rahim/PER Qasimi/PER arrived . || Qasimi/PER spoke . || Gen. Qasimi/PER ~'s aides left . || Later , Abdul/PER Rahim/PER smiled . || Mullah Qasemi/PER denied it .",
        );
        assert_eq!(
            got,
            vec![ch("PER:abdul rahim qasimi", &["Abdul Rahim Qasimi", "Qasimi", "Qasimi", "Abdul Rahim", "Qasemi"])]
        );
    }

    #[test]
    fn title_inside_the_span_is_not_part_of_the_key() {
        let got = chains("Mullah/PER Akhtar/PER Mansour/PER spoke . || Mansour/PER left .");
        // The title is dropped from the span too.
        assert_eq!(got, vec![ch("PER:akhtar mansour", &["Akhtar Mansour", "Mansour"])]);
    }

    #[test]
    fn acronym_defined_in_parentheses_and_used_before() {
        let got = chains(
            "NAF fighters attacked . || The Northern/ORG Alliance/ORG Front/ORG ( NAF ) claimed it . || NAF/ORG said more .",
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "ORG:northern alliance front");
        assert_eq!(got[0].1, vec!["NAF", "Northern Alliance Front", "NAF", "NAF"]);
        let mut d = doc("The Northern/ORG Alliance/ORG Front/ORG ( NAF/ORG ) claimed it .");
        extract(&mut d, &EntityConfig::default());
        assert_eq!(d.chains[0].alt_keys, vec!["acr:naf".to_string()]);
    }

    #[test]
    fn undefined_acronym_links_to_the_only_matching_name() {
        let got = chains("The Tehrik/ORG ~- ~i ~- ~Taliban/ORG Pakistan/ORG denied it . || TTP/ORG fighters fled .");
        assert_eq!(got, vec![ch("ORG:tehrik i taliban pakistan", &["Tehrik-i-Taliban Pakistan", "TTP"])]);
        // An acronym-only chain still advertises its acronym for the corpus step.
        let mut d = doc("UNAMA/ORG said .");
        extract(&mut d, &EntityConfig::default());
        assert_eq!(
            (d.chains[0].key.as_str(), d.chains[0].alt_keys.clone()),
            ("ORG:unama", vec!["acr:unama".to_string()])
        );
    }

    #[test]
    fn shared_surname_without_evidence_stays_unlinked() {
        let got = chains(
            "The uncle , Ahmad/PER Karimi/PER , and the nephew , Javed/PER Karimi/PER , were detained . || Karimi/PER was released .",
        );
        assert_eq!(
            got,
            vec![
                ch("PER:ahmad karimi", &["Ahmad Karimi"]),
                ch("PER:javed karimi", &["Javed Karimi"]),
                ch("PER:karimi#ambiguous", &["Karimi"]),
            ]
        );
    }

    #[test]
    fn shared_surname_resolved_by_role() {
        let got = chains(
            "The uncle , Ahmad/PER Karimi/PER , and the nephew , Javed/PER Karimi/PER , were detained . || The nephew , Karimi/PER , was released .",
        );
        assert_eq!(got[1], ch("PER:javed karimi", &["Javed Karimi", "Karimi"]));
        // A title is role evidence too.
        let got = chains("Gen. Ahmad/PER Karimi/PER and Javed/PER Karimi/PER met . || Gen. Karimi/PER left .");
        assert_eq!(got[0], ch("PER:ahmad karimi", &["Ahmad Karimi", "Karimi"]));
    }

    #[test]
    fn shared_surname_resolved_by_proximity() {
        let got = chains(
            "Ahmad/PER Karimi/PER founded the firm . || It grew . || It grew more . || Then Javed/PER Karimi/PER took over . || Karimi/PER said profits rose .",
        );
        assert_eq!(got[1], ch("PER:javed karimi", &["Javed Karimi", "Karimi"]));
    }

    #[test]
    fn person_and_family_firm_and_demonym_stay_apart() {
        let got = chains(
            "Ahmad/PER Karimi/PER runs the Karimi/ORG Group/ORG . || Karimi/PER said the Afghan/ORG market fell .",
        );
        assert_eq!(
            got,
            vec![
                ch("PER:ahmad karimi", &["Ahmad Karimi", "Karimi"]),
                ch("ORG:karimi group", &["Karimi Group"]),
                ch("MISC:afghan", &["Afghan"])
            ]
        );
    }

    #[test]
    fn city_and_province_stay_apart() {
        let got = chains("in Kandahar/LOC province and in Kandahar/LOC city , KANDAHAR/LOC residents");
        // The span is the name alone (CoNLL style); the unit word stays in the key.
        assert_eq!(
            got,
            vec![ch("LOC:kandahar province", &["Kandahar"]), ch("LOC:kandahar", &["Kandahar", "KANDAHAR"])]
        );
    }

    #[test]
    fn a_bare_surname_goes_to_the_one_not_introduced_as_a_relative() {
        let got = chains(
            "Gunmen shot Abdul/PER Samad/PER Achakzai/PER on Sunday . || His brother , Abdul/PER Wadood/PER Achakzai/PER , was wounded . || The group denied it . || Police said more . || Achakzai/PER , a former teacher , had served two terms .",
        );
        assert_eq!(got[0], ch("PER:abdul samad achakzai", &["Abdul Samad Achakzai", "Achakzai"]));
        // Introduced alike ("the uncle", "the nephew": no possessive), they stay undecided.
        let got = chains(
            "The uncle , Ahmad/PER Karimi/PER , and the nephew , Javed/PER Karimi/PER , were held . || It rained . || It rained more . || Karimi/PER was freed .",
        );
        assert_eq!(got[2], ch("PER:karimi#ambiguous", &["Karimi"]));
    }

    #[test]
    fn an_unnamed_spouse_or_a_named_relative_may_be_the_only_full_name() {
        let got = chains("Laci/PER Peterson/PER vanished . || Peterson/PER was found guilty of murdering his wife .");
        assert_eq!(got[1], ch("PER:peterson#ambiguous", &["Peterson"]));
        let got = chains("Abdul/PER Samad/PER Achakzai/PER died . || Achakzai/PER ~'s brother , Abdul/PER Wadood/PER , said the gunmen called his brother by name .");
        assert_eq!(got[0], ch("PER:abdul samad achakzai", &["Abdul Samad Achakzai", "Achakzai"]));
    }

    #[test]
    fn organization_short_forms_in_one_article() {
        let got = chains("The Indianapolis/ORG Colts/ORG won . || The Colts/ORG celebrated .");
        assert_eq!(got, vec![ch("ORG:indianapolis colts", &["Indianapolis Colts", "Colts"])]);
        // A name that starts a longer one is left to the corpus step: units of a company are not
        // the company.
        let got = chains("Microsoft/ORG Security/ORG Bulletin/ORG said . || Microsoft/ORG shares fell .");
        assert_eq!(got.len(), 2, "{got:?}");
        // One label or the other, one name: ORG and MISC are one class.
        let got = chains("The Taliban/MISC said . || The Taliban/ORG denied it . || Taliban/ORG fighters left .");
        assert_eq!(got, vec![ch("ORG:taliban", &["Taliban", "Taliban", "Taliban"])]);
    }

    #[test]
    fn acronyms_of_names_the_tagger_called_persons() {
        let got = chains("Lashkar/PER ~- ~e ~- ~Wilayat/PER ( LeW/PER ) claimed it . || LeW/PER denied it later .");
        assert_eq!(got.len(), 1, "{got:?}");
        let got = chains("Lashkar/PER ~- ~e ~- ~Wilayat/PER claimed it . || The LeW/PER is a front .");
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn spelling_variants_in_one_article() {
        let got = chains("Abdul/PER ~- ~Rahim/PER Qasimi/PER and Abdurrahim/PER Qasemi/PER");
        assert_eq!(got.len(), 1, "{got:?}");
    }
}
