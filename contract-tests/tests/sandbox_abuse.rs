//! The embedded sandbox under abuse: huge, deeply nested, non-UTF-8 and oddly typed bodies,
//! odd card fields, hostile token ids, methods the spec does not list, wrong `Authorization`
//! schemes, token-endpoint abuse and a burst of concurrent provisions. Every answer on one of
//! the four operations must validate against the spec (status, `Cko-Request-Id`, body), every
//! answer at all must carry `Cko-Request-Id`, nothing may hang, and the sandbox must still
//! serve a normal request afterwards.

use std::sync::LazyLock;
use std::time::Duration;

use contract_tests::sandbox::{self, Sandbox};
use contract_tests::spec::Spec;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static SPEC: LazyLock<Spec> = LazyLock::new(Spec::load);

const PROVISION: &str = "provisionNetworkToken";
const GET: &str = "getNetworkToken";
const CRYPTOGRAM: &str = "requestCryptogram";
const DELETE: &str = "deleteNetworkToken";

/// Every exchange gets this long; a hang is a failure, not a stuck test run.
const DEADLINE: Duration = Duration::from_secs(5);

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("text header").to_owned())
    }

    /// Asserts the headers every sandbox response carries.
    fn assert_stamped(&self) -> &Self {
        let id = self.header("cko-request-id");
        assert!(
            id.as_deref().is_some_and(|id| !id.is_empty()),
            "status {}: no Cko-Request-Id; headers {:?}",
            self.status,
            self.headers
        );
        assert_eq!(self.header("cko-version").as_deref(), Some("1.0.0"));
        self
    }

    /// Validates against the spec for `op` and returns the error codes (empty for successes).
    fn valid_for(&self, op: &str) -> Vec<String> {
        if let Err(e) = SPEC.validate_response(op, self.status, &self.headers, &self.body) {
            panic!(
                "{op}: response not valid per the spec: {e}\nstatus {}\nbody: {}",
                self.status,
                self.text()
            );
        }
        self.assert_stamped();
        if self.status < 400 || self.body.is_empty() {
            return Vec::new();
        }
        let body = self.json();
        assert_eq!(
            body["request_id"].as_str(),
            self.header("cko-request-id").as_deref(),
            "request_id = Cko-Request-Id"
        );
        body["error_codes"]
            .as_array()
            .expect("error_codes")
            .iter()
            .map(|c| c.as_str().expect("code is a string").to_owned())
            .collect()
    }

    /// Validates against the spec and checks the status and exact error codes.
    fn expect(&self, op: &str, status: u16, codes: &[&str]) {
        let got = self.valid_for(op);
        assert_eq!(self.status, status, "{op}: body {}", self.text());
        assert_eq!(got, codes, "{op}: status {}", self.status);
    }
}

/// A sandbox, a plain HTTP client and an access token.
struct Harness {
    sandbox: Sandbox,
    http: reqwest::Client,
    token: String,
}

impl Harness {
    async fn new() -> Harness {
        let sandbox = Sandbox::start().await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let token = fetch_token(&http, &sandbox).await;
        Harness {
            sandbox,
            http,
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    /// A request with the bearer token.
    fn authed(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.plain(method, path).bearer_auth(&self.token)
    }

    /// A request without credentials.
    fn plain(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.http.request(method, self.url(path))
    }

    /// An authorised JSON request (the body as raw bytes).
    async fn json(&self, method: &str, path: &str, body: impl Into<Vec<u8>>) -> Reply {
        fetch(
            self.authed(method, path)
                .header("content-type", "application/json")
                .body(body.into()),
        )
        .await
    }

    async fn provision(&self, body: impl Into<Vec<u8>>) -> Reply {
        self.json("POST", "/network-tokens", body).await
    }

    async fn provision_source(&self, source: Value) -> Reply {
        self.provision(json!({ "source": source }).to_string())
            .await
    }

    /// Sends exact bytes over a fresh TCP connection (no URL normalisation, no header
    /// checks) and reads the answer.
    async fn raw(&self, request: &[u8]) -> Reply {
        raw_exchange(&self.sandbox, request).await
    }

    /// A raw request line and headers, with the bearer token (`Connection: close`).
    async fn raw_authed(&self, method: &str, target: &[u8], extra: &str, body: &[u8]) -> Reply {
        let mut request = Vec::new();
        request.extend_from_slice(method.as_bytes());
        request.push(b' ');
        request.extend_from_slice(target);
        request.extend_from_slice(
            format!(
                " HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                self.sandbox.local_addr(),
                self.token,
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(body);
        self.raw(&request).await
    }
}

async fn fetch(request: reqwest::RequestBuilder) -> Reply {
    let response = tokio::time::timeout(DEADLINE, request.send())
        .await
        .expect("the sandbox answers in time")
        .expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = tokio::time::timeout(DEADLINE, response.bytes())
        .await
        .expect("the body arrives in time")
        .expect("body")
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn fetch_token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let response = http
        .post(sandbox.token_url())
        .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Writes `request` on a new connection, reads until the server closes, parses HTTP/1.1.
async fn raw_exchange(sandbox: &Sandbox, request: &[u8]) -> Reply {
    let exchange = async {
        let mut stream = TcpStream::connect(sandbox.local_addr()).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        bytes
    };
    let bytes = tokio::time::timeout(DEADLINE, exchange)
        .await
        .expect("the sandbox answers a raw request in time");
    parse_response(&bytes)
}

fn parse_response(bytes: &[u8]) -> Reply {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("header line");
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(value.trim()).unwrap(),
        );
    }
    let mut body = bytes[end + 4..].to_vec();
    if let Some(length) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn card(number: &str, month: &str, year: &str) -> Value {
    json!({"type": "card", "number": number, "expiry_month": month, "expiry_year": year})
}

/// Luhn-valid new cards (never seeded or triggers): `4` + 14 digits of `n` + check digit.
fn new_card(n: u64) -> String {
    let body = format!("4{n:014}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

const DELETE_BODY: &str = r#"{"initiated_by":"token_requestor","reason":"other"}"#;

fn active_path(suffix: &str) -> String {
    format!("/network-tokens/{}{suffix}", sandbox::ACTIVE_TOKEN_ID)
}

// ---------------------------------------------------------------------------------------------
// Bodies

/// 3 MB bodies exceed axum's default 2 MB `Bytes` limit: the extractor answers 413 with a
/// text/plain body before the handler runs, so the bearer check (documented to come first)
/// never happens, and neither 413 nor text/plain is in the spec for any of the operations.
#[tokio::test]
async fn huge_bodies_get_documented_answers() {
    let h = Harness::new().await;
    let huge = format!(
        r#"{{"source":{{"type":"card","number":"4539467987109256","expiry_month":"10","expiry_year":"2030"}},"pad":"{}"}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    // Unauthorised: the bearer token is checked first, whatever the body.
    let reply = fetch(
        h.plain("POST", "/network-tokens")
            .header("content-type", "application/json")
            .body(huge.clone()),
    )
    .await;
    reply.expect(PROVISION, 401, &[]);
    // Authorised: any documented status, with the documented error body.
    let reply = h.provision(huge.clone()).await;
    reply.valid_for(PROVISION);
    let reply = h
        .json("POST", &active_path("/cryptograms"), huge.clone())
        .await;
    reply.valid_for(CRYPTOGRAM);
    let reply = h.json("PATCH", &active_path("/delete"), huge).await;
    reply.valid_for(DELETE);
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_read_and_judged() {
    let h = Harness::new().await;
    // 1.5 MB of JSON that is a valid provisioning request with an unknown padding field.
    let body = format!(
        r#"{{"source":{},"pad":"{}"}}"#,
        card(&new_card(1), "10", "2030"),
        "x".repeat(1536 * 1024)
    );
    h.provision(body).await.expect(PROVISION, 201, &[]);
    // 1.5 MB that is not JSON.
    let body = vec![b'{'; 1536 * 1024];
    h.provision(body)
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
}

#[tokio::test]
async fn deeply_nested_json_is_malformed_not_a_stack_overflow() {
    let h = Harness::new().await;
    let brackets = "[".repeat(10_000);
    h.provision(brackets.clone())
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
    h.json("POST", &active_path("/cryptograms"), brackets.clone())
        .await
        .expect(CRYPTOGRAM, 422, &["request_body_malformed"]);
    h.json("PATCH", &active_path("/delete"), brackets)
        .await
        .expect(DELETE, 400, &["request_body_malformed"]);
    // Balanced and nested inside a real field: still past the parser's depth limit.
    let nested = format!(
        r#"{{"source":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    h.provision(nested)
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
    // Shallow enough to parse (100 levels): well-formed, but the wrong shape.
    let nested = format!(r#"{{"source":{}{}}}"#, "[".repeat(100), "]".repeat(100));
    h.provision(nested)
        .await
        .expect(PROVISION, 422, &["source_invalid"]);
}

#[tokio::test]
async fn invalid_utf8_bodies_are_malformed() {
    let h = Harness::new().await;
    let mut body = br#"{"source":{"type":"card","number":"4539467987109256","expiry_month":"10","expiry_year":"20"#.to_vec();
    body.extend_from_slice(b"\xff\xfe\"}}");
    h.provision(body)
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
    h.json("POST", &active_path("/cryptograms"), b"\xc3\x28".to_vec())
        .await
        .expect(CRYPTOGRAM, 422, &["request_body_malformed"]);
    let mut body = br#"{"initiated_by":"token_requestor","reason":"oth"#.to_vec();
    body.extend_from_slice(b"\xed\xa0\x80\"}"); // an encoded surrogate
    h.json("PATCH", &active_path("/delete"), body).await.expect(
        DELETE,
        400,
        &["request_body_malformed"],
    );
    // A UTF-8 byte-order mark before valid JSON is not JSON either.
    let mut body = b"\xef\xbb\xbf".to_vec();
    body.extend_from_slice(br#"{"transaction_type":"ecom"}"#);
    h.json("POST", &active_path("/cryptograms"), body)
        .await
        .expect(CRYPTOGRAM, 422, &["request_body_malformed"]);
}

#[tokio::test]
async fn duplicate_keys_resolve_to_the_last_value() {
    let h = Harness::new().await;
    let fresh = new_card(2);
    // An invalid number first, a valid new card last: the last wins.
    let body = format!(
        r#"{{"source":{{"type":"card","number":"4539467987109257","number":"{fresh}","expiry_month":"10","expiry_year":"2030"}}}}"#
    );
    let reply = h.provision(body).await;
    reply.expect(PROVISION, 201, &[]);
    assert_eq!(
        reply.json()["card"]["last4"],
        json!(&fresh[fresh.len() - 4..])
    );
    // A valid value first, an invalid one last: refused.
    let body = format!(
        r#"{{"source":{{"type":"card","number":"{fresh}","expiry_month":"10","expiry_month":"13","expiry_year":"2030"}}}}"#
    );
    h.provision(body)
        .await
        .expect(PROVISION, 422, &["card_expiry_month_invalid"]);
    // Duplicate source types: the last (`card`) decides which fields are read.
    let body = format!(
        r#"{{"source":{{"type":"id","id":"{}","type":"card","number":"{fresh}","expiry_month":"10","expiry_year":"2030"}}}}"#,
        sandbox::NEW_SOURCE_ID
    );
    h.provision(body).await.expect(PROVISION, 200, &[]);
    h.json(
        "POST",
        &active_path("/cryptograms"),
        r#"{"transaction_type":"ecom","transaction_type":"cash"}"#,
    )
    .await
    .expect(CRYPTOGRAM, 422, &["transaction_type_invalid"]);
}

#[tokio::test]
async fn numbers_where_strings_are_expected_are_invalid() {
    let h = Harness::new().await;
    let cases = [
        (
            json!({"type": "card", "number": 4539467987109256u64, "expiry_month": "10", "expiry_year": "2030"}),
            "card_number_invalid",
        ),
        (
            json!({"type": "card", "number": "4539467987109256", "expiry_month": 10, "expiry_year": "2030"}),
            "card_expiry_month_invalid",
        ),
        (
            json!({"type": "card", "number": "4539467987109256", "expiry_month": "10", "expiry_year": 2030}),
            "card_expiry_year_invalid",
        ),
        (
            json!({"type": "card", "number": "4539467987109256", "expiry_month": "10", "expiry_year": "2030", "cvv": 123}),
            "cvv_invalid",
        ),
        (json!({"type": 1}), "source_type_invalid"),
        (json!({"type": "id", "id": 12345}), "source_id_invalid"),
        (
            json!({"type": "card", "number": ["4539467987109256"], "expiry_month": "10", "expiry_year": "2030"}),
            "card_number_invalid",
        ),
        (
            json!({"type": "card", "number": {"n": "4539467987109256"}, "expiry_month": "10", "expiry_year": "2030"}),
            "card_number_invalid",
        ),
        (
            json!({"type": "card", "number": true, "expiry_month": "10", "expiry_year": "2030"}),
            "card_number_invalid",
        ),
    ];
    for (source, code) in cases {
        h.provision_source(source.clone())
            .await
            .expect(PROVISION, 422, &[code]);
    }
    h.provision(r#"{"source":"4539467987109256"}"#)
        .await
        .expect(PROVISION, 422, &["source_invalid"]);
    h.provision(r#"{"source":42}"#)
        .await
        .expect(PROVISION, 422, &["source_invalid"]);
    h.json(
        "POST",
        &active_path("/cryptograms"),
        r#"{"transaction_type":1}"#,
    )
    .await
    .expect(CRYPTOGRAM, 422, &["transaction_type_invalid"]);
    h.json(
        "PATCH",
        &active_path("/delete"),
        r#"{"initiated_by":true,"reason":0}"#,
    )
    .await
    .expect(DELETE, 422, &["initiated_by_invalid", "reason_invalid"]);
}

#[tokio::test]
async fn null_fields_count_as_missing() {
    let h = Harness::new().await;
    h.provision(r#"{"source":null}"#)
        .await
        .expect(PROVISION, 422, &["source_required"]);
    h.provision_source(json!({"type": null})).await.expect(
        PROVISION,
        422,
        &["source_type_required"],
    );
    h.provision_source(
        json!({"type": "card", "number": null, "expiry_month": null, "expiry_year": null}),
    )
    .await
    .expect(
        PROVISION,
        422,
        &[
            "card_number_required",
            "card_expiry_month_required",
            "card_expiry_year_required",
        ],
    );
    h.provision_source(json!({"type": "id", "id": null}))
        .await
        .expect(PROVISION, 422, &["source_id_required"]);
    h.json(
        "POST",
        &active_path("/cryptograms"),
        r#"{"transaction_type":null}"#,
    )
    .await
    .expect(CRYPTOGRAM, 422, &["transaction_type_required"]);
    h.json(
        "PATCH",
        &active_path("/delete"),
        r#"{"initiated_by":null,"reason":null}"#,
    )
    .await
    .expect(DELETE, 422, &["initiated_by_required", "reason_required"]);
    // A null optional CVV is simply absent.
    let mut source = card(&new_card(3), "10", "2030");
    source["cvv"] = Value::Null;
    h.provision_source(source).await.expect(PROVISION, 201, &[]);
    // JSON values that are not objects at all.
    for body in ["null", "[]", "42", r#""source""#, "true"] {
        h.provision(body)
            .await
            .expect(PROVISION, 422, &["source_required"]);
        h.json("POST", &active_path("/cryptograms"), body)
            .await
            .expect(CRYPTOGRAM, 422, &["transaction_type_required"]);
        h.json("PATCH", &active_path("/delete"), body).await.expect(
            DELETE,
            422,
            &["initiated_by_required", "reason_required"],
        );
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let h = Harness::new().await;
    let mut source = card(&new_card(4), "10", "2030");
    source["nickname"] = json!("x");
    source["billing_address"] = json!({"line1": "1 Way"});
    let body =
        json!({"source": source, "merchant": {"deep": [1, 2, {"a": null}]}, "__proto__": {}});
    let reply = h.provision(body.to_string()).await;
    reply.expect(PROVISION, 201, &[]);
    let json = reply.json();
    assert!(json.get("merchant").is_none() && json.get("__proto__").is_none());
    h.json(
        "POST",
        &active_path("/cryptograms"),
        r#"{"transaction_type":"ecom","amount":100}"#,
    )
    .await
    .expect(CRYPTOGRAM, 201, &[]);
}

// ---------------------------------------------------------------------------------------------
// Card fields

#[tokio::test]
async fn card_numbers_must_be_ascii_digits() {
    let h = Harness::new().await;
    let ascii = sandbox::NEW_CARD_NUMBER;
    // The same number in Arabic-Indic, Extended Arabic-Indic, Devanagari and fullwidth digits.
    let scripts: [u32; 4] = [0x0660, 0x06F0, 0x0966, 0xFF10];
    for zero in scripts {
        let number: String = ascii
            .bytes()
            .map(|b| char::from_u32(zero + u32::from(b - b'0')).unwrap())
            .collect();
        h.provision_source(card(&number, "10", "2030"))
            .await
            .expect(PROVISION, 422, &["card_number_invalid"]);
    }
    for number in [
        "4539 4679 8710 9256",
        "4539-4679-8710-9256",
        " 4539467987109256",
        "4539467987109256 ",
        "4539467987109256\n",
        "+4539467987109256",
        "4539467987109256\u{0}",
        "",
        "45394679871092560000", // 20 digits
        "42424242428",          // 11 digits, Luhn-valid
    ] {
        h.provision_source(card(number, "10", "2030")).await.expect(
            PROVISION,
            422,
            &["card_number_invalid"],
        );
    }
    // The state is untouched: the ASCII card is still new.
    h.provision_source(card(ascii, "10", "2030"))
        .await
        .expect(PROVISION, 201, &[]);
}

#[tokio::test]
async fn odd_expiry_months_and_years_are_invalid() {
    let h = Harness::new().await;
    let number = new_card(5);
    for month in [
        "00", "0", "13", "1.0", " 5", "5 ", "+5", "-1", "005", "", "\u{0665}", "0x5", "1e1",
    ] {
        h.provision_source(card(&number, month, "2030"))
            .await
            .expect(PROVISION, 422, &["card_expiry_month_invalid"]);
    }
    for year in [
        "20 25",
        "202",
        "20255",
        "2030.0",
        " 2030",
        "\u{0662}\u{0660}\u{0663}\u{0660}",
        "",
        "-203",
    ] {
        h.provision_source(card(&number, "10", year)).await.expect(
            PROVISION,
            422,
            &["card_expiry_year_invalid"],
        );
    }
    for cvv in ["12", "12345", "\u{0661}\u{0662}\u{0663}", "12a", " 123", ""] {
        let mut source = card(&number, "10", "2030");
        source["cvv"] = json!(cvv);
        h.provision_source(source)
            .await
            .expect(PROVISION, 422, &["cvv_invalid"]);
    }
    // "5" and "05" both read as May; the stored card keeps what was sent, spec-valid.
    let reply = h.provision_source(card(&number, "5", "2031")).await;
    reply.expect(PROVISION, 201, &[]);
    assert_eq!(reply.json()["card"]["expiry_month"], json!("5"));
    let reply = h.provision_source(card(&number, "05", "2031")).await;
    reply.expect(PROVISION, 200, &[]);
}

#[tokio::test]
async fn source_ids_must_be_ascii_word_characters() {
    let h = Harness::new().await;
    for id in [
        "src_wmlfc3zyhqzehihu7giusaaaw\u{e9}", // 26 chars, one of them é
        "src_\u{0661}mlfc3zyhqzehihu7giusaaawu", // an Arabic-Indic digit
        "src_\u{0430}mlfc3zyhqzehihu7giusaaawu", // a Cyrillic a
        "src_wmlfc3zyhqzehihu7giusaaawuu",     // 27
        "src_wmlfc3zyhqzehihu7giusaaaw",       // 25
        "SRC_wmlfc3zyhqzehihu7giusaaawu",
        "src-wmlfc3zyhqzehihu7giusaaawu",
        "src_wmlfc3zyhqzehihu7giusaa-wu",
        " src_wmlfc3zyhqzehihu7giusaaawu",
    ] {
        h.provision_source(json!({"type": "id", "id": id}))
            .await
            .expect(PROVISION, 422, &["source_id_invalid"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Token ids in paths

#[tokio::test]
async fn percent_encoded_dot_segments_and_slashes_are_one_unknown_id() {
    let h = Harness::new().await;
    for target in [
        "/network-tokens/%2e%2e",
        "/network-tokens/%2E%2E",
        "/network-tokens/%2e",
        "/network-tokens/..%2F..%2Fconnect%2Ftoken",
        "/network-tokens/nt_x%2Fdelete",
        "/network-tokens/%5c..%5c",
        "/network-tokens/%00",
        "/network-tokens/%zz",
        "/network-tokens/nt_sbxactivetokenaaaaaaaaaaaa%2F",
    ] {
        h.raw_authed("GET", target.as_bytes(), "", b"")
            .await
            .expect(GET, 404, &["token_not_found"]);
        h.raw_authed(
            "POST",
            format!("{target}/cryptograms").as_bytes(),
            "Content-Type: application/json\r\n",
            br#"{"transaction_type":"ecom"}"#,
        )
        .await
        .expect(CRYPTOGRAM, 404, &["token_not_found"]);
        h.raw_authed(
            "PATCH",
            format!("{target}/delete").as_bytes(),
            "Content-Type: application/json\r\n",
            DELETE_BODY.as_bytes(),
        )
        .await
        .expect(DELETE, 404, &["token_not_found"]);
    }
    // Percent-encoded unreserved characters name the same token (RFC 3986 §6.2.2.2).
    let target = "/network-tokens/%6et_sbxactivetokenaaaaaaaaaaaa";
    let reply = h.raw_authed("GET", target.as_bytes(), "", b"").await;
    reply.expect(GET, 200, &[]);
    assert_eq!(
        reply.json()["network_token"]["id"],
        json!(sandbox::ACTIVE_TOKEN_ID)
    );
}

/// `%FF` decodes to bytes that are not UTF-8: axum's `Path<String>` extractor rejects the
/// request itself with 400 text/plain, which the spec does not document for get or
/// cryptogram (and delete's 400 must be the JSON error body).
#[tokio::test]
async fn non_utf8_percent_encoded_ids_get_a_documented_answer() {
    let h = Harness::new().await;
    h.raw_authed("GET", b"/network-tokens/%FF", "", b"")
        .await
        .valid_for(GET);
    h.raw_authed(
        "POST",
        b"/network-tokens/nt_%C3%28/cryptograms",
        "Content-Type: application/json\r\n",
        br#"{"transaction_type":"ecom"}"#,
    )
    .await
    .valid_for(CRYPTOGRAM);
    h.raw_authed(
        "PATCH",
        b"/network-tokens/%FF/delete",
        "Content-Type: application/json\r\n",
        DELETE_BODY.as_bytes(),
    )
    .await
    .valid_for(DELETE);
}

#[tokio::test]
async fn long_and_unicode_ids_are_unknown() {
    let h = Harness::new().await;
    let long = format!("nt_{}", "a".repeat(10 * 1024));
    let unicode = "nt_\u{65e5}\u{672c}\u{8a9e}\u{0661}\u{1F4B3}";
    let lookalike = "nt_sbx\u{0430}ctivetokenaaaaaaaaaaaa"; // Cyrillic а
    for id in [long.as_str(), unicode, lookalike] {
        // reqwest percent-encodes the non-ASCII characters as UTF-8.
        fetch(h.authed("GET", &format!("/network-tokens/{id}")))
            .await
            .expect(GET, 404, &["token_not_found"]);
        h.json(
            "POST",
            &format!("/network-tokens/{id}/cryptograms"),
            r#"{"transaction_type":"ecom"}"#,
        )
        .await
        .expect(CRYPTOGRAM, 404, &["token_not_found"]);
        h.json(
            "PATCH",
            &format!("/network-tokens/{id}/delete"),
            DELETE_BODY,
        )
        .await
        .expect(DELETE, 404, &["token_not_found"]);
    }
    // Raw UTF-8 bytes in the request target (not percent-encoded).
    let mut target = b"/network-tokens/".to_vec();
    target.extend_from_slice(unicode.as_bytes());
    let reply = h.raw_authed("GET", &target, "", b"").await;
    reply.expect(GET, 404, &["token_not_found"]);
}

// ---------------------------------------------------------------------------------------------
// Methods and paths the spec does not list

#[tokio::test]
async fn undocumented_methods_get_405_with_a_request_id() {
    let h = Harness::new().await;
    let active = active_path("");
    let cases: Vec<(&str, String)> = vec![
        ("PUT", "/network-tokens".into()),
        ("DELETE", "/network-tokens".into()),
        ("GET", "/network-tokens".into()),
        ("PATCH", "/network-tokens".into()),
        ("PUT", active.clone()),
        ("DELETE", active.clone()),
        ("POST", active.clone()),
        ("PATCH", active.clone()),
        ("GET", active_path("/cryptograms")),
        ("DELETE", active_path("/cryptograms")),
        ("GET", active_path("/delete")),
        ("DELETE", active_path("/delete")),
        ("POST", active_path("/delete")),
        ("PUT", active_path("/delete")),
        ("GET", "/connect/token".into()),
        ("DELETE", "/connect/token".into()),
        ("BREW", active.clone()),
    ];
    for (method, path) in cases {
        let reply = fetch(
            h.authed(method, &path)
                .header("content-type", "application/json")
                .body(DELETE_BODY),
        )
        .await;
        assert_eq!(reply.status, 405, "{method} {path}: {}", reply.text());
        reply.assert_stamped();
        assert!(reply.header("allow").is_some(), "{method} {path}: Allow");
        // Nothing changed: the token is still active.
    }
    let reply = fetch(h.authed("GET", &active)).await;
    reply.expect(GET, 200, &[]);
    assert_eq!(reply.json()["network_token"]["state"], json!("active"));
    // A method the route does not know, without credentials: still 405 and stamped.
    let reply = fetch(h.plain("DELETE", &active)).await;
    assert_eq!(reply.status, 405);
    reply.assert_stamped();
}

#[tokio::test]
async fn undocumented_paths_get_404_with_a_request_id() {
    let h = Harness::new().await;
    for path in [
        "/",
        "/network-tokens/",
        &active_path("/"),
        &active_path("/cryptograms/x"),
        &active_path("/delete/"),
        "/network-tokens/a/b/c/d",
        "/NETWORK-TOKENS",
        "/connect/token/",
        "/..%2Fconnect%2Ftoken",
    ] {
        for method in ["GET", "POST", "PUT"] {
            let reply = fetch(h.authed(method, path)).await;
            assert_eq!(reply.status, 404, "{method} {path}");
            reply.assert_stamped();
            assert_eq!(reply.json()["error_type"], json!("resource_not_found"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization

#[tokio::test]
async fn wrong_authorization_schemes_get_401() {
    let h = Harness::new().await;
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            h.sandbox.client_id(),
            h.sandbox.client_secret()
        ))
    };
    let t = &h.token;
    let refused = [
        format!("Basic {basic}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {t}x"),
        format!("Bearer {t} {t}"),
        format!("Bearer \"{t}\""),
        format!("Token {t}"),
        format!("Bearer\t{t}"),
        format!("Bearer,{t}"),
        t.clone(),
        format!("Basic {t}"),
        format!("Bearer {}", &t[..t.len() - 1]),
    ];
    for value in &refused {
        let reply = fetch(
            h.plain("GET", &active_path(""))
                .header("authorization", value.as_str()),
        )
        .await;
        reply.expect(GET, 401, &[]);
        assert!(reply.body.is_empty());
        assert!(reply.header("www-authenticate").is_some());
        let reply = fetch(
            h.plain("POST", "/network-tokens")
                .header("authorization", value.as_str())
                .header("content-type", "application/json")
                .body(json!({ "source": card(&new_card(6), "10", "2030") }).to_string()),
        )
        .await;
        reply.expect(PROVISION, 401, &[]);
    }
    // Not UTF-8 at all (sent raw).
    let mut request = b"GET ".to_vec();
    request.extend_from_slice(active_path("").as_bytes());
    request.extend_from_slice(
        b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n",
    );
    h.raw(&request).await.expect(GET, 401, &[]);
    // Nothing was provisioned by the refused attempts.
    h.provision_source(card(&new_card(6), "10", "2030"))
        .await
        .expect(PROVISION, 201, &[]);
}

#[tokio::test]
async fn accepted_authorization_variants() {
    let h = Harness::new().await;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let reply = fetch(
        h.plain("GET", &active_path(""))
            .header("authorization", format!("bearer {}", h.token)),
    )
    .await;
    reply.expect(GET, 200, &[]);
    // Trailing whitespace is not part of a field value (RFC 9110 §5.5): sent raw, it is
    // stripped and the token is accepted.
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}  \r\nConnection: close\r\n\r\n",
        active_path(""),
        h.token
    );
    h.raw(request.as_bytes()).await.expect(GET, 200, &[]);
    // A revoked token is refused, however it is spelled.
    h.sandbox.revoke_access_tokens();
    let reply = fetch(
        h.plain("GET", &active_path(""))
            .header("authorization", format!("bearer {}", h.token)),
    )
    .await;
    reply.expect(GET, 401, &[]);
}

// ---------------------------------------------------------------------------------------------
// The token endpoint

fn oauth_error(reply: &Reply) -> String {
    assert_eq!(reply.status, 400, "{}", reply.text());
    reply.assert_stamped();
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    reply.json()["error"].as_str().expect("error").to_owned()
}

#[tokio::test]
async fn token_endpoint_refuses_json_and_wrong_media_types() {
    let h = Harness::new().await;
    let (id, secret) = (h.sandbox.client_id(), h.sandbox.client_secret());
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .header("content-type", "application/json")
            .body(
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})
                    .to_string(),
            ),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
    // A form body labelled as JSON, and a JSON body labelled as a form.
    let form = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .header("content-type", "application/json")
            .body(form),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(r#"{"grant_type":"client_credentials"}"#),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
    // Invalid UTF-8 in a form: decoded lossily, never a crash.
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"grant_type=client_credentials\xff&scope=%FF%FE".to_vec()),
    )
    .await;
    assert_eq!(oauth_error(&reply), "unsupported_grant_type");
}

#[tokio::test]
async fn token_endpoint_refuses_wrong_basic_with_right_form_credentials() {
    let h = Harness::new().await;
    let (id, secret) = (h.sandbox.client_id(), h.sandbox.client_secret());
    // Basic wrong, form right: refused, as two authentication methods (RFC 6749 §2.3).
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some("wrong"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ]),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
}

/// RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
/// request." A fake that accepts Basic plus disagreeing form credentials lets a client bug
/// (sending both, and the wrong ones in one place) pass its tests.
#[tokio::test]
async fn token_endpoint_refuses_two_authentication_methods() {
    let h = Harness::new().await;
    let (id, secret) = (h.sandbox.client_id(), h.sandbox.client_secret());
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "ack_someone_else"),
                ("client_secret", "wrong"),
            ]),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
}

/// RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
/// The sandbox collects the form into a map, so the last `grant_type` wins silently.
#[tokio::test]
async fn token_endpoint_refuses_repeated_parameters() {
    let h = Harness::new().await;
    let (id, secret) = (h.sandbox.client_id(), h.sandbox.client_secret());
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=password&grant_type=client_credentials"),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
}

#[tokio::test]
async fn token_endpoint_survives_a_megabyte_form() {
    let h = Harness::new().await;
    let (id, secret) = (h.sandbox.client_id(), h.sandbox.client_secret());
    let padding = "p".repeat(1024 * 1024);
    // Valid parameters plus 1 MB of an unknown one: a token.
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("padding", padding.as_str()),
            ]),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.assert_stamped();
    let token = reply.json()["access_token"].as_str().unwrap().to_owned();
    fetch(h.plain("GET", &active_path("")).bearer_auth(&token))
        .await
        .expect(GET, 200, &[]);
    // 1 MB of `&&&…` and no grant type.
    let reply = fetch(
        h.plain("POST", "/connect/token")
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("&".repeat(1024 * 1024)),
    )
    .await;
    assert_eq!(oauth_error(&reply), "invalid_request");
    // A 1 MB client secret: refused, not echoed.
    let reply = fetch(h.plain("POST", "/connect/token").form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", padding.as_str()),
    ]))
    .await;
    assert_eq!(oauth_error(&reply), "invalid_client");
    assert!(reply.body.len() < 100);
    assert_eq!(h.sandbox.token_requests(), 4);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_provisions_of_one_new_card_create_exactly_one_token() {
    let h = std::sync::Arc::new(Harness::new().await);
    let body = json!({"source": card(&new_card(7), "10", "2030")}).to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let h = h.clone();
        let body = body.clone();
        tasks.spawn(async move { h.provision(body).await });
    }
    let mut created = 0;
    let mut existing = 0;
    let mut ids = std::collections::HashSet::new();
    let mut request_ids = std::collections::HashSet::new();
    while let Some(reply) = tasks.join_next().await {
        let reply = reply.expect("task");
        reply.valid_for(PROVISION);
        match reply.status {
            201 => created += 1,
            200 => existing += 1,
            other => panic!("status {other}: {}", reply.text()),
        }
        ids.insert(
            reply.json()["network_token"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        request_ids.insert(reply.header("cko-request-id").unwrap());
    }
    assert_eq!((created, existing), (1, 199));
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(request_ids.len(), 200, "request ids are unique");
}

// ---------------------------------------------------------------------------------------------
// Connection-level abuse, then a normal lifecycle

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_still_serves_after_abuse() {
    let h = Harness::new().await;
    let addr = h.sandbox.local_addr();
    // A connection that never sends anything, and one that stops half-way through a body.
    let _idle = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(
        format!(
            "POST /network-tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"source\":",
            h.token
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Garbage instead of HTTP: hyper answers 400 or closes; either way the server lives on.
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(DEADLINE, garbage.read_to_end(&mut answer)).await;
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 4"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    // Bad bodies on every operation.
    h.provision("[".repeat(10_000))
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
    h.provision(b"\xff".to_vec())
        .await
        .expect(PROVISION, 422, &["request_body_malformed"]);
    h.json("POST", &active_path("/cryptograms"), "{".repeat(5000))
        .await
        .expect(CRYPTOGRAM, 422, &["request_body_malformed"]);
    drop(half);

    // A normal lifecycle, every answer spec-valid.
    let number = new_card(8);
    let reply = h
        .provision(
            json!({"source": {"type": "card", "number": number, "expiry_month": "10", "expiry_year": "2030", "cvv": "123"}})
                .to_string(),
        )
        .await;
    reply.expect(PROVISION, 201, &[]);
    let details = reply.json();
    let id = details["network_token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(details["network_token"]["state"], json!("active"));
    assert_eq!(details["card"]["last4"], json!(&number[number.len() - 4..]));
    let reply = fetch(h.authed("GET", &format!("/network-tokens/{id}"))).await;
    reply.expect(GET, 200, &[]);
    assert_eq!(reply.json()["network_token"]["id"], json!(id));
    let reply = h
        .json(
            "POST",
            &format!("/network-tokens/{id}/cryptograms"),
            r#"{"transaction_type":"ecom"}"#,
        )
        .await;
    reply.expect(CRYPTOGRAM, 201, &[]);
    assert_eq!(reply.json()["eci"], json!("7"));
    h.json(
        "PATCH",
        &format!("/network-tokens/{id}/delete"),
        DELETE_BODY,
    )
    .await
    .expect(DELETE, 204, &[]);
    let reply = fetch(h.authed("GET", &format!("/network-tokens/{id}"))).await;
    reply.expect(GET, 200, &[]);
    assert_eq!(reply.json()["network_token"]["state"], json!("inactive"));
}

// ---------------------------------------------------------------------------------------------
// Configuration extremes and hostile Host headers

#[tokio::test]
async fn a_huge_token_lifetime_is_capped_not_an_overflow() {
    let sandbox = sandbox::SandboxConfig::new()
        .token_lifetime(Duration::MAX)
        .start()
        .await
        .expect("sandbox starts");
    let http = reqwest::Client::new();
    let response = fetch(
        http.post(sandbox.token_url())
            .basic_auth(sandbox.client_id(), Some(sandbox.client_secret()))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(
        body["expires_in"],
        json!(sandbox::MAX_TOKEN_LIFETIME.as_secs())
    );
    let token = body["access_token"].as_str().unwrap();
    let reply = fetch(
        http.post(format!("{}/network-tokens", sandbox.url()))
            .bearer_auth(token)
            .json(&json!({"source": card(&new_card(77), "10", "2031")})),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "the capped token works: {}",
        reply.text()
    );
}

#[tokio::test]
async fn a_host_header_that_is_not_host_and_port_never_reaches_links() {
    let h = Harness::new().await;
    let body = json!({"source": card(&new_card(78), "10", "2031")}).to_string();
    for host in ["evil.example:443 x", "a\"b", "x/y?z"] {
        let request = format!(
            "POST /network-tokens HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            h.token,
            body.len()
        );
        let reply = h.raw(request.as_bytes()).await;
        assert!(
            [200, 201].contains(&reply.status),
            "{host}: {}",
            reply.text()
        );
        let href = reply.json()["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(href.starts_with(h.sandbox.url()), "{host}: {href}");
    }
}
