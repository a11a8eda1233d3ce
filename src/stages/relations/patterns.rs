//! Relation patterns over one sentence at a time.
//!
//! **Arguments ("slots")** are entity mentions, value mentions (counts, money), resolved
//! pronouns, event noun phrases ("the bombing in Kabul", normalized through
//! `event_nouns.tsv`), negated quantifiers ("no group", which carry negative polarity), and
//! inside a direct quote "we"/"I" standing for the quote's speaker.
//!
//! **Relations** are predicate frames matched on the dependency parse (`frames.rs`, over the
//! frames in `data/patterns/frames.tsv`): "Y was killed by X" -> X kill Y, "the Coalition
//! conducted strikes against ISIL" -> Coalition attack ISIL, "ISIL, which controls Mosul" ->
//! ISIL control Mosul. This module supplies the frames' arguments (the slots above) and turns
//! each match into a [`Relation`]: polarity from the frame, the trigger's negation, a "no group"
//! subject and a denying statement; modality from hedges in the trigger's scope and the
//! enclosing statement.
//!
//! **Events.** An event argument's value is its class plus its place ("attack in Nahrin"),
//! so outlets using "bombing", "blast" or "assault" about the same place agree. Counts with
//! no subject ("..., killing 11 officers", "14 officers had been killed and 12 wounded", "the
//! death toll from the assault rose to 14") and claims with no object ("claimed
//! responsibility in a statement") refer to the article's current event (or its first one).
//!
//! **Role and family relations** come from the roles [`DocView`] finds: pre-nominal titles
//! ("Boeing chief executive X", "Y's spokesman X", "X's uncle Y"), appositives ("X, the
//! minister of Y," / "the police spokesman, X,") and copulas ("X is a member of Y"). A
//! title without an organization gives `has_title` with the title as a value.

use std::collections::HashSet;

use crate::doc::{Argument, Modality, Polarity, Relation, Span, Statement, StatementKind};
use crate::stages::syntax::Tree;

use super::frames::{Clause, Match};
use super::lexicon::{CueEffect, NegKind};
use super::view::DocView;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum SlotKind {
    Entity(usize),
    /// A value mention (count, money, percent).
    Value(usize),
    /// A pronoun (or "we" in a quote) resolved to an entity mention.
    Pronoun(usize),
    /// An event noun phrase, with its normalized value; `words` prefix the relation phrase
    /// for "@toll" phrases ("death toll").
    /// `place` is the mention the event is anchored to (its named victim, else its place): the
    /// argument's mention, so that the relation links to that entity.
    Event {
        value: String,
        prefix: Option<String>,
        place: Option<usize>,
    },
    /// "no group": a universal negation; the value is the phrase.
    NoneQuant(String),
    /// A title standing alone ("resigned as irrigation minister"): the value is its words.
    Title(String),
}

/// An argument of the sentence, over tokens `a..b`.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub a: usize,
    pub b: usize,
    pub kind: SlotKind,
}

impl Slot {
    fn argument(&self, v: &DocView<'_>) -> Argument {
        let span = v.span_of(self.a, self.b);
        match &self.kind {
            SlotKind::Entity(m) => Argument { span: v.doc.mentions[*m].span, mention: Some(*m), value: None },
            SlotKind::Pronoun(m) => Argument { span, mention: Some(*m), value: None },
            SlotKind::Value(m) => {
                let mm = &v.doc.mentions[*m];
                let value = mm.value.clone().unwrap_or_else(|| v.text(mm.span).to_string());
                Argument { span: mm.span, mention: Some(*m), value: Some(value) }
            }
            // The event phrase where the text has one; linked to its place (or victim).
            SlotKind::Event { value, place: Some(m), .. } => Argument {
                span: if self.a < self.b { span } else { v.doc.mentions[*m].span },
                mention: Some(*m),
                value: Some(value.clone()),
            },
            SlotKind::Event { value, .. } => Argument { span, mention: None, value: Some(value.clone()) },
            SlotKind::NoneQuant(value) | SlotKind::Title(value) => {
                Argument { span, mention: None, value: Some(value.clone()) }
            }
        }
    }
    fn score(&self, v: &DocView<'_>) -> f32 {
        match self.kind {
            SlotKind::Entity(m) | SlotKind::Value(m) => v.doc.mentions[m].score.clamp(0.0, 1.0),
            SlotKind::Pronoun(_) => 0.75,
            SlotKind::Event { .. } | SlotKind::NoneQuant(_) | SlotKind::Title(_) => 0.85,
        }
    }
}

/// Which statement (if any) a span lies in.
/// The innermost one, so "X said Y denied that ..." takes the denial's polarity.
fn statement_of(statements: &[Statement], span: Span) -> Option<usize> {
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.content.contains(&span))
        .min_by_key(|(i, s)| (s.content.len(), *i))
        .map(|(i, _)| i)
}

/// The events an article has mentioned so far, so that "the death toll", a bare "the
/// attack" or "killing 11" can refer back (or, before any, forward to the article's first).
#[derive(Debug, Clone, Default)]
struct EventCtx {
    last: Option<Ev>,
    first_in_doc: Option<Ev>,
}

/// An event's value ("attack in Kabul") and the mention it is anchored to.
pub(super) type Ev = (String, Option<usize>);

impl EventCtx {
    fn current(&self) -> Option<Ev> {
        self.last.clone().or_else(|| self.first_in_doc.clone())
    }
}

/// Is mention `m` a dateline place ("KABUL —" / "PUL-E-KHUMRI, Afghanistan —" at the start)?
pub(crate) fn in_dateline(v: &DocView<'_>, m: usize) -> bool {
    let mm = &v.doc.mentions[m];
    if mm.sentence != 0 || mm.tokens.start > 6 {
        return false;
    }
    let r = v.sentence_tokens(0);
    (mm.tokens.end..r.end.min(mm.tokens.end + 4)).any(|k| matches!(v.words[k].as_str(), "—" | "–" | "-" | "--"))
}

/// Value of an event noun phrase ending at token `head`: its class, and where it happened
/// ("attack in Kabul") so that counts from different outlets about the same event meet; with
/// the mention the event is anchored to (see [`SlotKind::Event`]).
/// The anchor: a named victim ("the killing of X"), else a place right after the noun ("the
/// bombing in Kabul", "the assault on the Nahrin headquarters") or inside its noun phrase
/// ("the Kabul mosque attack"), else one after a locative preposition in the sentence, else
/// any in the sentence, else the previous event of the same class, else the article's first
/// place that is not its dateline.
fn event_value(
    v: &DocView<'_>,
    class: &str,
    head: usize,
    sent: std::ops::Range<usize>,
    last: Option<&Ev>,
    anaphor: Option<&Ev>,
) -> Ev {
    let place_text = |m: usize| -> String {
        let mm = &v.doc.mentions[m];
        match mm.chain.and_then(|c| v.doc.chains.get(c)) {
            Some(ch) => v.text(v.doc.mentions.get(ch.representative).unwrap_or(mm).span).to_string(),
            None => v.text(mm.span).to_string(),
        }
    };
    let is_place = |m: usize| matches!(v.doc.mentions[m].label.as_str(), "LOC" | "GPE");
    let at = |m: usize| (format!("{class} in {}", place_text(m)), Some(m));
    let mut k = head + 1;
    // "the killing of X", "the attack on X": the named victim.
    if k + 1 < sent.end && matches!(v.words[k].as_str(), "of" | "on" | "against") {
        if let Some(m) = v.entity_at(k + 1).filter(|&m| v.doc.mentions[m].label == "PER") {
            return (format!("{class} on {}", place_text(m)), Some(m));
        }
    }
    if k < sent.end && matches!(v.words[k].as_str(), "in" | "at" | "near" | "on" | "outside") {
        k += 1;
        while k < sent.end && v.pos[k] == "DT" {
            k += 1;
        }
        // Right after "the bombing in", a name is a place even when tagged otherwise.
        if let Some(m) =
            v.entity_at(k).filter(|&m| is_place(m) || matches!(v.doc.mentions[m].label.as_str(), "PER" | "MISC"))
        {
            return at(m);
        }
    }
    // "the Ghazni mosque attack", "Friday's Kabul bombing".
    let mut j = head;
    while j > sent.start && (v.is_noun(j - 1) || v.pos[j - 1].starts_with("JJ") || v.mention_at[j - 1].is_some()) {
        j -= 1;
        if let Some(m) = v.mention_at[j].filter(|&m| is_place(m) && !in_dateline(v, m)) {
            return at(m);
        }
    }
    // A bare "the attack" / "the bombing" refers back to the event the article is reporting.
    if head > sent.start && v.pos[head - 1] == "DT" && v.words[head - 1] == "the" {
        if let Some(l) = anaphor {
            return l.clone();
        }
    }
    let locative = |m: usize| {
        let s = v.doc.mentions[m].tokens.start;
        s > sent.start && matches!(v.words[s - 1].as_str(), "in" | "near" | "at" | "outside" | "from")
    };
    let cands: Vec<usize> = sent
        .clone()
        .filter_map(|t| {
            v.mention_at[t].filter(|&m| v.doc.mentions[m].tokens.start == t && is_place(m) && !in_dateline(v, m))
        })
        .collect();
    if let Some(&m) = cands.iter().find(|&&m| locative(m)).or(cands.first()) {
        return at(m);
    }
    if let Some(l) = last.filter(|l| l.0.split(" in ").next() == Some(class)) {
        return l.clone();
    }
    // The article's first place where something happened ("in Kabul"), else its first place.
    let in_doc = |m: usize| {
        let mm = &v.doc.mentions[m];
        mm.tokens.start > 0 && matches!(v.words[mm.tokens.start - 1].as_str(), "in" | "near" | "at" | "outside")
    };
    let places: Vec<usize> = (0..v.doc.mentions.len()).filter(|&m| is_place(m) && !in_dateline(v, m)).collect();
    match places.iter().find(|&&m| in_doc(m)).or(places.first()) {
        Some(&m) => at(m),
        None => (class.to_string(), None),
    }
}

/// The event noun at token `t`, if any, with the start of its noun phrase.
fn event_at<'d>(v: &DocView<'d>, t: usize, floor: usize) -> Option<(&'d str, usize)> {
    if !v.is_noun(t) || v.mention_at[t].is_some() {
        return None;
    }
    let class = v.lex.events.get(v.words[t].as_str())?;
    let mut a = t;
    while a > floor
        && (v.pos[a - 1].starts_with("JJ") || v.is_noun(a - 1) || matches!(v.pos[a - 1], "DT" | "POS" | "PRP$"))
        && v.mention_at[a - 1].is_none()
    {
        a -= 1;
    }
    // "Tuesday's assault": the date is part of the phrase.
    if a > floor && v.pos[a] == "POS" {
        if let Some(m) = v.mention_at[a - 1] {
            a = v.doc.mentions[m].tokens.start.max(floor);
        }
    }
    Some((class.as_str(), a))
}

/// The first event the article mentions, for counts that come before it: one named by a noun
/// in its first two sentences, else the one at the first sentence's place (an article that
/// opens "militants stormed the headquarters, killing 11" reports an attack there), else the
/// first named anywhere, else one at its first place.
fn first_event(v: &DocView<'_>) -> Option<Ev> {
    let is_place = |m: usize| matches!(v.doc.mentions[m].label.as_str(), "LOC" | "GPE");
    let at_place = |m: usize| {
        let r = v.sentence_tokens(v.doc.mentions[m].sentence);
        event_value(v, "attack", v.doc.mentions[m].tokens.start, r, None, None)
    };
    if let Some(e) = named_first_event(v, 1) {
        return Some(e);
    }
    if let Some(m) =
        (0..v.doc.mentions.len()).find(|&m| is_place(m) && !in_dateline(v, m) && v.doc.mentions[m].sentence == 0)
    {
        return Some(at_place(m));
    }
    named_first_event(v, usize::MAX)
        .or_else(|| (0..v.doc.mentions.len()).find(|&m| is_place(m) && !in_dateline(v, m)).map(at_place))
}

fn named_first_event(v: &DocView<'_>, sentences: usize) -> Option<Ev> {
    for s in 0..v.doc.sentences.len().min(sentences) {
        let r = v.sentence_tokens(s);
        for t in r.clone() {
            if let Some((class, _)) = event_at(v, t, r.start) {
                if !class.starts_with('@') {
                    return Some(event_value(v, class, t, r, None, None));
                }
            }
        }
    }
    None
}

/// For each token, the first direct statement whose content holds it (the quote a "we" or
/// "he" stands in), found once per document rather than once per pronoun.
fn quoted_by<'s>(v: &DocView<'_>, statements: &'s [Statement]) -> Vec<Option<&'s Statement>> {
    let mut out = vec![None; v.doc.tokens.len()];
    for st in statements.iter().rev().filter(|st| st.kind == StatementKind::Direct) {
        out[v.doc.tokens_in(st.content)].fill(Some(st));
    }
    out
}

fn slots(v: &DocView<'_>, s: usize, quoted: &[Option<&Statement>], ev: &mut EventCtx) -> Vec<Slot> {
    let r = v.sentence_tokens(s);
    let mut out: Vec<Slot> = Vec::new();
    let mut premod_start: Option<usize> = None;
    let mut t = r.start;
    while t < r.end {
        if let Some(m) = v.mention_at[t] {
            let mm = &v.doc.mentions[m];
            let end = mm.tokens.end.min(r.end).max(t + 1);
            if super::view::is_entity_label(&mm.label) {
                // "Herat-born businessman Haji Nasir Karimi", "Swiss firm Helvetra": a demonym
                // or place modifying a name is not an argument of its own.
                let mut k = end;
                while k < r.end && k < end + 3 && v.mention_at[k].is_none() && matches!(v.pos[k], "NN" | "NNS" | "NNP")
                {
                    k += 1;
                }
                let premodifier = matches!(mm.label.as_str(), "MISC" | "LOC" | "GPE")
                    && k > end
                    && k < r.end
                    && v.mention_at[k].is_some_and(|n| matches!(v.doc.mentions[n].label.as_str(), "PER" | "ORG"));
                if premodifier {
                    // The name's slot starts at its modifiers, so that relation phrases skip them.
                    premod_start.get_or_insert(t);
                } else {
                    out.push(Slot { a: premod_start.take().unwrap_or(t), b: end, kind: SlotKind::Entity(m) });
                }
            } else if matches!(mm.label.as_str(), "CARDINAL" | "MONEY" | "PERCENT" | "QUANTITY") {
                out.push(Slot { a: t, b: end, kind: SlotKind::Value(m) });
            }
            t = end;
            continue;
        }
        let w = v.words[t].as_str();
        // Negated quantifier: "no group", "no one", "nobody".
        if let Some((neg, _)) = v
            .lex
            .negations
            .iter()
            .find(|(n, k)| *k == NegKind::Det && v.words.get(t..t + n.len()).is_some_and(|ws| ws == &n[..]))
        {
            let mut e = t + neg.len();
            if neg.len() == 1 && matches!(v.pos[t], "DT") {
                while e < r.end && (v.is_noun(e) || v.pos[e].starts_with("JJ")) {
                    e += 1;
                }
            }
            if e > t + neg.len() || v.pos[t] == "NN" || neg.len() > 1 {
                out.push(Slot { a: t, b: e, kind: SlotKind::NoneQuant(v.words[t..e].join(" ")) });
                t = e;
                continue;
            }
        }
        if v.pos[t] == "PRP" {
            let in_quote = quoted[t];
            let m = if matches!(w, "we" | "i") {
                in_quote.and_then(|st| st.speaker.as_ref()).and_then(|sp| sp.mention)
            } else if in_quote.is_none() {
                v.resolve_pronoun(t, None)
            } else {
                None
            };
            if let Some(m) = m {
                out.push(Slot { a: t, b: t + 1, kind: SlotKind::Pronoun(m) });
            }
            t += 1;
            continue;
        }
        if let Some((class, a)) = event_at(v, t, r.start) {
            if class == "@toll" {
                // "The death toll from Tuesday's assault on the Nahrin headquarters rose to
                // 14": the phrase runs to its verb and names its event, if it does.
                let prefix = (a..=t)
                    .filter(|&k| !matches!(v.pos[k], "DT" | "POS" | "PRP$") && v.mention_at[k].is_none())
                    .map(|k| v.words[k].clone())
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut b = t + 1;
                let mut named = None;
                if b < r.end && matches!(v.words[b].as_str(), "from" | "in" | "of") {
                    let mut k = b + 1;
                    while k < r.end && k < t + 14 && !v.is_verb(k) && !v.is_punct(k) {
                        if named.is_none() {
                            if let Some((c2, _)) = event_at(v, k, r.start).filter(|(c2, _)| !c2.starts_with('@')) {
                                named = Some(event_value(v, c2, k, r.clone(), ev.last.as_ref(), ev.current().as_ref()));
                            }
                        }
                        k += 1;
                    }
                    if k < r.end && v.is_verb(k) {
                        b = k;
                    }
                }
                if let Some((value, place)) = named.or_else(|| ev.current()) {
                    ev.last = Some((value.clone(), place));
                    out.push(Slot { a, b, kind: SlotKind::Event { value, prefix: Some(prefix), place } });
                }
                t = b.max(t + 1);
                continue;
            }
            let (value, place) = event_value(v, class, t, r.clone(), ev.last.as_ref(), ev.current().as_ref());
            ev.last = Some((value.clone(), place));
            // "the bombing in Kabul": the place is part of the event argument.
            let mut b = t + 1;
            if b + 1 < r.end && matches!(v.words[b].as_str(), "in" | "at" | "near") {
                let mut k = b + 1;
                while k < r.end && v.pos[k] == "DT" {
                    k += 1;
                }
                if let Some(m) = v.entity_at(k) {
                    if matches!(v.doc.mentions[m].label.as_str(), "LOC" | "GPE") {
                        b = v.doc.mentions[m].tokens.end;
                    }
                }
            }
            out.push(Slot { a, b, kind: SlotKind::Event { value, prefix: None, place } });
            t = b;
            continue;
        }
        // "the group", "the ministry", "the global coalition": the nearest organization named
        // before whose name has that noun ("the Global Coalition to Counter ISIL"), else the
        // nearest one.
        let mut n = t + 1;
        while n < r.end && v.pos[n].starts_with("JJ") && v.mention_at[n].is_none() {
            n += 1;
        }
        // (With an adjective, only a definite one: "a remarkable firm" is news of its own.)
        let definite = n == t + 1 || matches!(w, "the" | "this" | "that");
        if v.pos[t] == "DT"
            && definite
            && n < r.end
            && v.is_noun(n)
            && v.lex.org_nouns.contains(&v.words[n])
            && v.mention_at[n].is_none()
            && !(n + 1 < r.end && v.is_noun(n + 1))
        {
            let before = |m: &crate::doc::Mention| m.label == "ORG" && m.tokens.end <= t;
            let named = |m: &crate::doc::Mention| m.tokens.clone().any(|k| v.words.get(k) == Some(&v.words[n]));
            let mentions = || v.doc.mentions.iter().enumerate().rev().filter(|(_, m)| before(m));
            let org = mentions()
                .find(|(_, m)| named(m))
                .or_else(|| mentions().find(|(_, m)| s.saturating_sub(m.sentence) <= 3));
            if let Some((mi, _)) = org {
                out.push(Slot { a: t, b: n + 1, kind: SlotKind::Pronoun(mi) });
                t = n + 1;
                continue;
            }
        }
        t += 1;
    }
    out
}

fn modality_of(hedged: bool, statement: Option<&Statement>, v: &DocView<'_>) -> Modality {
    if hedged {
        return Modality::Hedged;
    }
    match statement {
        Some(st) => match v.lex.cues.get(&st.cue) {
            Some(CueEffect::Hedge | CueEffect::Stance) => Modality::Hedged,
            _ => Modality::Reported,
        },
        None => Modality::Asserted,
    }
}

/// A statement whose cue denies its content flips the polarity of what it contains.
fn deny_flip(statement: Option<&Statement>, v: &DocView<'_>) -> bool {
    statement.is_some_and(|st| v.lex.cues.get(&st.cue) == Some(&CueEffect::Deny))
}

/// A leader's title with a subordinate modifier ("deputy governor", "gang leader") makes its
/// holder a member of the organization, not its leader.
fn subordinate_type<'t>(v: &DocView<'_>, rtype: &'t str, modifiers: &[String]) -> &'t str {
    if rtype == "leader_of" && modifiers.iter().any(|w| v.lex.subordinates.contains(w)) {
        "member_of"
    } else {
        rtype
    }
}

fn frame_relation(
    v: &DocView<'_>,
    statements: &[Statement],
    s: usize,
    m: &Match<'_>,
    subj: &Slot,
    obj: &Slot,
) -> Relation {
    let evidence = v.span_of(m.tokens.start, m.tokens.end);
    let st = statement_of(statements, evidence);
    let stmt = st.and_then(|i| statements.get(i));
    let negative = m.frame.negated ^ m.negated ^ matches!(subj.kind, SlotKind::NoneQuant(_)) ^ deny_flip(stmt, v);
    let modality = match modality_of(m.hedged, stmt, v) {
        Modality::Asserted if m.cued => Modality::Reported,
        other => other,
    };
    Relation {
        sentence: s,
        subject: subj.argument(v),
        object: obj.argument(v),
        predicate: m.frame.predicate.clone(),
        rtype: Some(subordinate_type(v, &m.frame.rtype, &m.modifiers).to_string()),
        polarity: if negative { Polarity::Negative } else { Polarity::Positive },
        modality,
        statement: st,
        evidence,
        score: 0.75 * subj.score(v).min(obj.score(v)),
        frame: m.frame.id.clone(),
    }
}

/// An event of `class` on a named person: "attack on X", anchored to X.
pub(super) fn event_on(v: &DocView<'_>, class: &str, victim: usize) -> Ev {
    let mm = &v.doc.mentions[victim];
    let name = match mm.chain.and_then(|c| v.doc.chains.get(c)) {
        Some(ch) => v.text(v.doc.mentions.get(ch.representative).unwrap_or(mm).span),
        None => v.text(mm.span),
    };
    (format!("{class} on {name}"), Some(victim))
}

pub(crate) fn find_relations(v: &DocView<'_>, statements: &[Statement]) -> Vec<Relation> {
    let tree = Tree::new(v.doc);
    let mut out: Vec<Relation> = Vec::new();
    let mut ev = EventCtx { last: None, first_in_doc: first_event(v) };
    let quoted = quoted_by(v, statements);
    for s in 0..v.doc.sentences.len() {
        let event_before = ev.current();
        let mut clause = Clause::new(v, &tree, slots(v, s, &quoted, &mut ev), v.sentence_tokens(s));
        // "the killing of councillor X", "the murder of X": an event phrase whose parse names
        // its victim is about that person (the word-level reading only sees a name right after
        // "of"); so is a later bare "the killing".
        for (old, new) in clause.anchor_victims() {
            if ev.last.as_ref().is_some_and(|l| l.0 == old.0) {
                ev.last = Some(new);
            }
        }
        // "Gunmen shot dead X": a verb, not a noun, told of the event; later "the killing"
        // refers to the attack on X.
        if !clause.slots.iter().any(|x| matches!(x.kind, SlotKind::Event { .. })) {
            if let Some(victim) = clause.victim() {
                ev.last = Some(event_on(v, "attack", victim));
            }
        }
        for m in clause.matches() {
            // A count with no subject, a claim with no object: the event the article reports.
            let article_event = || {
                let (value, place) = event_before.clone().or_else(|| ev.current())?;
                let at = m.tokens.start;
                (!value.is_empty()).then_some(Slot {
                    a: at,
                    b: at,
                    kind: SlotKind::Event { value, prefix: None, place },
                })
            };
            let (Some(subject), Some(object)) =
                (m.subject.clone().or_else(article_event), m.object.clone().or_else(article_event))
            else {
                continue;
            };
            out.push(frame_relation(v, statements, s, &m, &subject, &object));
        }
    }
    // Roles and family ties.
    for r in &v.roles {
        let person = &v.doc.mentions[r.person];
        let (predicate, rtype, object, frame) = if r.family {
            let Some(other) = r.other.filter(|&o| v.doc.mentions[o].label == "PER") else { continue };
            let pred = v.lex.family.get(&r.head).cloned().unwrap_or_else(|| format!("{}_of", r.head));
            (
                pred,
                "family".to_string(),
                Argument { span: v.doc.mentions[other].span, mention: Some(other), value: None },
                "role:family",
            )
        } else {
            let Some(entry) = v.lex.titles.get(&r.head) else { continue };
            // "the head of the agency, Commander X": a title of another person.
            // ("Acme's chief executive X" with Acme tagged as a person still counts.)
            let possessor =
                |o: usize| v.doc.mentions[o].tokens.end < v.len() && v.words[v.doc.mentions[o].tokens.end] == "'s";
            if r.other.is_some_and(|o| v.doc.mentions[o].label == "PER" && !possessor(o)) {
                continue;
            }
            match r
                .other
                .filter(|&o| v.doc.mentions[o].label == "ORG" || (v.doc.mentions[o].label == "PER" && possessor(o)))
            {
                Some(o) => (
                    entry.predicate.clone(),
                    subordinate_type(v, &entry.rtype, &r.modifiers).to_string(),
                    Argument { span: v.doc.mentions[o].span, mention: Some(o), value: None },
                    "role:title",
                ),
                // A title alone, or of a place ("the police chief of Kabul province",
                // "Afghanistan's interior minister"): a role whose value is the title.
                None => {
                    // A bare capitalized rank before the name ("Commander X") is how the person
                    // is addressed ("Governor X" is a role).
                    let bare = r.evidence.start == r.phrase.start
                        && r.modifiers.is_empty()
                        && r.other.is_none()
                        && v.text(r.phrase).chars().next().is_some_and(char::is_uppercase);
                    if bare && entry.rank {
                        continue;
                    }
                    (
                        "has_title".to_string(),
                        "role".to_string(),
                        Argument { span: r.phrase, mention: None, value: Some(v.text(r.phrase).to_lowercase()) },
                        "role:has_title",
                    )
                }
            }
        };
        let st = statement_of(statements, r.evidence);
        let stmt = st.and_then(|i| statements.get(i));
        out.push(Relation {
            sentence: r.sentence,
            subject: Argument { span: person.span, mention: Some(r.person), value: None },
            object,
            predicate,
            rtype: Some(rtype),
            polarity: if deny_flip(stmt, v) { Polarity::Negative } else { Polarity::Positive },
            modality: modality_of(false, stmt, v),
            statement: st,
            evidence: r.evidence,
            score: 0.8 * person.score.clamp(0.0, 1.0).max(0.5),
            frame: frame.to_string(),
        });
    }
    out.sort_by(|a, b| {
        (a.evidence.start, a.evidence.end, &a.predicate, a.subject.span, a.object.span).cmp(&(
            b.evidence.start,
            b.evidence.end,
            &b.predicate,
            b.subject.span,
            b.object.span,
        ))
    });
    // Where a frame on the parse and a word-level role phrase give one person the same role
    // or kin in a sentence, the parse decides whom it is of ("His brother, X": his = whom).
    let framed: HashSet<(usize, Span, &str)> = out
        .iter()
        .filter(|r| !r.frame.starts_with("role:"))
        .map(|r| (r.sentence, r.subject.span, r.predicate.as_str()))
        .collect();
    let dropped: Vec<bool> = out
        .iter()
        .map(|r| r.frame.starts_with("role:") && framed.contains(&(r.sentence, r.subject.span, r.predicate.as_str())))
        .collect();
    let mut dropped = dropped.into_iter();
    out.retain(|_| !dropped.next().unwrap_or(false));
    // A bare title is a fallback: not where the sentence already gives the person a role.
    // Nor is a title's value where the sentence relates the person to an organization by it.
    let roles = |of_org: bool| -> HashSet<(usize, Span)> {
        out.iter()
            .filter(|r| {
                r.frame != "title:value" && matches!(r.rtype.as_deref(), Some("role" | "leader_of" | "member_of"))
            })
            .filter(|r| !of_org || r.object.mention.is_some())
            .map(|r| (r.sentence, r.subject.span))
            .collect()
    };
    let (any_role, org_role) = (roles(false), roles(true));
    out.retain(|r| {
        let key = (r.sentence, r.subject.span);
        !(r.frame == "title:value" && any_role.contains(&key) || r.frame == "role:has_title" && org_role.contains(&key))
    });
    // One relation per sentence, predicate and argument pair (two triggers of the same frame,
    // or a clause read twice): the first. Objects with a value are the same by value.
    let mut seen: HashSet<(usize, String, Span, Result<String, Span>)> = HashSet::new();
    let mut kept: Vec<Relation> = Vec::with_capacity(out.len());
    for r in out {
        let object = r.object.value.clone().ok_or(r.object.span);
        if seen.insert((r.sentence, r.predicate.clone(), r.subject.span, object)) {
            kept.push(r);
        }
    }
    kept
}
