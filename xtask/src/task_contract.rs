//! `cargo xtask contract`: the contract verification, for CI after a spec change.
//!
//! It checks that the generated copy matches the spec, then runs the unit tests, the test
//! targets that hold the spec, the generated types, the facade and the sandbox against each
//! other, and the doctests. The targets are selected within `--workspace` so that cargo
//! resolves the same features as `cargo test --workspace` and reuses its build instead of
//! compiling the dependencies again.

use std::process::Command;

/// The test targets that make up the contract, and what each one compares.
const CONTRACT_TARGETS: &[(&str, &str)] = &[
    (
        "spec",
        "the spec: operations, statuses, enums, security; the facade's status table",
    ),
    (
        "fixtures",
        "the spec's documented samples decode into the generated types",
    ),
    (
        "statuses",
        "every documented status of every operation maps to its typed outcome",
    ),
    ("lifecycle", "the client against the embedded sandbox"),
    (
        "sandbox",
        "every sandbox trigger and response validated against the spec",
    ),
    (
        "sandbox_abuse",
        "the sandbox answers hostile requests as the spec documents",
    ),
];

pub(crate) fn run(extra: &[&str]) -> Result<(), String> {
    crate::task_regenerate::run(true)?;
    eprintln!("contract: unit tests   the generated copy, the facade's tables, the spec validator");
    let mut targets = vec!["--lib"];
    for (target, what) in CONTRACT_TARGETS {
        eprintln!("contract: {target:<14} {what}");
        targets.extend(["--test", target]);
    }
    cargo_test(&targets, extra)?;
    // Doctests cannot be selected with other targets: the crate and sandbox examples.
    eprintln!("contract: doctests     the documented examples compile");
    cargo_test(&["--doc"], extra)
}

fn cargo_test(targets: &[&str], extra: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(crate::project_root())
        .args(["test", "--workspace"])
        .args(targets)
        .args(extra)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("contract tests failed ({status})"))
    }
}
