//! `cargo xtask contract`: the contract tests, for CI after a spec change.

use std::process::Command;

pub(crate) fn run(extra: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(crate::project_root())
        .args(["test", "--package", "contract-tests"])
        .args(extra)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("contract tests failed ({status})"))
    }
}
