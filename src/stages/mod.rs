//! Per-document stages, in pipeline order. Each file is one stage; this module wraps them as
//! [`Stage`]s with what they require and assign, so a wrong order fails before any work.

pub mod entities;
pub mod relations;
pub mod segment;
pub mod statements;
pub(crate) mod syntax;

use std::path::Path;

use crate::aggregate::entities::AliasTable;
use crate::doc::Document;
use crate::pipeline::stage::{check_order, Annotation, Stage};
use crate::pipeline::PipelineError;

/// Bumped when segmentation changes its output.
const SEGMENT_VERSION: &str = "segment-1";

pub struct Segment;

impl Stage for Segment {
    fn name(&self) -> &'static str {
        "segment"
    }
    fn fingerprint(&self) -> String {
        SEGMENT_VERSION.to_string()
    }
    fn requires(&self) -> &'static [Annotation] {
        &[]
    }
    fn assigns(&self) -> &'static [Annotation] {
        &[Annotation::Sentences, Annotation::Tokens]
    }
    fn process(&self, doc: &mut Document) {
        segment::segment(doc);
    }
}

pub struct Entities(pub entities::EntityConfig);

impl Stage for Entities {
    fn name(&self) -> &'static str {
        "entities"
    }
    fn fingerprint(&self) -> String {
        entities::fingerprint(&self.0)
    }
    fn requires(&self) -> &'static [Annotation] {
        &[Annotation::Sentences, Annotation::Tokens, Annotation::Tags]
    }
    fn assigns(&self) -> &'static [Annotation] {
        &[Annotation::Mentions, Annotation::Chains]
    }
    fn process(&self, doc: &mut Document) {
        entities::extract(doc, &self.0);
    }
}

pub struct Statements(pub relations::ClaimsConfig);

impl Stage for Statements {
    fn name(&self) -> &'static str {
        "statements"
    }
    fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }
    fn requires(&self) -> &'static [Annotation] {
        &[Annotation::Tags, Annotation::Mentions, Annotation::Chains]
    }
    fn assigns(&self) -> &'static [Annotation] {
        &[Annotation::Statements]
    }
    fn process(&self, doc: &mut Document) {
        statements::extract_statements(doc, &self.0);
    }
}

pub struct Relations(pub relations::ClaimsConfig);

impl Stage for Relations {
    fn name(&self) -> &'static str {
        "relations"
    }
    fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }
    fn requires(&self) -> &'static [Annotation] {
        &[Annotation::Tags, Annotation::Mentions, Annotation::Chains, Annotation::Statements]
    }
    fn assigns(&self) -> &'static [Annotation] {
        &[Annotation::Relations]
    }
    fn process(&self, doc: &mut Document) {
        relations::extract_relations(doc, &self.0);
    }
}

/// The stages of a run, split around the tagger (which batches across documents).
pub struct StageSet {
    pub before: Vec<Box<dyn Stage>>,
    pub after: Vec<Box<dyn Stage>>,
    /// The curated aliases the corpus step links by (after the per-document stages).
    pub aliases: AliasTable,
}

/// The statements and relations configuration over the pattern files in `dir`: each file of
/// [`relations::lexicon::BUILTIN_FILES`] found there replaces the built-in one (so a folder may
/// hold just the file being changed); other files in it are an error, so a misspelt name is
/// not silently ignored.
pub fn load_patterns(dir: &Path) -> Result<relations::ClaimsConfig, PipelineError> {
    let builtin = relations::lexicon::BUILTIN_FILES;
    let config = |msg: String| PipelineError::Config(format!("--patterns {}: {msg}", dir.display()));
    let entries = std::fs::read_dir(dir).map_err(|e| config(e.to_string()))?;
    let mut files: Vec<(&str, String)> = builtin.iter().map(|(n, t)| (*n, t.to_string())).collect();
    for e in entries {
        let path = e.map_err(|e| config(e.to_string()))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let Some(slot) = files.iter_mut().find(|(n, _)| *n == name) else {
            let known: Vec<&str> = builtin.iter().map(|(n, _)| *n).collect();
            return Err(config(format!("unknown pattern file '{name}' (known: {})", known.join(", "))));
        };
        slot.1 = std::fs::read_to_string(&path).map_err(|e| config(format!("{name}: {e}")))?;
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let lexicon = relations::lexicon::Lexicon::from_files(&refs).map_err(|e| config(e.to_string()))?;
    Ok(relations::ClaimsConfig { lexicon: std::sync::Arc::new(lexicon), ..Default::default() })
}

/// Bumped when the corpus step (`aggregate::entities`) changes how it groups names.
const RESOLVE_VERSION: &str = "resolve-2";

impl StageSet {
    /// The default pipeline, with an optional entity ruler and the built-in aliases.
    pub fn new(ruler: Option<&Path>) -> Result<Self, PipelineError> {
        Self::with_aliases(ruler, AliasTable::builtin())
    }

    /// The default pipeline with the given alias table.
    pub fn with_aliases(ruler: Option<&Path>, aliases: AliasTable) -> Result<Self, PipelineError> {
        Self::with_patterns(ruler, aliases, None)
    }

    /// The default pipeline with the given alias table and, when given, the pattern files of
    /// the statements and relations stages read from `patterns` (see [`load_patterns`]).
    pub fn with_patterns(
        ruler: Option<&Path>,
        aliases: AliasTable,
        patterns: Option<&Path>,
    ) -> Result<Self, PipelineError> {
        let ruler = match ruler {
            Some(p) => Some(entities::EntityRuler::from_path(p).map_err(|e| PipelineError::Config(e.to_string()))?),
            None => None,
        };
        let claims = match patterns {
            Some(dir) => load_patterns(dir)?,
            None => relations::ClaimsConfig::default(),
        };
        Ok(StageSet {
            before: vec![Box::new(Segment)],
            after: vec![
                Box::new(Entities(entities::EntityConfig { ruler })),
                Box::new(Statements(claims.clone())),
                Box::new(Relations(claims)),
            ],
            aliases,
        })
    }

    /// Checks the stage order (the tagger assigns [`Annotation::Tags`] between the two halves).
    pub fn check(&self) -> Result<(), PipelineError> {
        let mut all: Vec<&dyn Stage> = self.before.iter().map(|s| s.as_ref()).collect();
        check_order(&[], &all).map_err(PipelineError::Config)?;
        all.extend(self.after.iter().map(|s| s.as_ref()));
        check_order(&[Annotation::Tags], &all).map_err(PipelineError::Config)
    }

    pub fn before_tagging(&self, doc: &mut Document) {
        for s in &self.before {
            s.process(doc);
        }
    }

    pub fn after_tagging(&self, doc: &mut Document) {
        for s in &self.after {
            s.process(doc);
        }
    }

    /// `(stage name, fingerprint)` of every stage, in order.
    /// Each stage's fingerprint, then the corpus step's (`resolve`: its version and aliases).
    pub fn fingerprints(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> =
            self.before.iter().chain(&self.after).map(|s| (s.name(), s.fingerprint())).collect();
        out.push(("resolve", Self::resolve_fingerprint(&self.aliases)));
        out
    }

    /// The corpus step's fingerprint: its version and the aliases it links by.
    pub fn resolve_fingerprint(aliases: &AliasTable) -> String {
        format!("{RESOLVE_VERSION}:{}", aliases.fingerprint())
    }
}
