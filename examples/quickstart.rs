//! The main job: the whole network-token lifecycle, end to end, through the real client.
//!
//! `cargo run --example quickstart` starts the embedded sandbox (`contract_tests::sandbox`) on
//! a loopback port, builds a client against it with real OAuth client credentials, and runs:
//! provision by card (201), the same card again (200), get, a cryptogram (`ecom`), delete,
//! then what the deleted token's get and cryptogram return; then one handled error of each
//! kind. Each step prints its status, request id and masked card data, and the run fails if
//! a step's outcome is not the one expected.
//!
//! With `CKO_CLIENT_ID` and `CKO_CLIENT_SECRET` set it runs the same lifecycle against
//! Checkout.com instead (`CKO_ENVIRONMENT` = `sandbox` (default) or `production`, and
//! `CKO_PREFIX` for the account-specific hosts), or against any server given by
//! `CKO_API_URL` and `CKO_TOKEN_URL` (https, or plain http on loopback only). There it exits
//! non-zero if the credentials are refused or a step gets an outcome the spec does not
//! document.

use std::process::ExitCode;

use checkout_network_tokens::{
    AuthError, CardDetails, Client, DeleteInitiatedBy, DeleteReason, Environment, Error,
    ProvisionSource, TransactionType,
};
use contract_tests::sandbox::{self, Sandbox};

/// The SDKs' provisioning test card (a new card in the embedded sandbox).
const LIFECYCLE_CARD: &str = sandbox::NEW_CARD_NUMBER;

/// Where the run goes, and how strictly its outcomes are judged.
enum Target {
    /// The embedded sandbox: every step's status is known in advance.
    Embedded(Sandbox),
    /// Checkout.com or another server: any documented outcome is accepted.
    External(String),
}

/// One step's result: the status (success or error) and whether it was acceptable.
struct Report {
    failures: usize,
    step: usize,
}

impl Report {
    fn line(
        &mut self,
        name: &str,
        status: Option<u16>,
        request_id: Option<&str>,
        detail: &str,
        ok: bool,
    ) {
        self.step += 1;
        if !ok {
            self.failures += 1;
        }
        let status = status.map_or("-".to_owned(), |s| s.to_string());
        let mark = if ok { "ok" } else { "FAIL" };
        println!(
            "{mark:<4} {:>2}  {name:<38} {status:>6}  {:<20} {detail}",
            self.step,
            request_id.unwrap_or("-")
        );
    }

    /// Reports an error outcome; `expected` is the status the step should get (embedded
    /// sandbox), or `None` to accept any documented outcome.
    fn error(&mut self, name: &str, error: &Error, expected: Option<u16>) {
        let ok = match expected {
            Some(status) => error.status() == Some(status),
            None => error.kind().is_some(),
        };
        self.line(
            name,
            error.status(),
            error.request_id(),
            &format!("error: {}", with_causes(error)),
            ok,
        );
    }
}

/// An error's message followed by its causes (`: connection refused`, …). None of them holds
/// card data or secrets: the client's errors never do, and reqwest's come without the URL.
fn with_causes(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// An environment variable the external mode needs, with its name in the error.
fn required_var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

fn client_for(target: &Target) -> Result<Client, Box<dyn std::error::Error>> {
    let builder = Client::builder();
    let builder = match target {
        Target::Embedded(sandbox) => builder
            .api_url(sandbox.url())
            .token_url(sandbox.token_url())
            .client_credentials(sandbox.client_id(), sandbox.client_secret()),
        Target::External(_) => {
            let environment = match std::env::var("CKO_ENVIRONMENT").as_deref() {
                Ok("production") => Environment::Production,
                Ok("sandbox") | Err(_) => Environment::Sandbox,
                Ok(other) => {
                    return Err(format!(
                        "CKO_ENVIRONMENT must be sandbox or production, not {other:?}"
                    )
                    .into())
                }
            };
            let mut builder = builder.environment(environment).client_credentials(
                required_var("CKO_CLIENT_ID")?,
                required_var("CKO_CLIENT_SECRET")?,
            );
            if let Ok(prefix) = std::env::var("CKO_PREFIX") {
                builder = builder.prefix(prefix);
            }
            if let Ok(url) = std::env::var("CKO_API_URL") {
                builder = builder.api_url(url);
            }
            if let Ok(url) = std::env::var("CKO_TOKEN_URL") {
                builder = builder.token_url(url);
            }
            builder
        }
    };
    Ok(builder.build()?)
}

#[tokio::main]
async fn main() -> ExitCode {
    let external = std::env::var_os("CKO_CLIENT_ID").is_some()
        || std::env::var_os("CKO_CLIENT_SECRET").is_some();
    let target = if external {
        let description =
            std::env::var("CKO_API_URL").unwrap_or_else(|_| "Checkout.com".to_owned());
        Target::External(description)
    } else {
        Target::Embedded(Sandbox::start().await)
    };
    let client = match client_for(&target) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("quickstart: cannot build the client: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &target {
        Target::Embedded(sandbox) => println!(
            "checkout-network-tokens quickstart: embedded sandbox at {}",
            sandbox.url()
        ),
        Target::External(description) => {
            println!("checkout-network-tokens quickstart: {description}")
        }
    }
    println!(
        "{:<4} {:>2}  {:<38} {:>6}  {:<20} result",
        "", "#", "step", "status", "request id"
    );
    let embedded = matches!(target, Target::Embedded(_));
    let expect = |status: u16| embedded.then_some(status);
    let mut report = Report {
        failures: 0,
        step: 0,
    };

    // 1-2. Provision by card, then the same card again.
    let card = match CardDetails::new(LIFECYCLE_CARD, 10, 2027).and_then(|c| c.with_cvv("123")) {
        Ok(card) => card,
        Err(error) => {
            eprintln!("quickstart: the lifecycle card was refused: {error}");
            return ExitCode::FAILURE;
        }
    };
    let source = ProvisionSource::from(card.clone());
    let mut token_id = None;
    for (name, expected) in [
        ("provision card", 201),
        ("provision the same card again", 200),
    ] {
        let name = format!("{name} ****{}", card.number().last4());
        match client.provision(&source).await {
            Ok(p) => {
                let token = &p.details.network_token;
                let detail = format!(
                    "{} token {} ({}, {}), DPAN {}",
                    if p.created { "new" } else { "existing" },
                    token.id,
                    token.state,
                    token.type_,
                    masked(token.number.as_ref())
                );
                let ok = expect(expected).is_none_or(|s| s == p.meta.status);
                report.line(
                    &name,
                    Some(p.meta.status),
                    p.meta.request_id.as_deref(),
                    &detail,
                    ok,
                );
                token_id = Some(token.id.clone());
            }
            Err(error) => {
                report.error(&name, &error, expect(expected));
                if let Error::Auth(auth) = &error {
                    if let AuthError::Rejected { .. } = **auth {
                        eprintln!("quickstart: the credentials were refused");
                    } else {
                        eprintln!("quickstart: no access token could be obtained (see above)");
                    }
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    let Some(id) = token_id else {
        eprintln!("quickstart: no token was provisioned; stopping");
        return ExitCode::FAILURE;
    };

    // 3-4. Get it and request a cryptogram.
    lifecycle_get(&client, &mut report, "get", &id, expect(200)).await;
    lifecycle_cryptogram(&client, &mut report, "cryptogram (ecom)", &id, expect(201)).await;

    // 5-7. Delete it, then see what the deleted token gives.
    match client
        .delete(&id, DeleteInitiatedBy::TokenRequestor, DeleteReason::Other)
        .await
    {
        Ok(meta) => {
            let ok = expect(204).is_none_or(|s| s == meta.status);
            report.line(
                "delete",
                Some(meta.status),
                meta.request_id.as_deref(),
                "deleted",
                ok,
            );
        }
        Err(error) => report.error("delete", &error, expect(204)),
    }
    lifecycle_get(
        &client,
        &mut report,
        "get the deleted token",
        &id,
        expect(200),
    )
    .await;
    lifecycle_cryptogram(
        &client,
        &mut report,
        "cryptogram for the deleted token",
        &id,
        expect(422),
    )
    .await;

    // 8-11. Handled errors (embedded sandbox only: they use its trigger inputs).
    if embedded {
        match CardDetails::new("4539467987109257", 10, 2027) {
            Err(error) => report.line(
                "invalid card (never sent)",
                None,
                None,
                &format!("invalid input: {error}"),
                true,
            ),
            Ok(_) => report.line("invalid card (never sent)", None, None, "accepted!", false),
        }
        match client
            .request_cryptogram(sandbox::REQUESTED_TOKEN_ID, TransactionType::Ecom)
            .await
        {
            Err(error @ Error::Validation(_)) => {
                report.error("validation: token not active", &error, Some(422))
            }
            other => report.line(
                "validation: token not active",
                None,
                None,
                &format!("{other:?}"),
                false,
            ),
        }
        match client.get(sandbox::UNKNOWN_TOKEN_ID).await {
            Err(error @ Error::NotFound(_)) => {
                report.error("not found: unknown token id", &error, Some(404))
            }
            other => report.line(
                "not found: unknown token id",
                None,
                None,
                &format!("{other:?}"),
                false,
            ),
        }
        let scheme_card =
            CardDetails::new(sandbox::BAD_GATEWAY_CARD_NUMBER, 10, 2030).map(ProvisionSource::from);
        match scheme_card {
            Ok(source) => match client.provision(&source).await {
                Err(error @ Error::SchemeError(_)) => {
                    report.error("scheme error (after retries)", &error, Some(502))
                }
                other => report.line(
                    "scheme error (after retries)",
                    None,
                    None,
                    &format!("{:?}", other.map(|p| p.meta)),
                    false,
                ),
            },
            Err(error) => report.line(
                "scheme error (after retries)",
                None,
                None,
                &error.to_string(),
                false,
            ),
        }
    }

    if report.failures == 0 {
        println!("all {} steps gave their expected outcome", report.step);
        ExitCode::SUCCESS
    } else {
        println!(
            "{} of {} steps gave an outcome that was not expected",
            report.failures, report.step
        );
        ExitCode::FAILURE
    }
}

async fn lifecycle_get(
    client: &Client,
    report: &mut Report,
    name: &str,
    id: &str,
    expected: Option<u16>,
) {
    match client.get(id).await {
        Ok(r) => {
            let token = &r.value.network_token;
            let detail = format!(
                "state {}, card ****{}, DPAN {}",
                token.state,
                r.value.card.last4.as_str(),
                masked(token.number.as_ref())
            );
            let ok = expected.is_none_or(|s| s == r.meta.status);
            report.line(
                name,
                Some(r.meta.status),
                r.meta.request_id.as_deref(),
                &detail,
                ok,
            );
        }
        Err(error) => report.error(name, &error, expected),
    }
}

async fn lifecycle_cryptogram(
    client: &Client,
    report: &mut Report,
    name: &str,
    id: &str,
    expected: Option<u16>,
) {
    match client.request_cryptogram(id, TransactionType::Ecom).await {
        Ok(r) => {
            let detail = format!(
                "cryptogram {:?}, eci {}",
                r.value.cryptogram,
                r.value.eci.as_deref().unwrap_or("-")
            );
            let ok = expected.is_none_or(|s| s == r.meta.status);
            report.line(
                name,
                Some(r.meta.status),
                r.meta.request_id.as_deref(),
                &detail,
                ok,
            );
        }
        Err(error) => report.error(name, &error, expected),
    }
}

/// A DPAN as a receipt shows it.
fn masked(dpan: Option<&checkout_network_tokens::Dpan>) -> String {
    match dpan.map(|d| d.last4()) {
        Some(Some(last4)) => format!("****{last4}"),
        Some(None) => "****".to_owned(),
        None => "none".to_owned(),
    }
}
