//! What each documented (operation, status) pair means: the one table the facade maps with.
//!
//! The table is data so that the tests and the contract harness can read it and compare it
//! with the spec (`openapi/network-tokens.yaml`): every status the spec documents for an
//! operation has exactly one row here, and nothing else does.

use std::fmt;

/// The four operations of the Network Tokens API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /network-tokens`
    Provision,
    /// `GET /network-tokens/{network_token_id}`
    Get,
    /// `POST /network-tokens/{network_token_id}/cryptograms`
    RequestCryptogram,
    /// `PATCH /network-tokens/{network_token_id}/delete`
    Delete,
}

impl Operation {
    /// Every operation, in the spec's order.
    pub const ALL: [Operation; 4] = [
        Self::Provision,
        Self::Get,
        Self::RequestCryptogram,
        Self::Delete,
    ];

    /// The spec's `operationId`.
    pub fn operation_id(self) -> &'static str {
        match self {
            Self::Provision => "provisionNetworkToken",
            Self::Get => "getNetworkToken",
            Self::RequestCryptogram => "requestCryptogram",
            Self::Delete => "deleteNetworkToken",
        }
    }

    /// The HTTP method, upper case as HTTP requires.
    pub fn method(self) -> &'static str {
        match self {
            Self::Provision | Self::RequestCryptogram => "POST",
            Self::Get => "GET",
            Self::Delete => "PATCH",
        }
    }

    /// The path template, as in the spec.
    pub fn path_template(self) -> &'static str {
        match self {
            Self::Provision => "/network-tokens",
            Self::Get => "/network-tokens/{network_token_id}",
            Self::RequestCryptogram => "/network-tokens/{network_token_id}/cryptograms",
            Self::Delete => "/network-tokens/{network_token_id}/delete",
        }
    }

    /// The operation with this `operationId`.
    pub fn from_operation_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.operation_id() == id)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.operation_id())
    }
}

/// The meaning of a documented status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// 200 on provisioning: a token already existed for the card.
    Existing,
    /// 201 on provisioning: a new token; 201 on a cryptogram request: a cryptogram.
    Created,
    /// 200 on get: the token's details.
    Found,
    /// 204 on delete.
    Deleted,
    /// An error; the kind names the [`Error`](crate::Error) variant it becomes.
    Error(ErrorKind),
}

/// The documented error outcomes. Each is one variant of [`Error`](crate::Error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400: the request could not be read.
    BadRequest,
    /// 401: the access token was missing, invalid or expired.
    Unauthorized,
    /// 403: the credentials may not do this.
    Forbidden,
    /// 404: no token has this id.
    NotFound,
    /// 415: the request's media type was wrong.
    UnsupportedMediaType,
    /// 422: the request was well formed but invalid.
    Validation,
    /// 500: an error at Checkout.com.
    ServerError,
    /// 502: the card scheme returned an error.
    SchemeError,
    /// 504: the card scheme did not answer in time.
    SchemeTimeout,
}

impl ErrorKind {
    /// A short description, used in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::BadRequest => "bad request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::UnsupportedMediaType => "unsupported media type",
            Self::Validation => "validation failed",
            Self::ServerError => "server error",
            Self::SchemeError => "card scheme error",
            Self::SchemeTimeout => "card scheme time-out",
        }
    }
}

use ErrorKind as K;
use Operation as Op;
use Outcome as O;

/// Every (operation, status) pair the spec documents, and what it means.
pub const STATUS_TABLE: &[(Operation, u16, Outcome)] = &[
    (Op::Provision, 200, O::Existing),
    (Op::Provision, 201, O::Created),
    (Op::Provision, 401, O::Error(K::Unauthorized)),
    (Op::Provision, 403, O::Error(K::Forbidden)),
    (Op::Provision, 415, O::Error(K::UnsupportedMediaType)),
    (Op::Provision, 422, O::Error(K::Validation)),
    (Op::Provision, 500, O::Error(K::ServerError)),
    (Op::Provision, 502, O::Error(K::SchemeError)),
    (Op::Provision, 504, O::Error(K::SchemeTimeout)),
    (Op::Get, 200, O::Found),
    (Op::Get, 401, O::Error(K::Unauthorized)),
    (Op::Get, 403, O::Error(K::Forbidden)),
    (Op::Get, 404, O::Error(K::NotFound)),
    (Op::Get, 500, O::Error(K::ServerError)),
    (Op::Get, 502, O::Error(K::SchemeError)),
    (Op::Get, 504, O::Error(K::SchemeTimeout)),
    (Op::RequestCryptogram, 201, O::Created),
    (Op::RequestCryptogram, 401, O::Error(K::Unauthorized)),
    (Op::RequestCryptogram, 403, O::Error(K::Forbidden)),
    (Op::RequestCryptogram, 404, O::Error(K::NotFound)),
    (Op::RequestCryptogram, 422, O::Error(K::Validation)),
    (Op::RequestCryptogram, 500, O::Error(K::ServerError)),
    (Op::RequestCryptogram, 502, O::Error(K::SchemeError)),
    (Op::RequestCryptogram, 504, O::Error(K::SchemeTimeout)),
    (Op::Delete, 204, O::Deleted),
    (Op::Delete, 400, O::Error(K::BadRequest)),
    (Op::Delete, 401, O::Error(K::Unauthorized)),
    (Op::Delete, 403, O::Error(K::Forbidden)),
    (Op::Delete, 404, O::Error(K::NotFound)),
    (Op::Delete, 422, O::Error(K::Validation)),
    (Op::Delete, 500, O::Error(K::ServerError)),
    (Op::Delete, 502, O::Error(K::SchemeError)),
    (Op::Delete, 504, O::Error(K::SchemeTimeout)),
];

/// What `status` means for `operation`, or `None` when the spec does not document it.
pub fn documented_outcome(operation: Operation, status: u16) -> Option<Outcome> {
    STATUS_TABLE
        .iter()
        .find(|(op, code, _)| *op == operation && *code == status)
        .map(|(_, _, outcome)| *outcome)
}

/// The statuses the spec documents for `operation`, ascending.
pub fn documented_statuses(operation: Operation) -> Vec<u16> {
    STATUS_TABLE
        .iter()
        .filter(|(op, ..)| *op == operation)
        .map(|(_, s, _)| *s)
        .collect()
}
