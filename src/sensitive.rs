//! Card data and secrets, redacted by construction.
//!
//! Each type here holds its value in a [`SecretString`] (zeroed on drop), has a `Debug` that
//! shows at most the last four digits, and has no `Display`: the only way to the raw value is
//! an explicit `expose_secret()`. The generated types use these same types for the spec's
//! `CardNumber`, `CardVerificationValue`, `NetworkTokenNumber` and `Cryptogram` schemas (see
//! `openapi/codegen.rs`), so a derived `Debug` of a generated struct is safe to log too.
//!
//! Deserialisation errors never quote the value: they name the rule that failed.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidInput;

/// Writes `Name(****1234)`: the last four characters when the value is long enough that they
/// do not give the rest away (as on a receipt), else only the mask.
fn fmt_masked(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    value: &str,
    show_last4: bool,
) -> fmt::Result {
    let chars = value.chars().count();
    if show_last4 && chars >= 12 && value.is_ascii() {
        write!(f, "{name}(****{})", &value[value.len() - 4..])
    } else {
        write!(f, "{name}(<redacted>)")
    }
}

macro_rules! sensitive_string {
    ($(#[$meta:meta])* $name:ident, show_last4: $last4:expr, validate: $validate:path) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// The raw value. Call this only where the value must leave the process.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            /// Wraps a value that has already been checked (by `new` or by the server).
            fn from_checked(value: String) -> Self {
                Self(SecretString::from(value))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_masked(f, stringify!($name), self.expose_secret(), $last4)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.expose_secret() == other.expose_secret()
            }
        }

        impl Eq for $name {}

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.expose_secret())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                // The error names the rule, never the value.
                $validate(&value).map_err(serde::de::Error::custom)?;
                Ok(Self::from_checked(value))
            }
        }
    };
}

sensitive_string!(
    /// A card number (PAN): 12 to 19 ASCII digits that pass the Luhn check.
    ///
    /// ```
    /// use checkout_network_tokens::CardNumber;
    /// let pan = CardNumber::new("4539467987109256").unwrap();
    /// assert_eq!(format!("{pan:?}"), "CardNumber(****9256)");
    /// assert!(CardNumber::new("4539467987109257").is_err()); // fails the Luhn check
    /// ```
    CardNumber, show_last4: true, validate: check_card_number
);

sensitive_string!(
    /// A card verification value: 3 or 4 ASCII digits. Its `Debug` shows nothing of it.
    Cvv, show_last4: false, validate: check_cvv
);

sensitive_string!(
    /// A network token's number (the DPAN), as returned by the API. Accepted as sent: the
    /// server's value is not second-guessed.
    Dpan, show_last4: true, validate: accept_any
);

sensitive_string!(
    /// A cryptogram for one transaction (base64), as returned by the API. Its `Debug` shows
    /// nothing of it.
    Cryptogram, show_last4: false, validate: accept_any
);

sensitive_string!(
    /// The OAuth client secret. Its `Debug` shows nothing of it.
    ClientSecret, show_last4: false, validate: accept_any
);

sensitive_string!(
    /// An OAuth access token. Its `Debug` shows nothing of it.
    AccessToken, show_last4: false, validate: accept_any
);

impl ClientSecret {
    /// Wraps a client secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self::from_checked(secret.into())
    }
}

impl AccessToken {
    /// Wraps an access token (for a caller-supplied static token).
    pub fn new(token: impl Into<String>) -> Self {
        Self::from_checked(token.into())
    }
}

impl CardNumber {
    /// Checks digits, length (12–19) and the Luhn checksum.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the rule that failed; it never contains the number.
    pub fn new(number: impl Into<String>) -> Result<Self, InvalidInput> {
        let number = SecretString::from(number.into());
        check_card_number(number.expose_secret())?;
        Ok(Self(number))
    }

    /// The last four digits, safe to show (as on a receipt).
    pub fn last4(&self) -> &str {
        let value = self.expose_secret();
        &value[value.len() - 4..]
    }
}

impl Cvv {
    /// Checks that the value is 3 or 4 ASCII digits.
    ///
    /// # Errors
    /// [`InvalidInput`] naming the rule that failed; it never contains the value.
    pub fn new(cvv: impl Into<String>) -> Result<Self, InvalidInput> {
        let cvv = SecretString::from(cvv.into());
        check_cvv(cvv.expose_secret())?;
        Ok(Self(cvv))
    }
}

impl Dpan {
    /// Wraps a DPAN (for tests and fakes; the client gets them from the API).
    pub fn new(dpan: impl Into<String>) -> Self {
        Self::from_checked(dpan.into())
    }

    /// The last four characters, safe to show; `None` when the value is too short to mask.
    pub fn last4(&self) -> Option<&str> {
        let value = self.expose_secret();
        (value.len() >= 12 && value.is_ascii()).then(|| &value[value.len() - 4..])
    }
}

impl Cryptogram {
    /// Wraps a cryptogram (for tests and fakes; the client gets them from the API).
    pub fn new(cryptogram: impl Into<String>) -> Self {
        Self::from_checked(cryptogram.into())
    }
}

/// The spec's `CardNumber` pattern, `^[0-9]{12,19}$`, and the Luhn checksum.
fn check_card_number(value: &str) -> Result<(), InvalidInput> {
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::new(
            "card number",
            "must contain only the digits 0-9",
        ));
    }
    if !(12..=19).contains(&value.len()) {
        return Err(InvalidInput::new(
            "card number",
            "must be 12 to 19 digits long",
        ));
    }
    if !luhn_valid(value) {
        return Err(InvalidInput::new("card number", "fails the Luhn check"));
    }
    Ok(())
}

/// The spec's `CardVerificationValue` pattern: `^[0-9]{3,4}$`.
fn check_cvv(value: &str) -> Result<(), InvalidInput> {
    if (3..=4).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(InvalidInput::new("cvv", "must be 3 or 4 digits"))
    }
}

fn accept_any(_: &str) -> Result<(), InvalidInput> {
    Ok(())
}

/// The Luhn (mod 10) checksum over ASCII digits.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_known_test_cards_and_rejects_a_changed_digit() {
        assert!(luhn_valid("4539467987109256"));
        assert!(luhn_valid("4242424242424242"));
        assert!(!luhn_valid("4539467987109257"));
    }

    #[test]
    fn debug_masks_everything_but_the_last_four() {
        let pan = CardNumber::new("4539467987109256").expect("valid test card");
        assert_eq!(format!("{pan:?}"), "CardNumber(****9256)");
        assert_eq!(pan.last4(), "9256");
        let cvv = Cvv::new("123").expect("valid cvv");
        assert_eq!(format!("{cvv:?}"), "Cvv(<redacted>)");
        let dpan = Dpan::new("5436424242424242");
        assert_eq!(format!("{dpan:?}"), "Dpan(****4242)");
        assert_eq!(format!("{:?}", Dpan::new("12345")), "Dpan(<redacted>)");
        let cryptogram = Cryptogram::new("AhJ3hnYAoAbVz5zg1e17MAACAAA=");
        assert_eq!(format!("{cryptogram:?}"), "Cryptogram(<redacted>)");
    }

    #[test]
    fn invalid_input_never_echoes_the_value() {
        for bad in ["4539-4679-8710-9256", "12345", "4539467987109257"] {
            let err = CardNumber::new(bad).expect_err("must be refused");
            let text = format!("{err} {err:?}");
            assert!(!text.contains(bad), "{text}");
        }
        let err: serde_json::Error =
            serde_json::from_str::<CardNumber>("\"9999x9999999999\"").expect_err("not digits");
        assert!(!err.to_string().contains("9999x"), "{err}");
    }
}
