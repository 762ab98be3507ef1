//! Every documented status of every operation maps to its outcome, with status and request id,
//! whatever the body; undocumented statuses are `UnexpectedStatus`, after retries where the
//! policy allows.

mod common;

use std::time::Duration;

use checkout_network_tokens::outcome::{documented_outcome, STATUS_TABLE};
use checkout_network_tokens::{
    CardDetails, Client, DeleteInitiatedBy, DeleteReason, Error, Operation, Outcome, RetryPolicy,
    TransactionType,
};
use common::*;
use httpmock::prelude::*;
use serde_json::json;

/// Runs `operation` once and returns the success status or the error.
async fn run(client: &Client, operation: Operation) -> Result<u16, Error> {
    match operation {
        Operation::Provision => {
            let card = CardDetails::new("4539467987109256", 10, 2027)
                .unwrap()
                .with_cvv("123")
                .unwrap();
            let provisioned = client.provision(&card.into()).await?;
            assert_eq!(provisioned.created, provisioned.meta.status == 201);
            Ok(provisioned.meta.status)
        }
        Operation::Get => Ok(client.get("nt_a").await?.meta.status),
        Operation::RequestCryptogram => Ok(client
            .request_cryptogram("nt_a", TransactionType::Ecom)
            .await?
            .meta
            .status),
        Operation::Delete => Ok(client
            .delete(
                "nt_a",
                DeleteInitiatedBy::TokenRequestor,
                DeleteReason::Other,
            )
            .await?
            .status),
        _ => unreachable!("four operations"),
    }
}

fn path(operation: Operation) -> String {
    operation
        .path_template()
        .replace("{network_token_id}", "nt_a")
}

fn method(operation: Operation) -> httpmock::Method {
    operation.method().parse().unwrap()
}

/// The ways an error body arrives.
#[derive(Clone, Copy, Debug)]
enum Body {
    Json,
    Empty,
    Html,
    JsonWithoutContentType,
}

#[tokio::test]
async fn every_documented_error_status_maps_to_its_outcome_whatever_the_body() {
    let server = MockServer::start_async().await;
    token_mock(&server, "token-1", None).await;
    let client = builder(&server).build().unwrap();
    let mut checked = 0;
    for &(operation, status, outcome) in STATUS_TABLE {
        let Outcome::Error(kind) = outcome else {
            continue;
        };
        for body in [
            Body::Json,
            Body::Empty,
            Body::Html,
            Body::JsonWithoutContentType,
        ] {
            let mock = server
                .mock_async(|when, then| {
                    when.method(method(operation)).path(path(operation));
                    let then = then.status(status).header("Cko-Request-Id", "req_header");
                    let error = json!({
                        "request_id": "req_body",
                        "error_type": "request_invalid",
                        "error_codes": ["card_number_invalid"]
                    })
                    .to_string();
                    match body {
                        Body::Json => {
                            then.header("content-type", "application/json").body(error);
                        }
                        Body::Empty => {}
                        Body::Html => {
                            then.header("content-type", "text/html")
                                .body("<html><h1>Bad gateway</h1></html>");
                        }
                        Body::JsonWithoutContentType => {
                            then.body(error);
                        }
                    }
                })
                .await;
            let context = format!("{operation} {status} {body:?}");
            let error = run(&client, operation).await.expect_err(&context);
            assert_eq!(error.kind(), Some(kind), "{context}: {error:?}");
            assert_eq!(error.status(), Some(status), "{context}");
            let api = error.api_error().expect("an API error");
            assert_eq!(api.operation(), operation);
            let from_body = matches!(body, Body::Json | Body::JsonWithoutContentType);
            let expected_id = if from_body { "req_body" } else { "req_header" };
            assert_eq!(error.request_id(), Some(expected_id), "{context}");
            if from_body {
                assert_eq!(api.error_type(), Some("request_invalid"), "{context}");
                assert_eq!(api.error_codes(), ["card_number_invalid"], "{context}");
            } else {
                assert_eq!(
                    (api.error_type(), api.error_codes().len()),
                    (None, 0),
                    "{context}"
                );
            }
            let text = error.to_string();
            assert!(
                text.contains(&status.to_string()) && text.contains(expected_id),
                "{text}"
            );
            mock.delete_async().await;
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        4 * STATUS_TABLE
            .iter()
            .filter(|(_, _, o)| matches!(o, Outcome::Error(_)))
            .count()
    );
}

#[tokio::test]
async fn every_documented_success_status_returns_its_value_and_metadata() {
    let server = MockServer::start_async().await;
    token_mock(&server, "token-1", None).await;
    let client = builder(&server).build().unwrap();
    for &(operation, status, outcome) in STATUS_TABLE {
        if matches!(outcome, Outcome::Error(_)) {
            continue;
        }
        let mock = server
            .mock_async(|when, then| {
                when.method(method(operation)).path(path(operation));
                let then = then
                    .status(status)
                    .header("cko-request-id", "req_ok")
                    .header("Cko-Version", "1.0.0");
                match operation {
                    Operation::Provision | Operation::Get => {
                        then.json_body(token_details());
                    }
                    Operation::RequestCryptogram => {
                        then.json_body(cryptogram());
                    }
                    _ => {}
                }
            })
            .await;
        assert_eq!(
            run(&client, operation).await.expect("success"),
            status,
            "{operation}"
        );
        mock.delete_async().await;
    }
    // The metadata, on one of them.
    server
        .mock_async(|when, then| {
            when.method(GET).path("/network-tokens/nt_a");
            then.status(200)
                .header("CKO-REQUEST-ID", "req_meta")
                .header("cko-version", "2.1")
                .json_body(token_details());
        })
        .await;
    let response = client.get("nt_a").await.unwrap();
    assert_eq!(response.meta.request_id.as_deref(), Some("req_meta"));
    assert_eq!(response.meta.version.as_deref(), Some("2.1"));
    assert_eq!(
        response.value.network_token.number.unwrap().expose_secret(),
        "5436424242424242"
    );
}

#[tokio::test]
async fn undocumented_statuses_are_unexpected_and_retried_only_when_retryable() {
    let server = MockServer::start_async().await;
    token_mock(&server, "token-1", None).await;
    let client = builder(&server)
        .retry_policy(
            RetryPolicy::attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    for operation in Operation::ALL {
        for (status, attempts) in [(409, 1), (302, 1), (429, 3), (503, 3)] {
            assert_eq!(documented_outcome(operation, status), None);
            let mock = server
                .mock_async(|when, then| {
                    when.method(method(operation)).path(path(operation));
                    then.status(status)
                        .header("cko-request-id", "req_x")
                        .header("location", "/elsewhere");
                })
                .await;
            let error = run(&client, operation).await.expect_err("unexpected");
            assert!(
                matches!(error, Error::UnexpectedStatus(_)),
                "{operation} {status}: {error:?}"
            );
            assert_eq!(
                (error.status(), error.request_id()),
                (Some(status), Some("req_x"))
            );
            assert_eq!(mock.calls_async().await, attempts, "{operation} {status}");
            mock.delete_async().await;
        }
    }
    // The 302's Location was never followed.
    let elsewhere = server.mock_async(|when, then| {
        when.path("/elsewhere");
        then.status(200);
    });
    assert_eq!(elsewhere.await.calls_async().await, 0);
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let server = MockServer::start_async().await;
    token_mock(&server, "token-1", None).await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(GET).path("/network-tokens/nt_a");
            then.status(429).header("retry-after", "1").up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET).path("/network-tokens/nt_a");
            then.status(200).json_body(token_details());
        })
        .await;
    let client = builder(&server)
        .retry_policy(
            RetryPolicy::attempts(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    client.get("nt_a").await.expect("succeeds after waiting");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        (throttled.calls_async().await, ok.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn provisioning_retries_reuse_one_idempotency_key_per_call() {
    let server = RawServer::start(token_then(|_| (500, vec![], String::new()))).await;
    let client = Client::builder()
        .api_url(&server.url)
        .token_url(format!("{}/connect/token", server.url))
        .client_credentials("a", "b")
        .retry_policy(
            RetryPolicy::attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let card = CardDetails::new("4539467987109256", 10, 2027).unwrap();
    for _ in 0..2 {
        let error = client
            .provision(&card.clone().into())
            .await
            .expect_err("500");
        assert!(matches!(error, Error::ServerError(_)));
    }
    let keys: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.target == "/network-tokens")
        .map(|r| {
            r.header("cko-idempotency-key")
                .expect("every attempt has a key")
                .to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 6, "3 attempts per call");
    assert!(keys[0] == keys[1] && keys[1] == keys[2], "{keys:?}");
    assert!(keys[3] == keys[4] && keys[4] == keys[5], "{keys:?}");
    assert_ne!(keys[0], keys[3], "a new key per logical call");
    let error = client
        .provision_with_idempotency_key(&card.into(), "caller-key-1")
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(
        server
            .requests()
            .last()
            .unwrap()
            .header("cko-idempotency-key"),
        Some("caller-key-1")
    );
}

#[tokio::test]
async fn requests_carry_method_body_and_headers_as_documented() {
    let server = RawServer::start(token_then(|_| (204, vec![], String::new()))).await;
    let client = Client::builder()
        .api_url(&server.url)
        .token_url(format!("{}/connect/token", server.url))
        .client_credentials("a", "b")
        .build()
        .unwrap();
    client
        .delete("nt_a", DeleteInitiatedBy::Cardholder, DeleteReason::Fraud)
        .await
        .expect("204");
    let request = server
        .requests()
        .into_iter()
        .find(|r| r.target != "/connect/token")
        .unwrap();
    assert_eq!(request.method, "PATCH", "upper-case PATCH, not DELETE");
    assert_eq!(request.target, "/network-tokens/nt_a/delete");
    assert_eq!(request.header("authorization"), Some("Bearer t"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("api-version"),
        None,
        "progenitor's header is dropped"
    );
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("checkout-network-tokens/"));
}
