//! From IOB2 token labels to PER/ORG/LOC/MISC mentions.
//!
//! The tagger labels words; names written with hyphens, apostrophes or particles arrive as
//! several words, and a model trained on CoNLL often restarts (B-) or drops (O) the label
//! at those joints. Decoding therefore (1) reads plain IOB2 spans within a sentence,
//! (2) re-joins spans of one label that touch without whitespace or across a joiner
//! ("Abdul" "-" "Rahim") or a lower-case particle ("Zia ul Haq", "al-Qaeda"), (3) trims a
//! possessive "'s", (4) rewrites an all-caps dateline at the start of the article as LOC,
//! (5) relabels demonyms as MISC and (6) extends a place by a following administrative unit.

use std::ops::Range;

use crate::doc::{Document, MentionSource};

use super::names::{is_demonym, lexicons};
use super::Draft;

fn tok(doc: &Document, i: usize) -> &str {
    doc.token_text(i)
}

fn ner(doc: &Document, i: usize) -> (&str, &str, f32) {
    match &doc.tokens[i].tags {
        Some(t) => {
            let (p, l) = t.ner.split_once('-').unwrap_or((t.ner.as_str(), ""));
            (p, l, t.ner_score)
        }
        None => ("O", "", 0.0),
    }
}

/// No whitespace between tokens `a` and `a + 1`.
fn glued(doc: &Document, a: usize) -> bool {
    a + 1 < doc.tokens.len()
        && doc.tokens[a].sentence == doc.tokens[a + 1].sentence
        && doc.tokens[a].span.end == doc.tokens[a + 1].span.start
}

fn is_joiner(s: &str) -> bool {
    matches!(s, "-" | "\u{2010}" | "\u{2011}" | "'" | "\u{2019}" | "\u{02BC}" | "`")
}

fn is_possessive(s: &str) -> bool {
    matches!(s, "'s" | "\u{2019}s" | "'S" | "'" | "\u{2019}")
}

fn is_particle(s: &str) -> bool {
    s.chars().all(|c| c.is_lowercase()) && lexicons().particles.contains(s)
}

fn capitalized(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

/// Decodes the document's entity mentions (model source, plus dateline repairs).
pub(crate) fn decode(doc: &Document) -> Vec<Draft> {
    let mut spans = bio_spans(doc);
    spans = join(doc, spans);
    for s in &mut spans {
        trim_possessive(doc, s);
    }
    // A label on punctuation alone ("'s", "-") is not a name.
    spans.retain(|s| {
        if s.tokens.is_empty() || (s.tokens.len() == 1 && is_possessive(tok(doc, s.tokens.start))) {
            return false;
        }
        super::span_of(doc, &s.tokens).of(&doc.text).chars().any(char::is_alphanumeric)
    });
    dateline(doc, &mut spans);
    spans = join_across_labels(doc, spans);
    spans.retain_mut(|s| strip_titles(doc, s));
    for s in &mut spans {
        split_compound(doc, s);
        if s.tokens.len() == 1
            && s.span.is_none()
            && matches!(s.label.as_str(), "ORG" | "LOC" | "PER")
            && is_demonym(tok(doc, s.tokens.start))
        {
            s.label = "MISC".into();
        }
        if s.label == "LOC" {
            admin_unit(doc, s);
        }
    }
    harmonize_labels(doc, &mut spans);
    // Extensions may run into a neighbour: join same-label overlaps, else keep the first.
    spans.sort_by_key(|s| (s.tokens.start, std::cmp::Reverse(s.tokens.end)));
    let mut out: Vec<Draft> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(p) if p.tokens.end > s.tokens.start => {
                if p.label == s.label && s.tokens.end > p.tokens.end {
                    let (label, source) = (p.label.clone(), p.source);
                    *p = draft(doc, p.tokens.start..s.tokens.end, &label, source);
                }
            }
            _ => out.push(s),
        }
    }
    out
}

fn draft(doc: &Document, tokens: Range<usize>, label: &str, source: MentionSource) -> Draft {
    let scores: Vec<f32> = tokens.clone().filter(|&i| ner(doc, i).0 != "O").map(|i| ner(doc, i).2).collect();
    let score = if scores.is_empty() { 0.0 } else { scores.iter().sum::<f32>() / scores.len() as f32 };
    Draft::new(tokens, label, score, source)
}

/// Plain IOB2 spans; an I- after O or after another label starts a span (BIO repair is
/// upstream, but decoding stays total on any input).
fn bio_spans(doc: &Document) -> Vec<Draft> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    let n = doc.tokens.len();
    for i in 0..=n {
        let (p, l) = if i < n {
            let (p, l, _) = ner(doc, i);
            (p.to_string(), l.to_string())
        } else {
            ("O".into(), String::new())
        };
        let new_sentence = i < n && i > 0 && doc.tokens[i].sentence != doc.tokens[i - 1].sentence;
        let continues = p == "I" && !new_sentence && cur.as_ref().is_some_and(|(_, cl)| *cl == l);
        if !continues {
            if let Some((s, cl)) = cur.take() {
                out.push(draft(doc, s..i, &cl, MentionSource::Model));
            }
            if (p == "B" || p == "I") && !l.is_empty() {
                cur = Some((i, l));
            }
        }
    }
    out
}

/// Re-joins name pieces (see module doc).
fn join(doc: &Document, spans: Vec<Draft>) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    for s in spans {
        if let Some(prev) = out.last_mut() {
            let (a, b) = (prev.tokens.end, s.tokens.start);
            let same_sentence = doc.tokens[a - 1].sentence == doc.tokens[b].sentence;
            let gap: Vec<&str> = (a..b).map(|i| tok(doc, i)).collect();
            let all_glued = (a - 1..b).all(|i| glued(doc, i));
            let gap_ok = gap.iter().all(|t| is_joiner(t) || is_particle(t));
            let mergeable = same_sentence
                && prev.label == s.label
                && b >= a
                && (
                    // touching without whitespace: a B- restart on "-Rahim"
                    (gap.is_empty() && all_glued)
                    // joiners/particles glued on both sides: "Abdul" "-" "Rahim", "Tehrik" "-" "i" "-"
                    // "Taliban". Two places or organisations joined by a bare hyphen are usually
                    // two ("US-China talks"), so outside persons the gap must hold a particle or
                    // the model must have continued the label (I-).
                    || (!gap.is_empty() && gap.len() <= 3 && gap_ok && all_glued
                        && (prev.label == "PER" || gap.iter().any(|t| is_particle(t)) || ner(doc, b).0 == "I"))
                    // a spaced particle: "Zia" "ul" "Haq", "Zia" "ul" "-" "Haq", "Abu Bakr" "al" "Baghdadi"
                    || (!gap.is_empty() && gap.len() <= 2 && gap_ok && is_particle(gap[0]))
                );
            if mergeable {
                let merged = prev.tokens.start..s.tokens.end;
                let label = prev.label.clone();
                *prev = draft(doc, merged, &label, MentionSource::Model);
                continue;
            }
        }
        out.push(s);
    }
    for s in &mut out {
        extend_particles(doc, s);
    }
    out
}

/// Takes in a glued particle prefix ("al-" + "Qaeda") and glued hyphen/apostrophe tails
/// ("Hizb" + "-ut-Tahrir", "O" + "'" + "Brien") that the model left outside.
fn extend_particles(doc: &Document, s: &mut Draft) {
    let mut start = s.tokens.start;
    // "al" "-" [Qaeda]
    if start >= 2
        && is_joiner(tok(doc, start - 1))
        && glued(doc, start - 2)
        && glued(doc, start - 1)
        && is_particle(&tok(doc, start - 2).to_lowercase())
        && ner(doc, start - 2).0 == "O"
    {
        start -= 2;
    }
    let mut end = s.tokens.end;
    // [Hizb] "-" "ut" "-" "Tahrir": take joiner + word while glued and the word is a
    // capitalized name or a particle; apostrophe + word unless it is a possessive "s".
    while end + 1 < doc.tokens.len()
        && is_joiner(tok(doc, end))
        && glued(doc, end - 1)
        && glued(doc, end)
        && ner(doc, end + 1).0 != "B"
    {
        let next = tok(doc, end + 1);
        let apostrophe = tok(doc, end) != "-";
        let ok = if apostrophe {
            next.chars().all(char::is_alphabetic) && next != "s"
        } else {
            capitalized(next) || is_particle(next)
        };
        if !ok || !next.chars().any(char::is_alphabetic) {
            break;
        }
        end += 2;
    }
    // A trailing particle must be followed by a name: "ul" alone at the end is not a name.
    while end > s.tokens.start + 1 && is_particle(tok(doc, end - 1)) {
        end -= 1;
        if end > s.tokens.start + 1 && is_joiner(tok(doc, end - 1)) {
            end -= 1;
        }
    }
    if start != s.tokens.start || end != s.tokens.end {
        let label = s.label.clone();
        *s = draft(doc, start..end, &label, MentionSource::Model);
    }
}

fn trim_possessive(doc: &Document, s: &mut Draft) {
    while s.tokens.len() > 1 && is_possessive(tok(doc, s.tokens.end - 1)) {
        s.tokens.end -= 1;
    }
}

/// "KABUL, Afghanistan —" / "NEW DELHI (Reuters) -": an all-caps place at the very start of
/// the article, followed by a comma or an agency credit. Models trained on mixed-case text
/// often label it ORG or miss it; the shape is unambiguous, so it becomes LOC.
fn dateline(doc: &Document, spans: &mut Vec<Draft>) {
    // The article's first token, and the first token of any of the next few sentences that
    // opens a line (a headline or byline may come first).
    let mut starts = vec![0];
    for sent in doc.sentences.iter().skip(1).take(3) {
        let before = doc.text.get(..sent.span.start).unwrap_or("").trim_end_matches([' ', '\t', '\r']);
        if before.ends_with('\n') && !sent.tokens.is_empty() {
            starts.push(sent.tokens.start);
        }
    }
    for s0 in starts {
        dateline_at(doc, spans, s0);
    }
}

fn dateline_at(doc: &Document, spans: &mut Vec<Draft>, s0: usize) {
    let n = doc.tokens.len();
    if s0 + 3 > n {
        return;
    }
    let mut k = s0;
    while k < n.min(s0 + 5) && {
        let t = tok(doc, k);
        t.chars().filter(|c| c.is_alphabetic()).count() >= 2
            && t.chars().all(|c| c.is_uppercase() || c == '.' || c == '-' || c == '\'')
    } {
        k += 1;
    }
    if k == s0 || k >= n || doc.tokens[k].sentence != doc.tokens[s0].sentence {
        return;
    }
    let after = tok(doc, k);
    let same0 = |i: usize| doc.tokens[i].sentence == doc.tokens[s0].sentence;
    let closes = |t: &str| matches!(t, "\u{2014}" | "\u{2013}" | "-" | "--" | "(" | ":");
    let region: Option<Range<usize>> = if after == "," {
        // The dash or agency credit must follow within a few words: "KABUL, Afghanistan —",
        // "KABUL, Dec. 11 (Reuters) -". The region is the capitalized run after the comma,
        // unless it is a date.
        let Some(close) = (k + 1..(k + 10).min(n)).take_while(|&j| same0(j)).find(|&j| closes(tok(doc, j))) else {
            return;
        };
        let mut j = k + 1;
        while j < close && capitalized(tok(doc, j)) && super::rules::month_num(tok(doc, j)).is_none() {
            j += 1;
        }
        (j > k + 1).then_some(k + 1..j)
    } else if closes(after) && after != ":" && !glued(doc, k - 1) {
        // "WASHINGTON — ...", "NEW DELHI (Reuters) -", but not "US-China".
        None
    } else {
        return;
    };
    let agreed = spans.iter().any(|s| s.tokens == (s0..k) && s.label == "LOC");
    if !agreed {
        spans.retain(|s| s.tokens.end <= s0 || s.tokens.start >= k);
        let mut d = draft(doc, s0..k, "LOC", MentionSource::Rule);
        d.score = d.score.max(0.9);
        spans.push(d);
    }
    if let Some(r) = region {
        if !spans.iter().any(|s| s.tokens.start < r.end && r.start < s.tokens.end) {
            let mut d = draft(doc, r, "LOC", MentionSource::Rule);
            d.score = d.score.max(0.9);
            spans.push(d);
        }
    }
}

/// "Kandahar" + "province": the province is a different place from the city. The mention
/// stays the name alone (CoNLL style); the unit word becomes the draft's qualifier, which
/// keeps the two apart in the chain key. A lower-case unit the model put inside the span
/// is moved out the same way.
fn admin_unit(doc: &Document, s: &mut Draft) {
    let units = &lexicons().admin_units;
    let is_unit = |i: usize| {
        let t = tok(doc, i);
        t.chars().all(char::is_lowercase) && units.contains(t)
    };
    if s.tokens.len() > 1 && s.span.is_none() && is_unit(s.tokens.end - 1) {
        s.qualifier = Some(tok(doc, s.tokens.end - 1).to_string());
        s.tokens.end -= 1;
        return;
    }
    let end = s.tokens.end;
    if end < doc.tokens.len()
        && doc.tokens[end].sentence == doc.tokens[end - 1].sentence
        && ner(doc, end).0 == "O"
        && is_unit(end)
    {
        s.qualifier = Some(tok(doc, end).to_string());
    }
}

/// Name particles of Romance and Germanic names ("La Voz del Sur", "Ludwig van Beethoven"),
/// after which the model often restarts with another label.
fn is_foreign_particle(s: &str) -> bool {
    matches!(
        s,
        "de" | "del"
            | "della"
            | "da"
            | "di"
            | "do"
            | "dos"
            | "das"
            | "du"
            | "des"
            | "van"
            | "von"
            | "der"
            | "den"
            | "la"
            | "le"
            | "y"
    )
}

/// Lower-cased last words of facility names, which are places (LOC) in this scheme.
fn is_facility(s: &str) -> bool {
    matches!(
        s,
        "airport" | "airfield" | "airbase" | "mosque" | "shrine" | "bridge" | "dam" | "stadium" | "square" | "prison"
    )
}

/// Joins pieces of one name that the model labelled differently or split at a function word:
/// - "La Voz" + "del Sur": a span that opens with a lower-case name particle, or follows one,
///   continues the previous name, whose label it takes;
/// - "Alejandro Velasco Astete" + "International Airport": a facility name is one place;
/// - "Commission" + "for the" + "Investigation of Aviation Accidents": two organisation
///   pieces joined by "for"/"of"/"on" (with an optional "the") are one organisation;
/// - "Nasir"/ORG + "Qarimi"/PER side by side: one person.
fn join_across_labels(doc: &Document, spans: Vec<Draft>) -> Vec<Draft> {
    let mut spans = spans;
    // Function words the model swept into a name's edge ("Commission for") are not part of
    // it, and a span of nothing but lower-case words ("of") is no name.
    let edge_word =
        |t: &str| matches!(t, "of" | "for" | "the" | "and" | "on" | "in" | "at" | "to" | "a" | "an" | "by" | "with");
    for s in &mut spans {
        if s.span.is_some() {
            continue;
        }
        while s.tokens.len() > 1 && edge_word(tok(doc, s.tokens.end - 1)) {
            s.tokens.end -= 1;
        }
    }
    spans.retain(|s| {
        s.span.is_some() || s.tokens.clone().any(|i| tok(doc, i).chars().any(|c| c.is_uppercase() || c.is_numeric()))
    });
    spans.sort_by_key(|s| (s.tokens.start, s.tokens.end));
    let mut out: Vec<Draft> = Vec::new();
    for s in spans {
        if let Some(prev) = out.last_mut() {
            let (a, b) = (prev.tokens.end, s.tokens.start);
            let ok_pos = b >= a
                && doc.tokens[a - 1].sentence == doc.tokens[b].sentence
                && prev.span.is_none()
                && s.span.is_none();
            let gap: Vec<&str> = if ok_pos { (a..b).map(|i| tok(doc, i)).collect() } else { Vec::new() };
            let spaced = ok_pos
                && (a - 1..s.tokens.end - 1).all(|i| {
                    let between = &doc.text[doc.tokens[i].span.end..doc.tokens[i + 1].span.start];
                    between == " "
                });
            let first_s = tok(doc, s.tokens.start);
            let last_prev = tok(doc, a - 1);
            let merged_label: Option<String> = if !ok_pos || !spaced {
                None
            } else if gap.len() <= 2
                && (gap.iter().chain(std::iter::once(&first_s)).any(|t| is_foreign_particle(t)))
                && gap.iter().all(|t| is_foreign_particle(t))
                && (!gap.is_empty() || is_foreign_particle(first_s))
                && capitalized(last_prev)
            {
                Some(prev.label.clone())
            } else if gap.is_empty()
                && is_facility(&tok(doc, s.tokens.end - 1).to_lowercase())
                && capitalized(tok(doc, s.tokens.end - 1))
                && prev.label != "MISC"
            {
                Some("LOC".into())
            } else if prev.label == "ORG"
                && (s.label == "ORG" || (s.label == "MISC" && !is_demonym(first_s)))
                && capitalized(last_prev)
                && capitalized(first_s)
                && matches!(gap.as_slice(), ["for"] | ["for", "the"] | ["of"] | ["of", "the"] | ["on"] | ["on", "the"])
            {
                Some("ORG".into())
            } else if gap.is_empty() && prev.label != s.label && (prev.label == "PER" || s.label == "PER") {
                let other = if prev.label == "PER" { &s } else { &*prev };
                let t = tok(doc, other.tokens.start);
                (other.tokens.len() == 1
                    && capitalized(t)
                    && !looks_all_caps(t)
                    && !is_demonym(t)
                    && other.label != "MISC")
                    .then(|| "PER".to_string())
            } else {
                None
            };
            if let Some(label) = merged_label {
                let merged = prev.tokens.start..s.tokens.end;
                *prev = draft(doc, merged, &label, prev.source);
                continue;
            }
        }
        out.push(s);
    }
    // A facility name alone ("International Airport") is a place too.
    for s in &mut out {
        let last = tok(doc, s.tokens.end - 1);
        if s.label == "ORG" && s.tokens.len() > 1 && capitalized(last) && is_facility(&last.to_lowercase()) {
            s.label = "LOC".into();
        }
    }
    out
}

/// Words that make a capitalized name an organisation ("State Customs Service").
fn is_org_word(w: &str) -> bool {
    matches!(
        w,
        "group"
            | "service"
            | "services"
            | "ministry"
            | "bank"
            | "company"
            | "times"
            | "news"
            | "party"
            | "alliance"
            | "front"
            | "council"
            | "committee"
            | "commission"
            | "agency"
            | "authority"
            | "office"
            | "department"
            | "airlines"
            | "airways"
            | "corporation"
            | "institute"
            | "university"
            | "court"
            | "army"
            | "police"
            | "force"
            | "forces"
            | "movement"
            | "association"
            | "union"
            | "federation"
            | "foundation"
            | "fund"
            | "board"
            | "bureau"
            | "post"
            | "herald"
            | "tribune"
            | "daily"
            | "wire"
            | "press"
    )
}

fn looks_all_caps(t: &str) -> bool {
    t.chars().filter(|c| c.is_alphabetic()).count() >= 2 && t.chars().all(|c| !c.is_lowercase())
}

/// Titles that are also common given names, never dropped from the front of a name alone.
fn title_is_also_a_name(w: &str) -> bool {
    matches!(
        w,
        "amir"
            | "emir"
            | "sayyid"
            | "imam"
            | "king"
            | "justice"
            | "chief"
            | "rep"
            | "sen"
            | "marshal"
            | "major"
            | "judge"
            | "lord"
            | "lady"
            | "pir"
            | "miss"
    )
}

/// Drops leading titles from a person mention ("Gen. Karimi" -> "Karimi", "Haji Gul Ahmad
/// Andari" -> "Gul Ahmad Andari"), the CoNLL convention. Returns false when nothing but
/// titles is left ("Gen." or "Mullah" alone), so the caller drops the mention.
fn strip_titles(doc: &Document, s: &mut Draft) -> bool {
    if s.label != "PER" || s.span.is_some() {
        return true;
    }
    let lex = lexicons();
    let folded: Vec<String> = s.tokens.clone().map(|i| super::names::fold(tok(doc, i))).collect();
    let mut i = 0;
    loop {
        let mut matched = 0;
        for t in &lex.titles {
            if i + t.len() <= folded.len() && folded[i..i + t.len()] == t[..] {
                if t.len() == 1 && title_is_also_a_name(&t[0]) {
                    continue;
                }
                matched = t.len();
                break;
            }
        }
        if matched == 0 {
            break;
        }
        i += matched;
        while i < folded.len() && folded[i].is_empty() {
            i += 1;
        }
    }
    if i == 0 {
        return true;
    }
    if i >= folded.len() {
        return false;
    }
    let start = s.tokens.start + i;
    let end = s.tokens.end;
    let label = s.label.clone();
    let qualifier = s.qualifier.take();
    *s = draft(doc, start..end, &label, s.source);
    s.qualifier = qualifier;
    true
}

/// Suffixes of compounds whose first part is the name: "Dubai-based", "Afghan-born",
/// "Saudi-led". The second part says whether the name is a place.
const PLACE_SUFFIXES: &[&str] = &["based", "born", "bred", "raised", "educated", "headquartered", "registered"];
const AGENT_SUFFIXES: &[&str] = &[
    "led",
    "backed",
    "owned",
    "run",
    "funded",
    "controlled",
    "linked",
    "allied",
    "affiliated",
    "sponsored",
    "supported",
    "brokered",
    "made",
];

/// "Dubai-based"/MISC -> "Dubai"/LOC, "Afghan-born" -> "Afghan"/MISC: the mention is the name
/// before the hyphen (a narrower span when the compound is one token).
fn split_compound(doc: &Document, s: &mut Draft) {
    if s.span.is_some() {
        return;
    }
    let span = super::span_of(doc, &s.tokens);
    let text = span.of(&doc.text);
    let Some(pos) = text.rfind(['-', '\u{2010}', '\u{2011}']) else { return };
    let hyphen_len = text[pos..].chars().next().map_or(1, char::len_utf8);
    let (head, suffix) = (&text[..pos], &text[pos + hyphen_len..]);
    let suffix_l = suffix.to_lowercase();
    let place = PLACE_SUFFIXES.contains(&suffix_l.as_str());
    if head.is_empty() || !capitalized(head) || !(place || AGENT_SUFFIXES.contains(&suffix_l.as_str())) {
        return;
    }
    // Token-aligned when the tokenizer split at the hyphen, else a narrower span.
    let head_end = span.start + pos;
    if let Some(k) = s.tokens.clone().find(|&k| doc.tokens[k].span.end == head_end) {
        s.tokens.end = k + 1;
    } else {
        s.span = Some(crate::doc::Span::new(span.start, head_end));
    }
    let last_word = head.rsplit([' ', '-']).next().unwrap_or(head);
    if is_demonym(last_word) && !head.contains(' ') {
        s.label = "MISC".into();
    } else if s.label == "MISC" && place {
        s.label = "LOC".into();
    }
}

/// One name, one label within an article: mentions with the same surface but different
/// labels take the label with the most model confidence summed over them ("Helvetra" ORG
/// three times and PER once). A one-word name that is the last word of a multi-word person
/// name in the article ("Qarimi" beside "Nasir Qarimi") is that person, whatever the model
/// said. Demonyms (MISC) are left alone.
fn harmonize_labels(doc: &Document, spans: &mut [Draft]) {
    use std::collections::BTreeMap;
    let text_of = |s: &Draft| {
        super::names::fold(super::names::strip_possessive(
            s.span.unwrap_or_else(|| super::span_of(doc, &s.tokens)).of(&doc.text),
        ))
    };
    // Person evidence for a name the model called an organisation or place: an age in
    // apposition ("Toktogulov, 54,") or a relative or lawyer ("Toktogulov's lawyer",
    // "Karimi's nephew"). Only names of plain capitalized words, none an organisation word.
    let mut per_cued = vec![false; spans.len()];
    for (k, s) in spans.iter_mut().enumerate() {
        if s.span.is_some()
            || s.source != MentionSource::Model
            || !matches!(s.label.as_str(), "ORG" | "LOC")
            || s.tokens.len() > 3
        {
            continue;
        }
        let plain = s.tokens.clone().all(|i| {
            let t = tok(doc, i);
            capitalized(t)
                && t.chars().all(char::is_alphabetic)
                && !looks_all_caps(t)
                && !is_org_word(&t.to_lowercase())
        });
        if !plain {
            continue;
        }
        let e = s.tokens.end;
        let same = |j: usize| j < doc.tokens.len() && doc.tokens[j].sentence == doc.tokens[e - 1].sentence;
        let at = |j: usize| same(j).then(|| tok(doc, j).to_lowercase());
        let age = at(e).as_deref() == Some(",")
            && at(e + 1).is_some_and(|w| w.len() <= 2 && w.chars().all(|c| c.is_ascii_digit()))
            && at(e + 2).as_deref() == Some(",");
        let kin = at(e).is_some_and(|w| w == "'s" || w == "\u{2019}s")
            && at(e + 1).is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "lawyer"
                        | "attorney"
                        | "wife"
                        | "husband"
                        | "son"
                        | "daughter"
                        | "brother"
                        | "sister"
                        | "father"
                        | "mother"
                        | "nephew"
                        | "niece"
                        | "uncle"
                        | "cousin"
                        | "widow"
                        | "brother-in-law"
                        | "son-in-law"
                        | "relatives"
                )
            });
        if age || kin {
            s.label = "PER".into();
            per_cued[k] = true;
        }
    }
    let surnames: std::collections::BTreeSet<String> = spans
        .iter()
        .filter(|s| s.label == "PER" && s.tokens.len() >= 2)
        .filter_map(|s| text_of(s).rsplit(' ').next().map(String::from))
        .collect();
    let firsts: std::collections::BTreeSet<String> = spans
        .iter()
        .filter(|s| s.label == "ORG" && s.tokens.len() >= 2)
        .filter_map(|s| text_of(s).split(' ').next().map(String::from))
        .collect();
    // Organisation evidence for a one-word name the model called a person or place: the
    // first word of a longer organisation name in the article ("Brennan" beside "Brennan
    // Aerospace", "Helvetra" beside "Helvetra AG"), or company context ("the firm X",
    // "shares of X", "X shares"). Such a mention votes ORG with extra weight.
    let mut cued = vec![false; spans.len()];
    for (k, s) in spans.iter_mut().enumerate() {
        if s.tokens.len() != 1
            || s.span.is_some()
            || s.source != MentionSource::Model
            || !matches!(s.label.as_str(), "PER" | "LOC" | "MISC")
        {
            continue;
        }
        let i = s.tokens.start;
        let t = text_of(s);
        if surnames.contains(&t) || is_demonym(tok(doc, i)) {
            continue;
        }
        let same = |j: usize| j < doc.tokens.len() && doc.tokens[j].sentence == doc.tokens[i].sentence;
        let prev = |k: usize| (i >= k && same(i - k)).then(|| tok(doc, i - k).to_lowercase());
        let next = |k: usize| same(i + k).then(|| tok(doc, i + k).to_lowercase());
        let company_word = |w: &str| {
            matches!(
                w,
                "firm"
                    | "company"
                    | "airline"
                    | "carrier"
                    | "bank"
                    | "insurer"
                    | "conglomerate"
                    | "manufacturer"
                    | "maker"
                    | "lender"
                    | "newspaper"
                    | "broadcaster"
                    | "startup"
                    | "retailer"
                    | "operator"
                    | "supplier"
                    | "contractor"
            )
        };
        // "Mr. Karimi": a title makes a person whatever else the article says.
        if prev(1).is_some_and(|w| lexicons().title_words.contains(&super::names::fold(&w))) {
            continue;
        }
        let cue = (firsts.contains(&t) && s.label != "LOC")
            || prev(1).is_some_and(|w| company_word(&w))
            // "the AeroAndino plane": a MISC name before an aircraft word is the airline.
            || (s.label == "MISC" && next(1).is_some_and(|w| matches!(w.as_str(), "plane" | "aircraft" | "jet" | "airliner" | "flight" | "flights" | "fleet")))
            || (prev(1).as_deref() == Some("of") && prev(2).is_some_and(|w| w == "shares" || w == "stake"))
            || next(1).is_some_and(|w| matches!(w.as_str(), "shares" | "stock" | "stake"))
            || (next(1).is_some_and(|w| w == "'s" || w == "\u{2019}s")
                && next(2).is_some_and(|w| {
                    matches!(w.as_str(), "shares" | "board" | "shareholders" | "subsidiary" | "headquarters" | "chief" | "ceo" | "executive" | "founder" | "chairman" | "chairwoman" | "employees" | "fleet")
                }));
        if cue {
            s.label = "ORG".into();
            cued[k] = true;
        }
    }
    let mut votes: BTreeMap<String, BTreeMap<String, f32>> = BTreeMap::new();
    for (k, s) in spans.iter().enumerate() {
        if s.source == MentionSource::Model && s.label != "MISC" {
            // Evidence outweighs any number of unsupported model labels.
            let w = if cued[k] || per_cued[k] { 100.0 } else { s.score.max(0.01) };
            *votes.entry(text_of(s)).or_default().entry(s.label.clone()).or_default() += w;
        }
    }
    for s in spans.iter_mut() {
        if s.label == "MISC" || s.source != MentionSource::Model || s.span.is_some() {
            continue;
        }
        let t = text_of(s);
        if s.tokens.len() == 1 && s.label != "PER" && surnames.contains(&t) && !looks_all_caps(tok(doc, s.tokens.start))
        {
            s.label = "PER".into();
            continue;
        }
        if let Some(v) = votes.get(&t) {
            if v.len() > 1 {
                let best =
                    v.iter().max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(l, _)| l.clone());
                if let Some(b) = best {
                    s.label = b;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdoc::doc;
    use super::*;

    fn texts(spec: &str) -> Vec<(String, String)> {
        let d = doc(spec);
        decode(&d)
            .iter()
            .map(|m| (super::super::span_of(&d, &m.tokens).of(&d.text).to_string(), m.label.clone()))
            .collect()
    }
    fn pair(t: &str, l: &str) -> (String, String) {
        (t.to_string(), l.to_string())
    }

    #[test]
    fn hyphenated_name_is_not_split() {
        // The model restarts the label after the hyphen and leaves the hyphen O.
        assert_eq!(texts("Abdul/B-PER ~-/O ~Rahim/B-PER spoke"), vec![pair("Abdul-Rahim", "PER")]);
        // Or labels the tail as a new span glued to the first.
        assert_eq!(texts("Abdul/B-PER ~-Rahim/B-PER spoke"), vec![pair("Abdul-Rahim", "PER")]);
        // Two different people separated by a spaced dash stay two.
        assert_eq!(texts("Karimi/PER - Ahmadi/B-PER met"), vec![pair("Karimi", "PER"), pair("Ahmadi", "PER")]);
    }

    #[test]
    fn particles_join_names() {
        assert_eq!(texts("Zia/PER ul Haq/B-PER said"), vec![pair("Zia ul Haq", "PER")]);
        assert_eq!(texts("the al ~- ~Qaeda/ORG affiliate"), vec![pair("al-Qaeda", "ORG")]);
        assert_eq!(texts("Hizb/ORG ~- ~ut ~- ~Tahrir ~- ~led rally"), vec![pair("Hizb-ut-Tahrir", "ORG")]);
        assert_eq!(texts("Abu/PER Bakr/PER al Baghdadi/B-PER"), vec![pair("Abu Bakr al Baghdadi", "PER")]);
    }

    #[test]
    fn apostrophes_inside_names_and_possessives() {
        assert_eq!(texts("Sean/PER O/PER ~' ~Brien met"), vec![pair("Sean O'Brien", "PER")]);
        assert_eq!(texts("Karimi/PER ~'s/PER nephew"), vec![pair("Karimi", "PER")]);
        assert_eq!(texts("Karimi/PER ~' ~s nephew"), vec![pair("Karimi", "PER")]);
    }

    #[test]
    fn all_caps_dateline_becomes_loc() {
        assert_eq!(
            texts("KABUL/ORG , Afghanistan/LOC — Officials said"),
            vec![pair("KABUL", "LOC"), pair("Afghanistan", "LOC")]
        );
        assert_eq!(texts("NEW/B-ORG DELHI ( Reuters/ORG ) -"), vec![pair("NEW DELHI", "LOC"), pair("Reuters", "ORG")]);
        // Region missed by the model is added; agreement keeps the model's own span.
        let d = doc("PESHAWAR/LOC , Pakistan —");
        let m = decode(&d);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].source, MentionSource::Model);
        assert_eq!(m[1].source, MentionSource::Rule);
        // Not a dateline: ordinary sentence opening with an acronym.
        assert_eq!(texts("NATO/ORG said on Monday"), vec![pair("NATO", "ORG")]);
        assert_eq!(texts("WASHINGTON/ORG — The"), vec![pair("WASHINGTON", "LOC")]);
        assert_eq!(texts("US/LOC ~- ~China/LOC talks"), vec![pair("US", "LOC"), pair("China", "LOC")]);
        assert_eq!(
            texts("US/LOC , UK/LOC and France/LOC agreed"),
            vec![pair("US", "LOC"), pair("UK", "LOC"), pair("France", "LOC")]
        );
        // A date between the place and the agency credit is not part of the place.
        assert_eq!(texts("KABUL , Dec. 11 ( Reuters/ORG ) -"), vec![pair("KABUL", "LOC"), pair("Reuters", "ORG")]);
    }

    #[test]
    fn dateline_after_a_headline_line() {
        let mut d = doc("Attack/O in/O north || KUNDUZ/ORG , Afghanistan/LOC — Officials said");
        // Put the second sentence on its own line, as a body under a headline.
        let nl = d.sentences[1].span.start - 1;
        d.text.replace_range(nl..nl + 1, "\n");
        let got: Vec<(String, String)> = decode(&d)
            .iter()
            .map(|m| (super::super::span_of(&d, &m.tokens).of(&d.text).to_string(), m.label.clone()))
            .collect();
        assert_eq!(got, vec![pair("KUNDUZ", "LOC"), pair("Afghanistan", "LOC")]);
        // The same words in mid-paragraph are left to the model.
        assert_eq!(
            texts("Attack in north . KUNDUZ/ORG , Afghanistan/LOC — Officials"),
            vec![pair("KUNDUZ", "ORG"), pair("Afghanistan", "LOC")]
        );
    }

    #[test]
    fn demonyms_are_misc_and_provinces_are_not_cities() {
        assert_eq!(texts("Afghan/ORG officials"), vec![pair("Afghan", "MISC")]);
        assert_eq!(
            texts("in Kandahar/LOC province and Kandahar/LOC city"),
            vec![pair("Kandahar", "LOC"), pair("Kandahar", "LOC")]
        );
        let d = doc("in Kandahar/LOC province and Kandahar/LOC city , Ghazni/LOC province/LOC");
        let q: Vec<Option<String>> = decode(&d).into_iter().map(|m| m.qualifier).collect();
        assert_eq!(q, vec![Some("province".into()), None, Some("province".into())]);
    }

    #[test]
    fn titles_leave_person_spans() {
        assert_eq!(texts("Gen./PER Karimi/PER , the chief"), vec![pair("Karimi", "PER")]);
        assert_eq!(texts("said Haji/PER Gul/PER Ahmad/PER Andari/PER ,"), vec![pair("Gul Ahmad Andari", "PER")]);
        assert_eq!(texts("Prime/PER Minister/PER Shehbaz/PER Sharif/PER said"), vec![pair("Shehbaz Sharif", "PER")]);
        // A title alone is no name; one that is also a given name stays.
        assert_eq!(texts("Gen./B-PER Mohammad/B-PER Daud/PER spoke"), vec![pair("Mohammad Daud", "PER")]);
        assert_eq!(texts("minister , Mullah/B-PER , said"), vec![]);
        assert_eq!(texts("Amir/PER Khan/PER said"), vec![pair("Amir Khan", "PER")]);
    }

    #[test]
    fn compounds_keep_the_name_only() {
        let d = doc("a Dubai-based/MISC firm and the Afghan-born/MISC founder , US-backed/MISC forces");
        let got: Vec<(String, String)> = decode(&d)
            .iter()
            .map(|m| {
                (
                    m.span.unwrap_or_else(|| super::super::span_of(&d, &m.tokens)).of(&d.text).to_string(),
                    m.label.clone(),
                )
            })
            .collect();
        assert_eq!(got, vec![pair("Dubai", "LOC"), pair("Afghan", "MISC"), pair("US", "MISC")]);
        // Split by the tokenizer at the hyphen: token-aligned.
        assert_eq!(texts("a Herat/MISC ~-/MISC ~born/MISC trader"), vec![pair("Herat", "LOC")]);
    }

    #[test]
    fn names_split_across_labels_are_joined() {
        assert_eq!(
            texts("the newspaper La/ORG Voz/ORG del/B-LOC Sur/LOC reported"),
            vec![pair("La Voz del Sur", "ORG")]
        );
        assert_eq!(
            texts("leaving Jorge/PER Chavez/PER International/B-ORG Airport/ORG ."),
            vec![pair("Jorge Chavez International Airport", "LOC")]
        );
        assert_eq!(
            texts("the Commission/ORG for/ORG the Investigation/B-MISC of/B-ORG Aviation/B-MISC Accidents/MISC said"),
            vec![pair("Commission for the Investigation of Aviation Accidents", "ORG")]
        );
        assert_eq!(texts("Relatives of Nasir/ORG Qarimi/B-PER said"), vec![pair("Nasir Qarimi", "PER")]);
        // An organisation of a country stays two names.
        assert_eq!(
            texts("sold to Helvetra/ORG of Switzerland/LOC ."),
            vec![pair("Helvetra", "ORG"), pair("Switzerland", "LOC")]
        );
    }

    #[test]
    fn one_name_one_label_in_an_article() {
        // Surname of a person named in full.
        assert_eq!(
            texts("Nasir/PER Karimi/PER left . || Karimi/ORG ~'s company"),
            vec![pair("Nasir Karimi", "PER"), pair("Karimi", "PER")]
        );
        // Majority of model confidence.
        assert_eq!(
            texts("Zarlex/ORG rose . || Zarlex/ORG fell . || Zarlex/PER said"),
            vec![pair("Zarlex", "ORG"), pair("Zarlex", "ORG"), pair("Zarlex", "ORG")]
        );
    }

    #[test]
    fn company_evidence_makes_a_one_word_name_an_organisation() {
        assert_eq!(
            texts("Brennan/PER said . || Brennan/ORG Aerospace/ORG built it ."),
            vec![pair("Brennan", "ORG"), pair("Brennan Aerospace", "ORG")]
        );
        assert_eq!(
            texts("Swiss/MISC firm Zarlex/PER will pay . || Zarlex/PER said . || Zarlex/PER agreed"),
            vec![pair("Swiss", "MISC"), pair("Zarlex", "ORG"), pair("Zarlex", "ORG"), pair("Zarlex", "ORG")]
        );
        // A person's surname is not a company, nor a name after a title, nor a place.
        assert_eq!(
            texts("Nasir/PER Karimi/PER said . || Karimi/PER shares"),
            vec![pair("Nasir Karimi", "PER"), pair("Karimi", "PER")]
        );
        assert_eq!(
            texts("Karimi/ORG Group/ORG grew . || Mr. Karimi/PER built it"),
            vec![pair("Karimi Group", "ORG"), pair("Karimi", "PER")]
        );
        assert_eq!(
            texts("the Afghanistan/ORG Chamber/ORG of/ORG Commerce/ORG said . || jobs in Afghanistan/LOC"),
            vec![pair("Afghanistan Chamber of Commerce", "ORG"), pair("Afghanistan", "LOC")]
        );
        assert_eq!(texts("But Zarlex/PER ~'s chief executive"), vec![pair("Zarlex", "ORG")]);
        assert_eq!(texts("the AeroZed/MISC plane"), vec![pair("AeroZed", "ORG")]);
    }

    #[test]
    fn person_evidence_makes_a_name_a_person() {
        assert_eq!(
            texts("detained Bakyt/ORG Toktogulov/ORG , 54 , on Tuesday . || Toktogulov/ORG ~'s lawyer said"),
            vec![pair("Bakyt Toktogulov", "PER"), pair("Toktogulov", "PER")]
        );
        assert_eq!(texts("Toktogulov/ORG ~'s lawyer said"), vec![pair("Toktogulov", "PER")]);
        // One piece of evidence outweighs several bare model labels.
        assert_eq!(
            texts("Toktogulov/ORG left . || Toktogulov/ORG ran . || Toktogulov/ORG hid . || Toktogulov/ORG ~'s lawyer said"),
            vec![pair("Toktogulov", "PER"), pair("Toktogulov", "PER"), pair("Toktogulov", "PER"), pair("Toktogulov", "PER")]
        );
        // Organisation words keep an organisation.
        assert_eq!(
            texts("the State/ORG Customs/ORG Service/ORG ~'s lawyer"),
            vec![pair("State Customs Service", "ORG")]
        );
        assert_eq!(texts("Kabul/LOC ~'s mayor"), vec![pair("Kabul", "LOC")]);
    }

    #[test]
    fn punctuation_alone_is_not_a_mention() {
        assert_eq!(texts("said ~'s/B-PER ~-/B-ORG then"), vec![]);
    }

    #[test]
    fn sentence_boundary_ends_a_span() {
        assert_eq!(texts("to Kabul/LOC || Herat/I-LOC is"), vec![pair("Kabul", "LOC"), pair("Herat", "LOC")]);
    }
}
