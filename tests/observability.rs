//! Each call runs in a `network_tokens.call` span with operation, method, path template,
//! status, request id, attempt and latency, and nothing of the bodies.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use httpmock::prelude::*;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_call_records_its_span_fields_and_no_body() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let server = MockServer::start_async().await;
            token_mock(&server, "token-1", None).await;
            server
                .mock_async(|when, then| {
                    when.method(GET).path("/network-tokens/nt_a");
                    then.status(200)
                        .header("cko-request-id", "req_traced")
                        .json_body(token_details());
                })
                .await;
            builder(&server).build().unwrap().get("nt_a").await.unwrap();
        });
    });
    let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let close = output
        .lines()
        .find(|l| l.contains("network_tokens.call") && l.contains("close"))
        .unwrap_or_else(|| panic!("a closed call span in:\n{output}"));
    for field in [
        "operation=\"getNetworkToken\"",
        "method=\"GET\"",
        "path=\"/network-tokens/{network_token_id}\"",
        "status=200",
        "request_id=\"req_traced\"",
        "attempt=1",
        "latency_ms=",
    ] {
        assert!(close.contains(field), "{field} in {close}");
    }
    for secret in [
        "5436424242424242",
        "token-1",
        CLIENT_SECRET,
        "5001a9f027e5629d11e3949a0800a",
    ] {
        assert!(!output.contains(secret), "{secret} leaked into:\n{output}");
    }
}
