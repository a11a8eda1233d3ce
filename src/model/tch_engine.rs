//! The libtorch engine: rust-bert's BERT encoder plus three linear heads, and for a model
//! with a parser the parser's input (its weighted sum of the six layers' outputs).

use std::path::Path;

use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use tch::{nn, Device, Kind, Tensor};

use crate::model::engine::{Engine, HeadProbs, PieceBatch, Precision};
use crate::model::ModelError;

pub struct TchEngine {
    // Kept alive: the modules below hold views of its variables.
    _vs: nn::VarStore,
    bert: BertModel<BertEmbeddings>,
    heads: Vec<nn::Linear>,
    /// The parser's layer weights (`parser.json`), when the model has one.
    mix: Option<Vec<f64>>,
    device: Device,
    precision: Precision,
}

impl TchEngine {
    /// Loads `model.safetensors` and `config.json` from `dir`, with one head per name in
    /// `heads` (tensor names `<head>.weight`, `<head>.bias`) of the given label counts; with
    /// `mix`, a last output: the hidden states weighted by layer (the parser's input).
    pub fn load(
        dir: &Path,
        heads: &[(&str, usize)],
        mix: Option<Vec<f64>>,
        device: Device,
        precision: Precision,
    ) -> Result<Self, ModelError> {
        if precision == Precision::Int8 {
            return Err(ModelError::Format {
                path: dir.to_path_buf(),
                reason: "int8 runs on the ONNX engine, not libtorch".into(),
            });
        }
        let config_path = dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(|e| ModelError::Io { path: config_path.clone(), source: e })?;
        let mut config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| ModelError::Format { path: config_path, reason: e.to_string() })?;
        config.output_hidden_states = Some(mix.is_some());

        let mut vs = nn::VarStore::new(device);
        let root = vs.root();
        let bert = BertModel::<BertEmbeddings>::new_with_optional_pooler(&root / "bert", &config, false);
        let heads = heads
            .iter()
            .map(|(name, n)| nn::linear(&root / *name, config.hidden_size, *n as i64, Default::default()))
            .collect();
        let weights = dir.join("model.safetensors");
        vs.load(&weights).map_err(|e| ModelError::Weights { path: weights, source: e })?;
        // `load` adopts the stored dtype (float16 on disk); compute in the chosen precision.
        match precision {
            Precision::F32 => vs.float(),
            Precision::Bf16 => vs.bfloat16(),
            Precision::Int8 => unreachable!("rejected above"),
        }
        Ok(TchEngine { _vs: vs, bert, heads, mix, device, precision })
    }
}

impl Engine for TchEngine {
    fn forward(&mut self, batch: &PieceBatch) -> Result<Vec<HeadProbs>, ModelError> {
        let shape = [batch.rows as i64, batch.cols as i64];
        let to_tensor = |v: &[i64]| Tensor::from_slice(v).view(shape).to_device(self.device);
        let ids = to_tensor(&batch.input_ids);
        let types = to_tensor(&batch.type_ids);
        let mask = to_tensor(&batch.mask);
        tch::no_grad(|| {
            let out = self
                .bert
                .forward_t(Some(&ids), Some(&mask), Some(&types), None, None, None, None, false)
                .map_err(|e| ModelError::Forward(e.to_string()))?;
            let mut result = Vec::with_capacity(self.heads.len());
            for head in &self.heads {
                let probs = out
                    .hidden_state
                    .apply(head)
                    .to_kind(Kind::Float)
                    .softmax(-1, Kind::Float)
                    .to_device(Device::Cpu)
                    .contiguous();
                let labels = probs.size().last().copied().unwrap_or(0) as usize;
                let flat: Vec<f32> =
                    Vec::<f32>::try_from(probs.view(-1)).map_err(|e| ModelError::Forward(e.to_string()))?;
                result.push(HeadProbs { labels, probs: flat });
            }
            if let Some(mix) = &self.mix {
                let layers = out.all_hidden_states.as_deref().unwrap_or_default();
                if layers.len() != mix.len() {
                    return Err(ModelError::Forward(format!(
                        "{} layer outputs for {} weights",
                        layers.len(),
                        mix.len()
                    )));
                }
                let hidden = layers
                    .iter()
                    .zip(mix)
                    .map(|(h, &w)| h.to_kind(Kind::Float) * w)
                    .reduce(|a, b| a + b)
                    .expect("at least one layer")
                    .to_device(Device::Cpu)
                    .contiguous();
                let width = hidden.size().last().copied().unwrap_or(0) as usize;
                let flat: Vec<f32> =
                    Vec::<f32>::try_from(hidden.view(-1)).map_err(|e| ModelError::Forward(e.to_string()))?;
                result.push(HeadProbs { labels: width, probs: flat });
            }
            Ok(result)
        })
    }

    fn describe(&self) -> String {
        format!("tch:{:?}", self.precision)
    }
}
