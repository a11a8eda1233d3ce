//! Reader tests. Fixtures are invented news snippets (several outlets, one story).

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::*;

fn opts() -> ReadOptions {
    ReadOptions::default()
}

fn put(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zst(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

fn run(inputs: &[PathBuf], o: &ReadOptions) -> (Vec<Record>, Vec<InputStats>) {
    let mut r = read_inputs(inputs, o).unwrap();
    let recs: Vec<Record> = r.by_ref().collect();
    (recs, r.stats().to_vec())
}

fn docs(recs: &[Record]) -> Vec<&Document> {
    recs.iter().filter_map(|r| if let Record::Doc(d) = r { Some(d) } else { None }).collect()
}

fn rejs(recs: &[Record]) -> Vec<&Rejection> {
    recs.iter().filter_map(|r| if let Record::Rejected(x) = r { Some(x) } else { None }).collect()
}

/// Runs one JSONL file and checks the invariant: every non-blank line is one record.
fn one_jsonl(lines: &[&str], o: &ReadOptions) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "in.jsonl", lines.join("\n").as_bytes());
    let (recs, _) = run(&[p], o);
    let nonblank = lines.iter().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(recs.len(), nonblank, "records in = documents + rejections");
    recs
}

/// The single rejection among `recs`, asserting everything else is a document.
fn the_rejection(recs: &[Record]) -> &Rejection {
    let r = rejs(recs);
    assert_eq!(r.len(), 1, "{recs:?}");
    assert_eq!(docs(recs).len() + 1, recs.len());
    r[0]
}

const A1: &str = r#"{"id":"wire-1","text":"KABUL (Wire) - The Interior Ministry said on Tuesday that a blast near the Darulaman road killed four people.","source":"Northern Wire","published":"2024-03-05","lang":"en"}"#;
const A2: &str = r#"{"id":7,"text":"Officials in Kabul confirmed the explosion, which a spokesman, Abdul Rahman Qasimi, blamed on \"enemies of the state\".","source":{"name":"Daily Ledger"},"url":"https://ledger.example/a/7"}"#;
const A3: &str = r#"{"text":"A group calling itself the Eastern Front (EF) claimed responsibility in a statement, a claim the ministry disputed.","title":"Group claims Kabul blast"}"#;

#[test]
fn jsonl_fields_ids_meta_and_blank_lines() {
    let recs = one_jsonl(&[A1, "", "   ", A2, A3], &opts());
    let d = docs(&recs);
    assert_eq!(d.len(), 3);
    assert_eq!(d[0].id, "wire-1");
    assert_eq!(d[0].meta.source.as_deref(), Some("Northern Wire"));
    assert_eq!(d[0].meta.published.as_deref(), Some("2024-03-05"));
    assert_eq!(d[0].meta.extra.get("lang"), Some(&serde_json::json!("en")));
    assert_eq!(d[0].origin.line, Some(1));
    // Numeric id kept as its number text; a non-string source kept as JSON text.
    assert_eq!(d[1].id, "7");
    assert_eq!(d[1].meta.source.as_deref(), Some(r#"{"name":"Daily Ledger"}"#));
    assert_eq!(d[1].meta.url.as_deref(), Some("https://ledger.example/a/7"));
    assert_eq!(d[1].origin.line, Some(4), "blank lines still count as lines");
    // Missing id: <file>:<line>.
    assert!(d[2].id.ends_with("in.jsonl:5"), "{}", d[2].id);
    assert_eq!(d[2].meta.title.as_deref(), Some("Group claims Kabul blast"));
    assert!(d[2].text.contains("Eastern Front (EF)"));
}

#[test]
fn custom_field_names() {
    let mut o = opts();
    o.fields.id = "article_id".into();
    o.fields.text = "body".into();
    let recs =
        one_jsonl(&[r#"{"article_id":"ldg-9","body":"The ministry denied the report.","text":"kept as extra"}"#], &o);
    let d = docs(&recs);
    assert_eq!(d[0].id, "ldg-9");
    assert_eq!(d[0].text, "The ministry denied the report.");
    assert_eq!(d[0].meta.extra["text"], "kept as extra");
}

#[test]
fn jsonl_reader_is_generic_over_bufread() {
    let input = format!("{A1}\n\n{A3}\n{{bad\n");
    let recs: Vec<Record> = read_jsonl(Cursor::new(input.into_bytes()), "-", &opts()).collect();
    assert_eq!(recs.len(), 3);
    assert_eq!(docs(&recs)[1].id, "-:3");
    assert_eq!(rejs(&recs)[0].origin, Origin { file: "-".into(), line: Some(4) });
}

#[test]
fn stdin_dash_plain_and_gzip_sniffed() {
    let body = format!("{A1}\n{A2}\n");
    for (bytes, fmt) in [(body.clone().into_bytes(), "jsonl"), (gz(body.as_bytes()), "jsonl+gzip")] {
        let mut r =
            read_inputs_with_stdin(&[PathBuf::from("-")], &opts(), Box::new(Cursor::new(bytes.clone()))).unwrap();
        let recs: Vec<Record> = r.by_ref().collect();
        assert_eq!(docs(&recs).len(), 2);
        assert_eq!(docs(&recs)[0].origin.file, "-");
        let st = &r.stats()[0];
        assert_eq!((st.path.as_str(), st.format.as_str(), st.records), ("-", fmt, 2));
        assert_eq!(st.bytes, bytes.len() as u64);
        assert_eq!(st.sha256, hex(&Sha256::digest(&bytes)));
    }
}

#[test]
fn malformed_json_names_the_column() {
    let recs = one_jsonl(&[A1, r#"{"id":"x","text":"Police said" "four"}"#, A3], &opts());
    let r = the_rejection(&recs);
    assert!(r.reason.starts_with("malformed JSON: "), "{}", r.reason);
    assert!(r.reason.contains("column"), "{}", r.reason);
    assert_eq!(r.origin.line, Some(2));
}

#[test]
fn json_value_not_an_object() {
    let recs = one_jsonl(&[r#"["Kabul","blast"]"#, A1], &opts());
    assert_eq!(the_rejection(&recs).reason, "expected a JSON object, found an array");
}

#[test]
fn invalid_utf8_line_loses_only_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = format!("{A1}\n").into_bytes();
    bytes.extend_from_slice(b"{\"text\":\"Qas\xffimi said\"}\n");
    bytes.extend_from_slice(format!("{A3}\n").as_bytes());
    let p = put(dir.path(), "mixed.ndjson", &bytes);
    let (recs, _) = run(&[p], &opts());
    assert_eq!(recs.len(), 3);
    let r = the_rejection(&recs);
    assert_eq!(r.reason, "invalid UTF-8 at byte 12 of the line");
    assert_eq!(r.origin.line, Some(2));
}

#[test]
fn missing_text() {
    let recs = one_jsonl(&[r#"{"id":"dl-3","title":"No body"}"#, A1], &opts());
    let r = the_rejection(&recs);
    assert_eq!(r.reason, "missing field 'text'");
    assert_eq!(r.doc_id.as_deref(), Some("dl-3"));
}

#[test]
fn text_not_a_string() {
    let recs = one_jsonl(&[r#"{"id":"dl-4","text":["para one","para two"]}"#], &opts());
    assert_eq!(the_rejection(&recs).reason, "field 'text' must be a string, found an array");
}

#[test]
fn id_of_wrong_type() {
    let recs = one_jsonl(&[r#"{"id":{"n":1},"text":"The ministry said."}"#], &opts());
    assert_eq!(the_rejection(&recs).reason, "field 'id' must be a string or a number, found an object");
}

#[test]
fn empty_and_whitespace_text() {
    let recs = one_jsonl(&[r#"{"id":"e1","text":""}"#, r#"{"id":"e2","text":" \n\t "}"#, A1], &opts());
    let r = rejs(&recs);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].reason, "text is empty");
    assert_eq!(r[1].reason, "text is only whitespace");
    assert_eq!(docs(&recs).len(), 1);
}

#[test]
fn nul_in_text_reports_char_position() {
    // "Zürich" has a two-byte char: the position must be in chars (9), not bytes (10).
    let recs = one_jsonl(&[r#"{"id":"n1","text":"In Zürich\u0000 officials said"}"#, A1], &opts());
    assert_eq!(the_rejection(&recs).reason, "text contains NUL bytes at char 9");
}

#[test]
fn text_over_the_limit() {
    let mut o = opts();
    o.max_text_bytes = 40;
    let long = format!(r#"{{"id":"big","text":"{}"}}"#, "The spokesman said. ".repeat(3));
    let recs = one_jsonl(&[&long, r#"{"id":"ok","text":"Short report."}"#], &o);
    assert_eq!(the_rejection(&recs).reason, "text is 60 bytes, more than the limit of 40 (see --max-text-bytes)");
}

#[test]
fn overlong_line_is_skipped_not_buffered() {
    let mut o = opts();
    o.max_text_bytes = 10; // line cap = 40 + 1 MiB
    let huge = format!(r#"{{"text":"{}"}}"#, "x".repeat(1 << 21));
    let recs = one_jsonl(&[A1, &huge, A3], &o.clone());
    // A1 and A3 are also over 10 bytes of text: all three rejected, for different reasons.
    let r = rejs(&recs);
    assert_eq!(r.len(), 3);
    assert!(r[1].reason.starts_with("line is 2097163 bytes, longer than"), "{}", r[1].reason);
    assert_eq!(r[2].origin.line, Some(3), "reading resumes after the long line");
    assert!(r[2].reason.starts_with("text is "));
}

#[test]
fn duplicate_ids_across_files_name_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let a = put(dir.path(), "wire.jsonl", format!("{A1}\n{A2}\n").as_bytes());
    let b = put(
        dir.path(),
        "ledger.jsonl",
        br#"{"id":"7","text":"Another outlet, same id."}
{"id":"wire-1","text":"Reposted wire copy."}
"#,
    );
    let (recs, stats) = run(&[a.clone(), b], &opts());
    assert_eq!(recs.len(), 4);
    let r = rejs(&recs);
    assert_eq!(r.len(), 2);
    // Number 7 and string "7" are the same id once read.
    assert_eq!(r[0].reason, format!("duplicate id '7', first seen at {}:2", a.display()));
    assert_eq!(r[1].reason, format!("duplicate id 'wire-1', first seen at {}:1", a.display()));
    assert_eq!(r[1].doc_id.as_deref(), Some("wire-1"));
    assert_eq!(stats.iter().map(|s| s.records).collect::<Vec<_>>(), vec![2, 2]);
}

#[test]
fn rejected_records_do_not_claim_their_id() {
    let recs = one_jsonl(&[r#"{"id":"r1","text":""}"#, r#"{"id":"r1","text":"Second try, with text."}"#], &opts());
    assert_eq!(docs(&recs)[0].id, "r1");
    assert_eq!(the_rejection(&recs).reason, "text is empty");
}

#[test]
fn large_article_and_long_token_are_fine() {
    let article = "The commission (IEC) said turnout was high. ".repeat(2_000_000 / 44);
    let token = "ab".repeat(50_000);
    let lines = [
        serde_json::json!({"id": "long", "text": article}).to_string(),
        serde_json::json!({"id": "tok", "text": format!("A {token} token.")}).to_string(),
    ];
    let recs = one_jsonl(&[&lines[0], &lines[1]], &opts());
    let d = docs(&recs);
    assert_eq!(d.len(), 2);
    assert!(d[0].text.len() > 1_900_000);
    assert_eq!(d[1].text.len(), 100_009);
}

const CSV: &str = "id,source,text,published\n\
csv-1,Harbor Times,\"Mr. Kasimi, the spokesman, said: \"\"We reject it.\"\"\nHe left.\",2024-03-06\n\
csv-2,Harbor Times,Too few fields\n\
,Valley Post,An unnamed official said the toll rose to six.,\n";

#[test]
fn csv_rows_quotes_and_field_counts() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "feed.csv", CSV.as_bytes());
    let (recs, stats) = run(std::slice::from_ref(&p), &opts());
    assert_eq!(recs.len(), 3);
    let d = docs(&recs);
    assert_eq!(d[0].text, "Mr. Kasimi, the spokesman, said: \"We reject it.\"\nHe left.");
    assert_eq!(d[0].meta.published.as_deref(), Some("2024-03-06"));
    assert_eq!(d[1].id, format!("{}:3", p.display()), "empty id cell falls back to file:row");
    assert_eq!(d[1].meta.published, None, "empty cell is absent");
    let r = the_rejection(&recs);
    assert_eq!(r.reason, "row has 3 fields, the header has 4");
    assert_eq!(r.origin.line, Some(2), "data rows, header not counted");
    assert_eq!(stats[0].format, "csv");
}

#[test]
fn csv_invalid_utf8_cell() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "bad.csv", b"id,text\na,Police said\xfe it\nb,Fine row.\n");
    let (recs, _) = run(&[p], &opts());
    assert_eq!(the_rejection(&recs).reason, "invalid UTF-8 in column 'text' at byte 11");
}

#[test]
fn csv_missing_text_column_and_empty_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "notext.csv", b"id,body\na,The ministry said.\n");
    let q = put(dir.path(), "empty.csv", b"id,text\nb,\nc,Real text.\n");
    let (recs, _) = run(&[p, q], &opts());
    let r = rejs(&recs);
    assert_eq!(r[0].reason, "missing field 'text'");
    assert_eq!(r[1].reason, "text is empty");
    assert_eq!(docs(&recs).len(), 1);
}

#[test]
fn tsv_with_tabs_in_quoted_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(
        dir.path(),
        "feed.tsv",
        b"id\ttext\nt1\t\"Col.\tAhmadi said, \"\"no comment.\"\"\"\nt2\tThe Kabul police chief resigned.\n",
    );
    let (recs, stats) = run(&[p], &opts());
    let d = docs(&recs);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].text, "Col.\tAhmadi said, \"no comment.\"");
    assert_eq!(d[1].origin.line, Some(2));
    assert_eq!(stats[0].format, "tsv");
}

#[test]
fn single_text_and_markdown_files() {
    let dir = tempfile::tempdir().unwrap();
    let t = put(
        dir.path(),
        "brief.txt",
        "\u{feff}Interior Ministry spokesman Abdul Rahman Qasemi said on Wednesday that four people died.".as_bytes(),
    );
    let m = put(dir.path(), "notes.MD", b"# Blast\n\nThe Eastern Front claimed it.\n");
    let (recs, stats) = run(&[t, m], &opts());
    let d = docs(&recs);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].id, "brief.txt");
    assert!(d[0].text.starts_with("Interior"), "BOM stripped");
    assert_eq!(d[0].origin.line, None);
    assert_eq!(d[1].id, "notes.MD");
    assert_eq!(stats[1].format, "text");
}

#[test]
fn text_file_not_utf8_is_rejected_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "latin1.txt", b"Minist\xe8re de l'Int\xe9rieur");
    let (recs, _) = run(&[p], &opts());
    let r = the_rejection(&recs);
    assert_eq!(r.reason, "not a UTF-8 text file (binary?): invalid UTF-8 at byte 6");
    assert_eq!(r.doc_id.as_deref(), Some("latin1.txt"));
}

#[test]
fn text_file_over_limit_reports_full_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "long.txt.gz", &gz("Report. ".repeat(100).as_bytes()));
    let mut o = opts();
    o.max_text_bytes = 100;
    let (recs, _) = run(&[p], &o);
    assert_eq!(the_rejection(&recs).reason, "text is 800 bytes, more than the limit of 100 (see --max-text-bytes)");
}

#[test]
fn compressed_inputs_of_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = format!("{A1}\n{A3}\n");
    let inputs = vec![
        put(dir.path(), "a.jsonl.gz", &gz(jsonl.as_bytes())),
        put(dir.path(), "b.csv.zst", &zst(b"id,text\nz1,The EF statement was posted online.\n")),
        put(dir.path(), "c.tsv.gz", &gz(b"id\ttext\ng1\tThe ministry disputed the claim.\n")),
        put(dir.path(), "d.txt.zst", &zst(b"Witnesses told the Valley Post they heard two blasts.")),
        put(dir.path(), "e.ndjson.zst", &zst(format!("{A2}\n").as_bytes())),
    ];
    let (recs, stats) = run(&inputs, &opts());
    assert_eq!(rejs(&recs).len(), 0, "{recs:?}");
    let ids: Vec<&str> = docs(&recs).iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids[0], "wire-1");
    assert_eq!(ids[2..], ["z1", "g1", "d.txt.zst", "7"]);
    let formats: Vec<&str> = stats.iter().map(|s| s.format.as_str()).collect();
    assert_eq!(formats, ["jsonl+gzip", "csv+zstd", "tsv+gzip", "text+zstd", "jsonl+zstd"]);
    for (st, p) in stats.iter().zip(&inputs) {
        let raw = fs::read(p).unwrap();
        assert_eq!(st.bytes, raw.len() as u64);
        assert_eq!(st.sha256, hex(&Sha256::digest(&raw)));
    }
}

#[test]
fn concatenated_gzip_members_are_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = gz(format!("{A1}\n").as_bytes());
    bytes.extend(gz(format!("{A2}\n").as_bytes()));
    let p = put(dir.path(), "cat.jsonl.gz", &bytes);
    let (recs, _) = run(&[p], &opts());
    assert_eq!(docs(&recs).len(), 2);
}

/// Many short lines, then the compressed stream is cut or damaged half-way.
fn many_lines(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\":\"l{i}\",\"text\":\"Update {i}: the toll in Kabul rose, officials said.\"}}\n"))
        .collect()
}

#[test]
fn truncated_gzip_rejects_the_rest_as_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let full = gz(many_lines(5000).as_bytes());
    let p = put(dir.path(), "cut.jsonl.gz", &full[..full.len() / 2]);
    let (recs, stats) = run(std::slice::from_ref(&p), &opts());
    let r = the_rejection(&recs);
    let good = docs(&recs).len() as u64;
    assert!(good > 100 && good < 5000, "{good}");
    assert!(r.reason.starts_with("corrupt gzip stream: "), "{}", r.reason);
    assert!(r.reason.ends_with("the rest of the file is skipped"));
    assert_eq!(r.origin.line, Some(good + 1));
    assert_eq!(stats[0].bytes, fs::metadata(&p).unwrap().len(), "hash covers the whole file");
}

#[test]
fn corrupt_zstd_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = zst(many_lines(5000).as_bytes());
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let p = put(dir.path(), "bad.jsonl.zst", &bytes);
    let (recs, stats) = run(&[p], &opts());
    let r = the_rejection(&recs);
    assert!(r.reason.starts_with("corrupt zstd stream: "), "{}", r.reason);
    assert_eq!(r.origin.line, Some(docs(&recs).len() as u64 + 1));
    assert_eq!(stats[0].bytes, bytes.len() as u64);
}

#[test]
fn corrupt_gzip_csv_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let csv_gz = gz(b"id,text\nc1,one\nc2,two\n");
    let c = put(dir.path(), "x.csv.gz", &csv_gz[..csv_gz.len() - 12]);
    let t = put(dir.path(), "y.txt.gz", b"\x1f\x8b\x08\x00garbage that is not deflate");
    let (recs, _) = run(&[c, t], &opts());
    let r = rejs(&recs);
    assert!(r.iter().all(|x| x.reason.starts_with("corrupt gzip stream")), "{r:?}");
    assert_eq!(r.last().unwrap().doc_id.as_deref(), Some("y.txt.gz"));
}

#[test]
fn directory_sorted_recursive_with_mixed_formats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    put(&root, "b.txt", b"The Valley Post reported two blasts.");
    put(&root, "a-2.md", b"Qasimi, the spokesman, spoke to reporters.");
    put(&root, "a/z.txt.gz", &gz(b"The Eastern Front (EF) issued a statement."));
    put(&root, "a/feed.jsonl", format!("{A1}\n").as_bytes());
    put(&root, "a/rows.csv", b"id,text\nr1,Ministry officials disputed the claim.\n");
    put(&root, "notes.pdf", b"%PDF-1.4 ignored: not a format we read");
    put(&root, "c/empty.txt", b"   \n");
    let (recs, stats) = run(std::slice::from_ref(&root), &opts());
    // Sorted by relative path: "a-2.md" < "a/feed.jsonl" ('-' < '/'), then a/rows.csv, a/z.txt.gz, b.txt, c/empty.txt.
    let order: Vec<String> = recs
        .iter()
        .map(|r| match r {
            Record::Doc(d) => d.id.clone(),
            Record::Rejected(x) => format!("rejected {}", x.doc_id.clone().unwrap_or_default()),
        })
        .collect();
    assert_eq!(order, ["a-2.md", "wire-1", "r1", "a/z.txt.gz", "b.txt", "rejected c/empty.txt"]);
    let d = docs(&recs);
    assert_eq!(d[3].origin.file, root.join("a/z.txt.gz").display().to_string());
    assert_eq!(d[1].origin.file, root.join("a/feed.jsonl").display().to_string());
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].format.as_str(), stats[0].records), ("dir", 6));
    // The manifest hash depends on content: same again is equal, a changed file differs.
    let (_, again) = run(std::slice::from_ref(&root), &opts());
    assert_eq!(again[0].sha256, stats[0].sha256);
    put(&root, "b.txt", b"The Valley Post reported three blasts.");
    let (_, changed) = run(&[root], &opts());
    assert_ne!(changed[0].sha256, stats[0].sha256);
    assert_eq!(stats[0].sha256.len(), 64);
}

#[test]
fn binary_file_in_text_directory() {
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR");
    put(dir.path(), "ok.txt", b"Police said the road reopened.");
    let (recs, _) = run(&[dir.path().to_path_buf()], &opts());
    let r = the_rejection(&recs);
    assert_eq!(r.reason, "binary file: NUL byte at offset 8");
    assert_eq!(r.doc_id.as_deref(), Some("img.txt"));
}

#[test]
fn unreadable_file_among_readable_ones() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = put(dir.path(), "a-locked.txt", b"Sealed report.");
    put(dir.path(), "b-open.txt", b"Open report from the Harbor Times.");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_ok() {
        eprintln!("running with privileges that ignore permissions; skipping");
        return;
    }
    let (recs, _) = run(&[dir.path().to_path_buf()], &opts());
    let r = the_rejection(&recs);
    assert!(r.reason.starts_with("cannot read file: Permission denied"), "{}", r.reason);
    assert_eq!(docs(&recs)[0].id, "b-open.txt");
}

#[test]
fn dangling_symlink_in_directory_is_one_rejection() {
    // Runs even as root, where permission bits do not stop reads.
    let dir = tempfile::tempdir().unwrap();
    put(dir.path(), "a.txt", b"The Harbor Times confirmed the figures.");
    std::os::unix::fs::symlink(dir.path().join("gone.txt"), dir.path().join("b-link.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (recs, _) = run(&[dir.path().to_path_buf()], &opts());
    let r = the_rejection(&recs);
    assert!(r.reason.starts_with("cannot read file: No such file"), "{}", r.reason);
    assert_eq!(r.origin.file, dir.path().join("b-link.txt").display().to_string());
    assert_eq!(recs.len(), 2, "the symlinked directory is not followed");
}

#[test]
fn run_level_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    assert!(matches!(read_inputs(&[missing], &opts()), Err(IoError::NotFound { .. })));
    let odd = put(dir.path(), "dump.xml", b"<a/>");
    let err = read_inputs(&[odd], &opts()).err().unwrap();
    assert!(matches!(err, IoError::UnknownInputFormat { .. }));
    assert!(err.to_string().contains("dump.xml"));
}

#[test]
fn stats_available_during_iteration() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "s.jsonl", format!("{A1}\n{A2}\n").as_bytes());
    let mut r = read_inputs(&[p], &opts()).unwrap();
    r.next();
    assert_eq!(r.stats()[0].records, 1);
    assert_eq!(r.stats()[0].sha256, "", "not final yet");
    r.by_ref().for_each(drop);
    assert_eq!(r.stats()[0].records, 2);
    assert_eq!(r.stats()[0].sha256.len(), 64);
}

#[test]
fn extension_detection() {
    assert_eq!(FileKind::of("a.JSONL.GZ"), Some((FileKind::Jsonl, Compression::Gzip)));
    assert_eq!(FileKind::of("x.tsv.zst"), Some((FileKind::Delimited(b'\t'), Compression::Zstd)));
    assert_eq!(FileKind::of("notes.md"), Some((FileKind::Text, Compression::None)));
    assert_eq!(FileKind::of("archive.tar.gz"), None);
    assert_eq!(FileKind::of("README"), None);
}

#[test]
fn reader_can_cross_threads() {
    // The pipeline hands the reader to rayon (`par_bridge`), which needs `Send`.
    fn send<T: Send>(_: &T) {}
    let r = read_inputs_with_stdin(&[PathBuf::from("-")], &opts(), Box::new(io::empty())).unwrap();
    send(&r);
    assert_eq!(r.count(), 0);
}

#[test]
fn top_level_file_is_read_through_the_handle_opened_at_planning() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "gone.jsonl", format!("{A1}\n").as_bytes());
    let r = read_inputs(std::slice::from_ref(&p), &opts()).unwrap();
    fs::remove_file(&p).unwrap();
    assert_eq!(docs(&r.collect::<Vec<_>>()).len(), 1);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    /// One JSONL line of a given kind; `i` keeps ids apart.
    fn line(kind: u8, i: usize) -> Vec<u8> {
        match kind {
            0 => format!("{{\"id\":\"p{i}\",\"text\":\"Spokesman no. {i} said the talks stalled.\"}}").into_bytes(),
            1 => b"   ".to_vec(),
            2 => b"{\"id\":".to_vec(),
            3 => b"42".to_vec(),
            4 => b"{\"text\":\"Off\xc3 the record\"}".to_vec(),
            5 => format!("{{\"id\":\"m{i}\"}}").into_bytes(),
            _ => b"{\"id\":\"same\",\"text\":\"Repeated wire copy.\"}".to_vec(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn every_nonblank_line_is_one_record(kinds in proptest::collection::vec(0u8..7, 0..40), gzip in any::<bool>()) {
            let mut bytes = Vec::new();
            for (i, k) in kinds.iter().enumerate() {
                bytes.extend(line(*k, i));
                bytes.push(b'\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let p = if gzip { put(dir.path(), "p.jsonl.gz", &gz(&bytes)) } else { put(dir.path(), "p.jsonl", &bytes) };
            let (recs, stats) = run(&[p], &opts());
            let nonblank = kinds.iter().filter(|k| **k != 1).count();
            prop_assert_eq!(recs.len(), nonblank);
            prop_assert_eq!(stats[0].records as usize, nonblank);
            let expected_docs = kinds.iter().filter(|k| **k == 0).count() + usize::from(kinds.contains(&6));
            prop_assert_eq!(docs(&recs).len(), expected_docs);
            // Origins are strictly increasing lines, matching the line each record sits on.
            let lines: Vec<u64> = recs.iter().map(|r| match r {
                Record::Doc(d) => d.origin.line.unwrap(),
                Record::Rejected(x) => x.origin.line.unwrap(),
            }).collect();
            let want: Vec<u64> = kinds.iter().enumerate().filter(|(_, k)| **k != 1).map(|(i, _)| i as u64 + 1).collect();
            prop_assert_eq!(lines, want);
        }
    }
}
