//! Which confirmed records live in which pack of a device's store, and when packs are
//! worth compacting. The browser stores records many to a key (a pack, numbered in the
//! order written): a record written again goes into a newer pack and its copy in the older
//! one becomes garbage. This index only counts; the frontend's `storage` does the IO.

use crate::engine::ids::RecordId;
use crate::engine::record::Kind;
use std::collections::{BTreeMap, HashMap};

pub type Key = (Kind, RecordId);

/// Records per pack: past a few hundred, DEFLATE's 32 KB window gains nothing more, and
/// a pack is rewritten whole when compacted.
pub const PACK_RECORDS: usize = 500;
/// A pack holding fewer records than this is small: what one sync round wrote.
const SMALL: usize = PACK_RECORDS / 4;
/// Small packs tolerated before they are merged.
const MAX_SMALL: usize = 8;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Pack {
    stored: usize,
    /// Of those, records whose newest copy is here.
    live: usize,
}

#[derive(Clone, Debug, Default)]
pub struct PackIndex {
    packs: BTreeMap<u64, Pack>,
    home: HashMap<Key, u64>,
}

impl PackIndex {
    /// The number for a new pack: after every pack known.
    pub fn next_number(&self) -> u64 {
        self.packs.last_key_value().map_or(1, |(n, _)| n + 1)
    }

    /// Pack `n` was written (or read, in increasing `n`) holding `keys`: its copies are the
    /// newest. Writing a number again replaces what it held.
    pub fn wrote(&mut self, n: u64, keys: impl IntoIterator<Item = Key>) {
        if self.packs.contains_key(&n) {
            self.gone(n);
        }
        let mut pack = Pack::default();
        for key in keys {
            pack.stored += 1;
            pack.live += 1;
            if let Some(old) = self.home.insert(key, n) {
                if let Some(p) = self.packs.get_mut(&old) {
                    p.live = p.live.saturating_sub(1);
                }
                if old == n {
                    pack.live -= 1;
                }
            }
        }
        self.packs.insert(n, pack);
    }

    /// Pack `n` was deleted. Records whose newest copy it held are in no pack now.
    pub fn gone(&mut self, n: u64) {
        if self.packs.remove(&n).is_some() {
            self.home.retain(|_, home| *home != n);
        }
    }

    /// A record was dropped from the device (evicted): its copy is garbage.
    pub fn forget(&mut self, key: Key) {
        if let Some(n) = self.home.remove(&key) {
            if let Some(p) = self.packs.get_mut(&n) {
                p.live = p.live.saturating_sub(1);
            }
        }
    }

    pub fn clear(&mut self) {
        *self = PackIndex::default();
    }

    /// Whether pack `n` is known.
    pub fn holds(&self, n: u64) -> bool {
        self.packs.contains_key(&n)
    }

    /// How many packs are known.
    pub fn pack_count(&self) -> usize {
        self.packs.len()
    }

    pub fn home_of(&self, key: &Key) -> Option<u64> {
        self.home.get(key).copied()
    }

    /// The records whose newest copy is in pack `n`.
    pub fn live_in(&self, n: u64) -> Vec<Key> {
        self.home.iter().filter(|(_, home)| **home == n).map(|(k, _)| *k).collect()
    }

    /// Packs holding nothing live: delete them.
    pub fn empty(&self) -> Vec<u64> {
        self.packs.iter().filter(|(_, p)| p.live == 0).map(|(n, _)| *n).collect()
    }

    /// Records stored in all packs, garbage included, and those live.
    pub fn counts(&self) -> (usize, usize) {
        self.packs.values().fold((0, 0), |(s, l), p| (s + p.stored, l + p.live))
    }

    /// Packs to merge into new ones (their live records rewritten, then they are deleted),
    /// when enough small packs or garbage has built up; `None` while it has not. Garbage
    /// stays below about an eighth of what is live, or a pack's worth.
    pub fn compaction(&self) -> Option<Vec<u64>> {
        let small = self.packs.values().filter(|p| p.stored < SMALL).count();
        let (stored, live) = self.counts();
        let dead = stored - live;
        if small < MAX_SMALL && dead < PACK_RECORDS.max(live / 8) {
            return None;
        }
        let chosen: Vec<u64> = self
            .packs
            .iter()
            .filter(|(_, p)| p.live > 0 && (p.stored < SMALL || (p.stored - p.live) * 4 >= p.stored))
            .map(|(n, _)| *n)
            .collect();
        let has_dead = chosen.iter().any(|n| self.packs[n].live < self.packs[n].stored);
        (chosen.len() >= 2 || has_dead).then_some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u128) -> Key {
        (Kind::new("order"), RecordId(uuid::Uuid::from_u128(n)))
    }

    fn keys(range: std::ops::Range<u128>) -> Vec<Key> {
        range.map(key).collect()
    }

    #[test]
    fn a_record_written_again_leaves_garbage_in_its_old_pack() {
        let mut ix = PackIndex::default();
        ix.wrote(1, keys(0..10));
        assert_eq!(ix.next_number(), 2);
        ix.wrote(2, keys(5..7));
        assert_eq!(ix.counts(), (12, 10));
        assert_eq!(ix.home_of(&key(5)), Some(2));
        assert_eq!(ix.home_of(&key(4)), Some(1));
        let mut live = ix.live_in(1);
        crate::sort::sort(&mut live);
        assert_eq!(live.len(), 8);
        ix.wrote(3, keys(0..10));
        assert_eq!(ix.empty(), vec![1, 2]);
        ix.gone(1);
        ix.gone(2);
        assert_eq!(ix.counts(), (10, 10));
        assert_eq!(ix.home_of(&key(9)), Some(3));
    }

    #[test]
    fn a_pack_rewritten_under_its_own_number_counts_once() {
        let mut ix = PackIndex::default();
        ix.wrote(1, keys(0..4));
        ix.wrote(1, keys(0..3));
        assert_eq!(ix.counts(), (3, 3));
        assert_eq!(ix.home_of(&key(3)), None);
    }

    #[test]
    fn evicted_records_are_garbage_and_a_deleted_pack_homes_nothing() {
        let mut ix = PackIndex::default();
        ix.wrote(1, keys(0..4));
        ix.forget(key(0));
        assert_eq!(ix.counts(), (4, 3));
        ix.gone(1);
        assert_eq!(ix.home_of(&key(1)), None);
        assert_eq!(ix.counts(), (0, 0));
        assert_eq!(ix.next_number(), 1);
    }

    #[test]
    fn full_packs_from_a_first_sync_need_no_compaction() {
        let mut ix = PackIndex::default();
        for n in 0..20u64 {
            let start = u128::from(n) * PACK_RECORDS as u128;
            ix.wrote(n + 1, keys(start..start + PACK_RECORDS as u128));
        }
        assert_eq!(ix.compaction(), None);
    }

    #[test]
    fn many_small_rounds_are_merged() {
        let mut ix = PackIndex::default();
        ix.wrote(1, keys(0..PACK_RECORDS as u128));
        for n in 0..MAX_SMALL as u128 {
            assert_eq!(ix.compaction(), None, "after {n} small packs");
            ix.wrote(2 + n as u64, keys(10_000 + n * 3..10_000 + n * 3 + 3));
        }
        let chosen = ix.compaction().unwrap();
        assert_eq!(chosen.len(), MAX_SMALL, "the small packs, not the full one: {chosen:?}");
        assert!(!chosen.contains(&1));
    }

    #[test]
    fn garbage_past_a_pack_s_worth_rewrites_the_packs_it_is_in() {
        let mut ix = PackIndex::default();
        for n in 0..4u64 {
            let start = u128::from(n) * PACK_RECORDS as u128;
            ix.wrote(n + 1, keys(start..start + PACK_RECORDS as u128));
        }
        // Approvals move 60% of pack 1 and pack 2 into later packs, one big round each.
        let moved = (PACK_RECORDS * 6 / 10) as u128;
        ix.wrote(5, keys(0..moved));
        assert_eq!(ix.compaction(), None);
        let start = PACK_RECORDS as u128;
        ix.wrote(6, keys(start..start + moved));
        let chosen = ix.compaction().unwrap();
        assert_eq!(chosen, vec![1, 2]);
    }
}
