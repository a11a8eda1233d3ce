//! The incremental cache (`claimgraph run --cache DIR`): processed documents kept between runs,
//! so a re-run only redoes the steps whose configuration changed.
//!
//! An entry is one [`DocRecord`], keyed by the content hash of its input record and the hash of
//! the fingerprints of every per-document step that made it ([`Steps`]). A lookup takes the
//! stored record whose steps share the longest prefix with the current ones: all of them (a
//! hit: nothing runs), or up to a stage after the tagger (the later stages run again on the
//! stored document: a pattern change re-runs statements and relations only), or less (the
//! document is processed from the start). The corpus step always re-runs.
//!
//! Why SQLite: one file that survives kill -9 without torn entries (a transaction per chunk,
//! in WAL mode), that other processes can read while a run writes (`cache stats`), and whose
//! size and age can be bounded (`cache prune`) without a layout of our own. Each entry keeps the
//! sha256 of its blob: a damaged entry is recomputed and replaced, never served.

pub mod prune;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::doc::Document;
use crate::pipeline::record::{self, DocRecord, Steps, RECORD_VERSION};

/// Version of the store's layout; with [`RECORD_VERSION`] it decides whether a cache is usable.
const STORE_VERSION: u32 = 1;

/// The database file inside the cache folder.
pub const DB_FILE: &str = "cache.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The folder cannot be created.
    #[error("cannot create the cache folder {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused an operation (not a database, locked past the timeout, disk full...).
    #[error("cache {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// A `cache stats` / `cache prune` on a folder that holds no cache.
    #[error("no cache in {0} (no {DB_FILE})")]
    Missing(PathBuf),
}

/// Hits and misses of one step over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCount {
    pub name: String,
    /// Documents whose output of this step came from the cache.
    pub hits: u64,
    /// Documents for which this step ran.
    pub misses: u64,
}

/// What the cache did in one run (in `manifest.json` and in the cache's own run log).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheReport {
    pub dir: String,
    /// Per step, in pipeline order.
    pub steps: Vec<StepCount>,
    /// Why documents were not served whole, by reason: `new_document` (no entry for its
    /// content), `changed:<step>` (the first step whose fingerprint differs from the closest
    /// entry's), `corrupt_entry` (checksum or decoding failed; recomputed and replaced).
    pub missed: BTreeMap<String, u64>,
    /// Entries written by this run.
    pub stored: u64,
}

/// An open cache.
pub struct Cache {
    conn: Connection,
    path: PathBuf,
    report: CacheReport,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// What a lookup found for one document.
enum Found {
    /// No usable entry (with the reason, for the report).
    Miss(String, Option<String>),
    /// An entry whose first `k` steps hold.
    Reuse(usize, Box<DocRecord>, Option<String>),
}

impl Cache {
    /// Opens (or creates) the cache in `dir`. A cache of another version is emptied and a note
    /// says so; the run goes on.
    pub fn open(dir: &Path) -> Result<(Self, Option<String>), CacheError> {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Dir { path: dir.to_path_buf(), source })?;
        let path = dir.join(DB_FILE);
        let conn = connect(&path)?;
        let sql = |source| CacheError::Sqlite { path: path.clone(), source };
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS entries (
                 content TEXT NOT NULL, chain TEXT NOT NULL, steps TEXT NOT NULL,
                 blob BLOB NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
                 created INTEGER NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (content, chain));
             CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
             CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, finished INTEGER NOT NULL,
                 report TEXT NOT NULL);",
        )
        .map_err(sql)?;
        let want = version();
        let found: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| r.get(0)).optional().map_err(sql)?;
        let mut note = None;
        if found.as_deref() != Some(want.as_str()) {
            let had: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0)).map_err(sql)?;
            if let (Some(v), true) = (&found, had > 0) {
                note = Some(format!(
                    "the cache in {} is version {v}, this claimgraph uses {want}: its {had} entries are ignored and replaced",
                    dir.display()
                ));
            }
            conn.execute_batch("DELETE FROM entries; DELETE FROM runs;").map_err(sql)?;
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('version', ?1)", [&want]).map_err(sql)?;
        }
        let report = CacheReport { dir: dir.display().to_string(), ..Default::default() };
        Ok((Cache { conn, path, report }, note))
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> CacheError + '_ {
        |source| CacheError::Sqlite { path: self.path.clone(), source }
    }

    /// Fills `docs` from the cache where it can. Returns, per document, how many leading steps
    /// it holds already: 0 (process it all), `steps.len()` (nothing to do), or in between (run
    /// the later stages on it). A reused document keeps the fresh one's origin.
    pub fn reuse(
        &mut self,
        docs: &mut [Document],
        contents: &[String],
        steps: &Steps,
    ) -> Result<Vec<usize>, CacheError> {
        let mut stored: Vec<Vec<Stored>> = Vec::with_capacity(docs.len());
        {
            let mut st = self
                .conn
                .prepare_cached("SELECT chain, steps, blob, sha256 FROM entries WHERE content = ?1")
                .map_err(self.err())?;
            for c in contents {
                let rows = st
                    .query_map([c], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                    .map_err(|source| CacheError::Sqlite { path: self.path.clone(), source })?;
                stored.push(rows);
            }
        }
        let found: Vec<Found> = stored.into_par_iter().map(|cands| choose(cands, steps)).collect();
        let mut from = Vec::with_capacity(docs.len());
        for ((doc, f), content) in docs.iter_mut().zip(found).zip(contents) {
            let (k, reason, bad) = match f {
                Found::Miss(reason, bad) => (0, Some(reason), bad),
                Found::Reuse(k, rec, bad) => {
                    let reason = steps.first_difference(&rec.steps).map(|s| format!("changed:{s}"));
                    let origin = std::mem::take(&mut doc.origin);
                    *doc = rec.doc;
                    doc.origin = origin;
                    (k, reason, bad)
                }
            };
            if let Some(chain) = bad {
                self.delete(content, &chain)?;
            }
            if let Some(r) = reason {
                *self.report.missed.entry(r).or_default() += 1;
            }
            from.push(k);
        }
        self.count(steps, &from);
        Ok(from)
    }

    fn delete(&self, content: &str, chain: &str) -> Result<(), CacheError> {
        self.conn
            .execute("DELETE FROM entries WHERE content = ?1 AND chain = ?2", [content, chain])
            .map_err(self.err())?;
        Ok(())
    }

    fn count(&mut self, steps: &Steps, from: &[usize]) {
        if self.report.steps.is_empty() {
            self.report.steps =
                steps.0.iter().map(|s| StepCount { name: s.name.clone(), ..Default::default() }).collect();
        }
        for &k in from {
            for (j, c) in self.report.steps.iter_mut().enumerate() {
                if j < k {
                    c.hits += 1;
                } else {
                    c.misses += 1;
                }
            }
        }
    }

    /// Stores the documents of a chunk that were (partly) computed, and marks the others used,
    /// in one transaction.
    pub fn store(
        &mut self,
        docs: &[Document],
        contents: &[String],
        steps: &Steps,
        from: &[usize],
    ) -> Result<(), CacheError> {
        let chain = steps.hash();
        let steps_json = serde_json::to_string(steps).expect("steps serialize");
        let blobs: Vec<Option<Vec<u8>>> = docs
            .par_iter()
            .zip(contents)
            .zip(from)
            .map(|((d, c), &k)| (k < steps.len()).then(|| DocRecord::new(c.clone(), steps.clone(), d.clone()).encode()))
            .collect();
        let t = now();
        let path = self.path.clone();
        let err = |source| CacheError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO entries (content, chain, steps, blob, sha256, bytes, created, used)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                )
                .map_err(err)?;
            let mut touch =
                tx.prepare_cached("UPDATE entries SET used = ?3 WHERE content = ?1 AND chain = ?2").map_err(err)?;
            for (blob, c) in blobs.iter().zip(contents) {
                match blob {
                    Some(b) => {
                        put.execute(params![c, chain, steps_json, b, record::sha256_hex(b), b.len() as i64, t])
                            .map_err(err)?;
                        self.report.stored += 1;
                    }
                    None => {
                        touch.execute(params![c, chain, t]).map_err(err)?;
                    }
                }
            }
        }
        tx.commit().map_err(err)
    }

    /// Logs the run's report in the cache (for `cache stats`) and returns it.
    pub fn finish(self) -> Result<CacheReport, CacheError> {
        let text = serde_json::to_string(&self.report).expect("report serializes");
        self.conn
            .execute("INSERT INTO runs (finished, report) VALUES (?1, ?2)", params![now(), text])
            .map_err(self.err())?;
        Ok(self.report)
    }
}

fn version() -> String {
    format!("store-{STORE_VERSION}/record-{RECORD_VERSION}")
}

fn connect(path: &Path) -> Result<Connection, CacheError> {
    let sql = |source| CacheError::Sqlite { path: path.to_path_buf(), source };
    let conn = Connection::open(path).map_err(sql)?;
    conn.busy_timeout(Duration::from_secs(30)).map_err(sql)?;
    // WAL: readers do not block the writer, and a killed writer leaves the last committed
    // transaction intact. NORMAL is durable across process crashes (not power loss), which is
    // what a cache needs.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sql)?;
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
    Ok(conn)
}

/// Opens an existing cache for the maintenance commands.
fn open_existing(dir: &Path) -> Result<Connection, CacheError> {
    let path = dir.join(DB_FILE);
    if !path.is_file() {
        return Err(CacheError::Missing(dir.to_path_buf()));
    }
    connect(&path)
}

/// A stored entry: its chain hash, steps (JSON), blob and checksum.
type Stored = (String, String, Vec<u8>, String);

/// The stored record with the longest usable prefix, checked and decoded. A damaged entry is
/// passed over and named, so that it is deleted.
fn choose(cands: Vec<Stored>, steps: &Steps) -> Found {
    let mut best: Option<(usize, String, Vec<u8>, String, Steps)> = None;
    let mut changed: Option<String> = None;
    let mut bad: Option<String> = None;
    for (chain, steps_json, blob, sha) in cands {
        let Ok(stored) = serde_json::from_str::<Steps>(&steps_json) else {
            bad = Some(chain);
            continue;
        };
        let k = steps.reusable(&stored);
        if k == 0 {
            changed.get_or_insert_with(|| steps.first_difference(&stored).unwrap_or("segment").to_string());
            continue;
        }
        if best.as_ref().map_or(true, |b| k > b.0) {
            best = Some((k, chain, blob, sha, stored));
        }
    }
    let Some((k, chain, blob, sha, stored)) = best else {
        return match (changed, bad) {
            (_, Some(b)) => Found::Miss("corrupt_entry".into(), Some(b)),
            (Some(step), None) => Found::Miss(format!("changed:{step}"), None),
            (None, None) => Found::Miss("new_document".into(), None),
        };
    };
    let ok = record::sha256_hex(&blob) == sha;
    match DocRecord::decode(&blob) {
        Ok(rec) if ok && rec.steps == stored => Found::Reuse(k, Box::new(rec), bad),
        _ => Found::Miss("corrupt_entry".into(), Some(chain)),
    }
}

/// `claimgraph cache stats`: size and the last runs' hit rates.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub dir: String,
    pub entries: u64,
    /// Documents with at least one entry.
    pub documents: u64,
    /// Distinct step configurations stored.
    pub configurations: u64,
    /// Bytes of stored records (compressed).
    pub entry_bytes: u64,
    /// Bytes on disk (database and its write-ahead log).
    pub disk_bytes: u64,
    /// The most recent runs first.
    pub runs: Vec<RunLog>,
}

#[derive(Debug, Serialize)]
pub struct RunLog {
    /// Unix time the run finished.
    pub finished: i64,
    pub report: CacheReport,
}

/// Reads the cache's size and its last `last` runs.
pub fn stats(dir: &Path, last: usize) -> Result<Stats, CacheError> {
    let conn = open_existing(dir)?;
    let path = dir.join(DB_FILE);
    let sql = |source| CacheError::Sqlite { path: path.clone(), source };
    let (entries, documents, configurations, entry_bytes): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT content), count(DISTINCT chain), coalesce(sum(bytes), 0) FROM entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(sql)?;
    let mut st = conn.prepare("SELECT finished, report FROM runs ORDER BY id DESC LIMIT ?1").map_err(sql)?;
    let runs = st
        .query_map([last as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(sql)?
        .into_iter()
        .filter_map(|(finished, text)| serde_json::from_str(&text).ok().map(|report| RunLog { finished, report }))
        .collect();
    Ok(Stats {
        dir: dir.display().to_string(),
        entries: entries as u64,
        documents: documents as u64,
        configurations: configurations as u64,
        entry_bytes: entry_bytes as u64,
        disk_bytes: disk_bytes(dir),
        runs,
    })
}

/// Bytes of the database and its WAL and shared-memory files.
pub fn disk_bytes(dir: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(dir.join(format!("{DB_FILE}{s}"))).ok())
        .map(|m| m.len())
        .sum()
}
