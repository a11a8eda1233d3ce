//! Plain-text files (`.txt`, `.md`): the whole file is one document.
//!
//! At most `max_text_bytes + 1` bytes are held; a larger file is counted to its end (to
//! report its size) without being kept. A file that looks binary (NUL bytes early on, or
//! not UTF-8) is rejected as a whole: there is no line structure to salvage.

use std::io::{self, Read};

use super::fields::{check_text, reject};
use super::source::Compression;
use super::{ReadOptions, Record};
use crate::doc::{Document, Origin};

/// How far to look for NUL bytes when deciding a file is binary (as `git` and `grep` do).
const SNIFF_BYTES: usize = 8 * 1024;

pub(crate) fn read_text<R: Read>(
    mut r: R,
    id: String,
    origin: Origin,
    opts: &ReadOptions,
    compression: Compression,
) -> Record {
    let limit = opts.max_text_bytes as u64;
    let mut bytes = Vec::new();
    if let Err(e) = (&mut r).take(limit.saturating_add(1)).read_to_end(&mut bytes) {
        return reject(origin, Some(id), failure(compression, e));
    }
    if let Some(at) = memchr::memchr(0, &bytes[..bytes.len().min(SNIFF_BYTES)]) {
        return reject(origin, Some(id), format!("binary file: NUL byte at offset {at}"));
    }
    if bytes.len() as u64 > limit {
        let rest = match io::copy(&mut r, &mut io::sink()) {
            Ok(n) => n,
            Err(e) => return reject(origin, Some(id), failure(compression, e)),
        };
        let total = bytes.len() as u64 + rest;
        return reject(
            origin,
            Some(id),
            format!("text is {total} bytes, more than the limit of {limit} (see --max-text-bytes)"),
        );
    }
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            return reject(
                origin,
                Some(id),
                format!("not a UTF-8 text file (binary?): invalid UTF-8 at byte {}", e.utf8_error().valid_up_to()),
            )
        }
    };
    // A byte-order mark is encoding noise, not text; offsets must not count it.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if let Err(reason) = check_text(&text, opts) {
        return reject(origin, Some(id), reason);
    }
    Record::Doc(Document { id, text, origin, ..Default::default() })
}

fn failure(compression: Compression, e: io::Error) -> String {
    format!("{}: {e}", compression.failure())
}
