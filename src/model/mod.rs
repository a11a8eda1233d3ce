//! The tagging model: loading, windows over long articles, batching and inference.
//!
//! [`Tagger`] is what the pipeline uses; [`Engine`] is the seam where another runtime plugs in.

pub mod conll;
pub mod conllu;
pub mod cuda;
pub mod engine;
pub mod onnx_engine;
pub mod parser;
pub mod tagger;
pub mod tch_engine;
pub mod windows;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

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

/// sha256 (hex) of a file's bytes, computed once per process for a given path, size and
/// modification time: loading a tagger checks the ONNX export's stamp against the weights,
/// `--precision auto` checks it too, and the fingerprint covers the same files, so without this
/// the 45 MB of weights were hashed up to three times at start-up.
pub(crate) fn file_sha256(path: &Path) -> std::io::Result<String> {
    type Key = (PathBuf, u64, Option<SystemTime>);
    static CACHE: OnceLock<Mutex<HashMap<Key, String>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hex) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hex);
    }
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    let hex = format!("{:x}", hasher.finalize());
    if let Ok(mut c) = cache.lock() {
        c.insert(key, hex.clone());
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sha256_matches_the_bytes_and_sees_a_rewrite() {
        let dir = std::env::temp_dir().join(format!("claimgraph-sha-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("w.bin");
        std::fs::write(&f, b"abc").unwrap();
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(file_sha256(&f).unwrap(), want);
        assert_eq!(file_sha256(&f).unwrap(), want, "cached");
        std::fs::write(&f, b"abcd").unwrap(); // another size: a new key
        assert_eq!(file_sha256(&f).unwrap(), format!("{:x}", Sha256::digest(b"abcd")));
        assert!(file_sha256(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
