//! The dependency tree of a tagged document, for the claims stages: heads, relations,
//! children and subtree spans over document token indices, after repairing two confusions
//! of the parser that its words give away ([`repair`]).

use std::ops::Range;

use crate::doc::Document;

pub(crate) struct Tree<'d> {
    /// Each token's head (document token index); `None` for a sentence root or an unparsed token.
    pub head: Vec<Option<usize>>,
    /// Each token's Universal Dependencies relation ("" when unparsed).
    pub rel: Vec<&'d str>,
    children: Vec<Vec<usize>>,
    /// Tokens covered by each token's subtree (contiguous in a projective tree).
    span: Vec<Range<usize>>,
}

impl<'d> Tree<'d> {
    pub fn new(doc: &'d Document) -> Self {
        let n = doc.tokens.len();
        let mut head = vec![None; n];
        let mut rel = vec![""; n];
        for (k, t) in doc.tokens.iter().enumerate() {
            if let Some(tags) = &t.tags {
                head[k] = tags.head.filter(|&h| h < n && h != k);
                rel[k] = tags.deprel.as_str();
            }
        }
        repair(doc, &mut head, &mut rel);
        let mut children = vec![Vec::new(); n];
        for (k, h) in head.iter().enumerate() {
            if let Some(h) = *h {
                children[h].push(k);
            }
        }
        let mut span: Vec<Range<usize>> = (0..n).map(|k| k..k + 1).collect();
        for k in 0..n {
            // Walk up (bounded: a malformed cycle must not hang) widening each ancestor.
            let (mut x, mut steps) = (k, 0);
            while let Some(h) = head[x] {
                if steps > n {
                    break;
                }
                span[h].start = span[h].start.min(k);
                span[h].end = span[h].end.max(k + 1);
                x = h;
                steps += 1;
            }
        }
        Tree { head, rel, children, span }
    }

    /// Whether the document carries a parse at all.
    pub fn is_parsed(&self) -> bool {
        self.rel.iter().any(|r| !r.is_empty())
    }

    pub fn children(&self, t: usize) -> &[usize] {
        &self.children[t]
    }

    /// The first child of `t` whose relation is one of `rels` (subtypes match their base:
    /// "nsubj" matches "nsubj:pass" only if listed as such).
    pub fn child(&self, t: usize, rels: &[&str]) -> Option<usize> {
        rels.iter().find_map(|r| self.children[t].iter().copied().find(|&c| self.rel[c] == *r))
    }

    /// Tokens of the subtree under `t`.
    pub fn subtree(&self, t: usize) -> Range<usize> {
        self.span[t].clone()
    }

    /// The universal part of `t`'s relation ("nsubj" for "nsubj:pass").
    pub fn base_rel(&self, t: usize) -> &'d str {
        let r = self.rel[t];
        r.split(':').next().unwrap_or(r)
    }
}

/// Repairs two arcs that no Universal Dependencies tree has and that the parser (int8 above
/// all) sometimes draws; the claims stages read subjects and objects, which these arcs hide.
/// - A name joined by `flat` to a word before a comma ("In an interview with Al Jazeera,
///   Khalil, the minister, said"): names never run across a comma, so the later name is the
///   subject of the first verb above it that has none, and the words the parse hung on the
///   earlier name after it (the apposition "the minister") go with it.
/// - "at least 12 people" read as a prepositional phrase (`case` "at"): a count, so the noun
///   is the verb's object when it has none, and "at" modifies the count.
fn repair(doc: &Document, head: &mut [Option<usize>], rel: &mut [&str]) {
    let word = |k: usize| doc.token_text(k);
    for d in 0..head.len() {
        match (rel[d], head[d]) {
            ("flat", Some(h)) if h < d && (h + 1..d).any(|k| word(k) == ",") => {
                let Some(verb) = verb_without_subject(doc, head, rel, h).filter(|&x| x > d) else { continue };
                for later in &mut head[d + 1..verb] {
                    if *later == Some(h) {
                        *later = Some(d);
                    }
                }
                head[d] = Some(verb);
                rel[d] = "nsubj";
            }
            ("case", Some(n)) if word(d).eq_ignore_ascii_case("at") && d + 1 < head.len() => {
                let quantity = matches!(word(d + 1).to_ascii_lowercase().as_str(), "least" | "most");
                let object_free = |v: usize| !has_dependent(head, rel, v, |r| r == "obj");
                if quantity && rel[n] == "obl" && head[n].is_some_and(|v| is_verb(doc, v) && object_free(v)) {
                    rel[n] = "obj";
                    rel[d] = "advmod";
                }
            }
            _ => {}
        }
    }
}

/// The first verb above `x` (at most four steps) with no subject of its own.
fn verb_without_subject(doc: &Document, head: &[Option<usize>], rel: &[&str], x: usize) -> Option<usize> {
    let mut v = x;
    for _ in 0..4 {
        v = head[v]?;
        if is_verb(doc, v) {
            return (!has_dependent(head, rel, v, |r| r.starts_with("nsubj"))).then_some(v);
        }
    }
    None
}

/// Whether some word hangs on `v` by a relation that `is` accepts (before the children lists
/// exist; repairs are rare, so the scan is too).
fn has_dependent(head: &[Option<usize>], rel: &[&str], v: usize, is: impl Fn(&str) -> bool) -> bool {
    head.iter().zip(rel).any(|(h, r)| *h == Some(v) && is(r))
}

fn is_verb(doc: &Document, k: usize) -> bool {
    doc.tokens[k].tags.as_ref().is_some_and(|t| t.pos.starts_with("VB"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::relations::testdoc;

    /// A one-sentence document with the given arcs (1-based heads, 0 for the root), as the
    /// parser might draw them.
    fn parsed(text: &str, arcs: &[(usize, &str)]) -> Document {
        let mut d = testdoc::build("d", text);
        assert_eq!(
            d.tokens.len(),
            arcs.len(),
            "{:?}",
            (0..d.tokens.len()).map(|k| d.token_text(k)).collect::<Vec<_>>()
        );
        for (t, &(h, r)) in d.tokens.iter_mut().zip(arcs) {
            let tags = t.tags.as_mut().unwrap();
            tags.head = h.checked_sub(1);
            tags.deprel = r.into();
        }
        d
    }

    #[test]
    fn a_name_flat_across_a_comma_is_the_subject_of_the_verb() {
        let arcs = [
            (3, "case"),
            (3, "det"),
            (15, "obl"),
            (5, "case"),
            (3, "nmod"),
            (5, "flat"),
            (8, "punct"),
            (5, "flat"),
            (13, "punct"),
            (13, "det"),
            (13, "compound"),
            (13, "compound"),
            (5, "appos"),
            (13, "punct"),
            (0, "root"),
            (17, "det"),
            (19, "nsubj"),
            (19, "aux"),
            (15, "ccomp"),
            (19, "advmod"),
            (15, "punct"),
        ];
        let d = parsed(
            "In an interview with Al Jazeera, Khalil, the acting interior minister, said the border would reopen soon.",
            &arcs,
        );
        let t = Tree::new(&d);
        assert_eq!((t.head[7], t.rel[7]), (Some(14), "nsubj"), "Khalil is the subject of said");
        assert_eq!(t.head[12], Some(7), "the apposition moves with the name");
        assert_eq!((t.head[5], t.rel[5]), (Some(4), "flat"), "Al Jazeera stays one name");
        assert_eq!(t.subtree(7), 6..14, "its comma, the name and the apposition");
    }

    #[test]
    fn at_least_a_count_is_the_object() {
        let arcs = [
            (3, "det"),
            (3, "compound"),
            (4, "nsubj"),
            (0, "root"),
            (8, "case"),
            (6, "fixed"),
            (8, "nummod"),
            (4, "obl"),
            (4, "punct"),
        ];
        let d = parsed("A suicide bombing killed at least 12 people.", &arcs);
        let t = Tree::new(&d);
        assert_eq!((t.rel[7], t.rel[4]), ("obj", "advmod"));
        // With an object already there, "at least" is left as parsed.
        let arcs =
            [(2, "nsubj"), (0, "root"), (2, "obj"), (7, "case"), (4, "fixed"), (7, "nummod"), (2, "obl"), (2, "punct")];
        let d = parsed("Rebels killed soldiers at least 12 times.", &arcs);
        assert_eq!(Tree::new(&d).rel[6], "obl");
    }
}
