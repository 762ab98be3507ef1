//! A stateful, in-process fake of Checkout.com's Network Tokens API and of its OAuth 2.0
//! token endpoint (`POST /connect/token`, on the same host).
//!
//! ```no_run
//! // The README's example: keep the two the same.
//! use contract_tests::sandbox::{Sandbox, SandboxConfig};
//! use std::time::Duration;
//! # async fn run() -> std::io::Result<()> {
//!
//! let sandbox = Sandbox::start().await; // 127.0.0.1, a free port, default settings
//! let url = sandbox.url();              // e.g. "http://127.0.0.1:40123": API and token endpoint
//! let (id, secret) = (sandbox.client_id(), sandbox.client_secret());
//!
//! let sandbox = SandboxConfig::new()
//!     .token_lifetime(Duration::from_secs(1))      // to test token expiry
//!     .fault_rate(0.2).seed(42)                    // random 500/502/504, reproducible
//!     .slow_response_delay(Duration::from_secs(2)) // for the slow triggers
//!     .start()
//!     .await?;
//! assert_eq!(sandbox.token_requests(), 0);        // counts requests to /connect/token
//! sandbox.revoke_access_tokens();                 // every issued token now gets 401
//! # Ok(())
//! # }
//! ```
//!
//! # Credentials
//!
//! The token endpoint accepts [`DEFAULT_CLIENT_ID`] / [`DEFAULT_CLIENT_SECRET`] (change them with
//! [`SandboxConfig::credentials`]) as HTTP Basic or as the form fields `client_id` and
//! `client_secret` (not both in one request, and no parameter twice: 400 `invalid_request`).
//! The form must carry `grant_type=client_credentials` (another grant: 400
//! `unsupported_grant_type`; none: 400 `invalid_request`); `scope` is optional but, when given,
//! must include `vault:network-tokens` (else 400 `invalid_scope`). Bad or missing credentials:
//! 400 `invalid_client`. A token lives [`SandboxConfig::token_lifetime`] (3600 s by default);
//! an API call without a valid, unexpired bearer token gets 401 with no body.
//!
//! # Behaviour
//!
//! - Provisioning the same card number (or the same `src_…` id) twice returns 200 with the
//!   existing token; a new card gets 201 and a new token `nt_` + 26 lowercase base32 characters.
//!   Cards starting with 5 or 2 give `mdes` tokens, all others `vts`.
//! - **Deleted tokens** (`PATCH …/delete`, 204): the token stays readable. `GET` returns 200 with
//!   `state: "inactive"` (the DPAN and token expiry are still shown, as the spec allows for
//!   `inactive`); a cryptogram request returns 422 `request_invalid` / `token_state_invalid`; a
//!   second delete returns 422 `token_state_invalid`. The card is released: provisioning it
//!   again gives 201 and a new token.
//! - Cryptograms are issued only for `active` tokens (otherwise 422 `token_state_invalid`).
//! - Request media type: a body must be sent as `application/json`. Only provisioning
//!   documents 415; a wrong or missing `Content-Type` on a request with a body gives 415 on
//!   provisioning, 422 (`content_type_invalid`) on cryptograms and 400
//!   (`content_type_invalid`) on delete, so every response stays within the spec.
//! - A body that is not JSON, or larger than 2 MiB: 400 `request_malformed` on delete, 422 `request_malformed` on
//!   provisioning and cryptograms (where the spec documents no 400).
//! - Every response (errors, 401s and the token endpoint included) carries a unique
//!   `Cko-Request-Id` and `Cko-Version: 1.0.0`; error bodies repeat the request id as
//!   `request_id`.
//! - Order of checks: bearer token (401), trigger token id (403/5xx), random fault, media type,
//!   unknown id (404), JSON well-formedness, field validation (422), trigger card (403/5xx),
//!   slow-response delay, token state.
//! - [`TRIGGERS`] lists inputs that reach every documented (operation, status) pair; see
//!   [`trigger_table_markdown`].
//! - With [`SandboxConfig::fault_rate`] above 0, authorised API calls fail at random with
//!   500, 502 or 504, drawn from a generator seeded with [`SandboxConfig::seed`].

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Extension, Router};
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The default client id (an access key id) the token endpoint accepts.
pub const DEFAULT_CLIENT_ID: &str = "ack_sandbox_client";
/// The default client secret the token endpoint accepts.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox_secret_do_not_use_in_production";
/// The scope a token request may name (it is optional).
pub const SCOPE: &str = "vault:network-tokens";
/// The `Cko-Version` header sent on every response.
pub const API_VERSION: &str = "1.0.0";
/// The `token_requestor_id` in token details.
pub const TOKEN_REQUESTOR_ID: &str = "40010030273";
/// The default slow-response delay ([`SandboxConfig::slow_response_delay`]).
pub const DEFAULT_SLOW_RESPONSE_DELAY: Duration = Duration::from_secs(5);
/// The default token lifetime ([`SandboxConfig::token_lifetime`]).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest token lifetime ([`SandboxConfig::token_lifetime`]): a year, so that expiry
/// times can neither overflow the clock nor the JWT's `exp`.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// The default seed of the fault generator ([`SandboxConfig::seed`]).
pub const DEFAULT_SEED: u64 = 0x5EED_C0DE;

macro_rules! active_token_id {
    () => {
        "nt_sbxactivetokenaaaaaaaaaaaa"
    };
}
macro_rules! deletable_token_id {
    () => {
        "nt_sbxdeletabletokenaaaaaaaaa"
    };
}
macro_rules! requested_token_id {
    () => {
        "nt_sbxrequestedtokenaaaaaaaaa"
    };
}
macro_rules! slow_token_id {
    () => {
        "nt_sbxslowtokenaaaaaaaaaaaaaa"
    };
}
macro_rules! unknown_token_id {
    () => {
        "nt_sbxunknowntokenaaaaaaaaaaa"
    };
}
macro_rules! card_body {
    ($number:expr) => {
        concat!(
            r#"{"source":{"type":"card","number":""#,
            $number,
            r#"","expiry_month":"10","expiry_year":"2030","cvv":"123"}}"#
        )
    };
}

/// A seeded `active` token (card [`EXISTING_CARD_NUMBER`]): get 200, cryptogram 201.
pub const ACTIVE_TOKEN_ID: &str = active_token_id!();
/// A seeded `active` token kept for the delete-204 trigger.
pub const DELETABLE_TOKEN_ID: &str = deletable_token_id!();
/// A seeded `requested` token: get 200 without DPAN, cryptogram 422 `token_state_invalid`.
pub const REQUESTED_TOKEN_ID: &str = requested_token_id!();
/// A seeded `active` token whose every operation waits the slow-response delay first.
pub const SLOW_TOKEN_ID: &str = slow_token_id!();
/// An id of the usual shape that the sandbox never issues: 404.
pub const UNKNOWN_TOKEN_ID: &str = unknown_token_id!();
/// Token id that gets 403 on get, cryptogram and delete.
pub const FORBIDDEN_TOKEN_ID: &str = "nt_trigger_forbidden";
/// Token id that gets 500 on get, cryptogram and delete.
pub const INTERNAL_ERROR_TOKEN_ID: &str = "nt_trigger_internal_error";
/// Token id that gets 502 on get, cryptogram and delete.
pub const BAD_GATEWAY_TOKEN_ID: &str = "nt_trigger_bad_gateway";
/// Token id that gets 504 on get, cryptogram and delete.
pub const GATEWAY_TIMEOUT_TOKEN_ID: &str = "nt_trigger_gateway_timeout";

/// The card of the seeded [`ACTIVE_TOKEN_ID`]: provisioning it returns 200.
pub const EXISTING_CARD_NUMBER: &str = "4242424242424242";
/// A card never provisioned in a fresh sandbox (the public documentation's test card): 201.
pub const NEW_CARD_NUMBER: &str = "4539467987109256";
/// A Mastercard number never provisioned in a fresh sandbox: 201, type `mdes`.
pub const NEW_MASTERCARD_NUMBER: &str = "5436031030606378";
/// A stored-card id never provisioned in a fresh sandbox: 201.
pub const NEW_SOURCE_ID: &str = "src_wmlfc3zyhqzehihu7giusaaawu";
/// Provisions into a `declined` token (201, no DPAN).
pub const DECLINED_CARD_NUMBER: &str = "4000000000007775";
/// Provisions into a `requested` token (201, no DPAN).
pub const REQUESTED_CARD_NUMBER: &str = "4000000000002024";
/// Provisions normally after the slow-response delay.
pub const SLOW_CARD_NUMBER: &str = "4000000000009995";
/// Provisioning gets 403.
pub const FORBIDDEN_CARD_NUMBER: &str = "4000000000004038";
/// Provisioning gets 500.
pub const INTERNAL_ERROR_CARD_NUMBER: &str = "4000000000005001";
/// Provisioning gets 502 (card scheme error).
pub const BAD_GATEWAY_CARD_NUMBER: &str = "4000000000005027";
/// Provisioning gets 504 (card scheme time-out).
pub const GATEWAY_TIMEOUT_CARD_NUMBER: &str = "4000000000005043";

/// One input that makes the sandbox answer an operation with a given status.
///
/// Each trigger gives its status when sent to a freshly started sandbox; all of [`TRIGGERS`]
/// can also be sent once, in order, to a single fresh sandbox (the 201 cards and the
/// deletable token are used once each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// The spec's operation id.
    pub operation_id: &'static str,
    /// The status the sandbox answers with.
    pub status: u16,
    /// What the trigger is.
    pub description: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path, relative to [`Sandbox::url`].
    pub path: &'static str,
    /// The `Content-Type` to send with `body`.
    pub content_type: Option<&'static str>,
    /// The request body.
    pub body: Option<&'static str>,
    /// Whether to send a valid bearer token.
    pub authorized: bool,
    /// Whether the answer waits the slow-response delay first.
    pub slow: bool,
    /// An error code the error body's `error_codes` contains.
    pub error_code: Option<&'static str>,
    /// The `network_token.state` of the token details returned.
    pub token_state: Option<&'static str>,
}

const JSON: Option<&str> = Some("application/json");

const fn t(operation_id: &'static str, status: u16, description: &'static str) -> Trigger {
    Trigger {
        operation_id,
        status,
        description,
        method: "GET",
        path: "",
        content_type: None,
        body: None,
        authorized: true,
        slow: false,
        error_code: None,
        token_state: None,
    }
}

const fn provision(status: u16, description: &'static str, body: &'static str) -> Trigger {
    Trigger {
        method: "POST",
        path: "/network-tokens",
        content_type: JSON,
        body: Some(body),
        ..t("provisionNetworkToken", status, description)
    }
}

const fn get_token(status: u16, description: &'static str, path: &'static str) -> Trigger {
    Trigger {
        path,
        ..t("getNetworkToken", status, description)
    }
}

const ECOM: &str = r#"{"transaction_type":"ecom"}"#;
const DELETE_BODY: &str = r#"{"initiated_by":"token_requestor","reason":"other"}"#;

const fn cryptogram(status: u16, description: &'static str, path: &'static str) -> Trigger {
    Trigger {
        method: "POST",
        path,
        content_type: JSON,
        body: Some(ECOM),
        ..t("requestCryptogram", status, description)
    }
}

const fn delete(status: u16, description: &'static str, path: &'static str) -> Trigger {
    Trigger {
        method: "PATCH",
        path,
        content_type: JSON,
        body: Some(DELETE_BODY),
        ..t("deleteNetworkToken", status, description)
    }
}

const fn code(trigger: Trigger, error_code: &'static str) -> Trigger {
    Trigger {
        error_code: Some(error_code),
        ..trigger
    }
}

const fn state(trigger: Trigger, token_state: &'static str) -> Trigger {
    Trigger {
        token_state: Some(token_state),
        ..trigger
    }
}

const fn unauthorized(trigger: Trigger) -> Trigger {
    Trigger {
        authorized: false,
        ..trigger
    }
}

const fn slow(trigger: Trigger) -> Trigger {
    Trigger {
        slow: true,
        ..trigger
    }
}

const fn with_body(
    trigger: Trigger,
    content_type: Option<&'static str>,
    body: &'static str,
) -> Trigger {
    Trigger {
        content_type,
        body: Some(body),
        ..trigger
    }
}

/// Inputs that reach every documented (operation, status) pair, and a few more (declined,
/// requested and slow tokens, several 422 causes).
pub const TRIGGERS: &[Trigger] = &[
    // provisionNetworkToken
    state(
        provision(201, "a new card", card_body!("4539467987109256")),
        "active",
    ),
    state(
        provision(
            201,
            "a new Mastercard (type mdes)",
            card_body!("5436031030606378"),
        ),
        "active",
    ),
    state(
        provision(
            201,
            "a new stored card id",
            r#"{"source":{"type":"id","id":"src_wmlfc3zyhqzehihu7giusaaawu"}}"#,
        ),
        "active",
    ),
    state(
        provision(
            201,
            "the declined-token card",
            card_body!("4000000000007775"),
        ),
        "declined",
    ),
    state(
        provision(
            201,
            "the requested-token card",
            card_body!("4000000000002024"),
        ),
        "requested",
    ),
    state(
        slow(provision(
            201,
            "the slow card: answers after the slow-response delay",
            card_body!("4000000000009995"),
        )),
        "active",
    ),
    state(
        provision(
            200,
            "the card of the seeded active token (provisioned already)",
            card_body!("4242424242424242"),
        ),
        "active",
    ),
    unauthorized(provision(
        401,
        "no bearer token",
        card_body!("4539467987109256"),
    )),
    code(
        provision(403, "the forbidden card", card_body!("4000000000004038")),
        "action_forbidden",
    ),
    code(
        with_body(
            provision(415, "Content-Type text/plain", ""),
            Some("text/plain"),
            card_body!("4539467987109256"),
        ),
        "content_type_invalid",
    ),
    code(
        provision(
            422,
            "expiry month 13",
            r#"{"source":{"type":"card","number":"4539467987109256","expiry_month":"13","expiry_year":"2030"}}"#,
        ),
        "card_expiry_month_invalid",
    ),
    code(
        provision(
            422,
            "a card number failing the Luhn check",
            card_body!("4539467987109257"),
        ),
        "card_number_invalid",
    ),
    code(
        provision(422, "a body that is not JSON", r#"{"source":"#),
        "request_body_malformed",
    ),
    code(
        provision(
            500,
            "the internal-error card",
            card_body!("4000000000005001"),
        ),
        "internal_error",
    ),
    code(
        provision(502, "the scheme-error card", card_body!("4000000000005027")),
        "scheme_error",
    ),
    code(
        provision(
            504,
            "the scheme-time-out card",
            card_body!("4000000000005043"),
        ),
        "scheme_timeout",
    ),
    // getNetworkToken
    state(
        get_token(
            200,
            "the seeded active token",
            concat!("/network-tokens/", active_token_id!()),
        ),
        "active",
    ),
    state(
        get_token(
            200,
            "the seeded requested token (no DPAN)",
            concat!("/network-tokens/", requested_token_id!()),
        ),
        "requested",
    ),
    state(
        slow(get_token(
            200,
            "the seeded slow token: answers after the slow-response delay",
            concat!("/network-tokens/", slow_token_id!()),
        )),
        "active",
    ),
    unauthorized(get_token(
        401,
        "no bearer token",
        concat!("/network-tokens/", active_token_id!()),
    )),
    code(
        get_token(
            403,
            "the forbidden token id",
            "/network-tokens/nt_trigger_forbidden",
        ),
        "action_forbidden",
    ),
    code(
        get_token(
            404,
            "an unknown token id",
            concat!("/network-tokens/", unknown_token_id!()),
        ),
        "token_not_found",
    ),
    code(
        get_token(
            500,
            "the internal-error token id",
            "/network-tokens/nt_trigger_internal_error",
        ),
        "internal_error",
    ),
    code(
        get_token(
            502,
            "the scheme-error token id",
            "/network-tokens/nt_trigger_bad_gateway",
        ),
        "scheme_error",
    ),
    code(
        get_token(
            504,
            "the scheme-time-out token id",
            "/network-tokens/nt_trigger_gateway_timeout",
        ),
        "scheme_timeout",
    ),
    // requestCryptogram
    cryptogram(
        201,
        "the seeded active token",
        concat!("/network-tokens/", active_token_id!(), "/cryptograms"),
    ),
    slow(cryptogram(
        201,
        "the seeded slow token: answers after the slow-response delay",
        concat!("/network-tokens/", slow_token_id!(), "/cryptograms"),
    )),
    unauthorized(cryptogram(
        401,
        "no bearer token",
        concat!("/network-tokens/", active_token_id!(), "/cryptograms"),
    )),
    code(
        cryptogram(
            403,
            "the forbidden token id",
            "/network-tokens/nt_trigger_forbidden/cryptograms",
        ),
        "action_forbidden",
    ),
    code(
        cryptogram(
            404,
            "an unknown token id",
            concat!("/network-tokens/", unknown_token_id!(), "/cryptograms"),
        ),
        "token_not_found",
    ),
    code(
        cryptogram(
            422,
            "a token that is not active (the seeded requested token)",
            concat!("/network-tokens/", requested_token_id!(), "/cryptograms"),
        ),
        "token_state_invalid",
    ),
    code(
        with_body(
            cryptogram(
                422,
                "transaction_type \"cash\"",
                concat!("/network-tokens/", active_token_id!(), "/cryptograms"),
            ),
            JSON,
            r#"{"transaction_type":"cash"}"#,
        ),
        "transaction_type_invalid",
    ),
    code(
        with_body(
            cryptogram(
                422,
                "a body that is not JSON",
                concat!("/network-tokens/", active_token_id!(), "/cryptograms"),
            ),
            JSON,
            "transaction_type=ecom",
        ),
        "request_body_malformed",
    ),
    code(
        with_body(
            cryptogram(
                422,
                "Content-Type text/plain (415 is not documented here)",
                concat!("/network-tokens/", active_token_id!(), "/cryptograms"),
            ),
            Some("text/plain"),
            ECOM,
        ),
        "content_type_invalid",
    ),
    code(
        cryptogram(
            500,
            "the internal-error token id",
            "/network-tokens/nt_trigger_internal_error/cryptograms",
        ),
        "internal_error",
    ),
    code(
        cryptogram(
            502,
            "the scheme-error token id",
            "/network-tokens/nt_trigger_bad_gateway/cryptograms",
        ),
        "scheme_error",
    ),
    code(
        cryptogram(
            504,
            "the scheme-time-out token id",
            "/network-tokens/nt_trigger_gateway_timeout/cryptograms",
        ),
        "scheme_timeout",
    ),
    // deleteNetworkToken
    delete(
        204,
        "the seeded deletable token (once; then 422)",
        concat!("/network-tokens/", deletable_token_id!(), "/delete"),
    ),
    code(
        with_body(
            delete(
                400,
                "a body that is not JSON",
                concat!("/network-tokens/", active_token_id!(), "/delete"),
            ),
            JSON,
            "{",
        ),
        "request_body_malformed",
    ),
    code(
        with_body(
            delete(
                400,
                "Content-Type text/plain (415 is not documented here)",
                concat!("/network-tokens/", active_token_id!(), "/delete"),
            ),
            Some("text/plain"),
            DELETE_BODY,
        ),
        "content_type_invalid",
    ),
    unauthorized(delete(
        401,
        "no bearer token",
        concat!("/network-tokens/", active_token_id!(), "/delete"),
    )),
    code(
        delete(
            403,
            "the forbidden token id",
            "/network-tokens/nt_trigger_forbidden/delete",
        ),
        "action_forbidden",
    ),
    code(
        delete(
            404,
            "an unknown token id",
            concat!("/network-tokens/", unknown_token_id!(), "/delete"),
        ),
        "token_not_found",
    ),
    code(
        with_body(
            delete(
                422,
                "no initiated_by",
                concat!("/network-tokens/", active_token_id!(), "/delete"),
            ),
            JSON,
            r#"{"reason":"other"}"#,
        ),
        "initiated_by_required",
    ),
    code(
        with_body(
            delete(
                422,
                "reason \"boredom\"",
                concat!("/network-tokens/", active_token_id!(), "/delete"),
            ),
            JSON,
            r#"{"initiated_by":"cardholder","reason":"boredom"}"#,
        ),
        "reason_invalid",
    ),
    code(
        delete(
            500,
            "the internal-error token id",
            "/network-tokens/nt_trigger_internal_error/delete",
        ),
        "internal_error",
    ),
    code(
        delete(
            502,
            "the scheme-error token id",
            "/network-tokens/nt_trigger_bad_gateway/delete",
        ),
        "scheme_error",
    ),
    code(
        delete(
            504,
            "the scheme-time-out token id",
            "/network-tokens/nt_trigger_gateway_timeout/delete",
        ),
        "scheme_timeout",
    ),
];

/// [`TRIGGERS`] as a markdown table (operation, status, method and path, body, notes).
pub fn trigger_table_markdown() -> String {
    let mut out =
        String::from("| operation | status | request | body | notes |\n|---|---|---|---|---|\n");
    for trigger in TRIGGERS {
        const CARD_PREFIX: &str = r#"{"source":{"type":"card","number":""#;
        const CARD_SUFFIX: &str = r#"","expiry_month":"10","expiry_year":"2030","cvv":"123"}}"#;
        let card = trigger
            .body
            .and_then(|b| b.strip_prefix(CARD_PREFIX))
            .and_then(|b| b.strip_suffix(CARD_SUFFIX));
        let body = match (trigger.content_type, trigger.body, card) {
            (Some("application/json"), Some(_), Some(number)) => {
                format!("card `{number}` (10/2030, cvv 123)")
            }
            (Some("application/json"), Some(body), None) => format!("`{body}`"),
            (Some(content_type), Some(body), _) => format!("`{body}` as `{content_type}`"),
            (None, Some(body), _) => format!("`{body}` without Content-Type"),
            (_, None, _) => String::new(),
        };
        let mut notes = trigger.description.to_owned();
        if !trigger.authorized {
            notes.push_str("; no `Authorization`");
        }
        if let Some(code) = trigger.error_code {
            notes.push_str(&format!("; `{code}`"));
        }
        if let Some(state) = trigger.token_state {
            notes.push_str(&format!("; state `{state}`"));
        }
        out.push_str(&format!(
            "| {} | {} | `{} {}` | {} | {} |\n",
            trigger.operation_id,
            trigger.status,
            trigger.method,
            trigger.path,
            body.replace('|', "\\|"),
            notes.replace('|', "\\|"),
        ));
    }
    out
}

/// Whether `digits` is all ASCII digits and passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_sum(digits.bytes(), false).is_multiple_of(10)
}

/// The Luhn sum of `digits`, the last digit undoubled (`check_missing` false) or doubled
/// (`check_missing` true, when the check digit is still to be appended).
fn luhn_sum(digits: impl DoubleEndedIterator<Item = u8>, check_missing: bool) -> u32 {
    digits
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if (i % 2 == 1) != check_missing {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum()
}

/// `partial` followed by its Luhn check digit.
fn with_check_digit(partial: &str) -> String {
    let sum = luhn_sum(partial.bytes(), true);
    let check = (10 - sum % 10) % 10;
    format!("{partial}{check}")
}

/// Configuration of a [`Sandbox`]; `SandboxConfig::default()` is 127.0.0.1, a free port, the
/// default credentials, tokens of 3600 s, no random faults and a 5 s slow-response delay.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    bind: IpAddr,
    port: u16,
    token_lifetime: Duration,
    fault_rate: f64,
    seed: u64,
    slow_response_delay: Duration,
    client_id: String,
    client_secret: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            fault_rate: 0.0,
            seed: DEFAULT_SEED,
            slow_response_delay: DEFAULT_SLOW_RESPONSE_DELAY,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
        }
    }
}

impl SandboxConfig {
    /// The defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// The address to listen on (default 127.0.0.1).
    pub fn bind(mut self, address: IpAddr) -> Self {
        self.bind = address;
        self
    }

    /// The port to listen on (default 0: a free port chosen by the system).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How long an access token is valid (default 3600 s, at most [`MAX_TOKEN_LIFETIME`]).
    /// `expires_in` is this, rounded up to whole seconds; the token stops working after
    /// exactly this duration.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
        self
    }

    /// The share of authorised API calls answered with a random 500, 502 or 504 (0 to 1,
    /// default 0).
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.fault_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The seed of the random-fault generator (default [`DEFAULT_SEED`]).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long the slow triggers ([`SLOW_CARD_NUMBER`], [`SLOW_TOKEN_ID`]) wait before
    /// answering (default 5 s).
    pub fn slow_response_delay(mut self, delay: Duration) -> Self {
        self.slow_response_delay = delay;
        self
    }

    /// The credentials the token endpoint accepts.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.client_id = client_id.into();
        self.client_secret = client_secret.into();
        self
    }

    /// Binds the listener and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<Sandbox> {
        Sandbox::start_with(self).await
    }
}

/// A running sandbox. It stops when dropped or [`Sandbox::shutdown`].
pub struct Sandbox {
    address: SocketAddr,
    url: String,
    inner: Arc<Inner>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("url", &self.url)
            .field("client_id", &self.inner.config.client_id)
            .field("token_requests", &self.token_requests())
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts a sandbox with the default configuration on 127.0.0.1 and a free port.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound (use [`SandboxConfig::start`] to handle that).
    pub async fn start() -> Sandbox {
        SandboxConfig::default()
            .start()
            .await
            .unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"))
    }

    /// Starts a sandbox with `config` on the current tokio runtime.
    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind((config.bind, config.port)).await?;
        let address = listener.local_addr()?;
        let host = if address.ip().is_unspecified() {
            match address.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            }
        } else {
            address.ip()
        };
        let url = format!("http://{}", SocketAddr::new(host, address.port()));
        let inner = Arc::new(Inner::new(config, url.clone()));
        let app = Router::new()
            .route("/connect/token", post(token_endpoint))
            .route("/network-tokens", post(provision_token))
            .route("/network-tokens/{id}", get(get_token_details))
            .route("/network-tokens/{id}/cryptograms", post(request_cryptogram))
            .route("/network-tokens/{id}/delete", patch(delete_token))
            .fallback(not_found)
            // Bodies are read by the handlers themselves, after the bearer check and with
            // their own limit, so that an oversized body gets a documented answer.
            .layer(DefaultBodyLimit::disable())
            .layer(from_fn_with_state(inner.clone(), stamp_response))
            .with_state(inner.clone());
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = signal.await;
            });
            if let Err(e) = serve.await {
                eprintln!("sandbox: server error: {e}");
            }
        });
        Ok(Sandbox {
            address,
            url,
            inner,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// The base URL of the API and of the token endpoint, e.g. `http://127.0.0.1:40123`
    /// (no trailing slash; a loopback address when bound to an unspecified one).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token endpoint's URL: [`Sandbox::url`] + `/connect/token`.
    pub fn token_url(&self) -> String {
        format!("{}/connect/token", self.url)
    }

    /// The address the sandbox listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The client id the token endpoint accepts.
    pub fn client_id(&self) -> &str {
        &self.inner.config.client_id
    }

    /// The client secret the token endpoint accepts.
    pub fn client_secret(&self) -> &str {
        &self.inner.config.client_secret
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// How many requests reached the token endpoint (successful or not).
    pub fn token_requests(&self) -> u64 {
        self.inner.token_requests.load(Ordering::SeqCst)
    }

    /// Revokes every access token issued so far: the next API call with one of them gets 401
    /// (to test a client's refresh-and-retry without waiting for expiry).
    pub fn revoke_access_tokens(&self) {
        lock(&self.inner.access_tokens).clear();
    }

    /// Stops serving and waits (up to 5 s) for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State

struct Inner {
    config: SandboxConfig,
    base_url: String,
    instance: u16,
    token_requests: AtomicU64,
    request_sequence: AtomicU64,
    access_tokens: Mutex<HashMap<String, Instant>>,
    store: Mutex<Store>,
    rng: Mutex<fastrand::Rng>,
    fault_rng: Mutex<fastrand::Rng>,
}

#[derive(Default)]
struct Store {
    tokens: HashMap<String, TokenRecord>,
    /// `card:<number>` or `src:<id>` → token id, for live (not deleted) tokens.
    by_card: HashMap<String, String>,
}

struct TokenRecord {
    id: String,
    state: &'static str,
    kind: &'static str,
    card_last4: String,
    card_expiry_month: String,
    card_expiry_year: String,
    dpan: String,
    token_expiry_month: String,
    token_expiry_year: String,
    created_on: String,
    modified_on: String,
    payment_account_reference: String,
    slow: bool,
    deleted: bool,
}

/// A poisoned lock is still usable here: the data is plain values.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn token_type(number: &str) -> &'static str {
    match number.as_bytes().first() {
        Some(b'5' | b'2') => "mdes",
        _ => "vts",
    }
}

struct CardData {
    number: String,
    expiry_month: String,
    expiry_year: String,
}

impl Inner {
    fn new(config: SandboxConfig, base_url: String) -> Inner {
        let fault_rng = fastrand::Rng::with_seed(config.seed);
        let inner = Inner {
            base_url,
            instance: fastrand::u16(..),
            token_requests: AtomicU64::new(0),
            request_sequence: AtomicU64::new(0),
            access_tokens: Mutex::new(HashMap::new()),
            store: Mutex::new(Store::default()),
            // Seeded tokens get the same DPANs in every sandbox.
            rng: Mutex::new(fastrand::Rng::with_seed(0x5A4D_B0C5)),
            fault_rng: Mutex::new(fault_rng),
            config,
        };
        let seeded = [
            (ACTIVE_TOKEN_ID, EXISTING_CARD_NUMBER, "active", false, true),
            (
                DELETABLE_TOKEN_ID,
                "4111111111111111",
                "active",
                false,
                false,
            ),
            (
                REQUESTED_TOKEN_ID,
                "4012888888881881",
                "requested",
                false,
                false,
            ),
            (SLOW_TOKEN_ID, "5555555555554444", "active", true, false),
        ];
        for (id, number, state, slow, indexed) in seeded {
            let card = CardData {
                number: number.to_owned(),
                expiry_month: "10".to_owned(),
                expiry_year: "2030".to_owned(),
            };
            let mut record = inner.new_record(id.to_owned(), &card, state);
            record.slow = slow;
            record.created_on = "2025-01-15T09:30:00.000Z".to_owned();
            record.modified_on = record.created_on.clone();
            let mut store = lock(&inner.store);
            if indexed {
                store
                    .by_card
                    .insert(format!("card:{number}"), id.to_owned());
            }
            store.tokens.insert(id.to_owned(), record);
        }
        *lock(&inner.rng) = fastrand::Rng::new();
        inner
    }

    fn new_request_id(&self) -> String {
        let sequence = self.request_sequence.fetch_add(1, Ordering::SeqCst);
        // Like Checkout.com's ids, letters break up the digits (never a card-number-like run).
        format!("0HSBX{:04X}R{:08X}", self.instance, sequence)
    }

    fn new_token_id(&self, store: &Store) -> String {
        const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
        let mut rng = lock(&self.rng);
        loop {
            let suffix: String = (0..26)
                .map(|_| char::from(BASE32[rng.usize(..BASE32.len())]))
                .collect();
            let id = format!("nt_{suffix}");
            if id != UNKNOWN_TOKEN_ID && !store.tokens.contains_key(&id) {
                return id;
            }
        }
    }

    fn new_record(&self, id: String, card: &CardData, state: &'static str) -> TokenRecord {
        let mut rng = lock(&self.rng);
        let number = &card.number;
        let dpan = loop {
            let first = &number[..1];
            let middle: String = (0..number.len() - 2)
                .map(|_| char::from(b'0' + rng.u8(..10)))
                .collect();
            let candidate = with_check_digit(&format!("{first}{middle}"));
            if candidate != *number {
                break candidate;
            }
        };
        let par: String = (0..29)
            .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
            .collect();
        let now = now_rfc3339();
        TokenRecord {
            id,
            state,
            kind: token_type(number),
            card_last4: number[number.len() - 4..].to_owned(),
            card_expiry_month: card.expiry_month.clone(),
            card_expiry_year: card.expiry_year.clone(),
            dpan,
            token_expiry_month: card.expiry_month.clone(),
            token_expiry_year: card.expiry_year.clone(),
            created_on: now.clone(),
            modified_on: now,
            payment_account_reference: format!("5001{par}"),
            slow: false,
            deleted: false,
        }
    }

    fn random_fault(&self) -> Option<StatusCode> {
        if self.config.fault_rate <= 0.0 {
            return None;
        }
        let mut rng = lock(&self.fault_rng);
        if rng.f64() < self.config.fault_rate {
            Some(
                [
                    StatusCode::INTERNAL_SERVER_ERROR,
                    StatusCode::BAD_GATEWAY,
                    StatusCode::GATEWAY_TIMEOUT,
                ][rng.usize(..3)],
            )
        } else {
            None
        }
    }

    fn issue_access_token(&self) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut random = [0u8; 32];
        {
            let mut rng = lock(&self.rng);
            for byte in &mut random {
                *byte = rng.u8(..);
            }
        }
        let issued = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let header = engine.encode(br#"{"alg":"RS256","typ":"at+jwt","kid":"sandbox"}"#);
        let claims = json!({
            "iss": self.base_url,
            "client_id": self.config.client_id,
            "scope": SCOPE,
            "iat": issued,
            "exp": issued + self.config.token_lifetime.as_secs(),
            "jti": engine.encode(&random[..12]),
        });
        let payload = engine.encode(claims.to_string());
        let signature = engine.encode(&random[12..]);
        let token = format!("{header}.{payload}.{signature}");
        let now = Instant::now();
        let mut tokens = lock(&self.access_tokens);
        tokens.retain(|_, expiry| *expiry > now);
        tokens.insert(token.clone(), now + self.config.token_lifetime);
        token
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return false;
        }
        lock(&self.access_tokens)
            .get(token.trim())
            .is_some_and(|expiry| *expiry > Instant::now())
    }

    /// The base of `_links` hrefs: the request's `Host` when it is a plain `host[:port]`
    /// (so links work through a port forward), else the sandbox's own URL.
    fn links_base(&self, headers: &HeaderMap) -> String {
        headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|host| {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .map(|host| format!("http://{host}"))
            .unwrap_or_else(|| self.base_url.clone())
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

#[derive(Debug, Clone)]
struct RequestId(String);

/// Gives every response a `Cko-Request-Id` (the one the handler used in its body, if any)
/// and `Cko-Version`.
async fn stamp_response(
    State(inner): State<Arc<Inner>>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = inner.new_request_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert("cko-request-id", value);
    }
    headers.insert("cko-version", HeaderValue::from_static(API_VERSION));
    response
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

fn error_response(
    request_id: &RequestId,
    status: StatusCode,
    error_type: &str,
    codes: &[&str],
) -> Response {
    json_response(
        status,
        &json!({
            "request_id": request_id.0,
            "error_type": error_type,
            "error_codes": codes,
        }),
    )
}

fn unauthorized_response() -> Response {
    let mut response = empty_response(StatusCode::UNAUTHORIZED);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    );
    response
}

/// The error body for a 403/500/502/504 trigger or fault.
fn fault_response(request_id: &RequestId, status: StatusCode) -> Response {
    let (error_type, code) = match status {
        StatusCode::FORBIDDEN => ("forbidden", "action_forbidden"),
        StatusCode::BAD_GATEWAY => ("scheme_error", "scheme_error"),
        StatusCode::GATEWAY_TIMEOUT => ("scheme_timeout", "scheme_timeout"),
        _ => ("internal_server_error", "internal_error"),
    };
    error_response(request_id, status, error_type, &[code])
}

fn not_found_response(request_id: &RequestId) -> Response {
    error_response(
        request_id,
        StatusCode::NOT_FOUND,
        "resource_not_found",
        &["token_not_found"],
    )
}

fn malformed(request_id: &RequestId, status: StatusCode) -> Response {
    error_response(
        request_id,
        status,
        "request_malformed",
        &["request_body_malformed"],
    )
}

fn invalid(request_id: &RequestId, codes: &[&str]) -> Response {
    error_response(
        request_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        "request_invalid",
        codes,
    )
}

fn token_state_invalid(request_id: &RequestId) -> Response {
    invalid(request_id, &["token_state_invalid"])
}

/// Whether the request's media type is acceptable: `application/json` (parameters allowed)
/// when there is a body or a `Content-Type`; nothing when there is neither.
fn json_media_type(headers: &HeaderMap, body: &[u8]) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json")),
        None => body.is_empty(),
    }
}

fn trigger_fault(token_id: &str) -> Option<StatusCode> {
    match token_id {
        FORBIDDEN_TOKEN_ID => Some(StatusCode::FORBIDDEN),
        INTERNAL_ERROR_TOKEN_ID => Some(StatusCode::INTERNAL_SERVER_ERROR),
        BAD_GATEWAY_TOKEN_ID => Some(StatusCode::BAD_GATEWAY),
        GATEWAY_TIMEOUT_TOKEN_ID => Some(StatusCode::GATEWAY_TIMEOUT),
        _ => None,
    }
}

fn details_json(record: &TokenRecord, base: &str) -> Value {
    let mut network_token = json!({
        "id": record.id,
        "state": record.state,
        "type": record.kind,
        "created_on": record.created_on,
        "modified_on": record.modified_on,
    });
    if matches!(record.state, "active" | "suspended" | "inactive") {
        network_token["number"] = json!(record.dpan);
        network_token["expiry_month"] = json!(record.token_expiry_month);
        network_token["expiry_year"] = json!(record.token_expiry_year);
        network_token["payment_account_reference"] = json!(record.payment_account_reference);
    }
    let href = format!("{base}/network-tokens/{}", record.id);
    json!({
        "card": {
            "last4": record.card_last4,
            "expiry_month": record.card_expiry_month,
            "expiry_year": record.card_expiry_year,
        },
        "network_token": network_token,
        "token_requestor_id": TOKEN_REQUESTOR_ID,
        "_links": {
            "self": { "href": href },
            "cryptogram": { "href": format!("{href}/cryptograms") },
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn not_found(Extension(request_id): Extension<RequestId>) -> Response {
    error_response(
        &request_id,
        StatusCode::NOT_FOUND,
        "resource_not_found",
        &["resource_not_found"],
    )
}

fn oauth_error(error: &str) -> Response {
    let mut response = json_response(StatusCode::BAD_REQUEST, &json!({ "error": error }));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Credentials from `Authorization: Basic` (the id and secret form-url-decoded, RFC 6749
/// §2.3.1), else from the form fields.
/// The most a request body may hold; a larger one is answered as malformed.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Reads a request body up to [`MAX_BODY_BYTES`]; `None` when it is larger or cannot be read.
async fn read_body(body: Body) -> Option<Bytes> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok()
}

///
/// `Err("invalid_request")` when both are present: RFC 6749 §2.3 allows one authentication
/// method per request.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Option<(String, String)>, &'static str> {
    let has_form_credentials = form.contains_key("client_id") || form.contains_key("client_secret");
    if headers.contains_key(header::AUTHORIZATION) && has_form_credentials {
        return Err("invalid_request");
    }
    Ok(basic_or_form_credentials(headers, form))
}

fn basic_or_form_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, encoded) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let unescape = |s: &str| -> String {
            form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        return Some((unescape(id), unescape(secret)));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

async fn token_endpoint(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    inner.token_requests.fetch_add(1, Ordering::SeqCst);
    let form_media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_media_type {
        return oauth_error("invalid_request");
    }
    let Some(body) = read_body(body).await else {
        return oauth_error("invalid_request");
    };
    // RFC 6749 §3.1: no parameter may appear twice.
    let mut form = HashMap::new();
    for (name, value) in form_urlencoded::parse(&body).into_owned() {
        if form.insert(name, value).is_some() {
            return oauth_error("invalid_request");
        }
    }
    let Some(grant_type) = form.get("grant_type") else {
        return oauth_error("invalid_request");
    };
    let (client_id, client_secret) = match client_credentials(&headers, &form) {
        Ok(Some(credentials)) => credentials,
        Ok(None) => return oauth_error("invalid_client"),
        Err(code) => return oauth_error(code),
    };
    if client_id != inner.config.client_id || client_secret != inner.config.client_secret {
        return oauth_error("invalid_client");
    }
    if grant_type != "client_credentials" {
        return oauth_error("unsupported_grant_type");
    }
    if let Some(scope) = form.get("scope") {
        if !scope.split_whitespace().any(|s| s == SCOPE) {
            return oauth_error("invalid_scope");
        }
    }
    let access_token = inner.issue_access_token();
    let lifetime = inner.config.token_lifetime;
    let expires_in = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let mut response = json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": SCOPE,
        }),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A string field of a JSON object: `Ok(None)` when absent, `Err(())` when not a string.
fn string_field<'a>(object: &'a Value, name: &str) -> Result<Option<&'a str>, ()> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(()),
    }
}

/// Checks a string field; pushes `<prefix>_required` or `<prefix>_invalid`.
fn check_field(
    object: &Value,
    name: &str,
    prefix: &'static str,
    required: bool,
    valid: impl Fn(&str) -> bool,
    codes: &mut Vec<String>,
) -> Option<String> {
    match string_field(object, name) {
        Ok(Some(value)) if valid(value) => Some(value.to_owned()),
        Ok(None) if !required => None,
        Ok(None) => {
            codes.push(format!("{prefix}_required"));
            None
        }
        _ => {
            codes.push(format!("{prefix}_invalid"));
            None
        }
    }
}

fn all_digits(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn valid_source_id(id: &str) -> bool {
    id.strip_prefix("src_").is_some_and(|rest| {
        rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The card or source id a provisioning body names, or the 422 error codes.
enum Source {
    Card(CardData),
    Id(String),
}

fn parse_source(body: &Value) -> Result<Source, Vec<String>> {
    let Some(source) = body.get("source").filter(|s| !s.is_null()) else {
        return Err(vec!["source_required".to_owned()]);
    };
    if !source.is_object() {
        return Err(vec!["source_invalid".to_owned()]);
    }
    let mut codes = Vec::new();
    match string_field(source, "type") {
        Ok(Some("card")) => {
            let number = check_field(
                source,
                "number",
                "card_number",
                true,
                |n| all_digits(n, 12, 19) && luhn_valid(n),
                &mut codes,
            );
            let month = check_field(
                source,
                "expiry_month",
                "card_expiry_month",
                true,
                |m| all_digits(m, 1, 2) && (1..=12).contains(&m.parse::<u8>().unwrap_or(0)),
                &mut codes,
            );
            let year = check_field(
                source,
                "expiry_year",
                "card_expiry_year",
                true,
                |y| all_digits(y, 4, 4),
                &mut codes,
            );
            check_field(
                source,
                "cvv",
                "cvv",
                false,
                |c| all_digits(c, 3, 4),
                &mut codes,
            );
            match (number, month, year) {
                (Some(number), Some(expiry_month), Some(expiry_year)) if codes.is_empty() => {
                    Ok(Source::Card(CardData {
                        number,
                        expiry_month,
                        expiry_year,
                    }))
                }
                _ => Err(codes),
            }
        }
        Ok(Some("id")) => {
            match check_field(source, "id", "source_id", true, valid_source_id, &mut codes) {
                Some(id) => Ok(Source::Id(id)),
                None => Err(codes),
            }
        }
        Ok(None) => Err(vec!["source_type_required".to_owned()]),
        _ => Err(vec!["source_type_invalid".to_owned()]),
    }
}

async fn provision_token(
    State(inner): State<Arc<Inner>>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !inner.authorized(&headers) {
        return unauthorized_response();
    }
    if let Some(status) = inner.random_fault() {
        return fault_response(&request_id, status);
    }
    let Some(body) = read_body(body).await else {
        return malformed(&request_id, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if !json_media_type(&headers, &body) {
        return error_response(
            &request_id,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &["content_type_invalid"],
        );
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return malformed(&request_id, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let source = match parse_source(&value) {
        Ok(source) => source,
        Err(codes) => {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            return invalid(&request_id, &codes);
        }
    };
    let (key, card, new_state) = match source {
        Source::Card(card) => {
            let status = match card.number.as_str() {
                FORBIDDEN_CARD_NUMBER => Some(StatusCode::FORBIDDEN),
                INTERNAL_ERROR_CARD_NUMBER => Some(StatusCode::INTERNAL_SERVER_ERROR),
                BAD_GATEWAY_CARD_NUMBER => Some(StatusCode::BAD_GATEWAY),
                GATEWAY_TIMEOUT_CARD_NUMBER => Some(StatusCode::GATEWAY_TIMEOUT),
                _ => None,
            };
            if let Some(status) = status {
                return fault_response(&request_id, status);
            }
            if card.number == SLOW_CARD_NUMBER {
                tokio::time::sleep(inner.config.slow_response_delay).await;
            }
            let new_state = match card.number.as_str() {
                DECLINED_CARD_NUMBER => "declined",
                REQUESTED_CARD_NUMBER => "requested",
                _ => "active",
            };
            (format!("card:{}", card.number), card, new_state)
        }
        Source::Id(id) => {
            // A stored card: a Visa number derived from the id, expiring 12/2030.
            let digits: String = id
                .bytes()
                .skip(4)
                .take(14)
                .map(|b| char::from(b'0' + b % 10))
                .collect();
            let card = CardData {
                number: with_check_digit(&format!("4{digits}")),
                expiry_month: "12".to_owned(),
                expiry_year: "2030".to_owned(),
            };
            (format!("src:{id}"), card, "active")
        }
    };
    let base = inner.links_base(&headers);
    let mut store = lock(&inner.store);
    if let Some(existing) = store.by_card.get(&key).and_then(|id| store.tokens.get(id)) {
        return json_response(StatusCode::OK, &details_json(existing, &base));
    }
    let id = inner.new_token_id(&store);
    let record = inner.new_record(id.clone(), &card, new_state);
    let response = json_response(StatusCode::CREATED, &details_json(&record, &base));
    store.by_card.insert(key, id.clone());
    store.tokens.insert(id, record);
    response
}

/// The checks common to the three operations on one token: bearer token, trigger id, random
/// fault, then the slow delay if the token is slow. `Err` is the response to send.
/// The token id from the path. One whose percent-decoding is not UTF-8 cannot name a token,
/// so it becomes the empty id, which is unknown (404) like any other.
fn token_id(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(id)| id).unwrap_or_default()
}

async fn token_preamble(
    inner: &Inner,
    request_id: &RequestId,
    headers: &HeaderMap,
    id: &str,
) -> Result<(), Response> {
    if !inner.authorized(headers) {
        return Err(unauthorized_response());
    }
    if let Some(status) = trigger_fault(id) {
        return Err(fault_response(request_id, status));
    }
    if let Some(status) = inner.random_fault() {
        return Err(fault_response(request_id, status));
    }
    Ok(())
}

/// Whether the token exists (`None`) and whether it is slow.
fn token_slow(inner: &Inner, id: &str) -> Option<bool> {
    lock(&inner.store).tokens.get(id).map(|record| record.slow)
}

async fn get_token_details(
    State(inner): State<Arc<Inner>>,
    Extension(request_id): Extension<RequestId>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let id = token_id(id);
    if let Err(response) = token_preamble(&inner, &request_id, &headers, &id).await {
        return response;
    }
    match token_slow(&inner, &id) {
        None => return not_found_response(&request_id),
        Some(true) => tokio::time::sleep(inner.config.slow_response_delay).await,
        Some(false) => {}
    }
    let base = inner.links_base(&headers);
    match lock(&inner.store).tokens.get(&id) {
        Some(record) => json_response(StatusCode::OK, &details_json(record, &base)),
        None => not_found_response(&request_id),
    }
}

async fn request_cryptogram(
    State(inner): State<Arc<Inner>>,
    Extension(request_id): Extension<RequestId>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = token_id(id);
    if let Err(response) = token_preamble(&inner, &request_id, &headers, &id).await {
        return response;
    }
    let Some(body) = read_body(body).await else {
        return malformed(&request_id, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if !json_media_type(&headers, &body) {
        // 415 is not documented for this operation.
        return error_response(
            &request_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            "request_invalid",
            &["content_type_invalid"],
        );
    }
    let Some(slow) = token_slow(&inner, &id) else {
        return not_found_response(&request_id);
    };
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return malformed(&request_id, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let mut codes = Vec::new();
    check_field(
        &value,
        "transaction_type",
        "transaction_type",
        true,
        |t| matches!(t, "ecom" | "recurring" | "pos" | "aft"),
        &mut codes,
    );
    if !codes.is_empty() {
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        return invalid(&request_id, &codes);
    }
    if slow {
        tokio::time::sleep(inner.config.slow_response_delay).await;
    }
    let base = inner.links_base(&headers);
    let store = lock(&inner.store);
    let Some(record) = store.tokens.get(&id) else {
        return not_found_response(&request_id);
    };
    if record.state != "active" {
        return token_state_invalid(&request_id);
    }
    let mut bytes = [0u8; 20];
    {
        let mut rng = lock(&inner.rng);
        bytes[0] = 0x02;
        for byte in &mut bytes[1..] {
            *byte = rng.u8(..);
        }
    }
    let href = format!("{base}/network-tokens/{}", record.id);
    json_response(
        StatusCode::CREATED,
        &json!({
            "cryptogram": base64::engine::general_purpose::STANDARD.encode(bytes),
            "eci": "7",
            "_links": {
                "self": { "href": format!("{href}/cryptograms") },
                "network-token": { "href": href },
            },
        }),
    )
}

async fn delete_token(
    State(inner): State<Arc<Inner>>,
    Extension(request_id): Extension<RequestId>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let id = token_id(id);
    if let Err(response) = token_preamble(&inner, &request_id, &headers, &id).await {
        return response;
    }
    let Some(body) = read_body(body).await else {
        return malformed(&request_id, StatusCode::BAD_REQUEST);
    };
    if !json_media_type(&headers, &body) {
        // 415 is not documented for this operation; 400 is ("could not be read").
        return error_response(
            &request_id,
            StatusCode::BAD_REQUEST,
            "request_malformed",
            &["content_type_invalid"],
        );
    }
    let Some(slow) = token_slow(&inner, &id) else {
        return not_found_response(&request_id);
    };
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return malformed(&request_id, StatusCode::BAD_REQUEST);
    };
    let mut codes = Vec::new();
    check_field(
        &value,
        "initiated_by",
        "initiated_by",
        true,
        |v| matches!(v, "cardholder" | "token_requestor"),
        &mut codes,
    );
    check_field(
        &value,
        "reason",
        "reason",
        true,
        |v| matches!(v, "fraud" | "other"),
        &mut codes,
    );
    if !codes.is_empty() {
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        return invalid(&request_id, &codes);
    }
    if slow {
        tokio::time::sleep(inner.config.slow_response_delay).await;
    }
    let mut store = lock(&inner.store);
    let Some(record) = store.tokens.get_mut(&id) else {
        return not_found_response(&request_id);
    };
    if record.deleted {
        return token_state_invalid(&request_id);
    }
    record.deleted = true;
    record.state = "inactive";
    record.modified_on = now_rfc3339();
    store.by_card.retain(|_, token_id| *token_id != id);
    empty_response(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4539467987109256"));
        assert!(luhn_valid("4242424242424242"));
        assert!(!luhn_valid("4539467987109257"));
        assert!(!luhn_valid("45394679871092a6"));
        assert_eq!(with_check_digit("453946798710925"), "4539467987109256");
        for card in [
            EXISTING_CARD_NUMBER,
            NEW_CARD_NUMBER,
            NEW_MASTERCARD_NUMBER,
            DECLINED_CARD_NUMBER,
            REQUESTED_CARD_NUMBER,
            SLOW_CARD_NUMBER,
            FORBIDDEN_CARD_NUMBER,
            INTERNAL_ERROR_CARD_NUMBER,
            BAD_GATEWAY_CARD_NUMBER,
            GATEWAY_TIMEOUT_CARD_NUMBER,
        ] {
            assert!(luhn_valid(card), "{card}");
        }
    }

    #[test]
    fn seeded_ids_have_the_issued_shape() {
        for id in [
            ACTIVE_TOKEN_ID,
            DELETABLE_TOKEN_ID,
            REQUESTED_TOKEN_ID,
            SLOW_TOKEN_ID,
            UNKNOWN_TOKEN_ID,
        ] {
            let suffix = id.strip_prefix("nt_").unwrap();
            assert_eq!(suffix.len(), 26, "{id}");
            assert!(suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
        }
        assert!(valid_source_id(NEW_SOURCE_ID));
        assert!(!valid_source_id("src_wmlfc3zyhqzehihu7giusaaaw"));
        assert!(!valid_source_id("src_wmlfc3zyhqzehihu7giusaaaé"));
    }
}
