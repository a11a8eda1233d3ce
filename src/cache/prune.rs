//! `claimgraph cache prune`: keeps the cache bounded, dropping entries not used for a while
//! and then the least recently used ones until the entries fit a size.

use std::path::Path;

use serde::Serialize;

use super::{disk_bytes, now, open_existing, CacheError, DB_FILE};

/// What to drop.
#[derive(Debug, Clone, Copy, Default)]
pub struct PruneRule {
    /// Keep at most this many bytes of entries (least recently used go first).
    pub max_bytes: Option<u64>,
    /// Drop entries no run has used for this many days.
    pub unused_for_days: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Pruned {
    pub removed: u64,
    pub kept: u64,
    pub disk_bytes_before: u64,
    pub disk_bytes_after: u64,
}

/// Applies `rule` to the cache in `dir`, then compacts the file.
pub fn prune(dir: &Path, rule: PruneRule) -> Result<Pruned, CacheError> {
    let conn = open_existing(dir)?;
    let path = dir.join(DB_FILE);
    let sql = |source| CacheError::Sqlite { path: path.clone(), source };
    let before = disk_bytes(dir);
    let mut removed = 0u64;
    if let Some(days) = rule.unused_for_days {
        let cutoff = now() - (days * 86_400.0) as i64;
        removed += conn.execute("DELETE FROM entries WHERE used < ?1", [cutoff]).map_err(sql)? as u64;
    }
    if let Some(max) = rule.max_bytes {
        // The newest entries that fit, by a running sum over last use (newest first; ties by
        // key, so the choice does not depend on storage order).
        removed += conn
            .execute(
                "DELETE FROM entries WHERE rowid IN (
                     SELECT rowid FROM (
                         SELECT rowid, sum(bytes) OVER (ORDER BY used DESC, content, chain) AS total
                         FROM entries)
                     WHERE total > ?1)",
                [max as i64],
            )
            .map_err(sql)? as u64;
    }
    let kept: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0)).map_err(sql)?;
    conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);").map_err(sql)?;
    drop(conn);
    Ok(Pruned { removed, kept: kept as u64, disk_bytes_before: before, disk_bytes_after: disk_bytes(dir) })
}

/// Parses a size: bytes, or a number with K, M, G or T (powers of 1024; a trailing B or iB
/// is allowed): `500M`, `2G`, `1.5GiB`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        Some('T') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let n: f64 = num.trim().parse().map_err(|_| format!("'{s}' is not a size (e.g. 500M, 2G, 1048576)"))?;
    if !(n >= 0.0 && n.is_finite()) {
        return Err(format!("'{s}' is not a size (e.g. 500M, 2G, 1048576)"));
    }
    Ok((n * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1048576").unwrap(), 1 << 20);
        assert_eq!(parse_size("500M").unwrap(), 500 << 20);
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size("10k").unwrap(), 10 << 10);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1M").is_err());
    }
}
