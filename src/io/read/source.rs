//! Byte sources: a file or stdin, hashed as it is read, decompressed on the fly.
//!
//! The SHA-256 and byte count in [`InputStats`](super::InputStats) are of the raw bytes as
//! stored (compressed, if the file is), so they identify the input file itself. Hashing happens
//! in a tap under the decoder; when a file ends early (a corrupt stream) the rest is drained
//! through the same tap so the hash still covers the whole file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Transparent decompression, chosen by the outer extension (or by magic bytes on stdin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Splits `name` into (name without `.gz`/`.zst`, compression). Case-insensitive.
    pub(crate) fn strip(name: &str) -> (&str, Compression) {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".gz") {
            (&name[..name.len() - 3], Compression::Gzip)
        } else if lower.ends_with(".zst") {
            (&name[..name.len() - 4], Compression::Zstd)
        } else {
            (name, Compression::None)
        }
    }

    /// Suffix for the `format` column of the input statistics.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => "+gzip",
            Compression::Zstd => "+zstd",
        }
    }

    /// How a decoding failure is described to the user.
    pub(crate) fn failure(self) -> &'static str {
        match self {
            Compression::None => "read error",
            Compression::Gzip => "corrupt gzip stream",
            Compression::Zstd => "corrupt zstd stream",
        }
    }
}

struct TapState {
    src: Box<dyn Read + Send>,
    hasher: Sha256,
    bytes: u64,
}

/// A raw byte source that hashes and counts everything read through it. Cloned handles
/// share the state: one goes under the decoder, one stays with the reader to finish up.
#[derive(Clone)]
pub(crate) struct Tap(Arc<Mutex<TapState>>);

impl Tap {
    pub(crate) fn new(src: Box<dyn Read + Send>) -> Tap {
        Tap(Arc::new(Mutex::new(TapState { src, hasher: Sha256::new(), bytes: 0 })))
    }

    pub(crate) fn open(path: &Path) -> io::Result<Tap> {
        Ok(Tap::new(Box::new(File::open(path)?)))
    }

    /// Reads whatever the decoder left unread (best effort: a read error just ends it) and
    /// returns (bytes, sha256 hex) of the whole source.
    pub(crate) fn finish(&self) -> (u64, String) {
        let mut st = lock(&self.0);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match st.src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    st.hasher.update(&buf[..n]);
                    st.bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let digest = std::mem::take(&mut st.hasher).finalize();
        (st.bytes, hex(&digest))
    }
}

impl Read for Tap {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut st = lock(&self.0);
        let n = st.src.read(buf)?;
        st.hasher.update(&buf[..n]);
        st.bytes += n as u64;
        Ok(n)
    }
}

fn lock(m: &Mutex<TapState>) -> std::sync::MutexGuard<'_, TapState> {
    // A panic while holding the lock cannot leave the state inconsistent in a way that
    // matters for hashing; keep going rather than propagate the poison.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The decoded byte stream of a tap, buffered.
pub(crate) fn decode(tap: Tap, compression: Compression) -> io::Result<Box<dyn BufRead + Send>> {
    const CAP: usize = 64 * 1024;
    Ok(match compression {
        Compression::None => Box::new(BufReader::with_capacity(CAP, tap)),
        // Multi-member: concatenated .gz files (`cat a.gz b.gz`) are one valid stream.
        Compression::Gzip => Box::new(BufReader::with_capacity(CAP, flate2::read::MultiGzDecoder::new(tap))),
        Compression::Zstd => Box::new(BufReader::with_capacity(CAP, zstd::stream::read::Decoder::new(tap)?)),
    })
}

/// Guesses the compression of a stream without a name (stdin) from its magic bytes.
pub(crate) fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// A `Read` that first replays bytes already peeked from a stream.
pub(crate) struct Replay<R> {
    head: Vec<u8>,
    pos: usize,
    rest: R,
}

impl<R: Read> Replay<R> {
    /// Peeks up to `n` bytes of `rest` (fewer at end of stream).
    pub(crate) fn peek(mut rest: R, n: usize) -> io::Result<Replay<R>> {
        let mut head = Vec::with_capacity(n);
        (&mut rest).take(n as u64).read_to_end(&mut head)?;
        Ok(Replay { head, pos: 0, rest })
    }
    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.rest.read(buf)
    }
}
