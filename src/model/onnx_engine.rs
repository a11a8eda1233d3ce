//! The ONNX Runtime engine: the same tagger exported to ONNX with int8 weights.
//!
//! `scripts/export_onnx.py` (run by `scripts/setup`) exports the shipped weights to
//! `model.int8.onnx` in the model folder: the encoder and the three heads with softmax, its
//! matrix multiplications dynamically quantized to int8 with one scale per output channel. On
//! this project's CPU it tags about 1.4 times as fast as libtorch in bf16 and keeps CoNLL-2003
//! NER F1 within 0.1 of float32 (MODEL.md, "Inference precision").
//!
//! ONNX Runtime is not linked: its shared library is opened at run time (`ort`'s
//! `load-dynamic`), from `$ORT_DYLIB_PATH` or else the PyPI `onnxruntime` wheel that setup
//! installs into `.venv` (its path is recorded by `build.rs`). Without either, the engine reports
//! itself unavailable and the tagger uses libtorch.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use crate::model::engine::{Engine, HeadProbs, PieceBatch};
use crate::model::ModelError;

/// How the export was made (`export_onnx.py` `RECIPE_VERSION`, the last word of its stamp,
/// followed by `:` and the quantization variant): an export made by an older recipe is stale like
/// one made from other weights. Recipe 2: int8 weights with one scale per output channel, 8-bit
/// (`s8-channel`, the default) or 7-bit (`s8-channel-rr`). Recipe 3: the parser head quantized too
/// ([`crate::model::parser::PARSER_INT8_FILE`]).
pub const EXPORT_RECIPE: &str = "recipe=3";

/// The int8 model's file name inside a model folder.
pub const ONNX_INT8_FILE: &str = "model.int8.onnx";

/// Where the ONNX Runtime shared library is: `$ORT_DYLIB_PATH`, else the one found at build time.
pub fn runtime_library() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return Some(PathBuf::from(p));
    }
    option_env!("CLAIMGRAPH_ORT_DYLIB").map(PathBuf::from).filter(|p| p.exists())
}

/// Why the ONNX engine cannot run with the model in `dir`, or `None` when it can: the export
/// is missing, was made from other weights than the folder's `model.safetensors` (its
/// `.sha256` stamp, written by the export, says which), or ONNX Runtime cannot be loaded.
pub fn unavailable_reason(dir: &Path) -> Option<String> {
    let model = dir.join(ONNX_INT8_FILE);
    let parser =
        dir.join(crate::model::parser::PARSER_SPEC).exists().then(|| dir.join(crate::model::parser::PARSER_INT8_FILE));
    if let Some(missing) = std::iter::once(&model).chain(&parser).find(|p| !p.exists()) {
        return Some(format!("{} is missing (scripts/export_onnx.py makes it)", missing.display()));
    }
    let stamp = dir.join(format!("{ONNX_INT8_FILE}.sha256"));
    let source = std::fs::read_to_string(&stamp).unwrap_or_default();
    let (made_from, recipe) = source.trim().rsplit_once(' ').unwrap_or_default();
    let current = recipe.split_once(':').is_some_and(|(version, _variant)| version == EXPORT_RECIPE);
    if !current || export_source(dir).ok().as_deref() != Some(made_from) {
        return Some(format!(
            "{} was not exported from this folder's model.safetensors and parser.json by the current recipe (stamp {}); run scripts/export_onnx.py {}",
            model.display(),
            stamp.display(),
            dir.display()
        ));
    }
    environment().err()
}

/// What an up-to-date export was made from (`export_onnx.py::export_source`): the sha256 of
/// `model.safetensors`, then, when the folder has a parser, those of `parser.json`, whose layer
/// weights the export bakes into its `hidden` output, and of `parser.onnx`, which it quantizes
/// (the stamp adds the recipe, [`EXPORT_RECIPE`]).
fn export_source(dir: &Path) -> std::io::Result<String> {
    use crate::model::parser::{PARSER_FILE, PARSER_SPEC};
    let mut parts = vec![super::file_sha256(&dir.join("model.safetensors"))?];
    if dir.join(PARSER_SPEC).exists() {
        parts.push(super::file_sha256(&dir.join(PARSER_SPEC))?);
        parts.push(super::file_sha256(&dir.join(PARSER_FILE))?);
    }
    Ok(parts.join(" "))
}

/// The process-wide ONNX Runtime environment, created on first use.
pub(crate) fn environment() -> Result<&'static Environment, String> {
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let lib = runtime_library()
            .ok_or_else(|| "no ONNX Runtime library (set ORT_DYLIB_PATH or run scripts/setup)".to_string())?;
        ort::init_from(&lib)
            .map_err(|e| format!("cannot load {}: {e}", lib.display()))?
            .with_name("claimgraph")
            .build()
            .map_err(|e| format!("ONNX Runtime: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

pub struct OnnxEngine {
    session: Session,
    heads: Vec<(String, usize)>,
}

/// An ONNX Runtime session on `path` with one intra-op thread and no spinning: workers run side
/// by side, each with its own session (as with libtorch).
pub(crate) fn open_session(path: &Path) -> Result<Session, ModelError> {
    let fail = |reason: String| ModelError::Format { path: path.to_path_buf(), reason };
    let env = environment().map_err(fail)?;
    Session::builder(env)
        .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::All)?))
        .and_then(|b| Ok(b.with_intra_threads(1)?))
        .and_then(|b| Ok(b.with_inter_threads(1)?))
        // A spinning pool would burn the core the other worker needs.
        .and_then(|b| Ok(b.with_intra_op_spinning(false)?))
        .and_then(|mut b| b.commit_from_file(path))
        .map_err(|e| fail(e.to_string()))
}

impl OnnxEngine {
    /// Opens `model.int8.onnx` in `dir` with one intra-op thread (workers run side by side, as
    /// with libtorch). `heads` are the output names and label counts, in `labels.json` order.
    pub fn load(dir: &Path, heads: &[(&str, usize)]) -> Result<Self, ModelError> {
        let path = dir.join(ONNX_INT8_FILE);
        let fail = |reason: String| ModelError::Format { path: path.clone(), reason };
        let session = open_session(&path)?;
        for (name, _) in heads {
            if !session.outputs().iter().any(|o| o.name() == *name) {
                return Err(fail(format!("the model has no output '{name}'")));
            }
        }
        Ok(OnnxEngine { session, heads: heads.iter().map(|(n, k)| (n.to_string(), *k)).collect() })
    }
}

impl Engine for OnnxEngine {
    fn forward(&mut self, batch: &PieceBatch) -> Result<Vec<HeadProbs>, ModelError> {
        let err = |e: ort::Error| ModelError::Forward(e.to_string());
        let shape = [batch.rows, batch.cols];
        let ids = Tensor::from_array((shape, batch.input_ids.clone())).map_err(err)?;
        let types = Tensor::from_array((shape, batch.type_ids.clone())).map_err(err)?;
        let mask = Tensor::from_array((shape, batch.mask.clone())).map_err(err)?;
        let outputs = self
            .session
            .run(ort::inputs!["input_ids" => ids, "token_type_ids" => types, "attention_mask" => mask])
            .map_err(err)?;
        let mut result = Vec::with_capacity(self.heads.len());
        for (name, labels) in &self.heads {
            let (out_shape, probs) = outputs[name.as_str()].try_extract_tensor::<f32>().map_err(err)?;
            let want = [batch.rows as i64, batch.cols as i64, *labels as i64];
            if out_shape.as_ref() != want {
                return Err(ModelError::Forward(format!("output '{name}' has shape {out_shape:?}, expected {want:?}")));
            }
            result.push(HeadProbs { labels: *labels, probs: probs.to_vec() });
        }
        Ok(result)
    }

    fn describe(&self) -> String {
        "onnx:int8".to_string()
    }

    /// Dynamic quantization scales the activations of a whole batch by one factor, so rows are
    /// not independent. One window per run is also the fastest here: no padding, and the
    /// activations stay in cache (150 BBC articles: 5.96 s tagging at 1 window, 6.91 s at 8).
    fn rows_independent(&self) -> bool {
        false
    }
}
