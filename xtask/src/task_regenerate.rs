//! `cargo xtask regenerate [--check]`: the readable, checked-in copy of the generated client.
//!
//! `build.rs` compiles the client from `OUT_DIR`; this task writes the very same text (same
//! function, `openapi/codegen.rs`) to `openapi/generated.rs` so that a spec change shows up in
//! review as a diff of Rust code. The root crate's test `generated_copy_is_fresh` fails when
//! the copy is stale.

#[path = "../../openapi/codegen.rs"]
#[allow(dead_code)]
mod codegen;

/// The checked-in copy, relative to the project root.
pub(crate) const GENERATED_COPY: &str = "openapi/generated.rs";

pub(crate) fn run(check: bool) -> Result<(), String> {
    let root = crate::project_root();
    let spec_path = root.join(codegen::SPEC_PATH);
    let spec = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let source = codegen::generate(&spec)?;
    let out = root.join(GENERATED_COPY);
    let current = std::fs::read_to_string(&out).unwrap_or_default();
    if current == source {
        eprintln!("{GENERATED_COPY} is up to date");
        return Ok(());
    }
    if check {
        return Err(format!(
            "{GENERATED_COPY} is stale: run `cargo xtask regenerate`"
        ));
    }
    std::fs::write(&out, source).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {GENERATED_COPY}");
    Ok(())
}
