//! Faults on the wire become typed errors, never panics or hangs.
//!
//! A server that stalls yields a time-out error within the configured bound; a closed port
//! yields a transport error; and whatever a server sends back — empty, HTML, truncated, huge,
//! without `Content-Type`, of the wrong shape, an undocumented status, malformed HTTP, a
//! non-UTF-8 header — gives the documented variant with its status and request id.
//!
//! The servers here are raw `TcpListener`s, so that every byte of the response is under the
//! test's control.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use checkout_network_tokens::{
    AuthError, Client, DecodeCategory, Error, Operation, RetryPolicy, TransactionType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A generous bound on how long a 300 ms time-out may take to surface (not a performance
/// test: it only catches a time-out that is not applied at all).
const BOUND: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_millis(300);

const DETAILS: &str = r#"{"card":{"last4":"6378","expiry_month":"5","expiry_year":"2025"},
"network_token":{"id":"nt_xgu3isllqfyu7ktpk5z2yxbwna","state":"active","type":"vts",
"number":"5436424242424242","expiry_month":"12","expiry_year":"2031",
"created_on":"2020-02-11T15:57:32.435+00:00","modified_on":"2020-02-11T15:57:32Z"},
"token_requestor_id":"1234567890"}"#;

/// What a raw server does with each connection.
#[derive(Clone)]
enum Behaviour {
    /// Accepts, reads the request and never answers (the connection stays open).
    Stall,
    /// Reads the request head, writes these bytes and closes.
    Respond(Arc<Vec<u8>>),
    /// Reads the request head, writes these bytes (a head and part of a body) and then says
    /// nothing more, keeping the connection open.
    RespondThenStall(Arc<Vec<u8>>),
}

struct RawServer {
    url: String,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn raw_server(behaviour: Behaviour) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let task = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let behaviour = behaviour.clone();
            tokio::spawn(serve(socket, behaviour));
        }
    });
    RawServer {
        url,
        accepted,
        task,
    }
}

async fn serve(mut socket: TcpStream, behaviour: Behaviour) {
    // Read the request head (a request body, if any, is left unread).
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    match behaviour {
        Behaviour::Stall => {
            // Hold the connection open, saying nothing, until the client gives up.
            let _ = socket.read(&mut buf).await;
            std::future::pending::<()>().await;
        }
        Behaviour::Respond(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Behaviour::RespondThenStall(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.flush().await;
            let _ = socket.read(&mut buf).await;
            std::future::pending::<()>().await;
        }
    }
}

/// An HTTP/1.1 response with the given status line, extra header lines and body; it always
/// carries `Content-Length` and `Connection: close`.
fn response(status_line: &str, headers: &[&[u8]], body: &[u8]) -> Behaviour {
    let mut bytes = format!("HTTP/1.1 {status_line}\r\n").into_bytes();
    for header in headers {
        bytes.extend_from_slice(header);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(body);
    Behaviour::Respond(Arc::new(bytes))
}

const JSON: &[u8] = b"Content-Type: application/json";
const REQUEST_ID: &[u8] = b"Cko-Request-Id: req_fault_1";

/// A client with a static token and no retries.
fn static_client(api_url: &str) -> Client {
    Client::builder()
        .api_url(api_url)
        .access_token("t")
        .request_timeout(TIMEOUT)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds")
}

/// A client that must fetch its token from `token_url` first.
fn oauth_client(api_url: &str, token_url: &str) -> Client {
    Client::builder()
        .api_url(api_url)
        .token_url(token_url)
        .client_credentials("ack_test", "client-secret")
        .request_timeout(TIMEOUT)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds")
}

/// A port nothing listens on: bound, read, released.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}")
}

// ---------------------------------------------------------------------------------------------
// Time-outs and unreachable servers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn stalled_api_yields_a_timeout_within_the_bound() {
    let server = raw_server(Behaviour::Stall).await;
    let client = static_client(&server.url);
    let started = Instant::now();
    let error = client
        .get("nt_x")
        .await
        .expect_err("the server never answers");
    let elapsed = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: Operation::Get,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.status(), None);
    assert!(
        elapsed >= TIMEOUT - Duration::from_millis(50),
        "gave up early: {elapsed:?}"
    );
    assert!(elapsed < BOUND, "took {elapsed:?}");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn stalled_token_endpoint_yields_an_auth_timeout_within_the_bound() {
    let token_server = raw_server(Behaviour::Stall).await;
    let api = raw_server(response("200 OK", &[JSON], DETAILS.as_bytes())).await;
    let client = oauth_client(&api.url, &format!("{}/connect/token", token_server.url));
    let started = Instant::now();
    let error = client
        .get("nt_x")
        .await
        .expect_err("the token endpoint never answers");
    let elapsed = started.elapsed();
    let Error::Auth(auth) = &error else {
        panic!("not an auth error: {error:?}")
    };
    assert!(matches!(**auth, AuthError::Timeout(_)), "{auth:?}");
    assert!(elapsed < BOUND, "took {elapsed:?}");
    assert_eq!(
        api.accepted.load(Ordering::SeqCst),
        0,
        "no API request without a token"
    );
}

#[tokio::test]
async fn closed_port_yields_a_transport_error() {
    let client = static_client(&closed_port_url());
    let started = Instant::now();
    let error = client.get("nt_x").await.expect_err("nothing listens");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: Operation::Get,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(started.elapsed() < BOUND);
    // The same for the other operations.
    let error = client
        .request_cryptogram("nt_x", TransactionType::Ecom)
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: Operation::RequestCryptogram,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn closed_token_port_yields_an_auth_transport_error() {
    let api = raw_server(response("200 OK", &[JSON], DETAILS.as_bytes())).await;
    let client = oauth_client(&api.url, &format!("{}/connect/token", closed_port_url()));
    let error = client.get("nt_x").await.expect_err("nothing listens");
    let Error::Auth(auth) = &error else {
        panic!("not an auth error: {error:?}")
    };
    assert!(matches!(**auth, AuthError::Transport(_)), "{auth:?}");
    assert_eq!(
        api.accepted.load(Ordering::SeqCst),
        0,
        "no API request without a token"
    );
}

#[tokio::test]
async fn stalled_server_is_attempted_as_often_as_the_policy_allows() {
    let server = raw_server(Behaviour::Stall).await;
    let client = Client::builder()
        .api_url(&server.url)
        .access_token("t")
        .request_timeout(TIMEOUT)
        .retry_policy(
            RetryPolicy::attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("client builds");
    let started = Instant::now();
    let error = client
        .get("nt_x")
        .await
        .expect_err("the server never answers");
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        3,
        "three attempts, each on a new connection"
    );
    assert!(elapsed < 3 * BOUND, "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------------
// What the server sends back
// ---------------------------------------------------------------------------------------------

/// Gets `nt_x` from a server that answers with `behaviour`.
async fn get_from(
    behaviour: Behaviour,
) -> Result<checkout_network_tokens::Response<checkout_network_tokens::NetworkTokenDetails>, Error>
{
    let server = raw_server(behaviour).await;
    let client = Client::builder()
        .api_url(&server.url)
        .access_token("t")
        .request_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds");
    client.get("nt_x").await
}

/// Asserts a decode error of a 200 with the test's request id, and returns its category and path.
fn expect_decode(
    result: Result<impl std::fmt::Debug, Error>,
    what: &str,
) -> (DecodeCategory, String) {
    let error = result.expect_err(what);
    let Error::Decode(decode) = &error else {
        panic!("{what}: not a decode error: {error:?}")
    };
    assert_eq!(decode.status(), 200, "{what}");
    assert_eq!(error.status(), Some(200), "{what}");
    assert_eq!(decode.request_id(), Some("req_fault_1"), "{what}");
    assert_eq!(error.request_id(), Some("req_fault_1"), "{what}");
    assert_eq!(decode.operation(), Operation::Get, "{what}");
    assert!(!error.is_retryable(), "{what}");
    (decode.category(), decode.path().to_owned())
}

#[tokio::test]
async fn empty_200_is_a_decode_error() {
    let (category, _) = expect_decode(
        get_from(response("200 OK", &[JSON, REQUEST_ID], b"")).await,
        "empty",
    );
    assert_eq!(category, DecodeCategory::Eof);
}

#[tokio::test]
async fn html_200_is_a_decode_error() {
    let html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>";
    let (category, _) = expect_decode(
        get_from(response(
            "200 OK",
            &[b"Content-Type: text/html", REQUEST_ID],
            html,
        ))
        .await,
        "html",
    );
    assert_eq!(category, DecodeCategory::Syntax);
}

#[tokio::test]
async fn truncated_json_200_is_a_decode_error() {
    let body = &DETAILS.as_bytes()[..DETAILS.len() / 2];
    let (category, _) = expect_decode(
        get_from(response("200 OK", &[JSON, REQUEST_ID], body)).await,
        "truncated",
    );
    assert_eq!(category, DecodeCategory::Eof);
}

#[tokio::test]
async fn huge_200_is_a_decode_error() {
    let mut body = vec![b' '; 5 * 1024 * 1024];
    body.extend_from_slice(b"garbage");
    let (category, _) = expect_decode(
        get_from(response("200 OK", &[JSON, REQUEST_ID], &body)).await,
        "huge",
    );
    assert_eq!(category, DecodeCategory::Syntax);
}

#[tokio::test]
async fn wrong_type_field_is_a_decode_error_naming_the_path() {
    let body = DETAILS.replace(
        r#""number":"5436424242424242""#,
        r#""number":5436424242424242"#,
    );
    assert_ne!(body, DETAILS);
    let (category, path) = expect_decode(
        get_from(response("200 OK", &[JSON, REQUEST_ID], body.as_bytes())).await,
        "wrong type",
    );
    assert_eq!(category, DecodeCategory::Data);
    assert_eq!(path, "network_token.number");
    // The same without Content-Type.
    let (category, path) = expect_decode(
        get_from(response("200 OK", &[REQUEST_ID], body.as_bytes())).await,
        "no content type",
    );
    assert_eq!(category, DecodeCategory::Data);
    assert_eq!(path, "network_token.number");
}

#[tokio::test]
async fn garbage_without_content_type_is_a_decode_error() {
    let (category, _) = expect_decode(
        get_from(response("200 OK", &[REQUEST_ID], b"not json")).await,
        "garbage",
    );
    assert_eq!(category, DecodeCategory::Syntax);
}

#[tokio::test]
async fn valid_200_without_content_type_succeeds() {
    // Official SDKs crashed on this.
    let found = get_from(response("200 OK", &[REQUEST_ID], DETAILS.as_bytes()))
        .await
        .expect("decodes");
    assert_eq!(found.meta.status, 200);
    assert_eq!(found.meta.request_id.as_deref(), Some("req_fault_1"));
    assert_eq!(
        found.value.network_token.id,
        "nt_xgu3isllqfyu7ktpk5z2yxbwna"
    );
}

#[tokio::test]
async fn undocumented_201_on_get_is_an_unexpected_status() {
    let error = get_from(response(
        "201 Created",
        &[JSON, REQUEST_ID],
        DETAILS.as_bytes(),
    ))
    .await
    .expect_err("201 is not documented for get");
    assert!(matches!(error, Error::UnexpectedStatus(_)), "{error:?}");
    assert_eq!(error.status(), Some(201));
    assert_eq!(error.request_id(), Some("req_fault_1"));
    assert_eq!(error.kind(), None);
}

#[tokio::test]
async fn malformed_status_line_is_a_transport_error() {
    let error = get_from(Behaviour::Respond(Arc::new(b"HTTP/1.1 abc\r\n".to_vec())))
        .await
        .expect_err("not HTTP");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: Operation::Get,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), None);
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_transport_error() {
    let error = get_from(Behaviour::Respond(Arc::new(
        b"\x00\xff\xfe garbage \r\n\r\n".to_vec(),
    )))
    .await
    .expect_err("not HTTP");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn non_utf8_request_id_is_dropped_without_panicking() {
    let header: &[u8] = b"Cko-Request-Id: req_\xff\xfe_id";
    // On a decode error.
    let error = get_from(response("200 OK", &[JSON, header], b"{}"))
        .await
        .expect_err("missing fields");
    let Error::Decode(decode) = &error else {
        panic!("not a decode error: {error:?}")
    };
    assert_eq!(decode.status(), 200);
    assert_eq!(decode.request_id(), None);
    // On a success.
    let found = get_from(response("200 OK", &[JSON, header], DETAILS.as_bytes()))
        .await
        .expect("decodes");
    assert_eq!(found.meta.request_id, None);
    // On a documented error without a body request id.
    let error = get_from(response("404 Not Found", &[JSON, header], b"{}"))
        .await
        .expect_err("404");
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.request_id(), None);
}

#[tokio::test]
async fn body_cut_short_is_a_transport_error() {
    // Content-Length promises more than is sent before the connection closes.
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCko-Request-Id: req_fault_1\r\n"
            .to_vec();
    bytes.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            DETAILS.len() + 100
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(DETAILS.as_bytes());
    let error = get_from(Behaviour::Respond(Arc::new(bytes)))
        .await
        .expect_err("cut short");
    assert!(
        matches!(
            error,
            Error::Transport {
                operation: Operation::Get,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn error_status_with_html_body_keeps_status_and_header_request_id() {
    let error = get_from(response(
        "502 Bad Gateway",
        &[b"Content-Type: text/html", REQUEST_ID],
        b"<html>oops</html>",
    ))
    .await
    .expect_err("502");
    assert!(matches!(error, Error::SchemeError(_)), "{error:?}");
    assert_eq!(error.status(), Some(502));
    assert_eq!(error.request_id(), Some("req_fault_1"));
    let api = error.api_error().expect("api error");
    assert_eq!(api.error_type(), None);
    assert!(api.error_codes().is_empty());
}

/// A head promising `Content-Length: 10000` and the first bytes of the body.
fn head_then_part_of_a_body(status_line: &str) -> Behaviour {
    let mut bytes = format!(
        "HTTP/1.1 {status_line}\r\nContent-Type: application/json\r\nCko-Request-Id: req_fault_1\r\nContent-Length: 10000\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(&DETAILS.as_bytes()[..40]);
    Behaviour::RespondThenStall(Arc::new(bytes))
}

#[tokio::test]
async fn body_that_stalls_yields_a_timeout_within_the_bound() {
    let server = raw_server(head_then_part_of_a_body("200 OK")).await;
    let client = static_client(&server.url);
    let started = Instant::now();
    let error = client.get("nt_x").await.expect_err("the body never ends");
    let elapsed = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Timeout {
                operation: Operation::Get,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(elapsed < BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn error_body_that_stalls_still_gives_status_and_request_id_within_the_bound() {
    let server = raw_server(head_then_part_of_a_body("404 Not Found")).await;
    let client = static_client(&server.url);
    let started = Instant::now();
    let error = client.get("nt_x").await.expect_err("404");
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.request_id(), Some("req_fault_1"));
    assert!(elapsed < BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn token_body_that_stalls_yields_an_auth_timeout_within_the_bound() {
    let token_server = raw_server(head_then_part_of_a_body("200 OK")).await;
    let api = raw_server(response("200 OK", &[JSON], DETAILS.as_bytes())).await;
    let client = oauth_client(&api.url, &format!("{}/connect/token", token_server.url));
    let started = Instant::now();
    let error = client
        .get("nt_x")
        .await
        .expect_err("the token body never ends");
    let elapsed = started.elapsed();
    let Error::Auth(auth) = &error else {
        panic!("not an auth error: {error:?}")
    };
    assert!(matches!(**auth, AuthError::Timeout(_)), "{auth:?}");
    assert!(elapsed < BOUND, "took {elapsed:?}");
}

#[tokio::test]
async fn token_endpoint_garbage_gives_typed_auth_errors() {
    let api = raw_server(response("200 OK", &[JSON], DETAILS.as_bytes())).await;
    for (what, behaviour, check) in [
        (
            "html 200",
            response(
                "200 OK",
                &[b"Content-Type: text/html"],
                b"<html>login</html>",
            ),
            (|a: &AuthError| matches!(a, AuthError::InvalidResponse(_))) as fn(&AuthError) -> bool,
        ),
        ("empty 200", response("200 OK", &[JSON], b""), |a| {
            matches!(a, AuthError::InvalidResponse(_))
        }),
        (
            "html 400",
            response("400 Bad Request", &[REQUEST_ID], b"<html/>"),
            |a| {
                matches!(
                    a,
                    AuthError::Rejected {
                        status: 400,
                        oauth_error: None,
                        ..
                    }
                )
            },
        ),
        (
            "503",
            response("503 Service Unavailable", &[REQUEST_ID], b""),
            |a| matches!(a, AuthError::Server { status: 503, .. }) && a.is_retryable(),
        ),
        (
            "malformed",
            Behaviour::Respond(Arc::new(b"HTTP/1.1 abc\r\n".to_vec())),
            |a| matches!(a, AuthError::Transport(_)),
        ),
    ] {
        let token_server = raw_server(behaviour).await;
        let client = oauth_client(&api.url, &format!("{}/connect/token", token_server.url));
        let error = client.get("nt_x").await.expect_err(what);
        let Error::Auth(auth) = &error else {
            panic!("{what}: not an auth error: {error:?}")
        };
        assert!(check(auth), "{what}: {auth:?}");
    }
    assert_eq!(
        api.accepted.load(Ordering::SeqCst),
        0,
        "no API request without a token"
    );
}

#[tokio::test]
async fn a_caller_supplied_http_client_still_times_out_token_requests() {
    // reqwest::Client::new() has no time-out of its own: the builder's must still apply, or a
    // silent token endpoint would hold the single-flight lock, and every caller, for ever.
    let token_server = raw_server(Behaviour::Stall).await;
    let api = raw_server(response("200 OK", &[JSON], DETAILS.as_bytes())).await;
    let client = Client::builder()
        .api_url(&api.url)
        .token_url(format!("{}/connect/token", token_server.url))
        .client_credentials("ack_test", "client-secret")
        .http_client(reqwest::Client::new())
        .request_timeout(TIMEOUT)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds");
    let started = Instant::now();
    let error = tokio::time::timeout(Duration::from_secs(10), client.get("nt_x"))
        .await
        .expect("the token request has a time-out")
        .expect_err("the token endpoint never answers");
    let Error::Auth(auth) = &error else {
        panic!("not an auth error: {error:?}")
    };
    assert!(matches!(**auth, AuthError::Timeout(_)), "{auth:?}");
    assert!(started.elapsed() < BOUND, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn an_empty_request_id_in_the_body_does_not_hide_the_header() {
    let body = br#"{"request_id":"","error_type":"request_invalid","error_codes":[]}"#;
    let server = raw_server(response(
        "422 Unprocessable Entity",
        &[JSON, REQUEST_ID],
        body,
    ))
    .await;
    let error = static_client(&server.url)
        .request_cryptogram("nt_x", TransactionType::Ecom)
        .await
        .expect_err("422");
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    assert_eq!(error.request_id(), Some("req_fault_1"));
}

#[tokio::test]
async fn an_error_body_over_the_limit_keeps_status_and_request_id() {
    // 1 MiB of valid JSON whose request id differs from the header's: past the limit the body
    // is not read, so the header's id stands (a reader without a limit would take the body's).
    let padding = "x".repeat(1024 * 1024);
    let body =
        format!(r#"{{"request_id":"req_body","error_type":"server_error","padding":"{padding}"}}"#);
    let body = body.as_bytes();
    let server = raw_server(response(
        "500 Internal Server Error",
        &[JSON, REQUEST_ID],
        body,
    ))
    .await;
    let error = static_client(&server.url)
        .get("nt_x")
        .await
        .expect_err("500");
    assert!(matches!(error, Error::ServerError(_)), "{error:?}");
    assert_eq!(error.status(), Some(500));
    assert_eq!(error.request_id(), Some("req_fault_1"));
    let Error::ServerError(details) = &error else {
        unreachable!()
    };
    assert_eq!(details.error_type(), None, "the body was not read");
}

#[tokio::test]
async fn an_empty_request_id_header_counts_as_absent() {
    let server = raw_server(response(
        "404 Not Found",
        &[JSON, b"Cko-Request-Id: "],
        br#"{"error_type":"resource_not_found"}"#,
    ))
    .await;
    let error = static_client(&server.url)
        .get("nt_x")
        .await
        .expect_err("404");
    assert_eq!(error.request_id(), None);
    assert!(error.to_string().ends_with("(no request id)"), "{error}");
}

#[tokio::test]
async fn success_metadata_debug_shows_only_id_shaped_headers() {
    let hostile: &[u8] = b"Cko-Request-Id: 4539467987109256 Bearer Zq3kT9mWp2LxVb7N";
    let server = raw_server(response("200 OK", &[JSON, hostile], DETAILS.as_bytes())).await;
    let ok = static_client(&server.url).get("nt_x").await.expect("200");
    assert_eq!(
        ok.meta.request_id.as_deref(),
        Some("4539467987109256 Bearer Zq3kT9mWp2LxVb7N"),
        "the field holds the header as sent"
    );
    let text = format!("{ok:?}");
    assert!(!text.contains("4539467987109256"), "{text}");
    assert!(!text.contains("Zq3kT9mWp2LxVb7N"), "{text}");
    assert!(text.contains("request_id: Some(\"<redacted>\")"), "{text}");
}
