//! Enums that arrive in responses, tolerant of values the spec does not list yet.
//!
//! The generated types use these for the spec's `NetworkTokenState` and `NetworkTokenType`
//! schemas (see `openapi/codegen.rs`): a new state or token service from Checkout.com is kept
//! as `Unknown(value)` instead of failing the whole response. What the spec lists is checked
//! against [`TokenState::KNOWN`] and [`TokenType::KNOWN`] by the tests.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the spec does not list, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The values the spec lists, in its order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(value) => value,
                }
            }

            /// Whether this is a value the spec lists.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}

open_enum!(
    /// A network token's state.
    ///
    /// Only `Active`, `Suspended` and `Inactive` tokens carry a DPAN and expiry.
    TokenState {
        /// Usable: cryptograms can be requested.
        Active = "active",
        /// Suspended by the issuer or the scheme.
        Suspended = "suspended",
        /// Not usable.
        Inactive = "inactive",
        /// The scheme declined to provision the token.
        Declined = "declined",
        /// Provisioning was requested and is not finished.
        Requested = "requested",
    }
);

open_enum!(
    /// The token service that issued a network token.
    TokenType {
        /// Visa Token Service.
        Vts = "vts",
        /// Mastercard Digital Enablement Service.
        Mdes = "mdes",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_and_round_trip() {
        let state: TokenState = serde_json::from_str("\"pending_activation\"").expect("string");
        assert_eq!(state, TokenState::Unknown("pending_activation".into()));
        assert_eq!(state.as_str(), "pending_activation");
        assert!(!state.is_known());
        assert_eq!(
            serde_json::to_string(&state).expect("serialise"),
            "\"pending_activation\""
        );
        let kind: TokenType = serde_json::from_str("\"mdes\"").expect("string");
        assert_eq!(kind, TokenType::Mdes);
    }
}
