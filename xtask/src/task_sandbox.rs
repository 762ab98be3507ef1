//! `cargo xtask sandbox [--port N] [--bind ADDR] [--token-lifetime SECS] [--fault-rate F]
//! [--slow-delay-ms MS] [--seed N]`: the Network Tokens sandbox (`contract_tests::sandbox`),
//! standalone, until Ctrl-C.

use std::net::IpAddr;
use std::time::Duration;

use contract_tests::sandbox::{SandboxConfig, TRIGGERS};

pub(crate) fn run(args: &[&str]) -> Result<(), String> {
    let config = parse(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start tokio: {e}"))?;
    runtime.block_on(async move {
        let sandbox = config
            .start()
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        let bound = sandbox.local_addr();
        println!("Network Tokens sandbox listening on {bound}");
        println!("  API base URL:  {}", sandbox.url());
        println!("  token URL:     {}", sandbox.token_url());
        println!("  client id:     {}", sandbox.client_id());
        println!("  client secret: {}", sandbox.client_secret());
        println!(
            "  {} trigger inputs: see README.md. Ctrl-C to stop.",
            TRIGGERS.len()
        );
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
        println!(
            "stopping (served {} token requests)",
            sandbox.token_requests()
        );
        sandbox.shutdown().await;
        Ok(())
    })
}

fn parse(args: &[&str]) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .copied()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        config = match *flag {
            "--port" => config.port(number(flag, value()?)?),
            "--bind" => config.bind(
                value()?
                    .parse::<IpAddr>()
                    .map_err(|e| format!("--bind: {e}"))?,
            ),
            "--token-lifetime" => {
                config.token_lifetime(Duration::from_secs(number(flag, value()?)?))
            }
            "--slow-delay-ms" => {
                config.slow_response_delay(Duration::from_millis(number(flag, value()?)?))
            }
            "--seed" => config.seed(number(flag, value()?)?),
            "--fault-rate" => {
                let rate: f64 = value()?.parse().map_err(|e| format!("--fault-rate: {e}"))?;
                if !(0.0..=1.0).contains(&rate) {
                    return Err("--fault-rate must be between 0 and 1".to_owned());
                }
                config.fault_rate(rate)
            }
            other => return Err(format!("sandbox: unknown option {other:?}")),
        };
    }
    Ok(config)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| format!("{flag} {value:?}: {e}"))
}
