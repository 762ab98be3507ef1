//! The checked-in spec says what the API reference says: operations, statuses and enums.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, StatusCode, Type};

fn spec() -> OpenAPI {
    let text = include_str!("../openapi/network-tokens.yaml");
    serde_yaml::from_str(text).expect("openapi/network-tokens.yaml parses as OpenAPI 3.0")
}

/// operationId → (method, path, documented statuses).
fn operations(spec: &OpenAPI) -> BTreeMap<String, (String, String, BTreeSet<u16>)> {
    let mut out = BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let item = item.as_item().expect("paths are inline");
        for (method, op) in item.iter() {
            let statuses = op
                .responses
                .responses
                .keys()
                .map(|s| match s {
                    StatusCode::Code(code) => *code,
                    StatusCode::Range(r) => {
                        panic!("{path} {method}: range {r}XX instead of statuses")
                    }
                })
                .collect();
            assert!(
                op.responses.default.is_none(),
                "{path} {method}: no `default` response"
            );
            let id = op
                .operation_id
                .clone()
                .expect("every operation has an operationId");
            out.insert(id, (method.to_uppercase(), path.clone(), statuses));
        }
    }
    out
}

fn string_enum(spec: &OpenAPI, name: &str) -> Vec<String> {
    let schema = spec
        .components
        .as_ref()
        .expect("components")
        .schemas
        .get(name);
    let Some(ReferenceOr::Item(Schema {
        schema_kind: SchemaKind::Type(Type::String(s)),
        ..
    })) = schema
    else {
        panic!("{name} is a string schema");
    };
    s.enumeration
        .iter()
        .map(|v| v.clone().expect("no null in enums"))
        .collect()
}

#[test]
fn exactly_the_four_operations_with_their_documented_statuses() {
    let spec = spec();
    assert_eq!(spec.openapi, "3.0.3");
    let ops = operations(&spec);
    let expected: BTreeMap<&str, (&str, &str, &[u16])> = BTreeMap::from([
        (
            "provisionNetworkToken",
            (
                "POST",
                "/network-tokens",
                &[200, 201, 401, 403, 415, 422, 500, 502, 504][..],
            ),
        ),
        (
            "getNetworkToken",
            (
                "GET",
                "/network-tokens/{network_token_id}",
                &[200, 401, 403, 404, 500, 502, 504][..],
            ),
        ),
        (
            "requestCryptogram",
            (
                "POST",
                "/network-tokens/{network_token_id}/cryptograms",
                &[201, 401, 403, 404, 422, 500, 502, 504][..],
            ),
        ),
        (
            "deleteNetworkToken",
            (
                "PATCH",
                "/network-tokens/{network_token_id}/delete",
                &[204, 400, 401, 403, 404, 422, 500, 502, 504][..],
            ),
        ),
    ]);
    assert_eq!(
        ops.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected.keys().copied().collect::<BTreeSet<_>>()
    );
    for (id, (method, path, statuses)) in expected {
        let (m, p, s) = &ops[id];
        assert_eq!((m.as_str(), p.as_str()), (method, path), "{id}");
        assert_eq!(
            s,
            &statuses.iter().copied().collect::<BTreeSet<_>>(),
            "{id}"
        );
    }
}

#[test]
fn enums_are_the_documented_sets() {
    let spec = spec();
    let cases: [(&str, &[&str]); 5] = [
        (
            "NetworkTokenState",
            &["active", "suspended", "inactive", "declined", "requested"],
        ),
        ("NetworkTokenType", &["vts", "mdes"]),
        ("TransactionType", &["ecom", "recurring", "pos", "aft"]),
        ("DeleteInitiatedBy", &["cardholder", "token_requestor"]),
        ("DeleteReason", &["fraud", "other"]),
    ];
    for (name, values) in cases {
        assert_eq!(string_enum(&spec, name), values, "{name}");
    }
    // The hand-written open enums that replace the generated ones list the same values.
    use checkout_network_tokens::model::{TokenState, TokenType};
    assert_eq!(TokenState::KNOWN, string_enum(&spec, "NetworkTokenState"));
    assert_eq!(TokenType::KNOWN, string_enum(&spec, "NetworkTokenType"));
}

#[test]
fn unauthorized_has_no_body_and_every_response_names_the_request_id_header() {
    let spec = spec();
    let components = spec.components.as_ref().expect("components");
    for (path, item) in &spec.paths.paths {
        for (method, op) in item.as_item().expect("inline").iter() {
            for (status, response) in &op.responses.responses {
                let response = match response {
                    ReferenceOr::Item(r) => r,
                    ReferenceOr::Reference { reference } => {
                        let name = reference.trim_start_matches("#/components/responses/");
                        components.responses[name].as_item().expect("inline")
                    }
                };
                assert!(
                    response.headers.contains_key("Cko-Request-Id"),
                    "{method} {path} {status}: Cko-Request-Id header"
                );
                let has_body = !response.content.is_empty();
                let expect_body = !matches!(status, StatusCode::Code(401 | 204));
                assert_eq!(has_body, expect_body, "{method} {path} {status}: body");
            }
        }
    }
}

#[test]
fn security_is_oauth2_client_credentials_with_the_network_tokens_scope() {
    let spec = spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("components")
        .security_schemes;
    let mut urls = BTreeSet::new();
    for scheme in schemes.values() {
        let Some(openapiv3::SecurityScheme::OAuth2 { flows, .. }) = scheme.as_item() else {
            panic!("only OAuth2 schemes");
        };
        let flow = flows
            .client_credentials
            .as_ref()
            .expect("client credentials flow");
        assert!(flow.scopes.contains_key("vault:network-tokens"));
        urls.insert(flow.token_url.clone());
    }
    assert_eq!(
        urls,
        BTreeSet::from([
            "https://access.checkout.com/connect/token".to_owned(),
            "https://access.sandbox.checkout.com/connect/token".to_owned(),
        ])
    );
    let servers: Vec<_> = spec.servers.iter().map(|s| s.url.as_str()).collect();
    assert!(servers.contains(&"https://{prefix}.api.sandbox.checkout.com"));
    assert!(servers.contains(&"https://{prefix}.api.checkout.com"));
}

#[test]
fn sensitive_strings_are_named_schemas() {
    let spec = spec();
    let schemas = &spec.components.as_ref().expect("components").schemas;
    for name in [
        "CardNumber",
        "CardVerificationValue",
        "NetworkTokenNumber",
        "Cryptogram",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
}

#[test]
fn the_facade_status_table_is_exactly_what_the_spec_documents() {
    use checkout_network_tokens::outcome::{Operation, STATUS_TABLE};
    let from_spec: BTreeSet<(String, u16)> = operations(&spec())
        .into_iter()
        .flat_map(|(id, (_, _, statuses))| statuses.into_iter().map(move |s| (id.clone(), s)))
        .collect();
    let from_table: BTreeSet<(String, u16)> = STATUS_TABLE
        .iter()
        .map(|(op, status, _)| (op.operation_id().to_owned(), *status))
        .collect();
    assert_eq!(from_table.len(), STATUS_TABLE.len(), "no pair twice");
    assert_eq!(from_table, from_spec);
    for (id, (method, path, _)) in operations(&spec()) {
        let op = Operation::from_operation_id(&id).expect("the facade knows every operation");
        assert_eq!(
            (op.method(), op.path_template()),
            (method.as_str(), path.as_str())
        );
    }
}
