//! One stable sort for the whole codebase.
//!
//! The standard library's `sort_by` is compiled afresh for every element type and every
//! comparison closure, a few kilobytes each: it was a sixth of the browser app's code
//! (docs/benchmarks.md). These functions sort positions (`usize`) through one comparison
//! behind `&dyn`, so the library's sort is compiled once, then move the elements into
//! that order. Same results as `slice::sort_by`: stable, ties keep their order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `v` stably by `cmp`, like `slice::sort_by`.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let order = {
        let v = &*v;
        positions(v.len(), &|a, b| cmp(&v[a], &v[b]))
    };
    permute(v, order);
}

/// Sorts `v` stably by a key, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order, like `slice::sort`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Collects pairs into a map, like `collect()` (a later pair replaces an earlier one with
/// the same key), by inserting them one by one: std's `FromIterator` sorts them first with
/// a sort compiled for each key and value type.
pub fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

/// Collects items into a set, like `collect()`, without std's per-type sort (see [`map_of`]).
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for t in items {
        set.insert(t);
    }
    set
}

/// The positions `0..n` in the order `cmp` gives them: the one place that sorts.
#[inline(never)]
fn positions(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| cmp(*a, *b));
    order
}

/// Puts `v` in the order `order` names (`v[i]` becomes the old `v[order[i]]`), following
/// each cycle of the permutation with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len() {
        let mut at = start;
        // A position whose element is in place points at itself; a cycle ends where it began.
        while order[at] != start && order[at] != at {
            let from = order[at];
            v.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_keep_their_order() {
        let mut v = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        sort_by_key(&mut v, |p| p.0);
        assert_eq!(v, vec![(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    #[test]
    fn empty_and_single_slices_are_left_as_they_are() {
        let mut none: Vec<u8> = vec![];
        sort(&mut none);
        assert!(none.is_empty());
        let mut one = vec![String::from("x")];
        sort(&mut one);
        assert_eq!(one, ["x"]);
    }

    proptest! {
        #[test]
        fn sorts_as_the_standard_library_does(v in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut std = v;
            std.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn reversed_comparisons_sort_descending(v in proptest::collection::vec(any::<i32>(), 0..200)) {
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| b.cmp(a));
            let mut std = v;
            std.sort_by(|a, b| b.cmp(a));
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn maps_and_sets_hold_what_collect_would(pairs in proptest::collection::vec((0u8..20, any::<u16>()), 0..100)) {
            let ours = map_of(pairs.clone());
            let std: BTreeMap<u8, u16> = pairs.iter().copied().collect();
            prop_assert_eq!(ours, std);
            let ours = set_of(pairs.iter().map(|p| p.0));
            let std: BTreeSet<u8> = pairs.iter().map(|p| p.0).collect();
            prop_assert_eq!(ours, std);
        }
    }
}
