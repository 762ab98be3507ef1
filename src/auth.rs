//! OAuth 2.0 client credentials: one token for all callers, refreshed before it expires.
//!
//! The token is cached until `expires_in` **seconds** minus a margin. A single async mutex
//! guards the cache and is held while a token is fetched, so any number of concurrent
//! callers — at start-up, at expiry, or after all receiving a 401 at once — cause one token
//! request: the first fetches, the others wait and take its token. If that fetch fails, the
//! callers that waited for it get its error instead of each asking again.
//!
//! Time comes from a [`Clock`], so expiry can be tested without waiting.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::AuthError;
use crate::sensitive::{AccessToken, ClientSecret};

/// The scope the Network Tokens API needs.
pub const DEFAULT_SCOPE: &str = "vault:network-tokens";

/// How long before its expiry a token is refreshed, unless configured otherwise.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How long a token is assumed to live when the token endpoint omits `expires_in`.
const LIFETIME_WHEN_UNSTATED: Duration = Duration::from_secs(300);

/// The longest lifetime believed (Checkout.com's tokens live an hour): a huge `expires_in`
/// from a faulty endpoint must neither overflow the clock nor pin a token for ever.
const LONGEST_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A source of the current time for token expiry. The default is [`SystemClock`]; tests
/// inject a clock they can move forward.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Where access tokens come from.
#[derive(Clone, Debug)]
pub(crate) enum TokenSource {
    /// OAuth 2.0 client credentials, sent as HTTP Basic.
    ClientCredentials {
        token_url: reqwest::Url,
        client_id: String,
        client_secret: ClientSecret,
        scope: String,
    },
    /// A token the caller obtained; it is never refreshed.
    Static(AccessToken),
}

/// A token handed to one request, with the generation it came from (so that a 401 can
/// invalidate exactly that token and no newer one).
#[derive(Clone, Debug)]
pub(crate) struct Bearer {
    pub(crate) token: AccessToken,
    pub(crate) generation: u64,
}

#[derive(Debug, Default)]
struct CacheState {
    token: Option<(Bearer, Instant)>,
    /// The last fetch's error and its number, shared with the callers that waited for it.
    last_failure: Option<(u64, AuthError)>,
}

/// The token cache and its single-flight refresh.
#[derive(Debug)]
pub(crate) struct TokenProvider {
    http: reqwest::Client,
    source: TokenSource,
    clock: Arc<dyn Clock>,
    margin: Duration,
    /// Set on each token request, so that a caller-supplied `reqwest::Client` without a
    /// time-out cannot hold the single-flight lock (and so every caller) for ever.
    request_timeout: Duration,
    state: tokio::sync::Mutex<CacheState>,
    /// How many fetches have finished, successful or not.
    fetches: AtomicU64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default, deserialize_with = "seconds")]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
}

/// `expires_in` as a JSON number (integer or, tolerated, fractional: whole seconds count) or a
/// numeric string. A negative number counts as 0 (refused as no lifetime); a string that is
/// not a number counts as unstated.
fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Seconds {
        Whole(u64),
        Fractional(f64),
        Text(String),
    }
    // `as` saturates: negative and NaN become 0, anything huge u64::MAX (capped later).
    let whole = |f: f64| Some(f as u64);
    Ok(match Option::<Seconds>::deserialize(d)? {
        Some(Seconds::Whole(n)) => Some(n),
        Some(Seconds::Fractional(f)) => whole(f),
        Some(Seconds::Text(t)) => t.trim().parse::<f64>().ok().and_then(whole),
        None => None,
    })
}

/// The `Authorization: Bearer <token>` value, marked sensitive, or `None` when `token` cannot
/// be sent unaltered: empty, with spaces around it (HTTP would strip them), or holding what a
/// header value cannot.
pub(crate) fn bearer_header(token: &str) -> Option<reqwest::header::HeaderValue> {
    if token.is_empty() || token.trim() != token {
        return None;
    }
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

impl TokenProvider {
    pub(crate) fn new(
        http: reqwest::Client,
        source: TokenSource,
        clock: Arc<dyn Clock>,
        margin: Duration,
        request_timeout: Duration,
    ) -> Self {
        Self {
            http,
            source,
            clock,
            margin,
            request_timeout,
            state: tokio::sync::Mutex::default(),
            fetches: AtomicU64::new(0),
        }
    }

    /// Whether a refused token can be replaced by asking again.
    pub(crate) fn can_refresh(&self) -> bool {
        matches!(self.source, TokenSource::ClientCredentials { .. })
    }

    /// A token that is valid for at least the margin, fetching one if needed.
    pub(crate) async fn bearer(&self) -> Result<Bearer, AuthError> {
        let (token_url, client_id, client_secret, scope) = match &self.source {
            TokenSource::Static(token) => {
                return Ok(Bearer {
                    token: token.clone(),
                    generation: 0,
                })
            }
            TokenSource::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => (token_url, client_id, client_secret, scope),
        };
        let fetches_before_waiting = self.fetches.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        if let Some((bearer, refresh_at)) = &state.token {
            if self.clock.now() < *refresh_at {
                return Ok(bearer.clone());
            }
        }
        if let Some((fetch, error)) = &state.last_failure {
            if *fetch > fetches_before_waiting {
                return Err(error.clone());
            }
        }
        let result = self.fetch(token_url, client_id, client_secret, scope).await;
        let fetch = self.fetches.fetch_add(1, Ordering::AcqRel) + 1;
        match result {
            Ok((token, lifetime)) => {
                let margin = self.margin.min(lifetime / 2);
                let refresh_at = self.clock.now() + lifetime - margin;
                let bearer = Bearer {
                    token,
                    generation: fetch,
                };
                state.token = Some((bearer.clone(), refresh_at));
                state.last_failure = None;
                Ok(bearer)
            }
            Err(error) => {
                state.token = None;
                state.last_failure = Some((fetch, error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets the token of `generation` after the API refused it; a newer token is kept.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .token
            .as_ref()
            .is_some_and(|(b, _)| b.generation == generation)
        {
            state.token = None;
        }
    }

    async fn fetch(
        &self,
        token_url: &reqwest::Url,
        client_id: &str,
        client_secret: &ClientSecret,
        scope: &str,
    ) -> Result<(AccessToken, Duration), AuthError> {
        let started = Instant::now();
        let sent = self
            .http
            .post(token_url.clone())
            .timeout(self.request_timeout)
            // reqwest marks this header sensitive.
            .basic_auth(client_id, Some(client_secret.expose_secret()))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Err(AuthError::Timeout(Arc::new(e.without_url()))),
            Err(e) => return Err(AuthError::Transport(Arc::new(e.without_url()))),
        };
        let status = response.status().as_u16();
        let request_id = crate::transport::header_request_id(response.headers());
        tracing::debug!(
            status,
            request_id = request_id
                .as_deref()
                .map(crate::error::printable)
                .unwrap_or_default(),
            latency_ms = started.elapsed().as_millis() as u64,
            "oauth token request"
        );
        // A body over the limit reads as empty: no token, no OAuth error code.
        let body = match crate::transport::read_capped(response).await {
            Ok(body) => body.unwrap_or_default(),
            Err(e) if e.is_timeout() => return Err(AuthError::Timeout(Arc::new(e.without_url()))),
            Err(e) => return Err(AuthError::Transport(Arc::new(e.without_url()))),
        };
        match status {
            200 => {
                let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
                    AuthError::InvalidResponse("the body is not a JSON token response")
                })?;
                if parsed.access_token.is_empty() {
                    return Err(AuthError::InvalidResponse("access_token is empty"));
                }
                // Refused here, a bad token is never cached: the next call asks again.
                if bearer_header(&parsed.access_token).is_none() {
                    return Err(AuthError::InvalidResponse(
                        "the access token is not a valid header value",
                    ));
                }
                if parsed
                    .token_type
                    .as_deref()
                    .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
                {
                    return Err(AuthError::InvalidResponse("token_type is not Bearer"));
                }
                let lifetime = parsed
                    .expires_in
                    .map_or(LIFETIME_WHEN_UNSTATED, Duration::from_secs)
                    .min(LONGEST_LIFETIME);
                if lifetime.is_zero() {
                    return Err(AuthError::InvalidResponse("expires_in is 0"));
                }
                Ok((AccessToken::new(parsed.access_token), lifetime))
            }
            400 | 401 => {
                let oauth_error = serde_json::from_slice::<OAuthErrorBody>(&body)
                    .ok()
                    .and_then(|b| b.error);
                Err(AuthError::Rejected {
                    status,
                    oauth_error,
                    request_id,
                })
            }
            _ => Err(AuthError::Server { status, request_id }),
        }
    }
}
