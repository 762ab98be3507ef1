//! Plain http only ever goes to loopback, and never through a proxy from the environment:
//! the token request carries the client secret, API calls the bearer token and card data.
//!
//! Its own test binary, because it sets `HTTP_PROXY` for the whole process.

mod common;

use checkout_network_tokens::{CardDetails, Client, RetryPolicy};
use common::*;

#[tokio::test]
async fn loopback_http_ignores_proxies_from_the_environment() {
    let proxy = RawServer::start(|_| (502, vec![], String::new())).await;
    let api = RawServer::start(token_then(|_| (201, vec![], token_details().to_string()))).await;
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(name, &proxy.url);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let client = Client::builder()
        .api_url(&api.url)
        .token_url(format!("{}/connect/token", api.url))
        .client_credentials("ack_test", "client-secret")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let card = CardDetails::new("4539467987109256", 10, 2027).unwrap();
    let provisioned = client
        .provision(&card.into())
        .await
        .expect("201 from the API");
    assert!(provisioned.created);
    assert!(
        proxy.requests().is_empty(),
        "the proxy saw {:?}",
        proxy.requests()
    );
    let targets: Vec<String> = api.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(targets, ["/connect/token", "/network-tokens"]);
}
