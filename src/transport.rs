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
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

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

pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The operation a generated method performs. progenitor names it by the snake case of the
/// spec's `operationId` (`getNetworkToken` is `get_network_token`).
fn generated_operation(name: &str) -> Option<Operation> {
    Operation::ALL.into_iter().find(|op| {
        let mut snake = String::new();
        for c in op.operation_id().chars() {
            if c.is_ascii_uppercase() {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        snake == name
    })
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
            let value = HeaderValue::from_str(&format!("Bearer {}", bearer.token.expose_secret()))
                .map_err(|_| {
                    AuthError::InvalidResponse("the access token is not a valid header value")
                })?;
            Ok((bearer.generation, value))
        });
        match bearer {
            Ok((generation, mut value)) => {
                value.set_sensitive(true);
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

    /// The names progenitor gives the operations (see `openapi/generated.rs`).
    #[test]
    fn every_generated_method_names_its_operation() {
        let generated = include_str!("../openapi/generated.rs");
        for op in Operation::ALL {
            let name = generated_operation_name(op);
            assert!(
                generated.contains(&format!("operation_id: \"{name}\"")),
                "{op}: {name}"
            );
            assert_eq!(generated_operation(&name), Some(op));
        }
        assert_eq!(generated_operation("getNetworkToken"), None);
    }

    fn generated_operation_name(op: Operation) -> String {
        match op {
            Operation::Provision => "provision_network_token",
            Operation::Get => "get_network_token",
            Operation::RequestCryptogram => "request_cryptogram",
            Operation::Delete => "delete_network_token",
        }
        .to_owned()
    }
}
