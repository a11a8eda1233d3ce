//! Output tables: rows given as JSON objects, written as JSONL, CSV or Parquet.
//!
//! A [`TableSpec`] names the columns and where each one's value sits in a row (a JSON
//! pointer). JSONL writes each row whole; CSV and Parquet write the columns. Every row is
//! checked against the column types in all three formats, so a producer bug shows up the
//! same way whatever format the user picked, as an [`IoError::TypeMismatch`], never a panic.
//!
//! Files are written under a temporary name (`<name>.<ext>.tmp`) and renamed by
//! [`TableWriter::finish`], so a crashed run never leaves a half table under the real name.

mod parquet_sink;

use std::fmt;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::Value;

use self::parquet_sink::ParquetSink;
use super::IoError;

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

impl Format {
    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

impl FromStr for Format {
    type Err = IoError;
    fn from_str(s: &str) -> Result<Self, IoError> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            _ => Err(IoError::UnknownTableFormat(s.to_string())),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Column type; every column is nullable (a missing or `null` value is a null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Str,
    /// A JSON integer that fits in i64.
    Int,
    /// Any JSON number.
    Float,
    Bool,
    /// Any JSON value, stored as its compact JSON text in CSV and Parquet.
    Json,
    /// An array of strings: Parquet `List<Utf8>`, compact JSON text in CSV.
    StrList,
}

impl ColType {
    fn expected(self) -> &'static str {
        match self {
            ColType::Str => "a string",
            ColType::Int => "an integer (i64)",
            ColType::Float => "a number",
            ColType::Bool => "a boolean",
            ColType::Json => "any JSON value",
            ColType::StrList => "an array of strings",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// JSON pointer into the row, like `/speaker/entity_id`.
    pub path: &'static str,
    pub ty: ColType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: Vec<Column>,
}

/// What [`TableWriter::finish`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSummary {
    pub path: PathBuf,
    pub rows: u64,
}

/// One cell, checked against its column type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Null,
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Json columns: the value's compact JSON text.
    Json(String),
    /// StrList columns: the items (an item may be null).
    List(Vec<Option<&'a str>>),
}

/// The cells of `row` for `spec`'s columns, or the first type mismatch.
pub(crate) fn cells<'a>(spec: &TableSpec, row: &'a Value) -> Result<Vec<Cell<'a>>, IoError> {
    if !row.is_object() {
        return Err(IoError::RowNotObject { table: spec.name, value: preview(row) });
    }
    spec.columns
        .iter()
        .map(|col| {
            let v = match row.pointer(col.path) {
                None | Some(Value::Null) => return Ok(Cell::Null),
                Some(v) => v,
            };
            let mismatch = || IoError::TypeMismatch {
                table: spec.name,
                column: col.name,
                expected: col.ty.expected(),
                value: preview(v),
            };
            Ok(match (col.ty, v) {
                (ColType::Str, Value::String(s)) => Cell::Str(s),
                (ColType::Int, Value::Number(n)) => Cell::Int(n.as_i64().ok_or_else(mismatch)?),
                (ColType::Float, Value::Number(n)) => Cell::Float(n.as_f64().ok_or_else(mismatch)?),
                (ColType::Bool, Value::Bool(b)) => Cell::Bool(*b),
                (ColType::Json, v) => Cell::Json(v.to_string()),
                (ColType::StrList, Value::Array(items)) => Cell::List(
                    items
                        .iter()
                        .map(|item| match item {
                            Value::String(s) => Ok(Some(s.as_str())),
                            Value::Null => Ok(None),
                            _ => Err(mismatch()),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                _ => return Err(mismatch()),
            })
        })
        .collect()
}

/// A value as shown in an error message: JSON text, cut short.
fn preview(v: &Value) -> String {
    const MAX: usize = 120;
    let s = v.to_string();
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s,
    }
}

enum Sink {
    Jsonl(BufWriter<File>),
    Csv(Box<csv::Writer<File>>),
    Parquet(Box<ParquetSink>),
}

/// Writes one table; see the module docs.
pub struct TableWriter {
    spec: TableSpec,
    sink: Sink,
    tmp: PathBuf,
    path: PathBuf,
    rows: u64,
}

impl TableWriter {
    /// Creates `dir/<name>.<ext>` (the directory must exist), written on [`finish`](Self::finish).
    pub fn create(dir: &Path, spec: TableSpec, format: Format) -> Result<Self, IoError> {
        let path = dir.join(format!("{}.{}", spec.name, format.extension()));
        let tmp = dir.join(format!("{}.{}.tmp", spec.name, format.extension()));
        let file = File::create(&tmp).map_err(|e| IoError::Write { path: tmp.clone(), source: e })?;
        let sink = match format {
            Format::Jsonl => Sink::Jsonl(BufWriter::with_capacity(256 * 1024, file)),
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().buffer_capacity(256 * 1024).from_writer(file);
                w.write_record(spec.columns.iter().map(|c| c.name))
                    .map_err(|e| IoError::Csv { path: path.clone(), source: e })?;
                Sink::Csv(Box::new(w))
            }
            Format::Parquet => Sink::Parquet(Box::new(ParquetSink::new(file, &spec, &path)?)),
        };
        Ok(TableWriter { spec, sink, tmp, path, rows: 0 })
    }

    pub fn write(&mut self, row: &Value) -> Result<(), IoError> {
        let cells = cells(&self.spec, row)?;
        match &mut self.sink {
            Sink::Jsonl(w) => {
                let io = |e: std::io::Error| IoError::Write { path: self.path.clone(), source: e };
                serde_json::to_writer(&mut *w, row).map_err(|e| io(e.into()))?;
                w.write_all(b"\n").map_err(io)?;
            }
            Sink::Csv(w) => {
                let fields = cells.into_iter().map(|c| match c {
                    Cell::Null => String::new(),
                    Cell::Str(s) => s.to_string(),
                    Cell::Int(i) => i.to_string(),
                    Cell::Float(f) => f.to_string(),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Json(j) => j,
                    Cell::List(items) => serde_json::to_string(&items).unwrap_or_default(),
                });
                w.write_record(fields).map_err(|e| IoError::Csv { path: self.path.clone(), source: e })?;
            }
            Sink::Parquet(p) => p.push(cells, &self.spec, &self.path)?,
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes, closes and moves the file to its final name.
    pub fn finish(self) -> Result<TableSummary, IoError> {
        let io = |e: std::io::Error| IoError::Write { path: self.path.clone(), source: e };
        match self.sink {
            Sink::Jsonl(w) => {
                w.into_inner().map_err(|e| io(e.into_error()))?;
            }
            Sink::Csv(mut w) => {
                w.flush().map_err(io)?;
            }
            Sink::Parquet(p) => p.close(&self.spec, &self.path)?,
        }
        fs::rename(&self.tmp, &self.path).map_err(io)?;
        Ok(TableSummary { path: self.path, rows: self.rows })
    }
}

#[cfg(test)]
mod tests;
