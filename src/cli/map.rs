//! `claimgraph map INPUT... -o SHARD_DIR`: the per-document half of `run`, writing one shard.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::aggregate::entities::AliasTable;
use crate::cli::run::field_names;
use crate::cli::ModelArgs;
use crate::io::ReadOptions;
use crate::model::Tagger;
use crate::pipeline::{self, MapConfig};
use crate::stages::StageSet;

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Inputs, as for `run` (- for JSONL on stdin); with --framed, streams of frames.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Folder for the shard (`shard-<hash>.jsonl`, created if missing), or - for stdout.
    #[arg(short, long, value_name = "SHARD_DIR")]
    pub out: PathBuf,
    /// Every input line is a frame: {"input", "file", "line", "record"} where record is the
    /// original JSONL line, so records keep their place whoever split the input (the Spark job
    /// sends these).
    #[arg(long)]
    pub framed: bool,
    /// Rename an input field, as for `run`.
    #[arg(long = "field", value_name = "NAME=COLUMN")]
    pub fields: Vec<String>,
    /// Entity ruler, as for `run`.
    #[arg(long, value_name = "FILE")]
    pub ruler: Option<PathBuf>,
    /// Pattern files of the statements and relations stages, as for `run`.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// Articles read and processed per chunk.
    #[arg(long, default_value_t = crate::pipeline::DEFAULT_CHUNK, value_name = "N")]
    pub chunk_size: usize,
    /// Reject texts larger than this many bytes.
    #[arg(long, default_value_t = 5_000_000, value_name = "BYTES")]
    pub max_text_bytes: usize,
    /// Reuse processed documents from a cache folder, as for `run`.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// No summary line.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: MapArgs) -> anyhow::Result<ExitCode> {
    let read = ReadOptions { fields: field_names(&args.fields)?, max_text_bytes: args.max_text_bytes };
    args.model.init_threads()?;
    // The aliases belong to the corpus step, which `merge` runs.
    let stages = StageSet::with_patterns(args.ruler.as_deref(), AliasTable::default(), args.patterns.as_deref())
        .context("loading the stage configuration")?;
    let dir = args.model.model_dir();
    let mut tagger = Tagger::load(&dir, &args.model.tagger_config()?)
        .with_context(|| format!("loading the model in {}", dir.display()))?;
    let cfg = MapConfig {
        inputs: args.inputs,
        framed: args.framed,
        out: (args.out.as_os_str() != "-").then_some(args.out),
        read,
        chunk_size: args.chunk_size,
        cache: args.cache,
    };
    let summary = pipeline::map(&cfg, &mut tagger, &stages)?;
    let r = &summary.report;
    for note in &r.notes {
        eprintln!("claimgraph: {note}");
    }
    if !args.quiet {
        let to = summary.shard.as_ref().map_or("stdout".to_string(), |p| p.display().to_string());
        eprintln!(
            "claimgraph: map: {} records: {} ok, {} rejected; {} words in {:.1} s -> {to}",
            r.records, r.ok, r.rejected, r.words, summary.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}
