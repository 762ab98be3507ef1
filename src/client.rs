//! The client: the four operations, each one attempt loop around a generated method.
//!
//! For every attempt the loop opens a [`CallContext`] (read by the hooks in
//! `src/transport.rs`), calls the generated method, and turns what came back into a typed
//! result with the table in `src/outcome.rs`. A 401 leads to one re-authentication and one
//! retry; other retryable errors follow the [`RetryPolicy`].

use std::future::Future;
use std::time::Instant;

use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;
use tracing::{field, Instrument};

use crate::config::ClientBuilder;
use crate::error::{ApiError, DecodeError, Error, InvalidInput};
use crate::generated::{self, types};
use crate::input::ProvisionSource;
use crate::outcome::{documented_outcome, ErrorKind, Operation, Outcome};
use crate::response::{Provisioned, Response, ResponseMeta};
use crate::retry::{parse_retry_after, RetryPolicy};
use crate::token_id;
use crate::transport::{
    header_request_id, header_text, read_capped, CallContext, Hooks, VERSION_HEADER,
};

/// A client of the Network Tokens API. Cheap to clone: clones share the token cache and the
/// connection pool.
///
/// Build one with [`Client::builder`].
#[derive(Clone, Debug)]
pub struct Client {
    generated: generated::Client,
    retry: RetryPolicy,
}

/// The generated result of one attempt.
type Attempt<T> = Result<ResponseValue<T>, progenitor_client::Error<()>>;

impl Client {
    /// A builder with safe defaults (sandbox, time-outs on, no redirects, 3 attempts).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_parts(
        api_url: reqwest::Url,
        http: reqwest::Client,
        hooks: Hooks,
        retry: RetryPolicy,
    ) -> Self {
        let base = api_url.as_str().trim_end_matches('/').to_owned();
        Self {
            generated: generated::Client::new_with_client(&base, http, hooks),
            retry,
        }
    }

    /// The generated client underneath, for calls the facade does not wrap. It authenticates
    /// through the same token cache, but its results are progenitor's, unmapped.
    pub fn generated(&self) -> &generated::Client {
        &self.generated
    }

    /// Provisions a network token for a card or a stored source.
    ///
    /// Every call carries a fresh `Cko-Idempotency-Key`, reused by all its retries.
    ///
    /// # Errors
    /// See [`Error`]; documented: `Unauthorized`, `Forbidden`, `UnsupportedMediaType`,
    /// `Validation`, `ServerError`, `SchemeError`, `SchemeTimeout`.
    pub async fn provision(&self, source: &ProvisionSource) -> Result<Provisioned, Error> {
        self.provision_with_idempotency_key(source, &uuid::Uuid::new_v4().to_string())
            .await
    }

    /// [`provision`](Self::provision) with the caller's idempotency key (at most 255
    /// characters), for retries across processes.
    ///
    /// # Errors
    /// As [`provision`](Self::provision); `InvalidInput` for a key that is empty, too long or
    /// not a valid header value.
    pub async fn provision_with_idempotency_key(
        &self,
        source: &ProvisionSource,
        idempotency_key: &str,
    ) -> Result<Provisioned, Error> {
        let body = source.to_request()?;
        let key: types::ProvisionNetworkTokenCkoIdempotencyKey = idempotency_key
            .parse()
            .ok()
            // HTTP strips spaces around header values: a padded key would arrive altered.
            .filter(|_| {
                !idempotency_key.is_empty()
                    && !idempotency_key.chars().any(char::is_control)
                    && idempotency_key.trim_matches(' ') == idempotency_key
            })
            .ok_or(InvalidInput::new(
                "idempotency key",
                "must be 1 to 255 printable characters, without spaces at either end",
            ))?;
        let (details, meta) = self
            .execute(Operation::Provision, None, || {
                self.generated.provision_network_token(Some(&key), &body)
            })
            .await?;
        let created =
            documented_outcome(Operation::Provision, meta.status) == Some(Outcome::Created);
        Ok(Provisioned {
            created,
            details,
            meta,
        })
    }

    /// Gets a network token's details.
    ///
    /// # Errors
    /// See [`Error`]; documented: `Unauthorized`, `Forbidden`, `NotFound`, `ServerError`,
    /// `SchemeError`, `SchemeTimeout`. `InvalidInput` for an empty, `.` or `..` id or one
    /// with control characters.
    pub async fn get(
        &self,
        network_token_id: &str,
    ) -> Result<Response<types::NetworkTokenDetails>, Error> {
        let path = self.token_path(network_token_id, "")?;
        let id = generated_id(network_token_id)?;
        let (value, meta) = self
            .execute(Operation::Get, Some(path), || {
                self.generated.get_network_token(&id)
            })
            .await?;
        Ok(Response { value, meta })
    }

    /// Requests a cryptogram for one transaction with an active network token.
    ///
    /// # Errors
    /// See [`Error`]; documented: `Unauthorized`, `Forbidden`, `NotFound`, `Validation` (for
    /// example, a token that is not active), `ServerError`, `SchemeError`, `SchemeTimeout`.
    pub async fn request_cryptogram(
        &self,
        network_token_id: &str,
        transaction_type: types::TransactionType,
    ) -> Result<Response<types::CryptogramResponse>, Error> {
        let path = self.token_path(network_token_id, "/cryptograms")?;
        let id = generated_id(network_token_id)?;
        let body = types::CryptogramRequest { transaction_type };
        let (value, meta) = self
            .execute(Operation::RequestCryptogram, Some(path), || {
                self.generated.request_cryptogram(&id, &body)
            })
            .await?;
        Ok(Response { value, meta })
    }

    /// Permanently deletes a network token.
    ///
    /// # Errors
    /// See [`Error`]; documented: `BadRequest`, `Unauthorized`, `Forbidden`, `NotFound`,
    /// `Validation`, `ServerError`, `SchemeError`, `SchemeTimeout`.
    pub async fn delete(
        &self,
        network_token_id: &str,
        initiated_by: types::DeleteInitiatedBy,
        reason: types::DeleteReason,
    ) -> Result<ResponseMeta, Error> {
        let path = self.token_path(network_token_id, "/delete")?;
        let id = generated_id(network_token_id)?;
        let body = types::DeleteNetworkTokenRequest {
            initiated_by,
            reason,
        };
        let ((), meta) = self
            .execute(Operation::Delete, Some(path), || {
                self.generated.delete_network_token(&id, &body)
            })
            .await?;
        Ok(meta)
    }

    /// The exact path for a token operation: the id checked and encoded as one segment.
    fn token_path(&self, network_token_id: &str, suffix: &str) -> Result<String, InvalidInput> {
        token_id::path(&self.generated.inner.base_path, network_token_id, suffix)
    }

    /// Runs one operation: attempts, one re-authentication after a 401, retries per policy.
    /// Every operation's retries are safe (see `src/retry.rs`).
    async fn execute<T, F, Fut>(
        &self,
        operation: Operation,
        path: Option<String>,
        call: F,
    ) -> Result<(T, ResponseMeta), Error>
    where
        T: DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let span = tracing::info_span!(
            "network_tokens.call",
            operation = operation.operation_id(),
            method = operation.method(),
            path = operation.path_template(),
            status = field::Empty,
            request_id = field::Empty,
            attempt = field::Empty,
            latency_ms = field::Empty,
        );
        async {
            let mut attempt = 0;
            let mut failed_attempts = 0;
            let mut reauthenticated = false;
            loop {
                attempt += 1;
                let call_context = CallContext::new(path.clone());
                let started = Instant::now();
                let result = call_context.scope(call()).await;
                let seen = call_context.seen();
                let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                record_attempt(&seen, attempt, latency_ms);
                let error = match map_attempt(operation, result, &seen).await {
                    Ok(done) => return Ok(done),
                    Err(error) => error,
                };
                if let Error::Unauthorized(_) = error {
                    let tokens = &self.generated.inner.tokens;
                    if !reauthenticated && tokens.can_refresh() {
                        reauthenticated = true;
                        if let Some(generation) = seen.bearer_generation {
                            tokens.invalidate(generation).await;
                        }
                        continue;
                    }
                }
                failed_attempts += 1;
                match self.retry.delay_after(failed_attempts, &error) {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(error),
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Records one attempt in the call's span and as a debug event; never bodies, and the request
/// id only as [`printable`](crate::error::printable) lets it through.
fn record_attempt(seen: &crate::transport::Seen, attempt: u32, latency_ms: u64) {
    let span = tracing::Span::current();
    span.record("attempt", attempt);
    span.record("latency_ms", latency_ms);
    if let Some(status) = seen.status {
        span.record("status", status);
    }
    let request_id = seen.request_id.as_deref().map(crate::error::printable);
    if let Some(id) = &request_id {
        span.record("request_id", id.as_str());
    }
    tracing::debug!(
        attempt,
        latency_ms,
        status = seen.status,
        request_id,
        "network tokens attempt"
    );
}

/// The generated newtype for a path id (it only checks that the id is not empty).
fn generated_id<T: std::str::FromStr>(id: &str) -> Result<T, InvalidInput> {
    id.parse()
        .map_err(|_| InvalidInput::new("network token id", "must not be empty"))
}

/// Turns one attempt's generated result into the facade's.
async fn map_attempt<T: DeserializeOwned>(
    operation: Operation,
    result: Attempt<T>,
    seen: &crate::transport::Seen,
) -> Result<(T, ResponseMeta), Error> {
    use progenitor_client::Error as G;
    match result {
        Ok(value) => {
            let meta = ResponseMeta {
                status: value.status().as_u16(),
                request_id: header_request_id(value.headers()),
                version: header_text(value.headers(), VERSION_HEADER),
            };
            Ok((value.into_inner(), meta))
        }
        Err(G::UnexpectedResponse(response)) => Err(api_error(operation, response).await),
        Err(G::InvalidResponsePayload(body, _)) => {
            Err(Error::Decode(Box::new(DecodeError::from_body::<T>(
                operation,
                seen.status.unwrap_or(0),
                seen.request_id.clone(),
                &body,
            ))))
        }
        Err(G::CommunicationError(e) | G::ResponseBodyError(e)) => {
            Err(transport_error(operation, e))
        }
        Err(G::Custom(_)) => Err(match &seen.auth_error {
            Some(auth) => Error::Auth(Box::new(auth.clone())),
            None => Error::InvalidInput(InvalidInput::new(
                "request",
                "was refused by the client's hooks",
            )),
        }),
        // The generated client builds a request from validated types; what remains is a header
        // value it could not encode. Its message may quote the value, so it is dropped.
        Err(G::InvalidRequest(_)) => Err(Error::InvalidInput(InvalidInput::new(
            "request",
            "could not be encoded as HTTP",
        ))),
        Err(G::ErrorResponse(value)) => Err(Error::UnexpectedStatus(Box::new(ApiError {
            operation,
            status: value.status().as_u16(),
            kind: None,
            request_id: header_request_id(value.headers()),
            error_type: None,
            error_codes: Vec::new(),
            retry_after: None,
        }))),
        Err(G::InvalidUpgrade(e)) => Err(transport_error(operation, e)),
    }
}

fn transport_error(operation: Operation, error: reqwest::Error) -> Error {
    let source = error.without_url();
    if source.is_timeout() {
        Error::Timeout { operation, source }
    } else {
        Error::Transport { operation, source }
    }
}

/// Maps an error status. Status and request id survive whatever the body is: empty, HTML,
/// truncated, or without `Content-Type`; the body is only searched for the documented fields.
async fn api_error(operation: Operation, response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let header_id = header_request_id(response.headers());
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    // A body that is too long, cut short or cannot be read still leaves status and headers.
    let body = read_capped(response)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let json = serde_json::from_slice::<serde_json::Value>(&body).ok();
    let text = |name: &str| {
        let value = json.as_ref()?.get(name)?.as_str()?;
        (!value.is_empty()).then(|| value.to_owned())
    };
    let error_codes = json
        .as_ref()
        .and_then(|j| j.get("error_codes"))
        .and_then(serde_json::Value::as_array)
        .map(|codes| {
            codes
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let kind = match documented_outcome(operation, status) {
        Some(Outcome::Error(kind)) => Some(kind),
        _ => None,
    };
    let details = Box::new(ApiError {
        operation,
        status,
        kind,
        request_id: text("request_id").or(header_id),
        error_type: text("error_type"),
        error_codes,
        retry_after,
    });
    match kind {
        Some(ErrorKind::BadRequest) => Error::BadRequest(details),
        Some(ErrorKind::Unauthorized) => Error::Unauthorized(details),
        Some(ErrorKind::Forbidden) => Error::Forbidden(details),
        Some(ErrorKind::NotFound) => Error::NotFound(details),
        Some(ErrorKind::UnsupportedMediaType) => Error::UnsupportedMediaType(details),
        Some(ErrorKind::Validation) => Error::Validation(details),
        Some(ErrorKind::ServerError) => Error::ServerError(details),
        Some(ErrorKind::SchemeError) => Error::SchemeError(details),
        Some(ErrorKind::SchemeTimeout) => Error::SchemeTimeout(details),
        None => Error::UnexpectedStatus(details),
    }
}
