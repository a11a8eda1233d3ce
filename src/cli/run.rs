//! `claimgraph run INPUT... -o OUT_DIR`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use crate::aggregate::entities::AliasTable;
use crate::cli::ModelArgs;
use crate::io::{FieldNames, Format, ReadOptions};
use crate::model::Tagger;
use crate::pipeline::{self, RunConfig};
use crate::stages::StageSet;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Inputs: .jsonl/.ndjson, .csv/.tsv, .txt/.md, a directory of them, any of these .gz or
    /// .zst compressed, or - for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short, long, value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// Format of every table: jsonl, csv or parquet.
    #[arg(long, default_value = "jsonl")]
    pub format: Format,
    /// Rename an input field: --field text=body --field id=article_id (fields: id, text,
    /// title, url, published, source).
    #[arg(long = "field", value_name = "NAME=COLUMN")]
    pub fields: Vec<String>,
    /// Entity ruler: JSONL of {"label", "pattern"} or {"label", "regex"} lines that add or
    /// override mentions.
    #[arg(long, value_name = "FILE")]
    pub ruler: Option<PathBuf>,
    /// Curated aliases for the cross-document step: lines of `canonical | form | form`
    /// (format in data/lexicons/aliases.txt). They extend the built-in table; a form listed
    /// here moves to this file's entity.
    #[arg(long, value_name = "FILE")]
    pub aliases: Option<PathBuf>,
    /// Start from an empty alias table instead of the built-in one.
    #[arg(long)]
    pub no_builtin_aliases: bool,
    /// Also write the sentences table (sentence spans, token spans and tags).
    #[arg(long)]
    pub with_tokens: bool,
    /// Articles read and processed per chunk (memory is bounded by it).
    #[arg(long, default_value_t = crate::pipeline::DEFAULT_CHUNK, value_name = "N")]
    pub chunk_size: usize,
    /// Reject texts larger than this many bytes.
    #[arg(long, default_value_t = 5_000_000, value_name = "BYTES")]
    pub max_text_bytes: usize,
    /// Pattern files of the statements and relations stages (data/patterns/*.tsv): each file
    /// found in DIR replaces the built-in one of that name.
    #[arg(long, value_name = "DIR")]
    pub patterns: Option<PathBuf>,
    /// Keep processed documents in DIR and reuse them on later runs: unchanged documents and
    /// steps are not computed again (a changed pattern file re-runs statements and relations
    /// only; a changed model re-runs from tagging).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Continue a run that was killed: same arguments, plus --resume. Chunks it finished are
    /// replayed from OUT_DIR/.work, not processed again.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub(crate) fn field_names(specs: &[String]) -> anyhow::Result<FieldNames> {
    let mut f = FieldNames::default();
    for spec in specs {
        let Some((name, column)) = spec.split_once('=') else {
            bail!("--field '{spec}': expected NAME=COLUMN, e.g. --field text=body");
        };
        let slot = match name {
            "id" => &mut f.id,
            "text" => &mut f.text,
            "title" => &mut f.title,
            "url" => &mut f.url,
            "published" => &mut f.published,
            "source" => &mut f.source,
            other => bail!("--field '{spec}': unknown field '{other}' (id, text, title, url, published, source)"),
        };
        *slot = column.to_string();
    }
    Ok(f)
}

/// Counts the records up front when that is cheap: every input is an uncompressed JSONL or
/// CSV/TSV file (lines; CSV rows with embedded newlines make this an overestimate) or a folder
/// of text files. Anything else (stdin, compressed input) gives no total, and no ETA.
fn count_records(inputs: &[PathBuf]) -> Option<u64> {
    fn lines(p: &Path) -> Option<u64> {
        let mut f = std::fs::File::open(p).ok()?;
        let mut buf = vec![0u8; 1 << 20];
        let (mut n, mut last) = (0u64, b'\n');
        loop {
            let k = f.read(&mut buf).ok()?;
            if k == 0 {
                break;
            }
            n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64;
            last = buf[k - 1];
        }
        Some(n + u64::from(last != b'\n'))
    }
    fn files(dir: &Path) -> Option<u64> {
        let mut n = 0;
        for e in std::fs::read_dir(dir).ok()? {
            let p = e.ok()?.path();
            if p.is_dir() {
                n += files(&p)?;
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("txt" | "md")) {
                n += 1;
            } else {
                return None;
            }
        }
        Some(n)
    }
    let mut total = 0;
    for p in inputs {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        total += match ext {
            "jsonl" | "ndjson" | "json" => lines(p)?,
            "csv" | "tsv" => lines(p)?.saturating_sub(1),
            _ if p.is_dir() => files(p)?,
            _ => return None,
        };
    }
    Some(total)
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let read = ReadOptions { fields: field_names(&args.fields)?, max_text_bytes: args.max_text_bytes };
    args.model.init_threads()?;
    let mut aliases = if args.no_builtin_aliases { AliasTable::default() } else { AliasTable::builtin() };
    if let Some(p) = &args.aliases {
        aliases.extend(AliasTable::load(p)?);
    }
    let stages = StageSet::with_patterns(args.ruler.as_deref(), aliases, args.patterns.as_deref())
        .context("loading the stage configuration")?;
    let dir = args.model.model_dir();
    let mut tagger = Tagger::load(&dir, &args.model.tagger_config()?)
        .with_context(|| format!("loading the model in {}", dir.display()))?;
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let expected_records = if show_progress { count_records(&args.inputs) } else { None };
    let cfg = RunConfig {
        inputs: args.inputs,
        out_dir: args.out,
        format: args.format,
        read,
        chunk_size: args.chunk_size,
        with_tokens: args.with_tokens,
        progress: show_progress,
        expected_records,
        threads: args.model.threads(),
        cache: args.cache,
        resume: args.resume,
    };
    let summary = pipeline::run(&cfg, &mut tagger, &stages)?;
    let c = &summary.counts;
    for note in &summary.notes {
        eprintln!("claimgraph: {note}");
    }
    if !args.quiet {
        eprintln!(
            "claimgraph: {} records: {} ok, {} rejected; {} mentions, {} entities, {} statements, {} relations, {} facts, {} conflicts; {} words in {:.1} s ({:.0} words/s) -> {}",
            c.records, c.ok, c.rejected, c.mentions, c.entities, c.statements, c.relations, c.facts,
            c.conflicts, summary.words, summary.seconds, summary.words as f64 / summary.seconds.max(1e-9),
            summary.out_dir.display()
        );
        if let Some(r) = &summary.cache {
            let steps: Vec<String> = r.steps.iter().map(|s| format!("{} {}/{}", s.name, s.hits, s.misses)).collect();
            eprintln!("claimgraph: cache hits/misses: {}; {} entries stored", steps.join(", "), r.stored);
        }
        if let Some(r) = &summary.resume {
            eprintln!(
                "claimgraph: resumed: {} chunks ({} documents) replayed from the journal",
                r.chunks_replayed, r.documents_replayed
            );
        }
        if c.rejected > 0 {
            eprintln!(
                "claimgraph: {} records rejected; reasons in {}",
                c.rejected,
                summary.out_dir.join(format!("errors.{}", cfg.format)).display()
            );
        }
    }
    Ok(if c.rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
