//! placeholder
pub mod error;
pub mod generated;
pub mod model;
pub mod sensitive;
pub mod transport;
pub use sensitive::{CardNumber, Cryptogram, Cvv, Dpan};
