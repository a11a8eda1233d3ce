//! The dependency tree of a tagged document, for the claims stages: heads, relations,
//! children and subtree spans over document token indices.

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
