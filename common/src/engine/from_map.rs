//! `Deserialize` for the structs a device reads by the thousand (records, changes and
//! what holds them), from one macro rather than derived. serde's derive gives each struct
//! a reader of its field names and a reader of the struct as a JSON array (never sent),
//! both compiled into the app per struct; these read a JSON object only, matching keys
//! through the one [`KeyIn`]. Errors are serde's own: a missing, repeated or (where
//! refused) unknown field.

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use std::fmt;

/// Reads an object's key: one of these field names, or `Err` with the key as written.
pub struct KeyIn(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeyIn {
    type Value = Result<&'static str, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeyIn {
    type Value = Result<&'static str, String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().find(|n| **n == v).copied().ok_or_else(|| v.to_string()))
    }
}

/// `from_map!(Type, "what it is", deny_unknown, { field: "key", field: "key" or default, ... })`:
/// `Deserialize` for `Type` from a JSON object. A field with `or` takes that value when its
/// key is missing; without, a missing key is an error. With `deny_unknown` true an unknown
/// key is an error; otherwise it is skipped.
#[macro_export]
macro_rules! from_map {
    ($ty:ident, $what:literal, $deny:literal, { $($field:ident: $name:literal $(or $default:expr)?),* $(,)? }) => {
        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> $crate::__serde::de::Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: $crate::__serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        const NAMES: &[&str] = &[$($name),*];
                        $(let mut $field = None;)*
                        while let Some(key) = map.next_key_seed($crate::engine::from_map::KeyIn(NAMES))? {
                            match key {
                                $(Ok($name) => {
                                    if $field.is_some() {
                                        return Err(<A::Error as $crate::__serde::de::Error>::duplicate_field($name));
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                Err(unknown) if $deny => {
                                    return Err(<A::Error as $crate::__serde::de::Error>::unknown_field(&unknown, NAMES));
                                }
                                _ => {
                                    map.next_value::<$crate::__serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok($ty { $($field: $crate::from_map!(@value A, $field, $name $(, $default)?),)* })
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
    (@value $a:ident, $field:ident, $name:literal) => {
        $field.ok_or_else(|| <$a::Error as $crate::__serde::de::Error>::missing_field($name))?
    };
    (@value $a:ident, $field:ident, $name:literal, $default:expr) => {
        $field.unwrap_or_else(|| $default)
    };
}

#[cfg(test)]
mod tests {
    use crate::engine::record::{Change, RecordState};
    use crate::engine::replica::{Refused, ReplicaMeta};
    use serde_json::json;

    /// A change as sent: every field it must have, none it may leave out.
    fn change_json() -> String {
        let change = Change {
            id: crate::engine::ids::ChangeId(uuid::Uuid::from_u128(1)),
            seq: 3,
            kind: crate::engine::record::Kind::ORDER,
            record: crate::RecordId(uuid::Uuid::from_u128(2)),
            office: crate::OfficeCode::parse("FS").unwrap(),
            ts: crate::Hlc { wall_ms: 1, counter: 0, node: 2 },
            by: "fs_clerk".into(),
            set: Default::default(),
            event: None,
        };
        serde_json::to_string(&change).unwrap()
    }

    /// `json` read as `T`: `Ok` with the value written back as JSON, or the error's text.
    fn read<T: serde::de::DeserializeOwned + serde::Serialize>(json: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str::<T>(json).map(|v| serde_json::to_value(v).unwrap()).map_err(|e| e.to_string())
    }

    fn check(what: &str, got: Result<serde_json::Value, String>, want: Result<serde_json::Value, &str>) {
        match (&got, &want) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "{what}"),
            (Err(g), Err(w)) => assert!(g.contains(w), "{what}: {g:?} should say {w:?}"),
            _ => panic!("{what}: got {got:?}, want {want:?}"),
        }
    }

    fn with(json: &str, key: &str, value: serde_json::Value) -> String {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v[key] = value;
        v.to_string()
    }

    fn without(json: &str, key: &str) -> String {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_object_mut().unwrap().remove(key);
        v.to_string()
    }

    #[test]
    fn structs_read_from_objects_as_the_derived_readers_did() {
        let sent = change_json();
        let sent = sent.as_str();
        let change: serde_json::Value = serde_json::from_str(sent).unwrap();
        let state = serde_json::to_string(&RecordState::from_change(&serde_json::from_str(sent).unwrap())).unwrap();
        let mut meta: serde_json::Value = serde_json::to_value(ReplicaMeta {
            client: crate::engine::ids::ClientId(uuid::Uuid::from_u128(9)),
            clock: crate::engine::hlc::Clock::new(7),
            next_seq: 4,
            cursor: 12,
            complete: false,
            owner: Some("x".into()),
            offset_ms: 5,
            store: None,
        })
        .unwrap();
        for later in ["complete", "owner", "offset_ms", "store"] {
            meta.as_object_mut().unwrap().remove(later);
        }
        let meta = &meta.to_string();

        check("a change whole", read::<Change>(sent), Ok(change.clone()));
        check("a change without its seq", read::<Change>(&without(sent, "seq")), Err("missing field `seq`"));
        check(
            "a change with a key it does not have (changes refuse them)",
            read::<Change>(&with(sent, "extra", json!(1))),
            Err("unknown field `extra`"),
        );
        check(
            "a change with a key twice",
            read::<Change>(&sent.replacen("\"seq\":3", "\"seq\":3,\"seq\":4", 1)),
            Err("duplicate field `seq`"),
        );
        check("a field of the wrong type", read::<Change>(&with(sent, "seq", json!("3"))), Err("invalid type"));
        check("an array is not a change", read::<Change>("[1,2]"), Err("invalid type: sequence, expected a change"));
        check(
            "a field write refuses unknown keys too",
            read::<Change>(&with(sent, "set", json!({"notes": {"value": "x", "other": 1}}))),
            Err("unknown field `other`"),
        );
        check(
            "a step written with what it saw",
            read::<Change>(&with(sent, "event", json!({"step": "review", "seen": []}))).map(|v| v["event"].clone()),
            Ok(json!({"step": "review"})),
        );

        check("a record", read::<RecordState>(&state), Ok(serde_json::from_str(&state).unwrap()));
        check(
            "a record with a key a newer version added (records skip them)",
            read::<RecordState>(&with(&state, "later", json!({"a": [1]}))),
            Ok(serde_json::from_str(&state).unwrap()),
        );
        check(
            "a record without its office",
            read::<RecordState>(&without(&state, "office")),
            Err("missing field `office`"),
        );

        check(
            "counters stored before `complete` and the rest were added",
            read::<ReplicaMeta>(meta).map(|v| json!([v["complete"], v["owner"], v["offset_ms"]])),
            Ok(json!([true, null, 0])),
        );
        check(
            "a refusal",
            read::<Refused>(&json!({"change": change, "code": "forbidden", "message": "不可以"}).to_string())
                .map(|v| v["code"].clone()),
            Ok(json!("forbidden")),
        );
        check(
            "a refusal's change is read by the change's rules",
            read::<Refused>(&json!({"change": {"id": 1}, "code": "c", "message": "m"}).to_string()),
            Err("invalid type"),
        );
    }
}
