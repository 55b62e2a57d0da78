//! The passphrase strength meter lives in the shared crate, so the server's
//! password rule for web users is the same meter; re-exported here so the
//! app's screens keep their path.

pub use fieldkit_protocols::strength::*;
