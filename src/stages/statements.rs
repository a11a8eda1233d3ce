//! Statements: who said what.
//!
//! Two passes over a tagged document.
//!
//! 1. **Direct quotes.** Quote marks are paired on the raw text (straight, curly, single,
//!    guillemets; apostrophes inside words are not quotes; a paragraph that ends inside a quote
//!    continues when the next paragraph opens with a quote mark, the news convention for long
//!    quotes). A quote becomes a statement when an attribution sits next to it — after the
//!    close (`, he said` / `, said a security analyst`) or before the open
//!    (`Khalil told reporters: "...`) — or when it reads as a clause of its own (several words,
//!    ending in punctuation) and a neighbouring quote's speaker carries over
//!    (`"...," he said. "...."`). A quote split around its attribution
//!    (`"We will," he said, "rebuild."`) is one statement whose content spans both parts.
//!    Short quotes with neither (scare quotes, titles) are not statements; inside reported
//!    speech they make it `mixed`.
//! 2. **Reported speech.** A cue verb from `data/patterns/speech_cues.tsv` with a speaker noun
//!    phrase before it and a clause after it (`X said on Tuesday that ...`, `X denied ...`), a
//!    clause before it (`..., the minister said.`), or `according to X`.
//!
//! Speakers: a named mention in the speaker noun phrase; a pronoun resolved to a preceding
//! person or organization (preferring the previous statement's speaker); a role phrase
//! ("the acting interior minister") resolved to the person the article gave that role; a
//! generic organization noun ("the group", "the ministry") resolved to the nearest preceding
//! organization; otherwise the noun phrase text is kept ("a government official who asked
//! not to be named") with no mention.

use std::ops::Range;

use crate::doc::{Document, Span, Speaker, Statement, StatementKind};
use crate::stages::relations::view::DocView;
use crate::stages::relations::ClaimsConfig;
use crate::stages::syntax::Tree;

/// A pair of quote marks: `outer` includes the marks, `content` is what they enclose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quote {
    pub outer: Span,
    pub content: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Straight,
    Curly,
    Single,
    Guillemet,
}

fn opens(c: char) -> Option<Mark> {
    match c {
        '"' => Some(Mark::Straight),
        '“' | '„' => Some(Mark::Curly),
        '\'' | '‘' => Some(Mark::Single),
        '«' => Some(Mark::Guillemet),
        _ => None,
    }
}

fn closes(c: char, m: Mark) -> bool {
    match m {
        Mark::Straight => c == '"',
        Mark::Curly => c == '”' || c == '"',
        Mark::Single => c == '\'' || c == '’',
        Mark::Guillemet => c == '»',
    }
}

/// Longest a single-quoted stretch may run: a stray apostrophe must not swallow an article.
const MAX_SINGLE_QUOTE: usize = 1200;

/// Pairs quote marks in `text`. Quotes do not nest (marks inside an open quote are content).
pub(crate) fn find_quotes(text: &str) -> Vec<Quote> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut open: Option<(Mark, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        let (b, c) = chars[i];
        let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
        let next = chars.get(i + 1).map(|x| x.1);
        match open {
            None => {
                if let Some(m) = opens(c) {
                    let ok = match m {
                        // An opening single quote follows a space or an opening bracket and
                        // precedes a word: "rock 'n' roll" and "'90s" are close enough to skip.
                        Mark::Single => {
                            prev.map_or(true, |p| p.is_whitespace() || matches!(p, '(' | '[' | '—' | '"' | '“'))
                                && next.is_some_and(|n| n.is_alphanumeric() || n == '…')
                        }
                        _ => next.is_some_and(|n| !n.is_whitespace()) || c != '"',
                    };
                    if ok {
                        open = Some((m, b));
                    }
                }
            }
            Some((m, start)) => {
                if c == '\n' {
                    // Paragraph end inside a quote: continues only if the next paragraph
                    // reopens with the same kind of mark.
                    let mut j = i + 1;
                    while j < chars.len() && chars[j].1.is_whitespace() {
                        j += 1;
                    }
                    if j < chars.len() && opens(chars[j].1) == Some(m) {
                        i = j + 1;
                        continue;
                    }
                    open = None;
                } else if closes(c, m) {
                    let is_close = match m {
                        Mark::Single => {
                            prev.is_some_and(|p| !p.is_whitespace()) && !next.is_some_and(|n| n.is_alphanumeric())
                        }
                        _ => true,
                    };
                    if is_close {
                        let open_len = text[start..].chars().next().map_or(1, char::len_utf8);
                        let (cs, ce) = (start + open_len, b);
                        let inner = &text[cs..ce];
                        let lead = inner.len() - inner.trim_start().len();
                        let trail = inner.len() - inner.trim_end().len();
                        if cs + lead < ce - trail {
                            out.push(Quote {
                                outer: Span::new(start, b + c.len_utf8()),
                                content: Span::new(cs + lead, ce - trail),
                            });
                        }
                        open = None;
                    }
                } else if m == Mark::Single && b - start > MAX_SINGLE_QUOTE {
                    open = None;
                }
            }
        }
        i += 1;
    }
    out
}

/// Index of the first token starting at or after byte `b`.
fn token_at_or_after(doc: &Document, b: usize) -> usize {
    doc.tokens.partition_point(|t| t.span.start < b)
}

/// Tokens lying inside `span`.
fn tokens_in(doc: &Document, span: Span) -> Range<usize> {
    let a = token_at_or_after(doc, span.start);
    let z = doc.tokens.partition_point(|t| t.span.end <= span.end);
    a..z.max(a)
}

fn is_quote_word(w: &str) -> bool {
    matches!(w, "\"" | "“" | "”" | "'" | "‘" | "’" | "«" | "»" | "``" | "''")
}

/// A speaker noun phrase, resolved.
struct Resolved {
    speaker: Speaker,
    score: f32,
}

struct Attribution {
    speaker: Option<Resolved>,
    cue: String,
    cue_tok: usize,
    /// Last token used by the attribution (exclusive end), for merging split quotes.
    end: usize,
}

struct Finder<'v, 'd> {
    v: &'v DocView<'d>,
}

impl<'v, 'd> Finder<'v, 'd> {
    fn is_cue(&self, t: usize) -> bool {
        self.v.is_verb(t) && self.v.lex.cues.contains_key(&self.v.lemmas[t])
    }

    fn np_like(&self, k: usize) -> bool {
        let c = self.v.chunk[k];
        c.ends_with("NP")
            || self.v.entity_at(k).is_some()
            || matches!(self.v.pos[k], "POS" | "PRP" | "DT" | "PRP$" | "CD")
            || self.v.is_noun(k)
            || self.v.pos[k].starts_with("JJ")
    }

    /// Start of the noun phrase ending just before `end` (walking over "X 's Y" and role
    /// phrases with "of/for/at" + noun phrase).
    fn np_left(&self, end: usize, floor: usize) -> usize {
        let mut a = end;
        while a > floor && self.np_like(a - 1) {
            a -= 1;
            let begins = self.v.chunk[a].starts_with("B-") || matches!(self.v.pos[a], "DT" | "PRP" | "PRP$");
            let joined = a > floor && self.v.pos[a - 1] == "POS";
            let in_mention =
                a > floor && self.v.entity_at(a).is_some() && self.v.entity_at(a) == self.v.entity_at(a - 1);
            if begins && !joined && !in_mention {
                break;
            }
        }
        // "a spokesman for the ministry": keep going over the PP when what precedes is a role.
        if a > floor + 1 && a < end && matches!(self.v.words[a - 1].as_str(), "of" | "for" | "at") {
            let b = self.np_left(a - 1, floor);
            if b < a - 1 && self.v.find_title(b, a - 1).is_some() {
                return b;
            }
        }
        a
    }

    /// End of the speaker noun phrase starting at `start` (inverted "said a security analyst
    /// who asked not to be named").
    fn np_right(&self, start: usize, limit: usize) -> usize {
        let mut k = start;
        while k < limit {
            let w = self.v.words[k].as_str();
            if matches!(self.v.pos[k], "WP" | "WDT") {
                // Relative clause: to the next punctuation.
                while k < limit && !self.v.is_punct(k) {
                    k += 1;
                }
                break;
            }
            if matches!(w, "of" | "for" | "at") && k > start && k + 1 < limit && self.np_like(k + 1) {
                k += 1;
                continue;
            }
            // "the provincial police spokesman, Mohammad Basharat": the name after the comma.
            if w == "," && k > start {
                if let Some(m) = self.v.entity_at(k + 1).filter(|&m| self.v.doc.mentions[m].label == "PER") {
                    let me = self.v.doc.mentions[m].tokens.end;
                    if me >= limit || matches!(self.v.words[me].as_str(), "," | "." | ";") {
                        k = me.min(limit);
                    }
                }
                break;
            }
            if !self.np_like(k)
                || (k > start
                    && self.v.chunk[k] == "B-NP"
                    && self.v.pos[k - 1] != "POS"
                    && !matches!(self.v.words[k - 1].as_str(), "of" | "for" | "at")
                    && self.v.entity_at(k).is_none())
            {
                break;
            }
            k += 1;
        }
        k
    }

    /// Resolves a speaker noun phrase over tokens `a..b`.
    fn resolve(&self, a: usize, b: usize, hint: Option<usize>) -> Option<Resolved> {
        if a >= b {
            return None;
        }
        let v = self.v;
        let doc = v.doc;
        let head_end = (a..b).find(|&k| matches!(v.pos[k], "IN" | "WP" | "WDT")).unwrap_or(b);
        let span = v.span_of(a, b);
        // Named: the last entity in the head part ("Boeing chief executive Jane Doe").
        let mut named: Option<usize> = None;
        for k in a..head_end {
            if let Some(m) = v.entity_at(k) {
                let better = match named {
                    None => true,
                    Some(o) => doc.mentions[o].label != "PER" || doc.mentions[m].label == "PER",
                };
                if better {
                    named = Some(m);
                }
            }
        }
        if let Some(m) = named {
            // "Hamas's spokesman" names the organization but the speaker is the role.
            let possessed = doc.mentions[m].tokens.end < head_end && v.words[doc.mentions[m].tokens.end] == "'s";
            if !possessed {
                return Some(Resolved {
                    speaker: Speaker { span: doc.mentions[m].span, mention: Some(m) },
                    score: 0.95,
                });
            }
        }
        if b - a == 1 && v.pos[a] == "PRP" {
            let m = v.resolve_pronoun(a, hint)?;
            return Some(Resolved { speaker: Speaker { span, mention: Some(m) }, score: 0.85 });
        }
        if let Some(m) = v.resolve_role(a, b) {
            let pm = doc.mentions.get(m).map(|_| m);
            return Some(Resolved { speaker: Speaker { span, mention: pm }, score: 0.85 });
        }
        // "the group said": the nearest preceding organization.
        let head = (a..head_end).rev().find(|&k| v.is_noun(k));
        if let Some(h) = head {
            if v.pos[a] == "DT" && v.lex.org_nouns.contains(&v.words[h]) {
                let s = v.sentence_of(a);
                let org = doc.mentions.iter().enumerate().rev().find(|(_, m)| {
                    m.label == "ORG"
                        && m.tokens.end <= a
                        && s.saturating_sub(m.sentence) <= 3
                        && v.text(m.span).to_lowercase().split_whitespace().any(|w| w == v.words[h])
                });
                let org = org.or_else(|| {
                    doc.mentions
                        .iter()
                        .enumerate()
                        .rev()
                        .find(|(_, m)| m.label == "ORG" && m.tokens.end <= a && s.saturating_sub(m.sentence) <= 2)
                });
                if let Some((mi, _)) = org {
                    return Some(Resolved { speaker: Speaker { span, mention: Some(mi) }, score: 0.75 });
                }
            }
        }
        // Unnamed: keep the text if it is a noun phrase at all.
        if (a..b).any(|k| v.is_noun(k)) {
            return Some(Resolved { speaker: Speaker { span, mention: None }, score: 0.8 });
        }
        None
    }

    /// Speaker noun phrase left of token `cue` in its sentence: skips adverbs and
    /// auxiliaries ("he also said", "has said") and an appositive between commas.
    fn speaker_before(&self, cue: usize, floor: usize, hint: Option<usize>) -> Option<(Resolved, usize)> {
        let v = self.v;
        let mut e = cue;
        while e > floor
            && (matches!(v.pos[e - 1], "RB" | "MD")
                || (v.is_verb(e - 1) && matches!(v.lemmas[e - 1].as_str(), "have" | "be" | "do")))
        {
            e -= 1;
        }
        if e > floor && v.words[e - 1] == "," {
            // "Khalil, the acting interior minister, said" / "an official, who asked not to be
            // named, said": the noun phrase before the first comma.
            let mut p = e - 1;
            while p > floor && v.words[p - 1] != "," && e - p < 14 {
                p -= 1;
            }
            if p > floor && v.words[p - 1] == "," {
                let a = self.np_left(p - 1, floor);
                if a < p - 1 {
                    let has_entity = (a..p - 1).any(|k| v.entity_at(k).is_some());
                    let rel = matches!(v.pos[p], "WP" | "WDT");
                    let r = if has_entity || !rel {
                        self.resolve(a, p - 1, hint)
                    } else {
                        self.resolve(a, e - 1, hint).map(|mut r| {
                            r.speaker.span = v.span_of(a, e - 1);
                            r
                        })
                    };
                    return r.map(|r| (r, a));
                }
            }
            return None;
        }
        let mut a = self.np_left(e, floor);
        if a == e {
            // "a government official who asked not to be named said": back to the relative
            // pronoun, then the noun phrase it hangs on.
            let w = (floor..e)
                .rev()
                .take(10)
                .take_while(|&k| !v.is_punct(k))
                .find(|&k| matches!(v.pos[k], "WP" | "WDT"))?;
            a = self.np_left(w, floor);
            if a == w {
                return None;
            }
        }
        self.resolve(a, e, hint).map(|r| (r, a))
    }

    /// Reported speech read off the parse: the cue's subject is the speaker (a conjunct or
    /// complement cue takes its head's: "smiled and said", "went on to say"; a participle
    /// takes the subject of the clause it modifies: "unleashed tweets saying"). The content is
    /// the cue's clausal complement, else its object (not the addressee of "tell"), else a
    /// clause the cue hangs on ("..., the minister said"). Returns the speaker and the
    /// content's token range.
    fn reported(
        &self,
        t: &Tree<'_>,
        c: usize,
        sent: Range<usize>,
        hint: Option<usize>,
    ) -> Option<(Resolved, usize, usize)> {
        let v = self.v;
        let subj = t.child(c, &["nsubj", "nsubj:outer"]).or_else(|| {
            let h = t.head[c]?;
            matches!(t.base_rel(c), "conj" | "xcomp" | "advcl" | "acl")
                .then(|| t.child(h, &["nsubj", "nsubj:outer"]))
                .flatten()
                .filter(|_| t.base_rel(c) != "acl" || v.is_verb(h))
        })?;
        // "an official who said": the noun the relative clause hangs on.
        let subj = match (v.pos[subj], t.head[subj]) {
            ("WP" | "WDT", Some(h)) if t.rel[h] == "acl:relcl" => t.head[h].unwrap_or(subj),
            _ => subj,
        };
        // "an official who asked not to be named said": a relative clause on a subject
        // describes the source; it is not a statement of its own.
        if t.rel[c] == "acl:relcl" && t.head[c].is_some_and(|h| t.base_rel(h) == "nsubj") {
            return None;
        }
        let res = self.subject(t, subj, hint)?;
        let addressee = matches!(
            v.lemmas[c].as_str(),
            "tell" | "ask" | "inform" | "remind" | "assure" | "urge" | "warn" | "convince" | "persuade"
        );
        // The complements: every clausal complement and (unless it is the addressee) the object,
        // taken together ("said jobs in Afghanistan were safe" may parse as object + clause).
        // A clause marked "that" counts whatever its label ("said that ..." parsed as advcl); one
        // marked as a contrast or condition ("..., though others put it higher") is the writer's.
        let mark = |k: usize| t.children(k).iter().copied().find(|&m| t.rel[m] == "mark").map(|m| v.words[m].as_str());
        let subj_start = t.subtree(subj).start;
        let comps: Vec<usize> = t
            .children(c)
            .iter()
            .copied()
            .filter(|&k| match t.rel[k] {
                "ccomp" | "xcomp" => true,
                "obj" => !addressee && v.lemmas[c] != "claim",
                "parataxis" => k > c,
                "advcl" => mark(k) == Some("that"),
                _ => false,
            })
            .filter(|&k| {
                !matches!(mark(k), Some("though" | "although" | "while" | "whereas" | "because" | "if" | "but"))
            })
            // Before the cue only as a clause ahead of the speaker ("X, the minister said").
            .filter(|&k| k > c || t.subtree(k).end <= subj_start)
            .collect();
        // "claimed responsibility and then denied it": a pronoun object stands for the clause
        // the cue is conjoined to, which is then the content.
        let pronoun = |k: usize| t.subtree(k).len() == 1 && matches!(v.pos[k], "PRP" | "DT");
        let clausal = comps.iter().any(|&k| t.rel[k] != "obj");
        let (mut a, mut b) = if let Some(m) = (!clausal).then(|| self.that_clause(t, c, sent.end)).flatten() {
            m
        } else if comps.iter().all(|&k| pronoun(k)) {
            // "The attack was planned abroad, the minister said.": the clause the cue hangs on
            // (as parataxis or, in a weaker parse, a conjunct), up to the cue's own phrase; or,
            // when the parse attaches the cue elsewhere, the clause before ", SPEAKER said."
            match t.head[c].filter(|&h| h < c && matches!(t.base_rel(c), "parataxis" | "conj")) {
                Some(h) => (t.subtree(h).start.max(sent.start), t.subtree(c).start),
                None => {
                    let r = t.subtree(subj);
                    let s0 = (r.start..subj).find(|&k| !v.is_punct(k)).unwrap_or(subj);
                    let last = (c + 1..sent.end).all(|k| v.is_punct(k));
                    (last && s0 > sent.start + 2 && v.words[s0 - 1] == ",").then_some((sent.start, s0 - 1))?
                }
            }
        } else {
            let a = comps.iter().map(|&k| t.subtree(k).start).min().unwrap_or(c);
            let b = comps.iter().map(|&k| t.subtree(k).end).max().unwrap_or(c);
            (a, b)
        };
        while a < b && (v.is_punct(a) || (t.rel[a] == "mark" && v.words[a] == "that")) {
            a += 1;
        }
        while b > a && (v.is_punct(b - 1) || is_quote_word(&v.words[b - 1])) {
            b -= 1;
        }
        let words = (a..b).filter(|&k| !v.is_punct(k)).count();
        // Two words at least: a pronoun object ("denied it", "described him") says nothing.
        (words >= 2).then_some((res, a, b))
    }

    /// A clause opened by "that" after cue `c` and hanging below it, whatever the parse made of
    /// it ("told reporters on Tuesday that ...", "said in a statement that ..." are often
    /// attached to the nearest noun): from after "that" to the end of its clause.
    fn that_clause(&self, t: &Tree<'_>, c: usize, end: usize) -> Option<(usize, usize)> {
        let v = self.v;
        let r = t.subtree(c);
        let m = (c + 1..r.end.min(end)).find(|&k| v.words[k] == "that" && t.rel[k] == "mark")?;
        let h = t.head[m]?;
        t.child(h, &["nsubj", "nsubj:pass", "expl"])?;
        Some((m + 1, t.subtree(h).end))
    }

    /// The speaker a subject names: its subtree without relative clauses, appositions and
    /// trailing punctuation, resolved as any speaker phrase.
    fn subject(&self, t: &Tree<'_>, subj: usize, hint: Option<usize>) -> Option<Resolved> {
        let v = self.v;
        let r = t.subtree(subj);
        let cut = t
            .children(subj)
            .iter()
            .filter(|&&k| k > subj && matches!(t.base_rel(k), "acl" | "parataxis"))
            .map(|&k| t.subtree(k).start)
            .min()
            .unwrap_or(r.end);
        let (mut a, mut b) = (r.start, cut.max(subj + 1));
        while a < subj && v.is_punct(a) {
            a += 1;
        }
        while b > subj + 1 && v.is_punct(b - 1) {
            b -= 1;
        }
        if v.pos[subj].starts_with("PRP") && b - a == 1 {
            let m = v.resolve_pronoun(subj, hint)?;
            return Some(Resolved { speaker: Speaker { span: v.span_of(a, b), mention: Some(m) }, score: 0.85 });
        }
        // Relative and interrogative pronouns ("who said") are not speakers themselves.
        if matches!(v.pos[subj], "WP" | "WDT" | "EX") {
            return None;
        }
        self.resolve(a, b, hint)
    }

    /// Attribution after a quote closing before token `t`: `, he said` / `, said X` / `X said`.
    fn attribution_after(&self, t: usize, hint: Option<usize>) -> Option<Attribution> {
        let v = self.v;
        let mut k = t;
        if k < v.len() && v.words[k] == "," {
            k += 1;
        }
        let s = if k < v.len() { v.sentence_of(k) } else { return None };
        let limit = v.sentence_tokens(s).end.max(k);
        let mut end = k;
        while end < limit
            && end - k < 14
            && !matches!(v.words[end].as_str(), "." | "?" | "!" | ";")
            && !is_quote_word(&v.words[end])
        {
            end += 1;
        }
        let c = (k..end).find(|&c| self.is_cue(c))?;
        // Only a speaker (and adverbs/auxiliaries) may stand between the quote and the cue.
        if (k..c).any(|x| v.is_verb(x) && !matches!(v.lemmas[x].as_str(), "have" | "be" | "do")) {
            return None;
        }
        let (speaker, after) = if c == k {
            let e = self.np_right(c + 1, end);
            (self.resolve(c + 1, e, hint), e)
        } else {
            (self.speaker_before(c, k, hint).map(|(r, _)| r), c + 1)
        };
        speaker.as_ref()?;
        Some(Attribution { speaker, cue: v.lemmas[c].clone(), cue_tok: c, end: after })
    }

    /// Attribution before a quote opening at token `t`: `Khalil said:` / `he told reporters,`.
    fn attribution_before(&self, t: usize, hint: Option<usize>) -> Option<Attribution> {
        let v = self.v;
        if t == 0 || t > v.len() {
            return None;
        }
        let s = v.sentence_of(t.min(v.len() - 1));
        let floor = v.sentence_tokens(s).start.min(t);
        let mut e = t;
        if e > floor && matches!(v.words[e - 1].as_str(), ":" | ",") {
            e -= 1;
        }
        let c = (floor..e).rev().take(8).find(|&c| self.is_cue(c))?;
        // Between cue and quote: an addressee or a prepositional phrase, no clause.
        if (c + 1..e).any(|x| v.is_verb(x) || v.words[x] == "that" || v.is_punct(x)) {
            return None;
        }
        let (r, _) = self.speaker_before(c, floor, hint)?;
        Some(Attribution { speaker: Some(r), cue: v.lemmas[c].clone(), cue_tok: c, end: t })
    }
}

/// Fills `doc.statements`, sorted by content start.
pub fn extract_statements(doc: &mut Document, cfg: &ClaimsConfig) {
    let statements = {
        let view = DocView::new(doc, &cfg.lexicon);
        find_statements(&view, cfg)
    };
    doc.statements = statements;
}

pub(crate) fn find_statements(v: &DocView<'_>, cfg: &ClaimsConfig) -> Vec<Statement> {
    let doc = v.doc;
    if doc.tokens.is_empty() {
        return Vec::new();
    }
    let f = Finder { v };
    let tree = Tree::new(doc);
    let quotes = find_quotes(&doc.text);
    let mut out: Vec<Statement> = Vec::new();
    let mut used_cues: Vec<usize> = Vec::new();
    let mut direct_spans: Vec<Span> = Vec::new();
    let mut last_speaker: Option<(usize, Option<Speaker>, String)> = None; // (sentence, speaker, cue)
    let mut qi = 0;
    while qi < quotes.len() {
        let q = quotes[qi];
        qi += 1;
        let inner = tokens_in(doc, q.content);
        if inner.is_empty() {
            continue;
        }
        let words = inner.clone().filter(|&k| !v.is_punct(k)).count();
        let content_text = q.content.of(&doc.text);
        let ends_clause = content_text.ends_with(['.', ',', '!', '?', '…', '—']);
        let before_open = doc.text[..q.outer.start].trim_end();
        let clause_initial = before_open.is_empty() || before_open.ends_with(['.', ':', ',', '!', '?', '\n', '—', ';']);
        let hint = last_speaker.as_ref().and_then(|(_, s, _)| s.as_ref().and_then(|s| s.mention));
        let after_tok = token_at_or_after(doc, q.outer.end);
        let open_tok = token_at_or_after(doc, q.outer.start);
        // The attribution after a quote is in the quote's own sentence (the closing mark's).
        let same_sentence = after_tok > 0
            && after_tok < doc.tokens.len()
            && v.sentence_of(after_tok) == v.sentence_of(after_tok - 1)
            && !content_text.ends_with('.');
        let mut attr = if same_sentence && (ends_clause || doc.text[q.outer.end..].starts_with(',')) {
            f.attribution_after(after_tok, hint)
        } else {
            None
        };
        let mut frame = "quote:after";
        if attr.is_none() && clause_initial {
            attr = f.attribution_before(open_tok, hint);
            frame = "quote:before";
        }
        let sentence = v.sentence_of(inner.start);
        let mut content = q.content;
        let (speaker, cue, cue_span, score) = match attr {
            Some(Attribution { speaker: Some(r), cue, cue_tok, end }) => {
                // Split quote: `"We will," he said, "rebuild."` — the next quote opens right
                // after the attribution and has none of its own.
                if let Some(q2) = quotes.get(qi) {
                    let next_open = token_at_or_after(doc, q2.outer.start);
                    let between = &doc.text[q.outer.end..q2.outer.start];
                    let comma = content_text.ends_with(',') || doc.text[q.outer.end..].starts_with(',');
                    let gap_ok = comma && next_open <= end + 1 && !between.contains(['.', '\n', '?', '!']);
                    if gap_ok && f.attribution_after(token_at_or_after(doc, q2.outer.end), None).is_none() {
                        content = Span::new(q.content.start, q2.content.end);
                        qi += 1;
                        frame = "quote:split";
                    }
                }
                used_cues.push(cue_tok);
                (Some(r.speaker), cue, Some(doc.tokens[cue_tok].span), r.score)
            }
            _ => {
                if !(words >= cfg.min_quote_words && ends_clause && clause_initial) {
                    continue; // scare quote, title or fragment
                }
                match &last_speaker {
                    // Continuation: `"...," he said. "It will take years."`
                    Some((ls, sp, cue)) if sentence.saturating_sub(*ls) <= 2 && sp.is_some() => {
                        frame = "quote:continued";
                        (sp.clone(), cue.clone(), None, 0.7)
                    }
                    _ => {
                        frame = "quote:unattributed";
                        (None, "unattributed".to_string(), None, 0.35)
                    }
                }
            }
        };
        last_speaker = Some((
            v.sentence_of(tokens_in(doc, content).end.saturating_sub(1).max(inner.start)),
            speaker.clone(),
            cue.clone(),
        ));
        direct_spans.push(Span::new(q.outer.start, q.outer.end.max(content.end)));
        let frame = frame.to_string();
        out.push(Statement { sentence, speaker, cue, cue_span, kind: StatementKind::Direct, content, score, frame });
    }

    // Reported speech.
    let inside_direct = |k: usize| direct_spans.iter().any(|s| s.contains(&doc.tokens[k].span));
    for s in 0..doc.sentences.len() {
        let r = v.sentence_tokens(s);
        if r.is_empty() {
            continue;
        }
        // Sentence end without final punctuation and closing quote marks.
        let mut send = r.end;
        while send > r.start
            && (matches!(v.words[send - 1].as_str(), "." | "?" | "!") || is_quote_word(&v.words[send - 1]))
        {
            send -= 1;
        }
        let hint =
            out.iter().rev().find(|st| st.sentence <= s).and_then(|st| st.speaker.as_ref().and_then(|p| p.mention));
        // "according to X"
        for k in r.start..send.saturating_sub(1) {
            if v.words[k] != "according" || v.words[k + 1] != "to" || inside_direct(k) {
                continue;
            }
            let e = f.np_right(k + 2, send);
            let Some(res) = f.resolve(k + 2, e, hint) else { continue };
            let content = if k == r.start {
                let c0 = if e < send && v.words[e] == "," { e + 1 } else { e };
                (c0 < send).then_some((c0, send))
            } else {
                let c1 = if v.words[k - 1] == "," { k - 1 } else { k };
                (c1 > r.start).then_some((r.start, c1))
            };
            let Some((ca, cb)) = content else { continue };
            push_indirect(
                v,
                &mut out,
                s,
                Some(res),
                "according_to",
                Span::new(doc.tokens[k].span.start, doc.tokens[k + 1].span.end),
                (ca, cb),
                &quotes,
                "according_to",
            );
        }
        if !tree.is_parsed() {
            continue;
        }
        for c in r.clone() {
            if !f.is_cue(c) || used_cues.contains(&c) || inside_direct(c) {
                continue;
            }
            let Some((res, ca, cb)) = f.reported(&tree, c, r.clone(), hint) else { continue };
            let cue_span = doc.tokens[c].span;
            push_indirect(v, &mut out, s, Some(res), &v.lemmas[c], cue_span, (ca, cb.min(send)), &quotes, "cue:parse");
        }
    }
    out.sort_by_key(|a| (a.content.start, a.content.end));
    // Overlapping candidates (a direct quote also read as reported speech): keep the first.
    let mut kept: Vec<Statement> = Vec::with_capacity(out.len());
    for st in out {
        if kept.iter().any(|k| {
            k.content.overlaps(&st.content) && k.kind == StatementKind::Direct && st.kind != StatementKind::Direct
                || k.content == st.content
        }) {
            continue;
        }
        kept.push(st);
    }
    kept
}

#[allow(clippy::too_many_arguments)]
fn push_indirect(
    v: &DocView<'_>,
    out: &mut Vec<Statement>,
    sentence: usize,
    res: Option<Resolved>,
    cue: &str,
    cue_span: Span,
    (a, b): (usize, usize),
    quotes: &[Quote],
    frame: &str,
) {
    if a >= b {
        return;
    }
    let content = v.span_of(a, b);
    let mixed = quotes.iter().any(|q| content.contains(&q.content) || content.overlaps(&q.content));
    let (speaker, score) = match res {
        Some(r) => (Some(r.speaker), r.score * 0.9),
        None => (None, 0.3),
    };
    out.push(Statement {
        sentence,
        speaker,
        cue: cue.to_string(),
        cue_span: Some(cue_span),
        kind: if mixed { StatementKind::Mixed } else { StatementKind::Indirect },
        content,
        score,
        frame: frame.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::relations::testdoc::build;

    fn run(text: &str) -> (Document, Vec<Statement>) {
        let mut d = build("d", text);
        let cfg = ClaimsConfig::default();
        extract_statements(&mut d, &cfg);
        let s = d.statements.clone();
        (d, s)
    }

    fn speaker_text(d: &Document, s: &Statement) -> String {
        match &s.speaker {
            Some(sp) => match sp.mention {
                Some(m) => d.slice(d.mentions[m].span).to_string(),
                None => d.slice(sp.span).to_string(),
            },
            None => "-".into(),
        }
    }

    #[test]
    fn quote_pairing_handles_kinds_apostrophes_and_paragraphs() {
        let t = "He said \"one two\" and “three” and 'four five' but Hamas's men's songs of the '90s";
        let q: Vec<&str> = find_quotes(t).iter().map(|q| q.content.of(t)).collect();
        assert_eq!(q, ["one two", "three", "four five"]);
        let t = "“First paragraph of it.\n\n“Second paragraph,” she said. \"Unclosed\nNext";
        let q: Vec<&str> = find_quotes(t).iter().map(|q| q.content.of(t)).collect();
        assert_eq!(q, ["First paragraph of it.\n\n“Second paragraph,"]);
    }

    #[test]
    fn quote_after_with_named_speaker_and_inverted_unnamed() {
        let (d, s) = run("\"We will find those responsible,\" [PER Ahmed Khalil] said on Tuesday. \"Nobody is safe in this city,\" said a security analyst in [LOC Kabul].");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].kind, StatementKind::Direct);
        assert_eq!(d.slice(s[0].content), "We will find those responsible,");
        assert_eq!(speaker_text(&d, &s[0]), "Ahmed Khalil");
        assert_eq!(s[0].cue, "say");
        assert_eq!(speaker_text(&d, &s[1]), "a security analyst");
        assert!(s[1].speaker.as_ref().unwrap().mention.is_none());
    }

    #[test]
    fn split_quote_is_one_statement_with_pronoun_speaker() {
        let (d, s) = run("[PER Omar Haidari] visited the site. 'We will,' he said, 'rebuild every house.'");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(d.slice(s[0].content), "We will,' he said, 'rebuild every house.");
        assert_eq!(speaker_text(&d, &s[0]), "Omar Haidari");
        assert_eq!(d.slice(s[0].speaker.as_ref().unwrap().span), "he");
    }

    #[test]
    fn multi_sentence_and_continued_quotes() {
        let (d, s) = run("[PER Layla Nasser] spoke to reporters. \"The talks failed. We saw no progress,\" she said. \"It will take years to repair.\"");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(d.slice(s[0].content), "The talks failed. We saw no progress,");
        assert_eq!(speaker_text(&d, &s[0]), "Layla Nasser");
        assert_eq!(d.slice(s[1].content), "It will take years to repair.");
        assert_eq!(speaker_text(&d, &s[1]), "Layla Nasser");
    }

    #[test]
    fn multi_paragraph_quote() {
        let (d, s) = run("[PER Layla Nasser] told reporters: \"The talks failed.\n\n\"We saw no progress at all.\"");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(d.slice(s[0].content).starts_with("The talks failed."));
        assert!(d.slice(s[0].content).ends_with("at all."));
        assert_eq!(s[0].cue, "tell");
        assert_eq!(speaker_text(&d, &s[0]), "Layla Nasser");
    }

    #[test]
    fn scare_quotes_and_titles_are_not_statements() {
        let (_, s) =
            run("The ministry banned the film \"Long Night\" last year, and the so-called \"peace plan\" stalled.");
        assert!(s.is_empty(), "{s:?}");
    }

    #[test]
    fn role_speaker_resolves_to_named_person() {
        let (d, s) = run("[PER Ahmed Khalil], the acting interior minister, visited [LOC Herat]. \"We are rebuilding the police,\" the acting interior minister said.");
        assert_eq!(s.len(), 1);
        assert_eq!(speaker_text(&d, &s[0]), "Ahmed Khalil");
        assert_eq!(d.slice(s[0].speaker.as_ref().unwrap().span), "the acting interior minister");
    }

    #[test]
    fn clause_first_statement_followed_by_a_conjunction() {
        let (d, st) = run("Fourteen people were killed in the blast, the [ORG Interior Ministry] said, though hospital staff put the toll higher.");
        assert_eq!(st.len(), 1, "{st:?}");
        assert!(d.slice(st[0].content).starts_with("Fourteen people were killed"), "{}", d.slice(st[0].content));
        assert_eq!(speaker_text(&d, &st[0]), "Interior Ministry");
    }

    #[test]
    fn according_to_and_reported_speech() {
        let (d, s) = run("The convoy was hit near the border, according to [ORG Reuters]. [PER Khalil] told reporters on Tuesday that the attackers came from abroad. [ORG Hamas] denied any role in the attack. The bombing was planned for months, a government official who asked not to be named said.");
        let got: Vec<(String, &str, String)> =
            s.iter().map(|x| (speaker_text(&d, x), x.cue.as_str(), d.slice(x.content).to_string())).collect();
        assert_eq!(
            got,
            vec![
                ("Reuters".to_string(), "according_to", "The convoy was hit near the border".to_string()),
                ("Khalil".to_string(), "tell", "the attackers came from abroad".to_string()),
                ("Hamas".to_string(), "deny", "any role in the attack".to_string()),
                ("a government official".to_string(), "say", "The bombing was planned for months".to_string()),
            ]
        );
        assert!(s.iter().all(|x| x.kind == StatementKind::Indirect));
    }

    #[test]
    fn reported_speech_with_quoted_fragment_is_mixed() {
        let (d, s) = run("[PER Khalil] said the attack was \"an act of cowards\" and vowed revenge.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].kind, StatementKind::Mixed);
        assert_eq!(speaker_text(&d, &s[0]), "Khalil");
    }

    #[test]
    fn organization_speaks_through_statement() {
        let (d, s) = run("Fighters of the [ORG Free Valley Front] stormed the base. The group said in a statement that it had seized the depot.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Free Valley Front");
        assert_eq!(d.slice(s[0].content), "it had seized the depot");
    }

    #[test]
    fn appositive_before_cue_and_interview_prefix() {
        let (d, s) = run("In an interview with [ORG Al Jazeera], [PER Khalil], the acting interior minister, said the border would reopen soon.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Khalil");
        assert_eq!(d.slice(s[0].content), "the border would reopen soon");
    }

    #[test]
    fn statement_through_news_agency() {
        let (d, s) = run("The [ORG Eastern Hills Front] stormed the base. The group said in a statement carried by the [ORG Hilal] news agency that its fighters had seized the depot.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Eastern Hills Front");
        assert_eq!(d.slice(s[0].content), "its fighters had seized the depot");
    }

    #[test]
    fn pronoun_respects_honorific_gender() {
        let (d, s) =
            run("Mr. [PER Tariq Osmani] met Ms. [PER Layla Nasser] in [LOC Doha]. \"The talks are over,\" she said.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Layla Nasser");
    }

    #[test]
    fn statement_colon_quote_and_tweet() {
        let (d, s) = run("The [ORG Interior Ministry] said in a statement: \"Security forces have sealed the area.\" [PER Rana Aziz] tweeted that the border crossing had reopened.");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Interior Ministry");
        assert_eq!(s[0].kind, StatementKind::Direct);
        assert_eq!(speaker_text(&d, &s[1]), "Rana Aziz");
        assert_eq!(s[1].cue, "tweet");
        assert_eq!(d.slice(s[1].content), "the border crossing had reopened");
    }

    #[test]
    fn unattributed_long_quote_is_kept_without_speaker() {
        let (_, s) = run("Residents fled the town. \"There is nothing left for us here,\" read a sign on the mosque.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].speaker.is_none());
        assert_eq!(s[0].cue, "unattributed");
        assert!(s[0].score < 0.5);
    }

    /// Quote pairing over a real JSONL corpus: `CG_JSONL=path cargo test quote_stats -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn quote_stats() {
        let path = std::env::var("CG_JSONL").unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(&path) else { return };
        let (mut n, mut long, mut docs) = (0, 0, 0);
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let t = v["text"].as_str().unwrap_or("");
            docs += 1;
            for q in find_quotes(t) {
                n += 1;
                if q.content.len() > 600 {
                    long += 1;
                    if long <= 5 {
                        println!("LONG: {}", &t[q.content.start..q.content.end].chars().take(300).collect::<String>());
                    }
                }
            }
        }
        println!("docs {docs} quotes {n} long {long}");
    }
}
