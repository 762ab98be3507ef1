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
            ("basic credentials", base64(format!("ack_test:{}", self.client_secret).as_bytes())),
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
                if doubled > 9 { doubled - 9 } else { doubled }
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
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
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
        payload.iter().map(|d| char::from(b'0' + d)).collect::<String>()
    });
    let dpan = (1u8..=9, prop::collection::vec(0u8..=9, 15)).prop_map(|(first, rest)| {
        std::iter::once(first).chain(rest).map(|d| char::from(b'0' + d)).collect::<String>()
    });
    let cryptogram = prop::collection::vec(any::<u8>(), 16..=32).prop_map(|b| base64(&b));
    (pan, "[0-9]{3,4}", dpan, cryptogram, "[A-Za-z0-9]{20,40}", "[A-Za-z0-9]{20,40}").prop_map(
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
        self.0.push((format!("{label} {{:?}}"), format!("{value:?}")));
        self.0.push((format!("{label} {{:#?}}"), format!("{value:#?}")));
    }

    fn display<T: std::fmt::Display + ?Sized>(&mut self, label: &str, value: &T) {
        self.0.push((format!("{label} {{}}"), format!("{value}")));
        self.0.push((format!("{label} {{:#}}"), format!("{value:#}")));
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

    /// Panics (with the offending entry) when any searchable secret occurs anywhere.
    fn assert_clean(&self, secrets: &Secrets) {
        for (what, value) in secrets.searchable() {
            for (label, text) in &self.0 {
                assert!(
                    !text.contains(&value),
                    "the {what} `{value}` appears in {label}:\n{text}"
                );
            }
        }
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
fn traced<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) -> Capture {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    tracing::subscriber::with_default(subscriber, || runtime.block_on(body()));
    capture
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
    assert_eq!(pan_debug, format!("CardNumber(****{})", secrets.pan_last4()), "masked, not empty");
    assert_eq!(pan.last4(), secrets.pan_last4());
    out.debug("CardNumber", &pan);
    let cvv = Cvv::new(secrets.cvv.clone()).expect("valid cvv");
    assert_eq!(format!("{cvv:?}"), "Cvv(<redacted>)");
    assert_eq!(format!("{cvv:#?}"), "Cvv(<redacted>)");
    out.debug("Cvv", &cvv);
    let dpan = Dpan::new(secrets.dpan.clone());
    assert_eq!(format!("{dpan:?}"), format!("Dpan(****{})", &secrets.dpan[12..]));
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
    assert!(details_debug.contains(secrets.pan_last4()), "{details_debug}");
    assert!(details_debug.contains("Cvv(<redacted>)"), "{details_debug}");
    out.debug("CardDetails with cvv", &details);
    let source = ProvisionSource::from(details.clone());
    out.debug("ProvisionSource", &source);

    // Invalid input built from the secrets: the error names the rule, never the value.
    for (label, bad) in [
        ("Luhn-failing card number", secrets.luhn_failing_pan()),
        ("card number with a letter", format!("{}x", secrets.pan)),
        ("card number too long", format!("{}{}", secrets.pan, secrets.dpan)),
        ("card number with spaces", format!("{} {}", &secrets.pan[..4], &secrets.pan[4..])),
    ] {
        let error = CardNumber::new(bad.clone()).expect_err(label);
        assert!(!format!("{error}").is_empty());
        out.error(&format!("InvalidInput ({label}) from CardNumber::new"), &error);
        let error = CardDetails::new(bad.clone(), 5, 2030).expect_err(label);
        out.error(&format!("InvalidInput ({label}) from CardDetails::new"), &error);
        out.error(&format!("Error::InvalidInput ({label})"), &Error::from(error));
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
    let builder = Client::builder().api_url("http://127.0.0.1:9").access_token(secrets.access_token.clone());
    out.debug("ClientBuilder (access token)", &builder);
    let client = builder.build().expect("client builds");
    out.debug("Client (access token)", &client);
    out.debug("generated Client (access token)", client.generated());

    // Generated types that hold secrets, built by decoding as the client would.
    let details: NetworkTokenDetails =
        serde_json::from_value(token_details(secrets, json!(secrets.dpan))).expect("decodes");
    let debug = format!("{details:?}");
    assert!(debug.contains(&format!("****{}", &secrets.dpan[12..])), "{debug}");
    out.debug("NetworkTokenDetails", &details);
    let cryptogram: CryptogramResponse =
        serde_json::from_value(json!({"cryptogram": secrets.cryptogram, "eci": "7"})).expect("decodes");
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
