//! Windows over a document's word pieces.
//!
//! The tagger reads a whole article as one sequence of words (the neighbouring sentences are
//! context: the model was trained that way), but the encoder takes at most `max_pieces`
//! positions. So an article is cut into word-aligned windows of at most `max_pieces - 2`
//! pieces (room for `[CLS]` and `[SEP]`), overlapping by about half a window, and every word
//! takes its labels from the window where its first piece is farthest from that window's
//! nearer edge: the most context on both sides. Ties go to the earlier window. This mirrors
//! `scripts/tagger_common.py`, so Python and Rust evaluate the same weights the same way.

use std::ops::Range;

/// A window: a range of words and the range of pieces they cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub words: Range<usize>,
    pub pieces: Range<usize>,
}

/// The piece offset of each word's first piece, then the total (`n + 1` entries; a word has at
/// least one piece).
fn first_pieces(piece_counts: &[usize]) -> Vec<usize> {
    let mut first = Vec::with_capacity(piece_counts.len() + 1);
    let mut acc = 0;
    for &c in piece_counts {
        first.push(acc);
        acc += c.max(1);
    }
    first.push(acc);
    first
}

/// Cuts `piece_counts` (pieces per word, each >= 1) into windows of at most `capacity` pieces.
///
/// A window starts at a word boundary; the next window starts at the first word whose first
/// piece lies at or after `start + stride` pieces (so consecutive windows overlap by about
/// `capacity - stride`), and always at least one word later so the loop ends. A single word
/// longer than `capacity` pieces gets a window of its own, truncated by the caller.
pub fn plan(piece_counts: &[usize], capacity: usize, stride: usize) -> Vec<Window> {
    let capacity = capacity.max(1);
    let stride = stride.clamp(1, capacity);
    let n = piece_counts.len();
    let first = first_pieces(piece_counts);

    let mut windows = Vec::new();
    let mut start = 0;
    while start < n {
        // Extend while the next word still fits.
        let mut end = start + 1;
        while end < n && first[end + 1] - first[start] <= capacity {
            end += 1;
        }
        windows.push(Window { words: start..end, pieces: first[start]..first[end] });
        if end == n {
            break;
        }
        let target = first[start] + stride;
        let mut next = start + 1;
        while next < end && first[next] < target {
            next += 1;
        }
        start = next;
    }
    windows
}

/// Cuts `piece_counts` into as few positions as give every word at least `context` pieces of
/// context on each side (except at the document's ends), in windows of at most `capacity`.
///
/// A document that fits is one window. Otherwise, with `P` pieces and overlap `2 * context`
/// (at most half the capacity), it takes `k = ceil((P - overlap) / (capacity - overlap))`
/// windows of about `len = ceil((P + (k - 1) * overlap) / k)` pieces each: the first starts at
/// word 0 and takes words while they fit in `len`; each next one starts at the last word whose
/// first piece lies at or before the previous window's end minus the overlap (and at least one
/// word later), so consecutive windows share at least `overlap` pieces; a window that can reach
/// the document's end within `capacity` does, and is the last. With [`assign`], a word near a
/// cut takes its labels from the window where it has `context` or more pieces on both sides.
/// Mirrored by `scripts/tagger_common.py` (`inference_windows`).
pub fn plan_context(piece_counts: &[usize], capacity: usize, context: usize) -> Vec<Window> {
    let capacity = capacity.max(1);
    let n = piece_counts.len();
    let first = first_pieces(piece_counts);
    let total = first[n];
    if n == 0 {
        return Vec::new();
    }
    let overlap = (2 * context).min(capacity / 2);
    let k = if total <= capacity { 1 } else { (total - overlap).div_ceil(capacity - overlap) };
    let len = (total + (k - 1) * overlap).div_ceil(k).min(capacity);
    let mut windows = Vec::new();
    let mut start = 0;
    while start < n {
        if first[n] - first[start] <= capacity {
            windows.push(Window { words: start..n, pieces: first[start]..first[n] });
            break;
        }
        let mut end = start + 1;
        while end < n && first[end + 1] - first[start] <= len {
            end += 1;
        }
        windows.push(Window { words: start..end, pieces: first[start]..first[end] });
        let target = first[end].saturating_sub(overlap);
        let mut next = start + 1;
        while next + 1 < end && first[next + 1] <= target {
            next += 1;
        }
        start = next;
    }
    windows
}

/// For each word, the index of the window it takes its labels from.
pub fn assign(piece_counts: &[usize], windows: &[Window]) -> Vec<usize> {
    let mut first = Vec::with_capacity(piece_counts.len());
    let mut acc = 0;
    for &c in piece_counts {
        first.push(acc);
        acc += c.max(1);
    }
    let mut best: Vec<(usize, Option<usize>)> = vec![(0, None); piece_counts.len()];
    for (wi, w) in windows.iter().enumerate() {
        for word in w.words.clone() {
            let p = first[word];
            let margin = (p - w.pieces.start).min(w.pieces.end.saturating_sub(p + 1));
            let slot = &mut best[word];
            if slot.1.is_none() || margin > slot.0 {
                *slot = (margin, Some(wi));
            }
        }
    }
    best.into_iter().map(|(_, w)| w.unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_document_is_one_window() {
        let w = plan(&[1, 2, 1], 126, 63);
        assert_eq!(w, vec![Window { words: 0..3, pieces: 0..4 }]);
        assert_eq!(assign(&[1, 2, 1], &w), vec![0, 0, 0]);
    }

    #[test]
    fn windows_cover_every_word_and_respect_capacity() {
        let counts: Vec<usize> = (0..500).map(|i| 1 + (i * 7 % 5)).collect();
        let ws = plan(&counts, 20, 10);
        for w in &ws {
            assert!(w.pieces.len() <= 20, "{w:?}");
        }
        let owner = assign(&counts, &ws);
        for (word, &wi) in owner.iter().enumerate() {
            assert!(ws[wi].words.contains(&word));
        }
        assert_eq!(ws.last().unwrap().words.end, counts.len());
        assert_eq!(ws[0].words.start, 0);
    }

    #[test]
    fn word_goes_to_the_window_where_it_is_central() {
        // 10 one-piece words, windows of 6 with stride 3: [0,6) [3,9) [6,10).
        let counts = vec![1; 10];
        let ws = plan(&counts, 6, 3);
        assert_eq!(ws.iter().map(|w| w.words.clone()).collect::<Vec<_>>(), vec![0..6, 3..9, 6..10]);
        let owner = assign(&counts, &ws);
        // Word 5: margin 0 in window 0 (last position), 2 in window 1.
        assert_eq!(owner[5], 1);
        // Word 1 only appears in window 0.
        assert_eq!(owner[1], 0);
        // Word 9: margin 0 in window 2 (its last), never in window 1.
        assert_eq!(owner[9], 2);
    }

    #[test]
    fn oversized_word_gets_its_own_window() {
        let ws = plan(&[3, 50, 2], 10, 5);
        assert!(ws.iter().any(|w| w.words == (1..2)));
        assert_eq!(assign(&[3, 50, 2], &ws).len(), 3);
    }

    #[test]
    fn context_plan_covers_with_the_promised_overlap() {
        for seed in 0..200usize {
            let n = 1 + (seed * 37) % 900;
            let counts: Vec<usize> = (0..n).map(|i| 1 + ((i * 31 + seed * 7) % 11 == 0) as usize * (i % 4)).collect();
            let ws = plan_context(&counts, 254, 24);
            assert_eq!(ws[0].words.start, 0);
            assert_eq!(ws.last().unwrap().words.end, n);
            for w in &ws {
                assert!(w.pieces.len() <= 254, "{w:?}");
            }
            for pair in ws.windows(2) {
                assert!(pair[0].words.start < pair[1].words.start);
                assert!(pair[1].pieces.start + 48 <= pair[0].pieces.end, "{pair:?}");
            }
            let owner = assign(&counts, &ws);
            for (word, &wi) in owner.iter().enumerate() {
                assert!(ws[wi].words.contains(&word));
            }
        }
    }

    #[test]
    fn context_plan_spends_few_positions() {
        // 1,000 one-piece words, windows of 254 with 24 pieces of context: k = ceil(952 / 206) = 5
        // windows of about ceil((1000 + 4 * 48) / 5) = 239 pieces.
        let ws = plan_context(&vec![1; 1000], 254, 24);
        assert_eq!(ws.len(), 5);
        let positions: usize = ws.iter().map(|w| w.pieces.len()).sum();
        assert!(positions <= 1000 + 4 * 48 + 20, "{positions}");
        assert_eq!(plan_context(&vec![1; 254], 254, 24).len(), 1);
        assert_eq!(plan_context(&vec![1; 255], 254, 24).len(), 2);
    }
}
