//! The session engine: an event-sourced state machine that enforces the
//! manual's rules. The phone asks it what may come next; the server replays
//! every submitted log through it.
//!
//! - `events`: the vocabulary of a session log (shared); `events_de` reads it.
//! - `session`: the state folded from the events, and its accessors.
//! - `gate`, `consent`, `questions`, `observation`: the checks an event must pass.
//! - `calculated`: the values of calculated questions, derived from answers.
//! - `choices`: which choices a cascading select offers now.
//! - `next`: the next screen, and soft findings for supervisors.
//! - `refusal`: why an event was refused, naming the rule.

mod calculated;
mod choices;
mod consent;
pub mod events;
mod events_de;
mod gate;
mod next;
mod observation;
mod questions;
mod refusal;
mod session;

pub use calculated::calculate;
pub use events::*;
pub use next::{SoftFinding, Step};
pub use refusal::{Refusal, RefusalKind, ReplayError};
pub use session::{Amendment, ConsentEntry, Participant, Session, Status, TallyKey};
