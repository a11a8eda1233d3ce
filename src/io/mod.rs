//! Input readers and output table writers: the two ends of the pipeline.
//!
//! * [`read_inputs`] streams [`Record`]s out of JSONL / CSV / TSV files, single text files,
//!   directories of text files and stdin, each possibly `.gz` / `.zst` compressed. Every
//!   record the user gave comes out exactly once, either as a document or as a
//!   [`Rejection`] that says what is wrong with it; only problems that stop the whole run
//!   (an input that does not exist or cannot be read at all) are an [`IoError`].
//! * [`TableWriter`] writes one output table (rows given as JSON objects) as JSONL, CSV or
//!   Parquet, with the column layout of a [`TableSpec`].

use std::path::PathBuf;

use thiserror::Error;

pub mod read;
pub mod write;

pub use read::{
    duplicate_reason, read_framed_inputs, read_inputs, FieldNames, InputStats, ReadOptions, Reader, Record, Rejection,
};
pub use write::{ColType, Column, Format, TableSpec, TableSummary, TableWriter};

/// Failures that stop a run (reading) or a table (writing). Problems with single input
/// records are not errors: they come out of the reader as [`Record::Rejected`].
#[derive(Debug, Error)]
pub enum IoError {
    #[error("input '{path}' does not exist")]
    NotFound { path: PathBuf },
    #[error("cannot read input '{path}': {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("input '{path}': unknown format (expected .jsonl, .ndjson, .json, .csv, .tsv, .txt or .md, optionally .gz or .zst, a directory, or '-' for stdin)")]
    UnknownInputFormat { path: PathBuf },
    #[error("unknown table format '{0}' (expected jsonl, csv or parquet)")]
    UnknownTableFormat(String),
    #[error("cannot write '{path}': {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot write CSV '{path}': {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("cannot write Parquet '{path}': {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("cannot build Arrow batch for table '{table}': {source}")]
    Arrow { table: &'static str, source: arrow::error::ArrowError },
    #[error("table '{table}': a row is not a JSON object: {value}")]
    RowNotObject { table: &'static str, value: String },
    #[error("table '{table}', column '{column}': expected {expected}, found {value}")]
    TypeMismatch { table: &'static str, column: &'static str, expected: &'static str, value: String },
}
