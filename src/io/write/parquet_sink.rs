//! Parquet output through Arrow: rows are appended to one builder per column and flushed as
//! a record batch every [`BATCH_ROWS`] rows, so memory is bounded by the batch size.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, Int64Builder, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{Cell, ColType, TableSpec};
use crate::io::IoError;

pub(crate) const BATCH_ROWS: usize = 8192;

enum Builder {
    Str(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    List(ListBuilder<StringBuilder>),
}

fn item_field() -> Arc<Field> {
    Arc::new(Field::new_list_field(DataType::Utf8, true))
}

impl Builder {
    fn new(ty: ColType) -> Builder {
        match ty {
            ColType::Str | ColType::Json => Builder::Str(StringBuilder::new()),
            ColType::Int => Builder::Int(Int64Builder::new()),
            ColType::Float => Builder::Float(Float64Builder::new()),
            ColType::Bool => Builder::Bool(BooleanBuilder::new()),
            ColType::StrList => Builder::List(ListBuilder::new(StringBuilder::new()).with_field(item_field())),
        }
    }

    /// Appends a cell already checked against this column's type by `cells`.
    fn append(&mut self, cell: Cell<'_>) {
        match (self, cell) {
            (Builder::Str(b), Cell::Str(s)) => b.append_value(s),
            (Builder::Str(b), Cell::Json(s)) => b.append_value(s),
            (Builder::Int(b), Cell::Int(i)) => b.append_value(i),
            (Builder::Float(b), Cell::Float(f)) => b.append_value(f),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            (Builder::List(b), Cell::List(items)) => {
                for item in items {
                    b.values().append_option(item);
                }
                b.append(true);
            }
            // Null, and (unreachable after `cells`) any other pairing: a null keeps the
            // columns the same length rather than panicking.
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Float(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
            (Builder::List(b), _) => b.append(false),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Builder::Str(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Float(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
            Builder::List(b) => Arc::new(b.finish()),
        }
    }
}

pub(crate) fn schema(spec: &TableSpec) -> SchemaRef {
    let fields: Vec<Field> = spec
        .columns
        .iter()
        .map(|c| {
            let dt = match c.ty {
                ColType::Str | ColType::Json => DataType::Utf8,
                ColType::Int => DataType::Int64,
                ColType::Float => DataType::Float64,
                ColType::Bool => DataType::Boolean,
                ColType::StrList => DataType::List(item_field()),
            };
            Field::new(c.name, dt, true)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

pub(crate) struct ParquetSink {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    builders: Vec<Builder>,
    buffered: usize,
}

impl ParquetSink {
    pub(crate) fn new(file: File, spec: &TableSpec, path: &Path) -> Result<Self, IoError> {
        let schema = schema(spec);
        let props = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|e| IoError::Parquet { path: path.to_path_buf(), source: e })?;
        let builders = spec.columns.iter().map(|c| Builder::new(c.ty)).collect();
        Ok(ParquetSink { writer, schema, builders, buffered: 0 })
    }

    pub(crate) fn push(&mut self, cells: Vec<Cell<'_>>, spec: &TableSpec, path: &Path) -> Result<(), IoError> {
        for (b, cell) in self.builders.iter_mut().zip(cells) {
            b.append(cell);
        }
        self.buffered += 1;
        if self.buffered >= BATCH_ROWS {
            self.flush(spec, path)?;
        }
        Ok(())
    }

    fn flush(&mut self, spec: &TableSpec, path: &Path) -> Result<(), IoError> {
        if self.buffered == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(Builder::finish).collect();
        self.buffered = 0;
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| IoError::Arrow { table: spec.name, source: e })?;
        self.writer.write(&batch).map_err(|e| IoError::Parquet { path: path.to_path_buf(), source: e })
    }

    pub(crate) fn close(mut self, spec: &TableSpec, path: &Path) -> Result<(), IoError> {
        self.flush(spec, path)?;
        self.writer.close().map_err(|e| IoError::Parquet { path: path.to_path_buf(), source: e })?;
        Ok(())
    }
}
