//! Card data and secrets never show up in anything the crate formats.
//!
//! A property test builds every public type and error from random card numbers, CVVs, DPANs,
//! cryptograms, client secrets and access tokens — including the errors of real calls against
//! an httpmock server whose responses carry those values — formats each of them every way
//! (`Debug`, `{:#?}`, `Display`, every link of the `source()` chain) while capturing the
//! crate's tracing output at TRACE level, and looks for the values in all of it.

use std::error::Error as StdError;
use std::fmt::Debug;
use std::io;
use std::sync::{Arc, Mutex};

use checkout_network_tokens::generated::types::{
    CryptogramResponse, NetworkTokenDetails, NetworkTokensCardSource, NetworkTokensRequestSource,
    ProvisionNetworkTokenRequest,
};
use checkout_network_tokens::{
    AccessToken, CardDetails, CardNumber, Client, ClientSecret, Cryptogram, Cvv, DeleteInitiatedBy,
    DeleteReason, Dpan, Error, ProvisionSource, RetryPolicy, TransactionType,
};
use httpmock::{Method, MockServer};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{json, Value};
use tracing_subscriber::fmt::MakeWriter;

// ---------------------------------------------------------------------------------------------
// Random secrets
// ---------------------------------------------------------------------------------------------

/// The values that must never be printed.
#[derive(Clone, Debug)]
struct Secrets {
    /// A Luhn-valid card number, 12 to 19 digits.
    pan: String,
    /// 3 or 4 digits: too short for a meaningful `contains` check, so it is checked through
    /// the masked forms instead (see `cvv_is_fully_masked`).
    cvv: String,
    /// 16 digits.
    dpan: String,
    /// Base64 of 16 to 32 random bytes (24 to 44 characters).
    cryptogram: String,
    /// 20 to 40 ASCII letters and digits.
    client_secret: String,
    /// 20 to 40 ASCII letters and digits.
    access_token: String,
}

impl Secrets {
    /// The values a `contains` check is meaningful for (all at least 12 characters long).
    fn searchable(&self) -> Vec<(&'static str, String)> {
        vec![
            ("card number", self.pan.clone()),
            ("DPAN", self.dpan.clone()),
            ("cryptogram", self.cryptogram.clone()),
            ("client secret", self.client_secret.clone()),
            ("access token", self.access_token.clone()),
            // The HTTP Basic credentials on the wire: `ack_test:<secret>` in base64.
            (
                "basic credentials",
                base64(format!("ack_test:{}", self.client_secret).as_bytes()),
            ),
        ]
    }

    /// The card number with its last digit changed: same shape, fails the Luhn check.
    fn luhn_failing_pan(&self) -> String {
        let mut digits = self.pan.clone().into_bytes();
        let last = digits.last_mut().expect("non-empty");
        *last = b'0' + (*last - b'0' + 1) % 10;
        String::from_utf8(digits).expect("ascii")
    }

    fn pan_last4(&self) -> &str {
        &self.pan[self.pan.len() - 4..]
    }
}

fn luhn_check_digit(payload: &[u8]) -> u8 {
    // The check digit is appended, so the payload's last digit is doubled.
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn secrets() -> impl Strategy<Value = Secrets> {
    let pan = (1u8..=9, prop::collection::vec(0u8..=9, 10..=17)).prop_map(|(first, rest)| {
        let mut payload = vec![first];
        payload.extend(rest);
        let check = luhn_check_digit(&payload);
        payload.push(check);
        payload
            .iter()
            .map(|d| char::from(b'0' + d))
            .collect::<String>()
    });
    let dpan = (1u8..=9, prop::collection::vec(0u8..=9, 15)).prop_map(|(first, rest)| {
        std::iter::once(first)
            .chain(rest)
            .map(|d| char::from(b'0' + d))
            .collect::<String>()
    });
    let cryptogram = prop::collection::vec(any::<u8>(), 16..=32).prop_map(|b| base64(&b));
    (
        pan,
        "[0-9]{3,4}",
        dpan,
        cryptogram,
        "[A-Za-z0-9]{20,40}",
        "[A-Za-z0-9]{20,40}",
    )
        .prop_map(
            |(pan, cvv, dpan, cryptogram, client_secret, access_token)| Secrets {
                pan,
                cvv,
                dpan,
                cryptogram,
                client_secret,
                access_token,
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Formatting and tracing capture
// ---------------------------------------------------------------------------------------------

/// Everything formatted so far, one labelled entry per value.
#[derive(Default)]
struct Transcript(Vec<(String, String)>);

impl Transcript {
    fn debug<T: Debug + ?Sized>(&mut self, label: &str, value: &T) {
        self.0
            .push((format!("{label} {{:?}}"), format!("{value:?}")));
        self.0
            .push((format!("{label} {{:#?}}"), format!("{value:#?}")));
    }

    fn display<T: std::fmt::Display + ?Sized>(&mut self, label: &str, value: &T) {
        self.0.push((format!("{label} {{}}"), format!("{value}")));
        self.0
            .push((format!("{label} {{:#}}"), format!("{value:#}")));
    }

    /// `Debug`, `Display` and every link of the `source()` chain, each formatted both ways.
    fn error(&mut self, label: &str, error: &(dyn StdError + 'static)) {
        self.debug(label, error);
        self.display(label, error);
        let mut link = error.source();
        let mut depth = 0;
        while let Some(source) = link {
            depth += 1;
            let label = format!("{label} source#{depth}");
            self.debug(&label, source);
            self.display(&label, source);
            link = source.source();
        }
    }

    fn push(&mut self, label: &str, text: String) {
        self.0.push((label.to_owned(), text));
    }

    /// Panics, listing every offending entry, when any searchable secret occurs anywhere.
    fn assert_clean(&self, secrets: &Secrets) {
        let mut leaks = Vec::new();
        // Card numbers are also searched for with separators taken out, so a grouped echo
        // (`4539-4679-…`, `4539 4679 …`, `[4539-4679, 8710-9256]`) counts as a leak too.
        let squeezed = |text: &str| text.replace(['-', '_', '.', ' ', ','], "");
        for (what, value) in secrets.searchable() {
            let digits = matches!(what, "card number" | "DPAN");
            for (label, text) in &self.0 {
                if text.contains(&value) || (digits && squeezed(text).contains(&value)) {
                    leaks.push(format!(
                        "the {what} `{value}` appears in {label}:\n{text}\n"
                    ));
                }
            }
        }
        assert!(
            leaks.is_empty(),
            "{} leak(s):\n{}",
            leaks.len(),
            leaks.join("\n")
        );
    }
}

/// A `MakeWriter` that appends everything into one shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("capture lock")).into_owned()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs `body` on a current-thread runtime with a TRACE subscriber writing into the returned
/// capture (every span's open and close, with its recorded fields, is written too). The
/// runtime runs on this thread, so every event of the client's calls reaches the subscriber.
fn traced<T, F: std::future::Future<Output = T>>(body: impl FnOnce() -> F) -> (T, Capture) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let value = tracing::subscriber::with_default(subscriber, || runtime.block_on(body()));
    (value, capture)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------

const TOKEN_ID: &str = "nt_xgu3isllqfyu7ktpk5z2yxbwna";

fn token_details(secrets: &Secrets, dpan: Value) -> Value {
    json!({
        "card": {"last4": secrets.pan_last4(), "expiry_month": "5", "expiry_year": "2030"},
        "network_token": {
            "id": TOKEN_ID,
            "state": "active",
            "type": "vts",
            "number": dpan,
            "expiry_month": "12",
            "expiry_year": "2031",
            "payment_account_reference": "5001a9f027e5629d11e3949a0800a",
            "created_on": "2020-02-11T15:57:32.435+00:00",
            "modified_on": "2020-02-11T15:57:32Z"
        },
        "token_requestor_id": "1234567890",
        "_links": {"self": {"href": format!("https://api.sandbox.checkout.com/network-tokens/{TOKEN_ID}")}}
    })
}

fn client_for(server: &MockServer, token_path: &str, secrets: &Secrets) -> Client {
    Client::builder()
        .api_url(server.base_url())
        .token_url(format!("{}{token_path}", server.base_url()))
        .client_credentials("ack_test", secrets.client_secret.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client builds")
}

fn card(secrets: &Secrets) -> ProvisionSource {
    ProvisionSource::Card(
        CardDetails::new(secrets.pan.clone(), 5, 2030)
            .expect("valid card")
            .with_cvv(secrets.cvv.clone())
            .expect("valid cvv"),
    )
}

// ---------------------------------------------------------------------------------------------
// Values built locally
// ---------------------------------------------------------------------------------------------

/// Every public type that holds a secret, built directly, formatted every way.
fn local_values(secrets: &Secrets, out: &mut Transcript) {
    let pan = CardNumber::new(secrets.pan.clone()).expect("Luhn-valid card number");
    let pan_debug = format!("{pan:?}");
    assert_eq!(
        pan_debug,
        format!("CardNumber(****{})", secrets.pan_last4()),
        "masked, not empty"
    );
    assert_eq!(pan.last4(), secrets.pan_last4());
    out.debug("CardNumber", &pan);
    let cvv = Cvv::new(secrets.cvv.clone()).expect("valid cvv");
    assert_eq!(format!("{cvv:?}"), "Cvv(<redacted>)");
    assert_eq!(format!("{cvv:#?}"), "Cvv(<redacted>)");
    out.debug("Cvv", &cvv);
    let dpan = Dpan::new(secrets.dpan.clone());
    assert_eq!(
        format!("{dpan:?}"),
        format!("Dpan(****{})", &secrets.dpan[12..])
    );
    out.debug("Dpan", &dpan);
    let cryptogram = Cryptogram::new(secrets.cryptogram.clone());
    assert_eq!(format!("{cryptogram:?}"), "Cryptogram(<redacted>)");
    out.debug("Cryptogram", &cryptogram);
    let client_secret = ClientSecret::new(secrets.client_secret.clone());
    assert_eq!(format!("{client_secret:?}"), "ClientSecret(<redacted>)");
    out.debug("ClientSecret", &client_secret);
    let access_token = AccessToken::new(secrets.access_token.clone());
    assert_eq!(format!("{access_token:?}"), "AccessToken(<redacted>)");
    out.debug("AccessToken", &access_token);

    let details = CardDetails::new(secrets.pan.clone(), 5, 2030).expect("valid card");
    out.debug("CardDetails", &details);
    let details = details.with_cvv(secrets.cvv.clone()).expect("valid cvv");
    let details_debug = format!("{details:?}");
    assert!(
        details_debug.contains(secrets.pan_last4()),
        "{details_debug}"
    );
    assert!(details_debug.contains("Cvv(<redacted>)"), "{details_debug}");
    out.debug("CardDetails with cvv", &details);
    let source = ProvisionSource::from(details.clone());
    out.debug("ProvisionSource", &source);

    // Invalid input built from the secrets: the error names the rule, never the value.
    for (label, bad) in [
        ("Luhn-failing card number", secrets.luhn_failing_pan()),
        ("card number with a letter", format!("{}x", secrets.pan)),
        (
            "card number too long",
            format!("{}{}", secrets.pan, secrets.dpan),
        ),
        (
            "card number with spaces",
            format!("{} {}", &secrets.pan[..4], &secrets.pan[4..]),
        ),
    ] {
        let error = CardNumber::new(bad.clone()).expect_err(label);
        assert!(!format!("{error}").is_empty());
        out.error(
            &format!("InvalidInput ({label}) from CardNumber::new"),
            &error,
        );
        let error = CardDetails::new(bad.clone(), 5, 2030).expect_err(label);
        out.error(
            &format!("InvalidInput ({label}) from CardDetails::new"),
            &error,
        );
        out.error(
            &format!("Error::InvalidInput ({label})"),
            &Error::from(error),
        );
        // Deserialising checks only the spec's pattern (`^[0-9]{12,19}$`), not the Luhn sum.
        match serde_json::from_value::<CardNumber>(json!(bad)) {
            Err(json_error) => out.error(&format!("serde error ({label})"), &json_error),
            Ok(number) => out.debug(&format!("deserialised CardNumber ({label})"), &number),
        }
    }
    // Wrong shapes for the deserialisers of the secret types.
    let json_error = serde_json::from_value::<Cvv>(json!(secrets.pan)).expect_err("not a cvv");
    out.error("serde error (card number as a cvv)", &json_error);

    // Builders and clients, with client credentials and with a static token.
    let builder = Client::builder()
        .api_url("http://127.0.0.1:9")
        .token_url("http://127.0.0.1:9/connect/token")
        .client_credentials("ack_test", secrets.client_secret.clone())
        .retry_policy(RetryPolicy::none());
    out.debug("ClientBuilder (client credentials)", &builder);
    let client = builder.build().expect("client builds");
    out.debug("Client (client credentials)", &client);
    out.debug("generated Client (client credentials)", client.generated());
    let builder = Client::builder()
        .api_url("http://127.0.0.1:9")
        .access_token(secrets.access_token.clone());
    out.debug("ClientBuilder (access token)", &builder);
    let client = builder.build().expect("client builds");
    out.debug("Client (access token)", &client);
    out.debug("generated Client (access token)", client.generated());

    // Generated types that hold secrets, built by decoding as the client would.
    let details: NetworkTokenDetails =
        serde_json::from_value(token_details(secrets, json!(secrets.dpan))).expect("decodes");
    let debug = format!("{details:?}");
    assert!(
        debug.contains(&format!("****{}", &secrets.dpan[12..])),
        "{debug}"
    );
    out.debug("NetworkTokenDetails", &details);
    let cryptogram: CryptogramResponse =
        serde_json::from_value(json!({"cryptogram": secrets.cryptogram, "eci": "7"}))
            .expect("decodes");
    out.debug("CryptogramResponse", &cryptogram);
    let card_source: NetworkTokensCardSource = serde_json::from_value(json!({
        "type": "card",
        "number": secrets.pan,
        "expiry_month": "05",
        "expiry_year": "2030",
        "cvv": secrets.cvv,
    }))
    .expect("decodes");
    out.debug("NetworkTokensCardSource", &card_source);
    let request = ProvisionNetworkTokenRequest {
        source: NetworkTokensRequestSource::CardSource(card_source),
    };
    out.debug("ProvisionNetworkTokenRequest", &request);
}

proptest! {
    #![proptest_config(config(64))]

    /// Every locally built value and error, formatted every way, shows none of the secrets
    /// (and the masked forms still show the last four digits).
    #[test]
    fn local_values_never_show_secrets(secrets in secrets()) {
        let mut out = Transcript::default();
        local_values(&secrets, &mut out);
        out.assert_clean(&secrets);
    }
}

// ---------------------------------------------------------------------------------------------
// Values and errors from real calls
// ---------------------------------------------------------------------------------------------

/// Which secrets the mock server echoes in the fields the client reads and may print: the
/// error body's `request_id`, `error_type` and `error_codes`, the `Cko-Request-Id` header,
/// the OAuth `error` code and JSON map keys that end up in a decode error's path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Echo {
    /// Only the card number and the DPAN (long digit runs). All secrets are still echoed in
    /// fields the client does not read (`message`, `details`, `error_description`).
    DigitsOnly,
    /// Every searchable secret: cryptogram, client secret and access token too.
    Everything,
}

/// `digits` in groups of four joined by `separator`, as a server might format a card number.
fn grouped(digits: &str, separator: &str) -> String {
    let groups: Vec<&str> = digits
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    groups.join(separator)
}

fn echoed(secrets: &Secrets, echo: Echo) -> Vec<String> {
    let mut values = vec![
        secrets.pan.clone(),
        secrets.dpan.clone(),
        // The same numbers grouped, and inside code-shaped strings.
        grouped(&secrets.pan, "-"),
        format!("card_{}", grouped(&secrets.pan, "_")),
        grouped(&secrets.dpan, " "),
        grouped(&secrets.dpan, "."),
        // A card number split across two list entries.
        secrets.pan[..8].to_owned(),
        secrets.pan[8..].to_owned(),
    ];
    if echo == Echo::Everything {
        values.extend([
            secrets.cryptogram.clone(),
            secrets.client_secret.clone(),
            secrets.access_token.clone(),
        ]);
    }
    values
}

/// An error body that carries the secrets in every field, documented or not.
fn echoing_error_body(secrets: &Secrets, echo: Echo, which: usize) -> Value {
    let values = echoed(secrets, echo);
    let pick = |i: usize| values[(which + i) % values.len()].clone();
    json!({
        "request_id": pick(0),
        "error_type": pick(1),
        "error_codes": values,
        "message": format!("{} {} {} {} {} {}", secrets.pan, secrets.cvv, secrets.dpan,
            secrets.cryptogram, secrets.client_secret, secrets.access_token),
        "details": {"number": secrets.pan, "cvv": secrets.cvv, "cryptogram": secrets.cryptogram,
            "client_secret": secrets.client_secret, "access_token": secrets.access_token},
    })
}

/// Every call scenario; each result is checked for its variant and then formatted.
///
/// `token_echo`: what the token endpoint echoes in its `error` code and `Cko-Request-Id`
/// header (`None`: plain codes there, the secrets only in fields the client does not read).
async fn call_scenarios(
    secrets: &Secrets,
    echo: Echo,
    token_echo: Option<Echo>,
    out: &mut Transcript,
) {
    let server = MockServer::start_async().await;
    let echoes = echoed(secrets, echo);
    let token_body =
        json!({"access_token": secrets.access_token, "token_type": "Bearer", "expires_in": 3600});

    // --- Successes ---------------------------------------------------------------------
    let tb = token_body.clone();
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path("/connect/token");
            then.status(200)
                .header("Cko-Request-Id", "tok_req_1")
                .json_body(tb);
        })
        .await;
    let details = token_details(secrets, json!(secrets.dpan));
    let body = details.clone();
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path("/network-tokens");
            then.status(201)
                .header("Cko-Request-Id", "req_provision")
                .json_body(body);
        })
        .await;
    let body = details.clone();
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("/network-tokens/{TOKEN_ID}"));
            then.status(200)
                .header("Cko-Request-Id", "req_get")
                .json_body(body);
        })
        .await;
    let body = json!({"cryptogram": secrets.cryptogram, "eci": "7"});
    server
        .mock_async(|when, then| {
            when.method(Method::POST)
                .path(format!("/network-tokens/{TOKEN_ID}/cryptograms"));
            then.status(201)
                .header("Cko-Request-Id", "req_cryptogram")
                .json_body(body);
        })
        .await;

    let client = client_for(&server, "/connect/token", secrets);
    let provisioned = client.provision(&card(secrets)).await.expect("provisioned");
    assert!(provisioned.created);
    assert_eq!(
        provisioned.meta.request_id.as_deref(),
        Some("req_provision")
    );
    assert_eq!(
        provisioned
            .details
            .network_token
            .number
            .as_ref()
            .map(Dpan::expose_secret),
        Some(secrets.dpan.as_str())
    );
    out.debug("Provisioned", &provisioned);
    let found = client.get(TOKEN_ID).await.expect("found");
    assert_eq!(found.meta.status, 200);
    out.debug("Response<NetworkTokenDetails>", &found);
    let cryptogram = client
        .request_cryptogram(TOKEN_ID, TransactionType::Ecom)
        .await
        .expect("cryptogram");
    assert_eq!(
        cryptogram.value.cryptogram.expose_secret(),
        secrets.cryptogram
    );
    out.debug("Response<CryptogramResponse>", &cryptogram);
    out.debug("Client after calls (token cached)", &client);

    // --- Every error status, on the operations that document it -------------------------
    // Get: 401 (after re-authentication), 403, 404, 500, 502, 504 and an undocumented 409.
    for (i, status) in [401u16, 403, 404, 409, 500, 502, 504]
        .into_iter()
        .enumerate()
    {
        let id = format!("nt_status_{status}");
        let body = echoing_error_body(secrets, echo, i);
        let header = echoes[i % echoes.len()].clone();
        server
            .mock_async(|when, then| {
                when.method(Method::GET)
                    .path(format!("/network-tokens/{id}"));
                then.status(status)
                    .header("Cko-Request-Id", header)
                    .json_body(body);
            })
            .await;
        let error = client.get(&id).await.expect_err("error status");
        assert_eq!(error.status(), Some(status));
        assert!(error.api_error().is_some(), "{error:?}");
        out.error(&format!("Error from get, HTTP {status}"), &error);
        out.debug(
            &format!("ApiError from get, HTTP {status}"),
            error.api_error().expect("api error"),
        );
        out.display(
            &format!("ApiError from get, HTTP {status}"),
            error.api_error().expect("api error"),
        );
    }
    // Delete: 400, 422. The 422's body has no request_id, so the header's is used.
    for (i, status) in [400u16, 422].into_iter().enumerate() {
        let id = format!("nt_delete_{status}");
        let mut body = echoing_error_body(secrets, echo, i);
        if status == 422 {
            body.as_object_mut().expect("object").remove("request_id");
        }
        let header = echoes[(i + 1) % echoes.len()].clone();
        server
            .mock_async(|when, then| {
                when.method(Method::PATCH)
                    .path(format!("/network-tokens/{id}/delete"));
                then.status(status)
                    .header("Cko-Request-Id", header)
                    .json_body(body);
            })
            .await;
        let error = client
            .delete(&id, DeleteInitiatedBy::TokenRequestor, DeleteReason::Other)
            .await
            .expect_err("error status");
        assert_eq!(error.status(), Some(status));
        out.error(&format!("Error from delete, HTTP {status}"), &error);
    }
    // Cryptogram: 422.
    let body = echoing_error_body(secrets, echo, 2);
    server
        .mock_async(|when, then| {
            when.method(Method::POST)
                .path("/network-tokens/nt_inactive/cryptograms");
            then.status(422).json_body(body);
        })
        .await;
    let error = client
        .request_cryptogram("nt_inactive", TransactionType::Recurring)
        .await
        .expect_err("422");
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    out.error("Error from request_cryptogram, HTTP 422", &error);

    // --- Decode errors: success statuses whose bodies carry the secrets in the wrong shape --
    let mut decode_cases: Vec<(&str, String)> = vec![
        (
            "dpan-as-number",
            token_details(
                secrets,
                json!(secrets.dpan.parse::<u64>().expect("16 digits")),
            )
            .to_string(),
        ),
        (
            "dpan-in-object",
            token_details(secrets, json!({"value": secrets.dpan, "pan": secrets.pan})).to_string(),
        ),
        (
            "dpan-in-array",
            token_details(secrets, json!([secrets.dpan, secrets.cryptogram])).to_string(),
        ),
        ("last4-is-the-pan", {
            let mut body = token_details(secrets, json!(secrets.dpan));
            body["card"]["last4"] = json!(secrets.pan);
            body.to_string()
        }),
        ("truncated-after-dpan", {
            let text = details.to_string();
            let end = text.find(&secrets.dpan).expect("dpan in body") + secrets.dpan.len() + 1;
            text[..end].to_owned()
        }),
        ("truncated-in-dpan", {
            let text = details.to_string();
            let end = text.find(&secrets.dpan).expect("dpan in body") + 14;
            text[..end].to_owned()
        }),
        (
            "html",
            format!(
                "<html><body>{} {} {}</body></html>",
                secrets.dpan, secrets.pan, secrets.cryptogram
            ),
        ),
        ("trailing-garbage", format!("{} {}", details, secrets.dpan)),
    ];
    // A map key that the decode error's path names.
    let mut keyed = token_details(secrets, json!(secrets.dpan));
    keyed["_links"] = json!({ echoes[echoes.len() - 1].clone(): {"href": 1} });
    decode_cases.push(("secret-as-links-key", keyed.to_string()));
    for (name, body) in decode_cases {
        let id = format!("nt_decode_{name}");
        server
            .mock_async(|when, then| {
                when.method(Method::GET)
                    .path(format!("/network-tokens/{id}"));
                then.status(200)
                    .header("Cko-Request-Id", "req_decode")
                    .header("Content-Type", "application/json")
                    .body(body);
            })
            .await;
        let error = client.get(&id).await.expect_err("does not decode");
        let Error::Decode(decode) = &error else {
            panic!("{name}: not a decode error: {error:?}")
        };
        assert_eq!(decode.status(), 200, "{name}");
        assert_eq!(decode.request_id(), Some("req_decode"), "{name}");
        out.error(&format!("Error::Decode ({name})"), &error);
    }
    for (name, body) in [
        ("cryptogram-in-object", json!({"cryptogram": {"value": secrets.cryptogram}, "eci": "7"}).to_string()),
        ("cryptogram-in-array", json!({"cryptogram": [secrets.cryptogram, secrets.dpan]}).to_string()),
        ("cryptogram-as-number", json!({"cryptogram": secrets.pan.parse::<u64>().expect("≤ 19 digits"), "eci": secrets.cryptogram}).to_string()),
    ] {
        let id = format!("nt_cdecode_{name}");
        server
            .mock_async(|when, then| {
                when.method(Method::POST).path(format!("/network-tokens/{id}/cryptograms"));
                then.status(201).header("Cko-Request-Id", "req_cdecode").body(body);
            })
            .await;
        let error = client.request_cryptogram(&id, TransactionType::Ecom).await.expect_err("does not decode");
        assert!(matches!(&error, Error::Decode(d) if d.status() == 201), "{name}: {error:?}");
        out.error(&format!("Error::Decode ({name})"), &error);
    }

    // --- Authentication errors --------------------------------------------------------
    let token_echoes = match token_echo {
        Some(token_echo) => echoed(secrets, token_echo),
        None => vec!["invalid_client".to_owned(), "tok_req_err".to_owned()],
    };
    let last_echo = token_echoes[token_echoes.len() - 1].clone();
    for (path, status, body) in [
        (
            "/connect/token-400",
            400u16,
            json!({"error": last_echo, "error_description": secrets.client_secret}),
        ),
        (
            "/connect/token-401",
            401,
            json!({"error": token_echoes[0], "error_description": secrets.client_secret}),
        ),
        (
            "/connect/token-500",
            500,
            json!({"error": secrets.client_secret, "access_token": secrets.access_token}),
        ),
        (
            "/connect/token-mac",
            200,
            json!({"access_token": secrets.access_token, "token_type": secrets.client_secret}),
        ),
    ] {
        let header = token_echoes[1 % token_echoes.len()].clone();
        server
            .mock_async(|when, then| {
                when.method(Method::POST).path(path);
                then.status(status)
                    .header("Cko-Request-Id", header)
                    .json_body(body);
            })
            .await;
        let client = client_for(&server, path, secrets);
        let error = client
            .get(TOKEN_ID)
            .await
            .expect_err("authentication fails");
        let Error::Auth(auth) = &error else {
            panic!("{path}: not an auth error: {error:?}")
        };
        if status != 200 {
            assert_eq!(auth.status(), Some(status), "{path}");
        }
        out.error(&format!("Error::Auth ({path})"), &error);
        out.error(&format!("AuthError ({path})"), &**auth);
        out.debug(
            &format!("Client after failed authentication ({path})"),
            &client,
        );
    }

    // --- A token the API refuses twice: one re-authentication, then Unauthorized ----------
    let tb = token_body.clone();
    let token_mock = server
        .mock_async(|when, then| {
            when.method(Method::POST).path("/connect/token-refused");
            then.status(200).json_body(tb);
        })
        .await;
    let body = echoing_error_body(secrets, echo, 0);
    let refused = server
        .mock_async(|when, then| {
            when.method(Method::GET).path("/network-tokens/nt_refused");
            then.status(401)
                .header("Cko-Request-Id", "req_refused")
                .json_body(body);
        })
        .await;
    let client = client_for(&server, "/connect/token-refused", secrets);
    let error = client.get("nt_refused").await.expect_err("401 twice");
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(
        token_mock.calls_async().await,
        2,
        "one token, then one re-authentication"
    );
    assert_eq!(
        refused.calls_async().await,
        2,
        "the call, then its one retry"
    );
    out.error("Error::Unauthorized after re-authentication", &error);
    out.debug("Client after re-authentication", &client);
}

fn check_calls(secrets: &Secrets, echo: Echo, token_echo: Option<Echo>) {
    let (out, capture) = traced(|| async {
        let mut out = Transcript::default();
        call_scenarios(secrets, echo, token_echo, &mut out).await;
        out
    });
    let mut out = out;
    let logs = capture.text();
    // The capture is live: the client's span and events are in it.
    assert!(
        logs.contains("network_tokens.call"),
        "no span captured:\n{logs}"
    );
    assert!(logs.contains("req_get"), "no request id captured:\n{logs}");
    out.push("captured tracing output", logs);
    out.assert_clean(secrets);
}

proptest! {
    #![proptest_config(config(32))]

    /// Successes, every error status, decode errors and authentication errors of real calls,
    /// formatted every way and traced at TRACE level, show none of the secrets. The server
    /// echoes every secret in fields the client does not read, and the card number and the
    /// DPAN in the fields it does.
    #[test]
    fn calls_and_their_errors_never_show_secrets(secrets in secrets()) {
        check_calls(&secrets, Echo::DigitsOnly, None);
    }

    /// The token endpoint echoes the card number and the DPAN in its OAuth `error` code and
    /// its `Cko-Request-Id` header: `AuthError`'s `Display` hides them, but its derived `Debug`
    /// (also reached through `Client`'s `Debug`, which shows the cached last failure) and the
    /// `oauth token request` trace event print them as sent.
    #[test]
    fn token_endpoint_echoing_secrets_is_not_printed(secrets in secrets()) {
        check_calls(&secrets, Echo::DigitsOnly, Some(Echo::DigitsOnly));
    }

    /// The API echoes the cryptogram, client secret and access token (letters, digits and
    /// base64 punctuation) in `request_id`, `error_type`, `error_codes`, the `Cko-Request-Id`
    /// header and a JSON map key: none of them may be printed.
    #[test]
    fn error_fields_echoing_any_secret_are_not_printed(secrets in secrets()) {
        check_calls(&secrets, Echo::Everything, None);
    }
}
