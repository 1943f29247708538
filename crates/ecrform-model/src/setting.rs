//! A setting that may be managed or not. The spec semantics need three states: a key left out
//! is not managed (never read, never changed), `none` means "must be absent", and a value means
//! "must equal this". Live state uses the same type: `Unmanaged` there means "not read".

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One setting of a registry or repository as one side of a diff knows it.
///
/// Serialized as: key omitted (use `#[serde(default, skip_serializing_if =
/// "Setting::is_unmanaged")]`) for `Unmanaged`, `null` for `Absent`, the value for `Present`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Setting<T> {
    /// Not managed by the spec (desired), or not read (live).
    #[default]
    Unmanaged,
    /// Must be absent (desired), or is absent (live).
    Absent,
    /// Must equal / equals this value.
    Present(T),
}

impl<T> Setting<T> {
    pub fn is_unmanaged(&self) -> bool {
        matches!(self, Setting::Unmanaged)
    }

    pub fn is_managed(&self) -> bool {
        !self.is_unmanaged()
    }

    /// The value, if present.
    pub fn present(&self) -> Option<&T> {
        match self {
            Setting::Present(value) => Some(value),
            _ => None,
        }
    }

    /// `None` when unmanaged, `Some(None)` when absent, `Some(Some(v))` when present.
    pub fn as_managed(&self) -> Option<Option<&T>> {
        match self {
            Setting::Unmanaged => None,
            Setting::Absent => Some(None),
            Setting::Present(value) => Some(Some(value)),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        match self {
            Setting::Unmanaged => Setting::Unmanaged,
            Setting::Absent => Setting::Absent,
            Setting::Present(value) => Setting::Present(f(value)),
        }
    }
}

impl<T> From<Option<T>> for Setting<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Setting::Present(value),
            None => Setting::Absent,
        }
    }
}

impl<T: Serialize> Serialize for Setting<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Setting::Unmanaged | Setting::Absent => serializer.serialize_none(),
            Setting::Present(value) => serializer.serialize_some(value),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Setting<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Holder {
        #[serde(default, skip_serializing_if = "Setting::is_unmanaged")]
        value: Setting<u32>,
    }

    #[test]
    fn missing_key_is_unmanaged_null_is_absent_value_is_present() {
        let cases = [
            ("{}", Setting::Unmanaged),
            (r#"{"value":null}"#, Setting::Absent),
            (r#"{"value":3}"#, Setting::Present(3)),
        ];
        for (json, expected) in cases {
            let holder: Holder = serde_json::from_str(json).unwrap();
            assert_eq!(holder.value, expected, "{json}");
            assert_eq!(serde_json::to_string(&holder).unwrap(), json);
        }
    }
}
