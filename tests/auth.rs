//! OAuth2 client credentials: one token request for any number of concurrent callers, reuse
//! until the margin before expiry, and exactly one re-authentication after a 401.

mod common;

use std::sync::Arc;
use std::time::Duration;

use checkout_network_tokens::{AuthError, Client, Error, RetryPolicy};
use common::*;
use httpmock::prelude::*;
use serde_json::json;

async fn details_mock<'a>(server: &'a MockServer, bearer: &str, status: u16) -> httpmock::Mock<'a> {
    let bearer = format!("Bearer {bearer}");
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/network-tokens/nt_a")
                .header("authorization", bearer);
            if status == 200 {
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body(token_details());
            } else {
                then.status(status);
            }
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_first_calls_make_one_token_request() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "token-1", None).await;
    let api = details_mock(&server, "token-1", 200).await;
    let client = builder(&server).build().unwrap();
    let calls = (0..1000).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get("nt_a").await })
    });
    let results = futures_join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()), "every call succeeds");
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(api.calls_async().await, 1000);
}

async fn futures_join_all<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<T, Error>>>,
) -> Vec<Result<T, Error>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await.expect("task does not panic"));
    }
    out
}

#[tokio::test]
async fn the_token_request_is_client_credentials_with_basic_auth_and_the_scope() {
    let server = MockServer::start_async().await;
    // base64("ack_test_client:test-secret-value")
    let basic = "Basic YWNrX3Rlc3RfY2xpZW50OnRlc3Qtc2VjcmV0LXZhbHVl";
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .header("authorization", basic)
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("grant_type", "client_credentials")
                .form_urlencoded_tuple("scope", "vault:network-tokens");
            then.status(200).json_body(
                json!({"access_token": "token-1", "token_type": "Bearer", "expires_in": 3600}),
            );
        })
        .await;
    let api = details_mock(&server, "token-1", 200).await;
    builder(&server)
        .build()
        .unwrap()
        .get("nt_a")
        .await
        .expect("succeeds");
    assert_eq!((token.calls_async().await, api.calls_async().await), (1, 1));
}

#[tokio::test]
async fn a_token_is_reused_minutes_apart_and_refreshed_within_the_margin() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "token-1", None).await;
    details_mock(&server, "token-1", 200).await;
    let clock = ManualClock::new();
    let client = builder(&server).clock(clock.clone()).build().unwrap();
    client.get("nt_a").await.unwrap();
    for minutes in [5, 20, 33] {
        clock.advance(Duration::from_secs(minutes * 60));
        client.get("nt_a").await.unwrap();
    }
    // 58 minutes in: still more than the 60 s margin before the 3,600 s expiry.
    assert_eq!(
        token.calls_async().await,
        1,
        "expires_in is read as seconds"
    );
    // 59 min 10 s in: within the margin, so the token is refreshed before use.
    clock.advance(Duration::from_secs(70));
    client.get("nt_a").await.unwrap();
    assert_eq!(token.calls_async().await, 2);
}

#[tokio::test]
async fn a_401_then_success_is_one_reauthentication_and_one_retry() {
    let server = MockServer::start_async().await;
    let first = token_mock(&server, "token-1", Some(1)).await;
    let second = token_mock(&server, "token-2", None).await;
    let refused = details_mock(&server, "token-1", 401).await;
    let accepted = details_mock(&server, "token-2", 200).await;
    let response = builder(&server)
        .build()
        .unwrap()
        .get("nt_a")
        .await
        .expect("the retry succeeds");
    assert_eq!(response.meta.status, 200);
    assert_eq!(
        (first.calls_async().await, second.calls_async().await),
        (1, 1)
    );
    assert_eq!(
        (refused.calls_async().await, accepted.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn two_401s_give_unauthorized_after_one_retry_even_with_retries_on() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "token-1", None).await;
    let api = details_mock(&server, "token-1", 401).await;
    let client = builder(&server)
        .retry_policy(RetryPolicy::attempts(5))
        .build()
        .unwrap();
    let error = client.get("nt_a").await.expect_err("refused twice");
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(error.status(), Some(401));
    assert_eq!(api.calls_async().await, 2, "one retry, no loop");
    assert_eq!(token.calls_async().await, 2, "one re-authentication");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_401s_cause_one_refresh() {
    let server = MockServer::start_async().await;
    let first = token_mock(&server, "token-1", Some(1)).await;
    let second = token_mock(&server, "token-2", None).await;
    // The 401s are held back a second, so that all 100 calls are in flight with token-1
    // before the first refusal arrives: every one of them is refused.
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/network-tokens/nt_a")
                .header("authorization", "Bearer token-1");
            then.status(401).delay(Duration::from_secs(1));
        })
        .await;
    let accepted = details_mock(&server, "token-2", 200).await;
    let client = builder(&server).build().unwrap();
    let tasks = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.get("nt_a").await })
    });
    let results = futures_join_all(tasks).await;
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(
        second.calls_async().await,
        1,
        "one refresh for all 100 refused calls"
    );
    assert_eq!(refused.calls_async().await, 100);
    assert_eq!(accepted.calls_async().await, 100);
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_a_401_is_final() {
    let server = MockServer::start_async().await;
    let token = token_mock(&server, "unused", None).await;
    let api = details_mock(&server, "static-token", 401).await;
    let client = Client::builder()
        .api_url(server.base_url())
        .access_token("static-token")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.get("nt_a").await.expect_err("refused");
    assert!(matches!(error, Error::Unauthorized(_)));
    assert_eq!((api.calls_async().await, token.calls_async().await), (1, 0));
}

#[tokio::test]
async fn token_endpoint_errors_are_typed_auth_errors_with_the_oauth_code() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(400)
                .header("cko-request-id", "req_tok")
                .json_body(json!({"error": "invalid_client"}));
        })
        .await;
    let api = details_mock(&server, "x", 200).await;
    let error = builder(&server)
        .build()
        .unwrap()
        .get("nt_a")
        .await
        .expect_err("refused");
    let Error::Auth(auth) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(**auth, AuthError::Rejected { status: 400, .. }),
        "{auth:?}"
    );
    assert_eq!(auth.oauth_error(), Some("invalid_client"));
    assert_eq!(error.request_id(), Some("req_tok"));
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("invalid_client"), "{error}");
    assert_eq!((token.calls_async().await, api.calls_async().await), (1, 0));
}

#[tokio::test]
async fn a_token_endpoint_5xx_is_a_retryable_auth_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(503).body("<html>down</html>");
        })
        .await;
    let error = builder(&server)
        .build()
        .unwrap()
        .get("nt_a")
        .await
        .expect_err("down");
    let Error::Auth(auth) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(**auth, AuthError::Server { status: 503, .. }),
        "{auth:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_token_fetch_share_its_error() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(400)
                .delay(Duration::from_millis(500))
                .json_body(json!({"error": "invalid_client"}));
        })
        .await;
    let client = Arc::new(builder(&server).build().unwrap());
    let tasks = (0..20).map(|_| {
        let client = Arc::clone(&client);
        tokio::spawn(async move { client.get("nt_a").await.map(|_| ()) })
    });
    let results = futures_join_all(tasks).await;
    assert!(results.iter().all(|r| matches!(r, Err(Error::Auth(_)))));
    assert_eq!(
        token.calls_async().await,
        1,
        "the waiters did not each ask again"
    );
}

#[tokio::test]
async fn a_huge_or_stringly_expires_in_neither_panics_nor_pins_the_token() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200).json_body(json!({
                "access_token": "token-1", "token_type": "bearer", "expires_in": u64::MAX
            }));
        })
        .await;
    details_mock(&server, "token-1", 200).await;
    let clock = ManualClock::new();
    let client = builder(&server).clock(clock.clone()).build().unwrap();
    client
        .get("nt_a")
        .await
        .expect("a lifetime that overflows the clock is capped");
    clock.advance(Duration::from_secs(25 * 3600));
    client.get("nt_a").await.unwrap();
    assert_eq!(token.calls_async().await, 2, "refreshed after the 24 h cap");

    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200)
                .json_body(json!({"access_token": "token-1", "expires_in": "3600"}));
        })
        .await;
    details_mock(&server, "token-1", 200).await;
    let client = builder(&server).build().unwrap();
    client.get("nt_a").await.unwrap();
    client.get("nt_a").await.unwrap();
    assert_eq!(
        token.calls_async().await,
        1,
        "\"3600\" is read as 3600 seconds"
    );
}

#[tokio::test]
async fn a_token_that_cannot_be_sent_is_refused_and_never_cached() {
    for bad in ["abc\ndef", " ", " padded"] {
        let server = MockServer::start_async().await;
        let token = token_mock(&server, bad, None).await;
        let client = builder(&server).build().unwrap();
        for _ in 0..2 {
            let error = client.get("nt_a").await.expect_err("no usable token");
            let Error::Auth(auth) = &error else {
                panic!("{bad:?}: {error:?}")
            };
            assert!(
                matches!(**auth, AuthError::InvalidResponse(_)),
                "{bad:?}: {auth:?}"
            );
        }
        assert_eq!(
            token.calls_async().await,
            2,
            "{bad:?}: each call asks again instead of reusing a token that cannot be sent"
        );
    }
}

#[tokio::test]
async fn a_fractional_expires_in_counts_its_whole_seconds() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200)
                .json_body(json!({"access_token": "token-1", "expires_in": 3600.0}));
        })
        .await;
    details_mock(&server, "token-1", 200).await;
    let clock = ManualClock::new();
    let client = builder(&server).clock(clock.clone()).build().unwrap();
    client.get("nt_a").await.expect("3600.0 is a lifetime");
    clock.advance(Duration::from_secs(3000));
    client.get("nt_a").await.unwrap();
    assert_eq!(token.calls_async().await, 1, "reused within the hour");
    clock.advance(Duration::from_secs(560));
    client.get("nt_a").await.unwrap();
    assert_eq!(token.calls_async().await, 2, "refreshed within the margin");
}
