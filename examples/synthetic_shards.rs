//! Synthetic shards for measuring `claimgraph merge` at scale (scripts/spark/bench_merge).
//!
//! `cargo run --release --example synthetic_shards -- TEMPLATE_SHARDS N OUT_DIR [PER_SHARD]`
//!
//! Documents are copies of real mapped documents (the template shards: their text, tokens,
//! tags, mentions, statements and relations, so records and rows have real sizes and counts),
//! with their entity names re-spelt so the corpus keeps meeting new entities: copy `i` belongs
//! to "event" `i / 20` (twenty articles about one event share names, as outlets do), and every
//! letter of every name in a chain is shifted by a key derived from the event, the same way in
//! the text and in the chain keys. A name keeps its length, so every span stays valid.

use std::path::PathBuf;

use claimgraph::doc::{Document, Origin};
use claimgraph::pipeline::map::{Mapped, Sink};
use claimgraph::pipeline::shard::{self, ShardDest, ShardWriter, Shards};

const EVENT_SIZE: usize = 20;

/// Shifts the ASCII letters of `s` by the event's key (per word, by position in the word).
fn respell(s: &str, key: &[u8; 4]) -> String {
    let mut j = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_alphabetic() {
                j = 0;
                return c;
            }
            let base = if c.is_ascii_lowercase() { b'a' } else { b'A' };
            let shifted = (c as u8 - base + key[j % 4]) % 26 + base;
            j += 1;
            shifted as char
        })
        .collect()
}

fn event_key(event: usize) -> [u8; 4] {
    let mut x = (event as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d;
    let mut k = [0u8; 4];
    for b in &mut k {
        x ^= x >> 29;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        *b = (x % 26) as u8;
    }
    k
}

/// Copy `i` of `t`: new id and place, names of its chains re-spelt for its event.
fn copy(t: &Document, i: usize) -> Document {
    let mut d = t.clone();
    d.id = format!("syn-{i:08}");
    d.origin = Origin { file: "synthetic.jsonl".into(), line: Some(i as u64 + 1) };
    let key = event_key(i / EVENT_SIZE);
    let mut text = d.text.clone();
    for c in &d.chains {
        for &m in &c.mentions {
            let span = d.mentions[m].span;
            let Some(name) = d.text.get(span.start..span.end) else { continue };
            text.replace_range(span.start..span.end, &respell(name, &key));
        }
    }
    d.text = text;
    let respell_key = |k: &str| match k.split_once(':') {
        Some((label, name)) => match name.strip_suffix("#ambiguous") {
            Some(n) => format!("{label}:{}#ambiguous", respell(n, &key)),
            None => format!("{label}:{}", respell(name, &key)),
        },
        None => respell(k, &key),
    };
    for c in &mut d.chains {
        c.key = respell_key(&c.key);
        c.alt_keys = c.alt_keys.iter().map(|k| respell_key(k)).collect();
    }
    d
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: synthetic_shards TEMPLATE_SHARDS N OUT_DIR [PER_SHARD=10000]");
        std::process::exit(1);
    }
    let n: usize = args[2].parse().expect("N is a number");
    let out = PathBuf::from(&args[3]);
    let per_shard: usize = args.get(4).map_or(10_000, |s| s.parse().expect("PER_SHARD is a number"));
    let mut shards = Shards::open(&shard::list(&[PathBuf::from(&args[1])]).unwrap()).unwrap();
    let header = shards.headers().next().unwrap().clone();
    let mut templates = Vec::new();
    loop {
        let chunk = shards.next_chunk(256).unwrap();
        if chunk.is_empty() {
            break;
        }
        templates.extend(chunk.into_iter().filter_map(|m| match m {
            Mapped::Doc { content, doc, .. } => Some((content, doc)),
            Mapped::Rejected { .. } => None,
        }));
    }
    assert!(!templates.is_empty(), "the template shards hold no documents");
    let dest = ShardDest::Dir(out.clone());
    let mut i = 0;
    while i < n {
        let mut w = ShardWriter::create(&out, header.steps.clone()).unwrap();
        let end = (i + per_shard).min(n);
        while i < end {
            let k = (end - i).min(256);
            let chunk: Vec<Mapped> = (i..i + k)
                .map(|j| {
                    let (content, t) = &templates[j % templates.len()];
                    Mapped::Doc { input: 0, content: content.clone(), doc: copy(t, j) }
                })
                .collect();
            w.take(chunk).unwrap();
            i += k;
        }
        w.finish(header.model.clone(), serde_json::json!([]), &dest).unwrap();
    }
    eprintln!("{n} documents from {} templates in {}", templates.len(), out.display());
}
