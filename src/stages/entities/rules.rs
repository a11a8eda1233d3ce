//! Rule-based value mentions: DATE, TIME, MONEY, PERCENT, CARDINAL.
//!
//! CoNLL taggers do not label these, but analysts need when things happened and how many
//! died. Each rule is a regular expression over the text; a match counts only when it starts
//! and ends on token boundaries (so "12" inside "A12" or a date inside a URL is not taken).
//! Overlaps are settled by the caller (longer first, then earlier; entity mentions win).
//!
//! Values: DATE as ISO 8601 ("2024-12-11", "2024-12", "2024", "2024-W49"), relative
//! expressions ("on Wednesday", "last year", "three days ago") resolved against
//! `meta.published` and left without a value when there is no usable anchor; TIME as
//! "T14:30"; MONEY as "USD 1200000"; PERCENT as "12.5"; CARDINAL as "42" (vague quantities
//! such as "dozens" get no value). Scaled numbers ("1.2 million") are expanded exactly with
//! decimal string arithmetic, never through floats.

use std::ops::Range;
use std::sync::OnceLock;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use regex::{Captures, Regex};

use crate::doc::{Document, MentionSource};

use super::Draft;

const MONTH: &str = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|sept?\.?|oct\.?|nov\.?|dec\.?)";
const WEEKDAY: &str = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)";
const NUMWORD: &str = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen)";
const NUM: &str = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)";
const SCALE: &str = r"(?:\s*(million|billion|trillion|thousand|bn|mn|m|k)\b)?";

type ValueFn = fn(&Captures, Option<NaiveDate>) -> Option<String>;

struct Rule {
    re: Regex,
    label: &'static str,
    value: ValueFn,
    /// Accept only when every token is tagged CD (for spelled-out numbers, which are also
    /// ordinary words: "one of them").
    needs_cd: bool,
    /// The value needs no anchor, so a missing value means the match is not a real date,
    /// time or amount ("25:10", "February 30, 2024") and is dropped.
    strict: bool,
    /// Rejected when the next word is a plural noun: "2000 people" is a count, not a year.
    not_before_plural: bool,
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        // ASCII word boundaries: the Unicode ones keep the regex engine off its fast DFA,
        // and every boundary here sits next to a digit or an English word.
        let r = |p: String| Regex::new(&format!("(?i){}", p.replace(r"\b", r"(?-u:\b)"))).expect("built-in rule regex");
        let mut v = vec![
            // MONEY: "$1.2 million", "US$500", "€20bn", "1.5 million dollars", "500 afghanis".
            Rule { re: r(format!(r"(?:US|U\.S\.\s?)?([$€£¥])\s?{NUM}{SCALE}")), label: "MONEY", value: money_symbol, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(format!(r"\b{NUM}{SCALE}\s+(?:(U\.S\.|US|American|Pakistani|Indian|Afghan)\s+)?(dollars?|euros?|pounds?|afghanis?|rupees?|yen|yuan|riyals?|dirhams?|soles|sol|pesos?|francs?|lira|liras|rubles?|roubles?|dinars?|shillings?|rand|naira|taka|baht|won|ringgit|rupiah|somoni|tenge|manat|hryvnias?|reais|real|zlotys?|krona|kronor|krone|kroner)\b")), label: "MONEY", value: money_word, needs_cd: false, strict: true, not_before_plural: false },
            // PERCENT
            Rule { re: r(format!(r"\b{NUM}\s*(?:%|percent\b|per\s+cent\b)")), label: "PERCENT", value: percent, needs_cd: false, strict: true, not_before_plural: false },
            // DATE, absolute
            Rule { re: r(format!(r"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")), label: "DATE", value: date_mdy, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(format!(r"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH},?\s+(\d{{4}})\b")), label: "DATE", value: date_dmy, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(format!(r"\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")), label: "DATE", value: date_md, needs_cd: false, strict: false, not_before_plural: false },
            Rule { re: r(format!(r"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}")), label: "DATE", value: date_dm, needs_cd: false, strict: false, not_before_plural: false },
            Rule { re: r(format!(r"\b{MONTH}\s+(?:of\s+)?(\d{{4}})\b")), label: "DATE", value: date_my, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(r"\b(\d{4})-(\d{2})-(\d{2})\b".into()), label: "DATE", value: date_iso, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(r"\b(19\d\d|20\d\d)\b".into()), label: "DATE", value: date_year, needs_cd: false, strict: false, not_before_plural: true },
            // Bare month names except "May"/"March", which are mostly a verb and a noun.
            Rule { re: r(r"\b(january|february|april|june|july|august|september|october|november|december)\b".into()), label: "DATE", value: date_month, needs_cd: false, strict: false, not_before_plural: false },
            // DATE, relative
            Rule { re: r(format!(r"\b(?:(last|next|this|past)\s+)?{WEEKDAY}\b")), label: "DATE", value: date_weekday, needs_cd: false, strict: false, not_before_plural: false },
            Rule { re: r(r"\b(today|yesterday|tomorrow)\b".into()), label: "DATE", value: date_deictic, needs_cd: false, strict: false, not_before_plural: false },
            Rule { re: r(r"\b(?:(earlier|later)\s+)?(last|next|this|past)\s+(year|month|week)\b".into()), label: "DATE", value: date_relative, needs_cd: false, strict: false, not_before_plural: false },
            Rule { re: r(format!(r"\b(\d+|a|an|{NUMWORD})\s+(days?|weeks?|months?|years?)\s+ago\b")), label: "DATE", value: date_ago, needs_cd: false, strict: false, not_before_plural: false },
            // DATE, durations and parts of a year: "two days earlier", "11 years", "30 days",
            // "the first quarter of 2026". Value: an ISO 8601 duration ("P2D") or period.
            Rule { re: r(format!(r"\b(\d+|{NUMWORD}(?:-{NUMWORD})?)\s+(days?|weeks?|months?|years?|decades?)(?:\s+(earlier|later|before|after|previously|prior))?\b")), label: "DATE", value: duration, needs_cd: true, strict: false, not_before_plural: false },
            Rule { re: r(r"\b(?:the\s+)?(first|second|third|fourth|last|final)\s+(quarter|half)\s+of\s+(\d{4})\b".into()), label: "DATE", value: year_part, needs_cd: false, strict: true, not_before_plural: false },
            // TIME, durations under a day: "four minutes", "two hours".
            Rule { re: r(format!(r"\b(\d+|{NUMWORD}(?:-{NUMWORD})?)\s+(seconds?|minutes?|hours?)\b")), label: "TIME", value: duration, needs_cd: true, strict: false, not_before_plural: false },
            // TIME
            Rule { re: r(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.m\.?|p\.m\.?|am\b|pm\b)(?:\s+local\s+time\b)?".into()), label: "TIME", value: time_ampm, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(r"\b(\d{1,2}):(\d{2})\b(?:\s+local\s+time\b)?".into()), label: "TIME", value: time_24, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(r"\b(noon|midday|midnight)\b".into()), label: "TIME", value: time_word, needs_cd: false, strict: false, not_before_plural: false },
            // CARDINAL
            Rule { re: r(format!(r"\b{NUM}(?:\s+(hundred|thousand|million|billion)\b)?")), label: "CARDINAL", value: cardinal_digits, needs_cd: false, strict: true, not_before_plural: false },
            Rule { re: r(format!(r"\b{NUMWORD}(?:[\s-]+(?:and\s+)?{NUMWORD})*\b")), label: "CARDINAL", value: cardinal_words, needs_cd: true, strict: true, not_before_plural: false },
            Rule { re: r(r"\b(dozens|scores|hundreds|thousands|tens of thousands|hundreds of thousands)\b".into()), label: "CARDINAL", value: |_, _| None, needs_cd: false, strict: false, not_before_plural: false },
        ];
        v.shrink_to_fit();
        v
    })
}

/// The article's publication date, from "2024-12-11" or an RFC 3339 date-time.
pub fn anchor(published: Option<&str>) -> Option<NaiveDate> {
    let p = published?.trim();
    NaiveDate::parse_from_str(p.get(..10)?, "%Y-%m-%d").ok()
}

/// All value mentions of the document (overlapping candidates included; see module doc).
pub(crate) fn find(doc: &Document) -> Vec<Draft> {
    let anchor = anchor(doc.meta.published.as_deref());
    let mut out = Vec::new();
    for rule in rules() {
        for caps in rule.re.captures_iter(&doc.text) {
            let m = caps.get(0).expect("group 0");
            let Some(tokens) = align(doc, m.start(), m.end()) else { continue };
            // Spelled-out numbers must open on a word the tagger calls CD.
            if rule.needs_cd && doc.tokens[tokens.start].tags.as_ref().is_some_and(|t| t.pos != "CD") {
                continue;
            }
            if doc.tokens[tokens.start].sentence != doc.tokens[tokens.end - 1].sentence {
                continue;
            }
            // "the only one", "no one", "each one": a pronoun, not a count.
            if rule.needs_cd
                && rule.label == "CARDINAL"
                && m.as_str().eq_ignore_ascii_case("one")
                && tokens.start > 0
                && matches!(
                    doc.token_text(tokens.start - 1).to_ascii_lowercase().as_str(),
                    "the"
                        | "only"
                        | "no"
                        | "any"
                        | "each"
                        | "every"
                        | "this"
                        | "that"
                        | "which"
                        | "another"
                        | "someone"
                        | "anyone"
                )
            {
                continue;
            }
            if rule.not_before_plural
                && doc
                    .tokens
                    .get(tokens.end)
                    .and_then(|t| t.tags.as_ref())
                    .is_some_and(|t| t.pos == "NNS" || t.pos == "NNPS")
            {
                continue;
            }
            let value = (rule.value)(&caps, anchor);
            if rule.strict && value.is_none() {
                continue;
            }
            let mut d = Draft::new(tokens, rule.label, 1.0, MentionSource::Rule);
            d.value = value;
            out.push(d);
        }
    }
    out
}

/// Token range whose first token starts at `start` and last token ends at `end` (a final
/// period the tokenizer split off, as in "p.m" + ".", may be dropped).
pub(crate) fn align(doc: &Document, start: usize, end: usize) -> Option<Range<usize>> {
    let toks = &doc.tokens;
    let i = toks.partition_point(|t| t.span.start < start);
    if i >= toks.len() || toks[i].span.start != start {
        return None;
    }
    for e in [end, end.saturating_sub(1)] {
        if e <= start {
            continue;
        }
        let j = toks.partition_point(|t| t.span.end < e);
        if j < toks.len() && toks[j].span.end == e && j >= i {
            if e != end && !doc.text[e..end].starts_with('.') {
                continue;
            }
            return Some(i..j + 1);
        }
    }
    None
}

// ---------- number helpers ----------

/// Exact decimal `num * 10^exp` as a plain string without trailing fraction zeros.
fn scale(num: &str, exp: u32) -> String {
    let clean: String = num.chars().filter(|c| *c != ',').collect();
    let (int, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    let mut digits = format!("{int}{frac}");
    let point = int.len() as i64 + exp as i64;
    while (digits.len() as i64) < point {
        digits.push('0');
    }
    let (a, b) = digits.split_at(point as usize);
    let a = a.trim_start_matches('0');
    let b = b.trim_end_matches('0');
    let a = if a.is_empty() { "0" } else { a };
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn scale_exp(word: Option<&str>) -> u32 {
    match word.map(|w| w.to_ascii_lowercase()) {
        Some(w) => match w.as_str() {
            "hundred" => 2,
            "thousand" | "k" => 3,
            "million" | "m" | "mn" => 6,
            "billion" | "bn" => 9,
            "trillion" => 12,
            _ => 0,
        },
        None => 0,
    }
}

/// "twenty-five" -> 25, "three hundred" -> 300, "two million" -> 2000000, "a dozen" -> 12.
pub fn parse_number_words(s: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut cur: u64 = 0;
    let mut any = false;
    for w in s.to_lowercase().split(|c: char| c.is_whitespace() || c == '-').filter(|w| !w.is_empty() && *w != "and") {
        let small = match w {
            "zero" => Some(0),
            "one" | "a" | "an" => Some(1),
            "two" => Some(2),
            "three" => Some(3),
            "four" => Some(4),
            "five" => Some(5),
            "six" => Some(6),
            "seven" => Some(7),
            "eight" => Some(8),
            "nine" => Some(9),
            "ten" => Some(10),
            "eleven" => Some(11),
            "twelve" => Some(12),
            "thirteen" => Some(13),
            "fourteen" => Some(14),
            "fifteen" => Some(15),
            "sixteen" => Some(16),
            "seventeen" => Some(17),
            "eighteen" => Some(18),
            "nineteen" => Some(19),
            "twenty" => Some(20),
            "thirty" => Some(30),
            "forty" => Some(40),
            "fifty" => Some(50),
            "sixty" => Some(60),
            "seventy" => Some(70),
            "eighty" => Some(80),
            "ninety" => Some(90),
            _ => None,
        };
        any = true;
        if let Some(n) = small {
            cur = cur.checked_add(n)?;
            continue;
        }
        match w {
            "dozen" => cur = cur.max(1).checked_mul(12)?,
            "hundred" => cur = cur.max(1).checked_mul(100)?,
            "thousand" | "million" | "billion" => {
                let m = match w {
                    "thousand" => 1_000,
                    "million" => 1_000_000,
                    _ => 1_000_000_000,
                };
                total = total.checked_add(cur.max(1).checked_mul(m)?)?;
                cur = 0;
            }
            _ => return None,
        }
    }
    any.then_some(total + cur)
}

fn money_code(sym: &str, qualifier: Option<&str>) -> &'static str {
    let q = qualifier.unwrap_or("").to_ascii_lowercase();
    match sym.to_ascii_lowercase().trim_end_matches('s') {
        "$" | "dollar" => "USD",
        "€" | "euro" => "EUR",
        "£" | "pound" => "GBP",
        "¥" | "yen" => "JPY",
        "yuan" => "CNY",
        "afghani" => "AFN",
        "riyal" => "SAR",
        "dirham" => "AED",
        "sole" | "sol" => "PEN",
        "ruble" | "rouble" => "RUB",
        "lira" => "TRY",
        "somoni" => "TJS",
        "tenge" => "KZT",
        "baht" => "THB",
        "naira" => "NGN",
        "rand" => "ZAR",
        "won" => "KRW",
        "ringgit" => "MYR",
        "rupiah" => "IDR",
        "taka" => "BDT",
        "hryvnia" => "UAH",
        "zloty" => "PLN",
        "rupee" if q == "pakistani" => "PKR",
        "rupee" => "INR",
        _ => "XXX",
    }
}

fn money_symbol(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(format!("{} {}", money_code(&c[1], None), scale(&c[2], scale_exp(c.get(3).map(|m| m.as_str())))))
}

fn money_word(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    let code = money_code(&c[4], c.get(3).map(|m| m.as_str()));
    Some(format!("{code} {}", scale(&c[1], scale_exp(c.get(2).map(|m| m.as_str())))))
}

fn percent(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(scale(&c[1], 0))
}

fn cardinal_digits(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(scale(&c[1], scale_exp(c.get(2).map(|m| m.as_str()))))
}

fn cardinal_words(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    parse_number_words(&c[0]).map(|n| n.to_string())
}

// ---------- date helpers ----------

/// Month number of a full or abbreviated English month name ("December", "Dec.", "Sept").
pub(crate) fn month_num(s: &str) -> Option<u32> {
    let s = s.to_ascii_lowercase();
    let s = s.trim_end_matches('.');
    const M: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    M.iter()
        .position(|m| *m == s || (s.len() >= 3 && s.len() <= 4 && (m.starts_with(s)) && (s.len() == 3 || s == "sept")))
        .map(|i| i as u32 + 1)
}

fn ymd(y: i32, m: u32, d: u32) -> Option<String> {
    NaiveDate::from_ymd_opt(y, m, d).map(|d| d.format("%Y-%m-%d").to_string())
}

fn date_mdy(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    ymd(c[3].parse().ok()?, month_num(&c[1])?, c[2].parse().ok()?)
}
fn date_dmy(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    ymd(c[3].parse().ok()?, month_num(&c[2])?, c[1].parse().ok()?)
}
fn date_md(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    ymd(a?.year(), month_num(&c[1])?, c[2].parse().ok()?)
}
fn date_dm(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    ymd(a?.year(), month_num(&c[2])?, c[1].parse().ok()?)
}
fn date_my(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(format!("{}-{:02}", &c[2], month_num(&c[1])?))
}
fn date_iso(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    ymd(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?)
}
fn date_year(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(c[1].to_string())
}
fn date_month(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    Some(format!("{}-{:02}", a?.year(), month_num(&c[1])?))
}

fn weekday(s: &str) -> Option<Weekday> {
    s.to_ascii_lowercase().parse::<Weekday>().ok()
}

/// "Wednesday"/"on Wednesday": news reports the past, so the latest such day on or before
/// publication; "last" strictly before, "next" strictly after, "this" within the same week.
fn date_weekday(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    let a = a?;
    let wd = weekday(&c[2])?;
    let diff = (a.weekday().num_days_from_monday() as i64) - (wd.num_days_from_monday() as i64);
    let back = diff.rem_euclid(7) as u64;
    let d = match c.get(1).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
        Some("next") => a.checked_add_days(Days::new(if back == 0 { 7 } else { 7 - back }))?,
        Some("last") | Some("past") => a.checked_sub_days(Days::new(if back == 0 { 7 } else { back }))?,
        Some("this") => {
            let monday = a.checked_sub_days(Days::new(a.weekday().num_days_from_monday() as u64))?;
            monday.checked_add_days(Days::new(wd.num_days_from_monday() as u64))?
        }
        _ => a.checked_sub_days(Days::new(back))?,
    };
    Some(d.format("%Y-%m-%d").to_string())
}

fn date_deictic(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    let a = a?;
    let d = match c[1].to_ascii_lowercase().as_str() {
        "yesterday" => a.pred_opt()?,
        "tomorrow" => a.succ_opt()?,
        _ => a,
    };
    Some(d.format("%Y-%m-%d").to_string())
}

fn date_relative(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    let a = a?;
    let rel = c[2].to_ascii_lowercase();
    let off: i32 = match rel.as_str() {
        "last" | "past" => -1,
        "next" => 1,
        _ => 0,
    };
    match c[3].to_ascii_lowercase().as_str() {
        "year" => Some(format!("{}", a.year() + off)),
        "month" => {
            let d = match off {
                -1 => a.checked_sub_months(Months::new(1))?,
                1 => a.checked_add_months(Months::new(1))?,
                _ => a,
            };
            Some(d.format("%Y-%m").to_string())
        }
        _ => {
            let d = match off {
                -1 => a.checked_sub_days(Days::new(7))?,
                1 => a.checked_add_days(Days::new(7))?,
                _ => a,
            };
            Some(d.format("%G-W%V").to_string())
        }
    }
}

fn date_ago(c: &Captures, a: Option<NaiveDate>) -> Option<String> {
    let a = a?;
    let n: u32 = match c[1].parse() {
        Ok(n) => n,
        Err(_) => parse_number_words(&c[1])?.try_into().ok()?,
    };
    let unit = c[2].to_ascii_lowercase();
    if unit.starts_with("day") {
        Some(a.checked_sub_days(Days::new(n as u64))?.format("%Y-%m-%d").to_string())
    } else if unit.starts_with("week") {
        Some(a.checked_sub_days(Days::new(7 * n as u64))?.format("%G-W%V").to_string())
    } else if unit.starts_with("month") {
        Some(a.checked_sub_months(Months::new(n))?.format("%Y-%m").to_string())
    } else {
        Some(format!("{}", a.year() - n as i32))
    }
}

/// ISO 8601 duration of "<n> <unit>" ("P2D", "P11Y", "PT4M"), whatever word follows.
fn duration(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    let n: u64 = match c[1].parse() {
        Ok(n) => n,
        Err(_) => parse_number_words(&c[1])?,
    };
    let unit = c[2].to_ascii_lowercase();
    let (t, u, n) = match unit.trim_end_matches('s') {
        "second" => ("T", 'S', n),
        "minute" => ("T", 'M', n),
        "hour" => ("T", 'H', n),
        "day" => ("", 'D', n),
        "week" => ("", 'W', n),
        "month" => ("", 'M', n),
        "decade" => ("", 'Y', n * 10),
        _ => ("", 'Y', n),
    };
    Some(format!("P{t}{n}{u}"))
}

/// "the first quarter of 2026" -> "2026-Q1", "the second half of 2025" -> "2025-H2".
fn year_part(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    let which = c[1].to_ascii_lowercase();
    let half = c[2].eq_ignore_ascii_case("half");
    let k = match which.as_str() {
        "first" => 1,
        "second" => 2,
        "third" if !half => 3,
        "fourth" if !half => 4,
        "last" | "final" => {
            if half {
                2
            } else {
                4
            }
        }
        _ => return None,
    };
    Some(format!("{}-{}{k}", &c[3], if half { 'H' } else { 'Q' }))
}

fn time_ampm(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    let h: u32 = c[1].parse().ok()?;
    let m: u32 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
    if !(1..=12).contains(&h) || m > 59 {
        return None;
    }
    let pm = c[3].to_ascii_lowercase().starts_with('p');
    let h24 = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    Some(format!("T{h24:02}:{m:02}"))
}

fn time_24(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    let h: u32 = c[1].parse().ok()?;
    let m: u32 = c[2].parse().ok()?;
    (h < 24 && m < 60).then(|| format!("T{h:02}:{m:02}"))
}

fn time_word(c: &Captures, _: Option<NaiveDate>) -> Option<String> {
    Some(if c[1].eq_ignore_ascii_case("midnight") { "T00:00" } else { "T12:00" }.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::testdoc::doc_published;
    use super::super::{extract, EntityConfig};
    use super::*;

    /// (text, label, value) of the value mentions `extract` keeps.
    fn values(spec: &str, published: Option<&str>) -> Vec<(String, String, Option<String>)> {
        let mut d = doc_published(spec, published);
        extract(&mut d, &EntityConfig::default());
        d.mentions
            .iter()
            .filter(|m| super::super::is_value_label(&m.label))
            .map(|m| (d.slice(m.span).to_string(), m.label.clone(), m.value.clone()))
            .collect()
    }
    fn v(t: &str, l: &str, val: Option<&str>) -> (String, String, Option<String>) {
        (t.into(), l.into(), val.map(String::from))
    }

    #[test]
    fn absolute_dates() {
        assert_eq!(
            values("It happened on December 11 ~, 2024 .", None),
            vec![v("December 11, 2024", "DATE", Some("2024-12-11"))]
        );
        assert_eq!(values("on 3 Sept. 2023 .", None), vec![v("3 Sept. 2023", "DATE", Some("2023-09-03"))]);
        assert_eq!(values("in March 2021", None), vec![v("March 2021", "DATE", Some("2021-03"))]);
        assert_eq!(values("dated 2024-12-11 .", None), vec![v("2024-12-11", "DATE", Some("2024-12-11"))]);
        // An impossible ISO date gets no invented value.
        let got = values("dated 2024-02-30", None);
        assert!(got.iter().all(|(_, _, val)| val.as_deref() != Some("2024-02-30")), "{got:?}");
    }

    #[test]
    fn relative_dates_resolve_against_published() {
        let p = Some("2024-12-11T09:30:00Z"); // a Wednesday
        assert_eq!(values("said on Wednesday", p), vec![v("Wednesday", "DATE", Some("2024-12-11"))]);
        assert_eq!(values("attacked on Monday", p), vec![v("Monday", "DATE", Some("2024-12-09"))]);
        assert_eq!(values("met last Wednesday", p), vec![v("last Wednesday", "DATE", Some("2024-12-04"))]);
        assert_eq!(values("will meet next Friday", p), vec![v("next Friday", "DATE", Some("2024-12-13"))]);
        assert_eq!(values("rose last year", p), vec![v("last year", "DATE", Some("2023"))]);
        assert_eq!(values("earlier this month", p), vec![v("earlier this month", "DATE", Some("2024-12"))]);
        assert_eq!(values("three days ago", p), vec![v("three days ago", "DATE", Some("2024-12-08"))]);
        assert_eq!(values("yesterday", p), vec![v("yesterday", "DATE", Some("2024-12-10"))]);
        assert_eq!(values("on December 2", p), vec![v("December 2", "DATE", Some("2024-12-02"))]);
        // Without an anchor the mention is kept but has no value.
        assert_eq!(values("said on Wednesday", None), vec![v("Wednesday", "DATE", None)]);
        assert_eq!(values("rose last year", Some("not a date")), vec![v("last year", "DATE", None)]);
    }

    #[test]
    fn times() {
        assert_eq!(values("at 10:30 p.m. local time", None), vec![v("10:30 p.m. local time", "TIME", Some("T22:30"))]);
        assert_eq!(values("about 6 am", None), vec![v("6 am", "TIME", Some("T06:00"))]);
        assert_eq!(values("around midnight", None), vec![v("midnight", "TIME", Some("T00:00"))]);
        assert_eq!(values("at 25:10", None).iter().filter(|x| x.1 == "TIME").count(), 0);
    }

    #[test]
    fn money_and_percent() {
        assert_eq!(values("a $ ~1.2 million reward", None), vec![v("$1.2 million", "MONEY", Some("USD 1200000"))]);
        assert_eq!(values("paid 500 afghanis", None), vec![v("500 afghanis", "MONEY", Some("AFN 500"))]);
        assert_eq!(
            values("cost 3.75 billion Pakistani rupees", None),
            vec![v("3.75 billion Pakistani rupees", "MONEY", Some("PKR 3750000000"))]
        );
        assert_eq!(values("fell 12.5 ~% and", None), vec![v("12.5%", "PERCENT", Some("12.5"))]);
        assert_eq!(values("up 40 percent", None), vec![v("40 percent", "PERCENT", Some("40"))]);
    }

    #[test]
    fn cardinals_and_casualty_counts() {
        assert_eq!(values("at least 1,200 people", None), vec![v("1,200", "CARDINAL", Some("1200"))]);
        assert_eq!(values("twenty-five soldiers", None), vec![v("twenty-five", "CARDINAL", Some("25"))]);
        assert_eq!(values("killed 2.5 million", None), vec![v("2.5 million", "CARDINAL", Some("2500000"))]);
        assert_eq!(values("dozens were wounded", None), vec![v("dozens", "CARDINAL", None)]);
        // A year-like number before a plural noun is a count; elsewhere it is a year.
        let mut d = super::super::testdoc::doc("killed 2000 people in 2019");
        d.tokens[2].tags.as_mut().unwrap().pos = "NNS".into();
        extract(&mut d, &EntityConfig::default());
        let got: Vec<(&str, &str)> = d.mentions.iter().map(|m| (d.slice(m.span), m.label.as_str())).collect();
        assert_eq!(got, vec![("2000", "CARDINAL"), ("2019", "DATE")]);
        // Part of a word is not a number; a number inside a name mention is not a value.
        assert_eq!(values("the A12 road", None), vec![]);
        assert_eq!(values("Resolution/MISC 1373/MISC passed", None), vec![]);
    }

    #[test]
    fn durations_and_parts_of_years() {
        assert_eq!(values("warned two days earlier .", None), vec![v("two days earlier", "DATE", Some("P2D"))]);
        assert_eq!(values("flown for 11 years ,", None), vec![v("11 years", "DATE", Some("P11Y"))]);
        assert_eq!(values("within 30 days ,", None), vec![v("30 days", "DATE", Some("P30D"))]);
        assert_eq!(values("four minutes after", None), vec![v("four minutes", "TIME", Some("PT4M"))]);
        assert_eq!(
            values("in the first quarter of 2026 ,", None),
            vec![v("the first quarter of 2026", "DATE", Some("2026-Q1"))]
        );
        assert_eq!(values("pay 50,000 soles each", None), vec![v("50,000 soles", "MONEY", Some("PEN 50000"))]);
        // "one" as a pronoun is no count.
        assert_eq!(values("the only one that", None), vec![]);
    }

    #[test]
    fn number_words_and_scaling() {
        assert_eq!(parse_number_words("three hundred and twelve"), Some(312));
        assert_eq!(parse_number_words("two million"), Some(2_000_000));
        assert_eq!(parse_number_words("a dozen"), Some(12));
        assert_eq!(parse_number_words("many"), None);
        assert_eq!(scale("1.25", 6), "1250000");
        assert_eq!(scale("0.5", 3), "500");
        assert_eq!(scale("12.50", 0), "12.5");
        assert_eq!(scale("1,000", 0), "1000");
        assert_eq!(
            (month_num("Sept."), month_num("dec"), month_num("Janet"), month_num("Ma")),
            (Some(9), Some(12), None, None)
        );
    }
}
