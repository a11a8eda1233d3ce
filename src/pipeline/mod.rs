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
//!
//! Re-runs: every processed chunk is journaled as [`record::DocRecord`]s (see [`journal`]), so
//! `--resume` replays finished chunks; with `--cache` documents come from the
//! [`crate::cache`] where their steps are unchanged. Tables are written in the work folder and
//! renamed into the output folder at the end, and the manifest, the run-complete marker, last.

pub mod journal;
pub mod manifest;
pub mod record;
pub mod stage;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::aggregate::entities::EntityIndex;
use crate::aggregate::facts::FactIndex;
use crate::cache::{Cache, CacheError, CacheReport};
use crate::dataset::{self, DocRows};
use crate::doc::Document;
use crate::io::{self, Format, ReadOptions, Record, TableSpec, TableWriter};
use crate::model::{ModelError, Tagger};
use crate::stages::StageSet;
use journal::{same_chunk, Fresh, Journal, Slot};
use manifest::{Counts, Manifest, ResumeInfo, Timings};
use record::{DocRecord, Steps};
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

pub(crate) fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
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
    /// Cache folder: reuse processed documents whose steps are unchanged (see [`crate::cache`]).
    pub cache: Option<PathBuf>,
    /// Replay the chunks a killed run with the same arguments had finished.
    pub resume: bool,
}

/// The end-of-run summary.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub counts: Counts,
    pub out_dir: PathBuf,
    pub seconds: f64,
    pub words: u64,
    pub cache: Option<CacheReport>,
    pub resume: Option<ResumeInfo>,
    /// One-line notes for the user (an incompatible cache that was started afresh...).
    pub notes: Vec<String>,
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
        tables: &Path,
        format: Format,
        entity_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<u64, PipelineError> {
        self.out.flush().map_err(out_err(&self.path))?;
        drop(self.out);
        let mut w = TableWriter::create(tables, self.spec, format)?;
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

/// The tables of a run, written in the work folder and renamed into the output folder once all
/// are complete, so a killed run never leaves a half-written table looking finished.
struct Staging {
    dir: PathBuf,
    names: Vec<&'static str>,
}

impl Staging {
    fn create(&mut self, spec: TableSpec, format: Format) -> Result<TableWriter, PipelineError> {
        self.names.push(spec.name);
        Ok(TableWriter::create(&self.dir, spec, format)?)
    }
    fn publish(&self, out_dir: &Path, format: Format) -> Result<(), PipelineError> {
        for name in &self.names {
            let file = format!("{name}.{}", format.extension());
            let to = out_dir.join(&file);
            std::fs::rename(self.dir.join(&file), &to).map_err(out_err(&to))?;
        }
        Ok(())
    }
}

/// The cache is an optimization: when it fails (a damaged database file, a full disk), the run
/// goes on without it and says so once.
fn cache_or_not<T>(
    cache: &mut Option<Cache>,
    notes: &mut Vec<String>,
    result: Option<Result<T, CacheError>>,
) -> Option<T> {
    match result? {
        Ok(x) => Some(x),
        Err(e) => {
            notes.push(format!("running without the cache from here on: {e}"));
            *cache = None;
            None
        }
    }
}

/// Runs the per-document steps a document does not hold yet: `from[i]` of
/// [`Steps`] are done for `docs[i]` (0: none; the tagger runs over those documents only, in one
/// batched call).
fn process(
    docs: &mut [Document],
    from: &[usize],
    tagger: &mut Tagger,
    stages: &StageSet,
    timings: &mut Timings,
) -> Result<(), PipelineError> {
    let t = Instant::now();
    docs.par_iter_mut().zip(from).filter(|(_, k)| **k == 0).for_each(|(d, _)| stages.before_tagging(d));
    timings.segment += t.elapsed().as_secs_f64();

    let t = Instant::now();
    let fresh: Vec<usize> = (0..docs.len()).filter(|&i| from[i] == 0).collect();
    if !fresh.is_empty() {
        let mut batch: Vec<Document> = fresh.iter().map(|&i| std::mem::take(&mut docs[i])).collect();
        let tagged = tagger.tag(&mut batch);
        for (&i, d) in fresh.iter().zip(batch) {
            docs[i] = d;
        }
        tagged?;
    }
    timings.tag += t.elapsed().as_secs_f64();

    // Steps before the first stage after the tagger: the stages before it, and the tagger.
    let skip = stages.before.len() + 1;
    let t = Instant::now();
    docs.par_iter_mut().zip(from).for_each(|(d, &k)| {
        for s in &stages.after[k.saturating_sub(skip).min(stages.after.len())..] {
            for &a in s.assigns() {
                record::clear(d, a);
            }
            s.process(d);
        }
    });
    timings.extract += t.elapsed().as_secs_f64();
    Ok(())
}

/// Runs the whole pipeline. Bad records are rejected and counted; only problems that stop the
/// run (unreadable inputs, unwritable output, a broken model) are errors.
pub fn run(cfg: &RunConfig, tagger: &mut Tagger, stages: &StageSet) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    let mut timings = Timings::default();
    stages.check()?;
    std::fs::create_dir_all(&cfg.out_dir).map_err(out_err(&cfg.out_dir))?;
    // The manifest says a run completed: not this one, yet.
    let manifest_path = cfg.out_dir.join("manifest.json");
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).map_err(out_err(&manifest_path))?;
    }
    let work = cfg.out_dir.join(".work");
    let journal = Journal::open(&work.join("journal"), cfg.resume)?;
    let tables = work.join("tables");
    if tables.exists() {
        std::fs::remove_dir_all(&tables).map_err(out_err(&tables))?;
    }
    std::fs::create_dir_all(&tables).map_err(out_err(&tables))?;
    let mut notes = Vec::new();
    let mut cache = match cfg.cache.as_deref().map(Cache::open) {
        Some(Ok((c, note))) => {
            notes.extend(note);
            Some(c)
        }
        Some(Err(e)) => {
            notes.push(format!("running without the cache: {e}"));
            None
        }
        None => None,
    };
    let steps = Steps::of(tagger, stages);
    let mut resume = ResumeInfo::default();

    let mut reader = io::read_inputs(&cfg.inputs, &cfg.read)?;
    let mut staging = Staging { dir: tables.clone(), names: Vec::new() };
    let mut documents = staging.create(dataset::documents_spec(), cfg.format)?;
    let mut errors = staging.create(dataset::errors_spec(), cfg.format)?;
    let mut mentions = Spill::create(&work, dataset::mentions_spec())?;
    let mut statements = Spill::create(&work, dataset::statements_spec())?;
    let mut relations = Spill::create(&work, dataset::relations_spec())?;
    let mut sentences =
        if cfg.with_tokens { Some(staging.create(dataset::sentences_spec(), cfg.format)?) } else { None };
    let mut entity_index = EntityIndex::new();
    let mut fact_index = FactIndex::new();
    let mut counts = Counts::default();
    let mut words: u64 = 0;
    let progress = manifest::Progress::new(cfg.progress && std::io::stderr().is_terminal());
    if let Some(n) = cfg.expected_records {
        progress.set_total(n);
    }

    for chunk_no in 0.. {
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
        let contents: Vec<String> = docs.par_iter().map(record::content_hash).collect();
        let fresh: Vec<Fresh> = slots
            .iter()
            .map(|s| match s {
                Ok(i) => Fresh::Doc(&contents[*i]),
                Err(r) => Fresh::Rejected(&r.origin, r.doc_id.as_deref()),
            })
            .collect();

        let t = Instant::now();
        let replayed = journal.replay(chunk_no, |j| same_chunk(j, &fresh, &steps));
        timings.read += t.elapsed().as_secs_f64();
        if let Some(journaled) = replayed {
            let done = journaled.into_iter().filter_map(|s| match s {
                Slot::Doc(rec) => Some(rec.doc),
                Slot::Rejected { .. } => None,
            });
            for (d, rec) in docs.iter_mut().zip(done) {
                let origin = std::mem::take(&mut d.origin);
                *d = rec;
                d.origin = origin;
            }
            resume.chunks_replayed += 1;
            resume.documents_replayed += docs.len() as u64;
        } else {
            let reused = cache.as_mut().map(|c| c.reuse(&mut docs, &contents, &steps));
            let from = cache_or_not(&mut cache, &mut notes, reused).unwrap_or_else(|| vec![0; docs.len()]);
            process(&mut docs, &from, tagger, stages, &mut timings)?;
            let stored = cache.as_mut().map(|c| c.store(&docs, &contents, &steps, &from));
            cache_or_not(&mut cache, &mut notes, stored);
            let t = Instant::now();
            let js: Vec<Slot> = slots
                .iter()
                .map(|s| match s {
                    Ok(i) => Slot::Doc(DocRecord::new(contents[*i].clone(), steps.clone(), docs[*i].clone())),
                    Err(r) => Slot::Rejected { origin: r.origin.clone(), doc_id: r.doc_id.clone() },
                })
                .collect();
            journal.write(chunk_no, js)?;
            timings.write += t.elapsed().as_secs_f64();
        }

        let t = Instant::now();
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
    let mut ent_w = staging.create(dataset::entities_spec(), cfg.format)?;
    for e in canon.entities() {
        ent_w.write(&serde_json::to_value(e).expect("entity records serialize"))?;
    }
    counts.entities = ent_w.finish()?.rows;
    for (spill, count) in
        [(mentions, &mut counts.mentions), (statements, &mut counts.statements), (relations, &mut counts.relations)]
    {
        staging.names.push(spill.spec.name);
        *count = spill.finish(&tables, cfg.format, &entity_of)?;
    }
    let names: std::collections::HashMap<&str, &str> =
        canon.entities().iter().map(|e| (e.entity_id.as_str(), e.name.as_str())).collect();
    let name_of = |id: &str| names.get(id).map(|n| n.to_string());
    let (facts, conflicts) = fact_index.finish(&entity_of);
    let mut facts_w = staging.create(dataset::facts_spec(), cfg.format)?;
    for f in &facts {
        let mut v = serde_json::to_value(f).expect("fact records serialize");
        dataset::add_names(&mut v, &name_of);
        facts_w.write(&v)?;
    }
    counts.facts = facts_w.finish()?.rows;
    let mut conf_w = staging.create(dataset::conflicts_spec(), cfg.format)?;
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
    staging.publish(&cfg.out_dir, cfg.format)?;
    let finished = cache.map(Cache::finish);
    let cache = cache_or_not(&mut None, &mut notes, finished);

    counts.records = counts.ok + counts.rejected;
    let seconds = started.elapsed().as_secs_f64();
    timings.total = seconds;
    let resume = cfg.resume.then_some(resume);
    let mut manifest = Manifest::new(cfg, reader.stats().to_vec(), counts.clone(), timings, words, tagger, stages);
    manifest.cache = cache.clone();
    manifest.resume = resume.clone();
    manifest.write(&manifest_path)?;
    std::fs::remove_dir_all(&work).map_err(out_err(&work))?;
    Ok(RunSummary { counts, out_dir: cfg.out_dir.clone(), seconds, words, cache, resume, notes })
}
