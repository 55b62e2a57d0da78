//! The session engine: an event-sourced state machine that enforces the
//! manual's rules. The phone asks it what may come next; the server replays
//! every submitted log through it.

pub mod events;

pub use events::*;
