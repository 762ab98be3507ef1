//! Contract tests for `checkout-network-tokens`, and the tools they are built from:
//!
//! - [`sandbox`]: a stateful fake of the Network Tokens API and its OAuth token endpoint,
//!   in-process for tests and examples, or standalone with `cargo xtask sandbox`;
//! - [`spec`]: the checked-in OpenAPI spec as a response validator.
//!
//! This crate does not depend on the root crate (which dev-depends on it).

pub mod sandbox;
pub mod spec;
