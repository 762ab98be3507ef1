//! Building a [`Client`]: environment, hosts, credentials, time-outs and retries.
//!
//! Defaults are safe: TLS certificates are verified, redirects are not followed (a 3xx is an
//! outcome, never chased with the bearer token), connect and request time-outs are on, and
//! plain `http://` is refused except on loopback hosts (tests and the embedded sandbox).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{
    Clock, SystemClock, TokenProvider, TokenSource, DEFAULT_REFRESH_MARGIN, DEFAULT_SCOPE,
};
use crate::client::Client;
use crate::retry::RetryPolicy;
use crate::sensitive::{AccessToken, ClientSecret};
use crate::transport::Hooks;

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, response body included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Checkout.com's environments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// The sandbox (test) environment. The default.
    #[default]
    Sandbox,
    /// Production.
    Production,
}

impl Environment {
    /// The API base URL: account-specific when a prefix is known, else the legacy host.
    pub fn api_url(self, prefix: Option<&str>) -> String {
        match (self, prefix) {
            (Self::Sandbox, Some(p)) => format!("https://{p}.api.sandbox.checkout.com"),
            (Self::Production, Some(p)) => format!("https://{p}.api.checkout.com"),
            (Self::Sandbox, None) => "https://api.sandbox.checkout.com".to_owned(),
            (Self::Production, None) => "https://api.checkout.com".to_owned(),
        }
    }

    /// The OAuth token URL: account-specific when a prefix is known.
    pub fn token_url(self, prefix: Option<&str>) -> String {
        match (self, prefix) {
            (Self::Sandbox, Some(p)) => {
                format!("https://{p}.access.sandbox.checkout.com/connect/token")
            }
            (Self::Production, Some(p)) => format!("https://{p}.access.checkout.com/connect/token"),
            (Self::Sandbox, None) => "https://access.sandbox.checkout.com/connect/token".to_owned(),
            (Self::Production, None) => "https://access.checkout.com/connect/token".to_owned(),
        }
    }
}

/// A configuration the builder refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither client credentials nor an access token were given.
    #[error("no credentials: call `client_credentials` or `access_token`")]
    MissingCredentials,
    /// The account prefix does not match `^(?:pl-)?[a-z0-9]+$`.
    #[error("the account prefix must match ^(?:pl-)?[a-z0-9]+$ (the 8 characters after `cli_` in the account's client id)")]
    InvalidPrefix,
    /// A URL could not be parsed or has no host.
    #[error("the {which} is not a valid absolute URL")]
    InvalidUrl {
        /// `API base URL` or `token URL`.
        which: &'static str,
    },
    /// A URL carries a part that would misroute or leak: a query or fragment (the generated
    /// client appends paths to the base URL as text) or user info (a password in a URL ends up
    /// in `Debug` output and competes with the bearer token).
    #[error("the {which} must not carry {part}")]
    UnsupportedUrlPart {
        /// `API base URL` or `token URL`.
        which: &'static str,
        /// `a query`, `a fragment` or `user info`.
        part: &'static str,
    },
    /// The static access token cannot be sent in an HTTP header (empty, surrounded by spaces,
    /// or holding control characters).
    #[error("the access token is not a valid HTTP header value")]
    InvalidAccessToken,
    /// A URL uses plain `http://` on a host that is not loopback.
    #[error("the {which} must use https (plain http is allowed only on loopback hosts)")]
    InsecureUrl {
        /// `API base URL` or `token URL`.
        which: &'static str,
    },
    /// The HTTP client could not be built (for example, no TLS backend could start).
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
}

#[derive(Clone)]
enum Credentials {
    ClientCredentials {
        client_id: String,
        client_secret: ClientSecret,
    },
    AccessToken(AccessToken),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientCredentials { client_id, .. } => f
                .debug_struct("ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
            Self::AccessToken(_) => f.write_str("AccessToken(<redacted>)"),
        }
    }
}

/// Builds a [`Client`]. Start with [`Client::builder`].
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    environment: Environment,
    prefix: Option<String>,
    api_url: Option<String>,
    token_url: Option<String>,
    credentials: Option<Credentials>,
    scope: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: String,
    http_client: Option<reqwest::Client>,
    retry: RetryPolicy,
    refresh_margin: Duration,
    clock: Arc<dyn Clock>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            environment: Environment::default(),
            prefix: None,
            api_url: None,
            token_url: None,
            credentials: None,
            scope: DEFAULT_SCOPE.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            user_agent: concat!("checkout-network-tokens/", env!("CARGO_PKG_VERSION")).to_owned(),
            http_client: None,
            retry: RetryPolicy::default(),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            clock: Arc::new(SystemClock),
        }
    }
}

impl ClientBuilder {
    /// Sandbox (the default) or production.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// The account prefix: the first 8 characters after `cli_` in the **account's** client id
    /// (shown in the dashboard; not the OAuth access key id `ack_…`). With it the
    /// account-specific hosts are used; without it, the legacy hosts.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Overrides the API base URL (a proxy, a mock, the embedded sandbox).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some(url.into());
        self
    }

    /// Overrides the OAuth token URL, independently of the API base URL.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// OAuth 2.0 client credentials: the access key id (`ack_…`) and its secret.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: ClientSecret::new(client_secret),
        });
        self
    }

    /// A static access token obtained elsewhere; it is never refreshed, so a 401 is final.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::AccessToken(AccessToken::new(token)));
        self
    }

    /// The OAuth scope to ask for. Default: `vault:network-tokens`.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Time allowed to open a connection. Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one whole request (each attempt). Default: 30 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The `User-Agent`. Default: `checkout-network-tokens/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Uses this `reqwest::Client` (proxies, custom CAs) instead of building one. Its own
    /// settings then apply to connections, proxies, redirects and the user agent: build it
    /// with `redirect(reqwest::redirect::Policy::none())`. The request time-out still applies,
    /// to API calls and token requests alike.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// How failed calls are retried. Default: [`RetryPolicy::default`] (3 attempts).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// How long before expiry a token is refreshed. Default: 60 s (at most half the
    /// token's lifetime).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The clock used for token expiry (for tests). Default: [`SystemClock`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the configuration and builds the client.
    ///
    /// # Errors
    /// [`ConfigError`] when credentials are missing, the prefix or a URL is invalid, a URL
    /// is plain http on a non-loopback host, or the HTTP client cannot be built.
    pub fn build(self) -> Result<Client, ConfigError> {
        let credentials = self.credentials.ok_or(ConfigError::MissingCredentials)?;
        if let Some(prefix) = &self.prefix {
            if !valid_prefix(prefix) {
                return Err(ConfigError::InvalidPrefix);
            }
        }
        let prefix = self.prefix.as_deref();
        let api_url = checked_url(
            self.api_url
                .unwrap_or_else(|| self.environment.api_url(prefix)),
            "API base URL",
        )?;
        let token_url = checked_url(
            self.token_url
                .unwrap_or_else(|| self.environment.token_url(prefix)),
            "token URL",
        )?;
        if let Credentials::AccessToken(token) = &credentials {
            if crate::auth::bearer_header(token.expose_secret()).is_none() {
                return Err(ConfigError::InvalidAccessToken);
            }
        }
        let http = match self.http_client {
            Some(client) => client,
            None => {
                // Loopback http is checked above; every other URL is https.
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.request_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(self.user_agent)
                    .https_only(false);
                // Plain http only ever goes to loopback, which no proxy should see: an
                // `HTTP_PROXY` from the environment would otherwise receive the client secret,
                // the bearer token and card data in clear text. reqwest cannot exempt some
                // hosts from the environment's proxies, so such a client uses none at all;
                // supply a `reqwest::Client` for a proxy in a mixed (https + loopback) setup.
                if api_url.scheme() == "http" || token_url.scheme() == "http" {
                    builder = builder.no_proxy();
                }
                builder.build().map_err(ConfigError::HttpClient)?
            }
        };
        let source = match credentials {
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => TokenSource::ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope: self.scope,
            },
            Credentials::AccessToken(token) => TokenSource::Static(token),
        };
        let tokens = Arc::new(TokenProvider::new(
            http.clone(),
            source,
            self.clock,
            self.refresh_margin,
            self.request_timeout,
        ));
        let hooks = Hooks {
            tokens,
            request_timeout: self.request_timeout,
            base_path: api_url.path().trim_end_matches('/').to_owned(),
        };
        Ok(Client::from_parts(api_url, http, hooks, self.retry))
    }
}

/// `^(?:pl-)?[a-z0-9]+$`
fn valid_prefix(prefix: &str) -> bool {
    let rest = prefix.strip_prefix("pl-").unwrap_or(prefix);
    !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Parses a URL, refuses parts that would misroute or leak, and allows plain http only on
/// loopback hosts.
fn checked_url(url: String, which: &'static str) -> Result<reqwest::Url, ConfigError> {
    let parsed = reqwest::Url::parse(&url).map_err(|_| ConfigError::InvalidUrl { which })?;
    let host = parsed.host_str().ok_or(ConfigError::InvalidUrl { which })?;
    match parsed.scheme() {
        "https" => {}
        "http" if is_loopback(host) => {}
        "http" => return Err(ConfigError::InsecureUrl { which }),
        _ => return Err(ConfigError::InvalidUrl { which }),
    }
    let refuse = |part| Err(ConfigError::UnsupportedUrlPart { which, part });
    if parsed.query().is_some() {
        return refuse("a query");
    }
    if parsed.fragment().is_some() {
        return refuse("a fragment");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return refuse("user info");
    }
    Ok(parsed)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_follow_environment_and_prefix() {
        assert_eq!(
            Environment::Sandbox.api_url(None),
            "https://api.sandbox.checkout.com"
        );
        assert_eq!(
            Environment::Production.api_url(Some("abc12345")),
            "https://abc12345.api.checkout.com"
        );
        assert_eq!(
            Environment::Sandbox.token_url(Some("abc12345")),
            "https://abc12345.access.sandbox.checkout.com/connect/token"
        );
        assert_eq!(
            Environment::Production.token_url(None),
            "https://access.checkout.com/connect/token"
        );
    }

    #[test]
    fn prefix_and_urls_are_checked() {
        assert!(valid_prefix("abc12345") && valid_prefix("pl-abc12345"));
        assert!(!valid_prefix("ABC") && !valid_prefix("pl-") && !valid_prefix("a.b"));
        assert!(checked_url("http://127.0.0.1:8080".into(), "x").is_ok());
        assert!(checked_url("http://[::1]:8080".into(), "x").is_ok());
        assert!(checked_url("http://localhost".into(), "x").is_ok());
        assert!(matches!(
            checked_url("http://api.checkout.com".into(), "x"),
            Err(ConfigError::InsecureUrl { .. })
        ));
        assert!(matches!(
            checked_url("ftp://x".into(), "x"),
            Err(ConfigError::InvalidUrl { .. })
        ));
        for (url, refused) in [
            ("https://h/v1?tenant=1", "a query"),
            ("https://h/v1?", "a query"),
            ("https://h/v1#frag", "a fragment"),
            ("https://user:pass@h/v1", "user info"),
            ("https://user@h/v1", "user info"),
        ] {
            match checked_url(url.into(), "x") {
                Err(ConfigError::UnsupportedUrlPart { part, .. }) => assert_eq!(part, refused),
                other => panic!("{url}: {other:?}"),
            }
        }
        let err = Client::builder().build().expect_err("no credentials");
        assert!(matches!(err, ConfigError::MissingCredentials));
        let err = Client::builder()
            .client_credentials("a", "b")
            .prefix("NO")
            .build();
        assert!(matches!(err, Err(ConfigError::InvalidPrefix)));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let builder = Client::builder().client_credentials("ack_x", "s3cr3t-value");
        let text = format!("{builder:?}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        let client = builder.build().expect("builds");
        assert!(!format!("{client:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn static_tokens_that_cannot_be_sent_are_refused() {
        for bad in ["", " ", "abc\ndef", " padded", "nul\0"] {
            let result = Client::builder().access_token(bad).build();
            assert!(
                matches!(result, Err(ConfigError::InvalidAccessToken)),
                "{bad:?}"
            );
        }
        assert!(Client::builder()
            .access_token("eyJ.a-b_c.d~e+f/g=")
            .build()
            .is_ok());
    }
}
