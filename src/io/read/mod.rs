//! Streaming input: every record of every input, in input order, as a [`Record`].
//!
//! [`read_inputs`] checks up front that each input exists and can be opened (the only
//! failures that stop a run), then [`Reader`] walks them lazily: one file is open at a
//! time, one line / row / text file is in memory at a time. Formats are chosen by extension
//! after stripping `.gz` / `.zst`, which are decoded on the fly; a directory contributes its
//! `.txt` / `.md` files (one document each) and any JSONL / CSV / TSV files in it, sorted by
//! path relative to the directory so runs are reproducible across file systems.
//!
//! Everything wrong with a single record (bad JSON, bad UTF-8, no text, a duplicate id, an
//! unreadable file in a directory, a stream that breaks half-way) becomes a
//! [`Record::Rejected`] with a reason for the user, so "records in = documents + rejections"
//! always holds. Duplicate ids are found with a map of 64-bit hashes of the ids seen, which is
//! the only state that grows with the number of records.

mod delimited;
mod fields;
mod framed;
mod jsonl;
mod source;
mod text;

use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::{HashMap, VecDeque};
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use self::delimited::DelimitedRecords;
use self::fields::reject;
pub use self::framed::FramedRecords;
pub use self::jsonl::{read_jsonl, JsonlRecords};
use self::source::{decode, hex, sniff, Compression, Replay, Tap};
use super::IoError;
use crate::doc::{Document, Origin};

/// Names of the input fields (JSON keys, CSV/TSV header names) that map onto the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    pub id: String,
    pub text: String,
    pub title: String,
    pub url: String,
    pub published: String,
    pub source: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            id: "id".into(),
            text: "text".into(),
            title: "title".into(),
            url: "url".into(),
            published: "published".into(),
            source: "source".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    pub fields: FieldNames,
    /// Longest accepted text, in UTF-8 bytes.
    pub max_text_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { fields: FieldNames::default(), max_text_bytes: 5_000_000 }
    }
}

/// One input record: a document to process, or a rejection (never silently dropped).
// Unboxed on purpose: almost every record is a `Doc`, which moves on to the pipeline as is.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Doc(Document),
    Rejected(Rejection),
}

/// An input record that cannot be processed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub origin: Origin,
    /// The record's id when it could be read.
    pub doc_id: Option<String>,
    pub reason: String,
}

/// Provenance of one input as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputStats {
    pub path: String,
    /// `jsonl`, `csv`, `tsv`, `text` (with `+gzip` / `+zstd` when compressed) or `dir`.
    pub format: String,
    /// Raw bytes read from disk (compressed size for compressed files).
    pub bytes: u64,
    /// SHA-256 (hex) of the raw bytes; for a directory, of its manifest: one line
    /// `<relative path>\0<sha256 of file>\n` per file read, in reading order. Empty until
    /// the input has been read to its end.
    pub sha256: String,
    /// Records that came out of this input (documents + rejections).
    pub records: u64,
}

/// What a file holds, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Jsonl,
    Delimited(u8),
    Text,
}

impl FileKind {
    /// Kind and compression of a file name, `None` for names the reader does not handle.
    fn of(name: &str) -> Option<(FileKind, Compression)> {
        let (base, comp) = Compression::strip(name);
        let ext = base.rsplit_once('.')?.1.to_ascii_lowercase();
        let kind = match ext.as_str() {
            "jsonl" | "ndjson" | "json" => FileKind::Jsonl,
            "csv" => FileKind::Delimited(b','),
            "tsv" => FileKind::Delimited(b'\t'),
            "txt" | "md" => FileKind::Text,
            _ => return None,
        };
        Some((kind, comp))
    }

    fn name(self) -> &'static str {
        match self {
            FileKind::Jsonl => "jsonl",
            FileKind::Delimited(b'\t') => "tsv",
            FileKind::Delimited(_) => "csv",
            FileKind::Text => "text",
        }
    }
}

enum Input {
    Stdin,
    /// Opened while planning, so a pipe or a file that vanishes is read exactly once.
    File {
        file: fs::File,
        path: PathBuf,
        shown: String,
        kind: FileKind,
        comp: Compression,
    },
    Dir {
        root: PathBuf,
        shown: String,
    },
}

/// One file to read (a top-level file, a file in a directory, or stdin).
struct Unit {
    path: PathBuf,
    /// `origin.file` of its records.
    shown: String,
    /// Document id for a text file; the relative path inside a directory.
    name: String,
    what: UnitWhat,
    /// Already open (top-level files).
    pre: Option<fs::File>,
}

enum UnitWhat {
    Stdin,
    File(FileKind, Compression),
    /// Found while walking a directory but not readable: one rejection.
    Unreadable(String),
}

enum Active {
    Jsonl(JsonlRecords<Box<dyn BufRead + Send>>),
    Delimited(DelimitedRecords<Box<dyn BufRead + Send>>),
    Framed(FramedRecords<Box<dyn BufRead + Send>>),
    Once(Option<Record>),
}

struct Current {
    active: Active,
    tap: Option<Tap>,
    name: String,
    file_idx: u32,
}

/// Iterator over the records of all inputs; see the module docs.
pub struct Reader {
    opts: Arc<ReadOptions>,
    inputs: VecDeque<Input>,
    units: VecDeque<Unit>,
    current: Option<Current>,
    in_input: bool,
    /// Running manifest hash of the directory input being read.
    manifest: Option<Sha256>,
    stats: Vec<InputStats>,
    /// Hash of each accepted id -> (index into `files`, line) of its first occurrence.
    seen: HashMap<u64, (u32, Option<u64>)>,
    files: Vec<String>,
    stdin: Option<Box<dyn Read + Send>>,
    /// Every input is a stream of frames ([`FramedRecords`]): no duplicate check here (the
    /// frames of a job are split across processes; `merge` checks them in input order).
    framed: bool,
    /// Position of the input the last record came from (from its frame when framed).
    last_input: u32,
}

/// Streams every record of every input, in input order (files in a directory: sorted by
/// relative path). Fails only when an input does not exist, cannot be opened, or has an
/// extension no reader handles.
pub fn read_inputs(inputs: &[PathBuf], opts: &ReadOptions) -> Result<Reader, IoError> {
    read_inputs_with_stdin(inputs, opts, Box::new(io::stdin()))
}

/// [`read_inputs`] with `-` reading from `stdin` instead of the process's standard input.
pub fn read_inputs_with_stdin(
    inputs: &[PathBuf],
    opts: &ReadOptions,
    stdin: Box<dyn Read + Send>,
) -> Result<Reader, IoError> {
    let mut planned = VecDeque::new();
    for path in inputs {
        planned.push_back(plan_input(path)?);
    }
    Ok(Reader {
        opts: Arc::new(opts.clone()),
        inputs: planned,
        units: VecDeque::new(),
        current: None,
        in_input: false,
        manifest: None,
        stats: Vec::new(),
        seen: HashMap::new(),
        files: Vec::new(),
        stdin: Some(stdin),
        framed: false,
        last_input: 0,
    })
}

/// Reads every input (files or `-`, whatever their extension) as a stream of frames: see
/// [`FramedRecords`].
pub fn read_framed_inputs(inputs: &[PathBuf], opts: &ReadOptions) -> Result<Reader, IoError> {
    let mut planned = VecDeque::new();
    for path in inputs {
        planned.push_back(match plan_input(path) {
            Err(IoError::UnknownInputFormat { .. }) => {
                let file =
                    fs::File::open(path).map_err(|e| IoError::Unreadable { path: path.to_path_buf(), source: e })?;
                let shown = path.display().to_string();
                Input::File { file, path: path.to_path_buf(), shown, kind: FileKind::Jsonl, comp: Compression::None }
            }
            other => other?,
        });
    }
    let mut reader = read_inputs_with_stdin(&[], opts, Box::new(io::stdin()))?;
    reader.inputs = planned;
    reader.framed = true;
    Ok(reader)
}

/// Why a record whose id was already accepted is rejected: the same words whichever part of
/// the pipeline finds it (the reader within one process, `merge` across shards).
pub fn duplicate_reason(id: &str, first: &Origin) -> String {
    let first = match first.line {
        Some(l) => format!("{}:{l}", first.file),
        None => first.file.clone(),
    };
    format!("duplicate id '{id}', first seen at {first}")
}

fn plan_input(path: &Path) -> Result<Input, IoError> {
    if path.as_os_str() == "-" {
        return Ok(Input::Stdin);
    }
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => IoError::NotFound { path: path.to_path_buf() },
        _ => IoError::Unreadable { path: path.to_path_buf(), source: e },
    })?;
    let shown = path.display().to_string();
    if meta.is_dir() {
        fs::read_dir(path).map_err(|e| IoError::Unreadable { path: path.to_path_buf(), source: e })?;
        return Ok(Input::Dir { root: path.to_path_buf(), shown });
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (kind, comp) = FileKind::of(&name).ok_or_else(|| IoError::UnknownInputFormat { path: path.to_path_buf() })?;
    let file = fs::File::open(path).map_err(|e| IoError::Unreadable { path: path.to_path_buf(), source: e })?;
    Ok(Input::File { file, path: path.to_path_buf(), shown, kind, comp })
}

/// Every readable-format file under `dir`, plus the entries that could not be read, as
/// (relative path with `/`, full path, what). Symlinked files are followed; symlinked
/// directories are not (they could loop).
fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf, UnitWhat)>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.push((rel.to_string(), dir.to_path_buf(), UnitWhat::Unreadable(format!("cannot read directory: {e}"))));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push((
                    rel.to_string(),
                    dir.to_path_buf(),
                    UnitWhat::Unreadable(format!("cannot list directory: {e}")),
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let child_rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let path = entry.path();
        let is_dir = match entry.file_type() {
            Ok(t) if t.is_symlink() => match fs::metadata(&path) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => false,
                Err(e) => {
                    if FileKind::of(&name).is_some() {
                        out.push((child_rel, path, UnitWhat::Unreadable(format!("cannot read file: {e}"))));
                    }
                    continue;
                }
            },
            Ok(t) => t.is_dir(),
            Err(e) => {
                out.push((child_rel, path, UnitWhat::Unreadable(format!("cannot read file: {e}"))));
                continue;
            }
        };
        if is_dir {
            walk(&path, &child_rel, out);
        } else if let Some((kind, comp)) = FileKind::of(&name) {
            out.push((child_rel, path, UnitWhat::File(kind, comp)));
        }
    }
}

impl Reader {
    /// Statistics of the inputs started so far; an input's `bytes` and `sha256` are final
    /// once the reader has moved past it.
    pub fn stats(&self) -> &[InputStats] {
        &self.stats
    }

    /// Position (among the inputs) of the input the last record came from: with frames, the
    /// position the frame gives.
    pub fn last_input(&self) -> u32 {
        self.last_input
    }

    fn start_input(&mut self, input: Input) {
        self.in_input = true;
        let (path, format) = match &input {
            Input::Stdin => ("-".to_string(), "jsonl".to_string()),
            Input::File { shown, kind, comp, .. } => (shown.clone(), format!("{}{}", kind.name(), comp.suffix())),
            Input::Dir { shown, .. } => (shown.clone(), "dir".to_string()),
        };
        self.stats.push(InputStats { path, format, bytes: 0, sha256: String::new(), records: 0 });
        match input {
            Input::Stdin => self.units.push_back(Unit {
                path: PathBuf::from("-"),
                shown: "-".into(),
                name: "-".into(),
                what: UnitWhat::Stdin,
                pre: None,
            }),
            Input::File { file, path, shown, kind, comp } => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
                self.units.push_back(Unit { path, shown, name, what: UnitWhat::File(kind, comp), pre: Some(file) });
            }
            Input::Dir { root, .. } => {
                let mut found = Vec::new();
                walk(&root, "", &mut found);
                found.sort_by(|a, b| a.0.cmp(&b.0));
                self.manifest = Some(Sha256::new());
                for (rel, path, what) in found {
                    let shown = path.display().to_string();
                    self.units.push_back(Unit { path, shown, name: rel, what, pre: None });
                }
            }
        }
    }

    fn open_unit(&mut self, unit: Unit) -> Current {
        self.files.push(unit.shown.clone());
        let file_idx = (self.files.len() - 1) as u32;
        let origin = Origin { file: unit.shown.clone(), line: None };
        let once = |rec: Record, tap: Option<Tap>, name: String| Current {
            active: Active::Once(Some(rec)),
            tap,
            name,
            file_idx,
        };
        let (tap, kind, comp) = match unit.what {
            UnitWhat::Unreadable(reason) => return once(reject(origin, None, reason), None, unit.name),
            UnitWhat::Stdin => {
                let stdin = self.stdin.take().unwrap_or_else(|| Box::new(io::empty()));
                let replay = match Replay::peek(stdin, 4) {
                    Ok(r) => r,
                    Err(e) => return once(reject(origin, None, format!("cannot read stdin: {e}")), None, unit.name),
                };
                let comp = sniff(replay.head());
                if let Some(st) = self.stats.last_mut() {
                    st.format = format!("jsonl{}", comp.suffix());
                }
                (Tap::new(Box::new(replay)), FileKind::Jsonl, comp)
            }
            UnitWhat::File(kind, comp) => {
                match unit.pre.map_or_else(|| Tap::open(&unit.path), |f| Ok(Tap::new(Box::new(f)))) {
                    Ok(tap) => (tap, kind, comp),
                    Err(e) => {
                        let id = (kind == FileKind::Text).then(|| unit.name.clone());
                        return once(reject(origin, id, format!("cannot read file: {e}")), None, unit.name);
                    }
                }
            }
        };
        let decoded = match decode(tap.clone(), comp) {
            Ok(d) => d,
            Err(e) => return once(reject(origin, None, format!("{}: {e}", comp.failure())), Some(tap), unit.name),
        };
        let active = match kind {
            _ if self.framed => Active::Framed(FramedRecords::new(decoded, unit.shown, self.opts.clone())),
            FileKind::Jsonl => Active::Jsonl(JsonlRecords::new(decoded, unit.shown, self.opts.clone(), comp)),
            FileKind::Delimited(d) => {
                Active::Delimited(DelimitedRecords::new(decoded, d, unit.shown, self.opts.clone(), comp))
            }
            FileKind::Text => Active::Once(Some(text::read_text(decoded, unit.name.clone(), origin, &self.opts, comp))),
        };
        Current { active, tap: Some(tap), name: unit.name, file_idx }
    }

    fn finish_unit(&mut self, cur: Current) {
        let digest = match &cur.tap {
            Some(tap) => {
                let (bytes, sha) = tap.finish();
                if let Some(st) = self.stats.last_mut() {
                    st.bytes += bytes;
                }
                sha
            }
            None => "unreadable".to_string(),
        };
        match &mut self.manifest {
            Some(m) => {
                m.update(cur.name.as_bytes());
                m.update([0]);
                m.update(digest.as_bytes());
                m.update([b'\n']);
            }
            None => {
                if let Some(st) = self.stats.last_mut() {
                    st.sha256 = digest;
                }
            }
        }
    }

    fn finish_input(&mut self) {
        self.in_input = false;
        if let Some(m) = self.manifest.take() {
            if let Some(st) = self.stats.last_mut() {
                st.sha256 = hex(&m.finalize());
            }
        }
    }

    /// Turns a document whose id was already accepted into a rejection.
    fn dedup(&mut self, rec: Record, file_idx: u32) -> Record {
        let Record::Doc(doc) = rec else { return rec };
        let mut h = DefaultHasher::new(); // fixed keys: the same on every run
        doc.id.hash(&mut h);
        match self.seen.entry(h.finish()) {
            Entry::Vacant(v) => {
                v.insert((file_idx, doc.origin.line));
                Record::Doc(doc)
            }
            Entry::Occupied(o) => {
                let (fi, line) = *o.get();
                let file = self.files.get(fi as usize).cloned().unwrap_or_else(|| "?".into());
                let reason = duplicate_reason(&doc.id, &Origin { file, line });
                Record::Rejected(Rejection { origin: doc.origin, doc_id: Some(doc.id), reason })
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            if let Some(mut cur) = self.current.take() {
                let here = self.stats.len().saturating_sub(1) as u32;
                let next = match &mut cur.active {
                    Active::Jsonl(it) => it.next().map(|r| (here, r)),
                    Active::Delimited(it) => it.next().map(|r| (here, r)),
                    Active::Framed(it) => it.next(),
                    Active::Once(rec) => rec.take().map(|r| (here, r)),
                };
                match next {
                    Some((input, rec)) => {
                        self.last_input = input;
                        let rec = if self.framed { rec } else { self.dedup(rec, cur.file_idx) };
                        self.current = Some(cur);
                        if let Some(st) = self.stats.last_mut() {
                            st.records += 1;
                        }
                        return Some(rec);
                    }
                    None => self.finish_unit(cur),
                }
                continue;
            }
            if let Some(unit) = self.units.pop_front() {
                self.current = Some(self.open_unit(unit));
                continue;
            }
            if self.in_input {
                self.finish_input();
            }
            let input = self.inputs.pop_front()?;
            self.start_input(input);
        }
    }
}

#[cfg(test)]
mod tests;
