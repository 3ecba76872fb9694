//! A field's live versions by timestamp ([`Versions`]).

use crate::engine::hlc::Hlc;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A field's live versions, a map from timestamp to value kept as a list sorted by
/// timestamp. A field nearly always has one version, and a `BTreeMap` takes a node of
/// eleven slots (about 640 bytes here) even for one: 10,000 orders held 104 MB in the
/// browser, mostly these. Written and read as the JSON object the map was.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Versions(Vec<(Hlc, Value)>);

impl Versions {
    fn find(&self, ts: &Hlc) -> Result<usize, usize> {
        self.0.binary_search_by(|(t, _)| t.cmp(ts))
    }

    pub fn contains_key(&self, ts: &Hlc) -> bool {
        self.find(ts).is_ok()
    }

    pub fn get(&self, ts: &Hlc) -> Option<&Value> {
        self.find(ts).ok().map(|i| &self.0[i].1)
    }

    /// Sets the value of `ts`, returning the one it replaces.
    pub fn insert(&mut self, ts: Hlc, value: Value) -> Option<Value> {
        match self.find(&ts) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (ts, value));
                None
            }
        }
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Hlc, &Value)> + ExactSizeIterator {
        self.0.iter().map(|(t, v)| (t, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Hlc> + ExactSizeIterator {
        self.0.iter().map(|(t, _)| t)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.0.iter_mut().map(|(_, v)| v)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Hlc, &mut Value) -> bool) {
        self.0.retain_mut(|(t, v)| keep(t, v));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<const N: usize> From<[(Hlc, Value); N]> for Versions {
    fn from(pairs: [(Hlc, Value); N]) -> Versions {
        let mut v = Versions::default();
        for (t, value) in pairs {
            v.insert(t, value);
        }
        v
    }
}

impl<'a> IntoIterator for &'a Versions {
    type Item = (&'a Hlc, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Hlc, Value)>, fn(&'a (Hlc, Value)) -> (&'a Hlc, &'a Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(t, v)| (t, v))
    }
}

impl Serialize for Versions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Versions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Versions, D::Error> {
        struct Map;
        impl<'de> Visitor<'de> for Map {
            type Value = Versions;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of versions")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Versions, A::Error> {
                let mut v = Versions(Vec::with_capacity(map.size_hint().unwrap_or(1).min(16)));
                // As a map reads a repeated key: the last one stands.
                while let Some((t, value)) = map.next_entry::<Hlc, Value>()? {
                    v.insert(t, value);
                }
                Ok(v)
            }
        }
        deserializer.deserialize_map(Map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn hlc(ms: u64, node: u64) -> Hlc {
        Hlc { wall_ms: ms, counter: 0, node }
    }

    proptest! {
        #[test]
        fn behaves_and_reads_and_writes_as_the_map_it_replaces(
            ops in proptest::collection::vec((0u64..6, 0u64..3, 0u8..3, any::<bool>()), 0..40),
        ) {
            let mut ours = Versions::default();
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
    fn a_repeated_timestamp_keeps_the_last_value_as_a_map_would() {
        let t = hlc(1, 1);
        let json = format!(r#"{{"{t}":1,"{t}":2}}"#);
        let ours: Versions = serde_json::from_str(&json).unwrap();
        let map: BTreeMap<Hlc, Value> = serde_json::from_str(&json).unwrap();
        assert_eq!(ours.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        assert!(serde_json::from_str::<Versions>("[1]").is_err(), "only an object");
    }
}
