//! `claimgraph eval conll FILE`: the tagger's entity-level NER P/R/F1 per type, POS accuracy
//! and chunk F1; `claimgraph eval conllu FILE`: the parser's UAS and LAS, and POS accuracy;
//! both through the same Rust inference path as `run`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::cli::ModelArgs;
use crate::model::conll::{self, Accuracy, ChunkReport, EvalReport, NerReport, SpanCounts};
use crate::model::conllu::{self, ParseCounts};
use crate::model::Tagger;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Evaluate on a CoNLL-2003 file (token POS chunk NER, IOB2, -DOCSTART- between articles).
    Conll(ConllArgs),
    /// Evaluate the parser on a CoNLL-U file (Universal Dependencies; `# newdoc` between
    /// articles): UAS, LAS (universal relations, as CoNLL 2018), UPOS and XPOS accuracy.
    Conllu(ConlluArgs),
}

#[derive(Debug, Args)]
pub struct ConlluArgs {
    /// The CoNLL-U file.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub model: ModelArgs,
}

#[derive(Debug, Args)]
pub struct ConllArgs {
    /// The CoNLL file.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// NER and chunk decoding: `argmax` (then IOB2 repair) or `viterbi` (best valid IOB2
    /// sequence). Default: the model's `tagger.json`.
    #[arg(long, value_name = "argmax|viterbi")]
    pub decode: Option<crate::model::Decode>,
    /// Weight of the article-wide NER type mean for repeated capitalized words, 0..1 (0: off).
    /// Default: the model's `tagger.json`.
    #[arg(long, value_name = "0..1")]
    pub consistency: Option<f64>,
    /// Weight of the training data's NER label-bigram log probabilities in Viterbi (0: off).
    /// Default: the model's `tagger.json`.
    #[arg(long, value_name = "W")]
    pub transition_weight: Option<f64>,
    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(cmd: EvalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EvalCommand::Conll(args) => conll_eval(args),
        EvalCommand::Conllu(args) => conllu_eval(args),
    }
}

fn conllu_eval(args: ConlluArgs) -> anyhow::Result<ExitCode> {
    args.model.init_threads()?;
    let dir = args.model.model_dir();
    let config = args.model.tagger_config()?;
    let mut tagger = Tagger::load(&dir, &config).with_context(|| format!("loading the model in {}", dir.display()))?;
    let Some(deprels) = tagger.deprels().map(<[String]>::to_vec) else {
        anyhow::bail!("the model in {} has no parser (parser.json)", dir.display());
    };
    let docs = conllu::read_conllu(&args.file)?;
    let words: Vec<Vec<&str>> = docs.iter().map(|d| d.iter().flatten().map(|w| w.form.as_str()).collect()).collect();
    let sentences: Vec<Vec<std::ops::Range<usize>>> = docs
        .iter()
        .map(|d| {
            let mut start = 0;
            d.iter()
                .map(|s| {
                    start += s.len();
                    start - s.len()..start
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let predicted = tagger.tag_sentences(&words, Some(&sentences))?;
    let seconds = started.elapsed().as_secs_f64();
    let mut counts = ParseCounts::default();
    for (doc, pred) in docs.iter().zip(&predicted) {
        for (gold, p) in doc.iter().flatten().zip(pred) {
            let arc = p.arc.context("a word was not parsed")?;
            counts.add(gold, arc.head, &deprels[arc.rel], &tagger.labels.pos[p.pos]);
        }
    }
    let mut report = counts.report();
    report.sentences = docs.iter().map(Vec::len).sum();
    report.documents = docs.len();
    report.engine = tagger.engine().to_string();
    report.seconds = seconds;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("UAS {:.2}  LAS {:.2}  (LAS with subtypes {:.2})", report.uas, report.las, report.las_full);
        println!("UPOS {:.2}  XPOS {:.2}", report.upos, report.xpos);
        println!(
            "{} words, {} sentences, {} documents, {:.1} s ({:.0} words/s, {})",
            report.words,
            report.sentences,
            report.documents,
            seconds,
            report.words as f64 / seconds,
            report.engine
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn conll_eval(args: ConllArgs) -> anyhow::Result<ExitCode> {
    args.model.init_threads()?;
    let dir = args.model.model_dir();
    let mut config = args.model.tagger_config()?;
    config.decode = args.decode;
    config.consistency = args.consistency;
    config.transition_weight = args.transition_weight;
    let mut tagger = Tagger::load(&dir, &config).with_context(|| format!("loading the model in {}", dir.display()))?;
    let docs = conll::read_conll(&args.file)?;
    // Each article is one sequence of words: the tagger sees the same context as in training.
    let words: Vec<Vec<&str>> = docs.iter().map(|d| d.iter().flatten().map(|t| t.word.as_str()).collect()).collect();
    let started = Instant::now();
    let predicted = tagger.tag_words(&words)?;
    let seconds = started.elapsed().as_secs_f64();

    let labels = &tagger.labels;
    let (mut ner, mut chunk) = (SpanCounts::default(), SpanCounts::default());
    let (mut pos_ok, mut n_words) = (0usize, 0usize);
    for (doc, pred) in docs.iter().zip(&predicted) {
        let mut offset = 0;
        // Spans are scored per sentence, as conlleval does.
        for sent in doc {
            let p = &pred[offset..offset + sent.len()];
            offset += sent.len();
            let gold_ner: Vec<&str> = sent.iter().map(|t| t.ner.as_str()).collect();
            let pred_ner: Vec<&str> = p.iter().map(|l| labels.ner[l.ner].as_str()).collect();
            ner.add(&gold_ner, &pred_ner);
            let gold_chunk: Vec<&str> = sent.iter().map(|t| t.chunk.as_str()).collect();
            let pred_chunk: Vec<&str> = p.iter().map(|l| labels.chunk[l.chunk].as_str()).collect();
            chunk.add(&gold_chunk, &pred_chunk);
            pos_ok += sent.iter().zip(p).filter(|(t, l)| t.pos == labels.pos[l.pos]).count();
            n_words += sent.len();
        }
    }
    let o = ner.overall();
    let c = chunk.overall();
    let report = EvalReport {
        ner: NerReport { precision: o.precision, recall: o.recall, f1: o.f1, per_type: ner.per_type() },
        pos: Accuracy { accuracy: if n_words == 0 { 0.0 } else { pos_ok as f64 / n_words as f64 } },
        chunk: ChunkReport { f1: c.f1, precision: c.precision, recall: c.recall },
        words: n_words,
        documents: docs.len(),
        engine: tagger.engine().to_string(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "NER      precision {:.2}  recall {:.2}  F1 {:.2}",
            100.0 * o.precision,
            100.0 * o.recall,
            100.0 * o.f1
        );
        for (t, m) in &report.ner.per_type {
            println!(
                "  {t:<6} precision {:.2}  recall {:.2}  F1 {:.2}",
                100.0 * m.precision,
                100.0 * m.recall,
                100.0 * m.f1
            );
        }
        println!("POS      accuracy {:.2}", 100.0 * report.pos.accuracy);
        println!("chunks   F1 {:.2}", 100.0 * c.f1);
        println!(
            "{} words in {} articles, {:.1} s ({:.0} words/s, {})",
            n_words,
            docs.len(),
            seconds,
            n_words as f64 / seconds,
            tagger.engine()
        );
    }
    Ok(ExitCode::SUCCESS)
}
