//! The dependency parser head: a sentence's words (the encoder's mixed hidden states, read at
//! each word's first piece) in, one well-formed tree with Universal Dependencies labels out.
//!
//! The head is trained by `scripts/train_parser.py` on UD English EWT with the encoder frozen,
//! and ships as `parser.onnx` (float32: one BiLSTM layer, the biaffine arc scorer, and the two
//! sides of the biaffine label scorer), `parser_rel.bin` (the label scorer's bilinear weights)
//! and `parser.json` (labels, and the layer weights the encoder export bakes into its `hidden`
//! output). Trees are decoded with Eisner's algorithm: projective, exactly one word on ROOT;
//! then each word's label is scored at the head it got (n pairs, not the n * (n + 1) the arc
//! scorer needs: scoring every pair took more time than the encoder's share of the words).

use std::path::Path;
use std::sync::Mutex;

use ort::session::Session;
use ort::value::Tensor;
use serde::Deserialize;

use crate::model::onnx_engine;
use crate::model::ModelError;

pub const PARSER_FILE: &str = "parser.onnx";
/// The head with int8 weights, made from [`PARSER_FILE`] by `scripts/export_onnx.py` (git-ignored):
/// what the int8 engine runs.
pub const PARSER_INT8_FILE: &str = "parser.int8.onnx";
pub const PARSER_SPEC: &str = "parser.json";
/// The label scorer's bilinear weights: float32 little-endian `[labels, d, d]`.
pub const PARSER_REL: &str = "parser_rel.bin";

/// `parser.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ParserSpec {
    /// Dependency relations, in the order of the `rel` output.
    pub labels: Vec<String>,
    /// Weights of the encoder's layer outputs (layer 1 first) in the mixed hidden state.
    pub layer_weights: Vec<f64>,
    /// Width of the mixed hidden state.
    pub hidden: usize,
}

/// One parsed word: its head (1-based index in the sentence, 0 = ROOT) and relation index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    pub head: usize,
    pub rel: usize,
}

pub struct Parser {
    /// One per worker; a sentence locks whichever is free.
    sessions: Vec<Mutex<Session>>,
    pub spec: ParserSpec,
    /// The label matrices side by side, `[dim (head side), labels, dim (dependent side)]`
    /// row-major: `W[label][a][b]` at `(b * labels + label) * dim + a`.
    rel_weights: Vec<f32>,
    /// Width of each side of the label scorer (its bias included).
    rel_dim: usize,
}

impl Parser {
    /// The parser of a model folder, or `None` when the folder has none (older models); `int8`
    /// loads its int8 export ([`PARSER_INT8_FILE`]) instead of the float32 head.
    pub fn load(dir: &Path, workers: usize, int8: bool) -> Result<Option<Self>, ModelError> {
        let spec_path = dir.join(PARSER_SPEC);
        if !spec_path.exists() {
            return Ok(None);
        }
        let bytes = std::fs::read(&spec_path).map_err(|e| ModelError::Io { path: spec_path.clone(), source: e })?;
        let spec: ParserSpec = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::Format { path: spec_path.clone(), reason: e.to_string() })?;
        if spec.labels.is_empty() || spec.layer_weights.is_empty() {
            return Err(ModelError::Format { path: spec_path, reason: "no labels or no layer weights".into() });
        }
        let path = dir.join(if int8 { PARSER_INT8_FILE } else { PARSER_FILE });
        let sessions =
            (0..workers.max(1)).map(|_| onnx_engine::open_session(&path).map(Mutex::new)).collect::<Result<_, _>>()?;
        let (weights, rel_dim) = read_rel_weights(&dir.join(PARSER_REL), spec.labels.len())?;
        let rel_weights = side_by_side(&weights, spec.labels.len(), rel_dim);
        Ok(Some(Parser { sessions, spec, rel_weights, rel_dim }))
    }

    /// Parses one sentence from its words' features (`n * hidden`, row-major).
    pub fn parse(&self, feats: &[f32]) -> Result<Vec<Arc>, ModelError> {
        Ok(self.parse_batch(&[feats])?.pop().unwrap_or_default())
    }

    /// Parses several sentences in one run of the head, each from its words' features
    /// (`n * hidden`, row-major). Rows are padded with zeros to the longest and the head is told
    /// each sentence's length (`lengths`), so a sentence's trees do not depend on its batch-mates
    /// (`scripts/train_parser.py` `add_lengths_input`); batch sentences of similar length, since
    /// the pair scores cost the longest's square for every row.
    pub fn parse_batch(&self, sentences: &[&[f32]]) -> Result<Vec<Vec<Arc>>, ModelError> {
        let h = self.spec.hidden;
        let lens: Vec<usize> = sentences.iter().map(|f| f.len() / h).collect();
        let m = lens.iter().copied().max().unwrap_or(0);
        if m == 0 {
            return Ok(lens.iter().map(|_| Vec::new()).collect());
        }
        let b = sentences.len();
        let mut feats = vec![0f32; b * m * h];
        for (row, f) in sentences.iter().enumerate() {
            feats[row * m * h..row * m * h + f.len()].copy_from_slice(f);
        }
        let err = |e: ort::Error| ModelError::Forward(format!("parser: {e}"));
        let input = Tensor::from_array(([b, m, h], feats)).map_err(err)?;
        let lengths = Tensor::from_array(([b], lens.iter().map(|&n| n as i32).collect::<Vec<i32>>())).map_err(err)?;
        let mut session = crate::model::tagger::lock_free(&self.sessions);
        let outputs = session.run(ort::inputs!["feats" => input, "lengths" => lengths]).map_err(err)?;
        let (arc_shape, arc) = outputs["arc"].try_extract_tensor::<f32>().map_err(err)?;
        let (dep_shape, dep) = outputs["rel_dep"].try_extract_tensor::<f32>().map_err(err)?;
        let (head_shape, head) = outputs["rel_head"].try_extract_tensor::<f32>().map_err(err)?;
        let (bi, mi, d) = (b as i64, m as i64, self.rel_dim);
        if arc_shape.as_ref() != [bi, mi, mi + 1]
            || dep_shape.as_ref() != [bi, mi, d as i64]
            || head_shape.as_ref() != [bi, mi + 1, d as i64]
        {
            return Err(ModelError::Forward(format!(
                "parser: output shapes {arc_shape:?} {dep_shape:?} {head_shape:?} for {b} sentences of up to {m} words"
            )));
        }
        let mut trees = Vec::with_capacity(b);
        let mut scores = Vec::new();
        for (row, &n) in lens.iter().enumerate() {
            // This sentence's n x (n + 1) corner of the row's m x (m + 1) scores.
            scores.clear();
            for i in 0..n {
                let o = (row * m + i) * (m + 1);
                scores.extend_from_slice(&arc[o..o + n + 1]);
            }
            let heads = if n == 0 { Vec::new() } else { eisner(&scores, n) };
            let deps = &dep[row * m * d..(row * m + n) * d];
            let labels = self.labels(deps, &heads, &head[row * (m + 1) * d..(row + 1) * (m + 1) * d]);
            trees.push(heads.into_iter().zip(labels).map(|(head, rel)| Arc { head, rel }).collect());
        }
        Ok(trees)
    }

    /// The best label of each word under the head it got (`heads`, 0 = ROOT): argmax over
    /// labels of `dep · W[label] · head`. One matrix product gives every `W[label] · head` of the
    /// sentence's words at once (`n x dim` head sides times the `dim x (labels * dim)` matrices
    /// side by side), then each label's score is a short dot with the word's dependent side.
    fn labels(&self, deps: &[f32], heads: &[usize], head_sides: &[f32]) -> Vec<usize> {
        let (d, k, n) = (self.rel_dim, self.spec.labels.len(), heads.len());
        if n == 0 {
            return Vec::new();
        }
        let chosen: Vec<f32> = heads.iter().flat_map(|&h| &head_sides[h * d..(h + 1) * d]).copied().collect();
        let mut products = vec![0f32; n * k * d];
        // SAFETY: `chosen` is n x d, `rel_weights` d x (k * d) and `products` n x (k * d), all
        // row-major and exactly that long.
        unsafe {
            matrixmultiply::sgemm(
                n,
                d,
                k * d,
                1.0,
                chosen.as_ptr(),
                d as isize,
                1,
                self.rel_weights.as_ptr(),
                (k * d) as isize,
                1,
                0.0,
                products.as_mut_ptr(),
                (k * d) as isize,
                1,
            );
        }
        products
            .chunks_exact(k * d)
            .zip(deps.chunks_exact(d))
            .map(|(per_label, dep)| {
                let scores: Vec<f32> =
                    per_label.chunks_exact(d).map(|v| v.iter().zip(dep).map(|(x, y)| x * y).sum()).collect();
                argmax(&scores)
            })
            .collect()
    }
}

/// `[labels, d, d]` label matrices (`W[label][a][b]`, a on the dependent side) laid out side by
/// side as `[d (b), labels, d (a)]`, so that one matrix product with the head sides gives
/// `W[label] · head` for every label.
fn side_by_side(weights: &[f32], labels: usize, d: usize) -> Vec<f32> {
    let mut out = vec![0f32; weights.len()];
    for label in 0..labels {
        for a in 0..d {
            for b in 0..d {
                out[(b * labels + label) * d + a] = weights[(label * d + a) * d + b];
            }
        }
    }
    out
}

/// `parser_rel.bin`: `labels` square matrices, float32 little-endian.
fn read_rel_weights(path: &Path, labels: usize) -> Result<(Vec<f32>, usize), ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::Io { path: path.to_path_buf(), source: e })?;
    let weights: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let per_label = weights.len() / labels.max(1);
    let dim = (per_label as f64).sqrt().round() as usize;
    if bytes.len() % 4 != 0 || dim == 0 || dim * dim * labels != weights.len() {
        return Err(ModelError::Format {
            path: path.to_path_buf(),
            reason: format!("{} bytes are not {labels} square float32 matrices", bytes.len()),
        });
    }
    Ok((weights, dim))
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// The best projective tree for `scores` (`n x (n + 1)`, row-major: `scores[dep][head]`, head
/// 0 = ROOT, dependents 0-based), with exactly one word attached to ROOT. Returns each word's
/// head (0 = ROOT, else 1-based). Eisner (1996), O(n^3); mirrors `train_parser.py::eisner`.
pub fn eisner(scores: &[f32], n: usize) -> Vec<usize> {
    let m = n + 1;
    let neg = f32::NEG_INFINITY;
    // s(head, dep) over positions 0..m (0 = ROOT).
    let s = |head: usize, dep: usize| if dep == 0 { neg } else { scores[(dep - 1) * m + head] };
    let at = |i: usize, j: usize, d: usize| (i * m + j) * 2 + d;
    // d = 0: the head is the right end; d = 1: the left end.
    let mut comp = vec![neg; m * m * 2];
    let mut inc = vec![neg; m * m * 2];
    let mut comp_bp = vec![0usize; m * m * 2];
    let mut inc_bp = vec![0usize; m * m * 2];
    for i in 0..m {
        comp[at(i, i, 0)] = 0.0;
        comp[at(i, i, 1)] = 0.0;
    }
    for width in 1..m {
        for i in 0..m - width {
            let j = i + width;
            // An arc between i and j over two facing complete spans; ROOT's child starts a span
            // with nothing else on ROOT's side.
            let (mut best, mut arg) = (neg, i);
            let last = if i == 0 { i } else { j - 1 };
            for k in i..=last {
                let v = comp[at(i, k, 1)] + comp[at(k + 1, j, 0)];
                if v > best {
                    (best, arg) = (v, k);
                }
            }
            inc[at(i, j, 0)] = if i == 0 { neg } else { best + s(j, i) };
            inc[at(i, j, 1)] = best + s(i, j);
            inc_bp[at(i, j, 0)] = arg;
            inc_bp[at(i, j, 1)] = arg;
            let (mut best, mut arg) = (neg, i);
            for k in i..j {
                let v = comp[at(i, k, 0)] + inc[at(k, j, 0)];
                if v > best {
                    (best, arg) = (v, k);
                }
            }
            comp[at(i, j, 0)] = best;
            comp_bp[at(i, j, 0)] = arg;
            let (mut best, mut arg) = (neg, j);
            if i > 0 || j == m - 1 {
                for k in i + 1..=j {
                    let v = inc[at(i, k, 1)] + comp[at(k, j, 1)];
                    if v > best {
                        (best, arg) = (v, k);
                    }
                }
            }
            comp[at(i, j, 1)] = best;
            comp_bp[at(i, j, 1)] = arg;
        }
    }
    let mut heads = vec![0usize; m];
    // (i, j, d, complete)
    let mut stack = vec![(0usize, m - 1, 1usize, true)];
    while let Some((i, j, d, complete)) = stack.pop() {
        if i == j {
            continue;
        }
        if complete {
            let k = comp_bp[at(i, j, d)];
            if d == 0 {
                stack.push((i, k, 0, true));
                stack.push((k, j, 0, false));
            } else {
                stack.push((i, k, 1, false));
                stack.push((k, j, 1, true));
            }
        } else {
            let k = inc_bp[at(i, j, d)];
            if d == 0 {
                heads[i] = j;
            } else {
                heads[j] = i;
            }
            stack.push((i, k, 1, true));
            stack.push((k + 1, j, 0, true));
        }
    }
    heads.split_off(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tree over n words with one word on ROOT (projective or not), for brute force.
    fn trees(n: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut heads = vec![0usize; n];
        loop {
            let roots = heads.iter().filter(|&&h| h == 0).count();
            let acyclic = (0..n).all(|d| {
                let (mut x, mut steps) = (d + 1, 0);
                while x != 0 && steps <= n {
                    x = heads[x - 1];
                    steps += 1;
                }
                x == 0
            });
            let self_loop = heads.iter().enumerate().any(|(d, &h)| h == d + 1);
            if roots == 1 && acyclic && !self_loop && projective(&heads) {
                out.push(heads.clone());
            }
            let mut k = 0;
            while k < n && heads[k] == n {
                heads[k] = 0;
                k += 1;
            }
            if k == n {
                return out;
            }
            heads[k] += 1;
        }
    }

    fn projective(heads: &[usize]) -> bool {
        (0..heads.len()).all(|d| {
            let (h, d) = (heads[d], d + 1);
            let (lo, hi) = (h.min(d), h.max(d));
            (lo + 1..hi).all(|k| {
                let mut x = k;
                while x != 0 && x != h {
                    x = heads[x - 1];
                }
                x == h
            })
        })
    }

    #[test]
    fn eisner_finds_the_best_projective_single_root_tree() {
        let mut seed = 7u64;
        let mut rand = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) * 4.0 - 2.0
        };
        for n in 1..=5 {
            let all = trees(n);
            for _ in 0..20 {
                let scores: Vec<f32> = (0..n * (n + 1)).map(|_| rand()).collect();
                let score = |h: &[usize]| h.iter().enumerate().map(|(d, &x)| scores[d * (n + 1) + x]).sum::<f32>();
                let best = all.iter().map(|t| score(t)).fold(f32::NEG_INFINITY, f32::max);
                let got = eisner(&scores, n);
                assert_eq!(got.iter().filter(|&&h| h == 0).count(), 1, "{got:?}");
                assert!(projective(&got), "{got:?}");
                assert!((score(&got) - best).abs() < 1e-4, "n={n}: {got:?} scores {} < {best}", score(&got));
            }
        }
    }

    #[test]
    fn labels_are_the_argmax_of_the_bilinear_scores() {
        let (k, d, n) = (5, 7, 6);
        let val = |i: usize, m: usize| ((i * 7919) % m) as f32 - (m / 2) as f32;
        let weights: Vec<f32> = (0..k * d * d).map(|i| val(i, 13)).collect();
        let deps: Vec<f32> = (0..n * d).map(|i| val(i + 3, 11)).collect();
        // Head sides of ROOT and the n words; each word's head below.
        let head_sides: Vec<f32> = (0..(n + 1) * d).map(|i| val(i + 5, 9)).collect();
        let heads = [2, 0, 2, 2, 6, 4];
        let spec = ParserSpec { labels: (0..k).map(|l| l.to_string()).collect(), layer_weights: vec![1.0], hidden: 1 };
        let parser = Parser { sessions: Vec::new(), spec, rel_weights: side_by_side(&weights, k, d), rel_dim: d };
        let bilinear = |w: usize, l: usize| -> f32 {
            let (dep, head) = (&deps[w * d..(w + 1) * d], &head_sides[heads[w] * d..(heads[w] + 1) * d]);
            (0..d).map(|a| (0..d).map(|b| dep[a] * weights[(l * d + a) * d + b] * head[b]).sum::<f32>()).sum()
        };
        let want: Vec<usize> = (0..n).map(|w| argmax(&(0..k).map(|l| bilinear(w, l)).collect::<Vec<_>>())).collect();
        assert_eq!(parser.labels(&deps, &heads, &head_sides), want);
        assert!(want.iter().any(|&l| l != want[0]), "the case must tell labels apart");
    }

    #[test]
    fn eisner_keeps_one_root_when_two_words_prefer_it() {
        // Both words score ROOT highest; the tree must still hang one under the other.
        let scores = [5.0, -1.0, 0.0, 4.0, 0.0, 0.0];
        let heads = eisner(&scores, 2);
        assert_eq!(heads, vec![0, 1]);
    }
}
