//! `claimgraph report RUN_DIR [-o report.html] [--compare RUN_A]`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::io::ReadOptions;
use crate::report::{self, Caps, Options};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A finished run's output folder (JSONL, CSV or Parquet tables).
    pub run: PathBuf,
    /// The HTML file to write [default: RUN_DIR/report.html].
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// An earlier run to compare with: adds a "what changed" section (as `claimgraph diff
    /// RUN_A RUN_DIR`).
    #[arg(long, value_name = "RUN_A")]
    pub compare: Option<PathBuf>,
    /// Read the article texts from these inputs instead of the ones named in manifest.json.
    #[arg(long = "input", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The field mapping the run was given (--field text=body ...), to read the texts again.
    #[arg(long = "field", value_name = "NAME=COLUMN")]
    pub fields: Vec<String>,
    /// Rows embedded per table (entities by mentions, facts by support, statements, conflicts).
    #[arg(long, default_value_t = Caps::default().rows, value_name = "N")]
    pub max_rows: usize,
    /// Documents with a full view (text and highlights): those conflicts cite first, then in
    /// input order.
    #[arg(long, default_value_t = Caps::default().doc_views, value_name = "N")]
    pub max_doc_views: usize,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let read = ReadOptions { fields: super::run::field_names(&args.fields)?, ..ReadOptions::default() };
    let caps = Caps { rows: args.max_rows, doc_views: args.max_doc_views, ..Caps::default() };
    let out = args.out.clone().unwrap_or_else(|| args.run.join("report.html"));
    let opts = Options { run: args.run, compare: args.compare, inputs: args.inputs, read, caps };
    let bytes = report::write(&opts, &out).with_context(|| format!("writing the report of {}", opts.run.display()))?;
    eprintln!("claimgraph: report of {} ({:.1} MB) -> {}", opts.run.display(), bytes as f64 / 1e6, out.display());
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}
