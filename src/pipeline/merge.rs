//! The barrier half of the pipeline: mapped records in, the dataset out.
//!
//! The [`Merger`] takes records in input order (from [`super::map::map_records`] in
//! `claimgraph run`, from shards put back in input order in `claimgraph merge`): it rejects an
//! id seen before (naming where it was first seen, exactly as the reader does within one
//! process), writes `documents`/`errors` rows at once, spills annotation rows (chain keys in
//! place of entity ids) to the work folder, and feeds the aggregation indexes. [`Merger::finish`]
//! is the barrier: canonical entities, the spilled rows' keys resolved while they are copied to
//! their final format, facts, conflicts, and every table renamed into the output folder.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::aggregate::entities::{AliasTable, EntityIndex};
use crate::aggregate::facts::FactIndex;
use crate::dataset::{self, DocRows};
use crate::doc::Origin;
use crate::io::{duplicate_reason, Format, Rejection, TableSpec, TableWriter};

use super::manifest::{Counts, Timings};
use super::map::{Mapped, Sink};
use super::{out_err, PipelineError};

/// A spill file: annotation rows as JSONL, keys unresolved, read back after the barrier.
struct Spill {
    path: PathBuf,
    out: BufWriter<File>,
    spec: TableSpec,
}

impl Spill {
    fn create(dir: &Path, spec: TableSpec) -> Result<Self, PipelineError> {
        let path = dir.join(format!("{}.jsonl", spec.name));
        let f = File::create(&path).map_err(out_err(&path))?;
        Ok(Spill { path, out: BufWriter::new(f), spec })
    }
    fn write(&mut self, row: &Value) -> Result<(), PipelineError> {
        serde_json::to_writer(&mut self.out, row)
            .map_err(|e| PipelineError::Output { path: self.path.clone(), source: e.into() })?;
        self.out.write_all(b"\n").map_err(out_err(&self.path))
    }
    /// Copies the spilled rows into the final table, resolving chain keys.
    fn finish(
        mut self,
        tables: &Path,
        format: Format,
        entity_of: &dyn Fn(&str) -> Option<String>,
    ) -> Result<u64, PipelineError> {
        self.out.flush().map_err(out_err(&self.path))?;
        drop(self.out);
        let mut w = TableWriter::create(tables, self.spec, format)?;
        let f = File::open(&self.path).map_err(out_err(&self.path))?;
        let mut rows = 0;
        for line in BufReader::new(f).lines() {
            let line = line.map_err(out_err(&self.path))?;
            let mut row: Value = serde_json::from_str(&line)
                .map_err(|e| PipelineError::Output { path: self.path.clone(), source: e.into() })?;
            dataset::resolve_keys(&mut row, entity_of);
            w.write(&row)?;
            rows += 1;
        }
        w.finish()?;
        std::fs::remove_file(&self.path).map_err(out_err(&self.path))?;
        Ok(rows)
    }
}

/// The tables of a run, written in the work folder and renamed into the output folder once all
/// are complete, so a killed run never leaves a half-written table looking finished.
struct Staging {
    dir: PathBuf,
    names: Vec<&'static str>,
}

impl Staging {
    fn create(&mut self, spec: TableSpec, format: Format) -> Result<TableWriter, PipelineError> {
        self.names.push(spec.name);
        Ok(TableWriter::create(&self.dir, spec, format)?)
    }
    fn publish(&self, out_dir: &Path, format: Format) -> Result<(), PipelineError> {
        for name in &self.names {
            let file = format!("{name}.{}", format.extension());
            let to = out_dir.join(&file);
            std::fs::rename(self.dir.join(&file), &to).map_err(out_err(&to))?;
        }
        Ok(())
    }
}

/// Ids accepted so far, as 64-bit hashes (the reader's map, for the same reasons), with the
/// place each was first seen.
#[derive(Default)]
struct Seen {
    first: HashMap<u64, (u32, Option<u64>)>,
    files: Vec<String>,
    file_ids: HashMap<String, u32>,
}

impl Seen {
    /// `None` when `id` is new (and now seen at `at`), else the place it was first seen.
    fn check(&mut self, id: &str, at: &Origin) -> Option<Origin> {
        let mut h = DefaultHasher::new(); // fixed keys: the same on every run
        id.hash(&mut h);
        if let Some(&(f, line)) = self.first.get(&h.finish()) {
            return Some(Origin { file: self.files[f as usize].clone(), line });
        }
        let f = match self.file_ids.get(&at.file) {
            Some(&f) => f,
            None => {
                self.files.push(at.file.clone());
                let f = (self.files.len() - 1) as u32;
                self.file_ids.insert(at.file.clone(), f);
                f
            }
        };
        self.first.insert(h.finish(), (f, at.line));
        None
    }
}

/// What the barrier gives back.
pub struct Merged {
    pub counts: Counts,
    pub words: u64,
    pub timings: Timings,
}

/// The tables being written, and the indexes of the barrier; see the module docs.
pub struct Merger {
    staging: Staging,
    format: Format,
    with_tokens: bool,
    documents: TableWriter,
    errors: TableWriter,
    sentences: Option<TableWriter>,
    mentions: Spill,
    statements: Spill,
    relations: Spill,
    entity_index: EntityIndex,
    fact_index: FactIndex,
    seen: Seen,
    counts: Counts,
    words: u64,
    timings: Timings,
}

impl Merger {
    /// Starts the tables in `work/tables` (emptied first) and the spills in `work`.
    pub fn create(work: &Path, format: Format, with_tokens: bool) -> Result<Self, PipelineError> {
        let tables = work.join("tables");
        if tables.exists() {
            std::fs::remove_dir_all(&tables).map_err(out_err(&tables))?;
        }
        std::fs::create_dir_all(&tables).map_err(out_err(&tables))?;
        let mut staging = Staging { dir: tables, names: Vec::new() };
        let documents = staging.create(dataset::documents_spec(), format)?;
        let errors = staging.create(dataset::errors_spec(), format)?;
        let sentences = if with_tokens { Some(staging.create(dataset::sentences_spec(), format)?) } else { None };
        Ok(Merger {
            format,
            with_tokens,
            documents,
            errors,
            sentences,
            mentions: Spill::create(work, dataset::mentions_spec())?,
            statements: Spill::create(work, dataset::statements_spec())?,
            relations: Spill::create(work, dataset::relations_spec())?,
            staging,
            entity_index: EntityIndex::new(),
            fact_index: FactIndex::new(),
            seen: Seen::default(),
            counts: Counts::default(),
            words: 0,
            timings: Timings::default(),
        })
    }

    /// A document whose id was accepted before becomes a rejection.
    fn dedup(&mut self, m: Mapped) -> Mapped {
        let Mapped::Doc { input, doc, .. } = &m else { return m };
        let Some(first) = self.seen.check(&doc.id, &doc.origin) else { return m };
        let reason = duplicate_reason(&doc.id, &first);
        let rejection = Rejection { origin: doc.origin.clone(), doc_id: Some(doc.id.clone()), reason };
        Mapped::Rejected { input: *input, rejection }
    }

    fn write(&mut self, m: &Mapped, rows: Option<&DocRows>) -> Result<(), PipelineError> {
        match (m, rows) {
            (Mapped::Doc { doc: d, .. }, Some(r)) => {
                self.counts.ok += 1;
                self.words += d.word_count() as u64;
                self.documents.write(&dataset::document_row(d))?;
                for (spill, rows) in [
                    (&mut self.mentions, &r.mentions),
                    (&mut self.statements, &r.statements),
                    (&mut self.relations, &r.relations),
                ] {
                    for row in rows {
                        spill.write(row)?;
                    }
                }
                if let Some(w) = self.sentences.as_mut() {
                    for row in &r.sentences {
                        w.write(row)?;
                    }
                }
                self.entity_index.add(d);
                self.fact_index.add(d);
            }
            (Mapped::Rejected { rejection: rej, .. }, _) => {
                self.counts.rejected += 1;
                let id = rej.doc_id.as_deref();
                self.documents.write(&dataset::rejected_document_row(&rej.origin, id, &rej.reason))?;
                self.errors.write(&dataset::error_row(&rej.origin, id, &rej.reason))?;
            }
            (Mapped::Doc { .. }, None) => unreachable!("every document has its rows"),
        }
        Ok(())
    }

    /// The barrier; the tables end up in `out_dir`.
    pub fn finish(mut self, aliases: &AliasTable, out_dir: &Path) -> Result<Merged, PipelineError> {
        let t = Instant::now();
        let (format, tables) = (self.format, self.staging.dir.clone());
        let canon = self.entity_index.finish_with(aliases);
        let entity_of = |k: &str| canon.entity_of(k).map(str::to_string);
        let mut ent_w = self.staging.create(dataset::entities_spec(), format)?;
        for e in canon.entities() {
            ent_w.write(&serde_json::to_value(e).expect("entity records serialize"))?;
        }
        let counts = &mut self.counts;
        counts.entities = ent_w.finish()?.rows;
        for (spill, count) in [
            (self.mentions, &mut counts.mentions),
            (self.statements, &mut counts.statements),
            (self.relations, &mut counts.relations),
        ] {
            self.staging.names.push(spill.spec.name);
            *count = spill.finish(&tables, format, &entity_of)?;
        }
        let names: HashMap<&str, &str> =
            canon.entities().iter().map(|e| (e.entity_id.as_str(), e.name.as_str())).collect();
        let name_of = |id: &str| names.get(id).map(|n| n.to_string());
        let (facts, conflicts) = self.fact_index.finish(&entity_of);
        let mut facts_w = self.staging.create(dataset::facts_spec(), format)?;
        for f in &facts {
            let mut v = serde_json::to_value(f).expect("fact records serialize");
            dataset::add_names(&mut v, &name_of);
            facts_w.write(&v)?;
        }
        counts.facts = facts_w.finish()?.rows;
        let mut conf_w = self.staging.create(dataset::conflicts_spec(), format)?;
        for c in &conflicts {
            let mut v = serde_json::to_value(c).expect("conflict records serialize");
            dataset::add_names(&mut v, &name_of);
            conf_w.write(&v)?;
        }
        counts.conflicts = conf_w.finish()?.rows;
        self.timings.aggregate += t.elapsed().as_secs_f64();

        self.documents.finish()?;
        self.errors.finish()?;
        if let Some(w) = self.sentences {
            w.finish()?;
        }
        self.staging.publish(out_dir, format)?;
        counts.records = counts.ok + counts.rejected;
        Ok(Merged { counts: self.counts, words: self.words, timings: self.timings })
    }
}

impl Sink for Merger {
    fn take(&mut self, chunk: Vec<Mapped>) -> Result<(), PipelineError> {
        let t = Instant::now();
        let chunk: Vec<Mapped> = chunk.into_iter().map(|m| self.dedup(m)).collect();
        let with_tokens = self.with_tokens;
        let rows: Vec<Option<DocRows>> = chunk
            .par_iter()
            .map(|m| match m {
                Mapped::Doc { doc, .. } => Some(dataset::doc_rows(doc, with_tokens)),
                Mapped::Rejected { .. } => None,
            })
            .collect();
        self.timings.extract += t.elapsed().as_secs_f64();
        let t = Instant::now();
        for (m, r) in chunk.iter().zip(&rows) {
            self.write(m, r.as_ref())?;
        }
        self.timings.write += t.elapsed().as_secs_f64();
        Ok(())
    }
}
