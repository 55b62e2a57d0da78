//! The Fieldkit app as a library: the vault (encrypted storage), the sync
//! client and the screens. The binary in `main.rs` only launches the window.

pub mod sync;
pub mod ui;
pub mod vault;
