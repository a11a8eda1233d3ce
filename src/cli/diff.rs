//! `claimgraph diff RUN_A RUN_B [--out DIR] [--json]`: exit 0 when the datasets are equal, 1 when
//! they differ, 2 on error (like `diff`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::diff::{self, Diff, Run, Summary};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier run's output folder.
    pub run_a: PathBuf,
    /// The later run's output folder.
    pub run_b: PathBuf,
    /// Write the details here: summary.json, entities.jsonl, facts.jsonl, conflicts.jsonl,
    /// documents.jsonl (docs/SCHEMA.md, "diff output").
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Exit code when the runs differ (0 equal; errors exit 2).
const DIFFERENT: u8 = 1;
const ERROR: u8 = 2;

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    match compare(&args) {
        Ok(equal) => Ok(if equal { ExitCode::SUCCESS } else { ExitCode::from(DIFFERENT) }),
        // Printed here rather than by `main`, whose exit code for errors is 1 (which means
        // "different" for a diff).
        Err(err) => {
            eprintln!("claimgraph: error: {err:#}");
            Ok(ExitCode::from(ERROR))
        }
    }
}

fn compare(args: &DiffArgs) -> anyhow::Result<bool> {
    let a = Run::load(&args.run_a)?;
    let b = Run::load(&args.run_b)?;
    let d = diff::diff(&a, &b);
    if let Some(dir) = &args.out {
        write_details(dir, &d).with_context(|| format!("writing the diff to {}", dir.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&d.summary)?);
    } else {
        print!("{}", readable(&d.summary));
    }
    Ok(d.summary.equal)
}

fn write_jsonl<T: Serialize>(path: &Path, rows: &[T]) -> anyhow::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in rows {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

fn write_details(dir: &Path, d: &Diff) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("summary.json"), serde_json::to_string_pretty(&d.summary)? + "\n")?;
    write_jsonl(&dir.join("entities.jsonl"), &d.entities)?;
    write_jsonl(&dir.join("facts.jsonl"), &d.facts)?;
    write_jsonl(&dir.join("conflicts.jsonl"), &d.conflicts)?;
    write_jsonl(&dir.join("documents.jsonl"), &d.documents)?;
    Ok(())
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter().map(|(k, v)| format!("{v} {k}")).collect::<Vec<_>>().join(", ")
}

/// The summary for a reader: verdict first, then the likely cause, then what changed.
fn readable(s: &Summary) -> String {
    let mut out = String::new();
    if s.equal {
        out.push_str(&format!("{} and {}: the datasets are equal\n", s.run_a, s.run_b));
        return out;
    }
    out.push_str(&format!("{} -> {}: the datasets differ\n", s.run_a, s.run_b));
    if s.fingerprints.is_empty() {
        out.push_str("  changed steps: none (same fingerprints: the inputs or options differ)\n");
    } else {
        let steps: Vec<&str> = s.fingerprints.iter().map(|f| f.step.as_str()).collect();
        out.push_str(&format!("  changed steps: {}\n", steps.join(", ")));
    }
    let tables: Vec<String> = s
        .tables
        .iter()
        .filter(|(_, t)| !t.equal)
        .map(|(n, t)| format!("{n} ({} -> {} rows)", t.rows_before, t.rows_after))
        .collect();
    out.push_str(&format!("  tables that differ: {}\n", tables.join(", ")));
    out.push_str(&format!("  entities: {}\n", counts(&s.entities)));
    out.push_str(&format!("  facts: {}\n", counts(&s.facts)));
    out.push_str(&format!("  conflicts: {}\n", counts(&s.conflicts)));
    for (name, c) in [("mentions", &s.mentions), ("statements", &s.statements), ("relations", &s.relations)] {
        out.push_str(&format!("  {name}: {} gained, {} lost, {} changed\n", c.gained, c.lost, c.changed));
    }
    out.push_str(&format!("  documents: {}\n", counts(&s.documents)));
    out
}
