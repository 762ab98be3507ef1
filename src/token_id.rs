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
use crate::outcome::Operation;

/// The longest id accepted, in bytes. Checkout.com's ids are 29 long; a request line of
/// megabytes is refused by HTTP stacks, and is better refused here as a caller error.
const MAX_LEN: usize = 1024;

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
    if id.len() > MAX_LEN {
        return Err(InvalidInput::new(
            "network token id",
            "must be at most 1024 bytes long",
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

/// Whether `path` (as it will be sent) is `operation`'s own endpoint under `base_path`: the
/// last line of defence for calls through the generated client, whose own encoding lets ids
/// such as `..\..\payments` resolve to another endpoint. Checked on every request before the
/// bearer token is attached.
pub(crate) fn is_operation_path(operation: Operation, base_path: &str, path: &str) -> bool {
    let Some(rest) = path
        .strip_prefix(base_path)
        .and_then(|p| p.strip_prefix("/network-tokens"))
    else {
        return false;
    };
    let one_segment_then = |suffix: &str| {
        rest.strip_prefix('/')
            .and_then(|r| r.strip_suffix(suffix))
            .is_some_and(|id| !id.is_empty() && !id.contains('/') && id != "." && id != "..")
    };
    match operation {
        Operation::Provision => rest.is_empty(),
        Operation::Get => one_segment_then(""),
        Operation::RequestCryptogram => one_segment_then("/cryptograms"),
        Operation::Delete => one_segment_then("/delete"),
    }
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
        assert!(validate(&"a".repeat(MAX_LEN)).is_ok());
        assert!(validate(&"a".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn only_the_operations_own_path_shapes_are_sent() {
        use crate::outcome::Operation as Op;
        let ok = [
            (Op::Provision, "/v1/network-tokens"),
            (Op::Get, "/v1/network-tokens/nt_a"),
            (Op::Get, "/v1/network-tokens/..."),
            (
                Op::RequestCryptogram,
                "/v1/network-tokens/a%2Fb/cryptograms",
            ),
            (Op::Delete, "/v1/network-tokens/nt_a/delete"),
        ];
        for (op, path) in ok {
            assert!(is_operation_path(op, "/v1", path), "{op} {path}");
        }
        let refused = [
            (Op::Provision, "/v1/network-tokens/x"),
            (Op::Get, "/v1/payments"),
            (Op::Get, "/v1/network-tokens/"),
            (Op::Get, "/v1/network-tokens"),
            (Op::Get, "/v1/network-tokens/a/b"),
            (Op::Get, "/network-tokens/nt_a"),
            (Op::RequestCryptogram, "/v1/network-tokens/cryptograms"),
            (Op::Delete, "/v1/network-tokens/a/b/delete"),
            (Op::Delete, "/v1/network-tokens/nt_a/cryptograms"),
        ];
        for (op, path) in refused {
            assert!(!is_operation_path(op, "/v1", path), "{op} {path}");
        }
    }
}
