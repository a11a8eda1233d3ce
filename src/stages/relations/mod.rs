//! Relations the text states between two arguments, plus the configuration and pattern data
//! shared with the statements stage.
//!
//! There is no relation-extraction training data, so this stage reads predicate frames off the
//! dependency parse (`frames.rs`; the frames are data, `data/patterns/frames.tsv`), over
//! arguments found from the tagger's mentions, parts of speech and chunks (`patterns.rs`), plus
//! role and family phrases (`view.rs`); [`lexicon`] loads the data files. Each relation records
//! the frame that produced it (`frame`). Each relation records whether it is negated ("no group
//! has claimed", "denied responsibility for") and how it is asserted: `hedged` when a hedge
//! cue is in scope ("purportedly", "is believed to") or the enclosing statement's cue only
//! suggests, `reported` when it sits inside a statement (`Relation::statement` points at it,
//! and the writer attributes it to that statement's speaker), else `asserted` (by the outlet).

mod frames;
pub mod lexicon;
pub(crate) mod patterns;
#[cfg(test)]
pub(crate) mod testdoc;
pub(crate) mod view;

use std::sync::Arc;

use crate::doc::Document;
use lexicon::{Lexicon, LexiconError, PATTERNS_VERSION};

/// Settings of the statements and relations stages.
#[derive(Debug, Clone)]
pub struct ClaimsConfig {
    pub lexicon: Arc<Lexicon>,
    /// A quote with no attribution next to it counts as a statement (inheriting a neighbour's
    /// speaker) only from this many words; shorter ones are scare quotes or titles.
    pub min_quote_words: usize,
}

impl ClaimsConfig {
    /// A configuration over the built-in pattern files.
    pub fn new() -> Result<Self, LexiconError> {
        Ok(ClaimsConfig { lexicon: Arc::new(Lexicon::builtin()?), min_quote_words: 3 })
    }

    /// Identifies everything that decides this stage's output: pattern files, their version,
    /// and the numeric settings.
    pub fn fingerprint(&self) -> String {
        format!("{PATTERNS_VERSION}:{}:q{}", self.lexicon.fingerprint(), self.min_quote_words)
    }
}

impl Default for ClaimsConfig {
    fn default() -> Self {
        // The built-in files are compiled in and parsed by a unit test, so this cannot fail
        // at run time on any input.
        Self::new().expect("built-in pattern files parse")
    }
}

/// Fills `doc.relations`, sorted by evidence start. Run after
/// [`crate::stages::statements::extract_statements`] so relations inside statements point at them.
pub fn extract_relations(doc: &mut Document, cfg: &ClaimsConfig) {
    let relations = {
        let view = view::DocView::new(doc, &cfg.lexicon);
        patterns::find_relations(&view, &doc.statements)
    };
    doc.relations = relations;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Modality, Polarity, Relation};
    use crate::stages::statements::extract_statements;

    fn run(text: &str) -> Document {
        let mut d = testdoc::build("d", text);
        let cfg = ClaimsConfig::default();
        extract_statements(&mut d, &cfg);
        extract_relations(&mut d, &cfg);
        d
    }

    fn arg(d: &Document, a: &crate::doc::Argument) -> String {
        match (a.mention, &a.value) {
            (_, Some(v)) => format!("={v}"),
            (Some(m), None) => d.slice(d.mentions[m].span).to_string(),
            (None, None) => "?".into(),
        }
    }

    fn triples(d: &Document) -> Vec<(String, String, String)> {
        d.relations.iter().map(|r| (arg(d, &r.subject), r.predicate.clone(), arg(d, &r.object))).collect()
    }

    fn find<'a>(d: &'a Document, pred: &str) -> &'a Relation {
        d.relations
            .iter()
            .find(|r| r.predicate == pred)
            .unwrap_or_else(|| panic!("no {pred} in {:?} / {}", triples(d), testdoc::dump(d)))
    }

    #[test]
    fn fingerprint_is_stable_and_sensitive() {
        let a = ClaimsConfig::default();
        assert_eq!(a.fingerprint(), ClaimsConfig::default().fingerprint());
        let b = ClaimsConfig { min_quote_words: 5, ..ClaimsConfig::default() };
        assert_ne!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn claim_of_responsibility_positive_and_universal_negative() {
        let d = run("The [ORG Free Valley Front] claimed responsibility for the bombing in [LOC Kabul]. No group has claimed responsibility for the attack.");
        let t = triples(&d);
        assert_eq!(t[0], ("Free Valley Front".into(), "claim_responsibility_for".into(), "=attack in Kabul".into()));
        assert_eq!(d.relations[0].polarity, Polarity::Positive);
        assert_eq!(d.relations[0].modality, Modality::Asserted);
        assert_eq!(t[1], ("=no group".into(), "claim_responsibility_for".into(), "=attack in Kabul".into()));
        assert_eq!(d.relations[1].polarity, Polarity::Negative);
    }

    #[test]
    fn denial_and_not_are_negative() {
        let d = run("The [ORG Taliban] denied responsibility for the attack in [LOC Kabul]. [ORG Hamas] did not attack [ORG Fatah].");
        let r = find(&d, "claim_responsibility_for");
        assert_eq!(arg(&d, &r.subject), "Taliban");
        assert_eq!(r.polarity, Polarity::Negative);
        let r = find(&d, "attack");
        assert_eq!((arg(&d, &r.subject), arg(&d, &r.object)), ("Hamas".into(), "Fatah".into()));
        assert_eq!(r.polarity, Polarity::Negative);
    }

    #[test]
    fn hedges_make_relations_hedged() {
        let d = run("The [ORG Free Valley Front] purportedly attacked [LOC Mazar]. [ORG Kestrel] is believed to have acquired [ORG Orbis].");
        assert_eq!(find(&d, "attack").modality, Modality::Hedged);
        let r = find(&d, "acquire");
        assert_eq!((arg(&d, &r.subject), arg(&d, &r.object)), ("Kestrel".into(), "Orbis".into()));
        assert_eq!(r.modality, Modality::Hedged);
    }

    #[test]
    fn intentions_and_attempts_are_hedged() {
        let d = run(
            "The [ORG Free Valley Front] threatened to attack [LOC Mazar]. [ORG Kestrel] plans to acquire [ORG Orbis].",
        );
        assert_eq!(find(&d, "attack").modality, Modality::Hedged, "{}", testdoc::dump(&d));
        let r = find(&d, "acquire");
        assert_eq!((arg(&d, &r.subject), arg(&d, &r.object)), ("Kestrel".into(), "Orbis".into()));
        assert_eq!(r.modality, Modality::Hedged, "{}", testdoc::dump(&d));
        // The same verbs asserted, and a verb of intention that is a fact of its own.
        let d = run("The [ORG Free Valley Front] attacked [LOC Mazar]. [ORG Kestrel] acquired [ORG Orbis].");
        assert_eq!(find(&d, "attack").modality, Modality::Asserted);
        assert_eq!(find(&d, "acquire").modality, Modality::Asserted);
    }

    #[test]
    fn passive_by_swaps_arguments() {
        let d = run("[PER Yusuf Rahimi] was killed by [ORG Free Valley Front] fighters.");
        let r = find(&d, "kill");
        assert_eq!((arg(&d, &r.subject), arg(&d, &r.object)), ("Free Valley Front".into(), "Yusuf Rahimi".into()));
        assert_eq!(r.polarity, Polarity::Positive);
    }

    #[test]
    fn casualty_counts_active_passive_and_toll() {
        let d = run("A suicide bombing in [LOC Kabul] killed at least [CARDINAL 12] people. [CARDINAL 14] people were killed in the attack. The death toll rose to [CARDINAL 15].");
        let kills: Vec<(String, String)> = d
            .relations
            .iter()
            .filter(|r| r.predicate == "kill")
            .map(|r| (arg(&d, &r.subject), arg(&d, &r.object)))
            .collect();
        assert_eq!(
            kills,
            vec![
                ("=attack in Kabul".to_string(), "=12".to_string()),
                ("=attack in Kabul".to_string(), "=14".to_string()),
                ("=attack in Kabul".to_string(), "=15".to_string()),
            ]
        );
    }

    #[test]
    fn titles_and_appositives_give_roles() {
        let d = run("[ORG Boeing] chief executive [PER Dana Whitlock] met [PER Omar Said]. [PER Said], the minister of [LOC Jordan], declined. [ORG Hamas]'s spokesman [PER Fawzi Barhum] spoke. [PER Khalil], the acting interior minister, left. [PER Rana Aziz] is a member of [ORG Parliament].");
        let t = triples(&d);
        for want in [
            ("Dana Whitlock", "chief_executive_of", "Boeing"),
            ("Dana Whitlock", "meet", "Omar Said"),
            // A title of a place is a role with the title as its value (the gold convention).
            ("Said", "has_title", "=minister"),
            ("Fawzi Barhum", "spokesperson_of", "Hamas"),
            ("Khalil", "has_title", "=acting interior minister"),
            ("Rana Aziz", "member_of", "Parliament"),
        ] {
            assert!(t.contains(&(want.0.to_string(), want.1.to_string(), want.2.to_string())), "{want:?} not in {t:?}");
        }
        assert_eq!(find(&d, "chief_executive_of").rtype.as_deref(), Some("leader_of"));
    }

    #[test]
    fn family_terms() {
        let d = run("[PER Ali Mansour]'s uncle [PER Karim Haddad] was arrested. [PER Nadia Haddad], the sister of [PER Karim Haddad], spoke.");
        let t = triples(&d);
        assert!(t.contains(&("Karim Haddad".into(), "uncle_of".into(), "Ali Mansour".into())), "{t:?}");
        assert!(t.contains(&("Nadia Haddad".into(), "sister_of".into(), "Karim Haddad".into())), "{t:?}");
        assert_eq!(find(&d, "uncle_of").rtype.as_deref(), Some("family"));
        let d = run("[PER Rahim Qadiri]'s brother, [PER Karim Nuri], a member of the [ORG Baghlan Council], spoke.");
        let t = triples(&d);
        assert!(t.contains(&("Karim Nuri".into(), "brother_of".into(), "Rahim Qadiri".into())), "{t:?}");
        assert!(t.contains(&("Karim Nuri".into(), "member_of".into(), "Baghlan Council".into())), "{t:?}");
    }

    #[test]
    fn relation_inside_statement_is_reported_and_linked() {
        let d = run("\"We carried out the attack on the checkpoint,\" the [ORG Free Valley Front] said. [PER Khalil] said [ORG Hamas] attacked [LOC Rafah]. The group denied that it attacked [LOC Gaza].");
        let r = &d
            .relations
            .iter()
            .find(|r| r.predicate == "carry_out")
            .unwrap_or_else(|| panic!("{:?} {:?}", triples(&d), d.statements));
        assert_eq!(arg(&d, &r.subject), "Free Valley Front");
        assert_eq!(r.modality, Modality::Reported);
        let st = r.statement.expect("inside the quote");
        assert_eq!(d.statements[st].cue, "say");
        let inner: Vec<&Relation> =
            d.relations.iter().filter(|r| r.predicate == "attack" && r.rtype.as_deref() == Some("attack")).collect();
        assert_eq!(inner.len(), 2, "{:?}", triples(&d));
        assert_eq!(inner[0].modality, Modality::Reported);
        assert!(inner[0].statement.is_some());
        assert_eq!(inner[0].polarity, Polarity::Positive);
        // "denied that it attacked Gaza": reported, and negative.
        assert_eq!(inner[1].polarity, Polarity::Negative);
    }

    #[test]
    fn hinting_at_is_hedged_and_pronoun_subject_resolves() {
        let d = run("[ORG Kestrel] announced record profits on Monday. It is believed to have acquired [ORG Orbis]. [PER Dana Whitlock] reportedly met [PER Omar Said].");
        let r = find(&d, "acquire");
        assert_eq!((arg(&d, &r.subject), arg(&d, &r.object)), ("Kestrel".into(), "Orbis".into()));
        assert_eq!(d.slice(r.subject.span), "It");
        assert_eq!(r.modality, Modality::Hedged);
        assert_eq!(find(&d, "meet").modality, Modality::Hedged);
    }

    #[test]
    fn relation_phrase_must_match_whole() {
        // "attacked and looted" / "met with reporters near": no pattern covers the phrase.
        let d = run("[ORG Hamas] leaders praised [ORG Fatah]. [PER Khalil] flew to [LOC Doha].");
        assert!(d.relations.is_empty(), "{:?}", triples(&d));
    }

    #[test]
    fn appositive_subject_implicit_event_and_coordination() {
        let d = run("Gunmen stormed a checkpoint in [LOC Nahrin] on Monday. The attack lasted four hours, according to the district police spokesman, [PER Farid Wardak]. The [ORG Eastern Hills Front] ([ORG EHF]), an armed group that appeared in [LOC Baghlan] last year, claimed responsibility in a statement. The governor, [PER Ishaq Rahmani], condemned the attack and accused the [ORG EHF].");
        let t = triples(&d);
        assert!(t.contains(&("Farid Wardak".into(), "has_title".into(), "=district police spokesman".into())), "{t:?}");
        let claim = find(&d, "claim_responsibility_for");
        assert_eq!(arg(&d, &claim.object), "=attack in Nahrin");
        assert!(matches!(arg(&d, &claim.subject).as_str(), "Eastern Hills Front" | "EHF"), "{t:?}");
        assert!(t.contains(&("Ishaq Rahmani".into(), "condemn".into(), "=attack in Nahrin".into())), "{t:?}");
        assert!(t.contains(&("Ishaq Rahmani".into(), "accuse".into(), "EHF".into())), "{t:?}");
        // The according-to speaker is the name after the title.
        let st = &d.statements[0];
        assert_eq!(st.cue, "according_to");
        assert_eq!(d.slice(d.mentions[st.speaker.as_ref().unwrap().mention.unwrap()].span), "Farid Wardak");
    }

    #[test]
    fn nested_denial_and_hedging_cue() {
        let d = run("[PER Khalil] said [ORG Hamas] denied that it attacked [LOC Gaza]. [PER Rana Aziz] hinted that [ORG Kestrel] acquired [ORG Orbis].");
        let r = find(&d, "attack");
        assert_eq!(arg(&d, &r.subject), "Hamas");
        assert_eq!(r.polarity, Polarity::Negative);
        assert_eq!(d.statements[r.statement.unwrap()].cue, "deny");
        let r = find(&d, "acquire");
        assert_eq!(r.modality, Modality::Hedged);
        assert_eq!(r.polarity, Polarity::Positive);
    }

    #[test]
    fn stative_passive_located_in() {
        let d = run("[ORG Kestrel] is based in [LOC Almaty]. [PER Rana Aziz] was born#VBN in [LOC Osh].");
        let t = triples(&d);
        assert!(t.contains(&("Kestrel".into(), "based_in".into(), "Almaty".into())), "{t:?}");
        assert!(t.contains(&("Rana Aziz".into(), "born_in".into(), "Osh".into())), "{t:?}");
        assert_eq!(find(&d, "based_in").rtype.as_deref(), Some("located_in"));
    }

    #[test]
    fn counts_without_subject_refer_to_the_article_event() {
        let d = run("HERAT — Gunmen raided the police post in [LOC Shindand] on Monday, killing [CARDINAL 9] officers.\n\nThe assault lasted hours. The death toll from the assault rose to [CARDINAL 11], officials said. [CARDINAL 11] officers had been killed and [CARDINAL 4] wounded, the ministry said.");
        let counts: Vec<(String, String, String)> = d
            .relations
            .iter()
            .filter(|r| matches!(r.rtype.as_deref(), Some("kill" | "injure")))
            .map(|r| (arg(&d, &r.subject), r.predicate.clone(), arg(&d, &r.object)))
            .collect();
        // The event is anchored to its place's mention, so the count links to that entity.
        for r in d.relations.iter().filter(|r| matches!(r.rtype.as_deref(), Some("kill" | "injure"))) {
            assert_eq!(r.subject.mention.map(|m| d.slice(d.mentions[m].span)), Some("Shindand"));
        }
        assert_eq!(
            counts,
            vec![
                ("=attack in Shindand".to_string(), "kill".to_string(), "=9".to_string()),
                ("=attack in Shindand".to_string(), "kill".to_string(), "=11".to_string()),
                ("=attack in Shindand".to_string(), "kill".to_string(), "=11".to_string()),
                ("=attack in Shindand".to_string(), "injure".to_string(), "=4".to_string()),
            ]
        );
    }

    #[test]
    fn events_anchor_to_their_place_or_victim() {
        let d = run("[LOC LIMA], [LOC Peru] — A plane crashed#VBD near [LOC Cusco] on Monday, killing all#DT [CARDINAL 46] people on board. It was the worst#JJS accident since 2011, when#WRB [CARDINAL 23] people died#VBD in a crash near [LOC Arequipa].");
        let kills: Vec<(String, String)> = d
            .relations
            .iter()
            .filter(|r| r.rtype.as_deref() == Some("kill"))
            .map(|r| {
                (r.subject.mention.map_or("?".into(), |m| d.slice(d.mentions[m].span).to_string()), arg(&d, &r.object))
            })
            .collect();
        assert_eq!(
            kills,
            vec![("Cusco".to_string(), "=46".to_string()), ("Arequipa".to_string(), "=23".to_string())],
            "{:?} / {}",
            triples(&d),
            testdoc::dump(&d)
        );
        let d = run("Gunmen shot [PER Abdul Rahim] in [LOC Lashkar Gah]. The [ORG Valley Front] claimed responsibility for the killing#NN of [PER Abdul Rahim].");
        let claim = find(&d, "claim_responsibility_for");
        assert_eq!(
            claim.object.mention.map(|m| d.slice(d.mentions[m].span)),
            Some("Abdul Rahim"),
            "{}",
            testdoc::dump(&d)
        );
        // A bare "the attack" is the article's event, not a place named beside it.
        let d = run("A bomb exploded in [LOC Kunduz] on Friday. The [ORG United Nations] mission in [LOC Afghanistan] condemned the attack.");
        let c = find(&d, "condemn");
        assert_eq!(arg(&d, &c.subject), "United Nations");
        assert_eq!(c.object.mention.map(|m| d.slice(d.mentions[m].span)), Some("Kunduz"));
    }

    #[test]
    fn roles_of_places_companies_and_relatives() {
        let d = run("[PER Karim Nazari], the police chief of [LOC Kunduz] province, spoke. [LOC Afghanistan]'s acting#VBG interior minister, [PER Abdul Zakiri], on [DATE Sunday] ordered#VBD an inquiry#NN into the attack.");
        let t = triples(&d);
        assert!(t.contains(&("Karim Nazari".into(), "has_title".into(), "=police chief".into())), "{t:?}");
        assert!(t.contains(&("Abdul Zakiri".into(), "has_title".into(), "=acting interior minister".into())), "{t:?}");
        assert!(t.iter().any(|(s, p, _)| s == "Abdul Zakiri" && p == "investigate"), "{t:?}");
        let d = run("[ORG Orbis Freight] was founded in [DATE 1998] by [PER Nasir Omari]. His son, [PER Farid Omari], is its chief executive. [ORG Orbis Freight] hired [ORG Kestrel]. [PER Jane Roe], the company's chief financial officer, left.");
        let t = triples(&d);
        for want in [
            ("Nasir Omari", "founder_of", "Orbis Freight"),
            ("Farid Omari", "son_of", "Nasir Omari"),
            ("Farid Omari", "chief_executive_of", "Orbis Freight"),
            ("Jane Roe", "chief_financial_officer_of", "Orbis Freight"),
        ] {
            assert!(t.contains(&(want.0.to_string(), want.1.to_string(), want.2.to_string())), "{want:?} not in {t:?}");
        }
        // "Its": the organization that opens the sentence before, not the one named most often.
        let d = run("[ORG CAAN] opened an inquiry#NN. [ORG CAAN] sent a team. [ORG Everest Wings], a private company, operates four helicopters. Its managing director, [PER Sunita Rai], said it was serviced.");
        let t = triples(&d);
        assert!(t.iter().any(|(s, p, o)| s == "Sunita Rai" && p.ends_with("_of") && o == "Everest Wings"), "{t:?}");
        assert!(!t.iter().any(|(s, _, o)| s == "Sunita Rai" && o == "CAAN"), "{t:?}");
        // An honorific before a name is not a role.
        let d = run("The head of the agency, Commander [PER Oscar Villa], spoke.");
        assert!(!triples(&d).iter().any(|(_, p, o)| p == "has_title" && o == "=commander"), "{:?}", triples(&d));
    }

    #[test]
    fn premodified_names_reduced_relatives_and_implicit_inquiries() {
        let d = run("[ORG Orbis Freight], founded#VBN by [MISC Herat-born] businessman [PER Nasir Omari], was sold. [ORG Kestrel Group], the freight business built#VBN by the [MISC Afghan-born] entrepreneur [PER Omar Aziz], grew.");
        let t = triples(&d);
        assert!(t.contains(&("Nasir Omari".into(), "founder_of".into(), "Orbis Freight".into())), "{t:?}");
        assert!(
            t.contains(&("Omar Aziz".into(), "founder_of".into(), "Kestrel Group".into())),
            "{t:?} / {}",
            testdoc::dump(&d)
        );
        assert!(!t.iter().any(|(s, _, _)| s.ends_with("-born")), "{t:?}");
        let d = run("A bomb exploded in [LOC Kunduz] on Friday. The [ORG Aviation Commission] would lead#VB the inquiry#NN with help from abroad.");
        let inv = find(&d, "investigate");
        assert_eq!(arg(&d, &inv.subject), "Aviation Commission");
        assert_eq!(inv.object.mention.map(|m| d.slice(d.mentions[m].span)), Some("Kunduz"));
        // A speech verb inside the verb group makes the count reported.
        let d = run("The minister ordered#VBD an inquiry#NN into the attack in [LOC Kunduz], which#WDT officials now say#VBP killed#VBD [CARDINAL 21] people.");
        let k = find(&d, "kill");
        assert_eq!(arg(&d, &k.object), "=21");
        assert_eq!(k.modality, Modality::Reported);
    }

    #[test]
    fn group_noun_subject_and_denial_phrases() {
        let d = run("The [ORG Eastern Hills Front] was blamed for the bombing in [LOC Kunduz]. The group denied any role in the attack. A spokesman said the group \"had nothing to do with the attack in [LOC Kunduz].\"");
        let claims: Vec<&Relation> = d.relations.iter().filter(|r| r.predicate == "claim_responsibility_for").collect();
        assert_eq!(claims.len(), 2, "{:?}", triples(&d));
        for r in &claims {
            assert_eq!(arg(&d, &r.subject), "Eastern Hills Front");
            assert_eq!(arg(&d, &r.object), "=attack in Kunduz");
            assert_eq!(r.polarity, Polarity::Negative);
        }
        assert_eq!(claims[0].modality, Modality::Asserted);
        assert_eq!(claims[1].modality, Modality::Reported);
    }

    fn has(t: &[(String, String, String)], want: (&str, &str, &str)) -> bool {
        t.contains(&(want.0.to_string(), want.1.to_string(), want.2.to_string()))
    }

    #[test]
    fn frames_read_arguments_off_the_parse() {
        // The misses: no relation phrase sits between the two names.
        let d = run("The [ORG Global Coalition] has launched#VBN almost [CARDINAL 8,000] strikes#NNS against [ORG ISIL]. [ORG ISIL] has had#VBN control#NN of [LOC Mosul] since [DATE 2014]. [PER Julie Bishop] met#VBD with the Minister#NNP of Foreign#NNP Affairs#NNP of [LOC Iraq], [PER Ibrahim Jaafari]. Government#NN forces#NNS fought#VBD a battle#NN with the [ORG Islamic State] in [LOC Tikrit].");
        let t = triples(&d);
        for want in [
            ("Global Coalition", "attack", "ISIL"),
            ("ISIL", "control", "Mosul"),
            ("Julie Bishop", "meet", "Ibrahim Jaafari"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        assert_eq!(find(&d, "attack").frame, "noun:strike");
        assert_eq!(find(&d, "control").frame, "noun:control");
        assert_eq!(find(&d, "control").rtype.as_deref(), Some("leader_of"));
        assert_eq!(find(&d, "meet").frame, "verb:meet");
        // A count is no attack target, and a date no place.
        assert!(!t.iter().any(|(_, p, o)| p == "attack" && o == "=8,000"), "{t:?}");
        assert!(!t.iter().any(|(_, _, o)| o == "2014"), "{t:?}");
    }

    #[test]
    fn every_name_listed_in_apposition_is_an_argument() {
        let d = run("The engineers, [PER Mehmet Yildiz] and [PER Emre Sahin], work#VBP for [ORG Anatolia Power], which is building a transmission line.");
        let t = triples(&d);
        for who in ["Mehmet Yildiz", "Emre Sahin"] {
            let r = d.relations.iter().find(|r| arg(&d, &r.subject) == who && arg(&d, &r.object) == "Anatolia Power");
            let r = r.unwrap_or_else(|| panic!("{who} not in {t:?} / {}", testdoc::dump(&d)));
            assert_eq!(r.frame, "verb:work");
        }
    }

    #[test]
    fn nothing_is_related_to_itself() {
        let d = run("The [ORG United States] supports [LOC Turkey]'s democratically elected government and institutions, enshrined in [LOC Turkey]'s constitution. [PER Blinken] met [PER Blinken]'s staff in [LOC Ankara].");
        let t = triples(&d);
        assert!(t.iter().all(|(s, _, o)| s != o), "{t:?} / {}", testdoc::dump(&d));
        assert!(!t.is_empty(), "{}", testdoc::dump(&d));
    }

    #[test]
    fn a_place_hung_on_a_name_is_not_where_the_person_is() {
        let d = run("[PER Knox Thames], the Special Advisor to Ambassador [PER Saperstein] for Religious Minorities in the [LOC Near East] and [LOC Central Asia], will travel to [LOC Turkey].");
        let t = triples(&d);
        assert!(!t.iter().any(|(s, p, _)| s == "Saperstein" && p == "located_in"), "{t:?} / {}", testdoc::dump(&d));
    }

    #[test]
    fn places_attach_to_what_happens_there() {
        let d = run("Near [LOC Mosul], five#CD strikes#NNS engaged#VBD four#CD [ORG ISIL] tactical#JJ units#NNS. Rebels#NNS held#VBD [LOC Manbij] in northern#JJ [LOC Syria]. [ORG Kestrel], based#VBN in [LOC Almaty], grew#VBD.");
        let t = triples(&d);
        for want in
            [("ISIL", "located_in", "Mosul"), ("=attack in Mosul", "attack", "ISIL"), ("Kestrel", "based_in", "Almaty")]
        {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        // The strikes' own phrase is the subject's text, its place the entity it links to.
        let strike = find(&d, "attack");
        assert_eq!(d.slice(strike.subject.span), "strikes");
        assert_eq!(strike.subject.mention.map(|m| d.slice(d.mentions[m].span)), Some("Mosul"));
        assert!(has(&t, ("Manbij", "located_in", "Syria")), "{t:?} / {}", testdoc::dump(&d));
        assert_eq!(find(&d, "based_in").frame, "verb:base");
    }

    #[test]
    fn an_event_told_by_a_verb_is_about_its_victim() {
        let d = run("Gunmen#NNS shot#VBD dead#JJ [PER Abdul Samad], a member of the council, on [DATE Sunday]. The [ORG Wilayat Front] claimed#VBD the killing#NN in a message.\n\nPolice arrested#VBD two#CD men#NNS over the murder#NN of councillor#NN [PER Abdul Samad].");
        let claim = find(&d, "claim_responsibility_for");
        assert_eq!(arg(&d, &claim.subject), "Wilayat Front");
        assert_eq!(arg(&d, &claim.object), "=attack on Abdul Samad");
        assert_eq!(claim.object.mention.map(|m| d.slice(d.mentions[m].span)), Some("Abdul Samad"));
        assert_eq!(claim.frame, "verb:claim");
    }

    #[test]
    fn offices_before_names_subordinates_and_kin_of_titled_people() {
        // An office before a name is a role, a rank is how the person is addressed; the title
        // ends before the ranks a name carries.
        let d = run("Governor [PER Talib Akhund] ordered#VBD checkpoints#NNS. Police#NN chief#NN Mawlawi#NNP [PER Amanullah Safi] said#VBD the suspects#NNS had confessed#VBN. Commander [PER Oscar Villa] spoke#VBD.");
        let t = triples(&d);
        for want in [("Talib Akhund", "has_title", "=governor"), ("Amanullah Safi", "has_title", "=police chief")] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        assert!(!t.iter().any(|(s, _, _)| s == "Oscar Villa"), "{t:?}");
        // A deputy, or the leader of a part of the group, is a member.
        let d = run("[PER Abu Jandal], an [ORG ISIL] gang#NN leader#NN in [LOC Raqqah], was killed#VBN. [PER Ghulam Haidar], the [ORG Taliban]'s deputy#JJ governor#NN for [LOC Badakhshan], spoke#VBD.");
        let types: Vec<(String, Option<&str>)> =
            d.relations.iter().map(|r| (arg(&d, &r.subject), r.rtype.as_deref())).collect();
        for who in ["Abu Jandal", "Ghulam Haidar"] {
            assert!(types.contains(&(who.into(), Some("member_of"))), "{who}: {types:?} / {}", testdoc::dump(&d));
            assert!(!types.contains(&(who.into(), Some("leader_of"))), "{who}: {types:?}");
        }
        // "whose owner, X, is the brother-in-law of provincial minister Y".
        let d = run("Investigators froze#VBD the accounts#NNS of [ORG Indus Crest Builders], whose#WP$ owner#NN, [PER Tariq Khattak], is the brother-in-law#NN of provincial#JJ minister#NN [PER Shehzad Awan].");
        let t = triples(&d);
        for want in [
            ("Tariq Khattak", "owner_of", "Indus Crest Builders"),
            ("Tariq Khattak", "brother_in_law_of", "Shehzad Awan"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        assert!(!has(&t, ("Tariq Khattak", "has_title", "=owner")), "{t:?}");
    }

    #[test]
    fn places_of_fronted_phrases_meetings_and_nameless_nouns() {
        let d = run("Near [LOC Mosul], five#CD strikes#NNS engaged#VBD four#CD [ORG ISIL] units#NNS and destroyed#VBD three#CD [ORG Daesh] buildings#NNS. [PER Ash Carter] met#VBD with [PER Haider Abadi] in [LOC Baghdad]. Strikes#NNS hit#VBD [LOC Syria]'s [LOC Idlib] province#NN. This is the defeat#NN of [ORG Nusra] in [LOC Iraq].");
        let t = triples(&d);
        for want in [
            ("ISIL", "located_in", "Mosul"),
            ("Daesh", "located_in", "Mosul"),
            ("Haider Abadi", "located_in", "Baghdad"),
            ("Idlib", "located_in", "Syria"),
            ("Nusra", "located_in", "Iraq"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        // A participle on a predicate noun: the copula's subject was killed.
        let d = run("[PER Achakzai] was the second council#NN member#NN killed#VBN in [LOC Helmand]. Governor [PER Talib Akhund] condemned#VBD the killing#NN.");
        assert_eq!(arg(&d, &find(&d, "condemn").object), "=attack on Achakzai", "{}", testdoc::dump(&d));
    }

    #[test]
    fn arguments_the_parse_hung_elsewhere() {
        // A dateline's appositive is the clause's subject; "the killing of councillor X" with
        // X beside the noun; the name after "minister," where the parse hung it on the verb.
        let d = run("LASHKAR GAH — Council#NN member#NN [PER Haji Achekzai] was assassinated#VBN on [DATE Sunday]. Police arrested#VBD two#CD men#NNS over the killing#NN of councillor#NN [PER Abdul Samad]. The [ORG Wilayat Front] claimed#VBD the assassination#NN.");
        let claim = find(&d, "claim_responsibility_for");
        assert_eq!(arg(&d, &claim.object), "=attack on Abdul Samad", "{}", testdoc::dump(&d));
        let d = run("The [ORG FIA] has opened an inquiry#NN into [LOC Khyber]'s irrigation#NN minister#NN, [PER Malik Awan], over contracts#NNS.");
        assert!(has(&triples(&d), ("FIA", "investigate", "Malik Awan")), "{:?} / {}", triples(&d), testdoc::dump(&d));
        // "X-based" places what it modifies, also a second object set off by a comma.
        let d = run("[ORG Helvetra] agreed#VBD to buy#VB [ORG Karimi Group], a [LOC Dubai-based] freight#NN company#NN, for cash#NN.");
        let t = triples(&d);
        assert!(t.iter().any(|(s, p, o)| s == "Karimi Group" && p == "based_in" && o.starts_with("Dubai")), "{t:?}");
        assert!(!t.iter().any(|(_, p, o)| p == "acquire" && o == "Dubai"), "{t:?}");
    }

    #[test]
    fn fighting_talks_and_commands_read_off_the_parse() {
        let d = run("[ORG Coalition] forces#NNS conducted#VBD 11#CD strikes#NNS coordinated#VBN with the [ORG Iraqi government] using#VBG rocket#NN artillery#NN against [ORG ISIL]. Elsewhere in the campaign#NN to defeat#VB [ORG Daesh], the [ORG SDF] have begun#VBN a new phase#NN. [ORG Syrian Democratic Forces] expelled#VBD [ORG Nusra] from [LOC Dabiq]. [ORG Iraqi Army] forces#NNS received#VBD heavy#JJ fire#NN from [ORG Ansar]. [PER John Kerry] raised#VBD concerns#NNS in a call#NN with [PER Sergei Lavrov]. The [ORG State Department] stands#VBZ with the [ORG Kurdistan Regional Government].");
        let t = triples(&d);
        for want in [
            ("Coalition", "attack", "ISIL"),
            ("SDF", "fight", "Daesh"),
            ("Syrian Democratic Forces", "fight", "Nusra"),
            ("Ansar", "attack", "Iraqi Army"),
            ("John Kerry", "talk", "Sergei Lavrov"),
            ("State Department", "stand_with", "Kurdistan Regional Government"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        // An object controls its verb's complement: Tajikistan, not the Taliban, would expel.
        let d = run("The [ORG Taliban] asked#VBD [LOC Tajikistan] to expel#VB [PER Daoud Rahmani].");
        assert!(
            !t.iter().chain(triples(&d).iter()).any(|(s, p, _)| s == "Taliban" && p == "fight"),
            "{:?}",
            triples(&d)
        );
        // "X, commander, ORG" and a title before a comma past the ranks the name carries.
        let d = run("The plan was approved#VBN by [PER Gary Volesky], commander#NN, [ORG Land Component Command]. [ORG Inherent Resolve] Commander#NN, Mawlawi#NNP [PER Stephen Townsend], spoke#VBD.");
        let t = triples(&d);
        for want in [
            ("Gary Volesky", "commander_of", "Land Component Command"),
            ("Stephen Townsend", "commander_of", "Inherent Resolve"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        // A title's holder is a person.
        assert!(!t.iter().any(|(s, p, _)| s == "Land Component Command" && p == "has_title"), "{t:?}");
        // "the global coalition": the organization named with that noun, not the nearest one.
        let d = run("The [ORG Global Coalition] met#VBD in [LOC Rome]. [ORG ISIL] lost#VBD ground#NN. The global#JJ coalition#NN continues#VBZ to support#VB the [ORG Peshmerga].");
        assert!(
            has(&triples(&d), ("Global Coalition", "support", "Peshmerga")),
            "{:?} / {}",
            triples(&d),
            testdoc::dump(&d)
        );
    }

    #[test]
    fn titles_alone_are_role_values() {
        let d = run("[PER Shahzad Awan] resigned#VBD as irrigation#NN minister#NN on [DATE Friday]. The chief#NN minister#NN named#VBD [PER Samina Yousafzai] as interim#JJ irrigation#NN minister#NN. [LOC Turkey]'s ambassador#NN in [LOC Kabul], [PER Kemal Aydin], spoke#VBD.");
        let t = triples(&d);
        for want in [
            ("Shahzad Awan", "has_title", "=irrigation minister"),
            ("Samina Yousafzai", "has_title", "=interim irrigation minister"),
            ("Kemal Aydin", "has_title", "=ambassador"),
        ] {
            assert!(has(&t, want), "{want:?} not in {t:?} / {}", testdoc::dump(&d));
        }
        let frames: Vec<&str> =
            d.relations.iter().filter(|r| r.predicate == "has_title").map(|r| r.frame.as_str()).collect();
        assert!(frames.contains(&"verb:resign") && frames.contains(&"verb:name"), "{frames:?}");
        // Where the sentence names an organization the title is a relation to it, not a value.
        let d = run("[PER Inamullah Sadiqi], a spokesman#NN for the [ORG Taliban], said#VBD nothing.");
        let t = triples(&d);
        assert!(has(&t, ("Inamullah Sadiqi", "spokesperson_of", "Taliban")), "{t:?} / {}", testdoc::dump(&d));
        assert!(!t.iter().any(|(_, p, _)| p == "has_title"), "{t:?}");
    }

    #[test]
    fn untagged_and_inconsistent_documents_do_not_panic() {
        let mut d = testdoc::build("d", "\"We will rebuild,\" [PER Khalil] said. [ORG Hamas] attacked [LOC Rafah].");
        let mut untagged = d.clone();
        for t in &mut untagged.tokens {
            t.tags = None;
        }
        let cfg = ClaimsConfig::default();
        extract_statements(&mut untagged, &cfg);
        extract_relations(&mut untagged, &cfg);
        // Mentions pointing past the tokens, chains past the mentions, sentences past the end.
        d.mentions[0].tokens = 3..999;
        d.mentions[1].chain = Some(77);
        d.chains[0].representative = 999;
        d.sentences.push(crate::doc::Sentence { span: crate::doc::Span::new(0, 1), tokens: 500..600 });
        extract_statements(&mut d, &cfg);
        extract_relations(&mut d, &cfg);
        let mut empty = Document::new("e", "");
        extract_statements(&mut empty, &cfg);
        extract_relations(&mut empty, &cfg);
        assert!(empty.statements.is_empty() && empty.relations.is_empty());
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        const PIECES: &[&str] = &[
            "the",
            "group",
            "said",
            "told",
            "reporters",
            "that",
            "he",
            "she",
            "it",
            "they",
            "we",
            "no",
            "not",
            "claimed",
            "responsibility",
            "for",
            "attack",
            "bombing",
            "in",
            "was",
            "killed",
            "by",
            "people",
            "purportedly",
            "according",
            "to",
            "uncle",
            "'s",
            "minister",
            ",",
            ".",
            ":",
            "\"",
            "“",
            "”",
            "'",
            "‘",
            "’",
            "\n\n",
            "[PER Ahmed Khalil]",
            "[PER Khalil]",
            "[ORG Free Valley Front]",
            "[LOC Kabul]",
            "[CARDINAL 12]",
            "acting",
            "interior",
            "denied",
            "who",
            "asked",
            "named",
            "Zürich",
            "—",
            "death",
            "toll",
            "rose",
            "officers",
            "wounded",
            "had",
            "been",
            "and",
            "(",
            ")",
            "[ORG EHF]",
            "based",
            "brother",
            "at least",
            "nothing",
            "do",
            "with",
            "[LOC KABUL] —",
        ];

        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
            #[test]
            fn arbitrary_news_like_text_keeps_invariants(ix in proptest::collection::vec(0..PIECES.len(), 0..60)) {
                let text = ix.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join(" ");
                let d = run(&text);
                let n = d.text.len();
                prop_assert!(d.statements.windows(2).all(|w| w[0].content.start <= w[1].content.start));
                for s in &d.statements {
                    prop_assert!(s.content.start < s.content.end && s.content.end <= n);
                    prop_assert!(d.text.is_char_boundary(s.content.start) && d.text.is_char_boundary(s.content.end));
                    if let Some(sp) = &s.speaker {
                        prop_assert!(sp.span.end <= n);
                        prop_assert!(sp.mention.is_none_or_lt(d.mentions.len()));
                    }
                }
                prop_assert!(d.relations.windows(2).all(|w| w[0].evidence.start <= w[1].evidence.start));
                for r in &d.relations {
                    prop_assert!(r.evidence.end <= n && r.evidence.start <= r.evidence.end);
                    prop_assert!(r.statement.is_none_or_lt(d.statements.len()));
                    prop_assert!(r.subject.mention.is_some() || r.subject.value.is_some());
                    prop_assert!(r.object.mention.is_some() || r.object.value.is_some());
                }
            }
        }

        trait IdxOk {
            fn is_none_or_lt(&self, n: usize) -> bool;
        }
        impl IdxOk for Option<usize> {
            fn is_none_or_lt(&self, n: usize) -> bool {
                self.map_or(true, |i| i < n)
            }
        }
    }
}
