//! The sandbox against the spec: every trigger reaches its documented status, the triggers
//! cover exactly the documented (operation, status) pairs, and every response the sandbox
//! sends validates against `openapi/network-tokens.yaml`.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use contract_tests::sandbox::{self, Sandbox, SandboxConfig, Trigger, TRIGGERS};
use contract_tests::spec::Spec;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};

const SLOW: Duration = Duration::from_millis(300);

fn config() -> SandboxConfig {
    SandboxConfig::new().slow_response_delay(SLOW)
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn request_id(&self) -> String {
        self.headers
            .get("cko-request-id")
            .expect("Cko-Request-Id")
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn error_codes(&self) -> Vec<String> {
        let body = self.json();
        assert_eq!(
            body["request_id"],
            json!(self.request_id()),
            "request_id = header"
        );
        body["error_codes"]
            .as_array()
            .expect("error_codes")
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect()
    }
}

/// A sandbox, a plain HTTP client, the spec and an access token.
struct Harness {
    sandbox: Sandbox,
    http: reqwest::Client,
    spec: Spec,
    token: String,
}

impl Harness {
    async fn new() -> Harness {
        Harness::with(config()).await
    }

    async fn with(config: SandboxConfig) -> Harness {
        let sandbox = config.start().await.expect("sandbox starts");
        let http = reqwest::Client::new();
        let token = fetch_token(&http, &sandbox).await;
        Harness {
            sandbox,
            http,
            spec: Spec::load(),
            token,
        }
    }

    /// Sends a request for `op_id` and validates the response against the spec.
    async fn send(
        &self,
        op_id: &str,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<&str>,
        bearer: Option<&str>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.sandbox.url()));
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let reply = Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("body").to_vec(),
        };
        if let Err(e) =
            self.spec
                .validate_response(op_id, reply.status, &reply.headers, &reply.body)
        {
            panic!(
                "{op_id} {path}: response does not match the spec: {e}\nbody: {}",
                String::from_utf8_lossy(&reply.body)
            );
        }
        reply
    }

    async fn trigger(&self, trigger: &Trigger) -> Reply {
        let bearer = trigger.authorized.then_some(self.token.as_str());
        self.send(
            trigger.operation_id,
            trigger.method,
            trigger.path,
            trigger.content_type,
            trigger.body,
            bearer,
        )
        .await
    }

    async fn provision(&self, body: &Value) -> Reply {
        self.send(
            "provisionNetworkToken",
            "POST",
            "/network-tokens",
            Some("application/json"),
            Some(&body.to_string()),
            Some(&self.token),
        )
        .await
    }

    async fn get(&self, id: &str) -> Reply {
        self.get_with(id, Some(&self.token)).await
    }

    async fn get_with(&self, id: &str, bearer: Option<&str>) -> Reply {
        self.send(
            "getNetworkToken",
            "GET",
            &format!("/network-tokens/{id}"),
            None,
            None,
            bearer,
        )
        .await
    }

    async fn cryptogram(&self, id: &str, transaction_type: &str) -> Reply {
        self.send(
            "requestCryptogram",
            "POST",
            &format!("/network-tokens/{id}/cryptograms"),
            Some("application/json"),
            Some(&json!({ "transaction_type": transaction_type }).to_string()),
            Some(&self.token),
        )
        .await
    }

    async fn delete(&self, id: &str) -> Reply {
        self.send(
            "deleteNetworkToken",
            "PATCH",
            &format!("/network-tokens/{id}/delete"),
            Some("application/json"),
            Some(r#"{"initiated_by":"cardholder","reason":"fraud"}"#),
            Some(&self.token),
        )
        .await
    }
}

async fn fetch_token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let response = http
        .post(sandbox.token_url())
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "vault:network-tokens"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn card(number: &str) -> Value {
    json!({"source": {"type": "card", "number": number, "expiry_month": "5", "expiry_year": "2031"}})
}

/// Checks one trigger's reply: status, error code, token state, request id, slowness.
fn check_trigger(trigger: &Trigger, reply: &Reply, elapsed: Duration) {
    let what = format!(
        "{} {} ({})",
        trigger.operation_id, trigger.status, trigger.description
    );
    assert_eq!(
        reply.status,
        trigger.status,
        "{what}: body {}",
        String::from_utf8_lossy(&reply.body)
    );
    if let Some(code) = trigger.error_code {
        let codes = reply.error_codes();
        assert!(codes.iter().any(|c| c == code), "{what}: codes {codes:?}");
    }
    if let Some(state) = trigger.token_state {
        assert_eq!(
            reply.json()["network_token"]["state"],
            json!(state),
            "{what}"
        );
    }
    if trigger.slow {
        assert!(elapsed >= SLOW, "{what}: answered in {elapsed:?}");
    }
}

#[test]
fn the_triggers_cover_exactly_the_documented_pairs() {
    let spec = Spec::load();
    let documented = spec.documented_pairs();
    assert_eq!(documented.len(), 33, "the spec changed: {documented:?}");
    let covered: BTreeSet<(String, u16)> = TRIGGERS
        .iter()
        .map(|t| (t.operation_id.to_owned(), t.status))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    let extra: Vec<_> = covered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "documented but not triggered: {missing:?}"
    );
    assert!(extra.is_empty(), "triggered but not documented: {extra:?}");
    // Each trigger's method and path are the operation's.
    for trigger in TRIGGERS {
        let (method, template) = spec.operation(trigger.operation_id).unwrap();
        assert_eq!(trigger.method, method, "{trigger:?}");
        let pattern = template.replace("{network_token_id}", "*");
        let (prefix, suffix) = pattern.split_once('*').unwrap_or((&pattern, ""));
        assert!(
            trigger.path.starts_with(prefix) && trigger.path.ends_with(suffix),
            "{trigger:?} does not match {template}"
        );
    }
}

#[tokio::test]
async fn every_trigger_gives_its_status_on_a_fresh_sandbox() {
    for trigger in TRIGGERS {
        let harness = Harness::new().await;
        let started = Instant::now();
        let reply = harness.trigger(trigger).await;
        check_trigger(trigger, &reply, started.elapsed());
    }
}

#[tokio::test]
async fn all_triggers_in_table_order_on_one_sandbox() {
    let harness = Harness::new().await;
    let mut request_ids = HashSet::new();
    for trigger in TRIGGERS {
        let started = Instant::now();
        let reply = harness.trigger(trigger).await;
        check_trigger(trigger, &reply, started.elapsed());
        assert!(
            request_ids.insert(reply.request_id()),
            "request ids are unique"
        );
    }
    // The 201 cards are known now: provisioning them again returns the same token with 200.
    for trigger in TRIGGERS
        .iter()
        .filter(|t| t.status == 201 && t.operation_id == "provisionNetworkToken")
    {
        let reply = harness.trigger(trigger).await;
        assert_eq!(reply.status, 200, "{trigger:?}");
    }
}

#[test]
fn the_readme_section_lists_the_trigger_table() {
    let markdown = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    assert!(
        markdown.contains(&sandbox::trigger_table_markdown()),
        "README.md's trigger table is stale; paste sandbox::trigger_table_markdown():\n{}",
        sandbox::trigger_table_markdown()
    );
}

/// The README's sandbox example is not compiled there (the published crate cannot see this
/// crate); it must be the one compiled as `contract_tests::sandbox`'s module doctest.
#[test]
fn the_readme_sandbox_example_is_the_compiled_module_example() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let module = include_str!("../src/sandbox.rs");
    let block = |text: &str, fence: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| l.trim() != fence)
            .skip(1)
            .take_while(|l| l.trim() != "```" && l.trim() != "//! ```")
            .map(|l| {
                l.strip_prefix("//! ")
                    .or(l.strip_prefix("//!"))
                    .unwrap_or(l)
            })
            .filter(|l| !l.starts_with("// The README's example"))
            .map(str::to_owned)
            .collect()
    };
    let in_readme = block(&readme, "```rust,ignore");
    let in_module = block(module, "//! ```no_run");
    assert!(in_readme.len() > 5, "README block found: {in_readme:?}");
    assert_eq!(in_readme, in_module, "README.md and src/sandbox.rs differ");
}

#[tokio::test]
async fn full_lifecycle() {
    let h = Harness::new().await;
    let card = card("4111111111111111");

    // New card: 201, active, with a Luhn-valid DPAN of the card's length.
    let created = h.provision(&card).await;
    assert_eq!(created.status, 201);
    let details = created.json();
    let id = details["network_token"]["id"].as_str().unwrap().to_owned();
    let suffix = id.strip_prefix("nt_").expect("nt_ prefix");
    assert_eq!(suffix.len(), 26);
    assert!(suffix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
    assert_eq!(
        details["card"],
        json!({"last4": "1111", "expiry_month": "5", "expiry_year": "2031"})
    );
    let token = &details["network_token"];
    assert_eq!(token["state"], "active");
    assert_eq!(token["type"], "vts");
    let dpan = token["number"].as_str().unwrap();
    assert_eq!(dpan.len(), 16);
    assert_ne!(dpan, "4111111111111111");
    assert!(sandbox::luhn_valid(dpan));
    assert!(token["payment_account_reference"].is_string());
    assert_eq!(
        details["_links"]["self"]["href"],
        json!(format!("{}/network-tokens/{id}", h.sandbox.url()))
    );
    assert_eq!(
        details["_links"]["cryptogram"]["href"],
        json!(format!(
            "{}/network-tokens/{id}/cryptograms",
            h.sandbox.url()
        ))
    );
    assert_eq!(details["token_requestor_id"], sandbox::TOKEN_REQUESTOR_ID);

    // Same card again (expiry written differently): 200, the same token.
    let again = h
        .provision(&json!({"source": {"type": "card", "number": "4111111111111111", "expiry_month": "05", "expiry_year": "2031", "cvv": "1234"}}))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), details);

    // Get: 200, the same details.
    let got = h.get(&id).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), details);

    // Cryptogram: 201 with a base64 cryptogram, eci and links.
    let cryptogram = h.cryptogram(&id, "ecom").await;
    assert_eq!(cryptogram.status, 201);
    let body = cryptogram.json();
    assert!(!body["cryptogram"].as_str().unwrap().is_empty());
    assert_eq!(body["eci"], "7");
    assert_eq!(
        body["_links"]["network-token"]["href"],
        json!(format!("{}/network-tokens/{id}", h.sandbox.url()))
    );
    let second = h.cryptogram(&id, "recurring").await.json();
    assert_ne!(
        second["cryptogram"], body["cryptogram"],
        "one cryptogram per transaction"
    );

    // Delete: 204, no body.
    let deleted = h.delete(&id).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert!(deleted.headers.get(CONTENT_TYPE).is_none());

    // After deletion: get 200 inactive (DPAN still shown), cryptogram 422, delete 422.
    let after = h.get(&id).await;
    assert_eq!(after.status, 200);
    let after = after.json();
    assert_eq!(after["network_token"]["state"], "inactive");
    assert_eq!(after["network_token"]["number"], json!(dpan));
    let refused = h.cryptogram(&id, "ecom").await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.json()["error_type"], "request_invalid");
    assert_eq!(refused.error_codes(), ["token_state_invalid"]);
    let twice = h.delete(&id).await;
    assert_eq!(twice.status, 422);
    assert_eq!(twice.error_codes(), ["token_state_invalid"]);

    // The card is free again: a new token.
    let renewed = h.provision(&card).await;
    assert_eq!(renewed.status, 201);
    assert_ne!(renewed.json()["network_token"]["id"], json!(id));
}

#[tokio::test]
async fn token_types_and_states() {
    let h = Harness::new().await;
    for (number, kind) in [
        ("5436031030606378", "mdes"),
        ("2223000048400011", "mdes"),
        ("4012888888881881", "vts"),
        ("378282246310005", "vts"),
    ] {
        let reply = h.provision(&card(number)).await;
        assert_eq!(reply.status, 201, "{number}");
        let token = reply.json()["network_token"].clone();
        assert_eq!(token["type"], kind, "{number}");
        let dpan = token["number"].as_str().unwrap();
        assert_eq!(dpan.len(), number.len());
        assert_ne!(dpan, number);
        assert!(sandbox::luhn_valid(dpan));
    }
    for (number, state) in [
        (sandbox::DECLINED_CARD_NUMBER, "declined"),
        (sandbox::REQUESTED_CARD_NUMBER, "requested"),
    ] {
        let details = h.provision(&card(number)).await.json();
        assert_eq!(details["network_token"]["state"], state);
        assert!(
            details["network_token"].get("number").is_none(),
            "no DPAN when {state}"
        );
        let id = details["network_token"]["id"].as_str().unwrap();
        let refused = h.cryptogram(id, "pos").await;
        assert_eq!(refused.status, 422);
        assert_eq!(refused.error_codes(), ["token_state_invalid"]);
    }
}

#[tokio::test]
async fn provisioning_validation() {
    let h = Harness::new().await;
    let cases: &[(Value, &[&str])] = &[
        (json!({}), &["source_required"]),
        (
            json!({"source": {"type": "bank"}}),
            &["source_type_invalid"],
        ),
        (
            json!({"source": {"number": "4111111111111111"}}),
            &["source_type_required"],
        ),
        (
            json!({"source": {"type": "card"}}),
            &[
                "card_number_required",
                "card_expiry_month_required",
                "card_expiry_year_required",
            ],
        ),
        (
            json!({"source": {"type": "card", "number": "41111111111", "expiry_month": "0", "expiry_year": "31", "cvv": "12"}}),
            &[
                "card_number_invalid",
                "card_expiry_month_invalid",
                "card_expiry_year_invalid",
                "cvv_invalid",
            ],
        ),
        (
            json!({"source": {"type": "card", "number": 4111111111111111_u64, "expiry_month": 5, "expiry_year": "2031"}}),
            &["card_number_invalid", "card_expiry_month_invalid"],
        ),
        (
            json!({"source": {"type": "card", "number": "41111111111111111111", "expiry_month": "5", "expiry_year": "2031"}}),
            &["card_number_invalid"],
        ),
        (json!({"source": {"type": "id"}}), &["source_id_required"]),
        (
            json!({"source": {"type": "id", "id": "src_short"}}),
            &["source_id_invalid"],
        ),
        (
            json!({"source": {"type": "id", "id": "src_wmlfc3zyhqzehihu7giusaaaé"}}),
            &["source_id_invalid"],
        ),
    ];
    for (body, expected) in cases {
        let reply = h.provision(body).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.json()["error_type"], "request_invalid", "{body}");
        assert_eq!(reply.error_codes(), *expected, "{body}");
    }
    // "5" and "05", 12 and 19 digits are fine.
    for (number, month) in [
        ("411111111117", "5"),
        ("4111111111111111110", "05"),
        ("4111111111111111", "12"),
    ] {
        let body = json!({"source": {"type": "card", "number": number, "expiry_month": month, "expiry_year": "2031"}});
        let reply = h.provision(&body).await;
        assert!(sandbox::luhn_valid(number));
        assert_eq!(reply.status, 201, "{body}");
    }
    // A stored card id: 201, then 200 with the same token.
    let source = json!({"source": {"type": "id", "id": "src_abcdefghijklmnopqrstuvwx_z"}});
    let first = h.provision(&source).await;
    assert_eq!(first.status, 201);
    let second = h.provision(&source).await;
    assert_eq!(second.status, 200);
    assert_eq!(
        first.json()["network_token"]["id"],
        second.json()["network_token"]["id"]
    );
}

#[tokio::test]
async fn media_type_and_malformed_bodies() {
    let h = Harness::new().await;
    let active = format!("/network-tokens/{}", sandbox::ACTIVE_TOKEN_ID);
    let token = Some(h.token.as_str());
    let card = card("4111111111111111").to_string();

    // Provisioning: wrong or missing Content-Type with a body: 415; not JSON: 422.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let reply = h
            .send(
                "provisionNetworkToken",
                "POST",
                "/network-tokens",
                content_type,
                Some(&card),
                token,
            )
            .await;
        assert_eq!(reply.status, 415, "{content_type:?}");
        assert_eq!(reply.error_codes(), ["content_type_invalid"]);
    }
    let charset = h
        .send(
            "provisionNetworkToken",
            "POST",
            "/network-tokens",
            Some("Application/JSON; charset=utf-8"),
            Some(&card),
            token,
        )
        .await;
    assert_eq!(charset.status, 201, "media type parameters are fine");
    for body in ["", "{", "not json", "[1,"] {
        let reply = h
            .send(
                "provisionNetworkToken",
                "POST",
                "/network-tokens",
                Some("application/json"),
                Some(body),
                token,
            )
            .await;
        assert_eq!(reply.status, 422, "{body:?}");
        assert_eq!(reply.json()["error_type"], "request_malformed");
        assert_eq!(reply.error_codes(), ["request_body_malformed"]);
    }

    // Cryptogram: not JSON 422; delete: not JSON 400 (the spec documents 400 there).
    let reply = h
        .send(
            "requestCryptogram",
            "POST",
            &format!("{active}/cryptograms"),
            Some("application/json"),
            Some("{"),
            token,
        )
        .await;
    assert_eq!(
        (reply.status, reply.error_codes()),
        (422, vec!["request_body_malformed".to_owned()])
    );
    let reply = h
        .send(
            "requestCryptogram",
            "POST",
            &format!("{active}/cryptograms"),
            Some("application/json"),
            Some("{}"),
            token,
        )
        .await;
    assert_eq!(
        (reply.status, reply.error_codes()),
        (422, vec!["transaction_type_required".to_owned()])
    );
    for body in ["", "{", "[]x"] {
        let reply = h
            .send(
                "deleteNetworkToken",
                "PATCH",
                &format!("{active}/delete"),
                Some("application/json"),
                Some(body),
                token,
            )
            .await;
        assert_eq!(reply.status, 400, "{body:?}");
        assert_eq!(reply.json()["error_type"], "request_malformed");
    }
    let reply = h
        .send(
            "deleteNetworkToken",
            "PATCH",
            &format!("{active}/delete"),
            Some("application/json"),
            Some("{}"),
            token,
        )
        .await;
    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.error_codes(),
        ["initiated_by_required", "reason_required"]
    );
    // Nothing was deleted by the refused requests.
    assert_eq!(
        h.get(sandbox::ACTIVE_TOKEN_ID).await.json()["network_token"]["state"],
        "active"
    );
}

#[tokio::test]
async fn unknown_ids_and_paths() {
    let h = Harness::new().await;
    for id in [
        sandbox::UNKNOWN_TOKEN_ID,
        "nt_nope",
        "..%2Fcryptograms",
        "%20",
    ] {
        let reply = h.get(id).await;
        assert_eq!(reply.status, 404, "{id}");
        assert_eq!(reply.json()["error_type"], "resource_not_found");
        assert_eq!(reply.error_codes(), ["token_not_found"]);
        assert_eq!(h.cryptogram(id, "ecom").await.status, 404, "{id}");
        assert_eq!(h.delete(id).await.status, 404, "{id}");
    }
    // Outside the API: 404 with a request id too.
    let response = h
        .http
        .get(format!("{}/nowhere", h.sandbox.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("cko-request-id"));
}

#[tokio::test]
async fn unauthorized_calls_get_401_without_body() {
    let h = Harness::new().await;
    for bearer in [None, Some("not-a-token"), Some("")] {
        let reply = h.get_with(sandbox::ACTIVE_TOKEN_ID, bearer).await;
        assert_eq!(reply.status, 401, "{bearer:?}");
        assert!(reply.body.is_empty());
        assert!(reply.headers.contains_key("cko-request-id"));
    }
    // Basic credentials are not an access token.
    let response = h
        .http
        .get(format!(
            "{}/network-tokens/{}",
            h.sandbox.url(),
            sandbox::ACTIVE_TOKEN_ID
        ))
        .basic_auth(h.sandbox.client_id(), Some(h.sandbox.client_secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // 401 comes before every other check, including triggers.
    let reply = h.get_with(sandbox::INTERNAL_ERROR_TOKEN_ID, None).await;
    assert_eq!(reply.status, 401);
    // Revoked tokens stop working; a new one works.
    assert_eq!(h.get(sandbox::ACTIVE_TOKEN_ID).await.status, 200);
    h.sandbox.revoke_access_tokens();
    assert_eq!(h.get(sandbox::ACTIVE_TOKEN_ID).await.status, 401);
    let fresh = fetch_token(&h.http, &h.sandbox).await;
    assert_eq!(
        h.get_with(sandbox::ACTIVE_TOKEN_ID, Some(&fresh))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn tokens_expire() {
    let h = Harness::with(config().token_lifetime(Duration::from_millis(800))).await;
    assert_eq!(h.get(sandbox::ACTIVE_TOKEN_ID).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let expired = h.get(sandbox::ACTIVE_TOKEN_ID).await;
    assert_eq!(expired.status, 401);
    assert!(expired.body.is_empty());
}

#[tokio::test]
async fn token_endpoint() {
    let sandbox = SandboxConfig::new()
        .token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = sandbox.token_url();
    let mut request_ids = HashSet::new();
    let mut sent = 0;

    // Basic credentials and form credentials both work; scope is optional.
    let basic = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "vault:network-tokens"),
        ]);
    let form = http.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", sandbox.client_id()),
        ("client_secret", sandbox.client_secret()),
    ]);
    let mut tokens = HashSet::new();
    for request in [basic, form] {
        let response = request.send().await.unwrap();
        sent += 1;
        assert_eq!(response.status(), 200);
        assert!(request_ids.insert(
            response.headers()["cko-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        ));
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 1);
        let token = body["access_token"].as_str().unwrap().to_owned();
        assert_eq!(token.split('.').count(), 3, "JWT-looking");
        assert!(tokens.insert(token), "a new token each time");
    }
    assert_eq!(sandbox.token_requests(), sent);

    // Errors: 400 with an OAuth error code.
    let wrong_secret = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some("wrong"))
        .form(&[("grant_type", "client_credentials")]);
    let wrong_id = http.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", "ack_someone_else"),
        ("client_secret", sandbox.client_secret()),
    ]);
    let no_credentials = http
        .post(&url)
        .form(&[("grant_type", "client_credentials")]);
    let only_id = http.post(&url).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", sandbox.client_id()),
    ]);
    let bad_grant = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("grant_type", "password")]);
    let no_grant = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("scope", "vault:network-tokens")]);
    let bad_scope = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "gateway vault:instruments"),
        ]);
    let json_body = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .json(&json!({"grant_type": "client_credentials"}));
    for (request, error) in [
        (wrong_secret, "invalid_client"),
        (wrong_id, "invalid_client"),
        (no_credentials, "invalid_client"),
        (only_id, "invalid_client"),
        (bad_grant, "unsupported_grant_type"),
        (no_grant, "invalid_request"),
        (bad_scope, "invalid_scope"),
        (json_body, "invalid_request"),
    ] {
        let response = request.send().await.unwrap();
        sent += 1;
        assert_eq!(response.status(), 400, "{error}");
        assert!(request_ids.insert(
            response.headers()["cko-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        ));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error);
    }
    assert_eq!(sandbox.token_requests(), sent);

    // A scope list that includes the scope is fine.
    let response = http
        .post(&url)
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "gateway vault:network-tokens"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn custom_credentials() {
    let sandbox = SandboxConfig::new()
        .credentials("ack_custom", "s3cret:with:colons")
        .start()
        .await
        .unwrap();
    assert_eq!(sandbox.client_id(), "ack_custom");
    let http = reqwest::Client::new();
    let token = fetch_token(&http, &sandbox).await;
    assert!(!token.is_empty());
    let response = http
        .post(sandbox.token_url())
        .basic_auth(
            sandbox::DEFAULT_CLIENT_ID,
            Some(sandbox::DEFAULT_CLIENT_SECRET),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn random_faults_are_seeded() {
    async fn statuses(seed: u64) -> Vec<u16> {
        let h = Harness::with(config().fault_rate(0.5).seed(seed)).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(h.get(sandbox::ACTIVE_TOKEN_ID).await.status);
        }
        statuses
    }
    let first = statuses(7).await;
    assert_eq!(first, statuses(7).await, "same seed, same faults");
    assert_ne!(first, statuses(8).await, "another seed, other faults");
    assert!(
        first.iter().all(|s| [200, 500, 502, 504].contains(s)),
        "{first:?}"
    );
    for status in [200, 500, 502, 504] {
        assert!(first.contains(&status), "{status} in {first:?}");
    }

    // Rate 1: every authorised call fails; the token endpoint and 401s are not affected.
    let h = Harness::with(config().fault_rate(1.0)).await;
    for _ in 0..10 {
        let status = h.provision(&card("4111111111111111")).await.status;
        assert!([500, 502, 504].contains(&status), "{status}");
    }
    assert_eq!(h.get_with(sandbox::ACTIVE_TOKEN_ID, None).await.status, 401);

    // Rate 0 (the default): none.
    let h = Harness::new().await;
    for _ in 0..20 {
        assert_eq!(h.get(sandbox::ACTIVE_TOKEN_ID).await.status, 200);
    }
}

#[tokio::test]
async fn slow_responses_time_out_a_client() {
    let h = Harness::with(config().slow_response_delay(Duration::from_secs(2))).await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient
        .get(format!(
            "{}/network-tokens/{}",
            h.sandbox.url(),
            sandbox::SLOW_TOKEN_ID
        ))
        .header(AUTHORIZATION, format!("Bearer {}", h.token))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    // Other tokens are not slow.
    let started = Instant::now();
    assert_eq!(h.get(sandbox::ACTIVE_TOKEN_ID).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn sandbox_basics() {
    let sandbox = Sandbox::start().await;
    assert!(sandbox.url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        sandbox.token_url(),
        format!("{}/connect/token", sandbox.url())
    );
    assert_eq!(sandbox.client_id(), sandbox::DEFAULT_CLIENT_ID);
    assert_eq!(sandbox.client_secret(), sandbox::DEFAULT_CLIENT_SECRET);
    assert_eq!(sandbox.token_requests(), 0);
    assert!(sandbox.local_addr().ip().is_loopback());
    let debug = format!("{sandbox:?}");
    assert!(debug.contains(sandbox.url()));

    // Cko-Version on every response.
    let response = reqwest::get(format!("{}/network-tokens/x", sandbox.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cko-version"], sandbox::API_VERSION);

    let url = sandbox.url().to_owned();
    sandbox.shutdown().await;
    assert!(
        reqwest::get(format!("{url}/network-tokens/x"))
            .await
            .is_err(),
        "stopped"
    );
}
