//! No token id can make a request reach anything but `/network-tokens/{one segment}…`.

mod common;

use checkout_network_tokens::{Client, DeleteInitiatedBy, DeleteReason, Error, TransactionType};
use common::*;
use serde_json::json;

async fn client_and_server() -> (Client, RawServer) {
    let server = RawServer::start(token_then(|request| {
        let body = if request.target.ends_with("/cryptograms") {
            json!({"cryptogram": "AhJ3hnYAoAbVz5zg1e17MAACAAA="})
        } else {
            token_details()
        };
        let status = match request.method.as_str() {
            "PATCH" => 204,
            "POST" => 201,
            _ => 200,
        };
        let body = if status == 204 {
            String::new()
        } else {
            body.to_string()
        };
        (status, vec![], body)
    }))
    .await;
    let client = Client::builder()
        .api_url(format!("{}/base", server.url))
        .token_url(format!("{}/connect/token", server.url))
        .client_credentials("a", "b")
        .build()
        .unwrap();
    (client, server)
}

async fn all_operations(client: &Client, id: &str) -> Vec<Result<(), Error>> {
    vec![
        client.get(id).await.map(drop),
        client
            .request_cryptogram(id, TransactionType::Ecom)
            .await
            .map(drop),
        client
            .delete(id, DeleteInitiatedBy::Cardholder, DeleteReason::Other)
            .await
            .map(drop),
    ]
}

#[tokio::test]
async fn dot_segments_empty_and_control_characters_are_refused_before_sending() {
    let (client, server) = client_and_server().await;
    for id in ["..", ".", "", "nt_\r\nX-Injected: 1", "nt\u{0}"] {
        for result in all_operations(&client, id).await {
            let Err(Error::InvalidInput(input)) = result else {
                panic!("{id:?}: {result:?}")
            };
            assert_eq!(input.field(), "network token id");
        }
    }
    assert!(
        server.requests().is_empty(),
        "nothing was sent: {:?}",
        server.requests()
    );
}

#[tokio::test]
async fn every_other_id_is_one_encoded_segment_under_network_tokens() {
    let (client, server) = client_and_server().await;
    let cases = [
        ("../payments/x?y=1", "..%2Fpayments%2Fx%3Fy%3D1"),
        ("a/b#c", "a%2Fb%23c"),
        ("%2e%2e", "%252e%252e"),
        ("x\\..\\..\\payments", "x%5C..%5C..%5Cpayments"),
        ("nt_ünïcode space", "nt_%C3%BCn%C3%AFcode%20space"),
        ("...", "..."),
    ];
    for (id, encoded) in cases {
        for result in all_operations(&client, id).await {
            result.unwrap_or_else(|e| panic!("{id:?}: {e:?}"));
        }
        let targets: Vec<String> = server
            .requests()
            .iter()
            .filter(|r| r.target != "/connect/token")
            .rev()
            .take(3)
            .map(|r| r.target.clone())
            .collect();
        assert_eq!(
            targets,
            [
                format!("/base/network-tokens/{encoded}/delete"),
                format!("/base/network-tokens/{encoded}/cryptograms"),
                format!("/base/network-tokens/{encoded}"),
            ],
            "{id:?}"
        );
    }
}

#[tokio::test]
async fn the_generated_client_never_sends_the_bearer_token_off_its_endpoint() {
    use checkout_network_tokens::generated::types;
    let (client, server) = client_and_server().await;
    // progenitor's own encoding already keeps `/` and `%` inside the segment; these are the
    // ids it lets through to URL resolution.
    for id in ["..", ".", "x\\..\\..\\payments", "..\\payments"] {
        let result = client
            .generated()
            .get_network_token(&id.parse::<types::GetNetworkTokenNetworkTokenId>().unwrap())
            .await;
        let sent: Vec<String> = server
            .requests()
            .iter()
            .filter(|r| r.target != "/connect/token")
            .map(|r| r.target.clone())
            .collect();
        // Each resolves outside `/base/network-tokens/{one segment}`: refused before sending.
        match result {
            Err(checkout_network_tokens::generated::Error::Custom(message)) => {
                assert!(
                    message.contains("not the operation's endpoint"),
                    "{message}"
                );
            }
            other => panic!("{id:?}: not refused: {other:?}"),
        }
        assert!(
            sent.iter().all(|t| t.starts_with("/base/network-tokens/")),
            "{id:?}: {sent:?}"
        );
    }
    // A well-formed id still works through the generated client.
    client
        .generated()
        .get_network_token(&"nt_ok".parse().unwrap())
        .await
        .expect("the generated client works on its own endpoint");
}
