//! CSV and TSV with a header row.
//!
//! Both use RFC 4180 quoting (what spreadsheets and pandas write), so article text may hold
//! delimiters, quotes and newlines. A row is turned into a JSON object of its non-empty
//! cells and goes through the same field rules as JSONL; cells are always strings. Empty
//! cells count as absent (CSV has no null), except `text`, where empty is an error to report.

use std::io::Read;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::fields::{build, reject};
use super::source::Compression;
use super::{ReadOptions, Record};
use crate::doc::Origin;

pub(crate) struct DelimitedRecords<R> {
    rdr: csv::Reader<R>,
    file: String,
    opts: Arc<ReadOptions>,
    compression: Compression,
    headers: Option<Vec<String>>,
    row: u64,
    rec: csv::ByteRecord,
    done: bool,
}

impl<R: Read> DelimitedRecords<R> {
    pub(crate) fn new(r: R, delimiter: u8, file: String, opts: Arc<ReadOptions>, compression: Compression) -> Self {
        let rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            // Field-count mismatches are per-row rejections, checked here, not reader errors.
            .flexible(true)
            .from_reader(r);
        DelimitedRecords {
            rdr,
            file,
            opts,
            compression,
            headers: None,
            row: 0,
            rec: csv::ByteRecord::new(),
            done: false,
        }
    }

    fn origin(&self) -> Origin {
        Origin { file: self.file.clone(), line: Some(self.row) }
    }

    fn stream_failure(&mut self, e: csv::Error) -> Record {
        self.done = true;
        self.row += 1;
        let msg = match e.into_kind() {
            csv::ErrorKind::Io(io) => io.to_string(),
            other => format!("{other:?}"),
        };
        reject(self.origin(), None, format!("{}: {msg}; the rest of the file is skipped", self.compression.failure()))
    }

    fn row_record(&self, headers: &[String]) -> Record {
        if self.rec.len() != headers.len() {
            return reject(
                self.origin(),
                None,
                format!("row has {} fields, the header has {}", self.rec.len(), headers.len()),
            );
        }
        let mut map = Map::new();
        for (name, cell) in headers.iter().zip(self.rec.iter()) {
            let cell = match std::str::from_utf8(cell) {
                Ok(s) => s,
                Err(e) => {
                    return reject(
                        self.origin(),
                        None,
                        format!("invalid UTF-8 in column '{name}' at byte {}", e.valid_up_to()),
                    )
                }
            };
            if cell.is_empty() && *name != self.opts.fields.text {
                continue;
            }
            // First column of a name wins, like most CSV tools' lookups.
            map.entry(name.clone()).or_insert_with(|| Value::String(cell.to_string()));
        }
        build(map, self.origin(), &self.opts)
    }
}

impl<R: Read> Iterator for DelimitedRecords<R> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.done {
            return None;
        }
        let headers = match self.headers.take() {
            Some(h) => h,
            None => match self.rdr.byte_headers() {
                Ok(h) => h
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let name = String::from_utf8_lossy(name);
                        let name = if i == 0 { name.trim_start_matches('\u{feff}') } else { &name };
                        name.to_string()
                    })
                    .collect(),
                Err(e) => return Some(self.stream_failure(e)),
            },
        };
        let mut rec = std::mem::take(&mut self.rec);
        let read = self.rdr.read_byte_record(&mut rec);
        self.rec = rec;
        let out = match read {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.row += 1;
                Some(self.row_record(&headers))
            }
            Err(e) => Some(self.stream_failure(e)),
        };
        self.headers = Some(headers);
        out
    }
}
