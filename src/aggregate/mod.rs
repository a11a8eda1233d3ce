//! The barrier: what needs the whole corpus. Each index accumulates compact per-document
//! records (never whole documents) and can be merged with another, so shards can be processed
//! apart and combined.

pub mod entities;
pub mod facts;
