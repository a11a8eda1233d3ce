//! Predicate frames matched on the dependency parse (`data/patterns/frames.tsv`).
//!
//! A frame names a trigger (a verb or noun lemma, maybe with a particle or a governed noun) and,
//! for each of the relation's two arguments, the dependency paths where it may stand: subject,
//! object, a preposition's object, a possessor, a noun modifier, the noun an appositive
//! describes. The code knows what those paths mean in a Universal Dependencies tree (passives
//! swap subject and object, conjoined and controlled verbs inherit their head's subject, a noun
//! takes its light verb's subject); which triggers and paths make which relation is data.
//!
//! An argument is what stands at the end of a path: the sentence's argument slot there (an
//! entity, a value, a resolved pronoun, an event phrase, "no group"), else the slot of a word
//! that modifies it ("ISIL targets", "12 people"), else the noun a relative pronoun stands for.
//! Conjuncts spread: "attacked X and Y" gives two relations.

use std::collections::HashMap;
use std::ops::Range;

use super::lexicon::{Frame, FrameKind, NegKind, SlotPath, SlotRel};
use super::patterns::{event_on, in_dateline, Ev, Slot, SlotKind};
use super::view::DocView;
use crate::stages::syntax::Tree;

/// A frame that matched, with its arguments (`None` where the caller supplies the article's
/// event: a count with no subject, an implicit object).
pub(super) struct Match<'f> {
    pub frame: &'f Frame,
    pub subject: Option<Slot>,
    pub object: Option<Slot>,
    pub negated: bool,
    pub hedged: bool,
    /// A speech cue governs the trigger ("which officials say killed 21").
    pub cued: bool,
    /// Tokens the evidence spans.
    pub tokens: Range<usize>,
    /// Lowercased words modifying the trigger ("deputy" in "the Taliban's deputy governor").
    pub modifiers: Vec<String>,
}

/// One sentence, its parse and its argument slots.
pub(super) struct Clause<'a, 'd> {
    v: &'a DocView<'d>,
    t: &'a Tree<'d>,
    /// The sentence's arguments; [`Self::anchor_victims`] may re-anchor events, never move one.
    pub slots: Vec<Slot>,
    slot_at: HashMap<usize, usize>,
    /// The preposition introducing each token of the sentence, if any (see [`Self::case`]).
    cases: Vec<Option<String>>,
    range: Range<usize>,
}

/// Bounds the walks up and down the tree (a malformed parse must not loop).
const MAX_STEPS: usize = 6;

impl<'a, 'd> Clause<'a, 'd> {
    pub fn new(v: &'a DocView<'d>, t: &'a Tree<'d>, slots: Vec<Slot>, range: Range<usize>) -> Self {
        let mut slot_at = HashMap::new();
        for (i, s) in slots.iter().enumerate() {
            for k in s.a..s.b.max(s.a + 1) {
                slot_at.entry(k).or_insert(i);
            }
        }
        let cases = range.clone().map(|c| case_of(v, t, c)).collect();
        Clause { v, t, slots, slot_at, cases, range }
    }

    /// Every frame match in the sentence, in token order.
    pub fn matches(&self) -> Vec<Match<'a>> {
        let lex = self.v.lex;
        let any = lex.frames_for(FrameKind::Any, "*");
        let mut out = Vec::new();
        for k in self.range.clone() {
            let kind = if self.v.is_verb(k) {
                FrameKind::Verb
            } else if self.v.is_noun(k) || self.v.pos[k].starts_with("JJ") {
                FrameKind::Noun
            } else {
                continue;
            };
            // "Lahore-based": the frames of "-based".
            let w = &self.v.words[k];
            let lemma = if w.len() > "-based".len() && w.ends_with("-based") { "-based" } else { self.lemma(k) };
            for frame in lex.frames_for(kind, lemma).iter().chain(any) {
                self.match_frame(frame, k, &mut out);
            }
        }
        self.drop_shadowed(&mut out);
        out
    }

    /// The first person the sentence says was attacked or killed ("Gunmen shot dead X"),
    /// whoever did it.
    pub fn victim(&self) -> Option<usize> {
        let lex = self.v.lex;
        self.range.clone().filter(|&k| self.v.is_verb(k) && !self.negated(k, None)).find_map(|k| {
            let frame = lex
                .frames_for(FrameKind::Verb, self.lemma(k))
                .iter()
                .find(|f| matches!(f.rtype.as_str(), "attack" | "kill") && f.noun.is_none())?;
            self.arguments(frame, &frame.object, k, None).into_iter().find_map(|o| match o.kind {
                SlotKind::Entity(m) if self.v.doc.mentions[m].label == "PER" => Some(m),
                _ => None,
            })
        })
    }

    /// The person event slot `i` happened to: a person its noun's "of"/"on"/"against" phrase
    /// names ("the killing of councillor X").
    pub fn event_victim(&self, i: usize) -> Option<usize> {
        let slot = &self.slots[i];
        if !matches!(slot.kind, SlotKind::Event { prefix: None, .. }) {
            return None;
        }
        let t = self.t;
        let noun = (slot.a..slot.b).rev().find(|&h| self.v.lex.events.contains_key(&self.v.words[h].to_lowercase()))?;
        t.children(noun)
            .iter()
            .filter(|&&c| t.base_rel(c) == "nmod" && matches!(self.case(c), Some("of" | "on" | "against")))
            .find_map(|&c| match self.argument(c, false)?.kind {
                SlotKind::Entity(m) if self.v.doc.mentions[m].label == "PER" => Some(m),
                _ => None,
            })
    }

    fn lemma(&self, k: usize) -> &'a str {
        &self.v.lemmas[k]
    }

    fn match_frame(&self, frame: &'a Frame, k: usize, out: &mut Vec<Match<'a>>) {
        let t = self.t;
        if let Some(p) = &frame.particle {
            if !t.children(k).iter().any(|&c| t.rel[c] == "compound:prt" && self.v.words[c] == *p) {
                return;
            }
        }
        let noun = match &frame.noun {
            Some(n) => {
                let rel = if self.passive(k) { "nsubj:pass" } else { "obj" };
                match t.children(k).iter().copied().find(|&c| t.rel[c] == rel && self.lemma(c) == n.as_str()) {
                    Some(c) => Some(c),
                    None => return,
                }
            }
            None => None,
        };
        let subjects = self.arguments(frame, &frame.subject, k, noun);
        let objects = self.arguments(frame, &frame.object, k, noun);
        let negated = self.negated(k, noun);
        let hedged = self.hedged(k);
        let cued = self.cued(k);
        let modifiers: Vec<String> = t
            .children(k)
            .iter()
            .filter(|&&c| matches!(t.rel[c], "amod" | "compound") && !self.slot_at.contains_key(&c))
            .map(|&c| self.v.words[c].clone())
            .collect();
        let mk = |subject: Option<Slot>, object: Option<Slot>| {
            let mut lo = k.min(noun.unwrap_or(k));
            let mut hi = k.max(noun.unwrap_or(k)) + 1;
            for s in subject.iter().chain(object.iter()) {
                lo = lo.min(s.a);
                hi = hi.max(s.b);
            }
            let tokens = lo.max(self.range.start)..hi.min(self.range.end).max(lo + 1);
            Match { frame, subject, object, negated, hedged, cued, tokens, modifiers: modifiers.clone() }
        };
        // A count with no subject counts the clause's (else the article's) event; a frame whose
        // subject must be a given word ("the toll rose to") needs it.
        let bare = frame.count && frame.subject.iter().all(|p| p.lemma.is_none());
        let subjects: Vec<Option<Slot>> = match (subjects.is_empty(), bare) {
            (true, true) => {
                let counts: Vec<Slot> = objects.into_iter().filter(|o| self.is_count(o)).collect();
                let event = self.clause_event(k);
                out.extend(counts.into_iter().map(|o| mk(event.clone(), Some(o))));
                return;
            }
            (true, false) => return,
            (false, _) => subjects.into_iter().map(Some).collect(),
        };
        let before = out.len();
        if objects.is_empty() && frame.implicit {
            out.extend(subjects.iter().cloned().map(|s| mk(s, None)));
        }
        for o in &objects {
            let before = out.len();
            for s in &subjects {
                if self.fits(frame, s.as_ref(), o) {
                    out.push(mk(s.clone(), Some(o.clone())));
                }
            }
            // "died in Jordan": no subject fits, so the count is the event's.
            if out.len() == before && bare && self.is_count(o) {
                out.push(mk(self.clause_event(k), Some(o.clone())));
            }
        }
        // "Turkey's ambassador in Kabul, X": no organization, so the title is X's role.
        if out.len() == before && frame.title_value {
            if let Some(title) = self.title(k) {
                let role = &self.v.lex.has_title;
                for s in subjects.iter().flatten().filter(|s| self.fits(role, Some(s), &title)) {
                    out.push(Match { frame: role, ..mk(Some(s.clone()), Some(title.clone())) });
                }
            }
        }
    }

    /// Whether a subject / object pair suits the frame.
    fn fits(&self, frame: &Frame, s: Option<&Slot>, o: &Slot) -> bool {
        let mentions = &self.v.doc.mentions;
        let label = |x: &Slot| match x.kind {
            SlotKind::Entity(m) | SlotKind::Pronoun(m) => Some(mentions[m].label.as_str()),
            _ => None,
        };
        let count = |x: &Slot| self.is_count(x);
        let mention = |x: &Slot| match &x.kind {
            SlotKind::Entity(m) | SlotKind::Pronoun(m) | SlotKind::Value(m) => Some(*m),
            SlotKind::Event { place, .. } => *place,
            SlotKind::NoneQuant(_) | SlotKind::Title(_) => None,
        };
        // A title stands only as a role's value; "no group" only as a subject.
        let title = |x: &Slot| matches!(x.kind, SlotKind::Title(_));
        if s.is_some_and(title) || (title(o) != (frame.rtype == "role")) || matches!(o.kind, SlotKind::NoneQuant(_)) {
            return false;
        }
        // A title's holder is a person.
        if title(o) && !s.is_some_and(|s| label(s) == Some("PER")) {
            return false;
        }
        // Nothing relates to itself: the same span, the same mention, or the same name
        // ("Turkey's government ... in Turkey"; not the same within-article chain, which may join
        // relatives who share a family name).
        let name = |x: &Slot| mention(x).map(|m| mentions[m].span.of(&self.v.doc.text).to_lowercase());
        if s.is_some_and(|s| (s.a == o.a && s.b == o.b) || (name(s).is_some() && name(s) == name(o))) {
            return false;
        }
        // A place does not kill: "died in Jordan" is where, not who.
        if frame.count && s.is_some_and(|s| matches!(label(s), Some("LOC" | "GPE"))) {
            return false;
        }
        if (count(o) && !frame.count) || s.is_some_and(|s| matches!(s.kind, SlotKind::Value(_))) {
            return false;
        }
        if frame.event && !matches!(o.kind, SlotKind::Event { prefix: None, .. }) {
            return false;
        }
        if frame.who && !self.actor(o) {
            return false;
        }
        if frame.agent && !s.is_some_and(|s| self.actor(s)) {
            return false;
        }
        let place = |l: Option<&str>| matches!(l, Some("LOC" | "GPE"));
        if frame.within {
            return s.is_some_and(|s| place(label(s)) && matches!(s.kind, SlotKind::Entity(_))) && place(label(o));
        }
        if frame.place {
            let event = |s: &Slot| matches!(s.kind, SlotKind::Event { prefix: None, .. });
            // "Ambassador Saperstein for Religious Minorities in the Near East": a place hung
            // on a person's name itself is the parser's slip for a place of the phrase around it.
            let on_name = |s: &Slot| label(s) == Some("PER") && self.hangs_on(o, s);
            return place(label(o))
                && s.is_some_and(|s| ((label(s).is_some() && !place(label(s))) || event(s)) && !on_name(s))
                && !matches!(o.kind, SlotKind::Pronoun(_));
        }
        true
    }

    /// A person or an organization; also a group the tagger called MISC but that is a proper
    /// noun ("a Taliban spokesman"), not a nationality adjective ("an Afghan official").
    fn actor(&self, x: &Slot) -> bool {
        let (SlotKind::Entity(m) | SlotKind::Pronoun(m)) = x.kind else { return false };
        let mm = &self.v.doc.mentions[m];
        match mm.label.as_str() {
            "PER" | "ORG" => true,
            "MISC" => mm.tokens.clone().all(|k| self.v.pos.get(k).is_some_and(|p| p.starts_with("NNP"))),
            _ => false,
        }
    }

    fn is_count(&self, x: &Slot) -> bool {
        matches!(x.kind, SlotKind::Value(m) if self.v.doc.mentions[m].label == "CARDINAL")
    }

    /// "12 people were killed in the bombing": the event the clause names, else none here
    /// (the caller falls back on the article's).
    fn clause_event(&self, k: usize) -> Option<Slot> {
        ["in", "during"]
            .iter()
            .flat_map(|p| self.prep(k, p))
            .filter_map(|c| self.slot_at.get(&c).map(|&i| &self.slots[i]))
            .find(|s| matches!(s.kind, SlotKind::Event { prefix: None, .. }))
            .cloned()
    }

    /// The arguments at the first of `paths` that yields any, conjuncts included.
    fn arguments(&self, frame: &Frame, paths: &[SlotPath], k: usize, noun: Option<usize>) -> Vec<Slot> {
        for p in paths {
            let mut heads = self.step(frame, &p.rel, k);
            if let Some(n) = noun {
                heads.extend(self.step(frame, &p.rel, n));
                // "had nothing to do with X": the governed noun's infinitive.
                for &c in self.t.children(n).iter().filter(|&&c| self.t.rel[c] == "acl") {
                    heads.extend(self.step(frame, &p.rel, c));
                }
            }
            if let Some(l) = &p.lemma {
                heads.retain(|&h| self.lemma(h) == l.as_str());
            }
            let mut args: Vec<Slot> = Vec::new();
            for h in heads.into_iter().flat_map(|h| self.with_conjuncts(h)) {
                // "The engineers, X and Y, work for Z": the appositive's conjuncts stand there too.
                let listed = self.appositive_conjuncts(h).into_iter().filter_map(|c| self.slot_at.get(&c));
                let found = self.argument(h, frame.count).into_iter().chain(listed.map(|&i| self.slots[i].clone()));
                for s in found {
                    if !args.iter().any(|x| x.a == s.a && x.b == s.b) {
                        args.push(s);
                    }
                }
            }
            if !args.is_empty() {
                return args;
            }
        }
        Vec::new()
    }

    /// Tokens one path step away from trigger `k`.
    fn step(&self, frame: &Frame, rel: &SlotRel, k: usize) -> Vec<usize> {
        let t = self.t;
        let kids = |r: &str| t.children(k).iter().copied().filter(|&c| t.rel[c] == r).collect::<Vec<_>>();
        match rel {
            SlotRel::Subj if frame.kind == FrameKind::Noun || !self.v.is_verb(k) => self.noun_subjects(k),
            SlotRel::Subj => self.verb_subjects(k, 0),
            SlotRel::Obj => self.objects(k),
            SlotRel::Prep(p) => {
                let mut v = self.prep(k, p);
                if let Some(h) = self.light_verb(k) {
                    v.extend(self.prep(h, p));
                }
                // "11 strikes coordinated with Iraq using aircraft and artillery against ISIL":
                // a noun's target may hang deeper in its phrase.
                if v.is_empty() && p == "against" && self.v.is_noun(k) {
                    v.extend(self.deep_prep(k, p));
                }
                // "Near Mosul, five strikes engaged A and destroyed B": a phrase fronted before
                // the first of conjoined verbs is theirs all.
                if let (true, "conj", Some(h)) = (v.is_empty() && self.v.is_verb(k), t.rel[k], t.head[k]) {
                    let first = t.subtree(h).start;
                    v.extend(self.prep(h, p).into_iter().filter(|&c| c < h && t.subtree(c).start == first));
                }
                v
            }
            SlotRel::Poss => kids("nmod:poss"),
            SlotRel::Compound => kids("compound"),
            SlotRel::Appos => kids("appos"),
            SlotRel::Modified => match (t.rel[k], t.head[k]) {
                ("amod", Some(n)) if self.slot_at.contains_key(&n) || t.rel[n] != "appos" => vec![n],
                ("amod", Some(n)) => t.head[n].into_iter().collect(),
                _ => Vec::new(),
            },
            SlotRel::Head => match (t.rel[k], t.head[k]) {
                ("appos", Some(h)) => vec![h],
                // "Turkey's ambassador, X, spoke" parsed as two subjects of "spoke".
                ("nsubj", Some(verb)) => {
                    t.children(verb).iter().copied().filter(|&c| t.rel[c] == "nsubj" && k < c && c < verb).collect()
                }
                _ => Vec::new(),
            },
            // A noun naming no one itself stands for whom its "of"/"against" phrase names
            // ("the defeat of Daesh in Iraq", "the campaign against Da'esh in Syria").
            SlotRel::This if self.v.is_noun(k) && self.argument(k, false).is_none() => t
                .children(k)
                .iter()
                .copied()
                .filter(|&c| t.base_rel(c) == "nmod" && matches!(self.case(c), Some("of" | "against")))
                .collect(),
            SlotRel::This => vec![k],
        }
    }

    fn passive(&self, k: usize) -> bool {
        let t = self.t;
        let marked =
            |x: usize| t.children(x).iter().any(|&c| matches!(t.rel[c], "nsubj:pass" | "aux:pass" | "csubj:pass"));
        // "11 were killed and 4 wounded": a bare conjunct shares its head's voice.
        let bare_conjunct = t.rel[k] == "conj"
            && !t.children(k).iter().any(|&c| matches!(t.rel[c], "nsubj" | "aux" | "obj"))
            && t.head[k].is_some_and(marked);
        marked(k) || bare_conjunct || (t.rel[k] == "acl" && self.v.pos[k] == "VBN")
    }

    /// A verb's subject: nsubj, the "by" agent in the passive, else inherited from the verb it
    /// is conjoined to, controlled by or modifies.
    fn verb_subjects(&self, k: usize, depth: usize) -> Vec<usize> {
        let t = self.t;
        if self.passive(k) {
            return self.prep(k, "by");
        }
        let own = self.nsubj(k);
        if !own.is_empty() || depth > MAX_STEPS {
            return own;
        }
        let Some(h) = t.head[k] else { return own };
        match t.rel[k] {
            "conj" | "advcl" if self.v.is_verb(h) => self.verb_subjects(h, depth + 1),
            "xcomp" => {
                // "asked Tajikistan to expel X": the object controls the complement.
                let object: Vec<usize> =
                    t.children(h).iter().copied().filter(|&c| t.rel[c] == "obj" && c < k).collect();
                if !object.is_empty() {
                    return object;
                }
                let s: Vec<usize> =
                    t.children(h).iter().copied().filter(|&c| matches!(t.rel[c], "nsubj" | "nsubj:pass")).collect();
                if s.is_empty() {
                    self.verb_subjects(h, depth + 1)
                } else {
                    s
                }
            }
            // "the Global Coalition's efforts to defeat X": the noun's name; "in the campaign
            // to defeat X, the SDF ...", "OIR, the operation to eliminate X": the noun's subject.
            "acl" if self.v.is_noun(h) && self.argument(h, false).is_none() => {
                let s = match (t.rel[h], t.head[h]) {
                    ("appos", Some(n)) => vec![n],
                    _ => self.noun_subjects(h),
                };
                if s.is_empty() {
                    vec![h]
                } else {
                    s
                }
            }
            "acl" => vec![h],
            // "said the group had nothing to do with it": the object before a subjectless
            // complement is its subject.
            "ccomp" => t.children(h).iter().copied().filter(|&c| t.rel[c] == "obj" && c < k).collect(),
            _ => own,
        }
    }

    /// A noun's subject: its copula subject, its light verb's, or that of the verb it hangs on
    /// through "in" ("conducted strikes in support of X").
    fn noun_subjects(&self, k: usize) -> Vec<usize> {
        let t = self.t;
        let own: Vec<usize> = t.children(k).iter().copied().filter(|&c| t.rel[c] == "nsubj").collect();
        if !own.is_empty() {
            return own;
        }
        if let Some(h) = self.light_verb(k) {
            return self.verb_subjects(h, 0);
        }
        // "in support of X", "operating as part of X", "served as a member of X".
        match t.head[k] {
            Some(h) if t.base_rel(k) == "obl" && self.v.is_verb(h) && matches!(self.case(k), Some("in" | "as")) => {
                self.verb_subjects(h, 0)
            }
            _ => Vec::new(),
        }
    }

    fn objects(&self, k: usize) -> Vec<usize> {
        let t = self.t;
        if self.passive(k) {
            if t.rel[k] == "acl" {
                // "X was the second council member killed": the predicate noun stands for
                // its copula subject.
                let Some(n) = t.head[k] else { return Vec::new() };
                let copula = t.children(n).iter().any(|&c| t.rel[c] == "cop");
                let subject = t.children(n).iter().copied().filter(|&c| t.rel[c] == "nsubj");
                return match (copula, subject.collect::<Vec<_>>()) {
                    (true, s) if !s.is_empty() => s,
                    _ => vec![n],
                };
            }
            // A count hung on the verb itself ("and 4 wounded") is its passive subject.
            return t.children(k).iter().copied().filter(|&c| matches!(t.rel[c], "nsubj:pass" | "nummod")).collect();
        }
        let mut objects: Vec<usize> = t.children(k).iter().copied().filter(|&c| t.rel[c] == "obj").collect();
        objects.extend(self.second_subject(k));
        objects
    }

    /// A verb's nsubj children, less a [`Self::second_subject`].
    fn nsubj(&self, k: usize) -> Vec<usize> {
        let t = self.t;
        let second = self.second_subject(k);
        t.children(k).iter().copied().filter(|&c| t.rel[c] == "nsubj" && Some(c) != second).collect()
    }

    /// "Gunmen shot dead X" parsed with two subjects: the one after the verb is its object.
    fn second_subject(&self, k: usize) -> Option<usize> {
        let t = self.t;
        let subjects: Vec<usize> = t.children(k).iter().copied().filter(|&c| t.rel[c] == "nsubj").collect();
        match subjects[..] {
            [a, b] if a < k && b > k => Some(b),
            _ => None,
        }
    }

    /// The light verb whose object (or passive subject) noun `k` is.
    fn light_verb(&self, k: usize) -> Option<usize> {
        let h = self.t.head[k]?;
        (matches!(self.t.rel[k], "obj" | "nsubj:pass")
            && self.v.is_verb(h)
            && self.v.lex.light_verbs.contains(self.lemma(h)))
        .then_some(h)
    }

    /// The preposition introducing `c` (computed once per sentence by [`case_of`]).
    fn case(&self, c: usize) -> Option<&str> {
        self.cases.get(c.checked_sub(self.range.start)?)?.as_deref()
    }

    /// Phrases introduced by `p` below noun `k`, through modifiers and clauses that have no
    /// subject of their own (at most three steps down).
    fn deep_prep(&self, k: usize, p: &str) -> Vec<usize> {
        let t = self.t;
        let mut frontier = vec![k];
        for _ in 0..3 {
            let next: Vec<usize> = frontier
                .iter()
                .flat_map(|&x| t.children(x).iter().copied())
                .filter(|&c| matches!(t.base_rel(c), "acl" | "advcl" | "obl" | "nmod" | "conj" | "xcomp" | "obj"))
                .filter(|&c| !t.children(c).iter().any(|&g| t.base_rel(g) == "nsubj"))
                .collect();
            let found: Vec<usize> = next.iter().flat_map(|&x| self.prep(x, p)).collect();
            if !found.is_empty() {
                return found;
            }
            frontier = next;
        }
        Vec::new()
    }

    /// Children of `k` that are obl / nmod phrases introduced by `p`.
    fn prep(&self, k: usize, p: &str) -> Vec<usize> {
        let t = self.t;
        t.children(k)
            .iter()
            .copied()
            .filter(|&c| matches!(t.base_rel(c), "obl" | "nmod") && self.case(c) == Some(p))
            .collect()
    }

    /// Re-anchors each event phrase whose parse names its victim on that person (see
    /// [`Self::event_victim`]); returns the (old, new) event of each change.
    pub fn anchor_victims(&mut self) -> Vec<(Ev, Ev)> {
        let found: Vec<(usize, usize)> =
            (0..self.slots.len()).filter_map(|i| self.event_victim(i).map(|m| (i, m))).collect();
        let mut changes = Vec::new();
        for (i, victim) in found {
            let SlotKind::Event { value, place, prefix: None } = &mut self.slots[i].kind else { continue };
            let class = value.split(' ').next().unwrap_or("attack").to_string();
            let new = event_on(self.v, &class, victim);
            let old = (std::mem::replace(value, new.0.clone()), std::mem::replace(place, new.1));
            changes.push((old, new));
        }
        changes
    }

    /// Whether slot `x` (or the first of the conjuncts it belongs to) hangs on a token of `on`.
    fn hangs_on(&self, x: &Slot, on: &Slot) -> bool {
        let t = self.t;
        (x.a..x.b.max(x.a + 1)).any(|mut k| {
            while let Some(h) = t.head[k].filter(|_| t.rel[k] == "conj") {
                k = h;
            }
            t.head[k].is_some_and(|h| (on.a..on.b).contains(&h))
        })
    }

    /// The conjuncts of the appositives of noun `h` ("the engineers, X and Y": Y), not the
    /// appositives themselves ([`Self::argument`] reads those).
    fn appositive_conjuncts(&self, h: usize) -> Vec<usize> {
        let t = self.t;
        if !self.v.is_noun(h) {
            return Vec::new();
        }
        t.children(h)
            .iter()
            .filter(|&&c| t.rel[c] == "appos")
            .flat_map(|&c| self.with_conjuncts(c).into_iter().skip(1))
            .collect()
    }

    fn with_conjuncts(&self, h: usize) -> Vec<usize> {
        let mut out = vec![h];
        let mut i = 0;
        while i < out.len() && out.len() <= MAX_STEPS {
            let x = out[i];
            out.extend(self.t.children(x).iter().copied().filter(|&c| self.t.rel[c] == "conj" && self.v.is_noun(c)));
            i += 1;
        }
        out
    }

    /// The argument standing at token `h`; of a noun with both a count and a name
    /// ("four ISIL units"), the count when `count_first` (the frame counts), else the name.
    fn argument(&self, h: usize, count_first: bool) -> Option<Slot> {
        if let Some(&i) = self.slot_at.get(&h) {
            // The dateline ("PESHAWAR, Pakistan —") is no argument of the story's clauses; a
            // phrase the parse hung on it in apposition is the clause's own ("LASHKAR GAH —
            // Council member X was assassinated").
            if matches!(self.slots[i].kind, SlotKind::Entity(m) if in_dateline(self.v, m)) {
                let t = self.t;
                return t
                    .children(h)
                    .iter()
                    .filter(|&&c| t.rel[c] == "appos" && !self.slot_at.get(&c).is_some_and(|&j| j == i))
                    .find_map(|&c| self.argument(c, count_first));
            }
            return Some(self.slots[i].clone());
        }
        let t = self.t;
        let v = self.v;
        // "ISIL, which controls Mosul": the noun the relative clause hangs on.
        if matches!(v.pos[h], "WDT" | "WP" | "WP$") || v.words[h].eq_ignore_ascii_case("that") {
            // "whose owner": the possessive hangs on a noun of the relative clause.
            let mut verb = t.head[h]?;
            if t.rel[h] == "nmod:poss" {
                verb = t.head[verb]?;
            }
            let parsed = (t.rel[verb] == "acl:relcl").then(|| t.head[verb]).flatten();
            // Where the parse did not make it a relative clause, "X, whose owner ...": the
            // name right before the comma.
            let before_comma = (h >= self.range.start + 2 && v.words[h - 1] == ",")
                .then(|| self.slot_at.get(&(h - 2)))
                .flatten()
                .filter(|&&i| matches!(self.slots[i].kind, SlotKind::Entity(_)));
            return match parsed {
                Some(n) => self.argument(n, count_first),
                None => before_comma.map(|&i| self.slots[i].clone()),
            };
        }
        if !v.is_noun(h) {
            return None;
        }
        let named = |c: &usize| {
            self.slot_at.get(c).filter(|&&i| match self.slots[i].kind {
                SlotKind::Entity(m) => !in_dateline(v, m),
                SlotKind::Pronoun(_) => true,
                _ => false,
            })
        };
        // A person or organization before a nationality or place ("French frigate FS Forbin").
        let rank = |i: usize| match &self.slots[i].kind {
            SlotKind::Entity(m) | SlotKind::Pronoun(m) => !matches!(v.doc.mentions[*m].label.as_str(), "PER" | "ORG"),
            _ => true,
        };
        // "The governor, Ishaq Rahmani,": the name in apposition, also where the parse hung it
        // on the phrase's last noun ("the Minister of Foreign Affairs of Iraq, X").
        let mut x = Some(h);
        for _ in 0..3 {
            let Some(n) = x else { break };
            let kids = t.children(n);
            if let Some(&i) = kids.iter().filter(|&&c| t.rel[c] == "appos").filter_map(named).find(|&&i| !rank(i)) {
                return Some(self.slots[i].clone());
            }
            x = kids.iter().copied().rfind(|&c| t.rel[c] == "nmod" && !self.slot_at.contains_key(&c));
        }
        // "the killing of councillor X" where the parse hung X beside the noun describing
        // him, not on it.
        // So is the name after a title and a comma ("Khyber Pakhtunkhwa's irrigation minister,
        // Malik Shahzad Awan,") that the parse hung elsewhere.
        let person_at = |k: usize| {
            self.slot_at.get(&k).filter(|&&i| {
                self.slots[i].a == k
                    && matches!(self.slots[i].kind, SlotKind::Entity(m) if v.doc.mentions[m].label == "PER")
            })
        };
        let titled = v.lex.titles.contains_key(&v.words[h]) && v.words.get(h + 1).is_some_and(|w| w == ",");
        let next = match v.pos[h] {
            "NN" => person_at(h + 1).or_else(|| titled.then(|| person_at(h + 2)).flatten()),
            _ => None,
        };
        if let Some(&i) = next {
            return Some(self.slots[i].clone());
        }
        // Two subjects of one verb: the second is an appositive of the first; so is a second
        // object set off by a comma ("buy Karimi Group, a Dubai-based company,").
        let rel = t.rel[h];
        let second = match rel {
            "nsubj" => t.head[h].is_some_and(|verb| h < verb),
            "obj" => {
                let start = t.subtree(h).start;
                v.words[start] == "," || start.checked_sub(1).is_some_and(|c| v.words[c] == ",")
            }
            _ => false,
        };
        if second {
            let first = t.head[h].and_then(|v| t.children(v).iter().copied().find(|&c| t.rel[c] == rel && c < h));
            if let Some(&i) = first.as_ref().and_then(named) {
                return Some(self.slots[i].clone());
            }
        }
        // "12 people": the count; "ISIL targets", "Iraqi forces", "the group's fighters": the
        // name modifying the noun; "the government of Iraq": an organization noun's name.
        let kids = t.children(h);
        let count = kids.iter().filter(|&&c| t.rel[c] == "nummod").find_map(|&c| self.slot_at.get(&c));
        let org_noun = v.lex.org_nouns.contains(&v.words[h].to_lowercase());
        // ("a Dubai-based company" is not Dubai.)
        let based = |c: usize| v.words[c].ends_with("-based");
        let modifier = kids
            .iter()
            .filter(|&&c| {
                (matches!(t.rel[c], "compound" | "amod" | "nmod:poss" | "flat") && !based(c))
                    || (org_noun && t.rel[c] == "nmod" && self.case(c) == Some("of"))
            })
            .filter_map(|c| named(c).map(|i| (i, t.rel[*c] == "nmod:poss")))
            // "northwestern Syria's Idlib province": the name before the possessor's.
            .min_by_key(|&(&i, poss)| (rank(i), poss))
            .map(|(i, _)| i);
        let slot = if count_first { count.or(modifier) } else { modifier.or(count) };
        slot.map(|&i| self.slots[i].clone()).or_else(|| self.title(h))
    }

    /// A title noun with no organization, as a value: "(as) acting irrigation minister".
    fn title(&self, h: usize) -> Option<Slot> {
        let t = self.t;
        let v = self.v;
        let head = self.lemma(h);
        if !v.lex.titles.contains_key(head) {
            return None;
        }
        let mut a = h;
        while a > self.range.start {
            let p = a - 1;
            let modifier = t.head[p] == Some(h) && matches!(t.rel[p], "amod" | "compound");
            let word = v.is_noun(p) || v.pos[p].starts_with("JJ") || matches!(v.pos[p], "VBG" | "VBN");
            if !modifier || self.slot_at.contains_key(&p) || !word {
                break;
            }
            a = p;
        }
        // "Commander X": a rank alone, capitalized, is how the person is addressed.
        let rank = v.lex.titles.get(head).is_some_and(|e| e.rank);
        let original = v.doc.tokens.get(h).map_or("", |tok| v.text(tok.span));
        if rank && a == h && original.starts_with(char::is_uppercase) {
            return None;
        }
        let value = v.words[a..=h].join(" ").to_lowercase();
        Some(Slot { a, b: h + 1, kind: SlotKind::Title(value) })
    }

    /// Children of the trigger, of the noun it governs and of its light verb, then of the verbs
    /// that control it ("did not try to attack") and the nouns whose infinitive it is ("plans
    /// to acquire").
    fn scope(&self, k: usize, noun: Option<usize>) -> Vec<usize> {
        let t = self.t;
        let mut heads = vec![k];
        heads.extend(noun);
        heads.extend(self.light_verb(k));
        let mut x = k;
        for _ in 0..MAX_STEPS {
            // "tried to attack", and the noun of an infinitive ("plans to acquire", "its bid to buy").
            let infinitive = || t.children(x).iter().any(|&c| t.rel[c] == "mark" && self.v.words[c] == "to");
            match (t.rel[x], t.head[x]) {
                ("xcomp", Some(h)) => {
                    heads.push(h);
                    x = h;
                }
                ("acl", Some(h)) if self.v.is_noun(h) && infinitive() => {
                    heads.push(h);
                    x = h;
                }
                _ => break,
            }
        }
        heads
    }

    fn negated(&self, k: usize, noun: Option<usize>) -> bool {
        let t = self.t;
        let neg = |c: usize| {
            let w = self.v.words[c].to_lowercase();
            self.v.lex.negations.iter().any(|(n, kind)| n.len() == 1 && n[0] == w && *kind == NegKind::Adv)
        };
        let det_no =
            |n: usize| t.children(n).iter().any(|&c| t.rel[c] == "det" && self.v.words[c].eq_ignore_ascii_case("no"));
        self.scope(k, noun)
            .iter()
            .any(|&h| t.children(h).iter().any(|&c| matches!(t.rel[c], "advmod" | "neg") && neg(c)))
            || noun.is_some_and(det_no)
    }

    fn hedged(&self, k: usize) -> bool {
        let t = self.t;
        let v = self.v;
        let hedge = |c: usize| v.lex.is_hedge_word(&v.words[c].to_lowercase(), &v.lemmas[c]);
        let scope = self.scope(k, None);
        scope.iter().skip(1).any(|&h| hedge(h))
            || scope.iter().any(|&h| t.children(h).iter().any(|&c| matches!(t.rel[c], "advmod" | "aux") && hedge(c)))
    }

    /// Whether a speech cue's clausal complement holds the trigger, or a cue hangs on it
    /// ("killed 21, officials say").
    fn cued(&self, k: usize) -> bool {
        let t = self.t;
        let cue = |x: usize| self.v.is_verb(x) && self.v.lex.cues.contains_key(self.lemma(x));
        if t.children(k).iter().any(|&c| matches!(t.rel[c], "parataxis" | "aux") && cue(c)) {
            return true;
        }
        let mut x = k;
        for _ in 0..MAX_STEPS {
            let Some(h) = t.head[x] else { return false };
            if t.rel[x] == "ccomp" && cue(h) {
                return true;
            }
            if !matches!(t.rel[x], "conj" | "xcomp") {
                return false;
            }
            x = h;
        }
        false
    }

    /// An attachment ("any" frame) adds nothing where another frame relates the same pair.
    fn drop_shadowed(&self, out: &mut Vec<Match<'a>>) {
        let key = |m: &Match<'_>| {
            let s = m.subject.as_ref().map(|s| (s.a, s.b));
            let o = m.object.as_ref().map(|o| (o.a, o.b));
            if s <= o {
                (s, o)
            } else {
                (o, s)
            }
        };
        let specific: Vec<_> = out.iter().filter(|m| m.frame.kind != FrameKind::Any).map(key).collect();
        out.retain(|m| m.frame.kind != FrameKind::Any || !specific.contains(&key(m)));
    }
}

/// The preposition introducing `c` ("according to": its fixed words too), lowercase; also one the
/// parse hung on a modifier at the phrase's left edge ("with [Prime Minister] X").
fn case_of(v: &DocView<'_>, t: &Tree<'_>, c: usize) -> Option<String> {
    let edge = t.subtree(c).start;
    let m = t.children(c).iter().copied().find(|&x| t.rel[x] == "case").or_else(|| {
        (edge < c && t.rel[edge] == "case" && t.head[edge].is_some_and(|h| t.subtree(c).contains(&h))).then_some(edge)
    })?;
    let mut w = v.words[m].to_lowercase();
    for f in t.children(m).iter().filter(|&&f| t.rel[f] == "fixed") {
        w.push(' ');
        w.push_str(&v.words[*f].to_lowercase());
    }
    Some(w)
}
