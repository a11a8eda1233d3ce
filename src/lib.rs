//! claimgraph turns dumps of news articles into a dataset analysts can query: the entities in
//! them, who said what, the relations the text states, and the facts across outlets.
//!
//! The pipeline, in the order the data flows (each step is a folder):
//!
//! 1. [`io`] reads records (JSONL, CSV/TSV, text folders, compressed, stdin) into
//!    [`doc::Document`]s, rejecting bad records with a reason instead of stopping.
//! 2. [`stages::segment`] splits sentences and words (byte spans into the text).
//! 3. [`model`] tags every word with NER, part of speech and phrase chunk, in one pass of a
//!    MiniLM encoder with three heads, over windows of whole articles, batched across them.
//! 4. [`stages::entities`] decodes typed mentions, adds dates/money/quantities by rule, and links
//!    mentions of one entity within an article into chains.
//! 5. [`stages::statements`] and [`stages::relations`] find who said what and the relations
//!    the text states, with polarity, hedging and evidence.
//! 6. [`aggregate`] is the one barrier: canonical entities across the corpus, then facts with
//!    their sources, and conflicts between sources.
//! 7. [`dataset`] turns all of it into the tables of `docs/SCHEMA.md`, written by [`io`] as
//!    JSONL, CSV or Parquet.
//!
//! [`pipeline`] runs the steps over chunks of documents (rayon within a chunk), so memory does
//! not grow with the corpus.
//!
//! Re-runs build on one serialized form of a processed document
//! ([`pipeline::record::DocRecord`]): the [`cache`] keeps it between runs so only changed steps
//! run again, the resume journal ([`pipeline::journal`]) replays it after a crash, and [`diff`]
//! says what changed between two runs' datasets.
//!
//! [`report`] turns a finished run into one self-contained HTML page for analysts.

pub mod aggregate;
pub mod cache;
pub mod cli;
pub mod dataset;
pub mod diff;
pub mod doc;
pub mod io;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod stages;
