//! Generates the Network Tokens client from the checked-in OpenAPI spec into `OUT_DIR`.
//!
//! The pipeline (parse, adapt, progenitor, prettyplease) lives in `openapi/codegen.rs`, shared
//! with `cargo xtask regenerate`. This script only reads the spec and writes the result.

#[path = "openapi/codegen.rs"]
mod codegen;

fn main() {
    println!("cargo:rerun-if-changed={}", codegen::SPEC_PATH);
    println!("cargo:rerun-if-changed=openapi/codegen.rs");
    println!("cargo:rerun-if-changed=build.rs");

    let spec = std::fs::read_to_string(codegen::SPEC_PATH)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", codegen::SPEC_PATH));
    let source = codegen::generate(&spec).unwrap_or_else(|e| panic!("{e}"));
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let out = std::path::Path::new(&out_dir).join("codegen.rs");
    std::fs::write(&out, source).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}
