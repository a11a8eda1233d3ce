//! `manifest.json`: what ran, on what, with which models and settings, and how long it took;
//! and the progress line on stderr.

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::Value;

use crate::io::InputStats;
use crate::model::Tagger;
use crate::pipeline::shard::{ShardInfo, Shards};
use crate::pipeline::{MergeConfig, PipelineError, RunConfig};
use crate::stages::StageSet;

/// Records and rows, reconciled: `records = ok + rejected`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub records: u64,
    pub ok: u64,
    pub rejected: u64,
    pub mentions: u64,
    pub entities: u64,
    pub statements: u64,
    pub relations: u64,
    pub facts: u64,
    pub conflicts: u64,
}

/// Wall-clock seconds per step (steps overlap nothing: they run one after the other).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read: f64,
    pub segment: f64,
    pub tag: f64,
    pub extract: f64,
    pub write: f64,
    pub aggregate: f64,
    pub total: f64,
}

/// What `--resume` replayed from the journal of a killed run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResumeInfo {
    pub chunks_replayed: u64,
    pub documents_replayed: u64,
}

#[derive(Debug, Serialize)]
pub struct StageInfo {
    pub name: String,
    pub fingerprint: String,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub schema_version: &'static str,
    pub format: String,
    pub threads: usize,
    pub inputs: Vec<InputStats>,
    pub model: ModelInfo,
    pub stages: Vec<StageInfo>,
    pub counts: Counts,
    pub words: u64,
    pub words_per_second: f64,
    pub timings: Timings,
    /// With `--cache`: hits and misses per step, and why documents missed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::cache::CacheReport>,
    /// With `--resume`: what was replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeInfo>,
}

#[derive(Debug, Serialize)]
pub struct ModelInfo {
    pub path: String,
    pub fingerprint: String,
    /// Engine and precision: `tch:F32`, `tch:Bf16` (libtorch) or `onnx:int8` (ONNX Runtime).
    pub engine: String,
    /// Encoder work: windows, word pieces and padded positions run.
    pub work: crate::model::TagStats,
}

impl Manifest {
    pub fn new(
        cfg: &RunConfig,
        inputs: Vec<InputStats>,
        counts: Counts,
        timings: Timings,
        words: u64,
        tagger: &Tagger,
        stages: &StageSet,
    ) -> Self {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let timings = Timings {
            read: round(timings.read),
            segment: round(timings.segment),
            tag: round(timings.tag),
            extract: round(timings.extract),
            write: round(timings.write),
            aggregate: round(timings.aggregate),
            total: round(timings.total),
        };
        Manifest {
            tool: "claimgraph",
            version: env!("CARGO_PKG_VERSION"),
            schema_version: crate::dataset::SCHEMA_VERSION,
            format: cfg.format.to_string(),
            threads: cfg.threads,
            inputs,
            model: ModelInfo {
                path: tagger.model_dir().display().to_string(),
                fingerprint: tagger.fingerprint().to_string(),
                engine: tagger.engine().to_string(),
                work: tagger.stats,
            },
            stages: stages
                .fingerprints()
                .into_iter()
                .map(|(name, fingerprint)| StageInfo { name: name.to_string(), fingerprint })
                .collect(),
            counts,
            words,
            words_per_second: if timings.total > 0.0 { (words as f64 / timings.total).round() } else { 0.0 },
            timings,
            cache: None,
            resume: None,
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), PipelineError> {
        let text = serde_json::to_string_pretty(self).expect("manifest serializes");
        std::fs::write(path, text + "\n").map_err(|source| PipelineError::Output { path: path.to_path_buf(), source })
    }
}

/// Seconds rounded to milliseconds, for the manifest.
fn rounded(t: Timings) -> Timings {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    Timings {
        read: round(t.read),
        segment: round(t.segment),
        tag: round(t.tag),
        extract: round(t.extract),
        write: round(t.write),
        aggregate: round(t.aggregate),
        total: round(t.total),
    }
}

/// `manifest.json` of `claimgraph merge`: the shards it read (with their hashes and counts)
/// where `run` lists its inputs; `inputs` are what the maps read, `model` what they ran (its
/// `work` summed over the shards).
#[derive(Debug, Serialize)]
pub struct MergeManifest {
    pub tool: &'static str,
    pub version: &'static str,
    pub schema_version: &'static str,
    pub format: String,
    pub threads: usize,
    pub shards: Vec<ShardInfo>,
    pub inputs: Vec<Value>,
    pub model: Value,
    pub stages: Vec<StageInfo>,
    pub counts: Counts,
    pub words: u64,
    pub words_per_second: f64,
    pub timings: Timings,
}

impl MergeManifest {
    pub fn new(
        cfg: &MergeConfig,
        shards: &Shards,
        counts: Counts,
        timings: Timings,
        words: u64,
        aliases: &crate::aggregate::entities::AliasTable,
    ) -> Self {
        let mut model = shards.headers().next().map(|h| h.model.clone()).unwrap_or(Value::Null);
        for key in ["windows", "pieces", "positions", "input_pieces"] {
            let sum: u64 = shards.headers().filter_map(|h| h.model["work"][key].as_u64()).sum();
            if let Some(w) = model.get_mut("work").and_then(Value::as_object_mut) {
                w.insert(key.into(), sum.into());
            }
        }
        let inputs = shards.headers().flat_map(|h| h.inputs.as_array().cloned().unwrap_or_default()).collect();
        let mut stages: Vec<StageInfo> = shards
            .steps()
            .0
            .iter()
            .filter(|s| s.name != crate::pipeline::record::TAGGER_STEP)
            .map(|s| StageInfo { name: s.name.clone(), fingerprint: s.fingerprint.clone() })
            .collect();
        stages.push(StageInfo { name: "resolve".into(), fingerprint: StageSet::resolve_fingerprint(aliases) });
        let timings = rounded(timings);
        MergeManifest {
            tool: "claimgraph",
            version: env!("CARGO_PKG_VERSION"),
            schema_version: crate::dataset::SCHEMA_VERSION,
            format: cfg.format.to_string(),
            threads: cfg.threads,
            shards: shards.info.clone(),
            inputs,
            model,
            stages,
            counts,
            words,
            words_per_second: if timings.total > 0.0 { (words as f64 / timings.total).round() } else { 0.0 },
            timings,
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), PipelineError> {
        let text = serde_json::to_string_pretty(self).expect("manifest serializes");
        std::fs::write(path, text + "\n").map_err(|source| PipelineError::Output { path: path.to_path_buf(), source })
    }
}

/// A progress line on stderr: documents, words/s and, when the total is known, an ETA.
/// Hidden when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(show: bool) -> Self {
        let bar = show.then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {pos} documents  {msg}")
                    .expect("static template"),
            );
            b
        });
        Progress { bar }
    }
    pub fn set_total(&self, total: u64) {
        if let Some(b) = &self.bar {
            b.set_length(total);
            b.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} documents [{elapsed_precise}, ETA {eta}]  {msg}")
                    .expect("static template"),
            );
        }
    }
    pub fn update(&self, docs: u64, words: u64, seconds: f64) {
        if let Some(b) = &self.bar {
            b.set_position(docs);
            let rate = if seconds > 0.0 { words as f64 / seconds } else { 0.0 };
            b.set_message(format!("{rate:.0} words/s"));
        }
    }
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
