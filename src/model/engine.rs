//! The seam between the tagger and whatever runs the encoder.
//!
//! A batch of word-piece rows goes in; per-piece probabilities for each head come out. The
//! tagger owns tokenization, windowing, batching and decoding, so a second engine (ONNX
//! Runtime, say) only has to implement [`Engine::forward`].

use crate::model::ModelError;

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
}
