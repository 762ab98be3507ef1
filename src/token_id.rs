//! Network token ids in request paths.
//!
//! An id is one path segment. progenitor's own encoding leaves `.` and `\` alone, and URL
//! parsing then resolves `.`/`..` segments and reads `\` as `/`, so an id such as `..` or
//! `x\..\..\payments` would reach another endpoint with the bearer token. Here ids that are
//! empty, `.`, `..` or contain control characters are refused, and every other id is
//! percent-encoded with everything but the unreserved characters (`A-Z a-z 0-9 - . _ ~`)
//! escaped; the transport hook sends the request to exactly that path.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::InvalidInput;

/// Every byte but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Checks a caller's token id.
pub(crate) fn validate(id: &str) -> Result<(), InvalidInput> {
    if id.is_empty() {
        return Err(InvalidInput::new("network token id", "must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(InvalidInput::new(
            "network token id",
            "must not be `.` or `..`",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            "network token id",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// `{base_path}/network-tokens/{id}{suffix}`, with the id as one encoded segment.
pub(crate) fn path(base_path: &str, id: &str, suffix: &str) -> Result<String, InvalidInput> {
    validate(id)?;
    Ok(format!(
        "{base_path}/network-tokens/{}{suffix}",
        utf8_percent_encode(id, SEGMENT)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_segment() {
        assert_eq!(
            path("", "nt_xgu3isllqfyu7ktpk5z2yxbwna", "").as_deref(),
            Ok("/network-tokens/nt_xgu3isllqfyu7ktpk5z2yxbwna")
        );
        assert_eq!(
            path("/v1", "../payments/x?y=1", "/cryptograms").as_deref(),
            Ok("/v1/network-tokens/..%2Fpayments%2Fx%3Fy%3D1/cryptograms")
        );
        assert_eq!(
            path("", "a\\b#c", "").as_deref(),
            Ok("/network-tokens/a%5Cb%23c")
        );
        assert_eq!(
            path("", "%2e%2e", "").as_deref(),
            Ok("/network-tokens/%252e%252e")
        );
        assert_eq!(path("", "...", "").as_deref(), Ok("/network-tokens/..."));
    }

    #[test]
    fn dot_segments_empty_and_control_characters_are_refused() {
        for bad in ["", ".", "..", "nt_\n", "nt_\u{7f}", "a\u{0}b"] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
