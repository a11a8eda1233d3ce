//! Shards: what `claimgraph map` writes and `claimgraph merge` reads.
//!
//! A shard is a text file, one JSON object per line, so a scheduler can carry it as lines (Spark's
//! `RDD.pipe` and `saveAsTextFile` do) and compress it (`.gz` / `.zst` are read back):
//!
//! * line 1, the header: `{"claimgraph_shard": 1, "records": N, "ok", "rejected", "words",
//!   "steps": [...], "model": {...}, "inputs": [...]}`;
//! * then one line per input record, sorted by place (input position, file, line):
//!   `{"input": 0, "file": "a.jsonl", "line": 3, "doc_id": "x", "record": "<base64>"}`, where
//!   `record` is the [`DocRecord`] (zstd JSON, the form the cache and the journal store), or,
//!   for a rejected record, `"reason"` in its place.
//!
//! Sorted shards are what let `merge` put any number of them back in input order with a k-way
//! merge, holding one line per shard. The header comes first but is written last: records go
//! to a temporary file with their places, and are copied out in order once all are in, so a
//! shard is complete or absent, and a retried task writes the same bytes under the same name
//! (`shard-<hash of its places>.jsonl`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::doc::Origin;
use crate::io::Rejection;

use super::map::{Mapped, Sink};
use super::record::{hex, DocRecord, Steps};
use super::{out_err, PipelineError};

/// Version of the shard layout.
pub const SHARD_VERSION: u32 = 1;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A record's place, owned: (input position, file, line).
type Key = (u32, String, Option<u64>);

/// The first line of a shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardHeader {
    pub claimgraph_shard: u32,
    pub records: u64,
    pub ok: u64,
    pub rejected: u64,
    pub words: u64,
    /// The per-document steps every document of the shard was made by.
    pub steps: Steps,
    /// The tagger that ran (`manifest.json`'s `model`).
    pub model: Value,
    /// What the map read (`manifest.json`'s `inputs`).
    pub inputs: Value,
}

/// One record line.
#[derive(Debug, Serialize, Deserialize)]
struct ShardLine {
    input: u32,
    file: String,
    line: Option<u64>,
    doc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl ShardLine {
    fn key(&self) -> Key {
        (self.input, self.file.clone(), self.line)
    }
}

fn line_of(m: Mapped, steps: &Steps) -> (Key, String) {
    let line = match m {
        Mapped::Doc { input, content, doc } => ShardLine {
            input,
            file: doc.origin.file.clone(),
            line: doc.origin.line,
            doc_id: Some(doc.id.clone()),
            record: Some(B64.encode(DocRecord::new(content, steps.clone(), doc).encode())),
            reason: None,
        },
        Mapped::Rejected { input, rejection: r } => ShardLine {
            input,
            file: r.origin.file,
            line: r.origin.line,
            doc_id: r.doc_id,
            record: None,
            reason: Some(r.reason),
        },
    };
    (line.key(), serde_json::to_string(&line).expect("shard lines serialize"))
}

/// Where a shard goes.
pub enum ShardDest {
    /// A folder: the shard is `shard-<hash>.jsonl` in it.
    Dir(PathBuf),
    Stdout,
}

/// Collects the records of one `map` (see the module docs).
pub struct ShardWriter {
    tmp_path: PathBuf,
    tmp: BufWriter<File>,
    offset: u64,
    /// Place, offset and length (newline included) of every record line in the temporary file.
    index: Vec<(Key, u64, u64)>,
    steps: Steps,
    pub ok: u64,
    pub rejected: u64,
    pub words: u64,
}

impl ShardWriter {
    /// Starts a shard whose records go to a temporary file in `tmp_dir`.
    pub fn create(tmp_dir: &Path, steps: Steps) -> Result<Self, PipelineError> {
        std::fs::create_dir_all(tmp_dir).map_err(out_err(tmp_dir))?;
        let tmp_path = tmp_dir.join(format!(".claimgraph-map-{}.tmp", std::process::id()));
        let f = File::create(&tmp_path).map_err(out_err(&tmp_path))?;
        Ok(ShardWriter {
            tmp_path,
            tmp: BufWriter::new(f),
            offset: 0,
            index: Vec::new(),
            steps,
            ok: 0,
            rejected: 0,
            words: 0,
        })
    }

    /// Writes the header and the records in place order; returns where the shard went.
    pub fn finish(mut self, model: Value, inputs: Value, dest: &ShardDest) -> Result<Option<PathBuf>, PipelineError> {
        self.tmp.flush().map_err(out_err(&self.tmp_path))?;
        let in_order = self.index.windows(2).all(|w| w[0].0 < w[1].0);
        if !in_order {
            self.index.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = self.index.windows(2).find(|w| w[0].0 == w[1].0) {
                let (_, file, line) = &w[0].0;
                let at = place(&Origin { file: file.clone(), line: *line });
                return Err(PipelineError::Config(format!("record {at} was given twice")));
            }
        }
        let mut names = Sha256::new();
        for ((input, file, line), _, _) in &self.index {
            names.update(format!("{input}\0{file}\0{line:?}\n").as_bytes());
        }
        let name = format!("shard-{}.jsonl", &hex(&names.finalize())[..16]);
        let header = ShardHeader {
            claimgraph_shard: SHARD_VERSION,
            records: self.index.len() as u64,
            ok: self.ok,
            rejected: self.rejected,
            words: self.words,
            steps: self.steps.clone(),
            model,
            inputs,
        };
        let written = match dest {
            ShardDest::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(out_err(dir))?;
                let part = dir.join(format!(".{name}.part"));
                let f = File::create(&part).map_err(out_err(&part))?;
                self.copy_out(&header, in_order, BufWriter::new(f), &part)?;
                let to = dir.join(&name);
                std::fs::rename(&part, &to).map_err(out_err(&to))?;
                Some(to)
            }
            ShardDest::Stdout => {
                self.copy_out(&header, in_order, BufWriter::new(std::io::stdout().lock()), Path::new("-"))?;
                None
            }
        };
        std::fs::remove_file(&self.tmp_path).map_err(out_err(&self.tmp_path))?;
        Ok(written)
    }

    fn copy_out(
        &self,
        header: &ShardHeader,
        in_order: bool,
        mut out: impl Write,
        to: &Path,
    ) -> Result<(), PipelineError> {
        let err = out_err(to);
        let tmp = &self.tmp_path;
        serde_json::to_writer(&mut out, header)
            .map_err(|e| PipelineError::Output { path: to.into(), source: e.into() })?;
        out.write_all(b"\n").map_err(out_err(to))?;
        let mut r = BufReader::new(File::open(tmp).map_err(out_err(tmp))?);
        if in_order {
            std::io::copy(&mut r, &mut out).map_err(out_err(to))?;
        } else {
            let mut buf = Vec::new();
            for (_, offset, len) in &self.index {
                r.seek(SeekFrom::Start(*offset)).map_err(out_err(tmp))?;
                buf.resize(*len as usize, 0);
                r.read_exact(&mut buf).map_err(out_err(tmp))?;
                out.write_all(&buf).map_err(out_err(to))?;
            }
        }
        out.flush().map_err(err)
    }
}

impl Sink for ShardWriter {
    fn take(&mut self, chunk: Vec<Mapped>) -> Result<(), PipelineError> {
        for m in &chunk {
            match m {
                Mapped::Doc { doc, .. } => {
                    self.ok += 1;
                    self.words += doc.word_count() as u64;
                }
                Mapped::Rejected { .. } => self.rejected += 1,
            }
        }
        let steps = &self.steps;
        let lines: Vec<(Key, String)> = chunk.into_par_iter().map(|m| line_of(m, steps)).collect();
        for (key, line) in lines {
            self.tmp.write_all(line.as_bytes()).map_err(out_err(&self.tmp_path))?;
            self.tmp.write_all(b"\n").map_err(out_err(&self.tmp_path))?;
            let len = line.len() as u64 + 1;
            self.index.push((key, self.offset, len));
            self.offset += len;
        }
        Ok(())
    }
}

fn place(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{}:{l}", o.file),
        None => o.file.clone(),
    }
}

/// A shard as `merge` saw it (`manifest.json`'s `shards`).
#[derive(Debug, Clone, Serialize)]
pub struct ShardInfo {
    pub path: String,
    /// Size and sha256 of the file as stored.
    pub bytes: u64,
    pub sha256: String,
    pub records: u64,
    pub ok: u64,
    pub rejected: u64,
}

/// Every shard file named by `args`: files as they are, and the files of folders (not those
/// whose names start with `.` or `_`, like Spark's `_SUCCESS` and `.crc` files), sorted.
pub fn list(args: &[PathBuf]) -> Result<Vec<PathBuf>, PipelineError> {
    let mut out = Vec::new();
    for a in args {
        let meta = std::fs::metadata(a).map_err(|e| shard_err(a, format!("cannot read: {e}")))?;
        if !meta.is_dir() {
            out.push(a.clone());
            continue;
        }
        let mut found = Vec::new();
        for e in std::fs::read_dir(a).map_err(|e| shard_err(a, format!("cannot list: {e}")))? {
            let p = e.map_err(|e| shard_err(a, format!("cannot list: {e}")))?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if p.is_file() && !name.starts_with('.') && !name.starts_with('_') {
                found.push(p);
            }
        }
        found.sort();
        out.extend(found);
    }
    if out.is_empty() {
        let shown: Vec<String> = args.iter().map(|a| a.display().to_string()).collect();
        return Err(PipelineError::Config(format!("no shards in {}", shown.join(", "))));
    }
    Ok(out)
}

fn shard_err(path: &Path, message: String) -> PipelineError {
    PipelineError::Shard { path: path.to_path_buf(), message }
}

fn open_lines(path: &Path) -> Result<Box<dyn BufRead + Send>, PipelineError> {
    let f = File::open(path).map_err(|e| shard_err(path, format!("cannot read: {e}")))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let r: Box<dyn Read + Send> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(f).map_err(|e| shard_err(path, e.to_string()))?)
    } else {
        Box::new(f)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 16, r)))
}

/// Size and sha256 of a file.
fn digest(path: &Path) -> Result<(u64, String), PipelineError> {
    let mut f = File::open(path).map_err(|e| shard_err(path, format!("cannot read: {e}")))?;
    let mut h = Sha256::new();
    let bytes = std::io::copy(&mut f, &mut h).map_err(|e| shard_err(path, format!("cannot read: {e}")))?;
    Ok((bytes, hex(&h.finalize())))
}

struct OpenShard {
    path: PathBuf,
    lines: Box<dyn BufRead + Send>,
    header: ShardHeader,
    /// Record lines read so far.
    read: u64,
    last: Option<Key>,
}

impl OpenShard {
    fn open(path: &Path) -> Result<Self, PipelineError> {
        let mut lines = open_lines(path)?;
        let mut first = String::new();
        lines.read_line(&mut first).map_err(|e| shard_err(path, format!("cannot read: {e}")))?;
        let header: ShardHeader = serde_json::from_str(&first).map_err(|e| {
            let what = if first.is_empty() { "empty file".to_string() } else { format!("first line: {e}") };
            shard_err(path, format!("not a claimgraph shard ({what}): did a map task not finish?"))
        })?;
        if header.claimgraph_shard != SHARD_VERSION {
            let v = header.claimgraph_shard;
            return Err(shard_err(path, format!("shard version {v}, expected {SHARD_VERSION}")));
        }
        Ok(OpenShard { path: path.to_path_buf(), lines, header, read: 0, last: None })
    }

    /// The next record line, checked to come after the one before it.
    fn next_line(&mut self) -> Result<Option<ShardLine>, PipelineError> {
        let mut s = String::new();
        let n = self.lines.read_line(&mut s).map_err(|e| shard_err(&self.path, format!("cannot read: {e}")))?;
        if n == 0 {
            if self.read != self.header.records {
                let (read, want) = (self.read, self.header.records);
                return Err(shard_err(&self.path, format!("cut short: {read} of its {want} records")));
            }
            return Ok(None);
        }
        self.read += 1;
        let at = self.read + 1;
        let line: ShardLine = serde_json::from_str(&s)
            .map_err(|e| shard_err(&self.path, format!("line {at}: not a shard record: {e}")))?;
        let key = line.key();
        if self.last.as_ref().is_some_and(|last| *last >= key) {
            let msg =
                format!("line {at}: records out of place order (one map's output per file: was it concatenated?)");
            return Err(shard_err(&self.path, msg));
        }
        self.last = Some(key);
        Ok(Some(line))
    }
}

/// All shards of a merge, read back in input order.
pub struct Shards {
    open: Vec<OpenShard>,
    pending: Vec<Option<ShardLine>>,
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    last: Option<(Key, usize)>,
    steps: Steps,
    pub info: Vec<ShardInfo>,
}

impl Shards {
    /// Opens every shard; they must all have been made by the same per-document steps.
    pub fn open(paths: &[PathBuf]) -> Result<Self, PipelineError> {
        let mut open = Vec::new();
        let mut info = Vec::new();
        for p in paths {
            let (bytes, sha256) = digest(p)?;
            let s = OpenShard::open(p)?;
            let h = &s.header;
            info.push(ShardInfo {
                path: p.display().to_string(),
                bytes,
                sha256,
                records: h.records,
                ok: h.ok,
                rejected: h.rejected,
            });
            open.push(s);
        }
        let steps = open[0].header.steps.clone();
        for s in &open[1..] {
            if let Some(step) = s.header.steps.first_difference(&steps) {
                let msg = format!(
                    "made with another '{step}' step than {}: map every shard with the same model, ruler and patterns",
                    open[0].path.display()
                );
                return Err(shard_err(&s.path, msg));
            }
        }
        let mut shards = Shards { pending: Vec::new(), heap: BinaryHeap::new(), last: None, steps, info, open };
        for i in 0..shards.open.len() {
            let line = shards.open[i].next_line()?;
            shards.push(i, line);
        }
        Ok(shards)
    }

    pub fn steps(&self) -> &Steps {
        &self.steps
    }

    /// Headers of the shards, in the order they were listed.
    pub fn headers(&self) -> impl Iterator<Item = &ShardHeader> {
        self.open.iter().map(|s| &s.header)
    }

    fn push(&mut self, i: usize, line: Option<ShardLine>) {
        if self.pending.len() <= i {
            self.pending.resize_with(i + 1, || None);
        }
        if let Some(l) = &line {
            self.heap.push(Reverse((l.key(), i)));
        }
        self.pending[i] = line;
    }

    /// The next `n` records in input order (fewer at the end), decoded in parallel.
    pub fn next_chunk(&mut self, n: usize) -> Result<Vec<Mapped>, PipelineError> {
        let mut lines = Vec::with_capacity(n);
        while lines.len() < n.max(1) {
            let Some(Reverse((key, i))) = self.heap.pop() else { break };
            if let Some((last, j)) = &self.last {
                if *last == key {
                    let at = place(&Origin { file: key.1.clone(), line: key.2 });
                    let other = self.open[*j].path.display();
                    return Err(shard_err(&self.open[i].path, format!("record {at} is also in {other}")));
                }
            }
            let line = self.pending[i].take().expect("a shard in the heap has a pending line");
            let next = self.open[i].next_line()?;
            self.push(i, next);
            self.last = Some((key, i));
            lines.push((i, line));
        }
        let steps = &self.steps;
        let paths: Vec<&Path> = self.open.iter().map(|s| s.path.as_path()).collect();
        lines.into_par_iter().map(|(i, line)| decode(line, steps, paths[i])).collect()
    }
}

fn decode(line: ShardLine, steps: &Steps, path: &Path) -> Result<Mapped, PipelineError> {
    let origin = Origin { file: line.file, line: line.line };
    let Some(b64) = line.record else {
        let reason = line.reason.unwrap_or_default();
        return Ok(Mapped::Rejected {
            input: line.input,
            rejection: Rejection { origin, doc_id: line.doc_id, reason },
        });
    };
    let bad = |msg: String| shard_err(path, format!("record {}: {msg}", place(&origin)));
    let bytes = B64.decode(b64.as_bytes()).map_err(|e| bad(format!("not base64: {e}")))?;
    let rec = DocRecord::decode(&bytes).map_err(|e| bad(e.to_string()))?;
    if rec.steps != *steps {
        return Err(bad("made by other steps than its shard's header says".into()));
    }
    let mut doc = rec.doc;
    doc.origin = origin;
    Ok(Mapped::Doc { input: line.input, content: rec.content, doc })
}
