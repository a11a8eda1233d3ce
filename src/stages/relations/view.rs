//! A per-document view shared by the statement and relation stages: lowercased words, POS,
//! chunks and lemmas per token, which mention covers each token, and the two kinds of
//! resolution both stages need: pronouns to a preceding person or organization, and role
//! phrases ("the acting interior minister") to the person the article gave that role.

use std::collections::HashMap;

use crate::doc::{Document, Span};

use super::lexicon::{Gender, Lexicon};

/// Labels that name entities (as opposed to values).
pub(crate) fn is_entity_label(l: &str) -> bool {
    !matches!(l, "DATE" | "TIME" | "MONEY" | "PERCENT" | "CARDINAL" | "ORDINAL" | "QUANTITY")
}

/// A title or family role the article gives a person: "Interior Minister Ahmed Khalil",
/// "Khalil, the acting interior minister,", "Boeing chief executive Jane Doe", "Ali's uncle Omar".
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    /// The person mention holding the role.
    pub person: usize,
    /// The lexicon key of the title or family word ("minister", "chief executive", "uncle").
    pub head: String,
    pub family: bool,
    /// Lowercased words of the role phrase without determiners and the organization.
    pub modifiers: Vec<String>,
    /// The role's organization / place / relative, when the phrase names one.
    pub other: Option<usize>,
    /// The role phrase text span (title words, for a value object).
    pub phrase: Span,
    pub evidence: Span,
    pub sentence: usize,
}

/// A role phrase read off tokens: see [`DocView::role_phrase`].
pub(crate) struct RolePhrase {
    pub head: String,
    pub family: bool,
    pub modifiers: Vec<String>,
    pub other: Option<usize>,
    pub phrase: Span,
}

pub(crate) struct DocView<'d> {
    pub doc: &'d Document,
    pub lex: &'d Lexicon,
    pub words: Vec<String>,
    pub pos: Vec<&'d str>,
    pub chunk: Vec<&'d str>,
    pub lemmas: Vec<String>,
    /// The mention covering each token (entity mentions win over values, longer over shorter).
    pub mention_at: Vec<Option<usize>>,
    /// For each ORG mention, how many ORG mentions of the document name the same organization
    /// (same chain, or same text without one); 0 for other mentions.
    org_count: Vec<usize>,
    /// For each chain, the gender an honorific before one of its mentions reveals.
    chain_gender: Vec<Option<Gender>>,
    pub roles: Vec<Role>,
}

impl<'d> DocView<'d> {
    pub fn new(doc: &'d Document, lex: &'d Lexicon) -> Self {
        let n = doc.tokens.len();
        let mut words = Vec::with_capacity(n);
        let mut pos = Vec::with_capacity(n);
        let mut chunk = Vec::with_capacity(n);
        let mut lemmas = Vec::with_capacity(n);
        for t in &doc.tokens {
            let w = doc.text.get(t.span.start..t.span.end).unwrap_or("");
            let (p, c) = t.tags.as_ref().map(|g| (g.pos.as_str(), g.chunk.as_str())).unwrap_or(("", "O"));
            words.push(w.to_lowercase());
            // Only verbs get lemmatized: "attacks" the noun must stay a noun.
            lemmas.push(if p.starts_with("VB") || p == "MD" || p == "NNS" { lex.lemma(w) } else { w.to_lowercase() });
            pos.push(p);
            chunk.push(c);
        }
        let mut mention_at: Vec<Option<usize>> = vec![None; n];
        for (mi, m) in doc.mentions.iter().enumerate() {
            for t in m.tokens.clone() {
                if t >= n {
                    break;
                }
                let better = match mention_at[t] {
                    None => true,
                    Some(o) => {
                        let om = &doc.mentions[o];
                        (is_entity_label(&m.label), m.tokens.len()) > (is_entity_label(&om.label), om.tokens.len())
                    }
                };
                if better {
                    mention_at[t] = Some(mi);
                }
            }
        }
        let org_count = org_counts(doc);
        let chain_gender = doc.chains.iter().map(|ch| honorific_gender(lex, &words, doc, &ch.mentions)).collect();
        let mut v =
            DocView { doc, lex, words, pos, chunk, lemmas, mention_at, org_count, chain_gender, roles: Vec::new() };
        v.roles = v.find_roles();
        v
    }

    /// Text of a span; empty (never a panic) if the span does not fit the text.
    pub fn text(&self, span: Span) -> &'d str {
        self.doc.text.get(span.start..span.end).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_punct(&self, i: usize) -> bool {
        let p = self.pos[i];
        matches!(p, "," | "." | ":" | "``" | "''" | "(" | ")" | "-LRB-" | "-RRB-" | "#" | "$" | "HYPH" | "NFP")
            || (!self.words[i].is_empty() && self.words[i].chars().all(|c| !c.is_alphanumeric()))
    }

    pub fn is_verb(&self, i: usize) -> bool {
        self.pos[i].starts_with("VB")
    }

    pub fn is_noun(&self, i: usize) -> bool {
        self.pos[i].starts_with("NN")
    }

    /// Token range of sentence `s`, clamped to the tokens there are.
    pub fn sentence_tokens(&self, s: usize) -> std::ops::Range<usize> {
        match self.doc.sentences.get(s) {
            Some(se) => se.tokens.start.min(self.len())..se.tokens.end.min(self.len()),
            None => 0..0,
        }
    }

    pub fn sentence_of(&self, tok: usize) -> usize {
        self.doc.tokens.get(tok).map(|t| t.sentence).unwrap_or(0)
    }

    /// Entity mention at token `i` (not values).
    pub fn entity_at(&self, i: usize) -> Option<usize> {
        self.mention_at.get(i).copied().flatten().filter(|&m| is_entity_label(&self.doc.mentions[m].label))
    }

    /// Byte span of tokens `a..b`; for an empty range, the empty span where token `a` starts
    /// (or where the text ends).
    pub fn span_of(&self, a: usize, b: usize) -> Span {
        let toks = &self.doc.tokens;
        if a >= b || b > toks.len() {
            let p = toks.get(a).map(|t| t.span.start).or_else(|| toks.last().map(|t| t.span.end)).unwrap_or(0);
            return Span::new(p, p);
        }
        Span::new(toks[a].span.start, toks[b - 1].span.end.max(toks[a].span.start))
    }

    /// Gender an article reveals for a mention's chain through honorifics ("Mr. Khalil").
    pub fn gender_of(&self, m: usize) -> Option<Gender> {
        match self.doc.mentions[m].chain.and_then(|c| self.chain_gender.get(c)) {
            Some(g) => *g,
            None => honorific_gender(self.lex, &self.words, self.doc, &[m]),
        }
    }

    /// Resolves a pronoun at token `tok` to an entity mention. `hint` is the speaker of the
    /// statement just before, which continuing quotes and "he added" usually refer back to.
    pub fn resolve_pronoun(&self, tok: usize, hint: Option<usize>) -> Option<usize> {
        let p = self.lex.pronouns.get(&self.words[tok])?;
        let ok = |m: usize| -> bool {
            let mm = &self.doc.mentions[m];
            let label_ok = match p.target.as_str() {
                "PER" => mm.label == "PER",
                // "it"/"they" speak for organizations; "they" also for groups of people.
                "ORG" => mm.label == "ORG" || (self.words[tok] == "they" && mm.label == "PER"),
                t => mm.label == t,
            };
            let gender_ok = match (p.gender, self.gender_of(m)) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            label_ok && gender_ok && mm.tokens.end <= tok
        };
        let s = self.sentence_of(tok);
        if let Some(h) = hint {
            if ok(h) && s.saturating_sub(self.doc.mentions[h].sentence) <= 3 {
                return Some(h);
            }
        }
        // Nearest sentence with a candidate; within it the leftmost one, which is usually the
        // subject ("Khalil met the envoy on Monday. He said..."), unless it only possesses the
        // subject ("Karimi's nephew, Sohail Karimi, said ... He ...").
        let possessor = |m: usize| {
            let end = self.doc.mentions[m].tokens.end;
            end < self.len() && matches!(self.words[end].as_str(), "'s" | "’s")
        };
        for back in 0..=3usize {
            let Some(ss) = s.checked_sub(back) else { break };
            let r = self.sentence_tokens(ss);
            let mut found: Vec<usize> = Vec::new();
            let mut t = r.start;
            while t < r.end.min(tok) {
                if let Some(m) = self.entity_at(t) {
                    if ok(m) {
                        found.push(m);
                    }
                    t = self.doc.mentions[m].tokens.end.max(t + 1);
                } else {
                    t += 1;
                }
            }
            if let Some(&m) = found.iter().find(|&&m| !possessor(m)).or(found.first()) {
                return Some(m);
            }
        }
        None
    }

    /// Longest title or family phrase of the lexicon ending at token `end - 1`... found by
    /// scanning `a..b`; returns (start, end, key, is_family) of the last one in the range.
    pub fn find_title(&self, a: usize, b: usize) -> Option<(usize, usize, String, bool)> {
        let mut best = None;
        let mut i = a;
        while i < b {
            let mut hit = None;
            for n in (1..=self.lex.max_title_words).rev() {
                if i + n > b {
                    continue;
                }
                if !(i..i + n).all(|k| self.is_noun(k) || self.pos[k].starts_with("JJ")) {
                    continue;
                }
                let key = self.words[i..i + n].join(" ");
                if self.lex.titles.contains_key(&key) {
                    hit = Some((i, i + n, key, false));
                    break;
                }
                if self.lex.family.contains_key(&key) {
                    hit = Some((i, i + n, key, true));
                    break;
                }
            }
            match hit {
                Some(h) => {
                    i = h.1;
                    best = Some(h);
                }
                None => i += 1,
            }
        }
        best
    }

    /// A rank or form of address before a name ("Col.", "Mawlawi", "Dr."), not a role title.
    fn honorific(&self, k: usize) -> bool {
        let w = self.words[k].trim_end_matches('.');
        self.pos[k] == "NNP"
            && self.entity_at(k).is_none()
            && crate::stages::entities::names::lexicons().title_words.contains(w)
            && !self.lex.titles.contains_key(w)
    }

    /// The role of person mention `mi` (tokens ending at `me`) named by the phrase over tokens
    /// `a..end`, when its title ends right at `end`, not earlier in the phrase.
    fn role_before(&self, a: usize, end: usize, mi: usize, me: usize) -> Option<Role> {
        if !self.find_title(a, end).is_some_and(|(_, he, _, _)| he == end) {
            return None;
        }
        let RolePhrase { head, family, modifiers, other, phrase } = self.role_phrase(a, end)?;
        let sentence = self.doc.mentions[mi].sentence;
        Some(Role { person: mi, head, family, modifiers, other, phrase, evidence: self.span_of(a, me), sentence })
    }

    /// Reads a role phrase over tokens `a..b` (no person inside): its title, modifiers and
    /// organization ("the acting interior minister", "Boeing chief executive", "Hamas's
    /// spokesman", "the uncle of Ali", "a spokesman for the ministry").
    pub fn role_phrase(&self, a: usize, b: usize) -> Option<RolePhrase> {
        let (hs, he, key, family) = self.find_title(a, b)?;
        let mut other = None;
        let mut modifiers = Vec::new();
        let mut t = a;
        while t < he {
            if let Some(m) = self.entity_at(t) {
                other = Some(m);
                t = self.doc.mentions[m].tokens.end.max(t + 1);
                continue;
            }
            if !matches!(self.pos[t], "DT" | "POS" | "PRP$") && !self.is_punct(t) && t < hs {
                modifiers.push(self.words[t].clone());
            }
            t += 1;
        }
        // "of/at/for/in ORG" right after the title.
        if other.is_none() && he + 1 < b && matches!(self.words[he].as_str(), "of" | "at" | "for" | "in" | "to") {
            let mut k = he + 1;
            while k < b && matches!(self.pos[k], "DT") {
                k += 1;
            }
            if let Some(m) = self.entity_at(k) {
                other = Some(m);
            }
        }
        // "the company's chief executive", "its founder", "the founder of the freight company":
        // the organization named last before the phrase.
        if other.is_none() && !family {
            // Not the public bodies every story has ("the chief of the district police").
            let org_word = |k: usize| {
                self.is_noun(k)
                    && self.lex.org_nouns.contains(&self.words[k])
                    && self.mention_at[k].is_none()
                    && !matches!(
                        self.words[k].as_str(),
                        "police" | "army" | "government" | "ministry" | "agency" | "party"
                    )
            };
            let mut refers = (a..hs).any(|k| {
                (self.words[k] == "its" && self.pos[k] == "PRP$")
                    || (org_word(k) && k + 1 < hs && self.pos[k + 1] == "POS")
            });
            if !refers
                && he + 1 < b
                && matches!(self.words[he].as_str(), "of" | "at" | "for")
                && matches!(self.pos[he + 1], "DT" | "PRP$")
            {
                let mut k = he + 2;
                while k < b
                    && (self.pos[k].starts_with("JJ") || self.is_noun(k))
                    && self.mention_at[k].is_none()
                    && !org_word(k)
                {
                    k += 1;
                }
                refers = k < b && org_word(k) && !(k + 1 < b && self.is_noun(k + 1));
            }
            if refers {
                let sent = self.sentence_of(a);
                // The organization the article is about: the most often named one so far
                // (not an outlet cited in passing), the nearest on a tie.
                let orgs: Vec<usize> = (0..self.doc.mentions.len())
                    .filter(|&i| self.doc.mentions[i].label == "ORG" && self.doc.mentions[i].tokens.end <= a)
                    .collect();
                let count = |i: usize| self.org_count[i];
                // But an organization that opens this sentence or the one before, as its subject
                // ("Everest Wings, a private company, operates four helicopters. Its managing
                // director ..."), is the one meant, however often another was named.
                let opens_sentence = |i: usize| {
                    let m = &self.doc.mentions[i];
                    let first = self.sentence_tokens(m.sentence).start;
                    (m.sentence == sent || m.sentence + 1 == sent)
                        && (first..m.tokens.start).all(|k| self.pos[k] == "DT")
                };
                other = orgs.iter().copied().filter(|&i| opens_sentence(i)).max().or_else(|| {
                    orgs.iter()
                        .copied()
                        .max_by_key(|&i| (count(i), i))
                        .filter(|&i| sent.saturating_sub(self.doc.mentions[i].sentence) <= 6 || count(i) > 1)
                });
            }
        }
        // "his nephew": the man named last.
        if other.is_none() && family {
            if let Some(k) = (a..hs).find(|&k| self.pos[k] == "PRP$" && matches!(self.words[k].as_str(), "his" | "her"))
            {
                other = self.resolve_pronoun(k, None);
            }
        }
        let first = (a..hs)
            .find(|&k| {
                !matches!(self.pos[k], "DT" | "PRP$")
                    && self.entity_at(k).is_none()
                    && self.pos[k] != "POS"
                    && !(self.lex.org_nouns.contains(&self.words[k]) && k + 1 < hs && self.pos[k + 1] == "POS")
            })
            .unwrap_or(hs);
        Some(RolePhrase { head: key, family, modifiers, other, phrase: self.span_of(first, he) })
    }

    fn find_roles(&self) -> Vec<Role> {
        let mut out = Vec::new();
        let doc = self.doc;
        for (mi, m) in doc.mentions.iter().enumerate() {
            if m.label != "PER" || m.tokens.end > self.len() || m.tokens.is_empty() {
                continue;
            }
            let sr = self.sentence_tokens(m.sentence);
            let (ms, me) = (m.tokens.start, m.tokens.end);
            // 1. Pre-nominal: "acting interior minister Khalil", "Boeing chief executive Jane
            //    Doe", "Hamas's spokesman X", "Ali's uncle Omar".
            let mut a = ms;
            while a > sr.start {
                let k = a - 1;
                let in_np = self.is_noun(k)
                    || self.pos[k].starts_with("JJ")
                    || (matches!(self.pos[k], "VBG" | "VBN")
                        && (self.is_noun(k + 1) || self.pos[k + 1].starts_with("JJ")))
                    || matches!(self.pos[k], "POS" | "HYPH" | "DT" | "PRP$")
                    || self.entity_at(k).is_some();
                if !in_np
                    || self.entity_at(k).is_some_and(|o| {
                        doc.mentions[o].label == "PER" && self.words.get(k + 1).map(String::as_str) != Some("'s")
                    })
                {
                    break;
                }
                a = k;
                if matches!(self.pos[k], "DT" | "PRP$") {
                    break;
                }
            }
            // "Police chief Col. X", "Provincial governor Mawlawi X": the title ends before
            // the ranks and forms of address the name carries.
            let mut end = ms;
            while end > a && self.honorific(end - 1) {
                end -= 1;
            }
            if a < end {
                out.extend(self.role_before(a, end, mi, me));
            }
            // 1b. Title, comma, name: "the provincial police spokesman, Mohammad Basharat",
            //     also past an honorific ("the head of the agency, Commander X").
            // ("Inherent Resolve Commander, Lt. Gen. X": past the ranks the name carries.)
            let mut named = ms;
            while named > sr.start && self.honorific(named - 1) {
                named -= 1;
            }
            let lead = if named >= sr.start + 3
                && self.words[named - 2] == ","
                && self.is_noun(named - 1)
                && self.lex.titles.contains_key(&self.words[named - 1])
                && self.mention_at[named - 1].is_none()
            {
                named - 1
            } else {
                named
            };
            if lead >= sr.start + 2
                && self.words[lead - 1] == ","
                && (me >= sr.end || matches!(self.words[me].as_str(), "," | "." | ";"))
            {
                let end = lead - 1;
                let mut a = end;
                while a > sr.start
                    && (self.is_noun(a - 1)
                        || self.pos[a - 1].starts_with("JJ")
                        || (a >= 2 && matches!(self.pos[a - 1], "VBG" | "VBN") && a < end)
                        || matches!(self.pos[a - 1], "POS" | "HYPH" | "DT" | "PRP$")
                        || self.entity_at(a - 1).is_some_and(|o| {
                            doc.mentions[o].label != "PER" || self.words.get(a).map(String::as_str) == Some("'s")
                        }))
                {
                    a -= 1;
                    if matches!(self.pos[a], "DT" | "PRP$") {
                        break;
                    }
                }
                if a < end {
                    out.extend(self.role_before(a, end, mi, me));
                }
            }
            // 2. Appositive: "Khalil, the acting interior minister," / "Omar, Ali's uncle,".
            if me < sr.end && self.words[me] == "," {
                let start = me + 1;
                let mut end = start;
                while end < sr.end
                    && !matches!(self.words[end].as_str(), "," | "." | ";" | ":" | "\"" | "“" | "”" | "(" | ")")
                    && !self.is_verb(end)
                    && !matches!(self.pos[end], "WP" | "WDT")
                {
                    end += 1;
                }
                // "the CIAA, Commander Óscar Villanueva": a title of the next person, not of this one.
                let names_person = (start..end).any(|k| {
                    self.entity_at(k).is_some_and(|o| {
                        doc.mentions[o].label == "PER"
                            && doc.mentions[o].tokens.start > start
                            && self.pos[doc.mentions[o].tokens.start - 1] != "IN"
                            && self.words.get(doc.mentions[o].tokens.end).map(String::as_str) != Some("'s")
                    })
                });
                if !names_person
                    && end > start
                    && end - start <= 10
                    && self.entity_at(start).map_or(true, |o| {
                        doc.mentions[o].label != "PER"
                            || self.words.get(doc.mentions[o].tokens.end).map(String::as_str) == Some("'s")
                    })
                {
                    if let Some(RolePhrase { head, family, modifiers, other, phrase }) = self.role_phrase(start, end) {
                        // "X, commander, U.S. Central Command": the organization after a comma.
                        let after = (other.is_none() && !family && end + 1 < sr.end && self.words[end] == ",")
                            .then(|| self.entity_at(end + 1))
                            .flatten()
                            .filter(|&o| doc.mentions[o].label == "ORG" && doc.mentions[o].tokens.start == end + 1);
                        let evidence_end = after.map_or(end, |o| doc.mentions[o].tokens.end);
                        out.push(Role {
                            person: mi,
                            head,
                            family,
                            modifiers,
                            other: other.or(after),
                            phrase,
                            evidence: self.span_of(ms, evidence_end),
                            sentence: m.sentence,
                        });
                    }
                }
            }
            // 3. Copula: "Khalil is the acting interior minister", "Omar was Ali's uncle".
            let cop = if me + 1 < sr.end && self.words[me] == "," && ms > sr.start && self.words[ms - 1] == "," {
                me + 1
            } else {
                me
            };
            if cop < sr.end && self.lemmas[cop] == "be" && self.is_verb(cop) {
                let start = cop + 1;
                let mut end = start;
                while end < sr.end
                    && !matches!(self.words[end].as_str(), "," | "." | ";" | ":")
                    && !self.is_verb(end)
                    && !matches!(self.pos[end], "WP" | "WDT" | "CC")
                {
                    end += 1;
                }
                // "is the father of its chief executive": the phrase is about the first title,
                // which a role phrase (reading the last one) would miss.
                // Nor "is the daughter-in-law of the company's founder": a title after an "of"
                // that does not follow a title belongs to someone else.
                let two = (start..end).find(|&k| self.words[k] == "of").is_some_and(|o| {
                    self.find_title(o + 1, end).is_some()
                        && (self.find_title(start, o).is_some() || !(o > start && self.find_title(o - 1, o).is_some()))
                });
                if two {
                    out.extend(self.kin_of_titled(start, end).map(|(head, other, phrase)| Role {
                        person: mi,
                        head,
                        family: true,
                        modifiers: Vec::new(),
                        other: Some(other),
                        phrase,
                        evidence: self.span_of(ms, end),
                        sentence: m.sentence,
                    }));
                }
                if !two
                    && end > start
                    && end - start <= 10
                    && matches!(self.pos[start], "DT" | "NNP" | "PRP$" | "JJ" | "NN")
                {
                    if let Some(RolePhrase { head, family, modifiers, other, phrase }) = self.role_phrase(start, end) {
                        out.push(Role {
                            person: mi,
                            head,
                            family,
                            modifiers,
                            other,
                            phrase,
                            evidence: self.span_of(ms, end),
                            sentence: m.sentence,
                        });
                    }
                }
            }
        }
        out
    }

    /// "the brother-in-law of provincial minister X" over `a..b`: a family word, "of", a title
    /// and the person it names. Returns the family key, the person and the family words' span.
    fn kin_of_titled(&self, a: usize, b: usize) -> Option<(String, usize, Span)> {
        let o = (a..b).find(|&k| self.words[k] == "of")?;
        let (hs, he, key, family) = self.find_title(a, o)?;
        if !family || he != o {
            return None;
        }
        let (_, te, _, _) = self.find_title(o + 1, b).filter(|&(_, _, _, f)| !f)?;
        let mut k = te;
        while k < b && self.honorific(k) {
            k += 1;
        }
        let p = self.entity_at(k).filter(|&p| self.doc.mentions[p].label == "PER")?;
        (self.doc.mentions[p].tokens.start == k).then(|| (key, p, self.span_of(hs, he)))
    }

    /// The person a role noun phrase over `a..b` refers to ("the acting interior minister"),
    /// from the roles the article gave. Prefers the same organization, then most shared
    /// modifiers, then the nearest preceding role.
    pub fn resolve_role(&self, a: usize, b: usize) -> Option<usize> {
        let RolePhrase { head, family, modifiers, other, .. } = self.role_phrase(a, b)?;
        if family {
            return None;
        }
        let other_key = |m: Option<usize>| m.and_then(|m| self.doc.mentions[m].chain);
        let here = self.doc.tokens[a].span.start;
        let mut best: Option<(i64, usize)> = None;
        for r in &self.roles {
            if r.family || r.head != head {
                continue;
            }
            if other.is_some() && r.other.is_some() && other_key(other) != other_key(r.other) {
                continue;
            }
            let shared = modifiers.iter().filter(|w| r.modifiers.contains(w)).count() as i64;
            let missing = modifiers.iter().filter(|w| !r.modifiers.contains(w)).count() as i64;
            let before = r.evidence.start <= here;
            let score = shared * 4 - missing * 2
                + if before { 2 } else { 0 }
                + if other.is_some() && r.other.is_some() { 4 } else { 0 };
            if best.map_or(true, |(s, _)| score > s) {
                best = Some((score, r.person));
            }
        }
        best.map(|(_, p)| p)
    }
}

/// The gender of the first of `mentions` with an honorific just before it or as its first
/// token ("Mr. Khalil", "Mrs Khalil").
fn honorific_gender(lex: &Lexicon, words: &[String], doc: &Document, mentions: &[usize]) -> Option<Gender> {
    for &mi in mentions {
        let Some(mm) = doc.mentions.get(mi) else { continue };
        let t = mm.tokens.start;
        for k in [t.checked_sub(1), Some(t)].into_iter().flatten() {
            if let Some(g) = words.get(k).and_then(|w| lex.honorifics.get(w.trim_end_matches('.'))) {
                return Some(*g);
            }
        }
    }
    None
}

/// [`DocView::org_count`]: one pass over the mentions, so that role phrases stay linear in the
/// document's length.
fn org_counts(doc: &Document) -> Vec<usize> {
    let key = |m: &crate::doc::Mention| {
        m.chain.map_or_else(|| doc.text.get(m.span.start..m.span.end).unwrap_or("").to_lowercase(), |c| c.to_string())
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for m in doc.mentions.iter().filter(|m| m.label == "ORG") {
        *counts.entry(key(m)).or_default() += 1;
    }
    doc.mentions.iter().map(|m| if m.label == "ORG" { counts[&key(m)] } else { 0 }).collect()
}
