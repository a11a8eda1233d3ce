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
//!    speech they make it `mixed`. A paragraph opening with a name and a colon is that name's
//!    turn (`"WALLACE: ...` in a transcript, `Pence: ...` in a headline).
//! 2. **Reported speech.** A cue verb from `data/patterns/speech_cues.tsv` with a speaker noun
//!    phrase before it and a clause after it (`X said on Tuesday that ...`, `X denied ...`), a
//!    clause before it (`..., the minister said.`), or `according to X`; a sentence ending in
//!    the cue and a colon takes the next, unquoted paragraph (`Limbaugh added:`).
//!
//! Speakers: a named mention in the speaker noun phrase; a pronoun resolved to a preceding
//! person or organization (preferring the previous statement's speaker); a role phrase
//! ("the acting interior minister") resolved to the person the article gave that role; a
//! generic organization noun ("the group", "the ministry") resolved to the nearest preceding
//! organization; otherwise the noun phrase text is kept ("a government official who asked
//! not to be named") with no mention.

use std::ops::Range;

use crate::doc::{Document, Mention, Span, Speaker, Statement, StatementKind};
use crate::stages::relations::lexicon::CueEffect;
use crate::stages::relations::patterns::in_dateline;
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
    /// Two apostrophes (or backticks) as one double mark: ``''A stone,'' he said``, the style
    /// of some wire and archive feeds.
    Doubled,
}

fn opens(c: char) -> Option<Mark> {
    match c {
        '"' => Some(Mark::Straight),
        '“' | '„' => Some(Mark::Curly),
        // A closing mark typed as the opening one (`”Fear. I am afraid.”`): only where an
        // opening mark can stand, see `find_quotes`.
        '”' => Some(Mark::Curly),
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
        // Two characters: closed in `find_quotes`.
        Mark::Doubled => false,
    }
}

/// How many characters at `chars[j]` reopen a quote of mark `m` (a paragraph continuing it).
fn reopens(chars: &[(usize, char)], j: usize, m: Mark) -> Option<usize> {
    match m {
        Mark::Doubled => (j < chars.len() && doubled(chars, j)).then_some(2),
        _ => (chars.get(j).and_then(|x| opens(x.1)) == Some(m)).then_some(1),
    }
}

/// Whether a doubled mark (`''` or two backticks) starts at `chars[i]`.
fn doubled(chars: &[(usize, char)], i: usize) -> bool {
    let c = chars[i].1;
    matches!(c, '\'' | '`') && chars.get(i + 1).is_some_and(|n| n.1 == c)
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
            None if doubled(&chars, i) => {
                // Opens where a word follows and no word precedes (`''A` after a space).
                let after = chars.get(i + 2).map(|x| x.1);
                if prev.map_or(true, |p| p.is_whitespace() || matches!(p, '(' | '[' | '—'))
                    && after.is_some_and(|n| !n.is_whitespace())
                {
                    open = Some((Mark::Doubled, b));
                }
                i += 2;
                continue;
            }
            Some((Mark::Doubled, start)) if c == '\'' && doubled(&chars, i) => {
                push_quote(text, &mut out, (start, start + 2), (b, b + 2));
                open = None;
                i += 2;
                continue;
            }
            None => {
                if let Some(m) = opens(c) {
                    let ok = match m {
                        // An opening single quote follows a space or an opening bracket and
                        // precedes a word: "rock 'n' roll" and "'90s" are close enough to skip.
                        Mark::Single => {
                            prev.map_or(true, |p| p.is_whitespace() || matches!(p, '(' | '[' | '—' | '"' | '“'))
                                && next.is_some_and(|n| n.is_alphanumeric() || n == '…')
                        }
                        Mark::Curly if c == '”' => {
                            prev.map_or(true, char::is_whitespace) && next.is_some_and(char::is_alphanumeric)
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
                    if let Some(len) = reopens(&chars, j, m) {
                        i = j + len;
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
                        push_quote(text, &mut out, (start, start + open_len), (b, b + c.len_utf8()));
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

/// A quote from its opening mark's and closing mark's byte ranges, unless it encloses nothing.
fn push_quote(text: &str, out: &mut Vec<Quote>, open: (usize, usize), close: (usize, usize)) {
    let inner = &text[open.1..close.0];
    let lead = inner.len() - inner.trim_start().len();
    let trail = inner.len() - inner.trim_end().len();
    if open.1 + lead < close.0 - trail {
        out.push(Quote { outer: Span::new(open.0, close.1), content: Span::new(open.1 + lead, close.0 - trail) });
    }
}

/// Index of the first token starting at or after byte `b`.
fn token_at_or_after(doc: &Document, b: usize) -> usize {
    doc.tokens.partition_point(|t| t.span.start < b)
}

fn is_quote_word(w: &str) -> bool {
    matches!(w, "\"" | "“" | "”" | "'" | "‘" | "’" | "«" | "»" | "``" | "''")
}

/// A speaker noun phrase, resolved.
struct Resolved {
    speaker: Speaker,
    score: f32,
}

/// Who stands behind a cue: the speaker, and the medium (statement, tweet, letter) it spoke
/// through. A medium is never the speaker: "the letter reads" has a medium and no speaker,
/// "Trump's tweet said" has both.
struct Source {
    speaker: Option<Resolved>,
    medium: Option<Span>,
    /// The token heading the speaker (or medium) phrase, to tell where the attribution ends.
    tok: usize,
}

impl Source {
    fn score(&self) -> f32 {
        self.speaker.as_ref().map_or(0.4, |r| r.score)
    }
}

/// A quote's attribution.
struct Attribution {
    source: Source,
    cue: String,
    cue_span: Span,
    /// The cue verb, so that reported speech does not read it a second time.
    cue_tok: Option<usize>,
    /// Last token used by the attribution (exclusive end), for merging split quotes.
    end: usize,
    frame: &'static str,
}

/// Subject relations of a cue; a passive cue's agent speaks too ("was criticized by X").
const SUBJECT: &[&str] = &["nsubj", "nsubj:outer", "obl:agent"];

/// Words that make a phrase a time, never a speaker ("early Friday", "last week").
fn is_time_word(w: &str) -> bool {
    matches!(
        w,
        "monday"
            | "tuesday"
            | "wednesday"
            | "thursday"
            | "friday"
            | "saturday"
            | "sunday"
            | "today"
            | "yesterday"
            | "tonight"
            | "morning"
            | "afternoon"
            | "evening"
            | "night"
            | "day"
            | "days"
            | "week"
            | "weeks"
            | "weekend"
            | "month"
            | "months"
            | "year"
            | "years"
    )
}

fn is_dash(w: &str) -> bool {
    matches!(w, "—" | "―" | "–" | "--" | "-")
}

/// Where a quote sits in the text, for its attribution.
struct QuoteAt {
    /// Tokens inside the quote marks.
    inner: Range<usize>,
    /// First token after the closing mark, and the opening mark's token.
    after: usize,
    open: usize,
    /// Whether the quote reads as a clause of its own (long enough, ending in punctuation).
    clause: bool,
    /// Whether the quote ends a sentence (its content ends with a full stop).
    full_stop: bool,
    /// Whether the quote ends in a question or exclamation mark, after which the segmenter
    /// may start a new sentence even when the attribution follows (`"Why?" Vitter demanded.`).
    asks: bool,
    /// Whether punctuation closes the quote or follows it (`"...,"`, `"...",`): an attribution
    /// may follow.
    closes: bool,
}

struct Finder<'v, 'd> {
    v: &'v DocView<'d>,
    t: Tree<'d>,
    quotes: &'v [Quote],
}

impl<'v, 'd> Finder<'v, 'd> {
    fn is_cue(&self, t: usize) -> bool {
        self.v.is_verb(t) && self.v.lex.cues.contains_key(&self.v.lemmas[t])
    }

    /// A predicate by its tag, or by the parse when the tagger called it a noun ("Said Ellis:").
    fn is_predicate(&self, c: usize) -> bool {
        self.v.is_verb(c) || self.t.child(c, &["nsubj", "obj"]).is_some_and(|s| s > c)
    }

    /// Whether `k` lies in the subtree of `c` on a path that does not pass through `quote`.
    fn descends(&self, k: usize, c: usize, quote: &Range<usize>) -> bool {
        let (mut x, mut steps) = (k, 0);
        while let Some(h) = self.t.head[x] {
            if h == c {
                return true;
            }
            if quote.contains(&h) {
                return false;
            }
            x = h;
            steps += 1;
            if steps > self.v.len() {
                break;
            }
        }
        false
    }

    /// How cue `c` (outside the quote) and the quote's clause are linked in the parse: the
    /// quote hangs on the cue (`Some(true)` when as a clause or object, the link any verb may
    /// have), or the cue hangs on the quote (`Some(false)` unless as parataxis).
    fn link(&self, c: usize, inner: &Range<usize>) -> Option<bool> {
        let t = &self.t;
        let down = inner.clone().filter(|&k| t.head[k] == Some(c) && !self.v.is_punct(k));
        let mut any = false;
        for k in down {
            if matches!(t.base_rel(k), "ccomp" | "parataxis" | "obj" | "xcomp" | "conj" | "dep" | "appos") {
                return Some(true);
            }
            any = true;
        }
        match t.head[c] {
            Some(h) if inner.contains(&h) => Some(t.base_rel(c) == "parataxis"),
            _ => any.then_some(false),
        }
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
        // Unnamed: keep the text if it is a noun phrase at all, or a quantifier standing for one
        // ("Some believe", "many of whom say", "others argue").
        let quantifier = matches!(
            v.words[a].to_lowercase().as_str(),
            "some" | "many" | "most" | "others" | "several" | "few" | "all" | "both"
        );
        if (a..b).any(|k| v.is_noun(k)) || quantifier {
            return Some(Resolved { speaker: Speaker { span, mention: None }, score: 0.8 });
        }
        None
    }

    /// The subject of cue `c`: its own, or for a conjunct, complement or participle cue its
    /// head's ("smiled and said", "went on to say", "unleashed tweets early Friday saying";
    /// "released a statement saying" through the noun the participle hangs on). A relative
    /// pronoun stands for the noun its clause hangs on ("an official who said").
    fn cue_subject(&self, c: usize, quote: &Range<usize>) -> Option<usize> {
        let (t, v) = (&self.t, self.v);
        // A subject inside the quote is a misparse of the quote's own clause, and a dateline
        // ("LASHKAR GAH — Police in Helmand said") one of the story's first sentence. Of several
        // subjects before the cue the nearest is the speaker: the others are the first's name
        // ("Turkey's ambassador, X, said"), a clause it interrupts ("African-Americans, he said,
        // can rock") or a fragment the parse hung on it ("Frustration with police: Civil rights
        // activists say", "Japan branded ... Russia insisted").
        let dateline = |k: usize| v.entity_at(k).is_some_and(|m| in_dateline(v, m));
        let subject_of = |x: usize| {
            SUBJECT.iter().find_map(|r| {
                let subjects: Vec<usize> = t
                    .children(x)
                    .iter()
                    .copied()
                    .filter(|&k| t.rel[k] == *r && !quote.contains(&k) && !dateline(k) && !self.is_time(k))
                    .collect();
                let before: Vec<usize> = subjects.iter().copied().filter(|&k| k < x).collect();
                match before[..] {
                    // "Transparency Watch Pakistan, a Lahore-based monitoring group, estimated":
                    // an unnamed apposition after a name describes it.
                    [.., p, n] if v.entity_at(p).is_some() && v.entity_at(n).is_none() && self.apposed(p, n) => Some(p),
                    [.., n] => Some(n),
                    [] => subjects.first().copied(),
                }
            })
        };
        let subj = subject_of(c).or_else(|| {
            let h = t.head[c]?;
            match t.base_rel(c) {
                // Up a chain of such clauses ("Sanders said, going on to say that ...").
                "conj" | "xcomp" | "advcl" => {
                    // Not a subject inside a quote the cue follows (`"It is insane," X said, going on to say`).
                    let quoted = |k: usize| self.quotes.iter().any(|q| q.content.contains(&v.doc.tokens[k].span));
                    let mut x = h;
                    let mut found = subject_of(x);
                    for _ in 0..2 {
                        if found.is_some() || !matches!(t.base_rel(x), "conj" | "xcomp" | "advcl") {
                            break;
                        }
                        x = t.head[x]?;
                        found = subject_of(x).filter(|&k| !quoted(k));
                    }
                    found
                }
                // "Douglas Brinkley, a historian who attended the session, recalled, ...": the
                // parse hung the cue on the noun phrase that is its subject.
                "parataxis"
                    if h < c
                        && v.is_noun(h)
                        && !quote.contains(&h)
                        && !dateline(h)
                        && t.children(h).iter().all(|&k| {
                            k == c
                                || (t.subtree(k).end <= c
                                    && !matches!(t.base_rel(k), "conj" | "parataxis" | "advcl" | "ccomp" | "xcomp"))
                        }) =>
                {
                    Some(h)
                }
                "acl" => {
                    // Up through the nouns to the verb that took them (at most three steps).
                    let mut x = h;
                    for _ in 0..3 {
                        if v.is_verb(x) {
                            break;
                        }
                        x = t.head[x]?;
                    }
                    v.is_verb(x).then(|| subject_of(x)).flatten()
                }
                _ => None,
            }
        });
        // "In an interview with the board of the Washington Post Trump said": a name right before
        // the cue that the parse hung on a noun.
        let subj = subj.or_else(|| {
            let k = c.checked_sub(1)?;
            let m = v.entity_at(k).filter(|&m| matches!(v.doc.mentions[m].label.as_str(), "PER" | "ORG"))?;
            let on_noun = t.head[k].is_some_and(|h| h != c && !v.is_verb(h));
            (on_noun && v.doc.mentions[m].tokens.end == c && !quote.contains(&k)).then_some(k)
        })?;
        match (v.pos[subj], t.head[subj]) {
            ("WP" | "WDT", Some(h)) if t.rel[h] == "acl:relcl" => t.head[h].or(Some(subj)),
            _ => Some(subj),
        }
    }

    /// Whether phrase `n` follows phrase `p` right after a comma ("X, a group based in Y,").
    fn apposed(&self, p: usize, n: usize) -> bool {
        let (t, v) = (&self.t, self.v);
        let (rp, rn) = (t.subtree(p), t.subtree(n));
        rn.start <= rp.end + 1 && rp.end < n && v.words[rp.end] == ","
    }

    /// Whether subject `second` and cue `c` stand between commas inside a clause whose own
    /// subject came first ("African-Americans, he said, can rock"): the speaker is `second`,
    /// the clause around them the content.
    fn parenthetical(&self, c: usize, second: usize) -> bool {
        let (t, v) = (&self.t, self.v);
        let r = t.subtree(second);
        r.end == c && r.start > 0 && v.words[r.start - 1] == "," && v.words.get(c + 1).is_some_and(|w| w == ",")
    }

    /// The subject of the clause a parenthetical cue interrupts (see [`Self::parenthetical`]).
    fn interrupted(&self, c: usize, subj: usize) -> Option<usize> {
        let t = &self.t;
        if !self.parenthetical(c, subj) {
            return None;
        }
        t.children(c).iter().copied().find(|&k| k < subj && SUBJECT.contains(&t.rel[k]))
    }

    /// An inverted cue ending its sentence after a comma: "..., said Leonard Burman." (the parse
    /// may make the name the object and the clause's subject the cue's). Returns the speaker.
    fn inverted(&self, c: usize, sent: &Range<usize>) -> Option<usize> {
        let (t, v) = (&self.t, self.v);
        if c < sent.start + 3 || !(v.words[c - 1] == "," || is_quote_word(&v.words[c - 1])) {
            return None;
        }
        let o = t.children(c).iter().copied().find(|&k| k > c && matches!(t.rel[k], "obj" | "nsubj" | "nsubj:pass"))?;
        let named = v.entity_at(o).is_some_and(|m| matches!(v.doc.mentions[m].label.as_str(), "PER" | "ORG"));
        let rest = (t.subtree(o).end..sent.end).all(|k| v.is_punct(k) || is_quote_word(&v.words[k]));
        (named && rest && (c + 1..o).all(|k| !v.is_verb(k))).then_some(o)
    }

    /// Tokens `a..b` without edge punctuation, quote marks and a leading "that".
    fn trimmed(&self, mut a: usize, mut b: usize) -> (usize, usize) {
        let (t, v) = (&self.t, self.v);
        while a < b && (v.is_punct(a) || (t.rel[a] == "mark" && v.words[a] == "that")) {
            a += 1;
        }
        while b > a && (v.is_punct(b - 1) || is_quote_word(&v.words[b - 1])) {
            b -= 1;
        }
        (a, b)
    }

    /// The source cue `c` names: its subject as a speaker or a medium, plus a medium the cue
    /// itself mentions ("said in a statement").
    fn source(&self, c: usize, quote: &Range<usize>, hint: Option<usize>) -> Option<Source> {
        let t = &self.t;
        let mut src = self.source_phrase(self.cue_subject(c, quote)?, hint)?;
        if src.medium.is_none() {
            src.medium = t
                .children(c)
                .iter()
                .copied()
                .find(|&k| t.base_rel(k) == "obl" && self.v.lex.is_medium_noun(&self.v.words[k]))
                .map(|k| self.phrase_span(k));
        }
        Some(src)
    }

    /// A speaker phrase headed by `x`: a medium ("a statement from the ministry") speaks for
    /// its owner, anything else is resolved as a speaker.
    fn source_phrase(&self, x: usize, hint: Option<usize>) -> Option<Source> {
        let (t, v) = (&self.t, self.v);
        if !v.lex.is_medium_noun(&v.words[x]) || v.entity_at(x).is_some() {
            return Some(Source { speaker: Some(self.subject(x, hint)?), medium: None, tok: x });
        }
        let owner = t.children(x).iter().copied().find(|&k| {
            t.rel[k] == "nmod:poss"
                || (t.base_rel(k) == "nmod"
                    && t.children(k)
                        .iter()
                        .any(|&m| t.rel[m] == "case" && matches!(v.words[m].as_str(), "from" | "by")))
        });
        let speaker = owner.and_then(|o| self.subject(o, hint));
        Some(Source { speaker, medium: Some(self.phrase_span(x)), tok: x })
    }

    /// Byte span of `x`'s subtree without leading prepositions and edge punctuation.
    fn phrase_span(&self, x: usize) -> Span {
        let r = self.t.subtree(x);
        let (mut a, mut b) = (r.start, r.end);
        while a < x && (self.v.is_punct(a) || self.t.rel[a] == "case") {
            a += 1;
        }
        while b > x + 1 && self.v.is_punct(b - 1) {
            b -= 1;
        }
        self.v.span_of(a, b)
    }

    /// Whether the phrase headed by `x` is a time ("early Friday", "a few days later").
    fn is_time(&self, x: usize) -> bool {
        let v = self.v;
        let dated = v.mention_at[x].is_some_and(|m| matches!(v.doc.mentions[m].label.as_str(), "DATE" | "TIME"));
        dated || is_time_word(&v.words[x])
    }

    /// Reported speech read off the parse: the cue's subject is the speaker (a conjunct or
    /// complement cue takes its head's: "smiled and said", "went on to say"; a participle
    /// takes the subject of the clause it modifies: "unleashed tweets saying"). The content is
    /// the cue's clausal complement, else its object (not the addressee of "tell"), else a
    /// clause the cue hangs on ("..., the minister said"). Returns the speaker and the
    /// content's token range.
    fn reported(&self, c: usize, sent: Range<usize>, hint: Option<usize>) -> Option<(Source, usize, usize)> {
        let (t, v) = (&self.t, self.v);
        if let Some(o) = self.inverted(c, &sent) {
            let (a, b) = self.trimmed(sent.start, c);
            return ((a..b).filter(|&k| !v.is_punct(k)).count() >= 2).then_some((self.source_phrase(o, hint)?, a, b));
        }
        let subj = self.cue_subject(c, &(0..0))?;
        // "an official who asked not to be named said": a relative clause on a subject
        // describes the source; it is not a statement of its own.
        if t.rel[c] == "acl:relcl" && t.head[c].is_some_and(|h| t.base_rel(h) == "nsubj") {
            return None;
        }
        let res = self.source(c, &(0..0), hint)?;
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
        // An "on" phrase right after the cue followed by a "to" clause ("called on X to Y").
        let called_on = t
            .children(c)
            .iter()
            .copied()
            .find(|&k| t.rel[k] == "obl" && k > c && t.children(k).iter().any(|&m| m == c + 1 && v.words[m] == "on"))
            .filter(|&on| t.children(c).iter().any(|&k| k > on && t.base_rel(k) == "advcl" && mark(k) == Some("to")));
        let comps: Vec<usize> = t
            .children(c)
            .iter()
            .copied()
            .filter(|&k| match t.rel[k] {
                "ccomp" | "xcomp" => true,
                "obj" => !addressee && v.lemmas[c] != "claim",
                "parataxis" => k > c,
                // "mocked Romney for not releasing his returns", "accused the GOP of stoking the issue":
                // the reason goes with the object.
                "advcl" => {
                    mark(k) == Some("that")
                        || (matches!(mark(k), Some("for" | "of")) && t.child(c, &["obj"]).is_some_and(|o| o < k))
                        // "called for reducing the rate", "talked about bringing ... together".
                        || (matches!(mark(k), Some("for" | "about")) && k > c && t.child(c, &["obj"]).is_none())
                        // "called on Trump to stop attacking Machado": who is called on, and to do what.
                        || (mark(k) == Some("to") && called_on.is_some())
                        // "warned officials to boost their security": what the addressee is told.
                        || (addressee && mark(k) == Some("to") && t.child(c, &["obj"]).is_some_and(|o| o < k))
                }
                // "called for more information", "talked about bringing communities together".
                "obl" => {
                    k > c
                        && (t
                            .children(k)
                            .iter()
                            .any(|&m| t.rel[m] == "case" && matches!(v.words[m].as_str(), "for" | "about"))
                            || called_on == Some(k))
                }
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
        // A cue ending its sentence after ", SPEAKER" takes the whole clause before it, however the
        // parse broke that clause up ("The officer who shot Scott - Brentley Vinson, who was
        // placed on leave - was not wearing a recording device, police said.").
        let tail = {
            let r = t.subtree(subj);
            let s0 = (r.start..subj).find(|&k| !v.is_punct(k)).unwrap_or(subj);
            let last = (c + 1..sent.end).all(|k| v.is_punct(k));
            (last && s0 > sent.start + 2 && v.words[s0 - 1] == ",").then_some((sent.start, s0 - 1))
        };
        // A stance ("found", "wants") is a statement only about a clause: "found that the
        // contracts were inflated", not "found the body".
        if v.lex.cues.get(&v.lemmas[c]) == Some(&CueEffect::Stance) {
            let clause = |k: usize| matches!(t.rel[k], "ccomp" | "xcomp") || mark(k) == Some("that");
            if !comps.iter().any(|&k| clause(k)) && tail.is_none() && self.that_clause(c, sent.end).is_none() {
                return None;
            }
        }
        let (mut a, b) = if let Some(m) = (!clausal).then(|| self.that_clause(c, sent.end)).flatten() {
            m
        } else if let Some(m) = tail.filter(|_| comps.iter().all(|&k| k < c || pronoun(k))) {
            m
        } else if comps.iter().all(|&k| pronoun(k)) {
            // "The attack was planned abroad, the minister said.": the clause the cue hangs on
            // (as parataxis or, in a weaker parse, a conjunct), up to the cue's own phrase; or,
            // when the parse attaches the cue elsewhere, the clause before ", SPEAKER said."
            match t.head[c].filter(|&h| h < c && matches!(t.base_rel(c), "parataxis" | "conj")) {
                Some(h) => (t.subtree(h).start.max(sent.start), t.subtree(c).start),
                None => return None,
            }
        } else {
            let a = comps.iter().map(|&k| t.subtree(k).start).min().unwrap_or(c);
            let b = comps.iter().map(|&k| t.subtree(k).end).max().unwrap_or(c);
            (a, b)
        };
        // "called for more information", "called for reducing the rate": the preposition is the
        // cue's, not the content's.
        let lead = |h: usize| match t.rel[a] {
            "case" => t.rel[h] == "obl",
            "mark" => t.rel[h] == "advcl" && matches!(v.words[a].as_str(), "for" | "about"),
            _ => false,
        };
        if a < b && t.head[a].is_some_and(|h| comps.contains(&h) && lead(h)) {
            a += 1;
        }
        if let Some(f) = self.interrupted(c, subj) {
            a = a.min(t.subtree(f).start);
        }
        // "analysts said geopolitical factors have contributed": the parse may give the cue the
        // complement's subject as a second one, right before the complement.
        if let Some(f) =
            t.children(c).iter().copied().find(|&k| k > c && SUBJECT.contains(&t.rel[k]) && t.subtree(k).end == a)
        {
            a = t.subtree(f).start;
        }
        let (a, b) = self.trimmed(a, self.own_clauses(c, a, b));
        let words = (a..b).filter(|&k| !v.is_punct(k)).count();
        // Two words at least, or a name ("Cruz endorsed Trump"): a pronoun object ("denied it",
        // "described him") says nothing.
        let named = words == 1 && v.entity_at(a).is_some() && !v.pos[a].starts_with("PRP");
        (words >= 2 || named).then_some((res, a, b))
    }

    /// The end of content `a..b` of cue `c` before a conjoined clause that is an attribution of
    /// its own ("Republicans said they're convinced the department mishandled the inquiry and
    /// Democrats accused the GOP of ...": the parse may hang "accused" on "mishandled").
    fn own_clauses(&self, c: usize, a: usize, b: usize) -> usize {
        let t = &self.t;
        (a..b)
            .find(|&k| {
                k > c
                    && t.base_rel(k) == "conj"
                    && self.is_cue(k)
                    && t.child(k, SUBJECT).is_some()
                    && t.head[k].is_some_and(|h| (a..b).contains(&h))
                    && t.subtree(k).end >= b
            })
            .map_or(b, |k| t.subtree(k).start)
    }

    /// A clause opened by "that" after cue `c` and hanging below it, whatever the parse made of
    /// it ("told reporters on Tuesday that ...", "said in a statement that ..." are often
    /// attached to the nearest noun): from after "that" to the end of its clause.
    fn that_clause(&self, c: usize, end: usize) -> Option<(usize, usize)> {
        let (t, v) = (&self.t, self.v);
        let r = t.subtree(c);
        let m = (c + 1..r.end.min(end)).find(|&k| v.words[k] == "that" && t.rel[k] == "mark")?;
        let h = t.head[m]?;
        t.child(h, &["nsubj", "nsubj:pass", "expl"])?;
        // Not a clause another cue took ("mocked Romney ..., claiming that ..." is the claim's).
        let mut x = t.head[h]?;
        while x != c {
            if self.is_cue(x) {
                return None;
            }
            x = t.head[x]?;
        }
        Some((m + 1, t.subtree(h).end))
    }

    /// The speaker a subject names: its subtree without relative clauses, appositions and
    /// trailing punctuation, resolved as any speaker phrase. A time is never a speaker.
    fn subject(&self, subj: usize, hint: Option<usize>) -> Option<Resolved> {
        let (t, v) = (&self.t, self.v);
        if self.is_time(subj) {
            return None;
        }
        let r = t.subtree(subj);
        let cut = t
            .children(subj)
            .iter()
            .filter(|&&k| k > subj && matches!(t.base_rel(k), "acl" | "parataxis"))
            .map(|&k| t.subtree(k).start)
            .min()
            .unwrap_or(r.end);
        let (mut a, mut b) = (r.start, cut.max(subj + 1));
        while a < subj && (v.is_punct(a) || t.rel[a] == "case") {
            a += 1;
        }
        while b > subj + 1 && v.is_punct(b - 1) {
            b -= 1;
        }
        if v.pos[subj].starts_with("PRP") && b - a == 1 {
            // A pronoun with no antecedent in reach is still the source's only name: keep it.
            let span = v.span_of(a, b);
            return Some(match v.resolve_pronoun(subj, hint) {
                Some(m) => Resolved { speaker: Speaker { span, mention: Some(m) }, score: 0.85 },
                None => Resolved { speaker: Speaker { span, mention: None }, score: 0.5 },
            });
        }
        // Relative and interrogative pronouns ("who said") are not speakers themselves.
        if matches!(v.pos[subj], "WP" | "WDT" | "EX") {
            return None;
        }
        self.resolve(a, b, hint)
    }

    /// The attribution after a quote: a cue the quote's clause is linked to in the parse, with
    /// only the speaker between them (`, he said` / `, said X` / `X, the minister, said`), or
    /// a dash and a name (`" — Jorge Falcon`).
    fn attribution_after(&self, q: &QuoteAt, hint: Option<usize>) -> Option<Attribution> {
        let v = self.v;
        if q.full_stop || !q.closes || q.after >= v.len() || q.after == 0 {
            return self.dash_after(q, hint);
        }
        if v.sentence_of(q.after) != v.sentence_of(q.after - 1) {
            return self.asked_after(q, hint).or_else(|| self.dash_after(q, hint));
        }
        // Room for a speaker with two appositives ("Scott Pruitt, the attorney general of
        // Oklahoma, one of the states suing the EPA, said").
        let lim = v.sentence_tokens(v.sentence_of(q.after)).end.min(q.after + 24);
        let stop = (q.after..lim)
            // Not at ".": abbreviations inside the speaker's phrase ("Rep. Gwen Moore (D-Wis.)") may
            // be split off as tokens, and the sentence's own end bounds the search anyway.
            .find(|&k| matches!(v.words[k].as_str(), "?" | "!" | ";") || is_quote_word(&v.words[k]))
            .unwrap_or(lim);
        for c in q.after..stop {
            // A cue with only its own dependents before it stands next to the quote, whatever
            // the parse made of the quote.
            let next_to = self.is_cue(c) && (q.after..c).all(|g| v.is_punct(g) || self.descends(g, c, &q.inner));
            let Some(tight) = self.link(c, &q.inner).or(next_to.then_some(false)) else { continue };
            if !(self.is_cue(c) || (tight && q.clause && self.is_predicate(c))) {
                continue;
            }
            // Between quote and cue only a speaker: no verb that is not the cue's own.
            if (q.after..c).any(|g| {
                v.is_verb(g) && !self.descends(g, c, &q.inner) && !matches!(v.lemmas[g].as_str(), "be" | "have")
            }) {
                return None;
            }
            let source = self.source(c, &q.inner, hint).or_else(|| self.speaker_near(c, q.after, hint))?;
            let end = (c + 1).max(if source.tok > c { self.t.subtree(source.tok).end } else { 0 });
            let cue_span = v.doc.tokens[c].span;
            return Some(Attribution {
                source,
                cue: v.lemmas[c].clone(),
                cue_span,
                cue_tok: Some(c),
                end,
                frame: "quote:after",
            });
        }
        self.dash_after(q, hint)
    }

    /// `"Why isn't this proof?" Vitter demanded.`: after a question or exclamation that ends a
    /// sentence, a sentence of nothing but a subject and its verb (adverbs and auxiliaries
    /// aside) attributes the quote, whatever the verb: standing alone, it reports the words.
    fn asked_after(&self, q: &QuoteAt, hint: Option<usize>) -> Option<Attribution> {
        let (t, v) = (&self.t, self.v);
        let sent = v.sentence_tokens(v.sentence_of(q.after));
        if !q.asks || sent.start != q.after || sent.len() > 14 {
            return None;
        }
        let c = sent.clone().find(|&k| t.head[k].is_none())?;
        let subj = t.child(c, SUBJECT).filter(|&s| s < c)?;
        let bare = sent.clone().all(|k| {
            k == c
                || v.is_punct(k)
                || t.subtree(subj).contains(&k)
                || (t.head[k] == Some(c) && matches!(t.base_rel(k), "advmod" | "aux"))
        });
        if !bare || !v.is_verb(c) {
            return None;
        }
        let source = self.source(c, &q.inner, hint)?;
        Some(Attribution {
            end: c + 1,
            cue: v.lemmas[c].clone(),
            cue_span: v.doc.tokens[c].span,
            cue_tok: Some(c),
            source,
            frame: "quote:after",
        })
    }

    /// A speaker the parse did not give the cue as subject: the phrase right after it
    /// (`said a security analyst`, parsed as its object) or the phrase between the quote and
    /// the cue (`"...," Scott Pruitt, the attorney general, said`, hung on the quote).
    fn speaker_near(&self, c: usize, after: usize, hint: Option<usize>) -> Option<Source> {
        let (t, v) = (&self.t, self.v);
        let x = if (after..c).all(|k| v.is_punct(k)) {
            t.children(c)
                .iter()
                .copied()
                .find(|&k| k > c && matches!(t.base_rel(k), "obj" | "iobj" | "nsubj" | "appos" | "dep"))?
        } else {
            (after..c).find(|&k| !v.is_punct(k) && !t.head[k].is_some_and(|h| (after..c).contains(&h)))?
        };
        self.source_phrase(x, hint)
    }

    /// `"..." — Jorge Falcon`: a dash after the quote, then a name ending the line.
    fn dash_after(&self, q: &QuoteAt, hint: Option<usize>) -> Option<Attribution> {
        let v = self.v;
        let toks = &v.doc.tokens;
        let d = q.after;
        if d >= v.len() || !is_dash(&v.words[d]) || !q.clause {
            return None;
        }
        let a = d + 1;
        let mut b = a;
        let broken = |k: usize| v.doc.text[toks[k - 1].span.end..toks[k].span.start].contains('\n');
        // The name is one noun-phrase chunk.
        let same_chunk = |k: usize| k == a || v.chunk[k].starts_with("I-");
        while b < v.len()
            && b - a < 8
            && !v.is_punct(b)
            && !is_quote_word(&v.words[b])
            && !(b > a && broken(b))
            && same_chunk(b)
        {
            b += 1;
        }
        let ends = b >= v.len() || v.is_punct(b) || is_quote_word(&v.words[b]) || broken(b) || !same_chunk(b);
        let named = (a..b).any(|k| v.entity_at(k).is_some());
        if a == b || !ends || !named {
            return None;
        }
        let speaker = self.resolve(a, b, hint)?;
        Some(Attribution {
            source: Source { speaker: Some(speaker), medium: None, tok: a },
            cue: "dash".to_string(),
            cue_span: toks[d].span,
            cue_tok: None,
            end: b,
            frame: "quote:dash",
        })
    }

    /// The attribution before a quote: a cue the quote's clause hangs on, with only the cue's
    /// own dependents between them (`Khalil told reporters: "...`, `Said Ellis: "...`), or a
    /// clause ending in a colon just before it (`Limbaugh continued: "...`); any verb whose
    /// clausal complement the quote is counts when a comma or colon stands before the quote
    /// (`Trump boasted, "That makes me smart."`).
    fn attribution_before(
        &self,
        q: &QuoteAt,
        hint: Option<usize>,
        used: &[usize],
        clause_initial: bool,
    ) -> Option<Attribution> {
        let v = self.v;
        let open = q.open;
        if open == 0 || open >= v.len() {
            return None;
        }
        let mut floor = v.sentence_tokens(v.sentence_of(open)).start;
        let punct = matches!(v.words[open - 1].as_str(), ":" | ",");
        let colon = v.words[open - 1] == ":";
        if floor == open && colon {
            floor = v.sentence_tokens(v.sentence_of(open - 1)).start;
        }
        let e = if punct { open - 1 } else { open };
        for c in (floor..e).rev().take(14) {
            let next_to = self.is_cue(c) && (c + 1..e).all(|x| v.is_punct(x));
            let linked = self
                .link(c, &q.inner)
                .or((colon && self.t.head[open - 1] == Some(c)).then_some(true))
                .or(next_to.then_some(false));
            let Some(tight) = linked else { continue };
            if used.contains(&c) || !(self.is_cue(c) || (tight && punct && q.clause && self.is_predicate(c))) {
                continue;
            }
            // Between cue and quote: an addressee or a prepositional phrase, no "that" clause;
            // nothing at all when the quote continues a clause (`saying "she is a disaster."`).
            if !clause_initial && !next_to {
                return None;
            }
            if (c + 1..e).any(|x| !self.descends(x, c, &q.inner) || v.words[x] == "that") {
                return None;
            }
            // "Said Ellis:" (inverted, the subject may be parsed as an object).
            let initial = c == v.sentence_tokens(v.sentence_of(c)).start;
            let source = self
                .source(c, &q.inner, hint)
                .or_else(|| initial.then(|| self.speaker_near(c, c + 1, hint)).flatten())?;
            return Some(Attribution {
                source,
                cue: v.lemmas[c].clone(),
                cue_span: v.doc.tokens[c].span,
                cue_tok: Some(c),
                end: open,
                frame: if colon { "quote:colon" } else { "quote:before" },
            });
        }
        None
    }

    /// A block quote: a sentence that ends in the cue and a colon ("Limbaugh added:") with the
    /// next paragraph, unquoted, for content. Returns the speaker and the paragraph's tokens.
    fn block_after(&self, c: usize, sent: Range<usize>, hint: Option<usize>) -> Option<(Source, usize, usize)> {
        let (v, doc) = (self.v, self.v.doc);
        let colon = c + 1;
        if colon + 1 != sent.end || v.words.get(colon).map(String::as_str) != Some(":") {
            return None;
        }
        let next = doc.tokens.get(colon + 1)?;
        let gap = &doc.text[doc.tokens[colon].span.end..next.span.start];
        if !gap.contains('\n') || is_quote_word(&v.words[colon + 1]) {
            return None;
        }
        let line = doc.text[next.span.start..].find('\n').map_or(doc.text.len(), |e| next.span.start + e);
        let b = doc.tokens_in(Span::new(next.span.start, line)).end;
        let src = self.source(c, &(0..0), hint)?;
        (b > colon + 2).then_some((src, colon + 1, b))
    }

    /// "according to X": X (the noun "according" marks) is the speaker; the content is the
    /// rest of the sentence, before or after the phrase.
    fn according_to(&self, k: usize, sent: Range<usize>, hint: Option<usize>) -> Option<(Source, usize, usize)> {
        let (t, v) = (&self.t, self.v);
        if k + 1 >= v.len() || v.words[k] != "according" || v.words[k + 1] != "to" {
            return None;
        }
        // The parse may hang "according to" on the noun before it and the source elsewhere
        // ("among black voters, according to a New York Times/CBS News poll released last
        // week"): then the source is the noun phrase after "to", and the content what precedes.
        let after = || {
            let run = (k + 2..sent.end).take_while(|&i| !v.is_punct(i) && !v.is_verb(i)).last()?;
            (k + 2..=run).rev().find(|&i| v.is_noun(i))
        };
        let (x, before_only) = match t.head[k].filter(|&x| x > k + 1) {
            Some(x) => (x, false),
            None => (after().filter(|_| t.head[k].is_some_and(|h| h < k))?, true),
        };
        let src = self.source_phrase(x, hint)?;
        if before_only {
            let (a, b) = self.trimmed(sent.start, k);
            return ((a..b).filter(|&i| !v.is_punct(i)).count() >= 2).then_some((src, a, b));
        }
        // The sentence around the phrase, not just the clause X hangs on: the parse often
        // hangs X on the last conjunct or a participle ("..., but died on the way to hospital,
        // according to the fire service").
        let (ca, cb) = (sent.start, sent.end);
        let pend = t.subtree(x).end;
        let words = |a: usize, b: usize| (a..b).any(|i| !v.is_punct(i));
        let (a, b) = match (words(ca, k), words(pend, cb)) {
            (false, _) => (pend, cb),
            (true, false) => (ca, k),
            (true, true) => (ca, cb),
        };
        let (mut a, mut b) = (a, b);
        while a < b && v.is_punct(a) {
            a += 1;
        }
        while b > a && v.is_punct(b - 1) {
            b -= 1;
        }
        Some((src, a, b))
    }
}

/// A speaker turn: a paragraph that opens with a name and a colon, the layout of interview
/// transcripts (`"WALLACE: Let's start with...`) and of headlines that quote
/// (`Pence: Gennifer Flowers Won't Be at Debate`).
struct Turn {
    /// The name's first token (after any opening quote mark).
    label: usize,
    colon: usize,
    speaker: Speaker,
    content: Span,
}

/// Words a turn's content needs: a section heading of a campaign guide (`Cruz: Just hang
/// on.`) is not a turn.
const MIN_TURN_WORDS: usize = 5;

/// Whether byte `at` opens a paragraph (only spaces and quote marks between it and the
/// previous line break or the start of the text).
fn opens_paragraph(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t', '\u{a0}', '"', '“', '\'', '‘']);
    before.is_empty() || before.ends_with('\n')
}

impl Finder<'_, '_> {
    /// Speaker turns of the document (see [`Turn`]). The name is at most five words, none a
    /// verb, ending in a person or organization mention, or capitalized and naming a person
    /// the article mentions ("PENCE" or "Pence" for Mike Pence); the content runs to the end
    /// of the paragraph.
    fn turns(&self) -> Vec<Turn> {
        let (v, doc) = (self.v, self.v.doc);
        let mut out = Vec::new();
        for k in 0..v.len() {
            if !opens_paragraph(&doc.text, doc.tokens[k].span.start) || is_quote_word(&v.words[k]) {
                continue;
            }
            let Some(c) = (k + 1..(k + 6).min(v.len())).find(|&c| v.words[c] == ":") else { continue };
            if (k..c).any(|x| v.is_verb(x) || (v.is_punct(x) && v.words[x] != ".")) {
                continue;
            }
            let Some(speaker) = self.turn_speaker(k, c) else { continue };
            let start = doc.tokens.get(c + 1).map_or(doc.text.len(), |t| t.span.start);
            let line = doc.text[start..].find('\n').map_or(doc.text.len(), |e| start + e);
            let end = start
                + doc.text[start..line].trim_end_matches(|ch: char| ch.is_whitespace() || "\"”".contains(ch)).len();
            let words = doc.tokens_in(Span::new(start, end)).filter(|&x| !v.is_punct(x)).count();
            if words >= MIN_TURN_WORDS {
                out.push(Turn { label: k, colon: c, speaker, content: Span::new(start, end) });
            }
        }
        out
    }

    /// The speaker a turn's name `a..colon` stands for.
    fn turn_speaker(&self, a: usize, colon: usize) -> Option<Speaker> {
        let (v, doc) = (self.v, self.v.doc);
        // "Sen.", "Gov.": abbreviated titles before a name.
        let titles = |r: Range<usize>| r.into_iter().all(|x| v.words[x].ends_with('.') || v.words[x] == ".");
        let span = v.span_of(a, colon);
        let name = v.text(span);
        let capitalized = name.split_whitespace().all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && v.words[colon - 1].chars().filter(|ch| ch.is_alphabetic()).count() >= 2;
        if !capitalized {
            return None;
        }
        if let Some(m) = v.entity_at(colon - 1) {
            let mention = &doc.mentions[m];
            // Only titles before the name ("Sen. Ted Cruz:"), not a headline ("Big Win For Bernie:").
            if matches!(mention.label.as_str(), "PER" | "ORG")
                && mention.tokens.end == colon
                && titles(a..mention.tokens.start)
            {
                return Some(Speaker { span: mention.span, mention: Some(m) });
            }
        }
        if !titles(a..colon - 1) {
            return None;
        }
        let last = &v.words[colon - 1];
        let named =
            |m: &Mention| m.label == "PER" && v.text(m.span).split_whitespace().any(|w| w.to_lowercase() == *last);
        let person = (0..doc.mentions.len()).filter(|&m| named(&doc.mentions[m]));
        // The nearest such person before the turn, else the first after it.
        let m = person.clone().rev().find(|&m| doc.mentions[m].tokens.end <= a).or_else(|| person.clone().next())?;
        Some(Speaker { span, mention: Some(m) })
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

/// The last quote's speaker, for a continuation: (sentence, speaker, cue).
type Last = Option<(usize, Option<Speaker>, String)>;

pub(crate) fn find_statements(v: &DocView<'_>, cfg: &ClaimsConfig) -> Vec<Statement> {
    let doc = v.doc;
    if doc.tokens.is_empty() {
        return Vec::new();
    }
    let quotes = find_quotes(&doc.text);
    let f = Finder { v, t: Tree::new(doc), quotes: &quotes };
    let turns = f.turns();
    let mut out: Vec<Statement> = Vec::new();
    let mut used_cues: Vec<usize> = Vec::new();
    let mut last: Last = None;
    let mut qi = 0;
    while qi < quotes.len() {
        let q = quotes[qi];
        qi += 1;
        let Some(at) = quote_at(v, &q, cfg) else { continue };
        let hint = last.as_ref().and_then(|(_, s, _)| s.as_ref().and_then(|s| s.mention));
        let before_open = doc.text[..q.outer.start].trim_end();
        let clause_initial = before_open.is_empty() || before_open.ends_with(['.', ':', ',', '!', '?', '\n', '—', ';']);
        let mut attr = f.attribution_after(&at, hint);
        if attr.is_none() {
            attr = f.attribution_before(&at, hint, &used_cues, clause_initial);
        }
        let sentence = v.sentence_of(at.inner.start);
        let mut content = q.content;
        let st = match attr {
            Some(a) => {
                let mut frame = a.frame;
                // Split quote: `"We will," he said, "rebuild."` — the next quote opens right
                // after the attribution and has none of its own.
                if let Some(q2) = quotes.get(qi) {
                    let next_open = token_at_or_after(doc, q2.outer.start);
                    let between = &doc.text[q.outer.end..q2.outer.start];
                    let comma = q.content.of(&doc.text).ends_with(',') || doc.text[q.outer.end..].starts_with(',');
                    let gap_ok = comma && next_open <= a.end + 1 && !between.contains(['.', '\n', '?', '!']);
                    let own = || quote_at(v, q2, cfg).and_then(|at2| f.attribution_after(&at2, None)).is_some();
                    if gap_ok && a.frame == "quote:after" && !own() {
                        content = Span::new(q.content.start, q2.content.end);
                        qi += 1;
                        frame = "quote:split";
                    }
                }
                used_cues.extend(a.cue_tok);
                let score = a.source.score();
                Statement {
                    sentence,
                    speaker: a.source.speaker.map(|r| r.speaker),
                    medium: a.source.medium,
                    cue: a.cue,
                    cue_span: Some(a.cue_span),
                    kind: StatementKind::Direct,
                    content,
                    score,
                    frame: frame.to_string(),
                }
            }
            None => match turns.iter().find(|t| t.label == at.inner.start) {
                // A transcript paragraph (`"WALLACE: ...`) names its own speaker.
                Some(t) => turn_statement(v, t, Span::new(t.content.start, t.content.end.min(q.content.end))),
                None if at.clause && clause_initial => unattributed(&last, sentence, content),
                None => continue, // scare quote, title or fragment
            },
        };
        last = Some((
            v.sentence_of(doc.tokens_in(st.content).end.saturating_sub(1).max(at.inner.start)),
            st.speaker.clone(),
            st.cue.clone(),
        ));
        out.push(st);
    }
    for t in &turns {
        if !out.iter().any(|s| s.content.overlaps(&t.content)) {
            out.push(turn_statement(v, t, t.content));
        }
    }
    let direct_spans: Vec<Span> = out
        .iter()
        .map(|s| {
            let q = quotes.iter().find(|q| q.content.start == s.content.start).map_or(s.content, |q| q.outer);
            Span::new(q.start, q.end.max(s.content.end))
        })
        .collect();
    reported_speech(&f, &mut out, &used_cues, &direct_spans, &quotes);
    dedup(out)
}

/// Where quote `q` sits in the tokens; `None` when it holds no token.
fn quote_at(v: &DocView<'_>, q: &Quote, cfg: &ClaimsConfig) -> Option<QuoteAt> {
    let doc = v.doc;
    let inner = doc.tokens_in(q.content);
    if inner.is_empty() {
        return None;
    }
    let words = inner.clone().filter(|&k| !v.is_punct(k)).count();
    // A nested quote may close with the outer one (`"You say you 'accept responsibility,'"`):
    // the punctuation that tells a clause is inside its mark.
    let text = q.content.of(&doc.text).trim_end_matches(|c: char| c.is_whitespace() || "'’\"”»".contains(c));
    let clause = words >= cfg.min_quote_words && text.ends_with(['.', ',', '!', '?', '…', '—']);
    Some(QuoteAt {
        inner,
        after: token_at_or_after(doc, q.outer.end),
        open: token_at_or_after(doc, q.outer.start),
        clause,
        full_stop: text.ends_with('.'),
        asks: text.ends_with(['?', '!']),
        closes: text.ends_with(['.', ',', '!', '?', '…', '—']) || doc.text[q.outer.end..].starts_with(','),
    })
}

/// The direct statement of a speaker turn, its content cut to `content`.
fn turn_statement(v: &DocView<'_>, t: &Turn, content: Span) -> Statement {
    Statement {
        sentence: v.sentence_of(t.label),
        speaker: Some(t.speaker.clone()),
        medium: None,
        cue: ":".to_string(),
        cue_span: Some(v.doc.tokens[t.colon].span),
        kind: StatementKind::Direct,
        content,
        score: 0.8,
        frame: "turn:colon".to_string(),
    }
}

/// A clause-like quote with no attribution of its own: the previous quote's speaker carries
/// over (`"...," he said. "It will take years."`) when it spoke at most two sentences ago.
fn unattributed(last: &Last, sentence: usize, content: Span) -> Statement {
    let (speaker, cue, score, frame) = match last {
        Some((ls, sp, cue)) if sentence.saturating_sub(*ls) <= 2 && sp.is_some() => {
            (sp.clone(), cue.clone(), 0.7, "quote:continued")
        }
        _ => (None, "unattributed".to_string(), 0.35, "quote:unattributed"),
    };
    Statement {
        sentence,
        speaker,
        medium: None,
        cue,
        cue_span: None,
        kind: StatementKind::Direct,
        content,
        score,
        frame: frame.to_string(),
    }
}

/// Reported speech: "according to X" and cue verbs read off the parse, outside direct quotes.
fn reported_speech(f: &Finder<'_, '_>, out: &mut Vec<Statement>, used: &[usize], direct: &[Span], quotes: &[Quote]) {
    let v = f.v;
    let doc = v.doc;
    if !f.t.is_parsed() {
        return;
    }
    let mut in_direct = vec![false; doc.tokens.len()];
    for d in direct {
        in_direct[doc.tokens_in(*d)].fill(true);
    }
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
        for k in r.clone() {
            if in_direct[k] {
                continue;
            }
            let found = if v.words[k] == "according" {
                f.according_to(k, r.start..send, hint).map(|x| (x, "according_to", "according_to", k + 2))
            } else if f.is_cue(k) && !used.contains(&k) {
                if let Some((src, a, b)) = f.block_after(k, r.clone(), hint) {
                    let cue = (v.lemmas[k].as_str(), v.span_of(k, k + 1), "block:colon");
                    let n = out.len();
                    push_indirect(v, out, s, src, cue, (a, b), quotes);
                    // Verbatim, set off as a paragraph of its own.
                    out.iter_mut().skip(n).for_each(|st| st.kind = StatementKind::Direct);
                    continue;
                }
                f.reported(k, r.clone(), hint).map(|x| (x, v.lemmas[k].as_str(), "cue:parse", k + 1))
            } else {
                None
            };
            let Some(((src, ca, cb), cue, frame, cue_end)) = found else { continue };
            let cue_span = v.span_of(k, cue_end);
            push_indirect(v, out, s, src, (cue, cue_span, frame), (ca, cb.min(send)), quotes);
        }
    }
}

/// Overlapping candidates (a direct quote also read as reported speech): keeps the first.
fn dedup(mut out: Vec<Statement>) -> Vec<Statement> {
    out.sort_by_key(|a| (a.content.start, a.content.end));
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

fn push_indirect(
    v: &DocView<'_>,
    out: &mut Vec<Statement>,
    sentence: usize,
    src: Source,
    (cue, cue_span, frame): (&str, Span, &str),
    (a, b): (usize, usize),
    quotes: &[Quote],
) {
    if a >= b {
        return;
    }
    let content = v.span_of(a, b);
    let mixed = quotes.iter().any(|q| content.contains(&q.content) || content.overlaps(&q.content));
    let score = if src.speaker.is_some() { src.score() * 0.9 } else { 0.3 };
    out.push(Statement {
        sentence,
        speaker: src.speaker.map(|r| r.speaker),
        medium: src.medium,
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

    /// Asserts that every (speaker, cue, content) in `want` is among the statements `s`.
    fn assert_found(d: &Document, s: &[Statement], want: &[(&str, &str, &str)]) {
        let got: Vec<(String, &str, &str)> =
            s.iter().map(|x| (speaker_text(d, x), x.cue.as_str(), d.slice(x.content))).collect();
        for &(who, cue, content) in want {
            assert!(got.iter().any(|g| g.0 == who && g.1 == cue && g.2 == content), "{who} {cue} {content}: {got:?}");
        }
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
    fn doubled_apostrophes_pair_as_one_mark() {
        let t = "It was, he said, ''a stone worn down.'' Then ``Go,'' she said.\n\n''First\n\n''Second.''";
        let q: Vec<&str> = find_quotes(t).iter().map(|q| q.content.of(t)).collect();
        assert_eq!(q, ["a stone worn down.", "Go,", "First\n\n''Second."]);
        let (d, s) = run("''There is a lot of new complexity,'' said [PER Leonard Burman].");
        assert_eq!(s.len(), 1);
        assert_eq!(speaker_text(&d, &s[0]), "Leonard Burman");
        assert_eq!(s[0].kind, StatementKind::Direct);
    }

    #[test]
    fn quote_after_with_named_speaker_and_inverted_unnamed() {
        let (d, s) = run("\"We will find those responsible,\" [PER Ahmed Khalil] said on Tuesday. \"Nobody is safe in this city,\" said a security analyst in [LOC Kabul].");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].kind, StatementKind::Direct);
        assert_eq!(d.slice(s[0].content), "We will find those responsible,");
        assert_eq!(speaker_text(&d, &s[0]), "Ahmed Khalil");
        assert_eq!(s[0].cue, "say");
        assert_eq!(speaker_text(&d, &s[1]), "a security analyst in Kabul");
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
        let (_, s) = run(
            "Residents fled the town. \"There is nothing left for us here, nothing at all.\" The army arrived later.",
        );
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].speaker.is_none());
        assert_eq!(s[0].cue, "unattributed");
        assert!(s[0].score < 0.5);
    }

    #[test]
    fn quote_read_off_a_sign_has_a_medium_and_no_speaker() {
        let (d, s) = run("Residents fled the town. \"There is nothing left for us here,\" read a sign on the mosque.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert!(s[0].speaker.is_none());
        assert_eq!(s[0].medium.map(|m| d.slice(m)), Some("a sign on the mosque"));
        assert!(s[0].score < 0.5);
    }

    #[test]
    fn question_then_a_sentence_of_speaker_and_verb() {
        let (d, s) = run("Senators pressed the chief executive. \"Why isn't this crystal clear proof that the bank is too big to manage?\" [PER Vitter] demanded. The hearing went on for hours.");
        let got: Vec<(String, &str)> = s.iter().map(|x| (speaker_text(&d, x), x.cue.as_str())).collect();
        assert_eq!(got, [("Vitter".to_string(), "demand")], "{s:?}");
        // A sentence with more in it than speaker and verb does not attribute the quote.
        let (_, s) = run("\"Why would anyone vote for this?\" [PER Vitter] demanded answers from the bank.");
        assert!(s.iter().filter(|x| x.kind == StatementKind::Direct).all(|x| x.speaker.is_none()), "{s:?}");
    }

    #[test]
    fn dash_attributions_in_a_list_of_quotes() {
        let (d, s) = run("\"I am so ashamed to be an American. How did we get this low?\" ― [PER Jacklyn Ashley]\n\n\"He must stop portraying us as gangsters when most of us work hard.\" ― [PER Carla Sanchez]");
        let got: Vec<(String, &str)> = s.iter().map(|x| (speaker_text(&d, x), x.frame.as_str())).collect();
        assert_eq!(
            got,
            [("Jacklyn Ashley".to_string(), "quote:dash"), ("Carla Sanchez".to_string(), "quote:dash")],
            "{s:?}"
        );
        assert!(s.iter().all(|x| x.kind == StatementKind::Direct));
    }

    #[test]
    fn speaker_turns_of_transcripts_and_headlines() {
        let text = "[PER Pence]: Flowers Will Not Be at the Debate, Trump Was Mocking the Camp.\n\n\
                    [PER Mike Pence] spoke to [PER Chris Wallace] on Sunday.\n\n\
                    \"WALLACE: Let us start with the news on the debate story.\n\n\
                    \"PENCE: Well, look, this is America and it is serious business.\n\n\
                    Another problem for [PER Pence]: there are many more voters in the state.\n\n\
                    [PER Cruz]: Just hang on.";
        let (d, s) = run(text);
        let turns: Vec<&Statement> = s.iter().filter(|x| x.frame == "turn:colon").collect();
        assert_found(
            &d,
            &s,
            &[
                ("Pence", ":", "Flowers Will Not Be at the Debate, Trump Was Mocking the Camp."),
                ("Chris Wallace", ":", "Let us start with the news on the debate story."),
                ("Mike Pence", ":", "Well, look, this is America and it is serious business."),
            ],
        );
        assert_eq!(turns.len(), 3, "not a name, and too short a heading: {s:?}");
        let label = turns[2].speaker.as_ref().map(|p| d.slice(p.span));
        assert_eq!(label, Some("PENCE"), "the speaker's text is the name as written");
        assert!(turns.iter().all(|t| t.kind == StatementKind::Direct));
    }

    #[test]
    fn a_cue_the_parse_hung_on_its_subject() {
        let (d, s) = run("[PER Douglas Brinkley], a historian who attended the session, recalled, \"Out of nowhere, he said, 'If we do nothing on the climate issue, all bets are off.'\"");
        let q: Vec<&Statement> = s.iter().filter(|x| x.kind == StatementKind::Direct).collect();
        assert_eq!(q.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, q[0]), "Douglas Brinkley", "{s:?}");
    }

    #[test]
    fn calls_for_a_deed_and_on_someone_to_act() {
        let (d, s) = run("[PER Obama] called for reducing the corporate tax rate. [PER Palmieri] called on [PER Trump] to stop attacking [PER Machado] and apologize. [PER Ryan] said on Tuesday that it was fine.");
        assert_found(
            &d,
            &s,
            &[
                ("Obama", "call", "reducing the corporate tax rate"),
                ("Palmieri", "call", "Trump to stop attacking Machado and apologize"),
                ("Ryan", "say", "it was fine"),
            ],
        );
    }

    #[test]
    fn a_block_quote_after_a_cue_and_colon() {
        let (d, s) = run("The meeting ended late.\n\n[PER Limbaugh] added:\n\nShe can not beat this guy without rigging it.\n\nThe show went on.");
        assert_found(&d, &s, &[("Limbaugh", "add", "She can not beat this guy without rigging it.")]);
        let block = s.iter().find(|x| x.frame == "block:colon").expect("a block statement");
        assert_eq!(block.kind, StatementKind::Direct);
    }

    #[test]
    fn according_to_a_source_the_parse_hung_elsewhere() {
        let (d, s) = run("Pressure is building on [PER McAuliffe], who was greeted with chants at a labor conference last month, according to [ORG Virginia AFL-CIO] President [PER Doris Crouse-Mays].");
        assert_found(
            &d,
            &s,
            &[(
                "Doris Crouse-Mays",
                "according_to",
                "Pressure is building on McAuliffe, who was greeted with chants at a labor conference last month",
            )],
        );
    }

    #[test]
    fn a_cue_up_a_chain_of_clauses_takes_their_subject() {
        let (d, s) = run("[PER Warren] spoke on Monday, going on to say that the bank must pay.");
        assert_found(&d, &s, &[("Warren", "say", "the bank must pay")]);
    }

    #[test]
    fn colon_attribution_with_inverted_verb() {
        let (d, s) = run("Some say the code is too complex. Said [PER Ellis]: \"I do not get the sense she is interested in tax reform.\"");
        let q: Vec<&Statement> = s.iter().filter(|x| x.kind == StatementKind::Direct).collect();
        assert_eq!(q.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, q[0]), "Ellis", "{s:?}");
        assert_eq!(q[0].frame, "quote:colon");
    }

    #[test]
    fn verb_right_before_the_quote() {
        let (d, s) = run("[PER Clinton] attacked his record. [PER Trump] boasted, \"That makes me smart.\"");
        let q: Vec<&Statement> = s.iter().filter(|x| x.kind == StatementKind::Direct).collect();
        assert_eq!(q.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, q[0]), "Trump");
        assert_eq!(q[0].frame, "quote:before");
    }

    #[test]
    fn time_phrase_is_not_a_speaker() {
        let (d, s) = run("[PER Trump] unleashed a series of tweets [DATE early Friday] saying \"she is a disaster for the country.\"");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(speaker_text(&d, &s[0]), "Trump");
        assert_eq!(d.slice(s[0].content), "she is a disaster for the country.");
    }

    #[test]
    fn parenthetical_and_inverted_cues_outside_quotes() {
        let (d, s) = run("[MISC African-Americans], he said, can rock like [PER Jimi Hendrix]. There is a lot of new complexity in the plan, said [PER Leonard Burman].");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(d.slice(s[0].content), "African-Americans, he said, can rock like Jimi Hendrix");
        assert_eq!(speaker_text(&d, &s[0]), "he");
        assert_eq!(speaker_text(&d, &s[1]), "Leonard Burman");
        assert_eq!(d.slice(s[1].content), "There is a lot of new complexity in the plan");
    }

    #[test]
    fn nearest_subject_own_clauses_and_reasons() {
        let (d, s) = run("Frustration#NN with police: Civil#JJ rights#NNS activists#NNS say#VBP [LOC Charlotte] officers have historically been too aggressive toward black residents. [MISC Republicans] said they're increasingly convinced the [ORG Justice Department] mishandled the investigation and [MISC Democrats] accused the [ORG GOP] of stoking the issue. [PER Reid] frequently mocked [PER Romney] for not releasing his tax returns, claiming that he had a source.");
        let want = [
            (
                "Civil rights activists",
                "say",
                "Charlotte officers have historically been too aggressive toward black residents",
            ),
            (
                "Republicans",
                "say",
                "they're increasingly convinced the Justice Department mishandled the investigation",
            ),
            ("Democrats", "accuse", "the GOP of stoking the issue"),
            ("Reid", "mock", "Romney for not releasing his tax returns"),
            ("Reid", "claim", "he had a source"),
        ];
        assert_found(&d, &s, &want);
    }
    #[test]
    fn time_subjects_and_addressees() {
        let (d, s) = run("[ORG Wells Fargo] just this month announced it would get rid of these incentives. Last month, the [ORG FBI] warned state elections officials to boost their election security.");
        let want = [
            ("Wells Fargo", "announce", "it would get rid of these incentives"),
            ("FBI", "warn", "to boost their election security"),
        ];
        assert_found(&d, &s, &want);
    }
    #[test]
    fn a_stance_takes_only_a_clause() {
        let (d, s) = run("An audit by [ORG Transparency Watch] found#VBD that the canal contracts were inflated. Police found#VBD the body of the driver near the river.");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].cue, "find");
        assert_eq!(d.slice(s[0].content), "the canal contracts were inflated");
    }
    #[test]
    fn prepositional_and_named_contents() {
        let (d, s) = run("Protesters in [LOC Charlotte] called for more information about the shooting. [PER Ted Cruz] endorsed [PER Donald Trump]. [PER Cruz] denied it.");
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(d.slice(s[0].content), "more information about the shooting");
        assert_eq!(speaker_text(&d, &s[1]), "Ted Cruz");
        assert_eq!(d.slice(s[1].content), "Donald Trump");
    }

    #[test]
    fn medium_is_kept_apart_from_the_speaker() {
        let (d, s) = run("\"The border crossing has reopened at last,\" the statement said. \"Security forces have sealed the whole area,\" a statement from the [ORG Interior Ministry] said.");
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].speaker.is_none(), "{s:?}");
        assert_eq!(s[0].medium.map(|m| d.slice(m)), Some("the statement"));
        assert_eq!(speaker_text(&d, &s[1]), "Interior Ministry");
        assert_eq!(s[1].medium.map(|m| d.slice(m)), Some("a statement from the Interior Ministry"));
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
