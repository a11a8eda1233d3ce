//! JSON Lines: one JSON object per line.
//!
//! Lines are read as bytes and checked one by one, so one bad line (invalid UTF-8, broken
//! JSON) is one rejection and the lines after it are still read. A line is never held
//! beyond a cap derived from `max_text_bytes`, so a file without newlines cannot exhaust
//! memory: the overlong line is skipped to its end and rejected.

use std::io::{self, BufRead};
use std::sync::Arc;

use serde_json::Value;

use super::fields::{build, kind, reject};
use super::source::Compression;
use super::{ReadOptions, Record};
use crate::doc::Origin;

/// Records of one JSONL stream. Generic over the byte source so stdin, files and tests all
/// go through the same code.
pub struct JsonlRecords<R> {
    r: R,
    file: String,
    opts: Arc<ReadOptions>,
    compression: Compression,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

/// Reads JSONL records from `r`; `file` is what origins and fallback ids name.
pub fn read_jsonl<R: BufRead>(r: R, file: &str, opts: &ReadOptions) -> JsonlRecords<R> {
    JsonlRecords::new(r, file.to_string(), Arc::new(opts.clone()), Compression::None)
}

impl<R: BufRead> JsonlRecords<R> {
    pub(crate) fn new(r: R, file: String, opts: Arc<ReadOptions>, compression: Compression) -> Self {
        JsonlRecords { r, file, opts, compression, line: 0, buf: Vec::new(), done: false }
    }

    fn origin(&self) -> Origin {
        Origin { file: self.file.clone(), line: Some(self.line) }
    }

    fn line_cap(&self) -> usize {
        line_cap(&self.opts)
    }

    fn parse_line(&self) -> Option<Record> {
        parse_line(&self.buf, self.origin(), &self.opts)
    }
}

/// One JSONL line (its newline included or not) as a record: `None` for a blank line. Shared by
/// the JSONL reader and the framed records of `claimgraph map --framed`, so a line gives the
/// same document or the same rejection whichever way it came in. `origin.line` is 1-based; the
/// first line may start with a byte-order mark.
pub(crate) fn parse_line(mut bytes: &[u8], origin: Origin, opts: &ReadOptions) -> Option<Record> {
    while let [rest @ .., b'\n' | b'\r'] = bytes {
        bytes = rest;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => return Some(reject(origin, None, format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()))),
    };
    let text = if origin.line == Some(1) { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text };
    if text.trim().is_empty() {
        return None; // blank lines are layout, not records
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Some(build(map, origin, opts)),
        Ok(other) => Some(reject(origin, None, format!("expected a JSON object, found {}", kind(&other)))),
        Err(e) => Some(reject(origin, None, format!("malformed JSON: {e}"))),
    }
}

/// Why a line longer than `cap` bytes is rejected.
pub(crate) fn too_long(len: u64, cap: usize, opts: &ReadOptions) -> String {
    format!(
        "line is {len} bytes, longer than the {cap} bytes allowed for a text limit of {} (see --max-text-bytes)",
        opts.max_text_bytes
    )
}

/// Longest line kept in memory: JSON escaping can blow text up (`\u00e9` is 6 bytes for 2), so
/// allow 4x the text limit plus room for metadata.
pub(crate) fn line_cap(opts: &ReadOptions) -> usize {
    opts.max_text_bytes.saturating_mul(4).saturating_add(1 << 20)
}

impl<R: BufRead> Iterator for JsonlRecords<R> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        while !self.done {
            let cap = self.line_cap();
            match read_line_capped(&mut self.r, &mut self.buf, cap) {
                Ok(Line::Eof) => self.done = true,
                Ok(Line::TooLong(len)) => {
                    self.line += 1;
                    return Some(reject(self.origin(), None, too_long(len, cap, &self.opts)));
                }
                Ok(Line::Read) => {
                    self.line += 1;
                    if let Some(rec) = self.parse_line() {
                        return Some(rec);
                    }
                }
                Err(e) => {
                    // The stream cannot be resynchronised after a decoder error: account for
                    // everything from here on as one rejected record at the line it broke.
                    self.done = true;
                    self.line += 1;
                    return Some(reject(
                        self.origin(),
                        None,
                        format!("{}: {e}; the rest of the file is skipped", self.compression.failure()),
                    ));
                }
            }
        }
        None
    }
}

pub(crate) enum Line {
    Eof,
    Read,
    /// The line was longer than the cap; it has been consumed but not kept.
    TooLong(u64),
}

/// Reads one line (with its `\n`, if any) into `buf`, keeping at most `cap` bytes.
pub(crate) fn read_line_capped<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, cap: usize) -> io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(if total == 0 {
                Line::Eof
            } else if total > cap as u64 {
                Line::TooLong(total)
            } else {
                Line::Read
            });
        }
        let (chunk, end) = match memchr::memchr(b'\n', avail) {
            Some(i) => (&avail[..=i], true),
            None => (avail, false),
        };
        total += chunk.len() as u64;
        if total <= cap as u64 {
            buf.extend_from_slice(chunk);
        } else if !buf.is_empty() {
            buf.clear();
            buf.shrink_to(0);
        }
        let n = chunk.len();
        r.consume(n);
        if end {
            // Report the line's length as a user sees it: without its newline.
            return Ok(if total > cap as u64 { Line::TooLong(total - 1) } else { Line::Read });
        }
    }
}
