//! The encoder call at the shipped window size: one window of `max_pieces` positions (`tagger.json`)
//! through the int8 ONNX Runtime engine on one thread, as each tagging worker runs it, with the
//! parser's `hidden` output when the model has a parser. Also the parser head on a batch of 8
//! sentences of 25 words (`Parser::parse_batch`).
//!
//! `cargo bench --bench encoder` (needs `model.int8.onnx`, made by `scripts/setup`; skipped with a
//! note when the int8 engine is unavailable). Whole-pipeline speed against spaCy: `scripts/bench_e2e`.

use std::hint::black_box;
use std::path::PathBuf;

use claimgraph::model::onnx_engine::{self, OnnxEngine};
use claimgraph::model::parser::Parser;
use claimgraph::model::{Engine, PieceBatch};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn model_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/claimgraph-tagger")
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(model_dir().join(name)).unwrap()).unwrap()
}

fn bench_encoder(c: &mut Criterion) {
    let dir = model_dir();
    if let Some(why) = onnx_engine::unavailable_reason(&dir) {
        eprintln!("encoder bench skipped: {why}");
        return;
    }
    let labels = json("labels.json");
    let n = |h: &str| labels[h].as_array().unwrap().len();
    let mut heads = vec![("ner", n("ner")), ("pos", n("pos")), ("chunk", n("chunk"))];
    let parser = Parser::load(&dir, 1, true).unwrap();
    if let Some(p) = &parser {
        heads.push(("hidden", p.spec.hidden));
    }
    let mut engine = OnnxEngine::load(&dir, &heads).unwrap();
    let cols = json("tagger.json")["max_pieces"].as_u64().unwrap() as usize;
    // [CLS], word pieces of ordinary vocabulary with a mix of case types, [SEP].
    let mut ids: Vec<i64> = (0..cols as i64).map(|i| 2000 + (i * 7919) % 20000).collect();
    ids[0] = 101;
    ids[cols - 1] = 102;
    let types: Vec<i64> = (0..cols).map(|i| if i == 0 || i == cols - 1 { 0 } else { (i % 5 == 0) as i64 }).collect();
    let batch = PieceBatch { rows: 1, cols, input_ids: ids, type_ids: types, mask: vec![1; cols] };
    let mut g = c.benchmark_group("encoder");
    g.throughput(Throughput::Elements(cols as u64));
    g.bench_function(format!("int8 window of {cols} positions, 1 thread"), |b| {
        b.iter(|| black_box(engine.forward(&batch).unwrap().len()))
    });
    g.finish();

    if let Some(p) = parser {
        let feats: Vec<Vec<f32>> = (0..8)
            .map(|s| (0..25 * p.spec.hidden).map(|i| (((i * 31 + s * 17) % 97) as f32 / 97.0) - 0.5).collect())
            .collect();
        let refs: Vec<&[f32]> = feats.iter().map(Vec::as_slice).collect();
        let mut g = c.benchmark_group("parser");
        g.throughput(Throughput::Elements(8 * 25));
        g.bench_function("8 sentences of 25 words", |b| b.iter(|| black_box(p.parse_batch(&refs).unwrap().len())));
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_encoder
}
criterion_main!(benches);
