//! `cargo xtask <task>`: the project's own commands (see `cargo xtask help`).

mod task_contract;
mod task_regenerate;
mod task_sandbox;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  regenerate         regenerate openapi/generated.rs from openapi/network-tokens.yaml
  regenerate --check fail if openapi/generated.rs is stale (writes nothing)
  contract [ARGS]    check the generated copy, then run the contract tests (spec, generated
                     types, client and sandbox against each other); ARGS go to cargo test
  sandbox [--port N] [--bind ADDR] [--token-lifetime SECS] [--fault-rate F]
          [--slow-delay-ms MS] [--seed N]
                     run the Network Tokens sandbox (127.0.0.1 by default) until Ctrl-C
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["regenerate"] => task_regenerate::run(false),
        ["regenerate", "--check"] => task_regenerate::run(true),
        [_, "help" | "--help" | "-h", ..] => {
            eprint!("{USAGE}");
            Ok(())
        }
        ["contract", rest @ ..] => task_contract::run(rest),
        ["sandbox", rest @ ..] => task_sandbox::run(rest),
        [] | ["help" | "--help" | "-h"] => {
            eprint!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown task {:?}\n\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
