//! What successful calls return: the decoded body with the status, request id and version.

use std::fmt;

use crate::generated::types;

/// What a response said besides its body.
///
/// `Debug` shows the headers' values only where they look like ids (as errors do, see
/// `src/error.rs`); the fields hold them as sent.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: u16,
    /// The `Cko-Request-Id` header.
    pub request_id: Option<String>,
    /// The `Cko-Version` header, when sent.
    pub version: Option<String>,
}

impl fmt::Debug for ResponseMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printable = |v: &Option<String>| v.as_deref().map(crate::error::printable);
        f.debug_struct("ResponseMeta")
            .field("status", &self.status)
            .field("request_id", &printable(&self.request_id))
            .field("version", &printable(&self.version))
            .finish()
    }
}

/// A successful response: the decoded body and what the response said besides.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body.
    pub value: T,
    /// Status, request id and version.
    pub meta: ResponseMeta,
}

/// The result of provisioning.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Provisioned {
    /// `true` for a new token (201), `false` when one already existed for the card (200).
    pub created: bool,
    /// The token's details.
    pub details: types::NetworkTokenDetails,
    /// Status, request id and version.
    pub meta: ResponseMeta,
}
