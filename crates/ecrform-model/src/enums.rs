//! ECR's closed sets of values (tag mutability modes, scan types, account setting names, ...)
//! as Rust enums, each written once with the exact text ECR uses.
//!
//! Every such enum needs the same things: the list of its values for messages and property
//! tests, the text for the API, a parser that refuses what ECR would refuse, and serde in
//! ECR's spelling. [`string_enum!`] derives all of them from one table of variant and text, so
//! that adding a value ECR introduces is one line, and no crate keeps its own string list.

/// Declares a `Copy` enum whose variants stand for ECR's strings.
///
/// Generates `ALL` (every value, in declaration order), `as_str`, `parse` (exact, case
/// sensitive, as ECR is), `Display`, and serde as the string. Deserializing an unknown string
/// fails with a message naming the allowed values, so a value ecrform does not know is never
/// read as some default.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; string_enum!(@count $($variant)+)] = [$($name::$variant),+];

            /// The text ECR uses for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text ),+
                }
            }

            /// The value ECR writes as `raw`, exactly (ECR's enums are case-sensitive).
            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|value| value.as_str() == raw)
            }

            /// Every value's text, for messages ("expected one of ...").
            pub fn names() -> [&'static str; string_enum!(@count $($variant)+)] {
                Self::ALL.map(Self::as_str)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&raw).ok_or_else(|| {
                    ::serde::de::Error::custom(format!(
                        "unknown value {}; expected one of {}",
                        $crate::shown::quoted(&raw),
                        $name::names().join(", ")
                    ))
                })
            }
        }
    };
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + string_enum!(@count $($tail)*) };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    string_enum! {
        enum Colour {
            Red => "RED",
            DarkBlue => "DARK_BLUE",
        }
    }

    #[test]
    fn values_round_trip_through_text_and_serde() {
        for colour in Colour::ALL {
            assert_eq!(Colour::parse(colour.as_str()), Some(colour));
            let json = serde_json::to_string(&colour).unwrap();
            assert_eq!(serde_json::from_str::<Colour>(&json).unwrap(), colour);
        }
        assert_eq!(Colour::names(), ["RED", "DARK_BLUE"]);
        assert_eq!(Colour::DarkBlue.to_string(), "DARK_BLUE");
    }

    #[test]
    fn unknown_or_differently_cased_text_is_refused() {
        assert_eq!(Colour::parse("red"), None);
        let error = serde_json::from_str::<Colour>("\"GREEN\"").unwrap_err();
        assert!(
            error.to_string().contains("expected one of RED, DARK_BLUE"),
            "{error}"
        );
    }

    #[test]
    fn values_work_as_json_map_keys() {
        let map = std::collections::BTreeMap::from([(Colour::Red, 1)]);
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(json, r#"{"RED":1}"#);
        let read: std::collections::BTreeMap<Colour, i32> = serde_json::from_str(&json).unwrap();
        assert_eq!(read, map);
    }
}
