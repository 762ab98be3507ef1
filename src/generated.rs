//! The client and types that `build.rs` generates from `openapi/network-tokens.yaml`.
#![allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
include!(concat!(env!("OUT_DIR"), "/codegen.rs"));

#[cfg(test)]
mod tests {
    /// `openapi/generated.rs` is the readable copy of what build.rs compiles; it must match.
    #[test]
    fn generated_copy_is_fresh() {
        let compiled = include_str!(concat!(env!("OUT_DIR"), "/codegen.rs"));
        let checked_in = include_str!("../openapi/generated.rs");
        assert!(
            compiled == checked_in,
            "openapi/generated.rs is stale (the spec or openapi/codegen.rs changed): \
             run `cargo xtask regenerate` and commit the result"
        );
    }
}
