//! The protocols shipped with Fieldkit, compiled into the binary so the phone
//! and the server can offer them without reading files (this crate has no I/O).
//!
//! The TOML sources live in `protocols/library/`; `tests/library.rs` checks
//! that each one parses, lints clean and is complete in every language.

use crate::model::Protocol;
use crate::parse::parse_protocol;

/// One shipped protocol: its file name in `protocols/library/` and its TOML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shipped {
    pub file: &'static str,
    pub source: &'static str,
}

macro_rules! shipped {
    ($($file:literal),+ $(,)?) => {
        &[$(Shipped { file: $file, source: include_str!(concat!("../library/", $file)) }),+]
    };
}

/// Every shipped protocol, one per research method of the manual's section 1.7.
pub const SHIPPED: &[Shipped] = shipped![
    "child-rapid-assessment.toml",
    "key-informant.toml",
    "focus-group-visualisation.toml",
    "observation-transport-hub.toml",
    "establishment-survey.toml",
    "school-survey.toml",
];

/// Parses every shipped protocol.
///
/// # Panics
/// If a shipped file does not parse, naming the file and the place: that is a
/// build defect (the library test guarantees they parse), not a user error.
pub fn load_all() -> Vec<Protocol> {
    SHIPPED
        .iter()
        .map(|shipped| {
            parse_protocol(shipped.file, shipped.source)
                .unwrap_or_else(|err| panic!("shipped protocol does not parse: {err}"))
        })
        .collect()
}
