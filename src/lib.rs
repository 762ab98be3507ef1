//! A typed client for Checkout.com's **Network Tokens API**, generated from a checked-in
//! OpenAPI spec and wrapped in a facade that adds OAuth 2.0 client credentials, typed errors,
//! retries and redaction of card data.
//!
//! - [`Client::provision`] a network token for a card or a stored source (201 new, 200
//!   existing: [`Provisioned::created`]);
//! - [`Client::get`] its details;
//! - [`Client::request_cryptogram`] for a transaction;
//! - [`Client::delete`] it, permanently.
//!
//! # Quick start
//!
//! ```no_run
//! use checkout_network_tokens::{
//!     CardDetails, Client, DeleteInitiatedBy, DeleteReason, Environment, TransactionType,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .environment(Environment::Sandbox)
//!     .prefix("abcd1234") // from the account's `cli_abcd1234…` id; omit for the legacy hosts
//!     .client_credentials("ack_…", std::env::var("CKO_CLIENT_SECRET")?)
//!     .build()?;
//!
//! // Provision: card details are checked (digits, Luhn, month, year, CVV) before sending.
//! let card = CardDetails::new("4539467987109256", 10, 2027)?.with_cvv("123")?;
//! let provisioned = client.provision(&card.into()).await?;
//! println!("new token: {}, request id {:?}", provisioned.created, provisioned.meta.request_id);
//! let id = provisioned.details.network_token.id.clone();
//!
//! // Get: states the spec does not know yet are kept, not a decode failure.
//! let token = client.get(&id).await?;
//! println!("state {}, DPAN {:?}", token.value.network_token.state, token.value.network_token.number);
//!
//! // A cryptogram for one e-commerce transaction.
//! let cryptogram = client.request_cryptogram(&id, TransactionType::Ecom).await?;
//! let _for_the_payment: &str = cryptogram.value.cryptogram.expose_secret();
//!
//! // Delete (a PATCH with a body): permanent.
//! let deleted = client.delete(&id, DeleteInitiatedBy::TokenRequestor, DeleteReason::Other).await?;
//! assert_eq!(deleted.status, 204);
//! # Ok(())
//! # }
//! ```
//!
//! Provisioning from a card stored with Checkout.com:
//!
//! ```no_run
//! # use checkout_network_tokens::{Client, SourceId};
//! # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
//! let source = SourceId::new("src_wmlfc3zyhqzehihu7giusaaawu")?;
//! let provisioned = client.provision(&source.into()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! Every call returns [`Error`]. Each status the spec documents is its own variant, and every
//! error from a response keeps its status and request id, whatever its body was:
//!
//! ```no_run
//! use checkout_network_tokens::{Client, Error, TransactionType};
//!
//! # async fn run(client: Client) {
//! match client.request_cryptogram("nt_xgu3isllqfyu7ktpk5z2yxbwna", TransactionType::Ecom).await {
//!     Ok(response) => println!("eci {:?}", response.value.eci),
//!     Err(Error::NotFound(e)) => println!("no such token (request id {:?})", e.request_id()),
//!     Err(Error::Validation(e)) => println!("refused: {:?} {:?}", e.error_type(), e.error_codes()),
//!     Err(Error::SchemeError(e) | Error::SchemeTimeout(e)) => println!("card scheme: {e}"),
//!     Err(e) if e.is_retryable() => println!("try again later: {e}"),
//!     Err(e) => println!("failed: {e} (status {:?}, request id {:?})", e.status(), e.request_id()),
//! }
//! # }
//! ```
//!
//! # Safe by default
//!
//! - TLS certificates are verified; plain `http://` is accepted only for loopback hosts.
//! - Connect (10 s) and request (30 s) time-outs are on; redirects are not followed.
//! - One token request serves any number of concurrent callers; it is refreshed a margin
//!   before `expires_in` (seconds); a 401 causes one refresh and one retry, never a loop.
//! - Retries ([`RetryPolicy`], 3 attempts by default) use exponential backoff with jitter and
//!   honour `Retry-After`; provisioning is retried under one `Cko-Idempotency-Key` per call.
//! - Card numbers, CVVs, DPANs, cryptograms, the client secret and access tokens live in
//!   types whose `Debug` is masked and that have no `Display` ([`sensitive`]); no error
//!   message or log line contains them.
//! - Each call runs in a `tracing` span `network_tokens.call` with the operation, method,
//!   path template, status, request id, attempt and latency; bodies are never logged.
//!
//! # Layout
//!
//! [`generated`] is what progenitor makes of `openapi/network-tokens.yaml` at build time
//! (`openapi/generated.rs` is a readable copy); everything else is the hand-written facade.
//! [`outcome::STATUS_TABLE`] is the mapping from (operation, status) to outcome, as data.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod auth;
mod client;
mod config;
pub mod error;
pub mod generated;
mod input;
pub mod model;
pub mod outcome;
mod response;
mod retry;
pub mod sensitive;
mod token_id;
mod transport;

pub use auth::{Clock, SystemClock, DEFAULT_REFRESH_MARGIN, DEFAULT_SCOPE};
pub use client::Client;
pub use config::{
    ClientBuilder, ConfigError, Environment, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
};
pub use error::{ApiError, AuthError, DecodeCategory, DecodeError, Error, InvalidInput};
pub use generated::types::{
    CryptogramResponse, DeleteInitiatedBy, DeleteReason, NetworkTokenDetails, TransactionType,
};
pub use input::{CardDetails, ProvisionSource, SourceId};
pub use model::{TokenState, TokenType};
pub use outcome::{ErrorKind, Operation, Outcome};
pub use response::{Provisioned, Response, ResponseMeta};
pub use retry::RetryPolicy;
pub use sensitive::{AccessToken, CardNumber, ClientSecret, Cryptogram, Cvv, Dpan};
pub use transport::Hooks;

/// The README's Rust examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
