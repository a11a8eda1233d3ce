//! The tagging model: loading, windows over long articles, batching and inference.
//!
//! [`Tagger`] is what the pipeline uses; [`Engine`] is the seam where another runtime plugs in.

pub mod conll;
pub mod engine;
pub mod onnx_engine;
pub mod tagger;
pub mod tch_engine;
pub mod windows;

use std::path::PathBuf;

pub use engine::{Engine, HeadProbs, PieceBatch, Precision};
pub use tagger::{CaseFeature, Decode, Labels, TagStats, Tagger, TaggerConfig, WordLabels};

/// Errors while loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A model file is not what the tagger expects.
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    /// The weights do not fit the architecture described by config.json and labels.json.
    #[error("cannot load weights from {path}: {source}")]
    Weights {
        path: PathBuf,
        #[source]
        source: tch::TchError,
    },
    /// Word-piece tokenization failed.
    #[error("tokenization failed: {0}")]
    Tokenize(String),
    /// The forward pass failed or returned something unexpected.
    #[error("model forward pass failed: {0}")]
    Forward(String),
}

/// The model that ships with the repository, relative to the repository root.
pub const DEFAULT_MODEL_DIR: &str = "models/claimgraph-tagger";

/// Finds the default model: `$CLAIMGRAPH_MODEL`, then `models/claimgraph-tagger` next to the
/// current directory, then next to the executable's repository (`target/release/../../models`).
pub fn default_model_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CLAIMGRAPH_MODEL") {
        return PathBuf::from(p);
    }
    let local = PathBuf::from(DEFAULT_MODEL_DIR);
    if local.join("config.json").exists() {
        return local;
    }
    if let Ok(exe) = std::env::current_exe() {
        for anc in exe.ancestors().skip(1) {
            let cand = anc.join(DEFAULT_MODEL_DIR);
            if cand.join("config.json").exists() {
                return cand;
            }
        }
    }
    local
}
