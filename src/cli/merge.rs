//! `claimgraph merge SHARD_DIR... -o OUT_DIR`: the barrier half of `run`, over shards.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::aggregate::entities::AliasTable;
use crate::io::Format;
use crate::pipeline::{self, MergeConfig};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shards made by `claimgraph map`: files, or folders of them (any names; names starting
    /// with . or _ are skipped), .gz or .zst compressed or not.
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short, long, value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// Format of every table: jsonl, csv or parquet.
    #[arg(long, default_value = "jsonl")]
    pub format: Format,
    /// Curated aliases for the cross-document step, as for `run`.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
    /// Start from an empty alias table instead of the built-in one.
    #[arg(long)]
    pub no_builtin_aliases: bool,
    /// Also write the sentences table.
    #[arg(long)]
    pub with_tokens: bool,
    /// Records decoded and merged per chunk.
    #[arg(long, default_value_t = 256, value_name = "N")]
    pub chunk_size: usize,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// No summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let threads =
        args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().ok();
    let mut aliases = if args.no_builtin_aliases { AliasTable::default() } else { AliasTable::builtin() };
    if let Some(p) = &args.aliases {
        aliases.extend(AliasTable::load(p)?);
    }
    let cfg = MergeConfig {
        shards: args.shards,
        out_dir: args.out,
        format: args.format,
        with_tokens: args.with_tokens,
        threads,
        chunk_size: args.chunk_size,
    };
    let s = pipeline::merge(&cfg, &aliases)?;
    let c = &s.counts;
    if !args.quiet {
        eprintln!(
            "claimgraph: merge: {} shards, {} records: {} ok, {} rejected; {} mentions, {} entities, {} statements, {} relations, {} facts, {} conflicts in {:.1} s -> {}",
            s.shards.len(), c.records, c.ok, c.rejected, c.mentions, c.entities, c.statements, c.relations,
            c.facts, c.conflicts, s.seconds, cfg.out_dir.display()
        );
    }
    Ok(if c.rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
