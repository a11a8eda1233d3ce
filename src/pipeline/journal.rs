//! The resume journal: every finished chunk's records, so that a killed run restarted with
//! `--resume` replays them instead of processing them again.
//!
//! A chunk is written to a temporary file and renamed into place once complete, so a chunk
//! file either holds the whole chunk or does not exist. On resume, the input is read again
//! in the same chunks; a journaled chunk is used only when it holds the same records (by
//! content hash) made by the same steps, else the chunk is processed again. The tables are
//! always written afresh from the records, which is what makes a resumed run's bytes equal
//! to an uninterrupted one's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::doc::Origin;
use crate::pipeline::record::{DocRecord, Steps, RECORD_VERSION};
use crate::pipeline::{out_err, PipelineError};

/// One input record of a chunk, as processed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)] // almost every slot is a document
pub enum Slot {
    Doc(DocRecord),
    /// A rejected record: its place and id, to check it is the same one on replay.
    Rejected {
        origin: Origin,
        doc_id: Option<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct ChunkFile {
    version: u32,
    slots: Vec<Slot>,
}

/// The journal folder of a run.
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// Opens the journal in `dir`: kept as it is when resuming, else emptied.
    pub fn open(dir: &Path, resume: bool) -> Result<Self, PipelineError> {
        if !resume && dir.exists() {
            std::fs::remove_dir_all(dir).map_err(out_err(dir))?;
        }
        std::fs::create_dir_all(dir).map_err(out_err(dir))?;
        Ok(Journal { dir: dir.to_path_buf() })
    }

    fn path(&self, chunk: usize) -> PathBuf {
        self.dir.join(format!("chunk-{chunk:08}.zst"))
    }

    /// The journaled slots of chunk `i`, when the file exists, reads back whole, and
    /// `matches` accepts them. Anything else means: process the chunk again.
    pub fn replay(&self, chunk: usize, matches: impl FnOnce(&[Slot]) -> bool) -> Option<Vec<Slot>> {
        let f = std::fs::File::open(self.path(chunk)).ok()?;
        let mut json = Vec::new();
        zstd::stream::read::Decoder::new(f).and_then(|mut d| d.read_to_end(&mut json)).ok()?;
        let file: ChunkFile = serde_json::from_slice(&json).ok()?;
        (file.version == RECORD_VERSION && matches(&file.slots)).then_some(file.slots)
    }

    /// Records chunk `i` (atomically: temp file, then rename).
    pub fn write(&self, chunk: usize, slots: Vec<Slot>) -> Result<(), PipelineError> {
        let path = self.path(chunk);
        let tmp = path.with_extension("tmp");
        let file = ChunkFile { version: RECORD_VERSION, slots };
        let f = std::fs::File::create(&tmp).map_err(out_err(&tmp))?;
        let mut z = zstd::stream::write::Encoder::new(f, 3).map_err(out_err(&tmp))?;
        serde_json::to_writer(&mut z, &file)
            .map_err(|e| PipelineError::Output { path: tmp.clone(), source: e.into() })?;
        let mut f = z.finish().map_err(out_err(&tmp))?;
        f.flush().map_err(out_err(&tmp))?;
        f.sync_data().map_err(out_err(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(out_err(&path))
    }
}

/// What the reader gave for one record of a chunk: a document's content hash, or a
/// rejection's place and id.
pub enum Fresh<'a> {
    Doc(&'a str),
    Rejected(&'a Origin, Option<&'a str>),
}

/// Whether journaled slots are the chunk just read: the same records in the same order, and
/// documents made by the current steps.
pub fn same_chunk(slots: &[Slot], fresh: &[Fresh], steps: &Steps) -> bool {
    slots.len() == fresh.len()
        && slots.iter().zip(fresh).all(|(s, f)| match (s, f) {
            (Slot::Doc(rec), Fresh::Doc(content)) => rec.content == *content && rec.steps == *steps,
            (Slot::Rejected { origin, doc_id }, Fresh::Rejected(o, id)) => origin == *o && doc_id.as_deref() == *id,
            _ => false,
        })
}
