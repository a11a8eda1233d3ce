//! The command line: one file per subcommand. `anyhow` lives here and in `main`, not in the
//! library.

pub mod cache;
pub mod diff;
pub mod eval;
pub mod map;
pub mod merge;
pub mod report;
pub mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::model::{Precision, TaggerConfig};

#[derive(Debug, Parser)]
#[command(
    name = "claimgraph",
    version,
    about = "News articles in; entities, statements, relations and cross-outlet facts out."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline over articles and write the dataset.
    Run(run::RunArgs),
    /// Evaluate the tagger.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Inspect or bound a cache made by `run --cache`.
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// What changed between two runs' datasets (exit 0 equal, 1 different, 2 error).
    Diff(diff::DiffArgs),
    /// Write a self-contained HTML report of a run, for analysts (opens from file://).
    Report(report::ReportArgs),
    /// The per-document half of `run`, for scaled-out runs: articles in, one shard out.
    Map(map::MapArgs),
    /// The barrier half of `run`: shards in (any number, any split), the dataset out.
    Merge(merge::MergeArgs),
}

/// Options shared by every command that loads the tagger.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Model folder [default: models/claimgraph-tagger, or $CLAIMGRAPH_MODEL].
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Worker threads (rayon) and libtorch intra-op threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Windows per forward pass (libtorch; the int8 engine always runs one window per call).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub batch_size: usize,
    /// Where the encoder runs: cpu, cuda, or auto (cuda when available).
    #[arg(long, default_value = "auto", value_parser = ["cpu", "cuda", "auto"])]
    pub device: String,
    /// Numeric precision, and so the engine: f32 or bf16 on libtorch, int8 on ONNX Runtime (CPU),
    /// or auto: int8 on a CPU when the model has its ONNX export (made by setup), else bf16
    /// where the CPU or GPU computes it natively, else f32. All within 0.1 NER F1 on CoNLL-2003.
    #[arg(long, default_value = "auto", value_parser = ["auto", "f32", "bf16", "int8"])]
    pub precision: String,
    /// Pieces of context every word gets on both sides where windows meet, instead of the
    /// model's own (`tagger.json` `context_pieces`): for measuring speed against accuracy.
    #[arg(long, value_name = "PIECES")]
    pub context: Option<usize>,
}

impl ModelArgs {
    pub fn threads(&self) -> usize {
        self.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1)
    }

    /// Sizes rayon and libtorch so the two never oversubscribe the cores: `threads` rayon
    /// workers, and as many tagger engines with one libtorch thread each (on CUDA, one engine).
    pub fn init_threads(&self) -> anyhow::Result<()> {
        let n = self.threads();
        tch::set_num_threads(1);
        tch::set_num_interop_threads(1);
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().ok();
        Ok(())
    }

    pub fn tagger_config(&self) -> anyhow::Result<TaggerConfig> {
        let device = match self.device.as_str() {
            "cpu" => tch::Device::Cpu,
            "cuda" => {
                if let Some(why) = crate::model::cuda::unavailable_reason() {
                    anyhow::bail!("--device cuda: no CUDA device is available ({why})");
                }
                tch::Device::Cuda(0)
            }
            _ if crate::model::cuda::available() => tch::Device::Cuda(0),
            _ => tch::Device::Cpu,
        };
        let precision = if self.precision == "auto" {
            let (chosen, int8_unavailable) = Precision::auto(device, &self.model_dir());
            if let Some(why) = int8_unavailable {
                eprintln!("claimgraph: the int8 engine is unavailable ({why}); running {chosen:?} on libtorch");
            }
            chosen
        } else {
            self.precision.parse().map_err(anyhow::Error::msg)?
        };
        Ok(TaggerConfig {
            batch_size: self.batch_size,
            device,
            precision,
            workers: self.threads(),
            decode: None,
            consistency: None,
            transition_weight: None,
            context: self.context,
        })
    }

    pub fn model_dir(&self) -> PathBuf {
        self.model.clone().unwrap_or_else(crate::model::default_model_dir)
    }
}

/// Runs a parsed command line; the exit code tells the shell how it went.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Cache(cmd) => cache::run(cmd),
        Command::Diff(args) => diff::run(args),
        Command::Report(args) => report::run(args),
        Command::Map(args) => map::run(args),
        Command::Merge(args) => merge::run(args),
    }
}
