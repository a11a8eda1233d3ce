//! Benchmarks of the CPU stages around the model, on the bundled sample articles, and of the
//! cross-document entity step at growing corpus sizes (it must stay near-linear).
//!
//! `cargo bench --bench stages` (the tagger's speed is measured by `scripts/bench_tagger`,
//! side by side with the Python pipeline). The `parser` group measures what the dependency
//! parser head adds to tagging: the same documents tagged with and without their sentences
//! parsed, at the shipped default precision on one worker (the encoder pass is the same).

use std::hint::black_box;

use claimgraph::aggregate::entities::EntityIndex;
use claimgraph::doc::{Chain, Document, Mention, MentionSource, Span};
use claimgraph::stages::segment;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn sample_texts() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample/articles.jsonl");
    std::fs::read_to_string(path)
        .expect("data/sample/articles.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect()
}

fn bench_segment(c: &mut Criterion) {
    let texts = sample_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut g = c.benchmark_group("segment");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("sample articles", |b| {
        b.iter(|| {
            for t in &texts {
                let mut d = Document::new("d", t.clone());
                segment::segment(&mut d);
                black_box(d.tokens.len());
            }
        })
    });
    g.finish();
}

/// `docs` synthetic documents of 5 person chains each (full name + surname), names drawn from
/// a pool with transliteration variants and 20,000 family names, and one organization chain
/// (11 mentions a document: 100,000 documents are 1.1M mentions).
fn corpus(docs: usize) -> Vec<Document> {
    let first = ["Abdul Rahim", "Abdurrahim", "Mohammad", "Muhammad", "Ahmad", "Javed", "Gul", "Nasir"];
    let last = ["Qasimi", "Qasemi", "Karimi", "Ahmadzai", "Popal", "Noori", "Nuri", "Safi"];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..docs)
        .map(|d| {
            let mut doc = Document::new(format!("d{d}"), "");
            for _ in 0..5 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let surname = format!("{}{}", last[(x % 8) as usize], (x >> 16) % 20_000);
                let full = format!("{} {surname}", first[((x >> 8) % 8) as usize]);
                let key = format!("PER:{}", full.to_lowercase());
                push_chain(&mut doc, key, &[("PER", &full), ("PER", &surname)]);
            }
            // One organization a document: a full name in two documents of three, its short
            // form alone in the third (the corpus step's prefix and suffix blocking), tagged ORG
            // or MISC.
            let firm = format!("{}{}", last[(x % 8) as usize], (x >> 20) % 5_000);
            let (form, key) = if d % 3 == 2 {
                (firm.clone(), format!("ORG:{}", firm.to_lowercase()))
            } else {
                (format!("{firm} Logistics"), format!("ORG:{} logistics", firm.to_lowercase()))
            };
            push_chain(&mut doc, key, &[(if d % 2 == 0 { "ORG" } else { "MISC" }, &form)]);
            doc
        })
        .collect()
}

/// Appends one chain with a mention per `(label, surface form)`.
fn push_chain(doc: &mut Document, key: String, forms: &[(&str, &str)]) {
    let mut ms = Vec::new();
    for (label, form) in forms {
        let s = doc.text.len();
        doc.text.push_str(form);
        doc.text.push(' ');
        ms.push(doc.mentions.len());
        doc.mentions.push(Mention {
            span: Span::new(s, s + form.len()),
            label: label.to_string(),
            score: 1.0,
            sentence: 0,
            tokens: 0..1,
            source: MentionSource::Model,
            value: None,
            chain: Some(doc.chains.len()),
        });
    }
    let label = forms[0].0.to_string();
    doc.chains.push(Chain { label, representative: ms[0], mentions: ms, key, alt_keys: vec![] });
}

fn bench_entity_index(c: &mut Criterion) {
    let mut g = c.benchmark_group("entity_index");
    g.sample_size(10);
    for docs in [10_000usize, 100_000] {
        let corpus = corpus(docs);
        g.throughput(Throughput::Elements((docs * 11) as u64)); // mentions
        g.bench_with_input(BenchmarkId::from_parameter(docs), &corpus, |b, corpus| {
            b.iter(|| {
                let mut ix = EntityIndex::new();
                for d in corpus {
                    ix.add(d);
                }
                black_box(ix.finish().entities().len())
            })
        });
    }
    g.finish();
}

/// Tagging the sample articles with and without parsing them (issue 11: the parser head may add
/// at most 10% to tagging time).
fn bench_parser(c: &mut Criterion) {
    use claimgraph::model::{Precision, Tagger, TaggerConfig};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/claimgraph-tagger");
    let (precision, _) = Precision::auto(tch::Device::Cpu, &dir);
    // One engine and one parser session per rayon thread, as `claimgraph run --threads N` builds
    // it (a single worker made the two threads queue for one engine).
    let workers = rayon::current_num_threads();
    let mut tagger =
        Tagger::load(&dir, &TaggerConfig { precision, workers, ..TaggerConfig::default() }).expect("shipped model");
    let docs: Vec<Document> = sample_texts()
        .into_iter()
        .map(|t| {
            let mut d = Document::new("d", t);
            segment::segment(&mut d);
            d
        })
        .collect();
    let words: Vec<Vec<&str>> = docs.iter().map(|d| (0..d.tokens.len()).map(|i| d.token_text(i)).collect()).collect();
    let sentences: Vec<Vec<std::ops::Range<usize>>> =
        docs.iter().map(|d| d.sentences.iter().map(|s| s.tokens.clone()).collect()).collect();
    let n: usize = words.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("parser");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("tag", |b| b.iter(|| black_box(tagger.tag_words(&words).unwrap().len())));
    g.bench_function("tag and parse", |b| {
        b.iter(|| black_box(tagger.tag_sentences(&words, Some(&sentences)).unwrap().len()))
    });
    g.finish();
}

criterion_group!(benches, bench_segment, bench_entity_index, bench_parser);
criterion_main!(benches);
