#[derive(Clone, Debug)]
pub struct Hooks;
impl progenitor_client::ClientHooks<Hooks> for crate::generated::Client {}
