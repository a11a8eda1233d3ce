//! Pattern and lexicon data for statements and relations.
//!
//! Every cue list, relation phrase and role word lives in a TSV file under `data/patterns/`,
//! compiled in with `include_str!` and parsed once. The code only knows the *shapes* of the
//! patterns (cue + speaker, a predicate frame over the parse, title + name...); which words
//! and frames fill them is data, and the [`Lexicon::fingerprint`] (sha256 over every file's name and
//! contents plus [`PATTERNS_VERSION`]) changes whenever any of it does, so cached outputs made
//! with other patterns are never reused.
//!
//! There are no lemmas in the tagger output, so [`Lexicon::lemma`] lemmatizes verbs with an
//! irregular-form table plus suffix rules, choosing among the candidate stems the one the
//! lexicons know ("accused" -> "accuse", "killed" -> "kill", "denied" -> "deny").

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// Bump when the code's reading of the pattern files changes meaning.
pub const PATTERNS_VERSION: &str = "claims-patterns/2";

/// The built-in pattern files: (name, contents).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("lemmas.tsv", include_str!("../../../data/patterns/lemmas.tsv")),
    ("speech_cues.tsv", include_str!("../../../data/patterns/speech_cues.tsv")),
    ("hedges.tsv", include_str!("../../../data/patterns/hedges.tsv")),
    ("negations.tsv", include_str!("../../../data/patterns/negations.tsv")),
    ("frames.tsv", include_str!("../../../data/patterns/frames.tsv")),
    ("light_verbs.tsv", include_str!("../../../data/patterns/light_verbs.tsv")),
    ("titles.tsv", include_str!("../../../data/patterns/titles.tsv")),
    ("family.tsv", include_str!("../../../data/patterns/family.tsv")),
    ("event_nouns.tsv", include_str!("../../../data/patterns/event_nouns.tsv")),
    ("pronouns.tsv", include_str!("../../../data/patterns/pronouns.tsv")),
    ("honorifics.tsv", include_str!("../../../data/patterns/honorifics.tsv")),
    ("org_nouns.tsv", include_str!("../../../data/patterns/org_nouns.tsv")),
    ("count_modifiers.tsv", include_str!("../../../data/patterns/count_modifiers.tsv")),
    ("media_nouns.tsv", include_str!("../../../data/patterns/media_nouns.tsv")),
    ("subordinates.tsv", include_str!("../../../data/patterns/subordinates.tsv")),
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LexiconError {
    #[error("{file}:{line}: expected {expected} tab-separated fields, found {found}")]
    Fields { file: String, line: usize, expected: usize, found: usize },
    #[error("{file}:{line}: unknown value {value:?} in column {column}")]
    Value { file: String, line: usize, column: usize, value: String },
    #[error("pattern file {0} is missing")]
    Missing(String),
}

/// How an attribution cue bears on what it introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueEffect {
    Speech,
    Deny,
    Hedge,
    /// A belief, finding, wish or plan the speaker holds ("found that ...", "wants to ..."): a
    /// statement only with a clause for content, never with a bare object ("found the body").
    Stance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    M,
    F,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegKind {
    /// Negates through the subject noun phrase ("no group").
    Det,
    /// Negates the verb ("not", "never").
    Adv,
}

/// What a frame's trigger is (`frames.tsv`, first column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FrameKind {
    Verb,
    /// A noun, or an adjective standing as a predicate ("responsible for").
    Noun,
    /// Every verb and noun: attachments such as "X ... in Y".
    Any,
}

/// Where a slot path starts from the trigger (see the header of `frames.tsv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotRel {
    Subj,
    Obj,
    /// An obl or nmod child introduced by this preposition.
    Prep(String),
    Poss,
    Compound,
    Head,
    /// An appositive of the trigger ("Raqqah, Syria").
    Appos,
    /// The noun an adjective trigger modifies, or what that noun stands in apposition to
    /// ("Karimi Group, a Dubai-based company").
    Modified,
    This,
}

/// One alternative of a slot: a dependency step and, optionally, the lemma it must reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPath {
    pub rel: SlotRel,
    pub lemma: Option<String>,
}

/// One predicate frame: a trigger, where its two arguments are, and what relation it states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// "verb:claim+responsibility", "noun:battle", "any:*": recorded on each relation.
    pub id: String,
    pub kind: FrameKind,
    pub lemma: String,
    /// A particle the trigger must carry ("carry out").
    pub particle: Option<String>,
    /// A noun the trigger must govern ("claim responsibility").
    pub noun: Option<String>,
    pub subject: Vec<SlotPath>,
    pub object: Vec<SlotPath>,
    pub predicate: String,
    pub rtype: String,
    /// The frame itself denies the relation ("deny responsibility for").
    pub negated: bool,
    /// Numeric objects are functional (two different counts conflict).
    pub count: bool,
    /// With no object, the object is the article's current event.
    pub implicit: bool,
    /// The object must be a person or an organization.
    pub who: bool,
    /// The object must be a place and the subject not one.
    pub place: bool,
    /// Both arguments must be places (one inside the other).
    pub within: bool,
    /// The subject must be a person or an organization.
    pub agent: bool,
    /// The object must be an event phrase ("claimed the attack").
    pub event: bool,
    /// With no organization for the object, the title itself is the subject's role value
    /// (`has_title`): "Turkey's ambassador in Kabul, X".
    pub title_value: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleEntry {
    pub predicate: String,
    pub rtype: String,
    /// A military rank or form of address ("Commander X"): alone before a name, not a role.
    pub rank: bool,
}

#[derive(Debug, Clone)]
pub struct Pronoun {
    pub target: String,
    pub gender: Option<Gender>,
}

/// All pattern data, parsed.
#[derive(Debug, Clone)]
pub struct Lexicon {
    irregular: BTreeMap<String, String>,
    known: BTreeSet<String>,
    pub cues: BTreeMap<String, CueEffect>,
    /// Hedge cues as word sequences (single words match a word or a verb lemma).
    pub hedges: Vec<Vec<String>>,
    pub negations: Vec<(Vec<String>, NegKind)>,
    /// Frames by kind, then trigger lemma ("*" for [`FrameKind::Any`]).
    frames: BTreeMap<FrameKind, BTreeMap<String, Vec<Frame>>>,
    pub light_verbs: BTreeSet<String>,
    /// The frame of a title that names no organization: the title is a `has_title` value.
    pub has_title: Frame,
    /// Keyed by the title words joined with a space.
    pub titles: BTreeMap<String, TitleEntry>,
    /// Modifiers that make a leader's title a member's ("deputy governor", "gang leader").
    pub subordinates: BTreeSet<String>,
    pub family: BTreeMap<String, String>,
    pub events: BTreeMap<String, String>,
    pub pronouns: BTreeMap<String, Pronoun>,
    pub honorifics: BTreeMap<String, Gender>,
    pub org_nouns: BTreeSet<String>,
    pub count_modifiers: Vec<Vec<String>>,
    /// Nouns naming the medium a source speaks through ("said in a statement").
    pub media_nouns: BTreeSet<String>,
    /// Longest title / family phrase, in words, bounding the phrase lookups.
    pub max_title_words: usize,
    fingerprint: String,
}

fn rows<'a>(
    name: &'a str,
    text: &'a str,
    n: usize,
) -> impl Iterator<Item = Result<(usize, Vec<&'a str>), LexiconError>> + 'a {
    text.lines().enumerate().filter_map(move |(i, line)| {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            return None;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        if fields.len() != n {
            return Some(Err(LexiconError::Fields {
                file: name.to_string(),
                line: i + 1,
                expected: n,
                found: fields.len(),
            }));
        }
        Some(Ok((i + 1, fields)))
    })
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(|w| w.to_lowercase()).collect()
}

fn gender(file: &str, line: usize, column: usize, v: &str) -> Result<Option<Gender>, LexiconError> {
    match v {
        "M" => Ok(Some(Gender::M)),
        "F" => Ok(Some(Gender::F)),
        "-" => Ok(None),
        _ => Err(LexiconError::Value { file: file.into(), line, column, value: v.into() }),
    }
}

impl Lexicon {
    /// The lexicon compiled into the binary.
    pub fn builtin() -> Result<Self, LexiconError> {
        Self::from_files(BUILTIN_FILES)
    }

    /// Parses a full set of pattern files (every name in [`BUILTIN_FILES`] must be present).
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, LexiconError> {
        let get = |name: &str| -> Result<&str, LexiconError> {
            files.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(|| LexiconError::Missing(name.into()))
        };
        let mut hasher = Sha256::new();
        hasher.update(PATTERNS_VERSION.as_bytes());
        let mut sorted: Vec<&(&str, &str)> = files.iter().collect();
        sorted.sort_by_key(|(n, _)| *n);
        for (name, text) in sorted {
            hasher.update([0u8]);
            hasher.update(name.as_bytes());
            hasher.update([0u8]);
            hasher.update(text.as_bytes());
        }
        let fingerprint: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

        let mut irregular = BTreeMap::new();
        for r in rows("lemmas.tsv", get("lemmas.tsv")?, 2) {
            let (_, f) = r?;
            irregular.insert(f[0].to_lowercase(), f[1].to_lowercase());
        }
        let mut cues = BTreeMap::new();
        for r in rows("speech_cues.tsv", get("speech_cues.tsv")?, 2) {
            let (line, f) = r?;
            let effect = match f[1] {
                "speech" => CueEffect::Speech,
                "deny" => CueEffect::Deny,
                "hedge" => CueEffect::Hedge,
                "stance" => CueEffect::Stance,
                v => {
                    return Err(LexiconError::Value {
                        file: "speech_cues.tsv".into(),
                        line,
                        column: 2,
                        value: v.into(),
                    })
                }
            };
            cues.insert(f[0].to_lowercase(), effect);
        }
        let mut hedges = Vec::new();
        for r in rows("hedges.tsv", get("hedges.tsv")?, 1) {
            hedges.push(words(r?.1[0]));
        }
        let mut negations = Vec::new();
        for r in rows("negations.tsv", get("negations.tsv")?, 2) {
            let (line, f) = r?;
            let kind = match f[1] {
                "det" => NegKind::Det,
                "adv" => NegKind::Adv,
                v => {
                    return Err(LexiconError::Value { file: "negations.tsv".into(), line, column: 2, value: v.into() })
                }
            };
            negations.push((words(f[0]), kind));
        }
        let mut frames: BTreeMap<FrameKind, BTreeMap<String, Vec<Frame>>> = BTreeMap::new();
        for r in rows("frames.tsv", get("frames.tsv")?, 7) {
            let (line, f) = r?;
            let frame = parse_frame(line, &f)?;
            frames.entry(frame.kind).or_default().entry(frame.lemma.clone()).or_default().push(frame);
        }
        let mut light_verbs = BTreeSet::new();
        for r in rows("light_verbs.tsv", get("light_verbs.tsv")?, 1) {
            light_verbs.insert(r?.1[0].to_lowercase());
        }
        let mut titles = BTreeMap::new();
        for r in rows("titles.tsv", get("titles.tsv")?, 4) {
            let (line, f) = r?;
            let rank = match f[3] {
                "rank" => true,
                "-" => false,
                v => return Err(LexiconError::Value { file: "titles.tsv".into(), line, column: 4, value: v.into() }),
            };
            titles.insert(words(f[0]).join(" "), TitleEntry { predicate: f[1].into(), rtype: f[2].into(), rank });
        }
        let mut subordinates = BTreeSet::new();
        for r in rows("subordinates.tsv", get("subordinates.tsv")?, 1) {
            subordinates.insert(r?.1[0].to_lowercase());
        }
        // A one-word title is also a noun frame on the parse: "A Taliban spokesman, X",
        // "X, a spokesman for Y", "X is the group's spokesman".
        for (title, entry) in titles.iter().filter(|(t, _)| !t.contains(' ')) {
            let path = |rel: SlotRel| SlotPath { rel, lemma: None };
            let object = [SlotRel::Compound, SlotRel::Poss]
                .into_iter()
                .chain(["of", "for", "at", "with"].map(|p| SlotRel::Prep(p.to_string())))
                .map(path)
                .collect();
            frames.entry(FrameKind::Noun).or_default().entry(title.clone()).or_default().push(Frame {
                id: format!("title:{title}"),
                subject: vec![path(SlotRel::Appos), path(SlotRel::Head), path(SlotRel::Subj)],
                object,
                predicate: entry.predicate.clone(),
                rtype: entry.rtype.clone(),
                title_value: true,
                ..Frame::noun(title)
            });
        }
        let mut family = BTreeMap::new();
        for r in rows("family.tsv", get("family.tsv")?, 2) {
            let (_, f) = r?;
            family.insert(f[0].to_lowercase(), f[1].to_string());
        }
        // So is a family word: "X, the brother-in-law of Y", "Y's uncle, X".
        for (word, predicate) in &family {
            let path = |rel: SlotRel| SlotPath { rel, lemma: None };
            frames.entry(FrameKind::Noun).or_default().entry(word.clone()).or_default().push(Frame {
                id: format!("family:{word}"),
                subject: vec![path(SlotRel::Appos), path(SlotRel::Head), path(SlotRel::Subj)],
                object: vec![path(SlotRel::Poss), path(SlotRel::Prep("of".into()))],
                predicate: predicate.clone(),
                rtype: "family".into(),
                ..Frame::noun(word)
            });
        }
        let mut events = BTreeMap::new();
        for r in rows("event_nouns.tsv", get("event_nouns.tsv")?, 2) {
            let (_, f) = r?;
            events.insert(f[0].to_lowercase(), f[1].to_string());
        }
        let mut pronouns = BTreeMap::new();
        for r in rows("pronouns.tsv", get("pronouns.tsv")?, 3) {
            let (line, f) = r?;
            let g = gender("pronouns.tsv", line, 3, f[2])?;
            pronouns.insert(f[0].to_lowercase(), Pronoun { target: f[1].to_string(), gender: g });
        }
        let mut honorifics = BTreeMap::new();
        for r in rows("honorifics.tsv", get("honorifics.tsv")?, 2) {
            let (line, f) = r?;
            if let Some(g) = gender("honorifics.tsv", line, 2, f[1])? {
                honorifics.insert(f[0].to_lowercase(), g);
            }
        }
        let mut org_nouns = BTreeSet::new();
        for r in rows("org_nouns.tsv", get("org_nouns.tsv")?, 1) {
            org_nouns.insert(r?.1[0].to_lowercase());
        }
        let mut count_modifiers = Vec::new();
        for r in rows("count_modifiers.tsv", get("count_modifiers.tsv")?, 1) {
            count_modifiers.push(words(r?.1[0]));
        }
        let mut media_nouns = BTreeSet::new();
        for r in rows("media_nouns.tsv", get("media_nouns.tsv")?, 1) {
            media_nouns.insert(r?.1[0].to_lowercase());
        }
        // Longest phrases first, so "at least" is tried before "least"-like prefixes.
        count_modifiers.sort_by_key(|w: &Vec<String>| std::cmp::Reverse(w.len()));

        // Lemma candidates are checked against every word the lexicons use.
        let mut known: BTreeSet<String> = BTreeSet::new();
        known.extend(irregular.values().cloned());
        known.extend(cues.keys().cloned());
        for f in frames.values().flat_map(BTreeMap::values).flatten() {
            known.insert(f.lemma.clone());
            known.extend(f.noun.iter().cloned());
        }
        known.extend(light_verbs.iter().cloned());
        for h in &hedges {
            known.extend(h.iter().cloned());
        }
        let max_title_words = titles.keys().chain(family.keys()).map(|k| k.split(' ').count()).max().unwrap_or(1);
        Ok(Lexicon {
            irregular,
            known,
            cues,
            hedges,
            negations,
            frames,
            light_verbs,
            has_title: Frame {
                id: "title:value".into(),
                predicate: "has_title".into(),
                rtype: "role".into(),
                who: false,
                ..Frame::noun("*")
            },
            titles,
            subordinates,
            family,
            events,
            pronouns,
            honorifics,
            org_nouns,
            count_modifiers,
            media_nouns,
            max_title_words,
            fingerprint,
        })
    }

    /// sha256 (hex) of [`PATTERNS_VERSION`] and every pattern file.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Lemma of a verb form (lowercase). Non-verbs come back lowercased.
    pub fn lemma(&self, word: &str) -> String {
        let w = word.to_lowercase();
        if let Some(l) = self.irregular.get(&w) {
            return l.clone();
        }
        if self.known.contains(&w) {
            return w;
        }
        let mut cands: Vec<String> = Vec::new();
        let strip = |suf: &str| w.strip_suffix(suf).filter(|s| s.len() >= 2).map(str::to_string);
        if let Some(s) = strip("ied").or_else(|| strip("ies")) {
            cands.push(format!("{s}y"));
        }
        // ("expelled" -> "expel", "controlling" -> "control": a doubled l the lexicons know.)
        let single_l = |s: &str| s.strip_suffix("ll").map(|t| format!("{t}l"));
        if let Some(s) = strip("ed") {
            cands.push(format!("{s}e"));
            cands.push(undouble(&s));
            cands.extend(single_l(&s));
            cands.push(s);
        } else if let Some(s) = strip("ing") {
            cands.push(format!("{s}e"));
            cands.push(undouble(&s));
            cands.extend(single_l(&s));
            cands.push(s);
        } else if let Some(s) = strip("es") {
            cands.push(s.clone());
            cands.push(format!("{s}e"));
        }
        if let Some(s) = strip("s") {
            if !w.ends_with("ss") {
                cands.push(s);
            }
        }
        if let Some(c) = cands.iter().find(|c| self.known.contains(c.as_str())) {
            return c.clone();
        }
        // Unknown verb: the plainest rule, which is all the lexicons could need of it.
        if let Some(s) = strip("ed").or_else(|| strip("ing")) {
            return undouble(&s);
        }
        w
    }

    /// The frames of a trigger lemma of this kind (`"*"` for [`FrameKind::Any`]).
    pub fn frames_for(&self, kind: FrameKind, lemma: &str) -> &[Frame] {
        self.frames.get(&kind).and_then(|m| m.get(lemma)).map_or(&[], Vec::as_slice)
    }

    /// Every frame.
    pub fn all_frames(&self) -> impl Iterator<Item = &Frame> {
        self.frames.values().flat_map(BTreeMap::values).flatten()
    }

    /// A noun naming a medium ("statement", "tweets"), in any case and number.
    pub fn is_medium_noun(&self, word: &str) -> bool {
        let w = word.to_lowercase();
        self.media_nouns.contains(&w) || w.strip_suffix('s').is_some_and(|s| self.media_nouns.contains(s))
    }

    pub fn is_hedge_word(&self, word: &str, lemma: &str) -> bool {
        self.hedges.iter().any(|h| h.len() == 1 && (h[0] == word || h[0] == lemma))
    }
}

impl Frame {
    /// A noun frame on `lemma` between people and organizations, slots to be filled in.
    fn noun(lemma: &str) -> Frame {
        Frame {
            id: String::new(),
            kind: FrameKind::Noun,
            lemma: lemma.to_string(),
            particle: None,
            noun: None,
            subject: Vec::new(),
            object: Vec::new(),
            predicate: String::new(),
            rtype: String::new(),
            negated: false,
            count: false,
            implicit: false,
            who: true,
            place: false,
            within: false,
            agent: true,
            event: false,
            title_value: false,
        }
    }
}

fn parse_frame(line: usize, f: &[&str]) -> Result<Frame, LexiconError> {
    let bad = |column: usize, value: &str| LexiconError::Value {
        file: "frames.tsv".into(),
        line,
        column,
        value: value.into(),
    };
    let kind = match f[0] {
        "verb" => FrameKind::Verb,
        "noun" => FrameKind::Noun,
        "any" => FrameKind::Any,
        v => return Err(bad(1, v)),
    };
    let mut trigger = f[1].split_whitespace();
    let lemma = trigger.next().ok_or_else(|| bad(2, f[1]))?.to_lowercase();
    let (mut particle, mut noun) = (None, None);
    for w in trigger {
        match w.strip_prefix('+') {
            Some(n) => noun = Some(n.to_lowercase()),
            None => particle = Some(w.to_lowercase()),
        }
    }
    let slots = |column: usize| -> Result<Vec<SlotPath>, LexiconError> {
        f[column - 1]
            .split('|')
            .map(|alt| {
                let (step, lemma) = match alt.split_once('=') {
                    Some((s, l)) => (s, Some(l.to_lowercase())),
                    None => (alt, None),
                };
                let rel = match step {
                    "subj" => SlotRel::Subj,
                    "obj" => SlotRel::Obj,
                    "poss" => SlotRel::Poss,
                    "compound" => SlotRel::Compound,
                    "head" => SlotRel::Head,
                    "appos" => SlotRel::Appos,
                    "modified" => SlotRel::Modified,
                    "self" => SlotRel::This,
                    p => SlotRel::Prep(p.strip_prefix("prep:").ok_or_else(|| bad(column, alt))?.to_lowercase()),
                };
                Ok(SlotPath { rel, lemma })
            })
            .collect()
    };
    let mut frame = Frame {
        id: format!("{}:{}", f[0], f[1].split_whitespace().collect::<Vec<_>>().join("")),
        kind,
        lemma,
        particle,
        noun,
        subject: slots(3)?,
        object: slots(4)?,
        predicate: f[4].into(),
        rtype: f[5].into(),
        negated: false,
        count: false,
        implicit: false,
        who: false,
        place: false,
        within: false,
        agent: false,
        event: false,
        title_value: false,
    };
    for flag in f[6].split(',') {
        match flag {
            "neg" => frame.negated = true,
            "count" => frame.count = true,
            "implicit" => frame.implicit = true,
            "who" => frame.who = true,
            "place" => frame.place = true,
            "within" => frame.within = true,
            "agent" => frame.agent = true,
            "event" => frame.event = true,
            "-" => {}
            v => return Err(bad(7, v)),
        }
    }
    Ok(frame)
}

/// "stopp" -> "stop"; leaves "kill", "pass" alone (ll/ss are doubled in the lemma too).
fn undouble(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 3 && b[b.len() - 1] == b[b.len() - 2] && !matches!(b[b.len() - 1], b'l' | b's' | b'z' | b'f') {
        return s[..s.len() - 1].to_string();
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses_and_has_core_entries() {
        let lx = Lexicon::builtin().unwrap();
        assert_eq!(lx.cues.get("say"), Some(&CueEffect::Speech));
        assert_eq!(lx.cues.get("deny"), Some(&CueEffect::Deny));
        let claim = &lx.frames_for(FrameKind::Verb, "claim")[0];
        assert_eq!(
            (claim.id.as_str(), claim.predicate.as_str()),
            ("verb:claim+responsibility", "claim_responsibility_for")
        );
        assert_eq!(claim.noun.as_deref(), Some("responsibility"));
        assert_eq!(claim.object[0], SlotPath { rel: SlotRel::Prep("for".into()), lemma: None });
        assert!(claim.implicit && !claim.negated);
        assert!(lx.frames_for(FrameKind::Verb, "deny")[0].negated);
        assert!(lx.frames_for(FrameKind::Verb, "kill")[0].count);
        let rise = &lx.frames_for(FrameKind::Verb, "rise")[0];
        assert_eq!(rise.subject[0], SlotPath { rel: SlotRel::Subj, lemma: Some("toll".into()) });
        assert!(lx.light_verbs.contains("conduct"));
        assert_eq!(lx.titles["chief executive"].rtype, "leader_of");
        assert_eq!(lx.family["uncle"], "uncle_of");
        assert_eq!(lx.fingerprint().len(), 64);
    }

    #[test]
    fn lemmatizer_uses_table_and_suffixes() {
        let lx = Lexicon::builtin().unwrap();
        for (form, lemma) in [
            ("said", "say"),
            ("told", "tell"),
            ("claimed", "claim"),
            ("killed", "kill"),
            ("acquired", "acquire"),
            ("accused", "accuse"),
            ("denied", "deny"),
            ("denies", "deny"),
            ("claims", "claim"),
            ("investigating", "investigate"),
            ("hinting", "hint"),
            ("Announced", "announce"),
            ("stopped", "stop"),
            ("based", "base"),
            ("expelled", "expel"),
            ("tweeted", "tweet"),
        ] {
            assert_eq!(lx.lemma(form), lemma, "{form}");
        }
    }

    #[test]
    fn fingerprint_tracks_contents_and_errors_are_reported() {
        let lx = Lexicon::builtin().unwrap();
        let mut files: Vec<(&str, String)> = BUILTIN_FILES.iter().map(|(n, t)| (*n, t.to_string())).collect();
        files[1].1.push_str("mutter\tspeech\n");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let other = Lexicon::from_files(&refs).unwrap();
        assert_ne!(other.fingerprint(), lx.fingerprint());
        assert!(other.cues.contains_key("mutter"));

        files[1].1.push_str("whisper\tloud\n");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert!(matches!(Lexicon::from_files(&refs), Err(LexiconError::Value { .. })));
        let frames = BUILTIN_FILES.iter().position(|(n, _)| *n == "frames.tsv").unwrap();
        files[1].1 = BUILTIN_FILES[1].1.to_string();
        files[frames].1.push_str("verb\tslay\tsubj\tobject\tkill\tkill\t-\n");
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_eq!(
            Lexicon::from_files(&refs).unwrap_err(),
            LexiconError::Value {
                file: "frames.tsv".into(),
                line: files[frames].1.lines().count(),
                column: 4,
                value: "object".into()
            }
        );
        assert_eq!(
            Lexicon::from_files(&BUILTIN_FILES[..3]).unwrap_err(),
            LexiconError::Missing("negations.tsv".into())
        );
    }
}
