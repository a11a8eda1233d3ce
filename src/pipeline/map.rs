//! The per-document half of the pipeline, before the barrier: records are read in chunks, each
//! document runs through every per-document step (from the cache or the resume journal where
//! they hold), and each chunk goes, in input order, to a [`Sink`]: the [`super::merge::Merger`]
//! in `claimgraph run`, a shard file in `claimgraph map` ([`super::shard::ShardWriter`]).
//!
//! A document that makes a stage panic, or a chunk the tagger fails on, stops the run with an
//! error naming the record (or the records of the chunk): a scheduler that runs `map` shows
//! which record broke a task.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use crate::cache::{Cache, CacheError, CacheReport};
use crate::doc::{Document, Origin};
use crate::io::{Reader, Record, Rejection};
use crate::model::Tagger;
use crate::stages::StageSet;

use super::journal::{same_chunk, Fresh, Journal, Slot};
use super::manifest::{Progress, ResumeInfo, Timings};
use super::record::{self, DocRecord, Steps};
use super::PipelineError;

/// One input record after the per-document steps, with the position of its input.
#[allow(clippy::large_enum_variant)] // almost every record is a document
pub enum Mapped {
    Doc {
        input: u32,
        /// [`record::content_hash`] of the input record.
        content: String,
        doc: Document,
    },
    Rejected {
        input: u32,
        rejection: Rejection,
    },
}

/// Where a record sits in the input: the position of its input, then its file and line. Every
/// record has its own, and input order is this order (files of a directory are read sorted by
/// path, lines in order), which is how `merge` puts shards back in input order.
pub type Place<'a> = (u32, &'a str, Option<u64>);

impl Mapped {
    pub fn origin(&self) -> &Origin {
        match self {
            Mapped::Doc { doc, .. } => &doc.origin,
            Mapped::Rejected { rejection, .. } => &rejection.origin,
        }
    }

    pub fn place(&self) -> Place<'_> {
        let input = match self {
            Mapped::Doc { input, .. } | Mapped::Rejected { input, .. } => *input,
        };
        let o = self.origin();
        (input, &o.file, o.line)
    }
}

/// Where mapped chunks go, in input order.
pub trait Sink {
    fn take(&mut self, chunk: Vec<Mapped>) -> Result<(), PipelineError>;
}

/// How the per-document half runs.
pub struct MapSettings<'a> {
    pub chunk_size: usize,
    /// Reuse processed documents from this cache folder (see [`crate::cache`]).
    pub cache: Option<&'a Path>,
    /// Journal every chunk here, and replay the journaled chunks that match (`--resume`).
    pub journal: Option<&'a Journal>,
    pub progress: &'a Progress,
    pub started: Instant,
}

/// What the per-document half did.
#[derive(Default)]
pub struct MapReport {
    pub records: u64,
    pub ok: u64,
    pub rejected: u64,
    pub words: u64,
    pub cache: Option<CacheReport>,
    pub resume: ResumeInfo,
    pub notes: Vec<String>,
    pub timings: Timings,
}

/// The cache is an optimization: when it fails (a damaged database file, a full disk), the run
/// goes on without it and says so once.
fn cache_or_not<T>(
    cache: &mut Option<Cache>,
    notes: &mut Vec<String>,
    result: Option<Result<T, CacheError>>,
) -> Option<T> {
    match result? {
        Ok(x) => Some(x),
        Err(e) => {
            notes.push(format!("running without the cache from here on: {e}"));
            *cache = None;
            None
        }
    }
}

fn open_cache(dir: Option<&Path>, notes: &mut Vec<String>) -> Option<Cache> {
    match dir.map(Cache::open)? {
        Ok((c, note)) => {
            notes.extend(note);
            Some(c)
        }
        Err(e) => {
            notes.push(format!("running without the cache: {e}"));
            None
        }
    }
}

/// What a panic said.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast_ref::<&str>().map(|s| s.to_string()).unwrap_or_else(|| "panic".into()),
    }
}

fn place_of(o: &Origin) -> String {
    match o.line {
        Some(l) => format!("{}:{l}", o.file),
        None => o.file.clone(),
    }
}

/// Runs `step` over one document, turning a panic into an error that names the record.
fn guarded(d: &mut Document, step: impl FnOnce(&mut Document)) -> Result<(), PipelineError> {
    catch_unwind(AssertUnwindSafe(|| step(&mut *d))).map_err(|p| PipelineError::Record {
        place: place_of(&d.origin),
        id: d.id.clone(),
        message: panic_message(p),
    })
}

/// Runs the stages after the tagger that `docs[i]` does not hold yet (`from[i]` steps of
/// [`Steps`] are done), each document on its own (rayon).
pub(crate) fn run_after_tagging(docs: &mut [Document], from: &[usize], stages: &StageSet) -> Result<(), PipelineError> {
    // Steps before the first stage after the tagger: the stages before it, and the tagger.
    let skip = stages.before.len() + 1;
    docs.par_iter_mut().zip(from).try_for_each(|(d, &k)| {
        guarded(d, |d| {
            for s in &stages.after[k.saturating_sub(skip).min(stages.after.len())..] {
                for &a in s.assigns() {
                    record::clear(d, a);
                }
                s.process(d);
            }
        })
    })
}

/// Tags `docs` in one batched call; a failure names the records of the batch.
fn tag(docs: &mut [Document], tagger: &mut Tagger) -> Result<(), PipelineError> {
    let (first, last) = match (docs.first(), docs.last()) {
        (Some(a), Some(b)) => (place_of(&a.origin), place_of(&b.origin)),
        _ => return Ok(()),
    };
    let failed = |message: String| PipelineError::Tagging { first: first.clone(), last: last.clone(), message };
    match catch_unwind(AssertUnwindSafe(|| tagger.tag(docs))) {
        Ok(result) => result.map_err(|e| failed(e.to_string())),
        Err(p) => Err(failed(panic_message(p))),
    }
}

/// Runs the per-document steps a document does not hold yet: `from[i]` of
/// [`Steps`] are done for `docs[i]` (0: none; the tagger runs over those documents only, in one
/// batched call).
fn process(
    docs: &mut [Document],
    from: &[usize],
    tagger: &mut Tagger,
    stages: &StageSet,
    timings: &mut Timings,
) -> Result<(), PipelineError> {
    let t = Instant::now();
    docs.par_iter_mut()
        .zip(from)
        .filter(|(_, k)| **k == 0)
        .try_for_each(|(d, _)| guarded(d, |d| stages.before_tagging(d)))?;
    timings.segment += t.elapsed().as_secs_f64();

    let t = Instant::now();
    let fresh: Vec<usize> = (0..docs.len()).filter(|&i| from[i] == 0).collect();
    if !fresh.is_empty() {
        let mut batch: Vec<Document> = fresh.iter().map(|&i| std::mem::take(&mut docs[i])).collect();
        let tagged = tag(&mut batch, tagger);
        for (&i, d) in fresh.iter().zip(batch) {
            docs[i] = d;
        }
        tagged?;
    }
    timings.tag += t.elapsed().as_secs_f64();

    let t = Instant::now();
    run_after_tagging(docs, from, stages)?;
    timings.extract += t.elapsed().as_secs_f64();
    Ok(())
}

/// One chunk as read: its documents, and for each record its input and either its
/// document's index or its rejection.
struct Chunk {
    docs: Vec<Document>,
    slots: Vec<(u32, Result<usize, Rejection>)>,
}

fn read_chunk(reader: &mut Reader, size: usize) -> Chunk {
    let mut chunk = Chunk { docs: Vec::new(), slots: Vec::new() };
    while chunk.slots.len() < size.max(1) {
        let Some(rec) = reader.next() else { break };
        let input = reader.last_input();
        match rec {
            Record::Doc(d) => {
                chunk.slots.push((input, Ok(chunk.docs.len())));
                chunk.docs.push(d);
            }
            Record::Rejected(r) => chunk.slots.push((input, Err(r))),
        }
    }
    chunk
}

/// Takes the chunk's documents from the journal when it holds them (same records, same
/// steps): `true` when it did.
fn replay(journal: &Journal, chunk_no: usize, chunk: &mut Chunk, contents: &[String], steps: &Steps) -> bool {
    let fresh: Vec<Fresh> = chunk
        .slots
        .iter()
        .map(|(_, s)| match s {
            Ok(i) => Fresh::Doc(&contents[*i]),
            Err(r) => Fresh::Rejected(&r.origin, r.doc_id.as_deref()),
        })
        .collect();
    let Some(journaled) = journal.replay(chunk_no, |j| same_chunk(j, &fresh, steps)) else { return false };
    let done = journaled.into_iter().filter_map(|s| match s {
        Slot::Doc(rec) => Some(rec.doc),
        Slot::Rejected { .. } => None,
    });
    for (d, rec) in chunk.docs.iter_mut().zip(done) {
        let origin = std::mem::take(&mut d.origin);
        *d = rec;
        d.origin = origin;
    }
    true
}

fn journal_chunk(
    journal: &Journal,
    chunk_no: usize,
    chunk: &Chunk,
    contents: &[String],
    steps: &Steps,
) -> Result<(), PipelineError> {
    let js: Vec<Slot> = chunk
        .slots
        .iter()
        .map(|(_, s)| match s {
            Ok(i) => Slot::Doc(DocRecord::new(contents[*i].clone(), steps.clone(), chunk.docs[*i].clone())),
            Err(r) => Slot::Rejected { origin: r.origin.clone(), doc_id: r.doc_id.clone() },
        })
        .collect();
    journal.write(chunk_no, js)
}

/// Runs every per-document step over the records of `reader` and hands them to `sink`, chunk
/// by chunk, in input order.
pub fn map_records(
    reader: &mut Reader,
    tagger: &mut Tagger,
    stages: &StageSet,
    settings: &MapSettings,
    sink: &mut dyn Sink,
) -> Result<MapReport, PipelineError> {
    let mut report = MapReport::default();
    let timings = &mut report.timings;
    let mut cache = open_cache(settings.cache, &mut report.notes);
    let steps = Steps::of(tagger, stages);
    for chunk_no in 0.. {
        let t = Instant::now();
        let mut chunk = read_chunk(reader, settings.chunk_size);
        timings.read += t.elapsed().as_secs_f64();
        if chunk.slots.is_empty() {
            break;
        }
        let contents: Vec<String> = chunk.docs.par_iter().map(record::content_hash).collect();
        let t = Instant::now();
        let replayed = settings.journal.is_some_and(|j| replay(j, chunk_no, &mut chunk, &contents, &steps));
        timings.read += t.elapsed().as_secs_f64();
        if replayed {
            report.resume.chunks_replayed += 1;
            report.resume.documents_replayed += chunk.docs.len() as u64;
        } else {
            let reused = cache.as_mut().map(|c| c.reuse(&mut chunk.docs, &contents, &steps));
            let from = cache_or_not(&mut cache, &mut report.notes, reused).unwrap_or_else(|| vec![0; chunk.docs.len()]);
            process(&mut chunk.docs, &from, tagger, stages, timings)?;
            let stored = cache.as_mut().map(|c| c.store(&chunk.docs, &contents, &steps, &from));
            cache_or_not(&mut cache, &mut report.notes, stored);
            if let Some(j) = settings.journal {
                let t = Instant::now();
                journal_chunk(j, chunk_no, &chunk, &contents, &steps)?;
                timings.write += t.elapsed().as_secs_f64();
            }
        }
        report.records += chunk.slots.len() as u64;
        report.ok += chunk.docs.len() as u64;
        report.rejected += (chunk.slots.len() - chunk.docs.len()) as u64;
        report.words += chunk.docs.iter().map(|d| d.word_count() as u64).sum::<u64>();
        let mut docs: Vec<Option<(String, Document)>> = contents.into_iter().zip(chunk.docs).map(Some).collect();
        let mapped = chunk
            .slots
            .into_iter()
            .map(|(input, s)| match s {
                Ok(i) => {
                    let (content, doc) = docs[i].take().expect("each document has one slot");
                    Mapped::Doc { input, content, doc }
                }
                Err(rejection) => Mapped::Rejected { input, rejection },
            })
            .collect();
        sink.take(mapped)?;
        settings.progress.update(report.records, report.words, settings.started.elapsed().as_secs_f64());
    }
    let finished = cache.map(Cache::finish);
    report.cache = cache_or_not(&mut None, &mut report.notes, finished);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::stage::{Annotation, Stage};

    /// A stage that breaks on one document.
    struct Breaks;
    impl Stage for Breaks {
        fn name(&self) -> &'static str {
            "breaks"
        }
        fn fingerprint(&self) -> String {
            "breaks-1".into()
        }
        fn requires(&self) -> &'static [Annotation] {
            &[]
        }
        fn assigns(&self) -> &'static [Annotation] {
            &[]
        }
        fn process(&self, doc: &mut Document) {
            if doc.text.contains("boom") {
                panic!("cannot handle this text");
            }
        }
    }

    #[test]
    fn a_document_that_breaks_a_stage_is_named_in_the_error() {
        let mut stages = StageSet::new(None).unwrap();
        stages.after = vec![Box::new(Breaks)];
        let mut docs: Vec<Document> = ["fine", "boom here", "fine too"]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut d = Document::new(format!("d{i}"), *t);
                d.origin = Origin { file: "in.jsonl".into(), line: Some(i as u64 + 1) };
                d
            })
            .collect();
        let err = run_after_tagging(&mut docs, &[0, 0, 0], &stages).unwrap_err().to_string();
        assert!(err.contains("in.jsonl:2") && err.contains("'d1'") && err.contains("cannot handle this text"), "{err}");
        let mut fine = vec![Document::new("ok", "fine")];
        run_after_tagging(&mut fine, &[0], &stages).unwrap();
    }
}
