//! Framed records (`claimgraph map --framed`): each line of the stream is one input line
//! together with the place it came from, so a record keeps its origin however a scheduler
//! (Spark, Ray, a shell loop) splits and ships the input:
//!
//! ```json
//! {"input": 0, "file": "dump/a.jsonl", "line": 17, "record": "{\"id\": \"x\", \"text\": \"...\"}"}
//! ```
//!
//! `input` is the position of the input among those of the whole job (0 when there is one),
//! `file` what `claimgraph run` would name it (the path as given, or inside a directory the
//! directory joined with the relative path), `line` its 1-based line, and `record` the line
//! itself, which is read exactly like a line of a JSONL file ([`super::jsonl::parse_line`]):
//! the same document, or the same rejection, as `run` would make of it.
//!
//! A line that is not a frame is rejected with the frame stream's own place: it is a bug of
//! whatever made the frames, and still nothing is lost.

use std::io::BufRead;
use std::sync::Arc;

use serde::Deserialize;

use super::fields::reject;
use super::jsonl::{line_cap, parse_line, read_line_capped, too_long, Line};
use super::{ReadOptions, Record};
use crate::doc::Origin;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame {
    #[serde(default)]
    input: u32,
    file: String,
    line: u64,
    record: String,
}

/// Records of one framed stream, each with the input position its frame gives.
pub struct FramedRecords<R> {
    r: R,
    /// The frame stream's name, for rejections of lines that are not frames.
    stream: String,
    opts: Arc<ReadOptions>,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> FramedRecords<R> {
    pub(crate) fn new(r: R, stream: String, opts: Arc<ReadOptions>) -> Self {
        FramedRecords { r, stream, opts, line: 0, buf: Vec::new(), done: false }
    }

    fn stream_origin(&self) -> Origin {
        Origin { file: self.stream.clone(), line: Some(self.line) }
    }

    /// A frame escapes its record once more (a quote becomes `\"`, a control character up to
    /// six bytes): the cap on a frame line leaves room for that.
    fn frame_cap(&self) -> usize {
        line_cap(&self.opts).saturating_mul(2)
    }

    fn unframe(&self) -> Option<(u32, Record)> {
        if self.buf.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let frame: Frame = match serde_json::from_slice(&self.buf) {
            Ok(f) => f,
            Err(e) => return Some((0, reject(self.stream_origin(), None, format!("not a frame: {e}")))),
        };
        let origin = Origin { file: frame.file, line: Some(frame.line) };
        let cap = line_cap(&self.opts);
        let len = frame.record.trim_end_matches('\n').len();
        if len > cap {
            return Some((frame.input, reject(origin, None, too_long(len as u64, cap, &self.opts))));
        }
        parse_line(frame.record.as_bytes(), origin, &self.opts).map(|rec| (frame.input, rec))
    }
}

impl<R: BufRead> Iterator for FramedRecords<R> {
    type Item = (u32, Record);

    fn next(&mut self) -> Option<(u32, Record)> {
        while !self.done {
            let cap = self.frame_cap();
            match read_line_capped(&mut self.r, &mut self.buf, cap) {
                Ok(Line::Eof) => self.done = true,
                Ok(Line::TooLong(len)) => {
                    self.line += 1;
                    let why = format!("frame is {len} bytes, longer than the {cap} bytes allowed");
                    return Some((0, reject(self.stream_origin(), None, why)));
                }
                Ok(Line::Read) => {
                    self.line += 1;
                    if let Some(rec) = self.unframe() {
                        return Some(rec);
                    }
                }
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    let why = format!("read error: {e}; the rest of the frames are skipped");
                    return Some((0, reject(self.stream_origin(), None, why)));
                }
            }
        }
        None
    }
}
