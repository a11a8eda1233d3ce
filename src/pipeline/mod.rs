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
//! The two halves are separate modules, so that a scaled-out run uses the same code: [`map`]
//! (steps 1-4, per document) hands chunks to a [`map::Sink`], and [`merge::Merger`] (steps 5-6)
//! is one. `claimgraph run` connects the two in one process; `claimgraph map` writes the
//! mapped records to a [`shard`] instead, and `claimgraph merge` reads shards back in input
//! order into the same merger, so map + merge writes the bytes `run` writes.
//!
//! Re-runs: every processed chunk is journaled as [`record::DocRecord`]s (see [`journal`]), so
//! `--resume` replays finished chunks; with `--cache` documents come from the
//! [`crate::cache`] where their steps are unchanged. Tables are written in the work folder and
//! renamed into the output folder at the end, and the manifest, the run-complete marker, last.

pub mod journal;
pub mod manifest;
pub mod map;
pub mod merge;
pub mod record;
pub mod shard;
pub mod stage;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};

use crate::aggregate::entities::AliasTable;
use crate::cache::CacheReport;
use crate::io::{self, Format, ReadOptions};
use crate::model::{ModelError, Tagger};
use crate::stages::StageSet;
use journal::Journal;
use manifest::{Counts, Manifest, MergeManifest, Progress, ResumeInfo, Timings};
use map::{MapReport, MapSettings};
use merge::{Merged, Merger};
use record::Steps;
use shard::{ShardDest, ShardInfo, ShardWriter, Shards};
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
    /// A stage failed on one document (a bug: please report the record).
    #[error("processing record {place} (id '{id}') failed: {message}")]
    Record { place: String, id: String, message: String },
    /// The tagger failed on a batch of documents.
    #[error("tagging records {first} to {last} failed: {message}")]
    Tagging { first: String, last: String, message: String },
    #[error("shard {path}: {message}")]
    Shard { path: PathBuf, message: String },
}

pub(crate) fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    move |source| PipelineError::Output { path: path.to_path_buf(), source }
}

/// Articles a run (or a map task) tags and processes per chunk. 128 rather than 256: on all of
/// BBC at two threads the peak memory fell from 606 to 565 MB for 2% of the speed (README).
pub const DEFAULT_CHUNK: usize = 128;

/// What `claimgraph run` does.
pub struct RunConfig {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub format: Format,
    pub read: ReadOptions,
    /// Documents per chunk (bounded memory; larger chunks batch better). Default [`DEFAULT_CHUNK`].
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

/// Creates the output folder, removes a previous manifest (it says a run completed: not this
/// one, yet), and returns the work folder.
fn prepare_out(out_dir: &Path) -> Result<PathBuf, PipelineError> {
    std::fs::create_dir_all(out_dir).map_err(out_err(out_dir))?;
    let manifest_path = out_dir.join("manifest.json");
    if manifest_path.exists() {
        std::fs::remove_file(&manifest_path).map_err(out_err(&manifest_path))?;
    }
    Ok(out_dir.join(".work"))
}

/// Per-step seconds of both halves together.
fn add_timings(map: &Timings, merged: &Timings, total: f64) -> Timings {
    Timings {
        read: map.read,
        segment: map.segment,
        tag: map.tag,
        extract: map.extract + merged.extract,
        write: map.write + merged.write,
        aggregate: merged.aggregate,
        total,
    }
}

/// Runs the whole pipeline: the per-document half straight into the barrier, in one process.
/// Bad records are rejected and counted; only problems that stop the run (unreadable inputs,
/// unwritable output, a broken model) are errors.
pub fn run(cfg: &RunConfig, tagger: &mut Tagger, stages: &StageSet) -> Result<RunSummary, PipelineError> {
    let started = Instant::now();
    stages.check()?;
    let work = prepare_out(&cfg.out_dir)?;
    let journal = Journal::open(&work.join("journal"), cfg.resume)?;
    let mut reader = io::read_inputs(&cfg.inputs, &cfg.read)?;
    let mut merger = Merger::create(&work, cfg.format, cfg.with_tokens)?;
    let progress = Progress::new(cfg.progress && std::io::stderr().is_terminal());
    if let Some(n) = cfg.expected_records {
        progress.set_total(n);
    }
    let settings = MapSettings {
        chunk_size: cfg.chunk_size,
        cache: cfg.cache.as_deref(),
        journal: Some(&journal),
        progress: &progress,
        started,
    };
    let MapReport { cache, resume, notes, timings: map_timings, .. } =
        map::map_records(&mut reader, tagger, stages, &settings, &mut merger)?;
    progress.finish();
    let Merged { counts, words, timings } = merger.finish(&stages.aliases, &cfg.out_dir)?;

    let seconds = started.elapsed().as_secs_f64();
    let timings = add_timings(&map_timings, &timings, seconds);
    let resume = cfg.resume.then_some(resume);
    let mut manifest = Manifest::new(cfg, reader.stats().to_vec(), counts.clone(), timings, words, tagger, stages);
    manifest.cache = cache.clone();
    manifest.resume = resume.clone();
    manifest.write(&cfg.out_dir.join("manifest.json"))?;
    std::fs::remove_dir_all(&work).map_err(out_err(&work))?;
    Ok(RunSummary { counts, out_dir: cfg.out_dir.clone(), seconds, words, cache, resume, notes })
}

/// What `claimgraph map` does.
pub struct MapConfig {
    pub inputs: Vec<PathBuf>,
    /// Read every input as frames (see [`crate::io::read::FramedRecords`]).
    pub framed: bool,
    /// A folder for the shard, or `None` for stdout.
    pub out: Option<PathBuf>,
    pub read: ReadOptions,
    pub chunk_size: usize,
    pub cache: Option<PathBuf>,
}

/// What a `map` did.
pub struct MapSummary {
    pub report: MapReport,
    /// The shard file, unless it went to stdout.
    pub shard: Option<PathBuf>,
    pub seconds: f64,
}

/// The tagger as `manifest.json` and shard headers describe it.
fn model_info(tagger: &Tagger) -> Value {
    json!({
        "path": tagger.model_dir().display().to_string(),
        "fingerprint": tagger.fingerprint(),
        "engine": tagger.engine(),
        "work": tagger.stats,
    })
}

/// Runs the per-document half and writes its records as one shard.
pub fn map(cfg: &MapConfig, tagger: &mut Tagger, stages: &StageSet) -> Result<MapSummary, PipelineError> {
    let started = Instant::now();
    stages.check()?;
    let mut reader = if cfg.framed {
        io::read_framed_inputs(&cfg.inputs, &cfg.read)?
    } else {
        io::read_inputs(&cfg.inputs, &cfg.read)?
    };
    let tmp_dir = cfg.out.clone().unwrap_or_else(std::env::temp_dir);
    let mut writer = ShardWriter::create(&tmp_dir, Steps::of(tagger, stages))?;
    let progress = Progress::new(false);
    let settings = MapSettings {
        chunk_size: cfg.chunk_size,
        cache: cfg.cache.as_deref(),
        journal: None,
        progress: &progress,
        started,
    };
    let report = map::map_records(&mut reader, tagger, stages, &settings, &mut writer)?;
    let dest = match &cfg.out {
        Some(dir) => ShardDest::Dir(dir.clone()),
        None => ShardDest::Stdout,
    };
    let inputs = serde_json::to_value(reader.stats()).expect("input stats serialize");
    let shard = writer.finish(model_info(tagger), inputs, &dest)?;
    Ok(MapSummary { report, shard, seconds: started.elapsed().as_secs_f64() })
}

/// What `claimgraph merge` does.
pub struct MergeConfig {
    /// Shard files, or folders of them.
    pub shards: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub format: Format,
    pub with_tokens: bool,
    pub threads: usize,
    /// Records decoded and merged per chunk.
    pub chunk_size: usize,
}

/// What a `merge` did.
pub struct MergeSummary {
    pub counts: Counts,
    pub shards: Vec<ShardInfo>,
    pub words: u64,
    pub seconds: f64,
}

/// The barrier over shards: reads them back in input order into the same [`Merger`] as `run`.
pub fn merge(cfg: &MergeConfig, aliases: &AliasTable) -> Result<MergeSummary, PipelineError> {
    let started = Instant::now();
    let paths = shard::list(&cfg.shards)?;
    let work = prepare_out(&cfg.out_dir)?;
    let mut shards = Shards::open(&paths)?;
    let mut merger = Merger::create(&work, cfg.format, cfg.with_tokens)?;
    let mut read = 0.0;
    loop {
        let t = Instant::now();
        let chunk = shards.next_chunk(cfg.chunk_size)?;
        read += t.elapsed().as_secs_f64();
        if chunk.is_empty() {
            break;
        }
        map::Sink::take(&mut merger, chunk)?;
    }
    let Merged { counts, words, timings } = merger.finish(aliases, &cfg.out_dir)?;
    let seconds = started.elapsed().as_secs_f64();
    let timings = Timings { read, total: seconds, ..timings };
    let manifest = MergeManifest::new(cfg, &shards, counts.clone(), timings, words, aliases);
    manifest.write(&cfg.out_dir.join("manifest.json"))?;
    std::fs::remove_dir_all(&work).map_err(out_err(&work))?;
    Ok(MergeSummary { counts, shards: shards.info.clone(), words, seconds })
}
