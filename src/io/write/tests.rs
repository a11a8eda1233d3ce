use std::fs;

use arrow::array::{Array, BooleanArray, Float64Array, Int64Array, ListArray, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};

use super::*;

fn statements_spec() -> TableSpec {
    TableSpec {
        name: "statements",
        columns: vec![
            Column { name: "doc_id", path: "/doc_id", ty: ColType::Str },
            Column { name: "speaker", path: "/speaker/name", ty: ColType::Str },
            Column { name: "start", path: "/span/0", ty: ColType::Int },
            Column { name: "score", path: "/score", ty: ColType::Float },
            Column { name: "direct", path: "/direct", ty: ColType::Bool },
            Column { name: "speaker_json", path: "/speaker", ty: ColType::Json },
            Column { name: "outlets", path: "/outlets", ty: ColType::StrList },
        ],
    }
}

fn rows() -> Vec<Value> {
    vec![
        json!({"doc_id": "wire-1", "speaker": {"name": "Abdul Rahman Qasimi", "entity_id": "E12"},
               "span": [40, 97], "score": 0.93, "direct": true,
               "outlets": ["Northern Wire", "Daily Ledger"], "content": "\"We reject it,\" he said"}),
        // An unnamed source: null speaker, missing list, a comma and a newline in a string.
        json!({"doc_id": "ldg-7, update\nsecond line", "speaker": null, "span": [3, 10], "score": 1,
               "direct": false}),
        json!({"doc_id": "vp-2", "speaker": {"name": "Kasimi"}, "span": [0, 5], "score": 0.5,
               "outlets": ["Valley Post", null]}),
    ]
}

fn write_all(format: Format, rows: &[Value]) -> (tempfile::TempDir, TableSummary) {
    let dir = tempfile::tempdir().unwrap();
    let mut w = TableWriter::create(dir.path(), statements_spec(), format).unwrap();
    assert!(dir.path().join(format!("statements.{format}.tmp")).exists());
    for r in rows {
        w.write(r).unwrap();
    }
    let sum = w.finish().unwrap();
    assert!(!dir.path().join(format!("statements.{format}.tmp")).exists());
    (dir, sum)
}

#[test]
fn format_parse_and_display() {
    for f in [Format::Jsonl, Format::Csv, Format::Parquet] {
        assert_eq!(f.to_string().parse::<Format>().unwrap(), f);
    }
    assert_eq!("PARQUET".parse::<Format>().unwrap(), Format::Parquet);
    let err = "xlsx".parse::<Format>().unwrap_err();
    assert_eq!(err.to_string(), "unknown table format 'xlsx' (expected jsonl, csv or parquet)");
}

#[test]
fn jsonl_round_trip_keeps_whole_rows() {
    let (_dir, sum) = write_all(Format::Jsonl, &rows());
    assert_eq!(sum.rows, 3);
    assert!(sum.path.ends_with("statements.jsonl"));
    let text = fs::read_to_string(&sum.path).unwrap();
    let back: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(back, rows());
    // Deterministic bytes: keys sorted.
    assert!(text.starts_with(r#"{"content":"#), "{text}");
}

#[test]
fn csv_header_cells_and_escaping() {
    let (_dir, sum) = write_all(Format::Csv, &rows());
    let text = fs::read_to_string(&sum.path).unwrap();
    assert!(text.starts_with("doc_id,speaker,start,score,direct,speaker_json,outlets\n"), "{text}");
    let mut rdr = csv::Reader::from_path(&sum.path).unwrap();
    let recs: Vec<Vec<String>> = rdr.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    assert_eq!(
        recs[0],
        [
            "wire-1",
            "Abdul Rahman Qasimi",
            "40",
            "0.93",
            "true",
            r#"{"entity_id":"E12","name":"Abdul Rahman Qasimi"}"#,
            r#"["Northern Wire","Daily Ledger"]"#
        ]
    );
    // Comma and newline survive quoting; null and missing are empty; integer-valued floats stay floats.
    assert_eq!(recs[1], ["ldg-7, update\nsecond line", "", "3", "1", "false", "", ""]);
    assert_eq!(recs[2][6], r#"["Valley Post",null]"#);
    assert!(text.contains("\"ldg-7, update\nsecond line\""));
}

#[test]
fn parquet_round_trip_with_nulls_and_lists() {
    // More than one batch of rows, to exercise the periodic flush.
    let mut all = Vec::new();
    for i in 0..(parquet_sink::BATCH_ROWS + 10) {
        let mut r = rows()[i % 3].clone();
        r["span"][0] = json!(i);
        all.push(r);
    }
    let (_dir, sum) = write_all(Format::Parquet, &all);
    assert_eq!(sum.rows, all.len() as u64);
    let file = fs::File::open(&sum.path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    let batch = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(batch.num_rows(), all.len());
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let doc = col("doc_id");
    let doc = doc.as_any().downcast_ref::<StringArray>().unwrap();
    let speaker = col("speaker");
    let speaker = speaker.as_any().downcast_ref::<StringArray>().unwrap();
    let start = col("start");
    let start = start.as_any().downcast_ref::<Int64Array>().unwrap();
    let score = col("score");
    let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
    let direct = col("direct");
    let direct = direct.as_any().downcast_ref::<BooleanArray>().unwrap();
    let sj = col("speaker_json");
    let sj = sj.as_any().downcast_ref::<StringArray>().unwrap();
    let outlets = col("outlets");
    let outlets = outlets.as_any().downcast_ref::<ListArray>().unwrap();

    assert_eq!(doc.value(0), "wire-1");
    assert_eq!(speaker.value(0), "Abdul Rahman Qasimi");
    assert!(speaker.is_null(1));
    assert_eq!(start.value(8200), 8200);
    assert_eq!(score.value(1), 1.0);
    assert!(direct.value(0) && !direct.value(1) && direct.is_null(2));
    assert_eq!(sj.value(2), r#"{"name":"Kasimi"}"#);
    assert!(sj.is_null(1));
    let first = outlets.value(0);
    let first = first.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!((first.value(0), first.value(1)), ("Northern Wire", "Daily Ledger"));
    assert!(outlets.is_null(1), "missing list is a null list");
    let third = outlets.value(2);
    let third = third.as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(third.len(), 2);
    assert!(third.is_null(1), "null item kept");
    // zstd compression as specified.
    let meta = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&sum.path).unwrap()).unwrap();
    let col0 = meta.metadata().row_group(0).column(0);
    assert_eq!(col0.compression(), parquet::basic::Compression::ZSTD(Default::default()));
}

#[test]
fn empty_tables_are_valid_files() {
    let (_d1, csv) = write_all(Format::Csv, &[]);
    assert_eq!(fs::read_to_string(&csv.path).unwrap(), "doc_id,speaker,start,score,direct,speaker_json,outlets\n");
    let (_d2, pq) = write_all(Format::Parquet, &[]);
    let b = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&pq.path).unwrap()).unwrap();
    assert_eq!(b.schema().fields().len(), 7);
    assert_eq!(b.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn type_mismatches_are_errors_naming_table_column_value() {
    for format in [Format::Jsonl, Format::Csv, Format::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let mut w = TableWriter::create(dir.path(), statements_spec(), format).unwrap();
        w.write(&rows()[0]).unwrap();
        let bad_int = json!({"doc_id": "x", "span": ["forty", 2]});
        let err = w.write(&bad_int).unwrap_err().to_string();
        assert_eq!(err, r#"table 'statements', column 'start': expected an integer (i64), found "forty""#);
        let float_for_int = json!({"span": [1.5, 2]});
        assert!(w.write(&float_for_int).unwrap_err().to_string().contains("found 1.5"));
        let num_for_str = json!({"doc_id": 7});
        assert!(w.write(&num_for_str).unwrap_err().to_string().contains("column 'doc_id': expected a string, found 7"));
        let bad_list = json!({"outlets": ["Valley Post", 3]});
        assert!(w.write(&bad_list).unwrap_err().to_string().contains("expected an array of strings"));
        let err = w.write(&json!(["not", "a", "row"])).unwrap_err();
        assert!(matches!(err, IoError::RowNotObject { table: "statements", .. }));
        // Failed rows are not half-written: the table stays consistent and readable.
        w.write(&rows()[2]).unwrap();
        assert_eq!(w.finish().unwrap().rows, 2);
    }
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = "x".repeat(500);
    let err = cells(&statements_spec(), &json!({"direct": long})).unwrap_err().to_string();
    assert!(err.ends_with("...") && err.len() < 250, "{err}");
}

#[test]
fn create_fails_cleanly_for_missing_dir() {
    let dir = tempfile::tempdir().unwrap();
    let err = TableWriter::create(&dir.path().join("nope"), statements_spec(), Format::Csv).err().unwrap();
    assert!(matches!(err, IoError::Write { .. }));
}

#[test]
fn format_works_as_a_cli_value() {
    // clap's FromStr value parser needs an error convertible to Box<dyn Error + Send + Sync>.
    fn boxed<E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>>(e: E) -> String {
        e.into().to_string()
    }
    assert!(boxed("tsv".parse::<Format>().unwrap_err()).contains("'tsv'"));
}
