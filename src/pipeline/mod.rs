//! The runner: reads records, runs the stages over documents in parallel, aggregates across
//! documents, and writes the dataset.
//!
//! Records stream through in chunks of `chunk_size`, so memory does not grow with the corpus:
//!
//! 1. read a chunk (documents and rejections, in input order);
//! 2. segment the documents in parallel (rayon);
//! 3. tag them in one call, which batches windows across the chunk (libtorch uses its own
//!    intra-op threads here, sized by `--threads`, while rayon waits: no oversubscription);
//! 4. run entities, statements and relations in parallel;
//! 5. write `documents`/`errors` rows at once, spill annotation rows (with chain keys in place
//!    of entity ids) to a work folder, and feed the aggregation indexes;
//! 6. after the last chunk — the barrier — canonicalize entities, resolve the spilled rows'
//!    keys to entity ids while copying them to their final format, and write facts, conflicts
//!    and the manifest.
//!
//! Output order is input order, ids are derived from content, and scores are rounded, so the
//! bytes out do not depend on the thread count.

pub mod manifest;
pub mod stage;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::aggregate::entities::EntityIndex;
use crate::aggregate::facts::FactIndex;
use crate::dataset::{self, DocRows};
use crate::doc::Document;
use crate::io::{self, Format, ReadOptions, Record, TableSpec, TableWriter};
use crate::model::{ModelError, Tagger};
use crate::stages::StageSet;
use manifest::{Counts, Manifest, Timings};
pub use stage::{Annotation, Stage};

/// Errors that stop a run (as opposed to a bad record, which is rejected and counted).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Input(#[from] io::IoError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
}

fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    move |source| PipelineError::Output { path: path.to_path_buf(), source }
}

/// What `claimgraph run` does.
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub format: Format,
    pub read: ReadOptions,
    /// Documents per chunk (bounded memory; larger chunks batch better). Default 256.
    pub chunk_size: usize,
    /// Also write the `sentences` table (token spans and tags).
    pub with_tokens: bool,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    /// Records expected, when known up front (for the progress bar's ETA).
    pub expected_records: Option<u64>,
    pub threads: usize,
}

/// The end-of-run summary.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub counts: Counts,
    pub out_dir: PathBuf,
    pub seconds: f64,
    pub words: u64,
}

/// A spill file: annotation rows as JSONL, keys unresolved, read back after the barrier.
struct Spill {
    path: PathBuf,
    out: BufWriter<File>,
    spec: TableSpec,
}

impl Spill {
    fn create(dir: &Path, spec: TableSpec) -> Result<Self, PipelineError> {
        let path = dir.join(format!("{}.jsonl", spec.name));
        let f = File::create(&path).map_err(out_err(&path))?;
        Ok(Spill { path, out: BufWriter::new(f), spec })
    }
    fn write(&mut self, row: &Value) -> Result<(), PipelineError> {
        serde_json::to_writer(&mut self.out, row)
            .map_err(|e| PipelineError::Output { path: self.path.clone(), source: e.into() })?;
        self.out.write_all(b"\n").map_err(out_err(&self.path))
    }
    /// Copies the spilled rows into the final table, resolving chain keys.
    fn finish(
        mut self,
        out_dir: &Path,
        format: Format,
        entity_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<u64, PipelineError> {
        self.out.flush().map_err(out_err(&self.path))?;
        drop(self.out);
        let mut w = TableWriter::create(out_dir, self.spec, format)?;
        let f = File::open(&self.path).map_err(out_err(&self.path))?;
        let mut rows = 0;
        for line in BufReader::new(f).lines() {
            let line = line.map_err(out_err(&self.path))?;
            let mut row: Value = serde_json::from_str(&line)
                .map_err(|e| PipelineError::Output { path: self.path.clone(), source: e.into() })?;
            dataset::resolve_keys(&mut row, entity_of);
            w.write(&row)?;
            rows += 1;
        }
        w.finish()?;
        std::fs::remove_file(&self.path).map_err(out_err(&self.path))?;
        Ok(rows)
    }
}

/// Runs the whole pipeline. Bad records are rejected and counted; only problems that stop the
/// run (unreadable inputs, unwritable output, a broken model) are errors.
pub fn run(cfg: &RunConfig, tagger: &mut Tagger, stages: &StageSet) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    let mut timings = Timings::default();
    stages.check()?;
    std::fs::create_dir_all(&cfg.out_dir).map_err(out_err(&cfg.out_dir))?;
    let work = cfg.out_dir.join(".work");
    std::fs::create_dir_all(&work).map_err(out_err(&work))?;

    let mut reader = io::read_inputs(&cfg.inputs, &cfg.read)?;
    let mut documents = TableWriter::create(&cfg.out_dir, dataset::documents_spec(), cfg.format)?;
    let mut errors = TableWriter::create(&cfg.out_dir, dataset::errors_spec(), cfg.format)?;
    let mut mentions = Spill::create(&work, dataset::mentions_spec())?;
    let mut statements = Spill::create(&work, dataset::statements_spec())?;
    let mut relations = Spill::create(&work, dataset::relations_spec())?;
    let mut sentences = if cfg.with_tokens {
        Some(TableWriter::create(&cfg.out_dir, dataset::sentences_spec(), cfg.format)?)
    } else {
        None
    };
    let mut entity_index = EntityIndex::new();
    let mut fact_index = FactIndex::new();
    let mut counts = Counts::default();
    let mut words: u64 = 0;
    let progress = manifest::Progress::new(cfg.progress && std::io::stderr().is_terminal());
    if let Some(n) = cfg.expected_records {
        progress.set_total(n);
    }

    loop {
        let t = Instant::now();
        let chunk: Vec<Record> = reader.by_ref().take(cfg.chunk_size.max(1)).collect();
        timings.read += t.elapsed().as_secs_f64();
        if chunk.is_empty() {
            break;
        }
        // Documents out of the chunk, remembering each one's place among the records.
        let mut docs: Vec<Document> = Vec::new();
        let mut slots: Vec<Result<usize, io::Rejection>> = Vec::with_capacity(chunk.len());
        for rec in chunk {
            match rec {
                Record::Doc(d) => {
                    slots.push(Ok(docs.len()));
                    docs.push(d);
                }
                Record::Rejected(r) => slots.push(Err(r)),
            }
        }

        let t = Instant::now();
        docs.par_iter_mut().for_each(|d| stages.before_tagging(d));
        timings.segment += t.elapsed().as_secs_f64();

        let t = Instant::now();
        tagger.tag(&mut docs)?;
        timings.tag += t.elapsed().as_secs_f64();

        let t = Instant::now();
        docs.par_iter_mut().for_each(|d| stages.after_tagging(d));
        let rows: Vec<DocRows> = docs.par_iter().map(|d| dataset::doc_rows(d, cfg.with_tokens)).collect();
        timings.extract += t.elapsed().as_secs_f64();

        let t = Instant::now();
        for slot in &slots {
            match slot {
                Ok(i) => {
                    let d = &docs[*i];
                    counts.ok += 1;
                    words += d.word_count() as u64;
                    documents.write(&dataset::document_row(d))?;
                    let r = &rows[*i];
                    for row in &r.mentions {
                        mentions.write(row)?;
                    }
                    for row in &r.statements {
                        statements.write(row)?;
                    }
                    for row in &r.relations {
                        relations.write(row)?;
                    }
                    if let Some(w) = sentences.as_mut() {
                        for row in &r.sentences {
                            w.write(row)?;
                        }
                    }
                    entity_index.add(d);
                    fact_index.add(d);
                }
                Err(rej) => {
                    counts.rejected += 1;
                    let id = rej.doc_id.as_deref();
                    documents.write(&dataset::rejected_document_row(&rej.origin, id, &rej.reason))?;
                    errors.write(&dataset::error_row(&rej.origin, id, &rej.reason))?;
                }
            }
        }
        timings.write += t.elapsed().as_secs_f64();
        progress.update(counts.ok + counts.rejected, words, started.elapsed().as_secs_f64());
    }
    progress.finish();

    // The barrier: everything below needs the whole corpus.
    let t = Instant::now();
    let canon = entity_index.finish_with(&stages.aliases);
    let entity_of = |k: &str| canon.entity_of(k).map(str::to_string);
    let mut ent_w = TableWriter::create(&cfg.out_dir, dataset::entities_spec(), cfg.format)?;
    for e in canon.entities() {
        ent_w.write(&serde_json::to_value(e).expect("entity records serialize"))?;
    }
    counts.entities = ent_w.finish()?.rows;
    counts.mentions = mentions.finish(&cfg.out_dir, cfg.format, &entity_of)?;
    counts.statements = statements.finish(&cfg.out_dir, cfg.format, &entity_of)?;
    counts.relations = relations.finish(&cfg.out_dir, cfg.format, &entity_of)?;
    let names: std::collections::HashMap<&str, &str> =
        canon.entities().iter().map(|e| (e.entity_id.as_str(), e.name.as_str())).collect();
    let name_of = |id: &str| names.get(id).map(|n| n.to_string());
    let (facts, conflicts) = fact_index.finish(&entity_of);
    let mut facts_w = TableWriter::create(&cfg.out_dir, dataset::facts_spec(), cfg.format)?;
    for f in &facts {
        let mut v = serde_json::to_value(f).expect("fact records serialize");
        dataset::add_names(&mut v, &name_of);
        facts_w.write(&v)?;
    }
    counts.facts = facts_w.finish()?.rows;
    let mut conf_w = TableWriter::create(&cfg.out_dir, dataset::conflicts_spec(), cfg.format)?;
    for c in &conflicts {
        let mut v = serde_json::to_value(c).expect("conflict records serialize");
        dataset::add_names(&mut v, &name_of);
        conf_w.write(&v)?;
    }
    counts.conflicts = conf_w.finish()?.rows;
    timings.aggregate += t.elapsed().as_secs_f64();

    documents.finish()?;
    errors.finish()?;
    if let Some(w) = sentences {
        w.finish()?;
    }
    std::fs::remove_dir_all(&work).map_err(out_err(&work))?;

    counts.records = counts.ok + counts.rejected;
    let seconds = started.elapsed().as_secs_f64();
    timings.total = seconds;
    let manifest = Manifest::new(cfg, reader.stats().to_vec(), counts.clone(), timings, words, tagger, stages);
    manifest.write(&cfg.out_dir.join("manifest.json"))?;
    Ok(RunSummary { counts, out_dir: cfg.out_dir.clone(), seconds, words })
}
