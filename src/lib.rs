//! placeholder docs
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
