//! What a per-document stage is, and how a wrong stage order is caught before any work starts.

use crate::doc::Document;

/// A kind of annotation a stage reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    Sentences,
    Tokens,
    Tags,
    Mentions,
    Chains,
    Statements,
    Relations,
}

/// A per-document stage: pure with respect to other documents, so stages run in parallel over
/// documents. The tagger is not one of these: it batches across documents (see
/// [`crate::model::Tagger`]).
pub trait Stage: Send + Sync {
    fn name(&self) -> &'static str;
    /// Identifies everything that changes this stage's output (version, data files, config).
    fn fingerprint(&self) -> String;
    fn requires(&self) -> &'static [Annotation];
    fn assigns(&self) -> &'static [Annotation];
    fn process(&self, doc: &mut Document);
}

/// Checks that every stage's requirements are assigned by an earlier one (or by `given`).
pub fn check_order(given: &[Annotation], stages: &[&dyn Stage]) -> Result<(), String> {
    let mut have: Vec<Annotation> = given.to_vec();
    for s in stages {
        for r in s.requires() {
            if !have.contains(r) {
                return Err(format!("stage '{}' needs {:?}, which no earlier stage assigns", s.name(), r));
            }
        }
        have.extend_from_slice(s.assigns());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S(&'static str, &'static [Annotation], &'static [Annotation]);
    impl Stage for S {
        fn name(&self) -> &'static str {
            self.0
        }
        fn fingerprint(&self) -> String {
            String::new()
        }
        fn requires(&self) -> &'static [Annotation] {
            self.1
        }
        fn assigns(&self) -> &'static [Annotation] {
            self.2
        }
        fn process(&self, _: &mut Document) {}
    }

    #[test]
    fn wrong_order_is_reported() {
        let seg = S("segment", &[], &[Annotation::Tokens]);
        let ent = S("entities", &[Annotation::Tags], &[Annotation::Mentions]);
        assert!(check_order(&[], &[&seg, &ent]).unwrap_err().contains("entities"));
        assert!(check_order(&[Annotation::Tags], &[&seg, &ent]).is_ok());
    }
}
