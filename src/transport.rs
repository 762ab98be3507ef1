//! The seam between the facade and the generated client: progenitor's `ClientHooks`.
//!
//! The generated client calls `pre` before sending and `post` after receiving. Through them
//! this module sets the bearer token (marked sensitive), the request time-out and the exact
//! request path, drops progenitor's `api-version` header, and records what the response said
//! (status, request id, `Cko-Version`, `Retry-After`) into the [`CallContext`] of the facade
//! call that is running, so that nothing is lost when the generated code later fails to
//! decode a body. The context travels in a tokio task-local, scoped to one attempt.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{HeaderMap, AUTHORIZATION};

use crate::auth::TokenProvider;
use crate::error::AuthError;
use crate::generated;
use crate::outcome::Operation;
use crate::token_id;

/// The `Cko-Request-Id` response header (header names are case-insensitive).
pub(crate) const REQUEST_ID_HEADER: &str = "cko-request-id";
/// The `Cko-Version` response header.
pub(crate) const VERSION_HEADER: &str = "cko-version";

tokio::task_local! {
    static CALL: Arc<CallContext>;
}

/// The hand-written state the generated client carries (its `inner` type): the token
/// provider and the per-request time-out. Built by [`crate::ClientBuilder`].
#[derive(Clone, Debug)]
pub struct Hooks {
    pub(crate) tokens: Arc<TokenProvider>,
    pub(crate) request_timeout: Duration,
    /// The API base URL's path, without a trailing `/` (empty for a bare host).
    pub(crate) base_path: String,
}

/// What one attempt of a facade call tells the hooks, and what the hooks saw.
#[derive(Debug, Default)]
pub(crate) struct CallContext {
    /// The exact, already percent-encoded path to send to (see `src/token_id.rs`).
    pub(crate) path: Option<String>,
    pub(crate) seen: Mutex<Seen>,
}

/// What the hooks saw during one attempt.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    pub(crate) bearer_generation: Option<u64>,
    pub(crate) auth_error: Option<AuthError>,
    pub(crate) status: Option<u16>,
    pub(crate) request_id: Option<String>,
}

impl CallContext {
    pub(crate) fn new(path: Option<String>) -> Arc<Self> {
        Arc::new(Self {
            path,
            seen: Mutex::default(),
        })
    }

    pub(crate) fn seen(&self) -> Seen {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, update: impl FnOnce(&mut Seen)) {
        update(&mut self.seen.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Runs `future` (one call of a generated method) with this context visible to the hooks.
    pub(crate) async fn scope<F: std::future::Future>(self: &Arc<Self>, future: F) -> F::Output {
        CALL.scope(Arc::clone(self), future).await
    }
}

fn current_call() -> Option<Arc<CallContext>> {
    CALL.try_with(Arc::clone).ok()
}

/// The `Cko-Request-Id` header's value, if present and printable.
pub(crate) fn header_request_id(headers: &HeaderMap) -> Option<String> {
    header_text(headers, REQUEST_ID_HEADER)
}

/// A header's value, if present, printable and not empty (an empty one counts as absent).
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The most of an error or token-endpoint body that is read: the documented bodies are a
/// few hundred bytes, and a faulty server's megabytes must not be held in memory.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// Reads a body of at most [`BODY_LIMIT`] bytes; `Ok(None)` when it is longer (the rest is
/// not read).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > BODY_LIMIT {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The operation a generated method performs, from the name progenitor gives it (the snake
/// case of the spec's `operationId`; a test checks these against `openapi/generated.rs`).
fn generated_operation(name: &str) -> Option<Operation> {
    match name {
        "provision_network_token" => Some(Operation::Provision),
        "get_network_token" => Some(Operation::Get),
        "request_cryptogram" => Some(Operation::RequestCryptogram),
        "delete_network_token" => Some(Operation::Delete),
        _ => None,
    }
}

impl ClientHooks<Hooks> for generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let call = current_call();
        // progenitor sends the spec's info.version as `api-version`; Checkout.com has no such
        // header.
        request.headers_mut().remove("api-version");
        // Per request, so that a caller-supplied reqwest::Client gets a time-out too.
        *request.timeout_mut() = Some(self.inner.request_timeout);
        if let Some(path) = call.as_ref().and_then(|c| c.path.as_deref()) {
            request.url_mut().set_path(path);
        }
        // Calls through `Client::generated()` have no facade path: whatever their id made of
        // the URL, the bearer token only goes to the operation's own endpoint.
        let on_its_own_path = generated_operation(info.operation_id).is_some_and(|op| {
            token_id::is_operation_path(op, &self.inner.base_path, request.url().path())
        });
        if !on_its_own_path {
            return Err(progenitor_client::Error::Custom(
                "the request path is not the operation's endpoint: refused before sending".into(),
            ));
        }
        let bearer = self.inner.tokens.bearer().await.and_then(|bearer| {
            // Tokens are checked when fetched and when configured, so this does not fail; if
            // it did, the call fails typed rather than sending a mangled header.
            let value = crate::auth::bearer_header(bearer.token.expose_secret()).ok_or(
                AuthError::InvalidResponse("the access token is not a valid header value"),
            )?;
            Ok((bearer.generation, value))
        });
        match bearer {
            Ok((generation, value)) => {
                request.headers_mut().insert(AUTHORIZATION, value);
                if let Some(call) = &call {
                    call.record(|seen| seen.bearer_generation = Some(generation));
                }
                Ok(())
            }
            Err(error) => {
                // The facade reads the typed error from the call context; progenitor's
                // `Custom` carries only its (secret-free) message for power users.
                let message = format!("authentication failed: {error}");
                if let Some(call) = &call {
                    call.record(|seen| seen.auth_error = Some(error));
                }
                Err(progenitor_client::Error::Custom(message))
            }
        }
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let (Some(call), Ok(response)) = (current_call(), result) {
            let status = response.status().as_u16();
            let request_id = header_request_id(response.headers());
            call.record(|seen| {
                seen.status = Some(status);
                seen.request_id = request_id;
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `operation_id` in the generated client is one of ours, and each of ours is there:
    /// a renamed operation fails here instead of having every request refused.
    #[test]
    fn every_generated_method_names_its_operation() {
        let generated = include_str!("../openapi/generated.rs");
        let names: Vec<&str> = generated
            .split("operation_id: \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        let mut found: Vec<Operation> = names
            .iter()
            .map(|n| generated_operation(n).unwrap_or_else(|| panic!("unknown {n}")))
            .collect();
        found.sort();
        assert_eq!(found, Operation::ALL.to_vec());
        assert_eq!(generated_operation("getNetworkToken"), None);
    }
}
