//! What successful calls return: the decoded body with the status, request id and version.

use crate::generated::types;

/// What a response said besides its body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The HTTP status.
    pub status: u16,
    /// The `Cko-Request-Id` header.
    pub request_id: Option<String>,
    /// The `Cko-Version` header, when sent.
    pub version: Option<String>,
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
