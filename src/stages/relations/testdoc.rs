//! Test-only document builder: writes news text with inline entity markup, tokenizes it
//! CoNLL-style and tags it with a tiny dictionary tagger, so tests read like articles.
//!
//! Markup: `[PER Ahmed Khalil]` marks a mention (values: `[CARDINAL 12]` get `value` "12");
//! `word#TAG` forces a POS tag; a blank line separates paragraphs. Sentences end at . ? !
//! (outside of an open quote's last word they still end, as a sentence splitter would).
//! Chains: PER mentions sharing their last word, other labels sharing their text.

use crate::doc::{Chain, Document, Mention, MentionSource, Sentence, Span, Tags, Token};

const DT: &[&str] = &["the", "a", "an", "this", "these", "those", "no", "any", "some", "every", "each"];
const PRP: &[&str] = &["he", "she", "it", "they", "we", "i", "you", "him", "her", "them", "us"];
const PRPS: &[&str] = &["his", "its", "their", "our", "my", "your"];
const IN: &[&str] = &[
    "of",
    "in",
    "on",
    "at",
    "for",
    "with",
    "by",
    "from",
    "into",
    "about",
    "after",
    "before",
    "during",
    "near",
    "against",
    "over",
    "under",
    "since",
    "than",
    "because",
    "if",
    "while",
    "according",
    "as",
];
const CC: &[&str] = &["and", "or", "but", "nor"];
const MD: &[&str] = &["will", "would", "may", "might", "could", "can", "should", "must"];
const RB: &[&str] = &[
    "not",
    "never",
    "also",
    "possibly",
    "purportedly",
    "allegedly",
    "reportedly",
    "apparently",
    "later",
    "still",
    "already",
    "nearly",
    "almost",
    "very",
    "n't",
    "soon",
];
const VBD: &[&str] = &[
    "said",
    "came",
    "went",
    "saw",
    "took",
    "gave",
    "made",
    "fled",
    "sent",
    "won",
    "told",
    "was",
    "were",
    "had",
    "did",
    "claimed",
    "denied",
    "added",
    "accused",
    "killed",
    "acquired",
    "announced",
    "confirmed",
    "tweeted",
    "posted",
    "stated",
    "met",
    "led",
    "bought",
    "wrote",
    "rose",
    "carried",
    "asked",
    "attacked",
    "condemned",
    "investigated",
    "visited",
    "joined",
    "warned",
    "hinted",
    "insisted",
];
const VBZ: &[&str] = &["is", "has", "says", "does", "denies", "claims"];
const VBP: &[&str] = &["are", "have", "do"];
const VB: &[&str] = &["be", "rebuild", "take", "claim", "named", "say", "carry", "attack"];
const JJ: &[&str] =
    &["acting", "interior", "foreign", "chief", "suicide", "security", "senior", "least", "former", "new", "armed"];
const NN: &[&str] = &["bombing", "shooting", "building", "meeting", "funding", "toll", "death"];
const RP: &[&str] = &["out", "off", "up", "down"];
const NNS: &[&str] = &["people", "years", "reporters", "civilians", "officials", "militants", "soldiers", "police"];

fn guess_pos(w: &str, prev_pos: Option<&str>, prev_word: Option<&str>) -> String {
    let l = w.to_lowercase();
    let l = l.as_str();
    if w.chars().all(|c| !c.is_alphanumeric()) {
        return match w {
            "," => ",".into(),
            "." | "?" | "!" => ".".into(),
            ":" | ";" | "—" | "-" => ":".into(),
            "\"" | "“" | "”" | "'" | "‘" | "’" => "''".into(),
            _ => "SYM".into(),
        };
    }
    if l == "'s" {
        return "POS".into();
    }
    if w.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return "CD".into();
    }
    if l == "to" {
        return "TO".into();
    }
    if l == "that" {
        return "IN".into();
    }
    if l == "who" {
        return "WP".into();
    }
    for (list, tag) in [
        (DT, "DT"),
        (PRP, "PRP"),
        (PRPS, "PRP$"),
        (IN, "IN"),
        (CC, "CC"),
        (MD, "MD"),
        (RB, "RB"),
        (VBZ, "VBZ"),
        (VBP, "VBP"),
        (JJ, "JJ"),
        (NNS, "NNS"),
        (NN, "NN"),
        (RP, "RP"),
    ] {
        if list.contains(&l) {
            return tag.into();
        }
    }
    if VBD.contains(&l) && w.chars().next().is_some_and(|c| c.is_lowercase()) {
        // fall through to the verb rules below
    } else if w.chars().next().is_some_and(|c| c.is_uppercase()) {
        return "NNP".into();
    }
    if prev_pos.is_some_and(|p| p == "MD" || p == "TO") {
        return "VB".into();
    }
    let after_aux = prev_pos.is_some_and(|p| p.starts_with("VB") || p == "RB")
        && prev_word
            .is_some_and(|p| ["was", "were", "is", "are", "be", "been", "has", "have", "had", "not"].contains(&p));
    if VBD.contains(&l) || (l.ends_with("ed") && l.len() > 4) {
        return if after_aux { "VBN".into() } else { "VBD".into() };
    }
    if VB.contains(&l) && prev_pos.is_some_and(|p| p == "TO" || p == "MD" || p.starts_with("VB") || p == "RB") {
        return "VB".into();
    }
    if l.ends_with("ing") && l.len() > 5 {
        return "VBG".into();
    }
    if l == "been" {
        return "VBN".into();
    }
    if w.chars().next().is_some_and(|c| c.is_uppercase()) {
        return "NNP".into();
    }
    "NN".into()
}

fn chunk_of(pos: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(pos.len());
    let mut prev = "O";
    for (i, p) in pos.iter().enumerate() {
        let kind = match p.as_str() {
            "DT" | "PRP$" | "JJ" | "JJS" | "NN" | "NNS" | "NNP" | "NNPS" | "CD" | "PRP" | "WP" => "NP",
            "POS" => "NP",
            "MD" | "VB" | "VBD" | "VBZ" | "VBP" | "VBN" | "VBG" => "VP",
            "TO" => {
                if pos.get(i + 1).is_some_and(|n| n == "VB") {
                    "VP"
                } else {
                    "PP"
                }
            }
            "RB" => {
                if prev == "VP" {
                    "VP"
                } else {
                    "ADVP"
                }
            }
            "IN" => "PP",
            "RP" => "PRT",
            _ => "O",
        };
        let begin = kind != prev
            || kind == "PP"
            || (kind == "NP" && i > 0 && pos[i - 1] == "POS")
            || (kind == "NP" && matches!(p.as_str(), "DT" | "PRP$" | "PRP"));
        out.push(if kind == "O" {
            "O".into()
        } else if begin {
            format!("B-{kind}")
        } else {
            format!("I-{kind}")
        });
        prev = kind;
    }
    out
}

/// Builds a tagged document with mentions and chains from marked-up text.
pub(crate) fn build(id: &str, marked: &str) -> Document {
    // 1. Strip markup, recording mention spans and POS overrides.
    let mut text = String::new();
    let mut ments: Vec<(String, usize, usize)> = Vec::new();
    let mut open: Option<(String, usize)> = None;
    let mut forced: Vec<(usize, String)> = Vec::new();
    let mut chars = marked.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '[' {
            let mut label = String::new();
            while let Some(&(_, d)) = chars.peek() {
                chars.next();
                if d == ' ' {
                    break;
                }
                label.push(d);
            }
            open = Some((label, text.len()));
        } else if c == ']' {
            if let Some((label, s)) = open.take() {
                ments.push((label, s, text.len()));
            }
        } else if c == '#' {
            let mut tag = String::new();
            while let Some(&(_, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '$' {
                    tag.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            forced.push((text.len(), tag));
        } else {
            text.push(c);
        }
    }
    // 2. Tokenize: words (with inner '.' for U.S.-style, '-' and ','-grouped digits), "'s",
    //    then single punctuation characters.
    let mut spans: Vec<Span> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap();
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c.is_alphanumeric() {
            let mut j = i;
            while j < text.len() {
                let d = text[j..].chars().next().unwrap();
                let next_alnum = text[j + d.len_utf8()..].chars().next().is_some_and(|e| e.is_alphanumeric());
                if d.is_alphanumeric()
                    || ((d == '-' || d == '.' && text[i..j].len() == 1 && text[i..j].chars().all(char::is_uppercase))
                        && next_alnum)
                {
                    j += d.len_utf8();
                } else if d == '.' && j > i && text[i..j].contains('.') {
                    j += 1; // the final dot of "U.S."
                    break;
                } else {
                    break;
                }
            }
            spans.push(Span::new(i, j));
            i = j;
            continue;
        }
        if (c == '\'' || c == '’')
            && text[i + c.len_utf8()..].starts_with('s')
            && i > 0
            && (b[i - 1] as char).is_alphanumeric()
            && !text[i + c.len_utf8() + 1..].chars().next().is_some_and(|e| e.is_alphanumeric())
        {
            spans.push(Span::new(i, i + c.len_utf8() + 1));
            i += c.len_utf8() + 1;
            continue;
        }
        spans.push(Span::new(i, i + c.len_utf8()));
        i += c.len_utf8();
    }
    // 3. Tag.
    let mut pos: Vec<String> = Vec::new();
    for (k, s) in spans.iter().enumerate() {
        let w = &text[s.start..s.end];
        let p = if let Some((_, t)) = forced.iter().find(|(at, _)| *at == s.end) {
            t.clone()
        } else {
            guess_pos(
                w,
                pos.last().map(String::as_str),
                k.checked_sub(1).map(|j| &text[spans[j].start..spans[j].end]).map(|x| x.to_lowercase()).as_deref(),
            )
        };
        pos.push(p);
    }
    let chunks = chunk_of(&pos);
    // 4. Sentences: end after . ? ! (and a closing quote right after), or at a paragraph break.
    let mut doc = Document::new(id, text.clone());
    let mut sent_start = 0usize;
    let mut sentence = 0usize;
    let mut tokens: Vec<Token> = Vec::new();
    let mut sentences: Vec<Sentence> = Vec::new();
    for k in 0..spans.len() {
        tokens.push(Token { span: spans[k], sentence, tags: None });
        let w = &text[spans[k].start..spans[k].end];
        let next = spans.get(k + 1).map(|s| &text[s.start..s.end]);
        let gap = spans.get(k + 1).map(|s| &text[spans[k].end..s.start]).unwrap_or("");
        let closes_quote = matches!(next, Some("\"" | "”" | "'" | "’")) && !gap.contains(' ');
        let end = (matches!(w, "." | "?" | "!") && !closes_quote)
            || (matches!(w, "\"" | "”" | "'" | "’")
                && k > 0
                && matches!(&text[spans[k - 1].start..spans[k - 1].end], "." | "?" | "!"))
            || gap.contains("\n\n")
            || k + 1 == spans.len();
        if end {
            sentences
                .push(Sentence { span: Span::new(spans[sent_start].start, spans[k].end), tokens: sent_start..k + 1 });
            sent_start = k + 1;
            sentence += 1;
        }
    }
    // 5. Mentions and NER tags.
    let mut mentions: Vec<Mention> = Vec::new();
    for (label, s, e) in &ments {
        let toks: Vec<usize> = (0..spans.len()).filter(|&k| spans[k].start >= *s && spans[k].end <= *e).collect();
        let (Some(&a), Some(&z)) = (toks.first(), toks.last()) else { continue };
        let surface = &text[*s..*e];
        let value = match label.as_str() {
            "CARDINAL" | "MONEY" | "PERCENT" => Some(surface.replace(',', "")),
            "DATE" => Some(surface.to_string()),
            _ => None,
        };
        mentions.push(Mention {
            span: Span::new(*s, *e),
            label: label.clone(),
            score: 0.95,
            sentence: tokens[a].sentence,
            tokens: a..z + 1,
            source: if value.is_some() { MentionSource::Rule } else { MentionSource::Model },
            value,
            chain: None,
        });
    }
    mentions.sort_by_key(|m| (m.span.start, m.span.end));
    for (k, t) in tokens.iter_mut().enumerate() {
        let ner = mentions
            .iter()
            .find(|m| m.tokens.contains(&k) && crate::stages::relations::view::is_entity_label(&m.label))
            .map(|m| format!("{}-{}", if m.tokens.start == k { "B" } else { "I" }, m.label))
            .unwrap_or_else(|| "O".into());
        t.tags = Some(Tags { pos: pos[k].clone(), chunk: chunks[k].clone(), ner, ner_score: 0.95, ..Tags::default() });
    }
    // 6. Chains.
    let mut chains: Vec<Chain> = Vec::new();
    for mi in 0..mentions.len() {
        let m = &mentions[mi];
        if !crate::stages::relations::view::is_entity_label(&m.label) {
            continue;
        }
        let surf = text[m.span.start..m.span.end].to_string();
        let last = surf.split_whitespace().last().unwrap_or("").to_string();
        let found = chains.iter().position(|c| {
            let rep = &mentions[c.representative];
            let rs = &text[rep.span.start..rep.span.end];
            c.label == m.label
                && if m.label == "PER" { rs.split_whitespace().last() == Some(last.as_str()) } else { rs == surf }
        });
        match found {
            Some(ci) => {
                chains[ci].mentions.push(mi);
                let rep = &mentions[chains[ci].representative];
                if m.span.len() > rep.span.len() {
                    chains[ci].representative = mi;
                }
            }
            None => chains.push(Chain {
                label: m.label.clone(),
                representative: mi,
                mentions: vec![mi],
                key: String::new(),
                alt_keys: vec![],
            }),
        }
    }
    for (ci, c) in chains.iter_mut().enumerate() {
        let rep = &mentions[c.representative];
        c.key = format!("{}|{}", text[rep.span.start..rep.span.end].to_lowercase(), c.label);
        for &mi in &c.mentions {
            mentions[mi].chain = Some(ci);
        }
    }
    doc.tokens = tokens;
    doc.sentences = sentences;
    doc.mentions = mentions;
    doc.chains = chains;
    parse_with_shipped_model(&mut doc);
    doc
}

/// Fills each token's dependency arc from the shipped model (the markup keeps its own parts of
/// speech and mentions): the claims stages read the parse, and a hand-made one would test
/// nothing the real one does. The model loads once per test binary.
fn parse_with_shipped_model(doc: &mut Document) {
    use std::sync::{Mutex, OnceLock};

    use crate::model::{Precision, Tagger, TaggerConfig};

    static TAGGER: OnceLock<Mutex<Tagger>> = OnceLock::new();
    let tagger = TAGGER.get_or_init(|| {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/claimgraph-tagger");
        let (precision, _) = Precision::auto(tch::Device::Cpu, &dir);
        let cfg = TaggerConfig { precision, ..TaggerConfig::default() };
        Mutex::new(Tagger::load(&dir, &cfg).expect("the shipped model loads"))
    });
    let mut parsed = doc.clone();
    tagger.lock().unwrap_or_else(|p| p.into_inner()).tag(std::slice::from_mut(&mut parsed)).expect("tagging");
    for (t, p) in doc.tokens.iter_mut().zip(parsed.tokens) {
        if let (Some(tags), Some(ptags)) = (t.tags.as_mut(), p.tags) {
            tags.head = ptags.head;
            tags.deprel = ptags.deprel;
        }
    }
}

#[test]
fn builder_tokenizes_and_marks() {
    let d = build("t", "[PER Ahmed Khalil] said the U.S. was \"wrong,\" [ORG Hamas]'s spokesman added.\n\nHe left.");
    let words: Vec<&str> = (0..d.tokens.len()).map(|i| d.token_text(i)).collect();
    assert_eq!(
        words,
        [
            "Ahmed",
            "Khalil",
            "said",
            "the",
            "U.S.",
            "was",
            "\"",
            "wrong",
            ",",
            "\"",
            "Hamas",
            "'s",
            "spokesman",
            "added",
            ".",
            "He",
            "left",
            "."
        ]
    );
    assert_eq!(d.sentences.len(), 2);
    assert_eq!(d.mentions.len(), 2);
    assert_eq!(d.mentions[1].tokens, 10..11);
    assert_eq!(d.chains[0].key, "ahmed khalil|PER");
}

#[allow(dead_code)]
pub(crate) fn dump(d: &Document) -> String {
    d.tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let g = t.tags.as_ref().unwrap();
            let head = g.head.map_or("root".to_string(), |h| h.to_string());
            format!("{i}:{}/{}/{}/{}/s{}/{}<-{}", d.token_text(i), g.pos, g.chunk, g.ner, t.sentence, g.deprel, head)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore]
fn show() {
    let d = build("t", &std::env::var("CG_TEXT").unwrap_or_default());
    println!("{}", dump(&d));
}
