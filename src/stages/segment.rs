//! Sentence segmentation and word tokenization for English news.
//!
//! Both passes are hand-written single forward scans over the UTF-8 text (no regexes, no
//! backtracking), so cost is linear in the text and every lookahead/lookbehind is bounded.
//! Offsets are byte offsets on char boundaries, as the document model requires.
//!
//! **Sentences** are cut at *break points* found by two independent passes whose results are
//! merged:
//! 1. A punctuation pass: a run of `.`, `!`, `?`, `…` followed by optional closing quotes or
//!    brackets and then whitespace is a candidate. It becomes a break unless the next word starts
//!    lowercase, or the word before the period is an abbreviation that cannot end a sentence
//!    (titles, months, "No." before a number, initials), or is an ambiguous abbreviation
//!    ("U.S.", "a.m.", "Inc.", "etc.") whose following word does not look like a new sentence.
//! 2. A line pass: blank lines and bullet items always break; a single line break breaks when the
//!    block is not hard-wrapped prose (headline, byline, one-paragraph-per-line dumps) unless the
//!    line clearly continues (ends in a comma or dash, next line starts lowercase).
//!
//! The text between consecutive break points, trimmed, is a sentence, so every non-whitespace
//! character lies in exactly one sentence. Sentences longer than [`MAX_SENTENCE_WORDS`] words are
//! then cut near the cap, preferably after a comma, semicolon or dash.
//!
//! **Words** follow the CoNLL-2003 / Penn Treebank conventions the tagger was trained on:
//! punctuation is split off, while abbreviations, initials, numbers with separators, hyphenated
//! words, inner apostrophes, URLs, e-mail addresses, @handles and #hashtags stay whole; clitics
//! ("'s", "n't", "'re", ...) are split like PTB. Combining marks, variation selectors, skin-tone
//! modifiers and zero-width-joiner sequences stay attached to the character before them, so an
//! emoji family or an accented letter in decomposed form is never cut apart.

use crate::doc::{Document, Sentence, Span, Token};

/// Sentences longer than this (in whitespace-separated words) are cut, so that the tagger's cost
/// per sentence stays bounded on unpunctuated input.
pub const MAX_SENTENCE_WORDS: usize = 250;

/// How far before the cap a long sentence may be cut to land after a comma/semicolon/dash.
const CAP_WINDOW: usize = 40;

/// A block of lines is hard-wrapped prose when its lines (except the last) have about the same
/// length within this range of widths (in chars).
const WRAP_MIN: usize = 40;
const WRAP_MAX: usize = 100;
const WRAP_SPREAD: usize = 30;
/// How much shorter than the shortest observed wrapped line a line may be and still count as
/// wrapped (a greedy wrapper leaves up to a long word's width unused).
const WRAP_SLACK: usize = 15;

/// Split the whole text into sentences and words; fills `doc.sentences` and `doc.tokens`
/// (tags `None`). Any previous sentences and tokens are replaced.
pub fn segment(doc: &mut Document) {
    let sentences = split_sentences(&doc.text);
    let mut tokens = Vec::with_capacity(doc.text.len() / 5);
    let mut out = Vec::with_capacity(sentences.len());
    for (si, span) in sentences.into_iter().enumerate() {
        let first = tokens.len();
        for w in split_words(&doc.text, span) {
            tokens.push(Token { span: w, sentence: si, tags: None });
        }
        out.push(Sentence { span, tokens: first..tokens.len() });
    }
    doc.sentences = out;
    doc.tokens = tokens;
}

/// Sentence spans (byte offsets, trimmed of whitespace, in text order, non-overlapping).
pub fn split_sentences(text: &str) -> Vec<Span> {
    let mut breaks = punctuation_breaks(text);
    breaks.extend(line_breaks(text));
    breaks.sort_unstable();
    breaks.dedup();

    let mut out = Vec::new();
    let mut prev = 0;
    for b in breaks.into_iter().chain(std::iter::once(text.len())) {
        if b <= prev {
            continue;
        }
        if let Some(span) = trimmed(text, prev, b) {
            cap_sentence(text, span, &mut out);
        }
        prev = b;
    }
    out
}

/// Word spans inside `within` (byte offsets, in order, non-overlapping, no whitespace inside).
/// A span that is out of range or not on char boundaries is narrowed to the valid part inside it.
pub fn split_words(text: &str, within: Span) -> Vec<Span> {
    let (start, end) = clamp_span(text, within);
    let mut t = Tokenizer { text, start, end, out: Vec::new() };
    t.run();
    t.out
}

// ---------------------------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------------------------

/// The char starting at byte `i`, if `i` is a char boundary inside `s`.
#[inline]
fn ch(s: &str, i: usize) -> Option<char> {
    s.get(i..)?.chars().next()
}

/// The char ending at byte `i`.
#[inline]
fn ch_before(s: &str, i: usize) -> Option<char> {
    s.get(..i)?.chars().next_back()
}

#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

const ZWJ: char = '\u{200D}';

/// Characters that never stand alone: they modify the character before them (combining marks,
/// joiners, variation selectors, emoji modifiers, tags). Approximates Unicode's
/// Grapheme_Extend for the scripts news text uses, without pulling in a segmentation crate.
fn is_extend(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
        | 0xE0100..=0xE01EF
        // Soft hyphen, zero-width space, word joiner: invisible, so they stay with their word.
        | 0x00AD | 0x200B | 0x2060)
}

#[inline]
fn is_regional_indicator(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

/// Sentence-ending punctuation.
#[inline]
fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉' | '؟' | '。' | '！' | '？')
}

/// Characters that may follow sentence-ending punctuation and still belong to that sentence.
#[inline]
fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}')
}

/// Characters that may precede the first word of a sentence.
#[inline]
fn is_opener(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '«' | '‹' | '(' | '[' | '{' | '¿' | '¡' | '„')
}

/// Byte range of `text[a..b]` without surrounding whitespace, or `None` if it is all whitespace.
fn trimmed(text: &str, a: usize, b: usize) -> Option<Span> {
    let s = text.get(a..b)?;
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(Span::new(a + lead, a + lead + t.len()))
    }
}

fn clamp_span(text: &str, s: Span) -> (usize, usize) {
    let mut end = s.end.min(text.len());
    let mut start = s.start.min(end);
    while start < end && !text.is_char_boundary(start) {
        start += 1;
    }
    while end > start && !text.is_char_boundary(end) {
        end -= 1;
    }
    (start, end)
}

// ---------------------------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------------------------

/// Abbreviations that (in news) precede a name or a number and so never end a sentence.
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Mx", "Messrs", "Dr", "Prof", "Gen", "Gens", "Lt", "Col", "Sgt", "Capt",
    "Maj", "Cpl", "Pvt", "Adm", "Cmdr", "Brig", "Sen", "Sens", "Rep", "Reps", "Gov", "Govs",
    "Pres", "Rev", "Hon", "Amb", "Supt", "Insp", "Fr", "St", "Mt", "Ft", "Jan", "Feb", "Mar",
    "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "vs", "v",
];

/// Abbreviations that often end a sentence: a break is made when the next word is capitalized.
#[rustfmt::skip]
const TERMINAL_ABBREVS: &[&str] = &[
    "Inc", "Corp", "Ltd", "Co", "Bros", "etc", "Jr", "Sr", "Esq", "Dept", "Univ", "Assn", "Ave",
    "Blvd", "Rd",
];

/// Abbreviations that precede a number ("No. 10", "Vol. 3"); otherwise ordinary words.
#[rustfmt::skip]
const NUMBER_ABBREVS: &[&str] = &[
    "No", "Nos", "Nr", "Vol", "Vols", "Art", "Fig", "Ch", "p", "pp", "ca", "approx", "est",
];

/// Words after "a.m."/"p.m." that continue the time expression rather than start a sentence.
#[rustfmt::skip]
const TIME_FOLLOWERS: &[&str] = &[
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "GMT", "UTC",
    "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "ET", "PT", "CT", "BST", "CET", "CEST",
    "IST", "PKT", "AFT", "AST", "Eastern", "Pacific", "Central", "Mountain", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
    "Dec",
];

/// Words that typically open a sentence; used where a period is ambiguous ("U.S.", initials,
/// ellipses) and a merely capitalized next word is not enough evidence of a new sentence.
#[rustfmt::skip]
const STARTERS: &[&str] = &[
    "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "In", "On", "At", "But", "And",
    "Or", "So", "Yet", "This", "That", "These", "Those", "There", "Here", "His", "Her", "Their",
    "Its", "Our", "My", "Your", "As", "After", "Before", "When", "While", "If", "Although",
    "Though", "However", "Meanwhile", "Then", "Now", "Some", "Many", "Most", "All", "Both", "Each",
    "No", "One", "Two", "Three", "What", "Who", "Why", "How", "Where", "Last", "Earlier", "Later",
    "According", "Since", "During", "For", "From", "With", "By", "Under", "Over", "Still", "Also",
    "Such", "Other", "Another", "Officials", "Witnesses", "Police",
];

/// Pronouns (capitalized at sentence start) whose "'d", "'ll", "'re", "'ve", "'m" are clitics;
/// a capitalized base that is not one of these is a name ("Sa'd") and is kept whole.
#[rustfmt::skip]
const CLITIC_HOSTS: &[&str] = &[
    "I", "You", "He", "She", "It", "We", "They", "That", "There", "Who", "What", "Where", "Here",
    "How",
];

fn in_list(list: &[&str], w: &str) -> bool {
    list.contains(&w)
}

/// "U.S", "a.m", "e.g", "U.A.E", "Ph.D": letter groups of 1-3 separated by single periods.
/// (The final period is not part of `w`.)
fn is_dotted(w: &str) -> bool {
    // "D-N.Y", "U.S.-led": only the part after the last hyphen counts.
    let w = w.rsplit('-').next().unwrap_or(w);
    let mut parts = 0;
    for part in w.split('.') {
        let n = part.chars().count();
        if n == 0 || n > 3 || !part.chars().all(char::is_alphabetic) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

fn is_am_pm(w: &str) -> bool {
    w.eq_ignore_ascii_case("a.m") || w.eq_ignore_ascii_case("p.m")
}

fn is_initial(w: &str) -> bool {
    let mut it = w.chars();
    matches!((it.next(), it.next()), (Some(c), None) if c.is_uppercase())
}

// ---------------------------------------------------------------------------------------------
// Sentences: punctuation pass
// ---------------------------------------------------------------------------------------------

/// What follows a candidate sentence end.
struct Next<'t> {
    /// First char of the next word, after whitespace and opening quotes/brackets.
    first: char,
    /// The alphabetic prefix of the next word (up to 20 bytes), for list look-ups.
    word: &'t str,
}

fn next_word(text: &str, mut i: usize) -> Option<Next<'_>> {
    while let Some(c) = ch(text, i) {
        if !c.is_whitespace() {
            break;
        }
        i += c.len_utf8();
    }
    // Opening quotes/brackets (bounded: a run of them is not worth scanning further).
    let mut k = 0;
    while let Some(c) = ch(text, i) {
        if !is_opener(c) || k >= 4 {
            break;
        }
        i += c.len_utf8();
        k += 1;
    }
    let first = ch(text, i)?;
    let mut j = i;
    while let Some(c) = ch(text, j) {
        if !c.is_alphabetic() || j - i >= 20 {
            break;
        }
        j += c.len_utf8();
    }
    Some(Next { first, word: &text[i..j] })
}

/// Byte positions right after each sentence end found from punctuation.
fn punctuation_breaks(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let n = text.len();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < n {
        // Fast skip over ASCII bytes that cannot end a sentence.
        let b = bytes[i];
        if b < 0x80 && b != b'.' && b != b'!' && b != b'?' {
            i += 1;
            continue;
        }
        let c = match ch(text, i) {
            Some(c) => c,
            None => {
                i += 1;
                continue;
            }
        };
        if !is_terminal(c) {
            i += c.len_utf8();
            continue;
        }
        let run_start = i;
        let (mut dots, mut strong, mut ellipsis) = (0usize, false, false);
        let mut j = i;
        while let Some(d) = ch(text, j) {
            if !is_terminal(d) {
                break;
            }
            match d {
                '.' => dots += 1,
                '…' => ellipsis = true,
                _ => strong = true,
            }
            j += d.len_utf8();
        }
        let mut k = j;
        let mut quoted = false;
        while let Some(d) = ch(text, k) {
            if !is_closer(d) {
                break;
            }
            quoted |= matches!(d, '"' | '\'' | '”' | '’' | '»' | '›');
            k += d.len_utf8();
        }
        i = k;
        match ch(text, k) {
            Some(d) if d.is_whitespace() => {}
            _ => continue, // glued to more text ("3.5", "U.S.-led") or end of text
        }
        let Some(next) = next_word(text, k) else {
            continue;
        };
        if next.first.is_lowercase() {
            continue;
        }
        // `“Why now?” Qasimi asked.`: the quote is the object of the attribution that follows.
        if quoted && attribution_follows(text, k) {
            continue;
        }
        let brk = if strong {
            true
        } else if ellipsis || dots >= 2 {
            // A spaced ellipsis (" ... ") marks an elision inside a sentence; one glued to its
            // word ("attack...") usually trails off at a sentence end.
            let glued = ch_before(text, run_start).is_some_and(|c| !c.is_whitespace());
            next.first.is_uppercase() && (glued || in_list(STARTERS, next.word))
        } else {
            period_ends(text, run_start, &next)
        };
        if brk {
            out.push(k);
        }
    }
    out
}

/// Verbs of saying that, after a capitalized speaker, continue a sentence whose object is the
/// quote before them.
#[rustfmt::skip]
const SPEECH_VERBS: &[&str] = &[
    "said", "says", "asked", "asks", "told", "tells", "added", "adds", "wrote", "writes",
    "replied", "insisted", "declared", "shouted", "explained", "continued", "warned", "stated",
    "tweeted", "posted", "argued", "recalled", "noted",
];

/// Whether the text at `i` reads "Name [Name ...] said": up to three capitalized words and then
/// a verb of saying (bounded lookahead).
fn attribution_follows(text: &str, mut i: usize) -> bool {
    for idx in 0..4 {
        while let Some(c) = ch(text, i) {
            if !c.is_whitespace() {
                break;
            }
            i += c.len_utf8();
        }
        let mut j = i;
        while let Some(c) = ch(text, j) {
            if c.is_whitespace() || j - i > 40 {
                break;
            }
            j += c.len_utf8();
        }
        let w = text[i..j].trim_end_matches(|c: char| !c.is_alphanumeric());
        if idx > 0 && in_list(SPEECH_VERBS, w) {
            return true;
        }
        if !w.chars().next().is_some_and(char::is_uppercase) {
            return false;
        }
        i = j;
    }
    false
}

/// Whether a single period at `dot` (followed by whitespace and a next word that does not start
/// lowercase) ends a sentence, judged from the word before it.
fn period_ends(text: &str, dot: usize, next: &Next) -> bool {
    // The word before the period, bounded so a huge run without spaces costs O(1).
    let mut s = dot;
    let mut steps = 0;
    while let Some(c) = ch_before(text, s) {
        if c.is_whitespace() {
            break;
        }
        if steps >= 32 {
            return true; // a very long "word" is no abbreviation
        }
        s -= c.len_utf8();
        steps += 1;
    }
    let word = text[s..dot].trim_start_matches(|c: char| !c.is_alphanumeric());
    if (1..=3).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit()) {
        // "1." opening a numbered list item is a marker, not a sentence.
        let before = text[..s].trim_end_matches([' ', '\t']);
        return !(before.is_empty() || before.ends_with(['\n', '\r', '\u{2028}', '\u{2029}']));
    }
    match word.chars().next_back() {
        Some(c) if c.is_alphabetic() => {}
        _ => return true, // "2024.", "”.", "(Reuters)."
    }
    if in_list(TITLES, word) {
        return false;
    }
    if in_list(NUMBER_ABBREVS, word) {
        return !next.first.is_ascii_digit();
    }
    if is_am_pm(word) {
        return next.first.is_uppercase() && !in_list(TIME_FOLLOWERS, next.word);
    }
    if in_list(TERMINAL_ABBREVS, word) {
        return next.first.is_uppercase();
    }
    if is_dotted(word) {
        // "e.g.", "i.e." never end; "U.S." ends only before a typical sentence opener, since
        // "U.S. Embassy" / "U.S. President" are far more common than a sentence-final "U.S.".
        let upper = word.chars().any(char::is_uppercase);
        return upper && in_list(STARTERS, next.word);
    }
    if is_initial(word) {
        return in_list(STARTERS, next.word);
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Sentences: line pass
// ---------------------------------------------------------------------------------------------

struct Line {
    /// Content range, without the terminator.
    start: usize,
    end: usize,
    /// Ended by a paragraph separator (U+2029, form feed): always a break.
    hard: bool,
    blank: bool,
    bullet: bool,
    /// Leading whitespace chars (counted up to 16).
    indent: usize,
    chars: usize,
}

fn is_bullet(t: &str) -> bool {
    let mut it = t.char_indices();
    let Some((_, c)) = it.next() else {
        return false;
    };
    if matches!(c, '-' | '*' | '•' | '‣' | '◦' | '▪' | '●' | '·') {
        return matches!(it.next(), Some((_, d)) if d.is_whitespace());
    }
    // "1. " / "12) "
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &t.as_bytes()[digits..];
        return rest.len() >= 2 && (rest[0] == b'.' || rest[0] == b')') && (rest[1] == b' ' || rest[1] == b'\t');
    }
    false
}

fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let n = text.len();
    let bytes = text.as_bytes();
    let mut push = |start: usize, end: usize, hard: bool| {
        let s = &text[start..end];
        let t = s.trim();
        out.push(Line {
            start,
            end,
            hard,
            blank: t.is_empty(),
            bullet: is_bullet(t),
            indent: s.chars().take(16).take_while(|c| c.is_whitespace()).count(),
            chars: t.chars().count(),
        });
    };
    while i < n {
        let b = bytes[i];
        // All terminators start with one of these bytes ('\n', '\r', '\x0B', '\x0C', or the
        // lead bytes of U+0085 / U+2028 / U+2029).
        if !matches!(b, b'\n' | b'\r' | 0x0B | 0x0C | 0xC2 | 0xE2) {
            i += 1;
            continue;
        }
        let (len, hard) = match ch(text, i) {
            Some('\r') if bytes.get(i + 1) == Some(&b'\n') => (2, false),
            Some('\n') | Some('\r') | Some('\u{0B}') | Some('\u{85}') | Some('\u{2028}') => {
                (ch(text, i).map_or(1, char::len_utf8), false)
            }
            Some('\u{0C}') | Some('\u{2029}') => (ch(text, i).map_or(1, char::len_utf8), true),
            _ => {
                i += 1;
                continue;
            }
        };
        push(start, i, hard);
        i += len;
        start = i;
    }
    push(start, n, false);
    out
}

/// Whether the lines of a block are hard-wrapped prose: at least two lines before the last, all
/// of similar, typical wrap width.
fn is_wrapped(block: &[Line]) -> bool {
    if block.len() < 3 {
        return false;
    }
    let body = &block[..block.len() - 1];
    let (mut lo, mut hi) = (usize::MAX, 0);
    for l in body {
        if l.bullet {
            return false;
        }
        lo = lo.min(l.chars);
        hi = hi.max(l.chars);
    }
    lo >= WRAP_MIN && hi <= WRAP_MAX && hi - lo <= WRAP_SPREAD
}

/// Whether the line's last word keeps the line joined to the next one: a trailing comma, dash,
/// conjunction-like symbol, or a title / initial that must be followed by a name.
fn line_continues(text: &str, l: &Line) -> bool {
    let t = text[l.start..l.end].trim_end();
    let Some(last) = t.chars().next_back() else {
        return false;
    };
    if matches!(last, ',' | ';' | ':' | '-' | '–' | '—' | '(' | '[' | '&' | '/' | '+' | '“' | '‘' | '«') {
        return true;
    }
    if let Some(w) = t.strip_suffix('.') {
        let w = w.rsplit(char::is_whitespace).next().unwrap_or("");
        let w = w.trim_start_matches(|c: char| !c.is_alphanumeric());
        return in_list(TITLES, w) || is_initial(w);
    }
    false
}

/// Byte positions (line terminators) where line structure ends a sentence.
fn line_breaks(text: &str) -> Vec<usize> {
    let ls = lines(text);
    let mut out = Vec::new();

    // Blocks: runs of non-blank lines not separated by a hard terminator.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    let mut b0 = 0;
    while b0 < ls.len() {
        let mut b1 = b0;
        while b1 < ls.len() && !ls[b1].blank {
            b1 += 1;
            if ls[b1 - 1].hard {
                break;
            }
        }
        if b1 == b0 {
            // A blank line: break at its end (the break before it comes from the line above).
            out.push(ls[b0].end);
            b0 += 1;
        } else {
            blocks.push((b0, b1));
            b0 = b1;
        }
    }

    // The wrap width of the document, learned from blocks long enough to show it; a two-line
    // paragraph of a hard-wrapped document is then recognised by its first line's width.
    let mut band: Option<(usize, usize)> = None;
    for &(a, b) in &blocks {
        if is_wrapped(&ls[a..b]) {
            for l in &ls[a..b - 1] {
                let (lo, hi) = band.unwrap_or((l.chars, l.chars));
                band = Some((lo.min(l.chars), hi.max(l.chars)));
            }
        }
    }

    for &(a, b) in &blocks {
        let block = &ls[a..b];
        let wrapped = is_wrapped(block)
            || (block.len() == 2
                && !block[0].bullet
                && band.is_some_and(|(lo, hi)| (lo.saturating_sub(WRAP_SLACK)..=hi).contains(&block[0].chars)));
        for (k, l) in block.iter().enumerate() {
            let Some(nx) = block.get(k + 1) else {
                out.push(l.end); // end of block: blank line, hard terminator or end of text
                break;
            };
            let first = text[nx.start..nx.end].trim_start().chars().next();
            // A line indented deeper than the one before starts a new paragraph.
            let brk = if l.bullet || nx.bullet || nx.indent > l.indent {
                true
            } else if wrapped || line_continues(text, l) {
                false
            } else {
                !first.is_some_and(char::is_lowercase)
            };
            if brk {
                out.push(l.end);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sentences: length cap
// ---------------------------------------------------------------------------------------------

/// Pushes `span`, cut into pieces of at most [`MAX_SENTENCE_WORDS`] words.
fn cap_sentence(text: &str, span: Span, out: &mut Vec<Span>) {
    let s = &text[span.start..span.end];
    // Cheap pre-check: fewer bytes than the cap means fewer words.
    if s.len() < MAX_SENTENCE_WORDS * 2 {
        out.push(span);
        return;
    }
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut ws: Option<usize> = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), ws) {
            (true, Some(a)) => {
                words.push((span.start + a, span.start + i));
                ws = None;
            }
            (false, None) => ws = Some(i),
            _ => {}
        }
    }
    if let Some(a) = ws {
        words.push((span.start + a, span.end));
    }
    if words.len() <= MAX_SENTENCE_WORDS {
        out.push(span);
        return;
    }
    let good_cut = |&(a, b): &(usize, usize)| {
        let w = &text[a..b];
        w.ends_with([',', ';', ':', '—', '–']) || w == "-" || w == "--"
    };
    let mut first = 0;
    while words.len() - first > MAX_SENTENCE_WORDS {
        let cap = first + MAX_SENTENCE_WORDS;
        // Prefer the punctuation nearest the cap; else cut exactly at the cap.
        let cut = (cap - CAP_WINDOW + 1..=cap).rev().find(|&k| good_cut(&words[k - 1])).unwrap_or(cap);
        out.push(Span::new(words[first].0, words[cut - 1].1));
        first = cut;
    }
    out.push(Span::new(words[first].0, span.end));
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

struct Tokenizer<'t> {
    text: &'t str,
    start: usize,
    end: usize,
    out: Vec<Span>,
}

impl<'t> Tokenizer<'t> {
    #[inline]
    fn at(&self, i: usize) -> Option<char> {
        if i < self.end {
            ch(self.text, i)
        } else {
            None
        }
    }

    fn emit(&mut self, a: usize, b: usize) {
        if a < b {
            self.out.push(Span::new(a, b));
        }
    }

    fn run(&mut self) {
        let mut i = self.start;
        while let Some(c) = self.at(i) {
            if c.is_whitespace() {
                i += c.len_utf8();
                continue;
            }
            // Special forms are only tried at the start of a word, not in the middle of one.
            let boundary = i == self.start || !ch_before(self.text, i).is_some_and(is_word_char);
            if is_word_char(c) {
                if let Some(j) = boundary.then(|| self.url(i)).flatten() {
                    self.emit(i, j);
                    i = j;
                    continue;
                }
                let j = self.scan_word(i);
                // An e-mail's local part runs up to '@' through chars a word may stop at; only
                // then is the (bounded) e-mail scan worth trying.
                if boundary && matches!(self.at(j), Some('@' | '.' | '%' | '+' | '-')) {
                    if let Some(e) = self.email(i) {
                        self.emit(i, e);
                        i = e;
                        continue;
                    }
                }
                i = self.word(i, j);
            } else if let Some(j) = (boundary && (c == '@' || c == '#')).then(|| self.handle(i)).flatten() {
                self.emit(i, j);
                i = j;
            } else {
                i = self.symbol(i, c);
            }
        }
    }

    /// Consumes extend characters after byte `j` (and the character after each ZWJ, which the
    /// joiner glues on); returns the new end.
    fn extends(&self, mut j: usize) -> usize {
        while let Some(d) = self.at(j) {
            if !is_extend(d) {
                break;
            }
            j += d.len_utf8();
            if d == ZWJ {
                match self.at(j) {
                    Some(e) if !e.is_whitespace() => j += e.len_utf8(),
                    _ => break,
                }
            }
        }
        j
    }

    /// A punctuation mark, symbol or emoji starting at `i`; returns the end of its token.
    fn symbol(&mut self, i: usize, c: char) -> usize {
        let mut j = i + c.len_utf8();
        if matches!(c, '.' | '-' | '!' | '?' | '*' | '=' | '~') {
            // "...", "--", "!!!" are one token each.
            while self.at(j) == Some(c) {
                j += 1;
            }
        } else if is_regional_indicator(c) {
            // A flag is a pair of regional indicators.
            if let Some(d) = self.at(j).filter(|&d| is_regional_indicator(d)) {
                j += d.len_utf8();
            }
        }
        let j = self.extends(j);
        self.emit(i, j);
        j
    }

    /// Scans the letters/digits of a word and the connectors allowed inside it.
    fn scan_word(&self, i: usize) -> usize {
        let mut j = i;
        let mut last: Option<char> = None; // last base (non-extend) char
        while let Some(d) = self.at(j) {
            if is_word_char(d) {
                last = Some(d);
                j += d.len_utf8();
                continue;
            }
            if is_extend(d) {
                j = self.extends(j);
                continue;
            }
            let (Some(p), Some(n)) = (last, self.at(j + d.len_utf8())) else {
                break;
            };
            let joins = match d {
                '-' | '\u{2010}' | '\u{2011}' => is_word_char(n),
                '\'' | '’' => n.is_alphabetic(),
                '.' => (p.is_alphabetic() && n.is_alphabetic()) || (p.is_numeric() && n.is_numeric()),
                ',' | ':' | '/' => p.is_numeric() && n.is_ascii_digit(),
                '&' => p.is_uppercase() && n.is_uppercase(),
                _ => false,
            };
            if !joins {
                break;
            }
            j += d.len_utf8();
            last = None; // the next iteration consumes `n`
        }
        j
    }

    /// True when only closing punctuation and whitespace follow `j` up to the span end.
    fn at_span_end(&self, mut j: usize) -> bool {
        while let Some(d) = self.at(j) {
            if !(is_closer(d) || d.is_whitespace()) {
                return false;
            }
            j += d.len_utf8();
        }
        true
    }

    /// First non-whitespace char at or after `j` (bounded lookahead).
    fn next_visible(&self, mut j: usize) -> Option<char> {
        for _ in 0..8 {
            let d = self.at(j)?;
            if !d.is_whitespace() {
                return Some(d);
            }
            j += d.len_utf8();
        }
        None
    }

    /// Emits the word `text[i..j]` (as scanned by [`Self::scan_word`]) with an abbreviation
    /// period and split clitics; returns its end.
    fn word(&mut self, i: usize, mut j: usize) -> usize {
        loop {
            // A period that belongs to an abbreviation or initial ("U.S.", "Gen.", "J.").
            if self.at(j) != Some('.') || self.at(j + 1) == Some('.') {
                break;
            }
            let w = &self.text[i..j];
            let keep = if in_list(TITLES, w) || in_list(TERMINAL_ABBREVS, w) || is_dotted(w) {
                true
            } else if in_list(NUMBER_ABBREVS, w) {
                self.next_visible(j + 1).is_some_and(|d| d.is_ascii_digit() || d == '#')
            } else if is_initial(w) {
                // "Plan B." at the very end of a sentence: the period is the sentence's.
                !self.at_span_end(j + 1)
            } else {
                false
            };
            if !keep {
                break;
            }
            j += 1;
            // "U.S.-led": the hyphen continues the word.
            match (self.at(j), self.at(j + 1)) {
                (Some('-'), Some(n)) if is_word_char(n) => j = self.scan_word(j + 1),
                _ => break,
            }
            // scan_word from the hyphen's next char returns the end of the compound; it may end
            // in another abbreviation period, so loop.
        }
        self.split_clitic(i, j);
        j
    }

    /// Emits `text[i..j]`, split PTB-style before a clitic ("'s", "n't", "'re", ...).
    fn split_clitic(&mut self, i: usize, j: usize) {
        let w = &self.text[i..j];
        if !(w.contains('\'') || w.contains('’')) || w.ends_with('.') {
            self.emit(i, j);
            return;
        }
        let cut = clitic_cut(w);
        match cut {
            Some(k) if k > 0 && k < w.len() => {
                self.emit(i, i + k);
                self.emit(i + k, j);
            }
            _ => self.emit(i, j),
        }
    }

    /// "http://…", "https://…", "www.…": up to whitespace or a quote, minus trailing punctuation.
    fn url(&self, i: usize) -> Option<usize> {
        let rest = &self.text[i..self.end];
        // Only the first bytes are looked at, so this costs O(1) per word start.
        let has = |p: &[u8]| rest.as_bytes().get(..p.len()).is_some_and(|b| b.eq_ignore_ascii_case(p));
        if !(has(b"http://") || has(b"https://") || has(b"ftp://") || has(b"www.")) {
            return None;
        }
        let mut j = i;
        while let Some(d) = self.at(j) {
            if d.is_whitespace() || matches!(d, '"' | '“' | '”' | '<' | '>' | '«' | '»') {
                break;
            }
            j += d.len_utf8();
        }
        while let Some(d) = ch_before(self.text, j) {
            if j <= i || !matches!(d, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '\'' | '’' | '…') {
                break;
            }
            j -= d.len_utf8();
        }
        // A bare prefix ("www." at a sentence end) is no URL.
        (j > i + 4).then_some(j)
    }

    /// "press@ministry.gov.af": bounded scan of local part and domain.
    fn email(&self, i: usize) -> Option<usize> {
        let b = self.text.as_bytes();
        let local_ok = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
        let mut j = i;
        while j < self.end && j - i < 64 && local_ok(b[j]) {
            j += 1;
        }
        if j == i || j >= self.end || b[j] != b'@' {
            return None;
        }
        let d0 = j + 1;
        let mut k = d0;
        while k < self.end && k - d0 < 253 && (b[k].is_ascii_alphanumeric() || b[k] == b'-' || b[k] == b'.') {
            k += 1;
        }
        // Trailing dots/hyphens are sentence punctuation, not domain.
        while k > d0 && matches!(b[k - 1], b'.' | b'-') {
            k -= 1;
        }
        let domain = &self.text[d0..k];
        let mut labels = domain.split('.');
        let tld = domain.rsplit('.').next().unwrap_or("");
        let ok = domain.contains('.')
            && labels.all(|l| !l.is_empty())
            && tld.len() >= 2
            && tld.bytes().all(|c| c.is_ascii_alphabetic());
        ok.then_some(k)
    }

    /// "@handle" (ASCII word chars, as on social networks) or "#hashtag" (any letters).
    fn handle(&self, i: usize) -> Option<usize> {
        let at = self.at(i)?;
        let mut j = i + 1;
        while let Some(d) = self.at(j) {
            let ok = if at == '@' { d.is_ascii_alphanumeric() || d == '_' } else { is_word_char(d) };
            if !ok {
                break;
            }
            j += d.len_utf8();
        }
        (j > i + 1).then_some(j)
    }
}

/// Byte index inside `w` where a PTB clitic starts, if any.
fn clitic_cut(w: &str) -> Option<usize> {
    // Work on the last few chars only; normalise the curly apostrophe.
    let tail: Vec<(usize, char)> = w
        .char_indices()
        .rev()
        .take(4)
        .map(|(i, c)| (i, if c == '’' { '\'' } else { c.to_ascii_lowercase() }))
        .collect();
    let tail_str: String = tail.iter().rev().map(|&(_, c)| c).collect();
    let start_of = |n: usize| tail.get(n - 1).map(|&(i, _)| i);
    if tail_str.ends_with("n't") && tail.len() >= 4 {
        return start_of(3);
    }
    if tail_str.ends_with("'s") {
        return start_of(2);
    }
    for (suffix, n) in [("'re", 3), ("'ve", 3), ("'ll", 3), ("'d", 2), ("'m", 2)] {
        if tail_str.ends_with(suffix) {
            let k = start_of(n)?;
            let base = &w[..k];
            let host = base.chars().next().is_some_and(char::is_lowercase)
                || CLITIC_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(base));
            return host.then_some(k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::CharOffsets;

    fn sents(text: &str) -> Vec<&str> {
        split_sentences(text).into_iter().map(|s| s.of(text)).collect()
    }

    fn words(text: &str) -> Vec<&str> {
        split_words(text, Span::new(0, text.len())).into_iter().map(|s| s.of(text)).collect()
    }

    /// All span invariants of the task: sentences trimmed, ordered, covering every
    /// non-whitespace char once; tokens non-empty, on char boundaries, without whitespace, inside
    /// their sentence, ordered, covering every non-whitespace char of the sentence once; code-point
    /// offsets slice back to the same text.
    fn check_invariants(text: &str) {
        let mut doc = Document::new("t", text);
        segment(&mut doc);
        let mut covered = vec![false; text.len()];
        let mut prev_end = 0;
        let mut next_token = 0;
        let offsets = CharOffsets::new(text);
        let chars: Vec<char> = text.chars().collect();
        for (si, s) in doc.sentences.iter().enumerate() {
            let sp = s.span;
            assert!(sp.start < sp.end, "empty sentence {sp:?}");
            assert!(sp.start >= prev_end, "sentences out of order");
            assert!(text.is_char_boundary(sp.start) && text.is_char_boundary(sp.end));
            let st = sp.of(text);
            assert_eq!(st, st.trim(), "sentence not trimmed: {st:?}");
            assert_eq!(s.tokens.start, next_token, "token ranges not contiguous");
            next_token = s.tokens.end;
            let mut tprev = sp.start;
            for ti in s.tokens.clone() {
                let t = &doc.tokens[ti];
                assert_eq!(t.sentence, si);
                assert!(t.tags.is_none());
                let w = t.span;
                assert!(w.start < w.end, "empty token");
                assert!(w.start >= tprev, "tokens out of order / overlapping");
                assert!(sp.contains(&w), "token outside its sentence");
                assert!(text.is_char_boundary(w.start) && text.is_char_boundary(w.end));
                let wt = w.of(text);
                assert!(!wt.chars().any(char::is_whitespace), "whitespace in token {wt:?}");
                for c in &mut covered[w.start..w.end] {
                    assert!(!*c, "byte covered twice");
                    *c = true;
                }
                let (cs, ce) = offsets.span(w);
                let back: String = chars[cs..ce].iter().collect();
                assert_eq!(back, wt, "code-point offsets do not slice back");
                tprev = w.end;
            }
            let (cs, ce) = offsets.span(sp);
            let back: String = chars[cs..ce].iter().collect();
            assert_eq!(back, st);
            prev_end = sp.end;
        }
        assert_eq!(next_token, doc.tokens.len());
        for (b, c) in text.char_indices() {
            let want = !c.is_whitespace();
            assert_eq!(covered[b], want, "char {c:?} at byte {b} coverage wrong in {text:?}");
        }
    }

    // --- sentences: abbreviations --------------------------------------------------------------

    #[test]
    fn titles_initials_and_months_do_not_end_sentences() {
        let t = "Maj. Gen. Abdul R. Qasimi met Lt. Col. Sami Haddad, Capt. Yusuf Ali and \
                 Dr. Leila Nasser on Jan. 14 in Kabul. Sen. Mara Ellison and Rep. Tom Greer \
                 were briefed by Gov. Alvarez, Prof. Chen and Mrs. Ortiz. J. K. Rowling was not.";
        assert_eq!(
            sents(t),
            vec![
                "Maj. Gen. Abdul R. Qasimi met Lt. Col. Sami Haddad, Capt. Yusuf Ali and Dr. Leila \
                 Nasser on Jan. 14 in Kabul.",
                "Sen. Mara Ellison and Rep. Tom Greer were briefed by Gov. Alvarez, Prof. Chen and \
                 Mrs. Ortiz.",
                "J. K. Rowling was not.",
            ]
        );
    }

    #[test]
    fn dotted_acronyms_end_only_before_a_sentence_opener() {
        let t = "The U.S. Embassy in Kabul said U.N. and E.U. envoys would meet U.K. officials. \
                 The envoys later flew back to the U.S. The talks resume in March.";
        assert_eq!(
            sents(t),
            vec![
                "The U.S. Embassy in Kabul said U.N. and E.U. envoys would meet U.K. officials.",
                "The envoys later flew back to the U.S.",
                "The talks resume in March.",
            ]
        );
    }

    #[test]
    fn etc_ends_a_sentence_only_before_a_capital() {
        let t = "The raiders took rifles, radios, fuel, etc. and left before dawn. \
                 Police listed rifles, radios, etc. Nothing else was missing.";
        assert_eq!(
            sents(t),
            vec![
                "The raiders took rifles, radios, fuel, etc. and left before dawn.",
                "Police listed rifles, radios, etc.",
                "Nothing else was missing.",
            ]
        );
    }

    #[test]
    fn am_pm_before_capital_ends_but_not_before_a_weekday_or_zone() {
        let t = "The blast came at 9 a.m. Witnesses heard gunfire. \
                 A second blast followed at 4 p.m. Tuesday, police said. \
                 The curfew starts at 10 p.m. GMT and lasts all night.";
        assert_eq!(
            sents(t),
            vec![
                "The blast came at 9 a.m.",
                "Witnesses heard gunfire.",
                "A second blast followed at 4 p.m. Tuesday, police said.",
                "The curfew starts at 10 p.m. GMT and lasts all night.",
            ]
        );
    }

    #[test]
    fn company_suffixes_and_number_abbreviations() {
        let t = "Apex Holdings Inc. said on Tuesday that it would close its office at No. 4 \
                 Shar-e-Naw Road. The lease went to Orbis Logistics Ltd. Its rival Vantage Corp. \
                 declined to comment.";
        assert_eq!(
            sents(t),
            vec![
                "Apex Holdings Inc. said on Tuesday that it would close its office at No. 4 \
                 Shar-e-Naw Road.",
                "The lease went to Orbis Logistics Ltd.",
                "Its rival Vantage Corp. declined to comment.",
            ]
        );
        assert_eq!(
            sents("Asked about a deal, he said No. Talks are over."),
            vec!["Asked about a deal, he said No.", "Talks are over."]
        );
    }

    #[test]
    fn decimals_and_ellipses_inside_a_sentence() {
        let t = "Inflation rose 3.5 percent in 2023 ... and then eased to 2.1 percent. \
                 “We waited… and waited,” a trader said. He paused... Then he left.";
        assert_eq!(
            sents(t),
            vec![
                "Inflation rose 3.5 percent in 2023 ... and then eased to 2.1 percent.",
                "“We waited… and waited,” a trader said.",
                "He paused...",
                "Then he left.",
            ]
        );
        // An ellipsis glued to its word before a capitalized name ends the sentence; a spaced
        // one (an elision) does not.
        assert_eq!(
            sents("UNAMA condemned the attack... Kasimi said nothing. “Kabul is ... Kabul,” he said."),
            vec!["UNAMA condemned the attack...", "Kasimi said nothing.", "“Kabul is ... Kabul,” he said."]
        );
    }

    #[test]
    fn quote_followed_by_named_speaker_stays_one_sentence() {
        let t = "“Where did the money go?” Lt. Col. Qasimi asked. “We will rebuild!” Ahmadzai \
                 told reporters. “It is over.” The minister left. \"Enough!\" Officials cheered.";
        assert_eq!(
            sents(t),
            vec![
                "“Where did the money go?” Lt. Col. Qasimi asked.",
                "“We will rebuild!” Ahmadzai told reporters.",
                "“It is over.”",
                "The minister left.",
                "\"Enough!\"",
                "Officials cheered.",
            ]
        );
    }

    #[test]
    fn question_and_exclamation_marks() {
        let t = "Who ordered the strike? Nobody has said! “Why now?” asked one resident.";
        assert_eq!(sents(t), vec!["Who ordered the strike?", "Nobody has said!", "“Why now?” asked one resident."]);
    }

    // --- sentences: quotes ----------------------------------------------------------------------

    #[test]
    fn sentence_end_inside_quote_keeps_the_closing_quote() {
        let t = "“We will rebuild. We will not leave,” he said.";
        assert_eq!(sents(t), vec!["“We will rebuild.", "We will not leave,” he said."]);

        let t = "The spokesman said: \"The talks have failed.\" Diplomats disputed that. \
                 ‘It is over.’ Others agreed. «Nothing was signed.» The minister left.";
        assert_eq!(
            sents(t),
            vec![
                "The spokesman said: \"The talks have failed.\"",
                "Diplomats disputed that.",
                "‘It is over.’",
                "Others agreed.",
                "«Nothing was signed.»",
                "The minister left.",
            ]
        );
    }

    #[test]
    fn multi_sentence_quote_splits_at_inner_ends() {
        let t = "\"We struck the convoy. We will strike again. Nobody is safe,\" said a man who \
                 called himself Abu Hamza.";
        assert_eq!(
            sents(t),
            vec![
                "\"We struck the convoy.",
                "We will strike again.",
                "Nobody is safe,\" said a man who called himself Abu Hamza.",
            ]
        );
        // A parenthesis closes the sentence too.
        assert_eq!(
            sents("(The group later deleted the post.) Its rivals mocked it."),
            vec!["(The group later deleted the post.)", "Its rivals mocked it."]
        );
    }

    // --- sentences: lines -----------------------------------------------------------------------

    #[test]
    fn headline_byline_and_dateline() {
        let t = "Gunmen storm hotel in Kabul, killing 12\nBy Mariam Haidari and Tom Weller\n\
                 KABUL, Afghanistan — Gunmen stormed a hotel in central Kabul on Tuesday, officials \
                 said. The Interior Ministry blamed the Haqqani network.";
        assert_eq!(
            sents(t),
            vec![
                "Gunmen storm hotel in Kabul, killing 12",
                "By Mariam Haidari and Tom Weller",
                "KABUL, Afghanistan — Gunmen stormed a hotel in central Kabul on Tuesday, \
                 officials said.",
                "The Interior Ministry blamed the Haqqani network.",
            ]
        );
        let t = "KABUL (Reuters) - At least 12 people were killed when gunmen stormed a hotel.";
        assert_eq!(sents(t).len(), 1);
        // A dateline broken after its dash continues on the next line.
        let t = "KABUL, Afghanistan —\nGunmen stormed a hotel on Tuesday.";
        assert_eq!(sents(t), vec![t]);
    }

    #[test]
    fn blank_line_always_ends_a_sentence() {
        let t = "Talks collapse in Doha\n\nthe delegation left without a statement\r\n\r\nMore to follow";
        assert_eq!(
            sents(t),
            vec!["Talks collapse in Doha", "the delegation left without a statement", "More to follow"]
        );
        // A paragraph separator is a hard break as well.
        assert_eq!(sents("Kabul\u{2029}Herat").len(), 2);
    }

    #[test]
    fn hard_wrapped_prose_is_joined_across_line_breaks() {
        let t = "Officials in the eastern province of Khost said that fighters loyal to\n\
                 Commander Jalaluddin Haqqani had entered the district late on Monday and\n\
                 Provincial police chief Abdul Wali Sahil confirmed the account to\n\
                 reporters. He gave no figures.";
        assert_eq!(
            sents(t),
            vec![
                "Officials in the eastern province of Khost said that fighters loyal to\n\
                 Commander Jalaluddin Haqqani had entered the district late on Monday and\n\
                 Provincial police chief Abdul Wali Sahil confirmed the account to\nreporters.",
                "He gave no figures.",
            ]
        );
        // Once the document shows its wrap width, a two-line paragraph is joined as well.
        let t2 = format!(
            "{t}\n\nThe district governor told reporters that he had asked the\n\
             Kabul government for reinforcements."
        );
        let s = sents(&t2);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s[2].starts_with("The district governor") && s[2].ends_with("reinforcements."));
        // A line indented deeper than the previous one starts a new paragraph, even in
        // wrapped prose and without final punctuation.
        let t3 = "Officials in the eastern province of Khost said that fighters loyal to\n\
                  the commander had entered the district late on Monday and had seized\n\
                  the main road to the border crossing at Ghulam Khan, police said\n\
                  \x20   Residents said the fighting continued overnight.";
        let s = sents(t3);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[1], "Residents said the fighting continued overnight.");
        // A lowercase continuation line never starts a sentence.
        let t = "The ministry said the attackers\nwere arrested.";
        assert_eq!(sents(t), vec![t]);
        // A line ending in a title keeps the name on the next line.
        let t = "The statement was signed by Gen.\nAhmad Zia Saraj.";
        assert_eq!(sents(t), vec![t]);
    }

    #[test]
    fn one_paragraph_per_line_without_final_punctuation() {
        let t = "The Taliban said in a statement that its fighters had taken the district centre \
                 and that government forces had fled toward the provincial capital overnight\n\
                 A government spokesman denied the claim.";
        let s = sents(t);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[1], "A government spokesman denied the claim.");
    }

    #[test]
    fn bullet_lines_are_separate_sentences() {
        let t = "Key points:\n- Three people were killed\n- Police blamed the Haqqani network\n\
                 * The hotel has reopened\n• Flights resumed\n1. Casualties: 3\n2) Arrests: none";
        assert_eq!(
            sents(t),
            vec![
                "Key points:",
                "- Three people were killed",
                "- Police blamed the Haqqani network",
                "* The hotel has reopened",
                "• Flights resumed",
                "1. Casualties: 3",
                "2) Arrests: none",
            ]
        );
    }

    // --- sentences: length cap ------------------------------------------------------------------

    #[test]
    fn very_long_unpunctuated_text_is_capped() {
        let mut t = String::new();
        for i in 0..700 {
            t.push_str(if i == 230 { "convoy, " } else { "convoy " });
        }
        let spans = split_sentences(&t);
        assert!(spans.len() >= 3, "{}", spans.len());
        for s in &spans {
            let n = s.of(&t).split_whitespace().count();
            assert!(n <= MAX_SENTENCE_WORDS, "{n} words");
        }
        // The first cut prefers the comma near the cap.
        assert!(spans[0].of(&t).ends_with("convoy,"));
        assert_eq!(spans[0].of(&t).split_whitespace().count(), 231);
        // Without punctuation the cut is exactly at the cap.
        assert_eq!(spans[1].of(&t).split_whitespace().count(), MAX_SENTENCE_WORDS);
        check_invariants(&t);
    }

    // --- words ----------------------------------------------------------------------------------

    #[test]
    fn punctuation_is_split_off() {
        assert_eq!(
            words("“We will not leave,” he said; (really) [sic] {x}: yes! no? «non» — – …"),
            vec![
                "“", "We", "will", "not", "leave", ",", "”", "he", "said", ";", "(", "really", ")", "[", "sic", "]",
                "{", "x", "}", ":", "yes", "!", "no", "?", "«", "non", "»", "—", "–", "…"
            ]
        );
        assert_eq!(words("Kabul—Herat, ‘calm’."), vec!["Kabul", "—", "Herat", ",", "‘", "calm", "’", "."]);
        assert_eq!(words("Wait... what -- now"), vec!["Wait", "...", "what", "--", "now"]);
    }

    #[test]
    fn abbreviations_and_initials_keep_their_period() {
        assert_eq!(
            words("U.S. Gen. J. K. Rowling met Abdul R. Qasimi of Apex Inc. at 9 a.m. No. 4"),
            vec![
                "U.S.", "Gen.", "J.", "K.", "Rowling", "met", "Abdul", "R.", "Qasimi", "of", "Apex", "Inc.", "at", "9",
                "a.m.", "No.", "4"
            ]
        );
        // Sentence-final period of an ordinary word, and of a single letter, is split off.
        assert_eq!(words("They fled Kabul."), vec!["They", "fled", "Kabul", "."]);
        assert_eq!(words("It was Plan B."), vec!["It", "was", "Plan", "B", "."]);
        assert_eq!(words("He said No."), vec!["He", "said", "No", "."]);
        // But an abbreviation at the end keeps it.
        assert_eq!(words("troops left the U.S."), vec!["troops", "left", "the", "U.S."]);
        assert_eq!(words("a U.S.-led coalition"), vec!["a", "U.S.-led", "coalition"]);
        assert_eq!(words("Ellison, D-N.Y., said"), vec!["Ellison", ",", "D-N.Y.", ",", "said"]);
    }

    #[test]
    fn numbers_stay_whole_and_currency_and_percent_split() {
        assert_eq!(
            words("1,200 troops, 3.5 percent, the 2024-25 budget, $5 million, £3.2bn, €40, 12%, 10:30"),
            vec![
                "1,200", "troops", ",", "3.5", "percent", ",", "the", "2024-25", "budget", ",", "$", "5", "million",
                ",", "£", "3.2bn", ",", "€", "40", ",", "12", "%", ",", "10:30"
            ]
        );
    }

    #[test]
    fn hyphens_and_inner_apostrophes_stay_whole() {
        assert_eq!(
            words("al-Qaeda, Abdul-Rahim, state-owned, ur-Rehman, O'Brien, Ma'ruf, Sa'd, AT&T"),
            vec![
                "al-Qaeda",
                ",",
                "Abdul-Rahim",
                ",",
                "state-owned",
                ",",
                "ur-Rehman",
                ",",
                "O'Brien",
                ",",
                "Ma'ruf",
                ",",
                "Sa'd",
                ",",
                "AT&T"
            ]
        );
    }

    #[test]
    fn clitics_split_like_ptb() {
        assert_eq!(
            words(
                "Qasimi's men, Qasimi’s aides and the Haqqanis' base: don't, can't, they're, \
                   we've, I'll, she'd, I'm, O'Neill's, ISN'T"
            ),
            vec![
                "Qasimi", "'s", "men", ",", "Qasimi", "’s", "aides", "and", "the", "Haqqanis", "'", "base", ":", "do",
                "n't", ",", "ca", "n't", ",", "they", "'re", ",", "we", "'ve", ",", "I", "'ll", ",", "she", "'d", ",",
                "I", "'m", ",", "O'Neill", "'s", ",", "IS", "N'T"
            ]
        );
    }

    #[test]
    fn urls_emails_handles_and_hashtags() {
        assert_eq!(
            words(
                "See https://example.org/news/a?id=5&x=1. Write to press@mfa-example.gov.af, \
                   (www.example.com) or @Qasimi_Media #KabulAttack #حمله"
            ),
            vec![
                "See",
                "https://example.org/news/a?id=5&x=1",
                ".",
                "Write",
                "to",
                "press@mfa-example.gov.af",
                ",",
                "(",
                "www.example.com",
                ")",
                "or",
                "@Qasimi_Media",
                "#KabulAttack",
                "#حمله"
            ]
        );
        // Not an e-mail: no dot in the domain.
        assert_eq!(words("a@b"), vec!["a", "@", "b"]);
    }

    #[test]
    fn emoji_and_symbols_are_their_own_words() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let t = format!("Kabul👍🏽 {family}! 🇦🇫🇺🇸 1\u{FE0F}\u{20E3} Qasimi\u{0301} ©2024 +/-");
        assert_eq!(
            words(&t),
            vec![
                "Kabul",
                "👍🏽",
                family,
                "!",
                "🇦🇫",
                "🇺🇸",
                "1\u{FE0F}\u{20E3}",
                "Qasimi\u{0301}",
                "©",
                "2024",
                "+",
                "/",
                "-"
            ]
        );
        // Invisible soft hyphens and zero-width spaces stay inside their word.
        assert_eq!(words("Qa\u{AD}simi Ka\u{200B}bul"), vec!["Qa\u{AD}simi", "Ka\u{200B}bul"]);
        // Right-to-left scripts tokenize like any other letters.
        assert_eq!(words("قال المتحدث، «لن نغادر»."), vec!["قال", "المتحدث", "،", "«", "لن", "نغادر", "»", "."]);
        assert_eq!(words("אמר הדובר: שלום."), vec!["אמר", "הדובר", ":", "שלום", "."]);
    }

    #[test]
    fn split_words_tolerates_bad_spans() {
        let t = "Zürich — ok";
        assert!(split_words(t, Span { start: 2, end: 2 }).is_empty());
        // Start inside "ü" and end past the text: narrowed, no panic.
        assert_eq!(
            split_words(t, Span { start: 2, end: 999 }).iter().map(|s| s.of(t)).collect::<Vec<_>>(),
            vec!["rich", "—", "ok"]
        );
        assert!(split_words(t, Span { start: 50, end: 60 }).is_empty());
    }

    #[test]
    fn empty_and_blank_text() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences(" \n\n\t\u{2029} ").is_empty());
        let mut doc = Document::new("e", "");
        segment(&mut doc);
        assert!(doc.sentences.is_empty() && doc.tokens.is_empty());
    }

    #[test]
    fn segment_fills_document() {
        let mut doc = Document::new(
            "a1",
            "Kabul blast kills 3\n\nKABUL, Afghanistan — A bomb exploded near the U.S. Embassy. \
             Nobody claimed it.",
        );
        segment(&mut doc);
        assert_eq!(doc.sentences.len(), 3);
        let toks: Vec<&str> = doc.sentences[1].tokens.clone().map(|i| doc.token_text(i)).collect();
        assert_eq!(
            toks,
            vec!["KABUL", ",", "Afghanistan", "—", "A", "bomb", "exploded", "near", "the", "U.S.", "Embassy", "."]
        );
        assert_eq!(doc.tokens.last().map(|t| t.sentence), Some(2));
        check_invariants(&doc.text);
        // Running again replaces, not appends.
        let n = doc.tokens.len();
        segment(&mut doc);
        assert_eq!(doc.tokens.len(), n);
    }

    // --- scale ----------------------------------------------------------------------------------

    #[test]
    fn two_megabyte_article_and_huge_token() {
        let para = "KABUL, Afghanistan — Gunmen loyal to Abdul R. Qasimi (also spelled Kasimi) \
                    stormed a U.S.-funded clinic at 9 a.m. on Jan. 3, killing 12, the Interior \
                    Ministry said. “We will not leave,” Dr. Leila Nasser told Reuters. \
                    The Islamic State–Khorasan Province (ISKP) claimed the attack on \
                    https://t.example/isk, but a Taliban spokesman called that “a lie…”\n\n";
        let mut t = String::with_capacity(2_100_000);
        while t.len() < 2_000_000 {
            t.push_str(para);
        }
        let mut doc = Document::new("big", t.clone());
        segment(&mut doc);
        assert!(doc.sentences.len() > 10_000);
        check_invariants(&t[..20_000.min(t.len())]);

        // 100,000 chars without a space, in several shapes that stress lookbehind/lookahead.
        for unit in ["a", "U.", "a.", "1,", "a+", "é", "-", "@a", "www."] {
            let big = unit.repeat(100_000 / unit.len());
            let s = split_sentences(&big);
            assert_eq!(s.len(), 1);
            let w = split_words(&big, s[0]);
            assert!(!w.is_empty());
            assert_eq!(w.first().map(|s| s.start), Some(0));
            assert_eq!(w.last().map(|s| s.end), Some(big.len()));
        }
    }

    // --- property test --------------------------------------------------------------------------

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const PIECES: &[&str] = &[
            "Kabul",
            "said",
            "U.S.",
            "Gen.",
            "J.",
            "etc.",
            "a.m.",
            "No.",
            "3.5",
            "1,200",
            "al-Qaeda",
            "O'Brien",
            "Qasimi's",
            "don't",
            "Zürich",
            "Müller",
            "señor",
            "e\u{0301}",
            "“",
            "”",
            "‘",
            "’",
            "«",
            "»",
            "\"",
            "'",
            ".",
            ",",
            "!",
            "?",
            "…",
            "...",
            "—",
            "–",
            "-",
            "(",
            ")",
            "$",
            "%",
            "@",
            "#",
            "😀",
            "👍🏽",
            "👨\u{200D}👩\u{200D}👧",
            "🇦🇫",
            "\u{200D}",
            "\u{FE0F}",
            "مرحبا",
            "قال",
            "؟",
            "שלום",
            "\u{05B8}",
            " ",
            " ",
            " ",
            "  ",
            "\n",
            "\n\n",
            "\r\n",
            "\t",
            "\u{00A0}",
            "\u{2028}",
            "\u{2029}",
            "- ",
            "1. ",
            "https://x.example/a.",
            "a@b.co",
            "The",
            "We",
            "and",
        ];

        fn piece() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => prop::sample::select(PIECES).prop_map(str::to_string),
                1 => any::<char>().prop_map(|c| c.to_string()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1500))]
            #[test]
            fn span_invariants_hold(parts in prop::collection::vec(piece(), 0..80)) {
                check_invariants(&parts.concat());
            }

            #[test]
            fn span_invariants_hold_on_arbitrary_strings(s in "\\PC*") {
                check_invariants(&s);
            }

            /// Any span, even reversed, out of range or inside a character, is narrowed safely.
            #[test]
            fn split_words_never_panics_on_any_span(
                parts in prop::collection::vec(piece(), 0..30),
                a in 0usize..400,
                b in 0usize..400,
            ) {
                let text = parts.concat();
                let (lo, hi) = clamp_span(&text, Span { start: a, end: b });
                for w in split_words(&text, Span { start: a, end: b }) {
                    prop_assert!(lo <= w.start && w.end <= hi && w.start < w.end);
                    prop_assert!(!w.of(&text).chars().any(char::is_whitespace));
                }
            }
        }
    }
}
