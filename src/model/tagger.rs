//! The tagger: words in, NER + part of speech + chunk labels out, in one encoder pass.
//!
//! 1. Each word is cut into word pieces by the model's `tokenizer.json` (the `tokenizers`
//!    crate, pre-tokenized input, so pieces map back to words), at most
//!    `max_pieces_per_word` each; a word that yields none becomes `[UNK]`.
//! 2. The case feature: the token-type id of a word's pieces says how the word is cased
//!    ([`CaseFeature`]). The encoder is uncased; this gives capitalization back to it.
//! 3. A document's words are cut into overlapping windows ([`windows`](super::windows)).
//! 4. Windows of all documents in the call are sorted by length and batched, so padding stays
//!    small; batches never exceed `batch_size` rows (rust-bert's own `predict` mixes up inputs
//!    past its batch size; we do not use it). An engine whose rows are not independent (int8:
//!    [`Engine::rows_independent`]) gets one window per run, so labels never depend on batch-mates.
//! 5. Each word takes the probabilities of each head at its first piece, in the window where
//!    it is most central. Part of speech is the argmax; NER and chunk are either the argmax
//!    repaired to valid IOB2, or the most probable valid IOB2 sequence ([`Decode`]).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokenizers::Tokenizer;

use crate::doc::{Document, Tags};
use crate::model::engine::{Engine, PieceBatch, Precision};
use crate::model::onnx_engine::{self, OnnxEngine};
use crate::model::parser::{self, Parser};
use crate::model::tch_engine::TchEngine;
use crate::model::windows::{self, Window};
use crate::model::ModelError;

/// Label lists of the three heads, as saved by `scripts/train_tagger.py`.
#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    pub ner: Vec<String>,
    pub pos: Vec<String>,
    pub chunk: Vec<String>,
}

/// Input conventions the model was trained with (`tagger.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct TaggerSpec {
    pub max_pieces: usize,
    pub max_pieces_per_word: usize,
    pub case_feature: String,
    pub stride_fraction: f64,
    /// Pieces of context each word gets on both sides at a window cut
    /// ([`windows::plan_context`]); absent in older models, whose windows overlap by
    /// `1 - stride_fraction` of a window instead ([`windows::plan`]).
    #[serde(default)]
    pub context_pieces: Option<usize>,
    /// Absent in older models: argmax.
    #[serde(default)]
    pub decode: Decode,
    /// Weight of the article-wide NER type mean for repeated capitalized words
    /// ([`doc_consistency`]); absent in older models: 0, off.
    #[serde(default)]
    pub consistency: f64,
    /// Weight of the NER label-bigram prior in Viterbi (`ner_transitions`); absent: 0, off.
    #[serde(default)]
    pub transition_weight: f64,
    /// `ner_transitions[prev][next]`: log P(next | prev) over the training data's NER labels,
    /// in `labels.json` order.
    #[serde(default)]
    pub ner_transitions: Option<Vec<Vec<f64>>>,
}

/// How NER and chunk labels are read off the heads' probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decode {
    /// Each word's most probable label, then IOB2 repair.
    #[default]
    Argmax,
    /// The most probable label sequence that is valid IOB2, per document (no learned
    /// transition scores: the constraint alone). +0.9 valid NER F1 over argmax on the first
    /// shipped tagger.
    Viterbi,
}

impl std::str::FromStr for Decode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "argmax" => Ok(Decode::Argmax),
            "viterbi" => Ok(Decode::Viterbi),
            other => Err(format!("unknown decoding '{other}' (expected argmax or viterbi)")),
        }
    }
}

/// What the token-type id of a word's pieces says about its case (`tagger.json`
/// `case_feature`; `scripts/tagger_common.py::case_type` is the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseFeature {
    /// Type 0 everywhere.
    None,
    /// 1 when the first character is upper-case.
    FirstUpper,
    /// 0: first character not upper-case; 2: ALL CAPS (at least two cased characters, none
    /// lower-case: "NATO", "U.S."); 1: any other word that starts upper-case.
    Shape3,
}

impl CaseFeature {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(CaseFeature::None),
            "type_id_first_upper" => Some(CaseFeature::FirstUpper),
            "type_id_shape3" => Some(CaseFeature::Shape3),
            _ => None,
        }
    }

    pub fn type_id(self, word: &str) -> u8 {
        if self == CaseFeature::None || !word.chars().next().is_some_and(char::is_uppercase) {
            return 0;
        }
        if self == CaseFeature::FirstUpper {
            return 1;
        }
        let mut cased = 0;
        for c in word.chars() {
            if c.is_lowercase() {
                return 1;
            }
            if c.is_uppercase() {
                cased += 1;
            }
        }
        if cased >= 2 {
            2
        } else {
            1
        }
    }
}

/// How to run the tagger. These change speed, not results (except `precision`, which is part
/// of the fingerprint).
#[derive(Debug, Clone)]
pub struct TaggerConfig {
    /// Windows per forward pass. Default 8: the best measured on 2 CPU cores (NOTES.md).
    pub batch_size: usize,
    pub device: tch::Device,
    /// Default f32.
    pub precision: Precision,
    /// Engines run side by side, each with its own copy of the weights and one libtorch
    /// thread (set by the caller). Two 1-thread workers match one 2-thread engine on an idle
    /// machine, and do not stall when another process takes a core (an OpenMP team does, at
    /// every barrier). Default 1; on CUDA always 1.
    pub workers: usize,
    /// Overrides the model's own `decode` (for measuring one against the other).
    pub decode: Option<Decode>,
    /// Overrides the model's own `consistency` weight.
    pub consistency: Option<f64>,
    /// Overrides the model's own `transition_weight`.
    pub transition_weight: Option<f64>,
    /// Overrides the model's own `context_pieces` (for measuring how much context words need).
    pub context: Option<usize>,
}

impl Default for TaggerConfig {
    fn default() -> Self {
        TaggerConfig {
            batch_size: 8,
            device: tch::Device::Cpu,
            precision: Precision::F32,
            workers: 1,
            decode: None,
            consistency: None,
            transition_weight: None,
            context: None,
        }
    }
}

/// One word's labels, as indices into [`Labels`], with the probability of each, and its
/// dependency arc when the model has a parser and sentences were given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordLabels {
    pub ner: usize,
    pub ner_p: f32,
    pub pos: usize,
    pub pos_p: f32,
    pub chunk: usize,
    pub chunk_p: f32,
    pub arc: Option<parser::Arc>,
}

/// Windows per encoder group of [`Tagger::tag_sentences`]: enough that batches fill and the
/// engines stay busy (the group's last window leaves the other engines idle), few enough that the
/// group's per-word outputs stay small (64 BBC-sized windows: about 25 MB).
const GROUP_WINDOWS: usize = 64;

/// Longest stretch of words parsed as one tree: a longer "sentence" (a list, a table that
/// segmentation could not split) is parsed in pieces, each with its own root.
const MAX_PARSE_WORDS: usize = 200;

pub struct Tagger {
    /// One per worker; a batch locks whichever is free.
    engines: Vec<Mutex<Box<dyn Engine>>>,
    /// The dependency parser head, when the model folder has one (`parser.json`).
    parser: Option<Parser>,
    tokenizer: Tokenizer,
    pub labels: Labels,
    spec: TaggerSpec,
    case: CaseFeature,
    batch_size: usize,
    cls: i64,
    sep: i64,
    unk: u32,
    fingerprint: String,
    engine: String,
    dir: PathBuf,
    /// What the encoder has run so far: for throughput and roofline reports.
    pub stats: TagStats,
}

/// Work done by the encoder, summed over calls.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct TagStats {
    pub windows: u64,
    /// Word pieces fed to the encoder, `[CLS]`/`[SEP]` included (overlapping windows count a
    /// piece once per window).
    pub pieces: u64,
    /// Positions computed, padding included (`rows x cols` per batch).
    pub positions: u64,
    /// Word pieces of the input documents, each counted once: `positions / input_pieces` is
    /// the encoder's work per piece of text (1 would be no overlap, no padding, no `[CLS]`).
    #[serde(default)]
    pub input_pieces: u64,
}

/// A document's words as the model sees them.
struct Prepared {
    pieces: Vec<Vec<u32>>,
    /// Token-type id of each word's pieces (the case feature).
    case: Vec<u8>,
    windows: Vec<Window>,
    owner: Vec<usize>,
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|e| ModelError::Io { path: path.to_path_buf(), source: e })
}

fn parse_json<T: for<'de> Deserialize<'de>>(path: &Path, bytes: &[u8]) -> Result<T, ModelError> {
    serde_json::from_slice(bytes).map_err(|e| ModelError::Format { path: path.to_path_buf(), reason: e.to_string() })
}

impl Tagger {
    /// Loads a model folder (`model.safetensors`, `config.json`, `tokenizer.json`,
    /// `labels.json`, `tagger.json`).
    pub fn load(dir: &Path, cfg: &TaggerConfig) -> Result<Self, ModelError> {
        let labels_path = dir.join("labels.json");
        let labels_bytes = read(&labels_path)?;
        let labels: Labels = parse_json(&labels_path, &labels_bytes)?;
        let spec_path = dir.join("tagger.json");
        let spec_bytes = read(&spec_path)?;
        let mut spec: TaggerSpec = parse_json(&spec_path, &spec_bytes)?;
        if let Some(d) = cfg.decode {
            spec.decode = d;
        }
        if let Some(c) = cfg.consistency {
            spec.consistency = c;
        }
        if let Some(w) = cfg.transition_weight {
            spec.transition_weight = w;
        }
        if let Some(c) = cfg.context {
            spec.context_pieces = Some(c);
        }
        if spec.transition_weight != 0.0 {
            let n = labels.ner.len();
            let ok = spec.ner_transitions.as_ref().is_some_and(|t| t.len() == n && t.iter().all(|r| r.len() == n));
            if !ok || !spec.transition_weight.is_finite() {
                return Err(ModelError::Format {
                    path: spec_path,
                    reason: format!(
                        "transition_weight {} needs ner_transitions, a {n} x {n} matrix (one row and column per NER label)",
                        spec.transition_weight
                    ),
                });
            }
        }
        if !(0.0..=1.0).contains(&spec.consistency) {
            return Err(ModelError::Format {
                path: spec_path,
                reason: format!("consistency {} is outside 0..1", spec.consistency),
            });
        }
        let Some(case) = CaseFeature::parse(&spec.case_feature) else {
            return Err(ModelError::Format {
                path: spec_path,
                reason: format!("unsupported case_feature '{}'", spec.case_feature),
            });
        };
        if spec.max_pieces < 3 + spec.max_pieces_per_word {
            return Err(ModelError::Format {
                path: spec_path,
                reason: "max_pieces must leave room for [CLS], [SEP] and one whole word".into(),
            });
        }
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| ModelError::Format { path: tok_path.clone(), reason: e.to_string() })?;
        // A whole article is encoded at once and windowed here, so the tokenizer must neither
        // truncate nor pad: the base model's tokenizer.json truncates at 128 pieces, which
        // silently turned every later word into [UNK].
        tokenizer
            .with_truncation(None)
            .map_err(|e| ModelError::Format { path: tok_path.clone(), reason: e.to_string() })?;
        tokenizer.with_padding(None);
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| ModelError::Format { path: tok_path.clone(), reason: format!("vocabulary has no {t}") })
        };
        let (cls, sep, unk) = (id("[CLS]")? as i64, id("[SEP]")? as i64, id("[UNK]")?);

        if cfg.precision == Precision::Int8 {
            if cfg.device.is_cuda() {
                return Err(ModelError::Format {
                    path: dir.to_path_buf(),
                    reason: "int8 runs on the CPU (ONNX Runtime); use bf16 or f32 on CUDA".into(),
                });
            }
            if let Some(reason) = onnx_engine::unavailable_reason(dir) {
                return Err(ModelError::Format { path: dir.to_path_buf(), reason: format!("int8: {reason}") });
            }
        }
        let workers = if cfg.device.is_cuda() { 1 } else { cfg.workers.max(1) };
        let parser = Parser::load(dir, workers, cfg.precision == Precision::Int8)?;
        let mut heads = vec![("ner", labels.ner.len()), ("pos", labels.pos.len()), ("chunk", labels.chunk.len())];
        if let Some(p) = &parser {
            heads.push(("hidden", p.spec.hidden));
        }
        let mix = parser.as_ref().map(|p| p.spec.layer_weights.clone());
        let mut engines: Vec<Mutex<Box<dyn Engine>>> = Vec::with_capacity(workers);
        for _ in 0..workers {
            let e: Box<dyn Engine> = match cfg.precision {
                Precision::Int8 => Box::new(OnnxEngine::load(dir, &heads)?),
                p => Box::new(TchEngine::load(dir, &heads[..3], mix.clone(), cfg.device, p)?),
            };
            engines.push(Mutex::new(e));
        }
        let (describe, rows_independent) =
            engines[0].lock().map(|e| (e.describe(), e.rows_independent())).unwrap_or_default();

        // Fingerprint: everything in the folder that changes outputs, plus the precision.
        let mut h = Sha256::new();
        let mut files = vec!["model.safetensors", "config.json", "tokenizer.json"];
        if cfg.precision == Precision::Int8 {
            files.push(onnx_engine::ONNX_INT8_FILE);
            if parser.is_some() {
                files.push(parser::PARSER_INT8_FILE);
            }
        }
        if parser.is_some() {
            files.extend([parser::PARSER_FILE, parser::PARSER_SPEC, parser::PARSER_REL]);
        }
        for name in files {
            let path = dir.join(name);
            let digest = super::file_sha256(&path).map_err(|e| ModelError::Io { path, source: e })?;
            h.update(digest.as_bytes());
        }
        h.update(&labels_bytes);
        h.update(&spec_bytes);
        h.update(describe.as_bytes());
        h.update(format!("{:?} {} {}", spec.decode, spec.consistency, spec.transition_weight).as_bytes());
        if let Some(c) = cfg.context {
            h.update(format!(" context {c}").as_bytes());
        }
        let fingerprint = format!("{:x}", h.finalize())[..16].to_string();

        Ok(Tagger {
            engines,
            parser,
            tokenizer,
            labels,
            spec,
            case,
            // A window's labels must not depend on its batch-mates (NOTES.md: rust-bert's
            // `predict` bug; dynamic int8 scales a batch together), so such engines get one.
            batch_size: if rows_independent { cfg.batch_size.max(1) } else { 1 },
            cls,
            sep,
            unk,
            fingerprint,
            engine: describe,
            dir: dir.to_path_buf(),
            stats: TagStats::default(),
        })
    }

    /// Identifies the weights, vocabulary, label sets and precision.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The engine and precision the encoder runs on: `tch:F32`, `tch:Bf16` or `onnx:int8`.
    pub fn engine(&self) -> &str {
        &self.engine
    }

    pub fn model_dir(&self) -> &Path {
        &self.dir
    }

    /// Dependency relation names, when the model has a parser.
    pub fn deprels(&self) -> Option<&[String]> {
        self.parser.as_ref().map(|p| p.spec.labels.as_slice())
    }
}

/// Words per tokenizer call in [`prepare`]: a document longer than this tokenizes in parallel.
const PREPARE_RUN_WORDS: usize = 4096;

/// The word pieces of each of `words` (at most `max_per_word`; `unk` for a word with none).
fn word_pieces(
    tokenizer: &Tokenizer,
    max_per_word: usize,
    unk: u32,
    words: &[&str],
) -> Result<Vec<Vec<u32>>, ModelError> {
    let mut pieces: Vec<Vec<u32>> = vec![Vec::new(); words.len()];
    if !words.is_empty() {
        let enc = tokenizer.encode(words, false).map_err(|e| ModelError::Tokenize(e.to_string()))?;
        for (&id, wid) in enc.get_ids().iter().zip(enc.get_word_ids()) {
            if let Some(w) = wid {
                let p = &mut pieces[*w as usize];
                if p.len() < max_per_word {
                    p.push(id);
                }
            }
        }
    }
    for p in pieces.iter_mut().filter(|p| p.is_empty()) {
        p.push(unk);
    }
    Ok(pieces)
}

/// Pieces, case flags and windows of one document. A free function over the tokenizer and spec
/// (both `Sync`) so documents are prepared in parallel while the engine (not `Sync`) waits.
fn prepare(
    tokenizer: &Tokenizer,
    spec: &TaggerSpec,
    case: CaseFeature,
    unk: u32,
    words: &[&str],
) -> Result<Prepared, ModelError> {
    // Words are tokenized each on its own (pre-tokenized input), so a long document's words
    // split into runs tokenize on all threads with the same pieces.
    let runs: Vec<Vec<Vec<u32>>> = words
        .par_chunks(PREPARE_RUN_WORDS)
        .map(|run| word_pieces(tokenizer, spec.max_pieces_per_word, unk, run))
        .collect::<Result<_, _>>()?;
    let pieces: Vec<Vec<u32>> = runs.into_iter().flatten().collect();
    let case = words.iter().map(|w| case.type_id(w)).collect();
    let counts: Vec<usize> = pieces.iter().map(Vec::len).collect();
    let capacity = spec.max_pieces - 2;
    let windows = match spec.context_pieces {
        Some(context) => windows::plan_context(&counts, capacity, context),
        None => {
            let stride = ((capacity as f64) * spec.stride_fraction).round().max(1.0) as usize;
            windows::plan(&counts, capacity, stride)
        }
    };
    let owner = windows::assign(&counts, &windows);
    Ok(Prepared { pieces, case, windows, owner })
}

impl Tagger {
    /// Labels every word of every document (each document a sequence of words, in order).
    pub fn tag_words(&mut self, docs: &[Vec<&str>]) -> Result<Vec<Vec<WordLabels>>, ModelError> {
        self.tag_sentences(docs, None)
    }

    /// Labels every word as [`tag_words`](Self::tag_words) does, and with a parser and
    /// `sentences` (per document, the word ranges of its sentences, in order) parses each
    /// sentence too: one encoder pass gives all four.
    pub fn tag_sentences(
        &mut self,
        docs: &[Vec<&str>],
        sentences: Option<&[Vec<Range<usize>>]>,
    ) -> Result<Vec<Vec<WordLabels>>, ModelError> {
        let prepared: Vec<Prepared> = {
            let (tokenizer, spec, case, unk) = (&self.tokenizer, &self.spec, self.case, self.unk);
            docs.par_iter().map(|w| prepare(tokenizer, spec, case, unk, w)).collect::<Result<_, _>>()?
        };
        self.stats.input_pieces += prepared.iter().flat_map(|p| &p.pieces).map(|p| p.len() as u64).sum::<u64>();
        // Documents go through the encoder in groups of about GROUP_WINDOWS windows: every
        // word's probabilities and parser input (1.5 KB a word) live only until its group is
        // decoded and parsed, so memory stays flat however many documents a call has.
        let mut result = Vec::with_capacity(docs.len());
        let mut start = 0;
        while start < docs.len() {
            let mut end = start + 1;
            let mut windows = prepared[start].windows.len();
            while end < docs.len() && windows + prepared[end].windows.len() <= GROUP_WINDOWS {
                windows += prepared[end].windows.len();
                end += 1;
            }
            let sents = sentences.map(|s| &s[start..end]);
            result.extend(self.tag_group(&docs[start..end], &prepared[start..end], sents)?);
            start = end;
        }
        Ok(result)
    }

    /// Tags one group of [`tag_sentences`](Self::tag_sentences): runs its windows on the
    /// engines, then decodes and parses each document.
    fn tag_group(
        &mut self,
        docs: &[Vec<&str>],
        prepared: &[Prepared],
        sentences: Option<&[Vec<Range<usize>>]>,
    ) -> Result<Vec<Vec<WordLabels>>, ModelError> {
        let parse = self.parser.is_some() && sentences.is_some();

        let mut out: Vec<Vec<Option<WordOut>>> =
            prepared.iter().map(|p| (0..p.pieces.len()).map(|_| None).collect()).collect();
        let mut arcs: Vec<Vec<Option<parser::Arc>>> = prepared.iter().map(|p| vec![None; p.pieces.len()]).collect();
        // A group holds more than GROUP_WINDOWS windows only when one document does: its windows
        // run in waves of that many, in document order, and each wave's finished sentences are
        // parsed (their hidden states freed) before the next, so memory stays flat however long
        // the document.
        let jobs: Vec<(usize, usize)> =
            prepared.iter().enumerate().flat_map(|(d, p)| (0..p.windows.len()).map(move |w| (d, w))).collect();
        let mut parsed: Vec<usize> = vec![0; prepared.len()];
        for wave in jobs.chunks(GROUP_WINDOWS) {
            self.run_windows(prepared, wave, parse, &mut out)?;
            if let (Some(p), Some(sents)) = (&self.parser, sentences) {
                let ready: Vec<&[Range<usize>]> =
                    (0..out.len()).map(|d| finished(&out[d], &sents[d], &mut parsed[d])).collect();
                parse_group(p, &mut out, &ready, &mut arcs)?;
            }
        }
        let words_out: Vec<Vec<WordOut>> = out
            .into_iter()
            .map(|words| {
                words
                    .into_iter()
                    .map(|w| w.ok_or_else(|| ModelError::Forward("a word received no label".into())))
                    .collect::<Result<_, _>>()
            })
            .collect::<Result<_, _>>()?;
        let mut result = Vec::with_capacity(words_out.len());
        for ((doc, mut words), arcs) in docs.iter().zip(words_out).zip(arcs) {
            if self.spec.consistency > 0.0 {
                doc_consistency(&self.labels.ner, doc, &mut words, self.spec.consistency);
            }
            let mut labels: Vec<WordLabels> = words.iter().map(|w| w.labels).collect();
            if self.spec.consistency > 0.0 && self.spec.decode == Decode::Argmax {
                for (l, w) in labels.iter_mut().zip(&words) {
                    (l.ner, l.ner_p) = argmax(&w.ner);
                }
            }
            if self.spec.decode == Decode::Viterbi {
                let ner: Vec<&[f32]> = words.iter().map(|w| w.ner.as_slice()).collect();
                let prior = self.spec.ner_transitions.as_deref().filter(|_| self.spec.transition_weight != 0.0);
                let prior = prior.map(|t| (t, self.spec.transition_weight));
                for (l, (k, p)) in labels.iter_mut().zip(viterbi_iob2(&self.labels.ner, &ner, prior)) {
                    (l.ner, l.ner_p) = (k, p);
                }
                let chunk: Vec<&[f32]> = words.iter().map(|w| w.chunk.as_slice()).collect();
                for (l, (k, p)) in labels.iter_mut().zip(viterbi_iob2(&self.labels.chunk, &chunk, None)) {
                    (l.chunk, l.chunk_p) = (k, p);
                }
            }
            repair_iob(&self.labels.ner, &mut labels, |l| &mut l.ner);
            repair_iob(&self.labels.chunk, &mut labels, |l| &mut l.chunk);
            for (l, a) in labels.iter_mut().zip(arcs) {
                l.arc = a;
            }
            result.push(labels);
        }
        Ok(result)
    }

    /// Runs windows `jobs` of `prepared` on the engines (shortest first, so a batch pads
    /// little) and places each owned word's outputs in `out[document][word]`.
    fn run_windows(
        &mut self,
        prepared: &[Prepared],
        jobs: &[(usize, usize)],
        parse: bool,
        out: &mut [Vec<Option<WordOut>>],
    ) -> Result<(), ModelError> {
        let mut jobs = jobs.to_vec();
        jobs.sort_by_key(|&(d, w)| (prepared[d].windows[w].pieces.len(), d, w));
        let batches: Vec<&[(usize, usize)]> = jobs.chunks(self.batch_size).collect();
        let (cls, sep, engines) = (self.cls, self.sep, &self.engines);
        // Sequence decoding and the consistency step need each word's probabilities; argmax alone does not.
        let keep_probs = self.spec.decode == Decode::Viterbi || self.spec.consistency > 0.0;
        // Batches run in parallel, each on whichever engine is free; results are placed by
        // (document, word), so they do not depend on which engine ran what, or when.
        let outputs: Vec<Vec<(usize, usize, WordOut)>> = batches
            .par_iter()
            .map(|batch| run_batch(engines, prepared, batch, cls, sep, keep_probs, parse))
            .collect::<Result<_, _>>()?;
        for batch in &batches {
            let len = |&(d, w): &(usize, usize)| prepared[d].windows[w].pieces.len() as u64 + 2;
            self.stats.windows += batch.len() as u64;
            self.stats.pieces += batch.iter().map(len).sum::<u64>();
            self.stats.positions += batch.len() as u64 * batch.iter().map(len).max().unwrap_or(0);
        }
        for (d, word, l) in outputs.into_iter().flatten() {
            out[d][word] = Some(l);
        }
        Ok(())
    }

    /// Tags the tokens of each document in place (tokens must be set by segmentation).
    pub fn tag(&mut self, docs: &mut [Document]) -> Result<(), ModelError> {
        let words: Vec<Vec<&str>> =
            docs.iter().map(|d| d.tokens.iter().map(|t| t.span.of(&d.text)).collect()).collect();
        let sentences: Vec<Vec<Range<usize>>> =
            docs.iter().map(|d| d.sentences.iter().map(|s| s.tokens.clone()).collect()).collect();
        let labels = self.tag_sentences(&words, Some(&sentences))?;
        drop(words);
        let deprels = self.deprels().unwrap_or_default();
        for ((doc, labels), sents) in docs.iter_mut().zip(labels).zip(&sentences) {
            let mut start_of = vec![0; doc.tokens.len()];
            for s in sents {
                start_of[s.clone()].iter_mut().for_each(|x| *x = s.start);
            }
            for (k, (tok, l)) in doc.tokens.iter_mut().zip(labels).enumerate() {
                let (head, deprel) = match l.arc {
                    Some(a) if a.head == 0 => (None, deprels[a.rel].clone()),
                    Some(a) => (Some(start_of[k] + a.head - 1), deprels[a.rel].clone()),
                    None => (None, String::new()),
                };
                tok.tags = Some(Tags {
                    pos: self.labels.pos[l.pos].clone(),
                    chunk: self.labels.chunk[l.chunk].clone(),
                    ner: self.labels.ner[l.ner].clone(),
                    ner_score: l.ner_p,
                    head,
                    deprel,
                });
            }
        }
        Ok(())
    }
}

/// One word's argmax labels, with the NER and chunk probabilities sequence decoding needs
/// (empty when the model decodes by argmax alone).
struct WordOut {
    labels: WordLabels,
    ner: Vec<f32>,
    chunk: Vec<f32>,
    /// The parser's input at this word (empty when nothing is parsed).
    hidden: Vec<f32>,
}

/// Sentences per run of the parser head: on one thread, 4 to 8 length-sorted sentences per call
/// parsed 1.55 times as many words per second as one (fewer calls, a wider LSTM step); 32 fell
/// back to 1.1 times (padding in the pair scores).
const PARSE_BATCH: usize = 8;
/// At most this many word pairs (rows x longest^2) per run: the head's outputs and their
/// intermediates grow with it, and ONNX Runtime keeps its largest allocation for good, so 8
/// sentences of 200 words (65 MB of label scores alone) would raise every later run's memory.
/// 8 sentences of 48 words fit; a single sentence always runs.
const PARSE_PAIRS: usize = 8 * 48 * 48;

/// One sentence piece to parse: its document, its first word, its offset in its sentence, and
/// its words' features.
type ParseJob = (usize, usize, usize, Vec<f32>);

/// The sentences of `sents` from `next` on whose words all have their outputs in `words`
/// (windows own words in order, so these are a run); moves `next` past them.
fn finished<'s>(words: &[Option<WordOut>], sents: &'s [Range<usize>], next: &mut usize) -> &'s [Range<usize>] {
    let from = *next;
    while *next < sents.len()
        && words[sents[*next].start.min(words.len())..sents[*next].end.min(words.len())].iter().all(Option::is_some)
    {
        *next += 1;
    }
    &sents[from..*next]
}

/// Parses sentences `sentences[d]` of each document `d` from their words' hidden states (which
/// it frees), in pieces of at most [`MAX_PARSE_WORDS`], batching sentences of similar length,
/// and writes the arcs into `arcs[d]`; heads are 1-based within the sentence, 0 = root.
fn parse_group(
    parser: &Parser,
    docs: &mut [Vec<Option<WordOut>>],
    sentences: &[&[Range<usize>]],
    arcs: &mut [Vec<Option<parser::Arc>>],
) -> Result<(), ModelError> {
    let mut jobs: Vec<ParseJob> = Vec::new();
    for (d, (words, sents)) in docs.iter_mut().zip(sentences).enumerate() {
        for sentence in sents.iter() {
            let sentence = sentence.start.min(words.len())..sentence.end.min(words.len());
            let mut start = sentence.start;
            while start < sentence.end {
                let end = (start + MAX_PARSE_WORDS).min(sentence.end);
                let feats =
                    words[start..end].iter_mut().flatten().flat_map(|w| std::mem::take(&mut w.hidden)).collect();
                jobs.push((d, start, start - sentence.start, feats));
                start = end;
            }
        }
    }
    // A batch holds sentences of one document only: the int8 head scales its activations per
    // batch, so batch-mates from other documents would make a document's parse depend on what
    // it was run with (its chunk, its shard). Within a document, shortest first, so a batch
    // pads little (a stable sort: ties stay in input order).
    jobs.sort_by_key(|j| (j.0, j.3.len()));
    let hidden = parser.spec.hidden.max(1);
    let mut batches: Vec<&[ParseJob]> = Vec::new();
    let mut rest = &jobs[..];
    while !rest.is_empty() {
        let mut k = 1;
        // Sorted by length, so the k-th is the longest of the first k.
        while k < rest.len().min(PARSE_BATCH)
            && rest[k].0 == rest[0].0
            && (k + 1) * (rest[k].3.len() / hidden).pow(2) <= PARSE_PAIRS
        {
            k += 1;
        }
        let (batch, tail) = rest.split_at(k);
        batches.push(batch);
        rest = tail;
    }
    let trees: Vec<Vec<Vec<parser::Arc>>> = batches
        .par_iter()
        .map(|batch| parser.parse_batch(&batch.iter().map(|j| j.3.as_slice()).collect::<Vec<_>>()))
        .collect::<Result<_, _>>()?;
    for ((d, first, offset, _), tree) in jobs.iter().zip(trees.into_iter().flatten()) {
        for (k, a) in tree.into_iter().enumerate() {
            let head = if a.head == 0 { 0 } else { a.head + offset };
            arcs[*d][first + k] = Some(parser::Arc { head, rel: a.rel });
        }
    }
    Ok(())
}

/// Builds one padded batch of windows, runs it on a free engine, and returns the labels of
/// the words each window owns as `(document, word, labels)`.
fn run_batch(
    engines: &[Mutex<Box<dyn Engine>>],
    prepared: &[Prepared],
    batch: &[(usize, usize)],
    cls: i64,
    sep: i64,
    keep_probs: bool,
    keep_hidden: bool,
) -> Result<Vec<(usize, usize, WordOut)>, ModelError> {
    let cols = 2 + batch.iter().map(|&(d, w)| prepared[d].windows[w].pieces.len()).max().unwrap_or(0);
    let mut pb = PieceBatch {
        rows: batch.len(),
        cols,
        input_ids: vec![0; batch.len() * cols],
        type_ids: vec![0; batch.len() * cols],
        mask: vec![0; batch.len() * cols],
    };
    // Column of each owned word's first piece, per row.
    let mut firsts: Vec<Vec<(usize, usize)>> = Vec::with_capacity(batch.len());
    for (row, &(d, w)) in batch.iter().enumerate() {
        let p = &prepared[d];
        let base = row * cols;
        let mut col = 0;
        let mut put = |id: i64, ty: i64, col: &mut usize| {
            pb.input_ids[base + *col] = id;
            pb.type_ids[base + *col] = ty;
            pb.mask[base + *col] = 1;
            *col += 1;
        };
        put(cls, 0, &mut col);
        let mut owned = Vec::new();
        for word in p.windows[w].words.clone() {
            if p.owner[word] == w {
                owned.push((word, col));
            }
            let ty = p.case[word] as i64;
            for &id in &p.pieces[word] {
                put(id as i64, ty, &mut col);
            }
        }
        put(sep, 0, &mut col);
        firsts.push(owned);
    }
    let heads = {
        let mut engine = lock_free(engines);
        engine.forward(&pb)?
    };
    // ner, pos, chunk, and for a model with a parser its input (`hidden`).
    if !(3..=4).contains(&heads.len()) || (keep_hidden && heads.len() != 4) {
        return Err(ModelError::Forward(format!("expected 3 heads and the parser input, got {} outputs", heads.len())));
    }
    let hidden = heads.get(3).filter(|_| keep_hidden);
    let mut out = Vec::new();
    for (row, &(d, _)) in batch.iter().enumerate() {
        for &(word, col) in &firsts[row] {
            let (ner_probs, chunk_probs) = (heads[0].at(cols, row, col), heads[2].at(cols, row, col));
            let (ner, ner_p) = argmax(ner_probs);
            let (pos, pos_p) = argmax(heads[1].at(cols, row, col));
            let (chunk, chunk_p) = argmax(chunk_probs);
            out.push((
                d,
                word,
                WordOut {
                    labels: WordLabels { ner, ner_p, pos, pos_p, chunk, chunk_p, arc: None },
                    ner: if keep_probs { ner_probs.to_vec() } else { Vec::new() },
                    chunk: if keep_probs { chunk_probs.to_vec() } else { Vec::new() },
                    hidden: hidden.map(|h| h.at(cols, row, col).to_vec()).unwrap_or_default(),
                },
            ));
        }
    }
    Ok(out)
}

/// Takes the first engine nobody is using; with as many engines as rayon threads one is
/// always free, so this only blocks when the caller runs on a larger pool.
pub(crate) fn lock_free<T>(pool: &[Mutex<T>]) -> std::sync::MutexGuard<'_, T> {
    for e in pool {
        if let Ok(g) = e.try_lock() {
            return g;
        }
    }
    // All busy (or one poisoned by a panic elsewhere): wait for the first.
    pool[0].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn argmax(p: &[f32]) -> (usize, f32) {
    let mut best = (0, f32::NEG_INFINITY);
    for (i, &v) in p.iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best
}

/// Pulls the NER type of repeated capitalized words of one article towards their article-wide
/// mean. Words starting upper-case are grouped by their lower-cased form; for each word of a
/// group of two or more, the type distribution q (`O`, and each type summing its `B-` and `I-`
/// probabilities) becomes `(1 - weight) q + weight mean(q)`, and `B-`/`I-` of a type keep their
/// ratio. Mirrors `tagger_common.doc_consistency` (+0.4 valid NER F1 at weight 0.8).
fn doc_consistency(names: &[String], words: &[&str], out: &mut [WordOut], weight: f64) {
    use std::collections::BTreeMap;
    let key_of: Vec<&str> = names.iter().map(|l| if l == "O" { "O" } else { l.get(2..).unwrap_or("") }).collect();
    let mut keys: Vec<&str> = key_of.clone();
    keys.sort_unstable();
    keys.dedup();
    let members: Vec<Vec<usize>> =
        keys.iter().map(|k| (0..names.len()).filter(|&j| key_of[j] == *k).collect()).collect();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        if w.chars().next().is_some_and(char::is_uppercase) {
            groups.entry(w.to_lowercase()).or_default().push(i);
        }
    }
    for idx in groups.values().filter(|g| g.len() >= 2) {
        let qs: Vec<Vec<f64>> = idx
            .iter()
            .map(|&i| members.iter().map(|m| m.iter().map(|&j| out[i].ner[j] as f64).sum()).collect())
            .collect();
        let mean: Vec<f64> = (0..keys.len()).map(|k| qs.iter().map(|q| q[k]).sum::<f64>() / qs.len() as f64).collect();
        for (&i, q) in idx.iter().zip(&qs) {
            for (k, m) in members.iter().enumerate() {
                let new = (1.0 - weight) * q[k] + weight * mean[k];
                for &j in m {
                    let p = out[i].ner[j] as f64;
                    out[i].ner[j] = if q[k] > 0.0 { p / q[k] * new } else { new / m.len() as f64 } as f32;
                }
            }
        }
    }
}

/// The most probable label sequence that is valid IOB2 (an `I-X` only after `B-X` or `I-X`,
/// never first), scored by the sum of log-probabilities, plus `weight * transitions[prev][next]`
/// at each step when a prior `(transitions, weight)` is given (log label-bigram probabilities of
/// the training data); returns each word's label and its probability. Ties go to the lower
/// label index. Mirrors `tagger_common.viterbi_iob2`.
fn viterbi_iob2(names: &[String], probs: &[&[f32]], prior: Option<(&[Vec<f64>], f64)>) -> Vec<(usize, f32)> {
    let n = names.len();
    if probs.is_empty() || n == 0 {
        return Vec::new();
    }
    let inside: Vec<Option<&str>> = names.iter().map(|l| l.strip_prefix("I-")).collect();
    // allowed[i]: the labels that may precede label i.
    let allowed: Vec<Vec<usize>> = (0..n)
        .map(|i| match inside[i] {
            None => (0..n).collect(),
            Some(t) => (0..n).filter(|&j| names[j].strip_prefix("B-").or(inside[j]) == Some(t)).collect(),
        })
        .collect();
    let lp = |p: f32| (p as f64).max(1e-30).ln();
    let mut score: Vec<f64> =
        (0..n).map(|i| if inside[i].is_none() { lp(probs[0][i]) } else { f64::NEG_INFINITY }).collect();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(probs.len());
    for row in &probs[1..] {
        let mut next = vec![f64::NEG_INFINITY; n];
        let mut bp = vec![0usize; n];
        for i in 0..n {
            let mut best = (usize::MAX, f64::NEG_INFINITY);
            for &j in &allowed[i] {
                let s = match prior {
                    Some((t, w)) => score[j] + w * t[j][i],
                    None => score[j],
                };
                if s > best.1 {
                    best = (j, s);
                }
            }
            if best.0 != usize::MAX {
                next[i] = best.1 + lp(row[i]);
                bp[i] = best.0;
            }
        }
        back.push(bp);
        score = next;
    }
    let mut i = 0;
    for k in 1..n {
        if score[k] > score[i] {
            i = k;
        }
    }
    let mut path = vec![i];
    for bp in back.iter().rev() {
        i = bp[i];
        path.push(i);
    }
    path.reverse();
    path.iter().zip(probs).map(|(&k, p)| (k, p[k])).collect()
}

/// Makes a label sequence valid IOB2: an `I-X` that does not continue an `X` becomes `B-X`.
/// The label set must contain the `B-X` for every `I-X` (it does for CoNLL data).
fn repair_iob<F>(names: &[String], labels: &mut [WordLabels], mut field: F)
where
    F: FnMut(&mut WordLabels) -> &mut usize,
{
    let mut prev_type: Option<&str> = None;
    for l in labels.iter_mut() {
        let idx = field(l);
        let name = names[*idx].as_str();
        if let Some(t) = name.strip_prefix("I-") {
            if prev_type != Some(t) {
                if let Some(b) = names.iter().position(|n| n.strip_prefix("B-") == Some(t)) {
                    *idx = b;
                }
            }
            prev_type = Some(t);
        } else if let Some(t) = name.strip_prefix("B-") {
            prev_type = Some(t);
        } else {
            prev_type = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wl(ner: usize) -> WordLabels {
        WordLabels { ner, ner_p: 1.0, pos: 0, pos_p: 1.0, chunk: 0, chunk_p: 1.0, arc: None }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn viterbi_prefers_a_valid_sequence_to_the_argmax() {
        let n = names(&["O", "B-ORG", "B-PER", "I-ORG", "I-PER"]);
        // Word 2's argmax is I-PER after B-ORG (invalid); the best valid path keeps the ORG.
        let p: Vec<Vec<f32>> = vec![
            vec![0.05, 0.80, 0.10, 0.03, 0.02],
            vec![0.10, 0.05, 0.05, 0.35, 0.45],
            vec![0.90, 0.02, 0.02, 0.03, 0.03],
        ];
        let rows: Vec<&[f32]> = p.iter().map(Vec::as_slice).collect();
        let path: Vec<usize> = viterbi_iob2(&n, &rows, None).into_iter().map(|(k, _)| k).collect();
        assert_eq!(path, vec![1, 3, 0]);
        // An I-X can never come first.
        let first: Vec<f32> = vec![0.1, 0.1, 0.2, 0.0, 0.6];
        assert_eq!(viterbi_iob2(&n, &[first.as_slice()], None)[0].0, 2);
        // Where the argmax is already valid, Viterbi returns it, with its probabilities.
        let q: Vec<Vec<f32>> = vec![vec![0.1, 0.1, 0.7, 0.05, 0.05], vec![0.1, 0.1, 0.1, 0.1, 0.6]];
        let rows: Vec<&[f32]> = q.iter().map(Vec::as_slice).collect();
        assert_eq!(viterbi_iob2(&n, &rows, None), vec![(2, 0.7), (4, 0.6)]);
    }

    #[test]
    fn viterbi_prior_overrules_a_weak_unlikely_label() {
        // The same case as tagger_common's self-test: O -> B-ORG is rare in the "training data"
        // (O O O O B-ORG I-ORG, add-one smoothed), so a weak B-ORG after O becomes O at weight 1.
        let n: Vec<String> = ["O", "B-ORG", "B-PER", "I-ORG", "I-PER"].iter().map(|s| s.to_string()).collect();
        let counts = [[4.0, 2.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 2.0, 1.0], [1.0; 5], [1.0; 5], [1.0; 5]];
        let t: Vec<Vec<f64>> =
            counts.iter().map(|r| r.iter().map(|c| (c / r.iter().sum::<f64>()).ln()).collect()).collect();
        let q: Vec<Vec<f32>> = vec![vec![0.9, 0.02, 0.04, 0.02, 0.02], vec![0.45, 0.5, 0.01, 0.02, 0.02]];
        let rows: Vec<&[f32]> = q.iter().map(Vec::as_slice).collect();
        let path = |prior| viterbi_iob2(&n, &rows, prior).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(path(None), vec![0, 1]);
        assert_eq!(path(Some((t.as_slice(), 0.0))), vec![0, 1]);
        assert_eq!(path(Some((t.as_slice(), 1.0))), vec![0, 0]);
    }

    #[test]
    fn consistency_moves_repeated_words_towards_their_mean() {
        let n = names(&["O", "B-ORG", "B-PER", "I-ORG", "I-PER"]);
        let rows = [[0.1, 0.1, 0.6, 0.0, 0.2], [0.9, 0.1, 0.0, 0.0, 0.0], [0.1, 0.5, 0.3, 0.1, 0.0]];
        let mut out: Vec<WordOut> = rows
            .iter()
            .map(|r| WordOut { labels: wl(0), ner: r.to_vec(), chunk: Vec::new(), hidden: Vec::new() })
            .collect();
        doc_consistency(&n, &["Karimi", "the", "Karimi"], &mut out, 0.5);
        assert_eq!(out[1].ner, rows[1].to_vec(), "lower-case words are left alone");
        let p = &out[0].ner;
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((p[2] / p[4] - 3.0).abs() < 1e-5, "B/I ratio kept");
        assert!(((p[1] + p[3]) - (0.5 * 0.1 + 0.5 * 0.35)).abs() < 1e-6, "ORG mass halfway to the mean");
    }

    #[test]
    fn case_feature_shapes() {
        let f = |w: &str| CaseFeature::Shape3.type_id(w);
        assert_eq!((f("kabul"), f("Kabul"), f("NATO"), f("U.S."), f("I"), f("A")), (0, 1, 2, 2, 1, 1));
        assert_eq!((f("McCain"), f("1996"), f("KABUL-based"), f("iPhone"), f("ÉTÉ")), (1, 0, 1, 0, 2));
        assert_eq!(CaseFeature::FirstUpper.type_id("NATO"), 1);
        assert_eq!(CaseFeature::None.type_id("NATO"), 0);
    }

    #[test]
    fn iob_repair_starts_orphan_inside_tags() {
        let names: Vec<String> = ["O", "B-LOC", "B-PER", "I-LOC", "I-PER"].iter().map(|s| s.to_string()).collect();
        // O I-PER I-PER B-LOC I-PER  ->  O B-PER I-PER B-LOC B-PER
        let mut seq: Vec<WordLabels> = [0, 4, 4, 1, 4].iter().map(|&i| wl(i)).collect();
        repair_iob(&names, &mut seq, |l| &mut l.ner);
        assert_eq!(seq.iter().map(|l| l.ner).collect::<Vec<_>>(), vec![0, 2, 4, 1, 2]);
    }
}
