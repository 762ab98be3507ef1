//! The documented sample bodies decode into the generated types, and the values the spec does
//! not know yet are kept rather than failing the response.

use checkout_network_tokens::generated::types::{
    CryptogramResponse, ErrorResponse, NetworkTokenDetails,
};
use checkout_network_tokens::model::{TokenState, TokenType};
use openapiv3::OpenAPI;
use serde_json::{json, Value};

/// A named example from the spec's `components.examples`.
fn spec_example(name: &str) -> Value {
    let spec: OpenAPI =
        serde_yaml::from_str(include_str!("../openapi/network-tokens.yaml")).expect("spec parses");
    let example = spec.components.expect("components").examples[name].clone();
    example
        .into_item()
        .expect("inline example")
        .value
        .expect("example has a value")
}

#[test]
fn token_details_with_a_dpan_decode() {
    let details: NetworkTokenDetails =
        serde_json::from_value(spec_example("TokenDetailsActive")).expect("decodes");
    assert_eq!(details.card.last4.as_str(), "6378");
    assert_eq!(details.card.expiry_month.as_str(), "5");
    assert_eq!(details.card.expiry_year.as_str(), "2025");
    let token = &details.network_token;
    assert_eq!(token.id, "nt_xgu3isllqfyu7ktpk5z2yxbwna");
    assert_eq!(token.state, TokenState::Active);
    assert_eq!(token.type_, TokenType::Vts);
    let dpan = token.number.as_ref().expect("active tokens carry a DPAN");
    assert_eq!(dpan.expose_secret(), "5436424242424242");
    assert_eq!(
        token.payment_account_reference.as_deref(),
        Some("5001a9f027e5629d11e3949a0800a")
    );
    assert_eq!(
        token.created_on.to_rfc3339(),
        "2020-02-11T15:57:32.435+00:00"
    );
    assert_eq!(details.token_requestor_id.as_deref(), Some("1234567890"));
    let links = details.links.expect("links");
    assert_eq!(links["card-art"].title.as_deref(), Some("Card art"));
    assert!(links["self"]
        .href
        .ends_with("/network-tokens/nt_xgu3isllqfyu7ktpk5z2yxbwna"));
    // The derived Debug of the generated type masks the DPAN.
    let debug = format!("{:?}", details.network_token);
    assert!(!debug.contains("5436424242424242"), "{debug}");
    assert!(debug.contains("****4242"), "{debug}");
}

#[test]
fn token_details_without_a_dpan_decode() {
    let details: NetworkTokenDetails =
        serde_json::from_value(spec_example("TokenDetailsRequested")).expect("decodes");
    assert_eq!(details.network_token.state, TokenState::Requested);
    assert!(details.network_token.number.is_none());
    assert!(details.network_token.expiry_month.is_none());
    // Both documented timestamp forms decode.
    assert_eq!(
        details.network_token.modified_on.to_rfc3339(),
        "2020-02-11T10:00:00+00:00"
    );
    assert!(details.links.is_none());
}

#[test]
fn unknown_state_and_type_are_kept_and_readable() {
    let mut body = spec_example("TokenDetailsActive");
    body["network_token"]["state"] = json!("pending_activation");
    body["network_token"]["type"] = json!("amex");
    let details: NetworkTokenDetails = serde_json::from_value(body).expect("still decodes");
    assert_eq!(
        details.network_token.state,
        TokenState::Unknown("pending_activation".into())
    );
    assert_eq!(details.network_token.state.as_str(), "pending_activation");
    assert_eq!(
        details.network_token.type_,
        TokenType::Unknown("amex".into())
    );
    assert_eq!(details.network_token.type_.to_string(), "amex");
}

#[test]
fn cryptogram_sample_decodes() {
    let body = json!({
        "cryptogram": "AhJ3hnYAoAbVz5zg1e17MAACAAA=",
        "eci": "7",
        "_links": {
            "self": {"href": "https://api.sandbox.checkout.com/network-tokens/nt_xgu3isllqfyu7ktpk5z2yxbwna/cryptograms"},
            "network-token": {"href": "https://api.sandbox.checkout.com/network-tokens/nt_xgu3isllqfyu7ktpk5z2yxbwna"}
        }
    });
    let cryptogram: CryptogramResponse = serde_json::from_value(body).expect("decodes");
    assert_eq!(
        cryptogram.cryptogram.expose_secret(),
        "AhJ3hnYAoAbVz5zg1e17MAACAAA="
    );
    assert_eq!(cryptogram.eci.as_deref(), Some("7"));
    assert_eq!(cryptogram.links.expect("links").len(), 2);
    let debug = format!("{:?}", cryptogram.cryptogram);
    assert!(!debug.contains("AhJ3"), "{debug}");
}

#[test]
fn error_body_sample_decodes_and_every_field_may_be_missing() {
    let body = json!({
        "request_id": "0HL80RJLS76I7",
        "error_type": "request_invalid",
        "error_codes": ["card_expiry_month_invalid"]
    });
    let error: ErrorResponse = serde_json::from_value(body).expect("decodes");
    assert_eq!(error.request_id.as_deref(), Some("0HL80RJLS76I7"));
    assert_eq!(error.error_type.as_deref(), Some("request_invalid"));
    assert_eq!(
        error.error_codes,
        vec!["card_expiry_month_invalid".to_owned()]
    );
    let empty: ErrorResponse = serde_json::from_value(json!({})).expect("decodes");
    assert!(empty.request_id.is_none() && empty.error_codes.is_empty());
}
