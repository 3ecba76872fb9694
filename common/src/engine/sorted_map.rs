//! A small map kept as a sorted list ([`SortedMap`]).

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::marker::PhantomData;

/// A map kept as a list sorted by key, for the record's parts that hold a few entries
/// each: a field's live versions (nearly always one), a record's steps and its change log.
/// A `BTreeMap` takes a node of eleven slots even for one entry (about 640 bytes for a
/// version): 10,000 orders held 104 MB in the browser, mostly those nodes. Inserting is
/// linear, which is nothing at these sizes. Written and read as the JSON object the map
/// was, in the same key order.
#[derive(Clone, Debug, PartialEq)]
pub struct SortedMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap(Vec::new())
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// Looked up by anything the key borrows as (`&str` for `String` keys), as a map is.
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// The value of `key`, a default one put there if there is none
    /// (`entry(key.to_owned()).or_default()`, without making a key when there is one).
    pub fn or_default<Q: Ord + ?Sized + ToOwned<Owned = K>>(&mut self, key: &Q) -> &mut V
    where
        K: Borrow<Q>,
        V: Default,
    {
        let i = match self.find(key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key.to_owned(), V::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, made by `make` if there is none (`entry().or_insert_with()`).
    pub fn or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, make()));
                i
            }
        };
        &mut self.0[i].1
    }
}

impl<K, V> SortedMap<K, V> {
    /// In key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for SortedMap<K, V> {
    fn from(pairs: [(K, V); N]) -> SortedMap<K, V> {
        pairs.into_iter().collect()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> SortedMap<K, V> {
        let mut map = SortedMap::default();
        for (k, v) in pairs {
            map.insert(k, v);
        }
        map
    }
}

/// Like a map's: panics if `key` is not there.
impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for SortedMap<K, V> {
    type Output = V;

    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for this key")
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for SortedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SortedMap<K, V>, D::Error> {
        struct Map<K, V>(PhantomData<(K, V)>);
        impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Map<K, V> {
            type Value = SortedMap<K, V>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SortedMap<K, V>, A::Error> {
                let mut map = SortedMap(Vec::with_capacity(access.size_hint().unwrap_or(1).min(16)));
                // As a map reads a repeated key: the last one stands.
                while let Some((k, v)) = access.next_entry::<K, V>()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(Map(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::hlc::Hlc;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::collections::BTreeMap;

    type Versions = SortedMap<Hlc, Value>;

    fn hlc(ms: u64, node: u64) -> Hlc {
        Hlc { wall_ms: ms, counter: 0, node }
    }

    proptest! {
        #[test]
        fn behaves_and_reads_and_writes_as_the_map_it_replaces(
            ops in proptest::collection::vec((0u64..6, 0u64..3, 0u8..3, any::<bool>()), 0..40),
        ) {
            let mut ours = SortedMap::default();
            let mut map: BTreeMap<Hlc, Value> = BTreeMap::new();
            for (ms, node, value, remove) in ops {
                let t = hlc(ms, node);
                if remove {
                    ours.retain(|k, _| *k != t);
                    map.retain(|k, _| *k != t);
                } else {
                    prop_assert_eq!(ours.insert(t, Value::from(value)), map.insert(t, Value::from(value)));
                }
                prop_assert_eq!(ours.get(&t), map.get(&t));
            }
            prop_assert_eq!(ours.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
            prop_assert_eq!(ours.iter().next_back(), map.iter().next_back());
            let json = serde_json::to_string(&ours).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&map).unwrap());
            prop_assert_eq!(serde_json::from_str::<Versions>(&json).unwrap(), ours);
        }
    }

    #[test]
    fn named_entries_are_found_by_str_and_made_once_in_name_order() {
        let mut fields: SortedMap<String, Vec<u8>> = SortedMap::default();
        fields.or_default("phone").push(1);
        fields.or_default("address").push(2);
        fields.or_default("phone").push(3);
        assert_eq!(fields.get("phone"), Some(&vec![1, 3]));
        assert!(fields.contains_key("address") && !fields.contains_key("notes"));
        assert_eq!(fields.keys().map(String::as_str).collect::<Vec<_>>(), ["address", "phone"]);
        assert_eq!(serde_json::to_string(&fields).unwrap(), r#"{"address":[2],"phone":[1,3]}"#);
    }

    #[test]
    fn a_repeated_timestamp_keeps_the_last_value_as_a_map_would() {
        let t = hlc(1, 1);
        let json = format!(r#"{{"{t}":1,"{t}":2}}"#);
        let ours: Versions = serde_json::from_str(&json).unwrap();
        let map: BTreeMap<Hlc, Value> = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        assert!(serde_json::from_str::<Versions>("[1]").is_err(), "only an object");
    }
}
