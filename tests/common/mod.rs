//! Helpers shared by the facade's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checkout_network_tokens::{Client, ClientBuilder, Clock, RetryPolicy};
use httpmock::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const CLIENT_ID: &str = "ack_test_client";
pub const CLIENT_SECRET: &str = "test-secret-value";

/// Token details as the API documents them.
pub fn token_details() -> Value {
    json!({
        "card": {"last4": "6378", "expiry_month": "5", "expiry_year": "2025"},
        "network_token": {
            "id": "nt_xgu3isllqfyu7ktpk5z2yxbwna",
            "state": "active",
            "type": "vts",
            "number": "5436424242424242",
            "expiry_month": "5",
            "expiry_year": "2025",
            "created_on": "2020-02-11T15:57:32.435+00:00",
            "modified_on": "2020-02-11T15:57:32.435+00:00",
            "payment_account_reference": "5001a9f027e5629d11e3949a0800a"
        },
        "token_requestor_id": "1234567890"
    })
}

pub fn cryptogram() -> Value {
    json!({"cryptogram": "AhJ3hnYAoAbVz5zg1e17MAACAAA=", "eci": "7"})
}

/// A builder pointed at `server` for both the API and the token endpoint, without retries.
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .api_url(server.base_url())
        .token_url(server.url("/connect/token"))
        .client_credentials(CLIENT_ID, CLIENT_SECRET)
        .retry_policy(RetryPolicy::none())
}

/// A token endpoint that hands out `token` for `expires_in` seconds, `times` times (or always).
pub async fn token_mock<'a>(
    server: &'a MockServer,
    token: &str,
    times: Option<usize>,
) -> httpmock::Mock<'a> {
    let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600});
    server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            let then = then
                .status(200)
                .header("content-type", "application/json")
                .json_body(body);
            if let Some(n) = times {
                then.up_to_n_times(n);
            }
        })
        .await
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        })
    }
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

/// One request as a raw TCP server saw it: the request line's method and target, untouched.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl RawRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server that records each request's raw target and answers every
/// request with `respond(&request)` (a full response without the status line's `HTTP/1.1`).
pub struct RawServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<RawRequest>>>,
}

impl RawServer {
    pub async fn start(
        respond: impl Fn(&RawRequest) -> (u16, Vec<(String, String)>, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let respond = Arc::new(respond);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let seen = Arc::clone(&seen);
                let respond = Arc::clone(&respond);
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Some(head_end) = find(&buffer, b"\r\n\r\n") else {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
                        let mut lines = head.split("\r\n");
                        let mut parts = lines.next().unwrap_or("").split(' ');
                        let method = parts.next().unwrap_or("").to_owned();
                        let target = parts.next().unwrap_or("").to_owned();
                        let headers: Vec<(String, String)> = lines
                            .filter_map(|l| l.split_once(':'))
                            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                            .collect();
                        let length: usize = headers
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                            .and_then(|(_, v)| v.parse().ok())
                            .unwrap_or(0);
                        while buffer.len() < head_end + 4 + length {
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                            }
                        }
                        buffer.drain(..head_end + 4 + length);
                        let request = RawRequest {
                            method,
                            target,
                            headers,
                        };
                        let (status, headers, body) = respond(&request);
                        seen.lock().unwrap().push(request);
                        let mut response =
                            format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                        for (n, v) in headers {
                            response.push_str(&format!("{n}: {v}\r\n"));
                        }
                        response.push_str("\r\n");
                        response.push_str(&body);
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url, requests }
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The canned answers of a raw server standing in for the whole API: a token, then `api`.
pub fn token_then(
    api: impl Fn(&RawRequest) -> (u16, Vec<(String, String)>, String) + Send + Sync + 'static,
) -> impl Fn(&RawRequest) -> (u16, Vec<(String, String)>, String) + Send + Sync + 'static {
    move |request| {
        if request.target == "/connect/token" {
            let body = json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600});
            (
                200,
                vec![("content-type".into(), "application/json".into())],
                body.to_string(),
            )
        } else {
            api(request)
        }
    }
}
