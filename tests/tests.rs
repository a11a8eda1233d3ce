//! Integration tests: the real binary, the real shipped model, fixture articles written for
//! the tests. One binary, modules by concern.

mod util {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    pub fn bin() -> PathBuf {
        PathBuf::from(env!("CARGO_BIN_EXE_claimgraph"))
    }

    pub fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    pub fn python() -> PathBuf {
        repo().join(".venv/bin/python")
    }

    /// Runs `claimgraph` with `args`. Tests pass `--threads 1`: cargo runs tests side by side,
    /// and two 2-thread libtorch processes on 2 cores stall each other at every OpenMP barrier.
    pub fn claimgraph(args: &[&str]) -> Output {
        Command::new(bin()).args(args).output().expect("claimgraph starts")
    }

    pub fn run_ok(args: &[&str]) -> Output {
        let out = claimgraph(args);
        assert!(
            out.status.success(),
            "claimgraph {:?} failed with {:?}\nstderr:\n{}",
            args,
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect()
    }

    /// `text[start:end]` in code points, as Python would slice it.
    pub fn cp_slice(text: &str, start: usize, end: usize) -> String {
        text.chars().skip(start).take(end - start).collect()
    }

    pub fn sample() -> PathBuf {
        repo().join("data/sample/articles.jsonl")
    }

    /// Every non-null string under a field whose name ends in `entity_id`, at any depth, with
    /// its path.
    pub fn entity_ids(v: &serde_json::Value, path: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        match v {
            serde_json::Value::Object(map) => {
                for (k, x) in map {
                    let p = format!("{path}/{k}");
                    match x {
                        serde_json::Value::String(s) if k.ends_with("entity_id") => out.push((p, s.clone())),
                        _ => out.extend(entity_ids(x, &p)),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for x in items {
                    out.extend(entity_ids(x, path));
                }
            }
            _ => {}
        }
        out
    }
}

mod binary {
    use super::util::*;
    use std::process::Command;

    /// The binary must start from a fresh shell: no LD_LIBRARY_PATH, nothing exported.
    #[test]
    fn starts_without_library_path() {
        let out = Command::new(bin())
            .arg("--version")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .expect("claimgraph starts");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("claimgraph "));
    }

    #[test]
    fn missing_input_is_a_run_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = claimgraph(&["run", "/nonexistent/articles.jsonl", "-o", dir.path().to_str().unwrap(), "-q"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("/nonexistent/articles.jsonl"), "{err}");
    }

    #[test]
    fn unwritable_output_is_a_run_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let out_dir = file.join("out");
        let out = claimgraph(&["run", sample().to_str().unwrap(), "-o", out_dir.to_str().unwrap(), "-q"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("a-file"));
    }

    #[test]
    fn bad_field_mapping_is_a_run_error() {
        let dir = tempfile::tempdir().unwrap();
        let out =
            claimgraph(&["run", sample().to_str().unwrap(), "-o", dir.path().to_str().unwrap(), "--field", "body"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=COLUMN"));
    }
}

mod sample_run {
    use super::util::*;
    use std::collections::{BTreeMap, HashSet};

    fn run_sample(threads: &str, format: &str) -> tempfile::TempDir {
        run_sample_with(threads, format, &[])
    }

    fn run_sample_with(threads: &str, format: &str, extra: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let input = sample();
        let mut args = vec![
            "run",
            input.to_str().unwrap(),
            "-o",
            dir.path().to_str().unwrap(),
            "--threads",
            threads,
            "--format",
            format,
            "--with-tokens",
            "-q",
        ];
        args.extend_from_slice(extra);
        run_ok(&args);
        dir
    }

    #[test]
    fn every_table_is_written_and_offsets_slice_back() {
        let dir = run_sample("1", "jsonl");
        let p = dir.path();
        for t in [
            "documents",
            "errors",
            "mentions",
            "entities",
            "statements",
            "relations",
            "facts",
            "conflicts",
            "sentences",
        ] {
            assert!(p.join(format!("{t}.jsonl")).exists(), "{t} missing");
        }
        let texts: BTreeMap<String, String> = read_jsonl(&sample())
            .into_iter()
            .map(|r| (r["id"].as_str().unwrap().to_string(), r["text"].as_str().unwrap().to_string()))
            .collect();
        let docs = read_jsonl(&p.join("documents.jsonl"));
        assert_eq!(docs.len(), texts.len());
        assert!(docs.iter().all(|d| d["status"] == "ok"));

        let mentions = read_jsonl(&p.join("mentions.jsonl"));
        assert!(mentions.len() > 50, "only {} mentions", mentions.len());
        for m in &mentions {
            let text = &texts[m["doc_id"].as_str().unwrap()];
            let (s, e) = (m["start"].as_u64().unwrap() as usize, m["end"].as_u64().unwrap() as usize);
            assert_eq!(cp_slice(text, s, e), m["text"].as_str().unwrap());
        }
        let labels: HashSet<&str> = mentions.iter().map(|m| m["label"].as_str().unwrap()).collect();
        for l in ["PER", "ORG", "LOC", "DATE", "CARDINAL"] {
            assert!(labels.contains(l), "no {l} mention in the sample: {labels:?}");
        }
        // Every `*entity_id` value in every table is an `entities` row: no internal key leaks.
        let entities = read_jsonl(&p.join("entities.jsonl"));
        let ids: HashSet<String> = entities.iter().map(|e| e["entity_id"].as_str().unwrap().to_string()).collect();
        let mut checked = 0;
        for t in ["mentions", "statements", "relations", "facts", "conflicts"] {
            for row in read_jsonl(&p.join(format!("{t}.jsonl"))) {
                for (field, id) in entity_ids(&row, "") {
                    assert!(ids.contains(&id), "{t}.{field} = {id:?} is not an entities row");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} entity ids checked");
        for s in read_jsonl(&p.join("statements.jsonl")) {
            let text = &texts[s["doc_id"].as_str().unwrap()];
            let c = &s["content"];
            let (a, b) = (c["start"].as_u64().unwrap() as usize, c["end"].as_u64().unwrap() as usize);
            assert_eq!(cp_slice(text, a, b), c["text"].as_str().unwrap());
        }
        for r in read_jsonl(&p.join("relations.jsonl")) {
            let text = &texts[r["doc_id"].as_str().unwrap()];
            for arg in ["subject", "object"] {
                let a = &r[arg];
                let (s, e) = (a["start"].as_u64().unwrap() as usize, a["end"].as_u64().unwrap() as usize);
                assert_eq!(cp_slice(text, s, e), a["text"].as_str().unwrap());
            }
        }
        for s in read_jsonl(&p.join("sentences.jsonl")) {
            let text = &texts[s["doc_id"].as_str().unwrap()];
            for t in s["tokens"].as_array().unwrap() {
                let (a, b) = (t[0].as_u64().unwrap() as usize, t[1].as_u64().unwrap() as usize);
                let w = cp_slice(text, a, b);
                assert!(!w.is_empty() && !w.contains(char::is_whitespace), "bad token {w:?}");
            }
        }
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["counts"]["records"], texts.len());
        assert_eq!(manifest["schema_version"], claimgraph::dataset::SCHEMA_VERSION);
        assert!(manifest["model"]["engine"].as_str().is_some_and(|e| e.starts_with("tch:") || e == "onnx:int8"));
    }

    /// Same input, same bytes, whatever the thread count, chunk size or batch size (on both
    /// engines: int8 runs one window per call, f32 libtorch batches them).
    /// Every sentence of the sample is one well-formed dependency tree: each word one head
    /// inside the sentence, exactly one root, no cycle, a relation on every word.
    #[test]
    fn sentences_are_well_formed_trees() {
        let dir = run_sample("1", "jsonl");
        let rows = read_jsonl(&dir.path().join("sentences.jsonl"));
        assert!(rows.len() > 20);
        for r in rows {
            let toks = r["tokens"].as_array().unwrap();
            let heads: Vec<usize> = toks.iter().map(|t| t[5].as_u64().unwrap() as usize).collect();
            assert_eq!(heads.iter().filter(|&&h| h == 0).count(), 1, "{r}");
            for (k, t) in toks.iter().enumerate() {
                assert!(heads[k] <= toks.len() && heads[k] != k + 1, "{r}");
                assert!(!t[6].as_str().unwrap().is_empty(), "{r}");
                assert_eq!(heads[k] == 0, t[6] == "root", "{r}");
                let (mut x, mut steps) = (k + 1, 0);
                while x != 0 {
                    x = heads[x - 1];
                    steps += 1;
                    assert!(steps <= toks.len(), "cycle in {r}");
                }
            }
        }
    }

    #[test]
    fn output_does_not_depend_on_threads_chunks_or_batches() {
        let one = run_sample("1", "jsonl");
        let two = run_sample("2", "jsonl");
        let small = run_sample_with("1", "jsonl", &["--chunk-size", "5", "--batch-size", "3"]);
        let f32_big = run_sample_with("1", "jsonl", &["--precision", "f32", "--batch-size", "16"]);
        let f32_small =
            run_sample_with("1", "jsonl", &["--precision", "f32", "--chunk-size", "2", "--batch-size", "1"]);
        for t in ["documents", "mentions", "entities", "statements", "relations", "facts", "conflicts", "sentences"] {
            let read = |d: &tempfile::TempDir| std::fs::read(d.path().join(format!("{t}.jsonl"))).unwrap();
            assert!(read(&one) == read(&two), "{t}.jsonl differs between 1 and 2 threads");
            assert!(read(&one) == read(&small), "{t}.jsonl differs between chunks of 256 and of 5");
            assert!(read(&f32_big) == read(&f32_small), "{t}.jsonl (f32) differs between batches of 16 and of 1");
        }
    }

    #[test]
    fn csv_and_parquet_hold_the_same_rows() {
        let j = run_sample("1", "jsonl");
        let c = run_sample("1", "csv");
        let q = run_sample("1", "parquet");
        let script = r#"
import sys, json, csv, pyarrow.parquet as pq
j, c, q = sys.argv[1:4]
out = {}
for t in ["documents", "errors", "mentions", "entities", "statements", "relations", "facts", "conflicts"]:
    nj = sum(1 for _ in open(f"{j}/{t}.jsonl"))
    nc = sum(1 for _ in csv.DictReader(open(f"{c}/{t}.csv", newline="")))
    tab = pq.read_table(f"{q}/{t}.parquet")
    out[t] = [nj, nc, tab.num_rows]
m = pq.read_table(f"{q}/mentions.parquet").to_pylist()
jm = [json.loads(l) for l in open(f"{j}/mentions.jsonl")]
assert [(r["doc_id"], r["start"], r["end"], r["label"], r["entity_id"]) for r in m] == \
       [(r["doc_id"], r["start"], r["end"], r["label"], r["entity_id"]) for r in jm]
f = pq.read_table(f"{q}/facts.parquet")
assert str(f.schema.field("doc_ids").type).startswith("list"), f.schema
print(json.dumps(out))
"#;
        let out = std::process::Command::new(python())
            .args(["-c", script])
            .args([j.path(), c.path(), q.path()])
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let counts: BTreeMap<String, Vec<u64>> = serde_json::from_slice(&out.stdout).unwrap();
        for (t, n) in counts {
            assert!(n[0] == n[1] && n[1] == n[2], "{t}: jsonl/csv/parquet rows {n:?}");
        }
    }
}

mod bad_input {
    use super::util::*;
    use std::io::Write;
    use std::path::Path;

    /// Runs over `inputs`, expects exit code 2 when `rejected > 0`, and returns
    /// (documents rows, errors rows).
    fn run_expect(inputs: &[&Path], ok: usize, rejected: usize) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
        let out_dir = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = vec!["run".into()];
        args.extend(inputs.iter().map(|p| p.to_str().unwrap().to_string()));
        args.extend([
            "-o".into(),
            out_dir.path().to_str().unwrap().into(),
            "-q".into(),
            "--threads".into(),
            "1".into(),
        ]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = claimgraph(&argv);
        let want = if rejected > 0 { 2 } else { 0 };
        assert_eq!(out.status.code(), Some(want), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        let docs = read_jsonl(&out_dir.path().join("documents.jsonl"));
        let errors = read_jsonl(&out_dir.path().join("errors.jsonl"));
        let n_ok = docs.iter().filter(|d| d["status"] == "ok").count();
        assert_eq!((n_ok, errors.len()), (ok, rejected), "errors: {errors:?}");
        assert_eq!(docs.len(), ok + rejected, "records in = ok + rejected");
        (docs, errors)
    }

    fn reason(errors: &[serde_json::Value], i: usize) -> String {
        errors[i]["reason"].as_str().unwrap().to_lowercase()
    }

    const GOOD: &str =
        r#"{"id": "ok1", "text": "KABUL, Afghanistan — Gunmen attacked a checkpoint on Tuesday, officials said."}"#;

    fn jsonl(dir: &Path, name: &str, lines: &[&[u8]]) -> std::path::PathBuf {
        let p = dir.join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        for l in lines {
            f.write_all(l).unwrap();
            f.write_all(b"\n").unwrap();
        }
        p
    }

    #[test]
    fn malformed_json_is_rejected_and_the_run_goes_on() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(
            d.path(),
            "a.jsonl",
            &[GOOD.as_bytes(), b"{\"id\": \"x\", \"text\": ", br#"{"id": "ok2", "text": "Second."}"#],
        );
        let (_, e) = run_expect(&[&p], 2, 1);
        assert!(reason(&e, 0).contains("json"), "{e:?}");
        assert_eq!(e[0]["source_line"], 2);
    }

    #[test]
    fn invalid_utf8_line_is_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(d.path(), "a.jsonl", &[GOOD.as_bytes(), b"{\"id\": \"bad\", \"text\": \"caf\xe9\"}"]);
        let (_, e) = run_expect(&[&p], 1, 1);
        assert!(reason(&e, 0).contains("utf-8"), "{e:?}");
    }

    #[test]
    fn missing_empty_whitespace_and_non_string_text_are_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(
            d.path(),
            "a.jsonl",
            &[
                GOOD.as_bytes(),
                br#"{"id": "m"}"#,
                br#"{"id": "e", "text": ""}"#,
                br#"{"id": "w", "text": "  \n\t "}"#,
                br#"{"id": "n", "text": 42}"#,
            ],
        );
        let (_, e) = run_expect(&[&p], 1, 4);
        assert!(reason(&e, 0).contains("text"));
        assert!(reason(&e, 1).contains("empty"));
        assert!(reason(&e, 2).contains("whitespace") || reason(&e, 2).contains("empty"));
        assert!(reason(&e, 3).contains("string"));
    }

    #[test]
    fn non_object_values_are_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(d.path(), "a.jsonl", &[b"[1, 2]", b"\"just a string\"", GOOD.as_bytes()]);
        let (_, e) = run_expect(&[&p], 1, 2);
        assert!(reason(&e, 0).contains("object"));
    }

    #[test]
    fn duplicate_ids_are_rejected_naming_the_first() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(d.path(), "a.jsonl", &[GOOD.as_bytes(), GOOD.as_bytes()]);
        let (_, e) = run_expect(&[&p], 1, 1);
        let r = reason(&e, 0);
        assert!(r.contains("duplicate") && r.contains(":1"), "{r}");
    }

    #[test]
    fn nul_bytes_are_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = jsonl(d.path(), "a.jsonl", &[br#"{"id": "z", "text": "Kabul\u0000 attack"}"#, GOOD.as_bytes()]);
        let (_, e) = run_expect(&[&p], 1, 1);
        assert!(reason(&e, 0).contains("nul"));
    }

    /// A 2 MB article over `--max-text-bytes` is rejected with a reason (the unit tests of the
    /// reader and the segmenter process 2 MB articles; through the CPU model here it would take
    /// minutes), and a 100,000-character token is processed.
    #[test]
    fn oversized_article_is_rejected_and_huge_token_is_processed() {
        let d = tempfile::tempdir().unwrap();
        let para = "Officials in Herat said on Monday that 14 people were killed when gunmen attacked a convoy. ";
        let big = para.repeat(2_000_000 / para.len() + 1);
        let token = "x".repeat(100_000);
        let rows = [
            serde_json::json!({"id": "big", "text": big}).to_string(),
            serde_json::json!({"id": "tok", "text": format!("The code {token} was posted online.")}).to_string(),
        ];
        let p = jsonl(d.path(), "a.jsonl", &[rows[0].as_bytes(), rows[1].as_bytes()]);
        let out_dir = tempfile::tempdir().unwrap();
        let out = claimgraph(&[
            "run",
            p.to_str().unwrap(),
            "-o",
            out_dir.path().to_str().unwrap(),
            "-q",
            "--max-text-bytes",
            "1000000",
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
        let errors = read_jsonl(&out_dir.path().join("errors.jsonl"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["doc_id"], "big");
        let docs = read_jsonl(&out_dir.path().join("documents.jsonl"));
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["status"], "ok");
    }

    #[test]
    fn text_directory_with_binary_and_unreadable_files() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("articles");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), "Gen. Karimi said the U.S. embassy was closed.").unwrap();
        std::fs::write(root.join("sub/b.md"), "# Headline\n\nThe Northern Alliance Front (NAF) denied it.").unwrap();
        std::fs::write(root.join("c.txt"), b"\x00\x01\x02PK\x03\x04binary\xff\xfe").unwrap();
        // A dangling link: listed like a file, but it cannot be read (tests run as root, so
        // permission bits would not stop the read).
        std::os::unix::fs::symlink("/nonexistent/target.txt", root.join("d.txt")).unwrap();
        let (docs, e) = run_expect(&[&root], 2, 2);
        let ids: Vec<&str> = docs.iter().filter_map(|d| d["doc_id"].as_str()).collect();
        assert!(ids.contains(&"a.txt") && ids.contains(&"sub/b.md"), "{ids:?}");
        let reasons: Vec<String> = (0..2).map(|i| reason(&e, i)).collect();
        assert!(reasons.iter().any(|r| r.contains("binary") || r.contains("utf-8")), "{reasons:?}");
    }

    #[test]
    fn csv_row_with_wrong_field_count_is_rejected() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.csv");
        std::fs::write(
            &p,
            "id,text,source\nc1,\"The minister said, \"\"we will rebuild\"\".\",Daily Ledger\nc2,too,many,fields\n",
        )
        .unwrap();
        let (_, e) = run_expect(&[&p], 1, 1);
        assert_eq!(e[0]["source_line"], 2);
    }

    #[test]
    fn compressed_inputs_are_read() {
        let d = tempfile::tempdir().unwrap();
        let gz = d.path().join("a.jsonl.gz");
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
        enc.write_all(GOOD.as_bytes()).unwrap();
        enc.finish().unwrap();
        let zst = d.path().join("b.jsonl.zst");
        let body = r#"{"id": "z1", "text": "MOSCOW (Reuters) - The company said it would buy its rival."}"#;
        std::fs::write(&zst, zstd::encode_all(body.as_bytes(), 3).unwrap()).unwrap();
        run_expect(&[&gz, &zst], 2, 0);
    }

    #[test]
    fn stdin_is_read_as_jsonl() {
        let out_dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(bin())
            .args(["run", "-", "-o", out_dir.path().to_str().unwrap(), "-q", "--threads", "1"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{GOOD}\n").as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
        let docs = read_jsonl(&out_dir.path().join("documents.jsonl"));
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0]["source_file"], "-");
    }
}

mod tagger {
    use super::util::*;
    use claimgraph::model::{Precision, Tagger, TaggerConfig};

    fn load(batch_size: usize, precision: Precision) -> Tagger {
        tch::set_num_threads(1);
        let cfg = TaggerConfig { batch_size, device: tch::Device::Cpu, workers: 2, precision, ..Default::default() };
        Tagger::load(&repo().join("models/claimgraph-tagger"), &cfg).expect("the shipped model loads")
    }

    /// Pins the bug NOTES.md measured in rust-bert's `predict`: with more inputs than the
    /// batch size, later inputs got the tokens of earlier ones. Ten articles of different
    /// lengths, several longer than one window, tagged together at batch size 3, must get
    /// exactly the labels each gets alone.
    #[test]
    fn many_long_inputs_keep_their_own_labels() {
        keeps_alignment(Precision::F32);
    }

    /// The same on the ONNX Runtime engine (int8), which `scripts/setup` exports.
    #[test]
    fn many_long_inputs_keep_their_own_labels_int8() {
        keeps_alignment(Precision::Int8);
    }

    fn keeps_alignment(precision: Precision) {
        let sentence = |i: usize| {
            format!(
                "Gen. Abdul Rahim Qasimi told reporters in Kabul on day {i} that the Northern Alliance Front had attacked {} checkpoints .",
                i % 7 + 2
            )
        };
        let docs: Vec<Vec<String>> = (0..10)
            .map(|d| {
                (0..(d * 9 + 1))
                    .flat_map(|i| sentence(i + d).split(' ').map(str::to_string).collect::<Vec<_>>())
                    .collect()
            })
            .collect();
        let views: Vec<Vec<&str>> = docs.iter().map(|d| d.iter().map(String::as_str).collect()).collect();
        let mut tagger = load(3, precision);
        let together = tagger.tag_words(&views).unwrap();
        assert_eq!(together.len(), docs.len());
        for (i, v) in views.iter().enumerate() {
            assert_eq!(together[i].len(), v.len(), "document {i}: one label per word");
            let alone = tagger.tag_words(std::slice::from_ref(v)).unwrap();
            let a: Vec<usize> = together[i].iter().map(|l| l.ner).collect();
            let b: Vec<usize> = alone[0].iter().map(|l| l.ner).collect();
            assert_eq!(a, b, "document {i}: labels depend on what it was batched with");
        }
        // And the labels make sense: the model is real.
        let labels = &tagger.labels;
        let first = &together[3];
        let word = |w: &str| views[3].iter().position(|x| *x == w).unwrap();
        assert!(labels.ner[first[word("Qasimi")].ner].ends_with("PER"));
        assert!(labels.ner[first[word("Kabul")].ner].ends_with("LOC"));
        assert_eq!(labels.pos[first[word("told")].pos], "VBD");
        // Far past the first window of the longest article (regression: the tokenizer.json
        // of the base model truncated at 128 pieces, so later words became [UNK]).
        let last = views.len() - 1;
        let n = views[last].len();
        let kabul = (0..n).rev().find(|&i| views[last][i] == "Kabul").unwrap();
        assert!(kabul > 500, "the test needs a long article");
        assert!(labels.ner[together[last][kabul].ner].ends_with("LOC"), "late 'Kabul' not LOC");
        let told = (0..n).rev().find(|&i| views[last][i] == "told").unwrap();
        assert_eq!(labels.pos[together[last][told].pos], "VBD");
    }

    /// A document longer than one encoder group (64 windows) runs in waves, each wave's
    /// finished sentences parsed before the next: every sentence still gets one well-formed
    /// tree, those that straddle a wave boundary included, and a later sentence reads as the
    /// same sentence does in a short document.
    #[test]
    fn document_longer_than_a_group_is_parsed_throughout() {
        let sentence = "Officials said on Monday that the Northern Alliance Front had attacked two checkpoints near Kabul , killing three guards .";
        let words: Vec<&str> = sentence.split(' ').collect();
        let n = 800; // about 16,000 words, well over 64 windows
        let long: Vec<&str> = (0..n).flat_map(|_| words.iter().copied()).collect();
        let sents: Vec<std::ops::Range<usize>> = (0..n).map(|i| i * words.len()..(i + 1) * words.len()).collect();
        let mut tagger = load(8, Precision::Int8);
        let got = tagger.tag_sentences(std::slice::from_ref(&long), Some(std::slice::from_ref(&sents))).unwrap();
        let short = tagger
            .tag_sentences(std::slice::from_ref(&words), Some(&[std::iter::once(0..words.len()).collect()]))
            .unwrap();
        assert!(tagger.stats.windows > 64, "the test needs more than one group: {} windows", tagger.stats.windows);
        assert_eq!(got[0].len(), long.len());
        for (i, s) in sents.iter().enumerate() {
            let arcs: Vec<_> = got[0][s.clone()]
                .iter()
                .map(|l| l.arc.unwrap_or_else(|| panic!("sentence {i}: a word without a head")))
                .collect();
            assert_eq!(arcs.iter().filter(|a| a.head == 0).count(), 1, "sentence {i}: one root");
            assert!(arcs.iter().all(|a| a.head <= words.len()), "sentence {i}: heads inside the sentence");
        }
        let said = words.iter().position(|w| *w == "said").unwrap();
        let middle = &got[0][sents[n / 2].clone()];
        assert_eq!(middle[said].arc.map(|a| a.head), short[0][said].arc.map(|a| a.head), "the root verb's head");
        assert_eq!(
            middle.iter().map(|l| l.ner).collect::<Vec<_>>(),
            short[0].iter().map(|l| l.ner).collect::<Vec<_>>()
        );
    }

    /// An int8 export made from other weights (or missing its parser) is never used:
    /// `--precision int8` fails naming the fix, and `auto` falls back to libtorch, says so, and records it in the manifest.
    #[test]
    fn stale_onnx_export_is_refused() {
        let shipped = repo().join("models/claimgraph-tagger");
        let dir = tempfile::tempdir().unwrap();
        for e in std::fs::read_dir(&shipped).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
        std::fs::write(dir.path().join("model.int8.onnx.sha256"), "0".repeat(64)).unwrap();
        let model = dir.path().to_str().unwrap();
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir.path().to_str().unwrap();
        let sample = sample();
        let input = sample.to_str().unwrap();
        let failed =
            claimgraph(&["run", input, "-o", out, "-q", "--threads", "1", "--model", model, "--precision", "int8"]);
        assert!(!failed.status.success());
        let err = String::from_utf8_lossy(&failed.stderr);
        assert!(err.contains("export_onnx.py") && err.contains("not exported from"), "{err}");
        // The right weights but an older export recipe (the stamp's last word): stale too.
        let stamp = std::fs::read_to_string(shipped.join("model.int8.onnx.sha256")).unwrap();
        let (hashes, _recipe) = stamp.trim().rsplit_once(' ').unwrap();
        std::fs::write(dir.path().join("model.int8.onnx.sha256"), format!("{hashes} recipe=1\n")).unwrap();
        let failed =
            claimgraph(&["run", input, "-o", out, "-q", "--threads", "1", "--model", model, "--precision", "int8"]);
        assert!(!failed.status.success(), "an export stamped with an old recipe was used");
        // The current stamp, but the parser's int8 export is missing.
        std::fs::write(dir.path().join("model.int8.onnx.sha256"), &stamp).unwrap();
        std::fs::remove_file(dir.path().join("parser.int8.onnx")).unwrap();
        let failed =
            claimgraph(&["run", input, "-o", out, "-q", "--threads", "1", "--model", model, "--precision", "int8"]);
        let err = String::from_utf8_lossy(&failed.stderr);
        assert!(!failed.status.success() && err.contains("parser.int8.onnx is missing"), "{err}");
        std::fs::write(dir.path().join("model.int8.onnx.sha256"), "0".repeat(64)).unwrap();
        let ok = run_ok(&["run", input, "-o", out, "-q", "--threads", "1", "--model", model]);
        assert!(String::from_utf8_lossy(&ok.stderr).contains("int8 engine is unavailable"));
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.path().join("manifest.json")).unwrap()).unwrap();
        assert!(manifest["model"]["engine"].as_str().unwrap().starts_with("tch:"), "{}", manifest["model"]);
    }

    fn conll_test_split() -> Option<std::path::PathBuf> {
        let p = repo().join("data/external/conll2003/test.txt");
        if p.exists() {
            Some(p)
        } else {
            // scripts/setup fetches it; CI always has it. Say so loudly rather than pass quietly.
            eprintln!("SKIPPED: {} is missing; run scripts/setup", p.display());
            None
        }
    }

    /// The shipped model's scores on CoNLL-2003 test through the Rust path, at the default
    /// precision (int8 on ONNX Runtime, since setup exports it) and at bf16 on libtorch, against
    /// the card's float32 figures (models/claimgraph-tagger/MODEL.md).
    #[test]
    fn conll_test_scores_hold() {
        let Some(test) = conll_test_split() else { return };
        for (precision, engine) in [("auto", "onnx:int8"), ("bf16", "tch:Bf16")] {
            let out = run_ok(&[
                "eval",
                "conll",
                test.to_str().unwrap(),
                "--json",
                "--threads",
                "1",
                "--precision",
                precision,
            ]);
            let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(r["engine"], engine, "--precision {precision}");
            scores_hold(&r);
        }
    }

    fn scores_hold(r: &serde_json::Value) {
        let metrics: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("models/claimgraph-tagger/metrics.json")).unwrap(),
        )
        .unwrap();
        let f1 = r["ner"]["f1"].as_f64().unwrap();
        let shipped = metrics["test"]["ner"]["f1"].as_f64().unwrap();
        // A reduced precision must stay within 0.3 F1 points of the float32 figure on the card:
        // the condition for shipping it as the default.
        assert!((f1 - shipped).abs() <= 0.003, "{}: Rust NER F1 {f1} vs the card's {shipped}", r["engine"]);
        // The issue's goals for POS and chunks (met by the shipped model; NER: see MODEL.md).
        assert!(r["pos"]["accuracy"].as_f64().unwrap() >= 0.93);
        assert!(r["chunk"]["f1"].as_f64().unwrap() >= 0.90);
        for t in ["PER", "ORG", "LOC", "MISC"] {
            assert!(r["ner"]["per_type"][t]["f1"].as_f64().unwrap() > 0.7, "{t}");
        }
    }

    /// The model's decoding (Viterbi + article-wide consistency) beats plain argmax through the
    /// Rust path: the reason it ships.
    #[test]
    fn shipped_decoding_beats_argmax() {
        let Some(test) = conll_test_split() else { return };
        let f1 = |extra: &[&str]| {
            let mut args = vec!["eval", "conll", test.to_str().unwrap(), "--json", "--threads", "1"];
            args.extend_from_slice(extra);
            let r: serde_json::Value = serde_json::from_slice(&run_ok(&args).stdout).unwrap();
            r["ner"]["f1"].as_f64().unwrap()
        };
        let (shipped, argmax) = (f1(&[]), f1(&["--decode", "argmax", "--consistency", "0"]));
        assert!(shipped > argmax + 0.002, "shipped decoding {shipped} vs argmax {argmax}");
    }

    /// Rust and Python evaluate the same weights within 0.2 F1 points.
    #[test]
    fn rust_and_python_evaluations_agree() {
        let Some(test) = conll_test_split() else { return };
        let rust = run_ok(&["eval", "conll", test.to_str().unwrap(), "--json", "--threads", "1", "--precision", "f32"]);
        let rust: serde_json::Value = serde_json::from_slice(&rust.stdout).unwrap();
        let py = std::process::Command::new(python())
            .arg(repo().join("scripts/eval_tagger.py"))
            .arg(repo().join("models/claimgraph-tagger"))
            .arg(&test)
            .arg("--json")
            .output()
            .unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
        let py: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
        for (a, b) in [
            (&rust["ner"]["f1"], &py["ner"]["f1"]),
            (&rust["pos"]["accuracy"], &py["pos"]["accuracy"]),
            (&rust["chunk"]["f1"], &py["chunk"]["f1"]),
        ] {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 0.002, "Rust {a} vs Python {b}");
        }
    }
}

/// The parser head on UD English EWT (read from ../shared; never copied here): a dev subset
/// through `eval conllu`, and the Python evaluation of the same weights agreeing with Rust.
mod parser {
    use super::util::*;

    /// The first `n` sentences of EWT dev, or `None` (said loudly) when ../shared lacks them.
    fn ewt_dev_subset(n: usize, dir: &std::path::Path) -> Option<std::path::PathBuf> {
        let dev = repo().join("../shared/external/ud-ewt/en_ewt-ud-dev.conllu");
        let Ok(text) = std::fs::read_to_string(&dev) else {
            eprintln!("SKIPPED: {} is missing (UD English EWT, ../shared/external)", dev.display());
            return None;
        };
        let mut out = String::new();
        for (i, block) in text.split("\n\n").enumerate() {
            if i == n {
                break;
            }
            out.push_str(block);
            out.push_str("\n\n");
        }
        let path = dir.join("dev-subset.conllu");
        std::fs::write(&path, out).unwrap();
        Some(path)
    }

    fn eval(file: &std::path::Path, precision: &str) -> serde_json::Value {
        let f = file.to_str().unwrap();
        let out = run_ok(&["eval", "conllu", f, "--json", "--threads", "1", "--precision", precision]);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn ewt_dev_subset_scores_hold() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(file) = ewt_dev_subset(400, tmp.path()) else { return };
        let r = eval(&file, "auto");
        assert_eq!(r["engine"], "onnx:int8");
        assert!(r["words"].as_u64().unwrap() > 5000, "{r}");
        // Floors a little under the figures measured on this subset (MODEL.md, parser).
        assert!(r["uas"].as_f64().unwrap() >= PARSER_UAS_FLOOR, "{r}");
        assert!(r["las"].as_f64().unwrap() >= PARSER_LAS_FLOOR, "{r}");
    }

    const PARSER_UAS_FLOOR: f64 = 80.0;
    const PARSER_LAS_FLOOR: f64 = 75.0;

    #[test]
    fn rust_and_python_parser_evaluations_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let Some(file) = ewt_dev_subset(200, tmp.path()) else { return };
        let rust = eval(&file, "f32");
        let py = std::process::Command::new(python())
            .arg(repo().join("scripts/eval_parser.py"))
            .arg(repo().join("models/claimgraph-tagger"))
            .arg(&file)
            .arg("--json")
            .output()
            .unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
        let py: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
        for k in ["uas", "las", "las_full"] {
            let (a, b) = (rust[k].as_f64().unwrap(), py[k].as_f64().unwrap());
            assert!((a - b).abs() <= 0.2, "{k}: Rust {a} vs Python {b}");
        }
    }
}

/// The annotated gold set (tests/fixtures/gold): end-to-end quality floors for entities,
/// linking, statements and relations. The floors sit a little under the measured figures
/// (the closing notes have those), so a regression fails here.
mod gold {
    use super::util::*;

    #[test]
    fn gold_set_scores_hold() {
        let out_dir = tempfile::tempdir().unwrap();
        let gold = repo().join("tests/fixtures/gold");
        run_ok(&[
            "run",
            gold.join("articles.jsonl").to_str().unwrap(),
            "-o",
            out_dir.path().to_str().unwrap(),
            "-q",
            "--threads",
            "1",
        ]);
        let out = std::process::Command::new(python())
            .arg(repo().join("scripts/score_gold.py"))
            .arg(out_dir.path())
            .arg(&gold)
            // Measured on the whole set (AVX2 machine, int8): mentions 0.916, PER/ORG/LOC/MISC
            // 0.899, linking 0.978, statement recall 0.882, speaker accuracy 0.895, relations
            // 0.520 (labelled 0.520).
            .args(["--min-mention-f1", "0.89", "--min-entity-f1", "0.87", "--min-link-f1", "0.96"])
            .args(["--min-statement-recall", "0.87", "--min-speaker-acc", "0.85"])
            .args(["--min-relation-f1", "0.48", "--min-labelled-relation-f1", "0.48"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gold scores under the floors:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Cross-document linking as a user sees it: stable under unrelated additions.
mod linking {
    use super::util::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// (doc_id, start, end) -> entity_id of every linked mention, and the doc ids.
    fn links(out: &std::path::Path) -> BTreeMap<(String, u64, u64), String> {
        read_jsonl(&out.join("mentions.jsonl"))
            .into_iter()
            .filter_map(|m| {
                let id = m["entity_id"].as_str()?.to_string();
                Some(((m["doc_id"].as_str()?.to_string(), m["start"].as_u64()?, m["end"].as_u64()?), id))
            })
            .collect()
    }

    fn run(input: &std::path::Path, out: &std::path::Path) {
        run_ok(&["run", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "-q", "--threads", "1"]);
    }

    /// A corpus, then the same corpus with other articles added: every entity of the first run
    /// that the added articles do not mention keeps its id and exactly its mentions. (Links may
    /// change only where the new articles bring evidence about those names.)
    #[test]
    fn unrelated_articles_do_not_change_links() {
        let bbc = repo().join("data/external/bbc/bbc.jsonl");
        if !bbc.exists() {
            eprintln!("skipped: {} is missing (scripts/setup fetches it)", bbc.display());
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let gold = repo().join("tests/fixtures/gold/articles.jsonl");
        let both = dir.path().join("both.jsonl");
        let mut text = std::fs::read_to_string(&gold).unwrap();
        // Every 40th BBC article: 56 articles on business, politics, sport, tech and entertainment.
        for line in std::fs::read_to_string(&bbc).unwrap().lines().step_by(40) {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::write(&both, text).unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        run(&gold, &a);
        run(&both, &b);
        let (la, lb) = (links(&a), links(&b));
        let gold_docs: BTreeSet<&str> = la.keys().map(|k| k.0.as_str()).collect();
        // Entities of the combined run that some added article mentions.
        let touched: BTreeSet<&str> =
            lb.iter().filter(|(k, _)| !gold_docs.contains(k.0.as_str())).map(|(_, id)| id.as_str()).collect();
        let mut members: BTreeMap<&str, BTreeSet<&(String, u64, u64)>> = BTreeMap::new();
        for (k, id) in &la {
            members.entry(id.as_str()).or_default().insert(k);
        }
        let mut kept = 0;
        for (id, ms) in &members {
            let now: BTreeSet<Option<&String>> = ms.iter().map(|k| lb.get(*k)).collect();
            if now.iter().flatten().any(|x| touched.contains(x.as_str())) {
                continue;
            }
            assert_eq!(now.len(), 1, "entity {id} split when unrelated articles were added: {ms:?}");
            assert_eq!(now.iter().next().unwrap().map(String::as_str), Some(*id), "entity {id} changed its id");
            let in_b: usize = lb.values().filter(|x| x.as_str() == *id).count();
            assert_eq!(in_b, ms.len(), "entity {id} gained mentions of the gold set");
            kept += 1;
        }
        assert!(kept * 10 >= members.len() * 8, "only {kept} of {} entities untouched", members.len());
    }
}

/// Re-runs: the cache, resume after kill -9, and `claimgraph diff` (issue 13).
mod reruns {
    use super::util::*;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    const TABLES: &[&str] =
        &["documents", "errors", "mentions", "entities", "statements", "relations", "facts", "conflicts"];

    fn gold() -> PathBuf {
        repo().join("tests/fixtures/gold/articles.jsonl")
    }

    /// `run` over the gold articles in chunks of 4 with `extra` arguments.
    fn run_args<'a>(out: &'a Path, extra: &[&'a str]) -> Vec<String> {
        let mut a: Vec<String> = ["run", gold().to_str().unwrap(), "-o", out.to_str().unwrap(), "--threads", "1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(["--chunk-size", "4"].iter().map(|s| s.to_string()));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    fn run_gold(out: &Path, extra: &[&str]) -> std::process::Output {
        let args = run_args(out, extra);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn table(dir: &Path, t: &str) -> Vec<u8> {
        std::fs::read(dir.join(format!("{t}.jsonl"))).unwrap_or_else(|e| panic!("{}/{t}.jsonl: {e}", dir.display()))
    }

    fn assert_same_tables(a: &Path, b: &Path, what: &str) {
        for t in TABLES {
            assert!(table(a, t) == table(b, t), "{t}.jsonl differs: {what}");
        }
    }

    fn manifest(dir: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
    }

    /// `(hits, misses)` of each step in the manifest's cache report.
    fn cache_counts(m: &serde_json::Value) -> Vec<(String, u64, u64)> {
        m["cache"]["steps"]
            .as_array()
            .expect("a cache report")
            .iter()
            .map(|s| {
                (s["name"].as_str().unwrap().to_string(), s["hits"].as_u64().unwrap(), s["misses"].as_u64().unwrap())
            })
            .collect()
    }

    /// A patterns folder whose frames lack "kill" (a frame the gold set uses).
    fn changed_patterns(dir: &Path) -> PathBuf {
        let p = dir.join("patterns");
        std::fs::create_dir_all(&p).unwrap();
        let frames = std::fs::read_to_string(repo().join("data/patterns/frames.tsv")).unwrap();
        let edited: String =
            frames.lines().filter(|l| !l.starts_with("verb\tkill\t")).map(|l| format!("{l}\n")).collect();
        assert_ne!(edited, frames, "the kill frame is in frames.tsv");
        std::fs::write(p.join("frames.tsv"), edited).unwrap();
        p
    }

    /// Cold cache, warm cache and no cache give the same bytes; the warm run takes every step
    /// from the cache; a pattern change re-runs statements and relations only, and gives what a
    /// cold run with those patterns gives.
    #[test]
    fn cached_output_equals_uncached_and_patterns_rerun_only_their_stages() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let cache = p.join("cache");
        let c = cache.to_str().unwrap();
        run_gold(&p.join("plain"), &["-q"]);
        run_gold(&p.join("cold"), &["-q", "--cache", c]);
        run_gold(&p.join("warm"), &["-q", "--cache", c]);
        assert_same_tables(&p.join("plain"), &p.join("cold"), "cold cache vs no cache");
        assert_same_tables(&p.join("plain"), &p.join("warm"), "warm cache vs no cache");
        let cold = manifest(&p.join("cold"));
        assert!(cache_counts(&cold).iter().all(|(_, h, m)| *h == 0 && *m == 32), "{cold}");
        assert_eq!(cold["cache"]["missed"]["new_document"], 32);
        let warm = manifest(&p.join("warm"));
        assert!(cache_counts(&warm).iter().all(|(_, h, m)| *h == 32 && *m == 0), "{warm}");
        assert_eq!(warm["model"]["work"]["windows"], 0, "the tagger ran on a warm cache: {warm}");

        let pat = changed_patterns(p);
        let pat = pat.to_str().unwrap();
        let out = run_gold(&p.join("edited"), &["--patterns", pat, "--cache", c]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("statements 0/32"), "summary line: {stderr}");
        let edited = manifest(&p.join("edited"));
        for (name, hits, misses) in cache_counts(&edited) {
            let rerun = name == "statements" || name == "relations";
            assert_eq!((hits, misses), if rerun { (0, 32) } else { (32, 0) }, "{name}: {edited}");
        }
        assert_eq!(edited["cache"]["missed"]["changed:statements"], 32);
        run_gold(&p.join("edited_plain"), &["-q", "--patterns", pat]);
        assert_same_tables(&p.join("edited_plain"), &p.join("edited"), "patterns changed: cache vs cold");
        assert!(table(&p.join("plain"), "relations") != table(&p.join("edited"), "relations"), "the edit shows");

        // Back to the built-in patterns: the first entries still serve every step.
        run_gold(&p.join("again"), &["-q", "--cache", c]);
        assert!(cache_counts(&manifest(&p.join("again"))).iter().all(|(_, _, m)| *m == 0));
        let stats = run_ok(&["cache", "stats", c, "--json"]);
        let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
        assert_eq!(stats["entries"], 64, "{stats}");
        assert_eq!(stats["configurations"], 2, "{stats}");
        let pruned = run_ok(&["cache", "prune", c, "--unused-for", "1"]);
        assert!(String::from_utf8_lossy(&pruned.stdout).contains("removed 0 entries, kept 64"), "{pruned:?}");
        db(&cache)
            .execute("UPDATE entries SET used = 0 WHERE rowid IN (SELECT rowid FROM entries LIMIT 10)", [])
            .unwrap();
        let pruned = run_ok(&["cache", "prune", c, "--unused-for", "1"]);
        assert!(String::from_utf8_lossy(&pruned.stdout).contains("removed 10 entries, kept 54"), "{pruned:?}");
        let pruned = run_ok(&["cache", "prune", c, "--max-size", "1"]);
        assert!(String::from_utf8_lossy(&pruned.stdout).contains("removed 54 entries, kept 0"), "{pruned:?}");
    }

    fn db(cache: &Path) -> rusqlite::Connection {
        rusqlite::Connection::open(cache.join("cache.sqlite")).unwrap()
    }

    /// Damaged entries are recomputed and replaced, never served; an entry of another store
    /// version makes the whole cache start afresh with a note.
    #[test]
    fn corrupted_cache_entries_are_recomputed_and_old_versions_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let cache = p.join("cache");
        let c = cache.to_str().unwrap();
        run_gold(&p.join("cold"), &["-q", "--cache", c]);
        {
            let db = db(&cache);
            // A flipped blob (checksum mismatch), a truncated one with a matching checksum
            // (decoding fails), and a wrong checksum on an intact blob.
            let ids: Vec<String> = db
                .prepare("SELECT content FROM entries ORDER BY content LIMIT 3")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            db.execute("UPDATE entries SET blob = zeroblob(length(blob)) WHERE content = ?1", [&ids[0]]).unwrap();
            let cut: Vec<u8> = db
                .query_row("SELECT substr(blob, 1, 20) FROM entries WHERE content = ?1", [&ids[1]], |r| r.get(0))
                .unwrap();
            let sum = sha256_hex(&cut);
            db.execute(
                "UPDATE entries SET blob = ?2, sha256 = ?3 WHERE content = ?1",
                rusqlite::params![ids[1], cut, sum],
            )
            .unwrap();
            db.execute("UPDATE entries SET sha256 = 'x' WHERE content = ?1", [&ids[2]]).unwrap();
        }
        run_gold(&p.join("damaged"), &["-q", "--cache", c]);
        assert_same_tables(&p.join("cold"), &p.join("damaged"), "damaged entries");
        let m = manifest(&p.join("damaged"));
        assert_eq!(m["cache"]["missed"]["corrupt_entry"], 3, "{m}");
        assert!(cache_counts(&m).iter().all(|(_, h, mi)| *h == 29 && *mi == 3), "{m}");
        assert_eq!(m["cache"]["stored"], 3);
        run_gold(&p.join("repaired"), &["-q", "--cache", c]);
        assert!(cache_counts(&manifest(&p.join("repaired"))).iter().all(|(_, _, mi)| *mi == 0));

        db(&cache).execute("UPDATE meta SET value = 'store-0/record-0' WHERE key = 'version'", []).unwrap();
        let out = run_gold(&p.join("old"), &["-q", "--cache", c]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().filter(|l| l.contains("ignored")).count(), 1, "one note: {stderr}");
        assert_same_tables(&p.join("cold"), &p.join("old"), "old cache");
        assert_eq!(manifest(&p.join("old"))["cache"]["missed"]["new_document"], 32);

        // A cache file that is no database: the run goes on without it, and says so.
        let junk = p.join("junk");
        std::fs::create_dir_all(&junk).unwrap();
        std::fs::write(junk.join("cache.sqlite"), vec![7u8; 4096]).unwrap();
        let out = run_gold(&p.join("junked"), &["-q", "--cache", junk.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("running without the cache"), "{out:?}");
        assert_same_tables(&p.join("cold"), &p.join("junked"), "unusable cache file");
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    fn journal_chunks(out: &Path) -> usize {
        std::fs::read_dir(out.join(".work/journal"))
            .map(|it| it.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().ends_with(".zst")).count())
            .unwrap_or(0)
    }

    /// A run killed with SIGKILL while reading (no chunk finished), while tagging (after 1 and
    /// 5 of its 8 chunks) and while writing (all chunks journaled), then resumed, gives the
    /// bytes of a run never interrupted, without processing the finished chunks again.
    #[test]
    fn killed_runs_resume_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let whole = p.join("whole");
        run_gold(&whole, &["-q"]);
        let mut killed = 0;
        for (i, chunks) in [0usize, 1, 5, 8].into_iter().enumerate() {
            let out = p.join(format!("killed{i}"));
            let mut child = Command::new(bin())
                .args(run_args(&out, &["-q"]))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Poll for the point to kill at (the journal is what resume reads).
            let finished = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break Some(status);
                }
                let at = if chunks == 0 { out.join(".work/journal").is_dir() } else { journal_chunks(&out) >= chunks };
                if at {
                    break None;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            };
            if finished.is_none() {
                child.kill().unwrap();
                child.wait().unwrap();
                killed += 1;
                assert!(!out.join("manifest.json").exists(), "a killed run left a manifest");
            }
            let done = journal_chunks(&out);
            let out2 = run_gold(&out, &["--resume"]);
            assert_same_tables(&whole, &out, &format!("killed after {done} chunks, resumed"));
            let m = manifest(&out);
            if finished.is_none() {
                assert_eq!(m["resume"]["chunks_replayed"].as_u64(), Some(done as u64), "{m}");
                let stderr = String::from_utf8_lossy(&out2.stderr);
                assert!(stderr.contains(&format!("resumed: {done} chunks")), "{stderr}");
            }
            assert!(!out.join(".work").exists(), "the work folder is removed at the end");
        }
        assert!(killed >= 3, "only {killed} of 4 runs were still running at their kill point");
    }

    /// Equal runs diff empty with exit 0; a pattern change exits 1 and names the stages whose
    /// fingerprint changed, with the relations lost per document.
    #[test]
    fn diff_of_equal_runs_is_empty_and_a_pattern_change_names_its_stages() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let (a, b, c) = (p.join("a"), p.join("b"), p.join("c"));
        run_gold(&a, &["-q"]);
        run_gold(&b, &["-q"]);
        let pat = changed_patterns(p);
        run_gold(&c, &["-q", "--patterns", pat.to_str().unwrap()]);
        let details = p.join("same");
        let same = claimgraph(&["diff", a.to_str().unwrap(), b.to_str().unwrap(), "--out", details.to_str().unwrap()]);
        assert_eq!(same.status.code(), Some(0), "{same:?}");
        assert!(String::from_utf8_lossy(&same.stdout).contains("equal"));
        for f in ["entities", "facts", "conflicts", "documents"] {
            assert_eq!(std::fs::read(details.join(format!("{f}.jsonl"))).unwrap(), b"", "{f}.jsonl of equal runs");
        }

        let details = p.join("changed");
        let out = claimgraph(&[
            "diff",
            a.to_str().unwrap(),
            c.to_str().unwrap(),
            "--json",
            "--out",
            details.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let steps: Vec<&str> =
            s["fingerprints"].as_array().unwrap().iter().map(|f| f["step"].as_str().unwrap()).collect();
        assert_eq!(steps, ["statements", "relations"], "{s}");
        assert_eq!(s["equal"], false);
        assert!(s["relations"]["lost"].as_u64().unwrap() > 0, "{s}");
        assert!(s["facts"]["removed"].as_u64().unwrap() > 0, "{s}");
        let docs = read_jsonl(&details.join("documents.jsonl"));
        assert!(docs.iter().any(|d| !d["relations_lost"].as_array().unwrap().is_empty()), "{docs:?}");
        let text = claimgraph(&["diff", a.to_str().unwrap(), c.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&text.stdout).contains("changed steps: statements, relations"), "{text:?}");

        let missing = claimgraph(&["diff", a.to_str().unwrap(), p.join("nothing").to_str().unwrap()]);
        assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    }
}

/// `claimgraph report`: the HTML file read back, and opened in a real headless Chromium
/// (scripts/report_browser.py drives it over the DevTools protocol). Screenshots and reports
/// are kept under out/report-tests/ (CI artifacts).
mod report {
    use super::util::*;
    use serde_json::Value;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    fn artifacts() -> PathBuf {
        let d = repo().join("out/report-tests");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn run_to(input: &Path, out: &Path, extra: &[&str]) {
        let mut args = vec!["run", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--threads", "1", "-q"];
        args.extend_from_slice(extra);
        let o = claimgraph(&args);
        assert!(o.status.code() == Some(0), "{o:?}");
    }

    fn report(run: &Path, html: &Path, extra: &[&str]) -> String {
        let mut args = vec!["report", run.to_str().unwrap(), "-o", html.to_str().unwrap()];
        args.extend_from_slice(extra);
        run_ok(&args);
        std::fs::read_to_string(html).unwrap()
    }

    /// The data block the page embeds.
    fn embedded(html: &str) -> Value {
        let open = r#"<script type="application/json" id="data">"#;
        let start = html.find(open).expect("data block") + open.len();
        let end = start + html[start..].find("</script>").expect("end of the data block");
        serde_json::from_str(&html[start..end]).expect("the data block is JSON")
    }

    fn chromium() -> Option<PathBuf> {
        ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
            let out = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().ok()?;
            let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (!p.is_empty()).then(|| PathBuf::from(p))
        })
    }

    /// Opens `html` in Chromium; `views` are [name, fragment, probe JS or null]. `None` (with
    /// the reason printed) when no Chromium is installed: scripts/setup installs it where apt
    /// can, and says why when it cannot.
    fn browse(html: &Path, shots: &str, views: Value) -> Option<Value> {
        if chromium().is_none() {
            eprintln!("SKIPPED: no chromium on PATH (scripts/setup installs the Debian package `chromium` when apt-get is usable)");
            return None;
        }
        let out = Command::new(python())
            .arg(repo().join("scripts/report_browser.py"))
            .arg(html)
            .arg("--out")
            .arg(artifacts().join(shots))
            .arg("--views")
            .arg(views.to_string())
            .output()
            .expect("python starts");
        assert!(out.status.success(), "report_browser.py: {}", String::from_utf8_lossy(&out.stderr));
        let r: Value = serde_json::from_slice(&out.stdout).expect("driver prints JSON");
        for k in ["console_errors", "exceptions", "requests"] {
            assert_eq!(r[k], serde_json::json!([]), "{k} in {}: {r}", html.display());
        }
        Some(r)
    }

    fn lines(p: &Path) -> usize {
        read_jsonl(p).len()
    }

    #[test]
    fn sample_report_opens_in_chromium_with_every_section() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        run_to(&sample(), &run, &[]);
        let html_path = artifacts().join("sample.html");
        let html = report(&run, &html_path, &[]);
        let data = embedded(&html);
        assert_eq!(data["views"].as_object().unwrap().len(), 12);

        let entities = read_jsonl(&run.join("entities.jsonl"));
        let naf = entities.iter().find(|e| e["name"] == "Northern Alliance Front").expect("NAF entity");
        let naf_id = naf["entity_id"].as_str().unwrap();
        let conflicts = read_jsonl(&run.join("conflicts.jsonl"));
        let sides: usize = conflicts.iter().map(|c| c["sides"].as_array().unwrap().len()).sum();
        let mentions_01: Vec<Value> = read_jsonl(&run.join("mentions.jsonl"))
            .into_iter()
            .filter(|m| m["doc_id"] == "sample-01")
            .map(|m| serde_json::json!([m["start"], m["end"], m["label"], m["text"]]))
            .collect();
        let views = serde_json::json!([
            ["overview", "overview", null],
            ["entities", "entities", null],
            ["entity", format!("entity/{naf_id}"), "document.querySelector('h2').textContent"],
            ["facts", "facts", null],
            ["conflicts", "conflicts", null],
            ["statements", "statements", null],
            ["documents", "documents", null],
            ["document", "doc/sample-01", null],
        ]);
        let Some(r) = browse(&html_path, "sample", views) else { return };
        let v = &r["views"];
        let check = |name: &str| &v[name]["check"];
        assert_eq!(
            check("overview")["sections"],
            serde_json::json!(["overview", "entities", "facts", "conflicts", "statements", "documents"])
        );
        assert_eq!(check("overview")["charts"], 4);
        for (t, view) in
            [("entities", "entities"), ("facts", "facts"), ("statements", "statements"), ("documents", "documents")]
        {
            let n = lines(&run.join(format!("{t}.jsonl")));
            assert_eq!(check(view)["totals"][t], n, "{t}");
            assert_eq!(check(view)["table_rows"], n, "{t} rows in the table");
            assert_eq!(check(view)["rendered_rows"], n.min(50), "{t} rows on the first page");
        }
        assert!(v["entity"]["probe"].as_str().unwrap().starts_with("Northern Alliance Front"), "{}", v["entity"]);
        assert_eq!(check("conflicts")["conflict_cards"], conflicts.len());
        assert_eq!(check("conflicts")["sides"], sides);
        // Every mention of the document is highlighted once, and its text is text[start:end].
        assert_eq!(check("document")["marks"], Value::from(mentions_01));
    }

    #[test]
    fn hostile_article_shows_as_text_and_runs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let input = repo().join("tests/fixtures/report/hostile.jsonl");
        run_to(&input, &run, &[]);
        let html_path = artifacts().join("hostile.html");
        let html = report(&run, &html_path, &[]);
        // Only the page's two script elements: the article's `</script>` is escaped in the data.
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</script").count(), 2);
        let articles = read_jsonl(&input);
        let id = articles[0]["id"].as_str().unwrap();
        let mentions: Vec<Value> = read_jsonl(&run.join("mentions.jsonl"))
            .into_iter()
            .filter(|m| m["doc_id"] == id)
            .map(|m| serde_json::json!([m["start"], m["end"], m["label"], m["text"]]))
            .collect();
        assert!(mentions.len() >= 3, "{mentions:?}");
        let probe = "JSON.stringify({pwned: window.__pwned === undefined ? null : String(window.__pwned), \
            scripts: document.scripts.length, imgs: document.images.length, \
            handlers: document.querySelectorAll('main [onerror], main [onmouseover], main b, a[href^=\"javascript\"]').length, \
            text: document.querySelector('.doctext').textContent, title: document.querySelector('h2').textContent, \
            url: document.querySelector('.meta span[title]') && document.querySelector('.meta span[title]').textContent})";
        let frag = format!("doc/{}", encode(id));
        let views = serde_json::json!([
            ["document", frag, probe],
            ["documents", "documents", null],
            ["statements", "statements", null]
        ]);
        let Some(r) = browse(&html_path, "hostile", views) else { return };
        let p: Value = serde_json::from_str(r["views"]["document"]["probe"].as_str().unwrap()).unwrap();
        assert_eq!(p["pwned"], Value::Null, "an article's script ran: {p}");
        assert_eq!(p["scripts"], 2, "{p}");
        assert_eq!(p["imgs"], 0, "{p}");
        assert_eq!(p["handlers"], 0, "{p}");
        assert_eq!(p["text"], articles[0]["text"], "the text shows as text, character for character");
        assert_eq!(p["title"], articles[0]["title"]);
        assert_eq!(p["url"], articles[0]["url"], "a javascript: URL is shown, not linked");
        assert_eq!(r["views"]["document"]["check"]["marks"], Value::from(mentions));
    }

    /// Percent-encodes like the page's encodeURIComponent.
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'_'
                | b'.'
                | b'!'
                | b'~'
                | b'*'
                | b'\''
                | b'('
                | b')' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    /// CSV and Parquet runs give the report the same data as the JSONL run, and `--compare`
    /// (the diff library over rows read from any format) finds nothing changed.
    #[test]
    fn csv_and_parquet_runs_report_the_same_data() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("jsonl");
        run_to(&sample(), &jsonl, &[]);
        let base = embedded(&report(&jsonl, &dir.path().join("j.html"), &[]));
        for format in ["csv", "parquet"] {
            let run = dir.path().join(format);
            run_to(&sample(), &run, &["--format", format]);
            let html =
                report(&run, &dir.path().join(format!("{format}.html")), &["--compare", jsonl.to_str().unwrap()]);
            let data = embedded(&html);
            for k in ["totals", "docs", "ents", "facts", "stmts", "conflicts", "views", "labels", "errors"] {
                assert_eq!(data[k], base[k], "{format}: {k}");
            }
            // Nothing changed in the analyst's terms. (The flat formats have no column for the
            // mention ids nested in statements and relations, so those two tables are not
            // byte-equal to the JSONL run's.)
            let s = &data["compare"]["summary"];
            for k in ["entities", "facts", "conflicts", "documents"] {
                assert_eq!(s[k], serde_json::json!({}), "{format}: {k} in {s}");
            }
            for k in ["mentions", "statements", "relations"] {
                assert_eq!(s[k], serde_json::json!({"gained": 0, "lost": 0, "changed": 0}), "{format}: {k} in {s}");
            }
            for t in ["documents", "errors", "mentions", "entities", "facts", "conflicts"] {
                assert_eq!(s["tables"][t]["equal"], true, "{format}: {t} in {s}");
            }
        }
    }

    #[test]
    fn compare_shows_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let fewer = dir.path().join("fewer.jsonl");
        let text = std::fs::read_to_string(sample()).unwrap();
        let kept: Vec<&str> = text.lines().filter(|l| !l.contains("\"sample-03\"")).collect();
        std::fs::write(&fewer, kept.join("\n") + "\n").unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        run_to(&fewer, &a, &[]);
        run_to(&sample(), &b, &[]);
        let html_path = artifacts().join("compare.html");
        let html = report(&b, &html_path, &["--compare", a.to_str().unwrap()]);
        let data = embedded(&html);
        let c = &data["compare"];
        assert_eq!(c["summary"]["equal"], false);
        assert_eq!(c["summary"]["documents"]["added"], 1, "{}", c["summary"]);
        assert!(c["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["doc_id"] == "sample-03" && d["change"] == "added"));
        let probe = "document.querySelectorAll('#sec-changes table').length";
        let Some(r) = browse(&html_path, "compare", serde_json::json!([["changes", "changes", probe]])) else { return };
        assert!(r["views"]["changes"]["check"]["sections"].as_array().unwrap().iter().any(|s| s == "changes"));
        assert!(r["views"]["changes"]["probe"].as_u64().unwrap() >= 5, "{}", r["views"]["changes"]);
    }

    /// The texts come from the inputs: gone, the views keep their spans and say why; `--input`
    /// points at a copy; a changed copy is refused (its mentions no longer match).
    #[test]
    fn texts_come_from_the_inputs_or_are_left_out_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("articles.jsonl");
        std::fs::copy(sample(), &input).unwrap();
        let run = dir.path().join("run");
        run_to(&input, &run, &[]);
        let moved = dir.path().join("moved.jsonl");
        std::fs::rename(&input, &moved).unwrap();
        let html = dir.path().join("r.html");
        let gone = embedded(&report(&run, &html, &[]));
        let v = &gone["views"]["sample-01"];
        assert_eq!(v["t"], Value::Null);
        assert!(!v["m"].as_array().unwrap().is_empty());
        assert!(gone["notes"].to_string().contains("does not exist"), "{}", gone["notes"]);
        let back = embedded(&report(&run, &html, &["--input", moved.to_str().unwrap()]));
        assert_eq!(back["views"]["sample-01"]["t"], read_jsonl(&sample())[0]["text"]);
        let edited = std::fs::read_to_string(&moved).unwrap().replace("PUL-E-KHUMRI, Afghanistan", "Afghanistan");
        std::fs::write(&moved, edited).unwrap();
        let changed = embedded(&report(&run, &html, &["--input", moved.to_str().unwrap()]));
        assert_eq!(changed["views"]["sample-01"]["t"], Value::Null);
        assert_ne!(changed["views"]["sample-02"]["t"], Value::Null, "other articles are unchanged");
    }

    #[test]
    fn not_a_run_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = claimgraph(&["report", dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a finished run"), "{err}");
    }
}

/// Scale-out: `claimgraph map` and `claimgraph merge` (issue 14). For any split of the input,
/// map + merge writes the bytes `run` writes.
mod scale_out {
    use super::util::*;
    use std::io::Write;
    use std::path::{Path, PathBuf};

    const TABLES: &[&str] =
        &["documents", "errors", "mentions", "entities", "statements", "relations", "facts", "conflicts", "sentences"];

    /// Two inputs: the sample articles, and records that are rejected (a duplicate of a sample
    /// id, broken JSON, no text) or need a fallback id, around a blank line.
    fn inputs(dir: &Path) -> Vec<PathBuf> {
        let a = dir.join("a.jsonl");
        std::fs::copy(sample(), &a).unwrap();
        let b = dir.join("b.jsonl");
        let mut f = std::fs::File::create(&b).unwrap();
        let lines = [
            r#"{"id": "sample-03", "text": "A second record with the id of a sample article."}"#,
            r#"{"id": "broken", "text": "#,
            "",
            r#"{"text": "No id here: KABUL police said on Monday that 4 people died.", "source": "Wire"}"#,
            r#"{"id": "no-text"}"#,
            r#"{"id": "b-last", "text": "Officials in Kabul said the Northern Alliance Front denied it.", "source": "Wire"}"#,
        ];
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        vec![a, b]
    }

    fn strs(args: &[String]) -> Vec<&str> {
        args.iter().map(String::as_str).collect()
    }

    /// `claimgraph run` over `inputs` into `out` (exit 2: some records are rejected).
    fn run(inputs: &[PathBuf], out: &Path) {
        let mut args: Vec<String> = vec!["run".into()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args.extend(["-o", out.to_str().unwrap(), "--threads", "1", "-q", "--with-tokens"].map(String::from));
        let o = claimgraph(&strs(&args));
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    }

    /// Every line of every input as a frame, in input order.
    fn frames(inputs: &[PathBuf]) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in inputs.iter().enumerate() {
            for (n, line) in std::fs::read_to_string(p).unwrap().lines().enumerate() {
                let f = serde_json::json!({"input": i, "file": p.display().to_string(), "line": n + 1, "record": line});
                out.push(f.to_string());
            }
        }
        out
    }

    fn map(args: &[&str], shards: &Path) -> std::process::Output {
        let mut a = vec!["map"];
        a.extend_from_slice(args);
        a.extend(["-o", shards.to_str().unwrap(), "--threads", "1", "-q"]);
        run_ok(&a)
    }

    /// Maps each group of frames (in the order given) as one shard.
    fn map_groups(groups: &[Vec<String>], shards: &Path, work: &Path) {
        for (g, frames) in groups.iter().enumerate() {
            let f = work.join(format!("frames-{g}.jsonl"));
            std::fs::write(&f, frames.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
            map(&["--framed", f.to_str().unwrap()], shards);
        }
    }

    fn merge(shards: &[&Path], out: &Path) -> std::process::Output {
        let mut a: Vec<&str> = vec!["merge"];
        a.extend(shards.iter().map(|s| s.to_str().unwrap()));
        a.extend(["-o", out.to_str().unwrap(), "-q", "--with-tokens"]);
        claimgraph(&a)
    }

    fn assert_same_tables(a: &Path, b: &Path, what: &str) {
        for t in TABLES {
            let read = |d: &Path| std::fs::read(d.join(format!("{t}.jsonl"))).unwrap();
            assert!(read(a) == read(b), "{t}.jsonl differs: {what}");
        }
    }

    /// A fixed pseudo-random sequence (no crate needed for it).
    fn lcg(seed: &mut u64) -> usize {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (*seed >> 33) as usize
    }

    #[test]
    fn map_and_merge_equal_run_for_any_split() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let ins = inputs(p);
        run(&ins, &p.join("run"));
        let all = frames(&ins);

        // Plain maps, one per input file; a shard on stdout is the same bytes as in a folder.
        for (k, input) in ins.iter().enumerate() {
            map(&[input.to_str().unwrap()], &p.join(format!("plain-{k}")));
        }
        let o = merge(&[&p.join("plain-0"), &p.join("plain-1")], &p.join("plain-out"));
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        assert_same_tables(&p.join("run"), &p.join("plain-out"), "one plain map per input");
        let o = run_ok(&["map", ins[1].to_str().unwrap(), "-o", "-", "--threads", "1", "-q"]);
        let in_dir = std::fs::read_dir(p.join("plain-1")).unwrap().next().unwrap().unwrap().path();
        assert!(o.stdout == std::fs::read(in_dir).unwrap(), "the shard on stdout differs from the one in a folder");

        // Frames: everything in one shard in reverse order; a random 3-way split, shuffled.
        map_groups(&[all.iter().rev().cloned().collect()], &p.join("one"), p);
        merge(&[&p.join("one")], &p.join("one-out"));
        assert_same_tables(&p.join("run"), &p.join("one-out"), "one reversed shard");
        let mut seed = 14;
        let mut groups = vec![Vec::new(); 3];
        for f in &all {
            groups[lcg(&mut seed) % 3].push(f.clone());
        }
        for g in &mut groups {
            for i in (1..g.len()).rev() {
                g.swap(i, lcg(&mut seed) % (i + 1));
            }
        }
        map_groups(&groups, &p.join("three"), p);
        merge(&[&p.join("three")], &p.join("three-out"));
        assert_same_tables(&p.join("run"), &p.join("three-out"), "a random split in 3");

        // The manifest names each shard with its hash and counts.
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("three-out/manifest.json")).unwrap()).unwrap();
        let shards = m["shards"].as_array().unwrap();
        assert_eq!(shards.len(), 3);
        let records: u64 = shards.iter().map(|s| s["records"].as_u64().unwrap()).sum();
        assert_eq!(records, m["counts"]["records"].as_u64().unwrap());
        assert!(shards.iter().all(|s| s["sha256"].as_str().unwrap().len() == 64));
    }

    #[test]
    fn duplicate_ids_across_shards_name_both_places() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let a = p.join("a.jsonl");
        let b = p.join("b.jsonl");
        std::fs::write(&a, "{\"id\": \"x\", \"text\": \"Police in Kabul said 3 people died.\"}\n").unwrap();
        std::fs::write(&b, "\n\n{\"id\": \"x\", \"text\": \"Another text with the same id.\"}\n").unwrap();
        // Mapped in the other order: the rejected one is still the later one in input order.
        map(&[b.to_str().unwrap()], &p.join("shards"));
        map(&[a.to_str().unwrap()], &p.join("shards"));
        let o = merge(&[&p.join("shards")], &p.join("out"));
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        let errors = read_jsonl(&p.join("out/errors.jsonl"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["source_file"], b.display().to_string());
        assert_eq!(errors[0]["source_line"], 3);
        let reason = errors[0]["reason"].as_str().unwrap();
        assert_eq!(reason, format!("duplicate id 'x', first seen at {}:1", a.display()));
        run(&[a.clone(), b.clone()], &p.join("run"));
        assert_same_tables(&p.join("run"), &p.join("out"), "duplicates across shards");
    }

    #[test]
    fn broken_or_mismatched_shards_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        let ins = inputs(p);
        map(&[ins[1].to_str().unwrap()], &p.join("s"));
        let shard = std::fs::read_dir(p.join("s")).unwrap().next().unwrap().unwrap().path();
        let text = std::fs::read_to_string(&shard).unwrap();
        let refused = |dir: &Path, what: &str| {
            let o = merge(&[dir], &p.join("out"));
            let err = String::from_utf8_lossy(&o.stderr).to_string();
            assert_eq!(o.status.code(), Some(1), "{err}");
            assert!(err.contains(what), "expected '{what}' in: {err}");
            assert!(!p.join("out/manifest.json").exists());
        };
        // Cut short (a task that died while its shard was copied).
        let cut = p.join("cut");
        std::fs::create_dir_all(&cut).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(cut.join("part-00000"), format!("{}\n", lines[..lines.len() - 1].join("\n"))).unwrap();
        refused(&cut, "cut short");
        // The same record in two shards (a retried task written under another name).
        let twice = p.join("twice");
        std::fs::create_dir_all(&twice).unwrap();
        std::fs::write(twice.join("part-00000"), &text).unwrap();
        std::fs::write(twice.join("part-00001"), &text).unwrap();
        refused(&twice, "is also in");
        // Made by other patterns than the other shards.
        let patterns = p.join("patterns");
        std::fs::create_dir_all(&patterns).unwrap();
        let frames = std::fs::read_to_string(repo().join("data/patterns/frames.tsv")).unwrap();
        let edited: String =
            frames.lines().filter(|l| !l.starts_with("verb\tkill\t")).map(|l| format!("{l}\n")).collect();
        std::fs::write(patterns.join("frames.tsv"), edited).unwrap();
        std::fs::copy(&shard, p.join("mixed-a")).unwrap();
        map(&[ins[0].to_str().unwrap(), "--patterns", patterns.to_str().unwrap()], &p.join("mixed"));
        std::fs::rename(p.join("mixed-a"), p.join("mixed/a-shard")).unwrap();
        refused(&p.join("mixed"), "'statements' step");
        // Not a shard at all.
        let junk = p.join("junk");
        std::fs::create_dir_all(&junk).unwrap();
        std::fs::write(junk.join("part-00000"), "").unwrap();
        refused(&junk, "not a claimgraph shard");
    }
}

/// The Spark job for real (issue 14): scripts/spark/setup installs Java 17 (when missing),
/// PySpark and the executors' archive; tests/spark_job.py runs the job in local[2] and in
/// local-cluster[2,1,1024] and compares the dataset with `claimgraph run`'s.
mod spark {
    use super::util::*;
    use std::process::Command;

    #[test]
    fn spark_job_writes_what_run_writes() {
        let setup = Command::new(repo().join("scripts/spark/setup")).output().expect("scripts/spark/setup starts");
        let said = String::from_utf8_lossy(&setup.stderr);
        if setup.status.code() == Some(3) {
            eprintln!("SKIPPED spark_job_writes_what_run_writes: Java 17 or PySpark cannot be installed here:\n{said}");
            return;
        }
        assert!(setup.status.success(), "scripts/spark/setup failed:\n{said}");
        let job = Command::new(python()).arg(repo().join("tests/spark_job.py")).output().expect("python starts");
        let out = String::from_utf8_lossy(&job.stdout);
        let err = String::from_utf8_lossy(&job.stderr);
        let tail: String = err.chars().rev().take(6000).collect::<Vec<_>>().into_iter().rev().collect();
        assert!(job.status.success(), "tests/spark_job.py failed:\n{out}\n{tail}");
        eprint!("{out}");
        for line in ["spark local[2]", "spark local-cluster", "fails the job"] {
            assert!(out.contains(line), "'{line}' missing from:\n{out}");
        }
    }
}
