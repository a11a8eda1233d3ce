//! Reads a finished run's tables back as the nested JSON rows of `docs/SCHEMA.md`, whatever
//! format they were written in: JSONL rows are taken as they are; CSV and Parquet columns are
//! put back at their JSON pointer (`speaker_entity_id` -> `/speaker/entity_id`) with the
//! column's type, so the rest of the report sees one shape.
//!
//! Rows are streamed to a callback: a run of 100k documents has a million mentions, and the
//! report keeps only what it shows.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Map, Value};

use super::ReportError;
use crate::dataset;
use crate::io::{ColType, Format, TableSpec};

/// The column layout of a table of the schema, or `None` for a name it does not have.
pub fn spec_of(table: &str) -> Option<TableSpec> {
    Some(match table {
        "documents" => dataset::documents_spec(),
        "errors" => dataset::errors_spec(),
        "mentions" => dataset::mentions_spec(),
        "entities" => dataset::entities_spec(),
        "statements" => dataset::statements_spec(),
        "relations" => dataset::relations_spec(),
        "facts" => dataset::facts_spec(),
        "conflicts" => dataset::conflicts_spec(),
        _ => return None,
    })
}

/// A run folder and the format of its tables (from `manifest.json`).
#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
    pub format: Format,
    pub manifest: Value,
}

impl RunDir {
    /// Opens a finished run: it must have a `manifest.json` (written last by `run`).
    pub fn open(dir: &Path) -> Result<Self, ReportError> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|source| ReportError::NotARun { dir: dir.into(), source })?;
        let manifest: Value =
            serde_json::from_str(&text).map_err(|source| ReportError::Json { path: path.clone(), line: 1, source })?;
        let name = manifest["format"].as_str().unwrap_or("jsonl");
        let format = name.parse().map_err(|_| ReportError::Format { path, format: name.to_string() })?;
        Ok(RunDir { dir: dir.to_path_buf(), format, manifest })
    }

    pub fn table_path(&self, table: &str) -> PathBuf {
        self.dir.join(format!("{table}.{}", self.format.extension()))
    }

    /// Calls `f` with every row of `table`, in file order; a missing table has no rows.
    pub fn for_each(&self, table: &str, mut f: impl FnMut(Value)) -> Result<(), ReportError> {
        let path = self.table_path(table);
        if !path.is_file() {
            return Ok(());
        }
        let spec = spec_of(table).ok_or_else(|| ReportError::UnknownTable(table.to_string()))?;
        let mut f = |mut row: Value| {
            drop_null_fields(&mut row);
            f(row)
        };
        match self.format {
            Format::Jsonl => read_jsonl(&path, &mut f),
            Format::Csv => read_csv(&path, &spec, &mut f),
            Format::Parquet => read_parquet(&path, &spec, &mut f),
        }
    }

    /// Every row of `table`, in file order.
    pub fn rows(&self, table: &str) -> Result<Vec<Value>, ReportError> {
        let mut out = Vec::new();
        self.for_each(table, |v| out.push(v))?;
        Ok(out)
    }
}

fn open(path: &Path) -> Result<File, ReportError> {
    File::open(path).map_err(|source| ReportError::Read { path: path.into(), source })
}

fn read_jsonl(path: &Path, f: &mut dyn FnMut(Value)) -> Result<(), ReportError> {
    for (i, line) in BufReader::new(open(path)?).lines().enumerate() {
        let line = line.map_err(|source| ReportError::Read { path: path.into(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let v = serde_json::from_str(&line).map_err(|source| ReportError::Json {
            path: path.into(),
            line: i + 1,
            source,
        })?;
        f(v);
    }
    Ok(())
}

/// Sets `value` at a JSON pointer of single-level or nested object keys (`/speaker/text`).
fn put(row: &mut Map<String, Value>, pointer: &str, value: Value) {
    let mut keys = pointer.trim_start_matches('/').split('/').peekable();
    let mut node = row;
    while let Some(k) = keys.next() {
        if keys.peek().is_none() {
            node.insert(k.to_string(), value);
            return;
        }
        let child = node.entry(k.to_string()).or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        node = child.as_object_mut().expect("just made an object");
    }
}

/// A nested object whose fields are all null was a null object (a statement with no
/// speaker): the flat formats cannot tell the two apart, JSONL can, and the report follows JSONL.
fn collapse_null_objects(row: &mut Map<String, Value>) {
    for v in row.values_mut() {
        if let Value::Object(m) = v {
            if m.values().all(Value::is_null) {
                *v = Value::Null;
            }
        }
    }
}

/// JSONL leaves some null fields out (a value conflict has no `object`) where CSV and Parquet
/// have a column for them: without top-level nulls, a row reads the same in every format.
fn drop_null_fields(row: &mut Value) {
    if let Value::Object(m) = row {
        m.retain(|_, v| !v.is_null());
    }
}

/// A CSV cell in its column's type; a cell that does not parse stays text, never lost.
fn csv_cell(ty: ColType, s: &str) -> Value {
    if s.is_empty() {
        return Value::Null;
    }
    let parsed = match ty {
        ColType::Str => None,
        ColType::Int => s.parse::<i64>().ok().map(Value::from),
        ColType::Float => s.parse::<f64>().ok().map(Value::from),
        ColType::Bool => s.parse::<bool>().ok().map(Value::from),
        ColType::Json | ColType::StrList => serde_json::from_str(s).ok(),
    };
    parsed.unwrap_or_else(|| Value::String(s.to_string()))
}

fn read_csv(path: &Path, spec: &TableSpec, f: &mut dyn FnMut(Value)) -> Result<(), ReportError> {
    let csv_err = |source: csv::Error| ReportError::Csv { path: path.into(), source };
    let mut r = csv::Reader::from_reader(BufReader::new(open(path)?));
    let header: Vec<String> = r.headers().map_err(csv_err)?.iter().map(str::to_string).collect();
    let cols: Vec<(String, ColType)> = header
        .iter()
        .map(|name| match spec.columns.iter().find(|c| c.name == name) {
            Some(c) => (c.path.to_string(), c.ty),
            None => (format!("/{name}"), ColType::Str),
        })
        .collect();
    for rec in r.records() {
        let rec = rec.map_err(csv_err)?;
        let mut row = Map::new();
        for ((pointer, ty), cell) in cols.iter().zip(rec.iter()) {
            put(&mut row, pointer, csv_cell(*ty, cell));
        }
        collapse_null_objects(&mut row);
        f(Value::Object(row));
    }
    Ok(())
}

/// Row `i` of an Arrow column as JSON; Json columns (stored as text) are parsed back.
fn arrow_cell(col: &ArrayRef, ty: ColType, i: usize) -> Value {
    if col.is_null(i) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => {
            let s = col.as_string::<i32>().value(i);
            match ty {
                ColType::Json | ColType::StrList => serde_json::from_str(s).unwrap_or_else(|_| Value::from(s)),
                _ => Value::from(s),
            }
        }
        DataType::LargeUtf8 => Value::from(col.as_string::<i64>().value(i)),
        DataType::Int64 => Value::from(col.as_primitive::<Int64Type>().value(i)),
        DataType::Float64 => Value::from(col.as_primitive::<Float64Type>().value(i)),
        DataType::Boolean => Value::from(col.as_boolean().value(i)),
        DataType::List(_) => {
            let items = col.as_list::<i32>().value(i);
            Value::Array((0..items.len()).map(|j| arrow_cell(&items, ColType::Str, j)).collect())
        }
        other => Value::from(format!("<{other} column>")),
    }
}

fn read_parquet(path: &Path, spec: &TableSpec, f: &mut dyn FnMut(Value)) -> Result<(), ReportError> {
    let pq_err = |source: parquet::errors::ParquetError| ReportError::Parquet { path: path.into(), source };
    let reader = ParquetRecordBatchReaderBuilder::try_new(open(path)?).map_err(pq_err)?.build().map_err(pq_err)?;
    for batch in reader {
        let batch = batch.map_err(|source| ReportError::Arrow { path: path.into(), source })?;
        let schema = batch.schema();
        let cols: Vec<(String, ColType)> = schema
            .fields()
            .iter()
            .map(|fld| match spec.columns.iter().find(|c| c.name == fld.name()) {
                Some(c) => (c.path.to_string(), c.ty),
                None => (format!("/{}", fld.name()), ColType::Str),
            })
            .collect();
        for i in 0..batch.num_rows() {
            let mut row = Map::new();
            for ((pointer, ty), col) in cols.iter().zip(batch.columns()) {
                put(&mut row, pointer, arrow_cell(col, *ty, i));
            }
            collapse_null_objects(&mut row);
            f(Value::Object(row));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_columns_go_back_to_their_pointer() {
        let mut row = Map::new();
        put(&mut row, "/speaker/text", json!("Rahmani"));
        put(&mut row, "/speaker/start", json!(3));
        put(&mut row, "/cue", json!("say"));
        assert_eq!(Value::Object(row), json!({"speaker": {"text": "Rahmani", "start": 3}, "cue": "say"}));
    }

    #[test]
    fn all_null_objects_become_null() {
        let mut row = Map::new();
        put(&mut row, "/speaker/text", Value::Null);
        put(&mut row, "/speaker/start", Value::Null);
        put(&mut row, "/content/text", json!("x"));
        collapse_null_objects(&mut row);
        assert_eq!(Value::Object(row), json!({"speaker": null, "content": {"text": "x"}}));
    }

    #[test]
    fn csv_cells_take_their_column_type() {
        assert_eq!(csv_cell(ColType::Int, "12"), json!(12));
        assert_eq!(csv_cell(ColType::StrList, r#"["a","b"]"#), json!(["a", "b"]));
        assert_eq!(csv_cell(ColType::Str, ""), Value::Null);
        assert_eq!(csv_cell(ColType::Int, "twelve"), json!("twelve"));
    }
}
