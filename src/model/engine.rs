//! The seam between the tagger and whatever runs the encoder.
//!
//! A batch of word-piece rows goes in; per-piece probabilities for each head come out. The
//! tagger owns tokenization, windowing, batching and decoding, so a second engine (ONNX
//! Runtime, say) only has to implement [`Engine::forward`].

use crate::model::ModelError;

/// Numeric precision the weights are run in, and so the engine: f32 and bf16 run on libtorch
/// (rust-bert's BERT), int8 on ONNX Runtime (`onnx_engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    Bf16,
    Int8,
}

impl Precision {
    /// On a CPU, int8 on ONNX Runtime when the model folder has its ONNX export and the runtime
    /// library is found: NER F1 within 0.1 of f32 on CoNLL-2003 test, and the fastest here.
    /// Otherwise bf16 where the hardware computes it natively (CUDA, or a CPU with AVX512-BF16 or
    /// AMX): it moves NER F1 by 0.03 and runs about twice as fast as f32 on such a CPU. Elsewhere
    /// bf16 is emulated and slower, so f32. On a CPU that falls back, also says why int8 was not
    /// chosen.
    pub fn auto(device: tch::Device, model_dir: &std::path::Path) -> (Precision, Option<String>) {
        if device.is_cuda() {
            return (Precision::Bf16, None);
        }
        match crate::model::onnx_engine::unavailable_reason(model_dir) {
            None => (Precision::Int8, None),
            Some(why) => (if cpu_has_bf16() { Precision::Bf16 } else { Precision::F32 }, Some(why)),
        }
    }
}

fn cpu_has_bf16() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("flags"))
                .any(|l| l.split_whitespace().any(|f| f == "avx512_bf16" || f == "amx_bf16"))
        })
        .unwrap_or(false)
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" | "float32" => Ok(Precision::F32),
            "bf16" | "bfloat16" => Ok(Precision::Bf16),
            "int8" => Ok(Precision::Int8),
            other => Err(format!("unknown precision '{other}' (expected f32, bf16 or int8)")),
        }
    }
}

/// A padded batch of word-piece sequences, row-major `[rows, cols]`.
#[derive(Debug, Clone, Default)]
pub struct PieceBatch {
    pub rows: usize,
    pub cols: usize,
    pub input_ids: Vec<i64>,
    /// The case feature of each piece's word (see `tagger::CaseFeature`); 0 for `[CLS]`, `[SEP]`, padding.
    pub type_ids: Vec<i64>,
    /// 1 for real pieces (including `[CLS]`/`[SEP]`), 0 for padding.
    pub mask: Vec<i64>,
}

/// Softmax probabilities of one head, row-major `[rows, cols, labels]`.
#[derive(Debug, Clone)]
pub struct HeadProbs {
    pub labels: usize,
    pub probs: Vec<f32>,
}

impl HeadProbs {
    /// Probabilities at `(row, col)` over this head's labels.
    pub fn at(&self, cols: usize, row: usize, col: usize) -> &[f32] {
        let o = (row * cols + col) * self.labels;
        &self.probs[o..o + self.labels]
    }
}

/// Runs the encoder and its heads.
///
/// Engines are `Send` (one per worker) but need not be `Sync`: libtorch modules are not.
pub trait Engine: Send {
    /// Probabilities for each head, in the order the model's `labels.json` lists the heads.
    fn forward(&mut self, batch: &PieceBatch) -> Result<Vec<HeadProbs>, ModelError>;
    /// Describes the engine settings that change results (precision), for fingerprints.
    fn describe(&self) -> String;
    /// Whether each row's output depends on that row alone. An engine that quantizes
    /// activations with one scale per batch (dynamic int8) does not: a window's labels would
    /// change with whatever it was batched with, so the tagger runs it one window at a time.
    fn rows_independent(&self) -> bool {
        true
    }
}
