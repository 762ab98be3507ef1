//! placeholder
use std::fmt;
/// Caller input that was refused before anything was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInput {
    field: &'static str,
    rule: &'static str,
}
impl InvalidInput {
    pub(crate) fn new(field: &'static str, rule: &'static str) -> Self {
        Self { field, rule }
    }
}
impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.rule)
    }
}
impl std::error::Error for InvalidInput {}
