//! The one error type of the client, and the details it carries.
//!
//! Every error that comes from an API response carries the operation, the HTTP status and the
//! request id (the body's `request_id`, else the `Cko-Request-Id` header), whatever the body
//! was. No message here contains card data or secrets: values that come from a server are
//! printed only when they look like codes or ids (see [`printable`]), and decode errors keep
//! the JSON path, line, column and category of the failure, never serde's message (which
//! quotes the offending value).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::outcome::{ErrorKind, Operation};

/// Everything that can go wrong in a call; see each variant.
///
/// Errors from an API response (`BadRequest` … `UnexpectedStatus`) hold an [`ApiError`] with
/// the status, request id and the body's `error_type` and `error_codes` when it had them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(Box<ApiError>),
    /// 401 (after one re-authentication and retry): the access token was refused.
    #[error("{0}")]
    Unauthorized(Box<ApiError>),
    /// 403: the credentials may not do this (for example, a missing scope).
    #[error("{0}")]
    Forbidden(Box<ApiError>),
    /// 404: no network token has this id.
    #[error("{0}")]
    NotFound(Box<ApiError>),
    /// 415: the request's media type was not accepted.
    #[error("{0}")]
    UnsupportedMediaType(Box<ApiError>),
    /// 422: the request was well formed but invalid; see
    /// [`ApiError::error_type`] and [`ApiError::error_codes`].
    #[error("{0}")]
    Validation(Box<ApiError>),
    /// 500: an error at Checkout.com.
    #[error("{0}")]
    ServerError(Box<ApiError>),
    /// 502: the card scheme returned an error.
    #[error("{0}")]
    SchemeError(Box<ApiError>),
    /// 504: the card scheme did not answer in time.
    #[error("{0}")]
    SchemeTimeout(Box<ApiError>),
    /// A status the spec does not document for this operation (a 3xx, 409, 429, 503, …).
    #[error("{0}")]
    UnexpectedStatus(Box<ApiError>),
    /// The request could not be sent or the response not received (connection refused,
    /// reset, TLS failure, …).
    #[error("{operation}: transport error")]
    Transport {
        /// The operation.
        operation: Operation,
        /// The cause, without the URL.
        #[source]
        source: reqwest::Error,
    },
    /// The connect or request time-out elapsed.
    #[error("{operation}: timed out")]
    Timeout {
        /// The operation.
        operation: Operation,
        /// The cause, without the URL.
        #[source]
        source: reqwest::Error,
    },
    /// A success response whose body does not match the spec.
    #[error("{0}")]
    Decode(Box<DecodeError>),
    /// Caller input refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InvalidInput),
    /// The client's configuration was refused (see [`crate::ClientBuilder::build`]).
    #[error("invalid configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The access token could not be obtained.
    #[error("authentication failed: {0}")]
    Auth(#[source] Box<AuthError>),
}

impl From<AuthError> for Error {
    fn from(error: AuthError) -> Self {
        Self::Auth(Box::new(error))
    }
}

impl Error {
    /// The API error's details, for errors that come from an API response.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::BadRequest(e)
            | Self::Unauthorized(e)
            | Self::Forbidden(e)
            | Self::NotFound(e)
            | Self::UnsupportedMediaType(e)
            | Self::Validation(e)
            | Self::ServerError(e)
            | Self::SchemeError(e)
            | Self::SchemeTimeout(e)
            | Self::UnexpectedStatus(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, for errors that come from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Decode(e) => Some(e.status),
            Self::Auth(e) => e.status(),
            other => other.api_error().map(ApiError::status),
        }
    }

    /// The request id, for errors that come from a response that had one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Decode(e) => e.request_id.as_deref(),
            Self::Auth(e) => match &**e {
                AuthError::Rejected { request_id, .. } | AuthError::Server { request_id, .. } => {
                    request_id.as_deref()
                }
                _ => None,
            },
            other => other.api_error().and_then(ApiError::request_id),
        }
    }

    /// The documented outcome this error stands for, if it is one.
    pub fn kind(&self) -> Option<ErrorKind> {
        Some(match self {
            Self::BadRequest(_) => ErrorKind::BadRequest,
            Self::Unauthorized(_) => ErrorKind::Unauthorized,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::UnsupportedMediaType(_) => ErrorKind::UnsupportedMediaType,
            Self::Validation(_) => ErrorKind::Validation,
            Self::ServerError(_) => ErrorKind::ServerError,
            Self::SchemeError(_) => ErrorKind::SchemeError,
            Self::SchemeTimeout(_) => ErrorKind::SchemeTimeout,
            _ => return None,
        })
    }

    /// Whether trying the same request again may succeed: time-outs, transport errors, 500,
    /// 502, 504, and the undocumented 408, 429 and 503. Whether a retry is *safe* depends on
    /// the operation; the client's retry policy takes care of both.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::ServerError(_) | Self::SchemeError(_) | Self::SchemeTimeout(_) => true,
            Self::UnexpectedStatus(e) => matches!(e.status, 408 | 429 | 503),
            Self::Auth(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// How long the server asked us to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|e| e.retry_after)
    }
}

/// The details of an error response from the API.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) operation: Operation,
    pub(crate) status: u16,
    pub(crate) kind: Option<ErrorKind>,
    pub(crate) request_id: Option<String>,
    pub(crate) error_type: Option<String>,
    pub(crate) error_codes: Vec<String>,
    pub(crate) retry_after: Option<Duration>,
}

impl ApiError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The request id: the body's `request_id`, else the `Cko-Request-Id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The body's `error_type` (such as `request_invalid`), when it had one.
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    /// The body's `error_codes` (an open set, such as `card_expiry_month_invalid`).
    pub fn error_codes(&self) -> &[String] {
        &self.error_codes
    }

    /// The `Retry-After` the response carried, when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.kind.map_or("unexpected status", ErrorKind::describe);
        write!(f, "{}: HTTP {} {what}", self.operation, self.status)?;
        if let Some(error_type) = &self.error_type {
            write!(f, ", error_type {}", printable(error_type))?;
        }
        if !self.error_codes.is_empty() {
            write!(
                f,
                ", error_codes [{}]",
                printable_codes(&self.error_codes).join(", ")
            )?;
        }
        match &self.request_id {
            Some(id) => write!(f, " (request id {})", printable(id)),
            None => write!(f, " (no request id)"),
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes = printable_codes(&self.error_codes);
        f.debug_struct("ApiError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("kind", &self.kind)
            .field("request_id", &self.request_id.as_deref().map(printable))
            .field("error_type", &self.error_type.as_deref().map(printable))
            .field("error_codes", &codes)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

/// A response whose body did not match the spec.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub(crate) operation: Operation,
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    pub(crate) path: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) category: DecodeCategory,
}

/// Why a body could not be decoded, without quoting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeCategory {
    /// Not well-formed JSON.
    Syntax,
    /// Well-formed JSON of the wrong shape (a missing field, a wrong type, a bad pattern).
    Data,
    /// The body ended too early (empty or truncated).
    Eof,
    /// The body could not be read.
    Io,
}

impl DecodeError {
    /// The operation whose response could not be decoded.
    pub fn operation(&self) -> Operation {
        self.operation
    }
    /// The response's HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The `Cko-Request-Id` header, when the response had one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// Where in the body decoding failed, as a JSON path such as `network_token.state`
    /// (`.` for the whole body). Object keys come from the server: one that does not look like
    /// a field name (see [`printable`]) shows as `<redacted>`, array indices as `[n]`.
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The line and column in the body where decoding failed.
    pub fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }
    /// The kind of failure.
    pub fn category(&self) -> DecodeCategory {
        self.category
    }

    /// Describes why `body` failed to decode as `T`, without quoting any of it.
    pub(crate) fn from_body<T: serde::de::DeserializeOwned>(
        operation: Operation,
        status: u16,
        request_id: Option<String>,
        body: &[u8],
    ) -> Self {
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let (path, error) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(e) => (printable_path(e.path()), Some(e.into_inner())),
            // It decodes on its own: the failure was trailing data after the value.
            Ok(_) => (".".to_owned(), deserializer.end().err()),
        };
        let (line, column, category) = error.map_or((0, 0, DecodeCategory::Data), |e| {
            let category = match e.classify() {
                serde_json::error::Category::Syntax => DecodeCategory::Syntax,
                serde_json::error::Category::Data => DecodeCategory::Data,
                serde_json::error::Category::Eof => DecodeCategory::Eof,
                serde_json::error::Category::Io => DecodeCategory::Io,
            };
            (e.line(), e.column(), category)
        });
        Self {
            operation,
            status,
            request_id,
            path,
            line,
            column,
            category,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the HTTP {} response does not match the spec at `{}` (line {}, column {}, {:?})",
            self.operation, self.status, self.path, self.line, self.column, self.category
        )?;
        match &self.request_id {
            Some(id) => write!(f, " (request id {})", printable(id)),
            None => write!(f, " (no request id)"),
        }
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("request_id", &self.request_id.as_deref().map(printable))
            .field("path", &self.path)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("category", &self.category)
            .finish()
    }
}

/// Caller input refused before anything was sent. Names the field and the rule, never the
/// value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInput {
    field: &'static str,
    rule: &'static str,
}

impl InvalidInput {
    pub(crate) fn new(field: &'static str, rule: &'static str) -> Self {
        Self { field, rule }
    }

    /// The field that was refused, such as `card number` or `network token id`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The rule it broke.
    pub fn rule(&self) -> &'static str {
        self.rule
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.rule)
    }
}

impl std::error::Error for InvalidInput {}

/// The access token could not be obtained from the token endpoint.
#[derive(Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint refused the request (400/401), usually with an OAuth error code
    /// such as `invalid_client` or `invalid_scope`.
    #[error("the token endpoint refused the request: HTTP {status}, OAuth error {}", .oauth_error.as_deref().map_or("(none)".into(), printable))]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code, when the body had one.
        oauth_error: Option<String>,
        /// The `Cko-Request-Id` header, when present.
        request_id: Option<String>,
    },
    /// The token endpoint answered with another status (5xx, 3xx, …).
    #[error("the token endpoint answered HTTP {status}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The `Cko-Request-Id` header, when present.
        request_id: Option<String>,
    },
    /// The token endpoint's 200 response was not a usable token.
    #[error("the token endpoint's response is not a usable token: {0}")]
    InvalidResponse(&'static str),
    /// The token endpoint could not be reached.
    #[error("the token endpoint could not be reached")]
    Transport(#[source] Arc<reqwest::Error>),
    /// The token request timed out.
    #[error("the token request timed out")]
    Timeout(#[source] Arc<reqwest::Error>),
}

/// Like a derived `Debug`, with the server's values passed through [`printable`].
impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rejected {
                status,
                oauth_error,
                request_id,
            } => f
                .debug_struct("Rejected")
                .field("status", status)
                .field("oauth_error", &oauth_error.as_deref().map(printable))
                .field("request_id", &request_id.as_deref().map(printable))
                .finish(),
            Self::Server { status, request_id } => f
                .debug_struct("Server")
                .field("status", status)
                .field("request_id", &request_id.as_deref().map(printable))
                .finish(),
            Self::InvalidResponse(why) => f.debug_tuple("InvalidResponse").field(why).finish(),
            Self::Transport(e) => f.debug_tuple("Transport").field(e).finish(),
            Self::Timeout(e) => f.debug_tuple("Timeout").field(e).finish(),
        }
    }
}

impl AuthError {
    /// The token endpoint's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } | Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The OAuth error code (`invalid_client`, …), when the endpoint sent one.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::Rejected { oauth_error, .. } => oauth_error.as_deref(),
            _ => None,
        }
    }

    /// Whether asking again may succeed (server errors, transport errors, time-outs).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Server { status, .. } => *status >= 500 || *status == 429,
            Self::Transport(_) | Self::Timeout(_) => true,
            Self::Rejected { .. } | Self::InvalidResponse(_) => false,
        }
    }
}

/// A value that came from a server, as it may be printed.
///
/// Servers put codes and ids in these fields, and a faulty one could echo anything, card data
/// and secrets included. So a value is printed only when it has the shape of a code or an id
/// and of nothing secret:
///
/// - a lower-case code (`card_expiry_month_invalid`, `card-art`): a lower-case letter, then
///   lower-case letters, digits, `_` and `-`, with at most 4 digits in all and no part
///   between `_` or `-` longer than 16 (random secrets such as `sk_sbox_…` keys and hex
///   digests have long random parts; so do some ids, which are then redacted too);
/// - an upper-case id or version (`0HL80RJLS76I7`, `1.0`): upper-case letters, digits, `-` and
///   `.`, at most 36 long;
/// - a UUID;
///
/// at most 64 long, and never with 12 or more digits in a row, counting `-`, `_`, `.`, `,` and
/// spaces between them as part of the row (a card number or DPAN, however it is grouped).
/// Mixed-case strings, which is what access tokens, secrets and base64 cryptograms look like,
/// never print, nor do control characters. Anything else prints as `<redacted>`; the
/// accessors still return the raw value.
pub(crate) fn printable(value: &str) -> String {
    let bytes = value.as_bytes();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let lower_code = bytes.first().is_some_and(u8::is_ascii_lowercase)
        && digits <= 4
        && value.split(['_', '-']).all(|part| part.len() <= 16)
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(b));
    let upper_id = bytes.len() <= 36
        && bytes
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"-.".contains(b));
    let uuid = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    let shaped = !value.is_empty() && value.len() <= 64 && (lower_code || upper_id || uuid);
    if shaped && longest_digit_run(value) < 12 {
        value.to_owned()
    } else {
        "<redacted>".to_owned()
    }
}

/// The longest run of digits, counting separators a server might group a card number with
/// (`-`, `_`, `.`, space, and `,` between list entries) as part of the run.
fn longest_digit_run(text: &str) -> usize {
    let (mut run, mut longest) = (0, 0);
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else if !b"-_. ,".contains(&b) {
            run = 0;
        }
    }
    longest
}

/// `error_codes` as they may be printed: each through [`printable`], and none at all when
/// together they spell a card number (`["4539-4679", "8710-9256"]`).
fn printable_codes(codes: &[String]) -> Vec<String> {
    if longest_digit_run(&codes.join(",")) >= 12 {
        return vec!["<redacted>".to_owned()];
    }
    codes.iter().map(|c| printable(c)).collect()
}

/// A JSON path built from its segments, each object key passed through [`printable`] (keys
/// come from the server: `_links` is an open map). A leading `_` is allowed, as in `_links`.
fn printable_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut text = String::new();
    for segment in path.iter() {
        // The same layout as `Path`'s own `Display`: `a.b[0].c`.
        let dot = if text.is_empty() { "" } else { "." };
        match segment {
            Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                let bare = key.strip_prefix('_').unwrap_or(key);
                let shown = if printable(bare) == *bare {
                    key.as_str()
                } else {
                    "<redacted>"
                };
                text.push_str(&format!("{dot}{shown}"));
            }
            Segment::Unknown => text.push_str(&format!("{dot}?")),
        }
    }
    if text.is_empty() {
        ".".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        // Five words: the largest inline payload is InvalidInput's two static strings.
        assert!(
            std::mem::size_of::<Error>() <= 40,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn printable_keeps_codes_and_hides_card_like_values() {
        assert_eq!(
            printable("card_expiry_month_invalid"),
            "card_expiry_month_invalid"
        );
        assert_eq!(printable("0HL80RJLS76I7"), "0HL80RJLS76I7");
        assert_eq!(printable("card-art"), "card-art");
        assert_eq!(
            printable("5d0a7e4c-2b1f-4c1e-9f1a-0c9b8e7d6a5f"),
            "5d0a7e4c-2b1f-4c1e-9f1a-0c9b8e7d6a5f"
        );
        assert_eq!(printable("4539467987109256"), "<redacted>");
        assert_eq!(
            printable("Zq3kT9mWp2LxVb7N"),
            "<redacted>",
            "mixed case: a secret's shape"
        );
        assert_eq!(printable("0HSBX1A2BR0000000C"), "0HSBX1A2BR0000000C");
        assert_eq!(printable("AhJ3hnYAoAbVz5zg1e17MAACAAA="), "<redacted>");
        assert_eq!(printable(""), "<redacted>");
        // Card numbers however they are grouped, and secret-shaped codes.
        for hidden in [
            "4539-4679-8710-9256",
            "card_4539_4679_8710_9256",
            "4539 4679 8710 9256",
            "4539.4679.8710.9256",
            "sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "0HSBX1A2BR0000000CXXXXXXXXXXXXXXXXXXXX",
            "token\u{1b}[2J",
        ] {
            assert_eq!(printable(hidden), "<redacted>", "{hidden}");
        }
        assert_eq!(printable("card_3ds_failed"), "card_3ds_failed");
        // Random lower-case parts: secret keys with few digits, hex digests, random ids.
        for hidden in [
            "sk_sbox_mwjdzbpyhcfqgfdkxrtyjuxoae",
            "sk_sbox_m7ldzbpyqcfhgfdkaxr4yj5xoze",
            "abcdefabcdefabcdefabcdefabcdefab",
            "pay_mbabizu24mvu3mela5njyhpit4",
        ] {
            assert_eq!(printable(hidden), "<redacted>", "{hidden}");
        }
        assert_eq!(
            printable("authentication_unsuccessful"),
            "authentication_unsuccessful"
        );
        assert_eq!(
            printable_codes(&["4539-4679".into(), "8710-9256".into()]),
            ["<redacted>"]
        );
        assert_eq!(
            printable_codes(&["4539467987".into(), "109256".into()]),
            ["<redacted>"]
        );
        assert_eq!(
            printable_codes(&["card_expiry_month_invalid".into(), "cvv_invalid".into()]),
            ["card_expiry_month_invalid", "cvv_invalid"]
        );
    }

    #[test]
    fn decode_errors_name_the_path_and_never_the_value() {
        let body = br#"{"card":{"last4":"6378","expiry_month":"5","expiry_year":"2025"},
            "network_token":{"id":"nt_x","state":"active","type":"vts","number":5436424242424242,
            "created_on":"2020-02-11T15:57:32.435+00:00","modified_on":"2020-02-11T15:57:32Z"}}"#;
        let e = DecodeError::from_body::<crate::generated::types::NetworkTokenDetails>(
            Operation::Get,
            200,
            Some("req_1".into()),
            body,
        );
        assert_eq!(e.path(), "network_token.number");
        assert_eq!(e.category(), DecodeCategory::Data);
        let text = format!("{e} {e:?}");
        assert!(!text.contains("5436424242424242"), "{text}");
        assert!(text.contains("network_token.number"), "{text}");
    }

    #[test]
    fn decode_error_paths_never_print_hostile_map_keys() {
        let details = |key: &str| {
            format!(
                r#"{{"card":{{"last4":"6378","expiry_month":"5","expiry_year":"2025"}},
                "network_token":{{"id":"nt_x","state":"active","type":"vts",
                "created_on":"2020-02-11T15:57:32.435+00:00","modified_on":"2020-02-11T15:57:32Z"}},
                "_links":{{{key}:{{"href":5}}}}}}"#
            )
        };
        for (key, hidden) in [
            (r#""[4539467987109256]""#, "4539467987109256"),
            (r#""4539.4679.8710.9256""#, "4539.4679.8710.9256"),
            (r#""[Zq3kT9mWp2LxVb7NaccessTOKEN]""#, "Zq3kT9mWp2LxVb7N"),
            (r#""\u001b[2J\u001b[31mFAKE LOG LINE""#, "\u{1b}"),
        ] {
            let e = DecodeError::from_body::<crate::generated::types::NetworkTokenDetails>(
                Operation::Get,
                200,
                None,
                details(key).as_bytes(),
            );
            assert_eq!(e.path(), "_links.<redacted>.href", "{key:?}");
            let text = format!("{e} {e:?}");
            assert!(!text.contains(hidden), "{key}: {text}");
        }
        let e = DecodeError::from_body::<crate::generated::types::NetworkTokenDetails>(
            Operation::Get,
            200,
            None,
            details(r#""card-art""#).as_bytes(),
        );
        assert_eq!(e.path(), "_links.card-art.href");
    }
}
