//! `claimgraph cache stats DIR` and `claimgraph cache prune DIR`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cache::{self, prune};

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Entries, bytes, and the hit rates of the last runs by step.
    Stats(StatsArgs),
    /// Drop entries unused for a while, then the least recently used beyond a size.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The cache folder (as given to `run --cache`).
    pub dir: PathBuf,
    /// How many of the last runs to show.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub runs: usize,
    /// Print the statistics as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The cache folder (as given to `run --cache`).
    pub dir: PathBuf,
    /// Keep at most this much of entries: bytes, or with K/M/G/T (500M, 2G).
    #[arg(long, value_name = "SIZE", value_parser = prune::parse_size)]
    pub max_size: Option<u64>,
    /// Drop entries no run has used for this many days.
    #[arg(long, value_name = "DAYS")]
    pub unused_for: Option<f64>,
}

pub fn run(cmd: CacheCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CacheCommand::Stats(a) => stats(a),
        CacheCommand::Prune(a) => prune_cmd(a),
    }
}

fn stats(a: StatsArgs) -> anyhow::Result<ExitCode> {
    let s = cache::stats(&a.dir, a.runs)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} entries for {} documents ({} step configurations), {} of entries, {} on disk",
        s.dir,
        s.entries,
        s.documents,
        s.configurations,
        human(s.entry_bytes),
        human(s.disk_bytes)
    );
    for r in &s.runs {
        let steps: Vec<String> = r
            .report
            .steps
            .iter()
            .map(|c| {
                let total = (c.hits + c.misses).max(1);
                format!("{} {:.0}%", c.name, 100.0 * c.hits as f64 / total as f64)
            })
            .collect();
        let when = chrono::DateTime::from_timestamp(r.finished, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        println!("  run finished {when}: hits {}; {} stored", steps.join(", "), r.report.stored);
    }
    Ok(ExitCode::SUCCESS)
}

fn prune_cmd(a: PruneArgs) -> anyhow::Result<ExitCode> {
    if a.max_size.is_none() && a.unused_for.is_none() {
        anyhow::bail!("cache prune: give --max-size SIZE, --unused-for DAYS, or both");
    }
    let p = prune::prune(&a.dir, prune::PruneRule { max_bytes: a.max_size, unused_for_days: a.unused_for })?;
    println!(
        "{}: removed {} entries, kept {}; {} -> {} on disk",
        a.dir.display(),
        p.removed,
        p.kept,
        human(p.disk_bytes_before),
        human(p.disk_bytes_after)
    );
    Ok(ExitCode::SUCCESS)
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{:.1} KiB", b / 1024.0),
        1_048_576..=1_073_741_823 => format!("{:.1} MiB", b / 1_048_576.0),
        _ => format!("{:.2} GiB", b / 1_073_741_824.0),
    }
}
