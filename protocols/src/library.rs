//! The protocols shipped with Fieldkit, compiled into the binary so the phone
//! and the server can offer them without reading files (this crate has no I/O).
//!
//! The TOML sources in `protocols/library/` are templates: their organisation
//! and referral contacts are `REPLACE` markers that the linter refuses, so a
//! template alone is never published. A study file fills them in
//! ([`crate::study`]); `study-template.toml` is the one to copy, and
//! `demo-study.toml` is what `fieldkit-server demo` (and every test) uses:
//! obviously not real, and marked so on the phone. `tests/library.rs` checks
//! that each template parses, is complete in every language, is refused for
//! its placeholders alone and lints clean with the demo study.

use crate::media::Bundle;
use crate::model::Protocol;
use crate::study::{merge, parse_study, Study};

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

/// Every shipped protocol template, one per research method of the manual's section 1.7.
pub const SHIPPED: &[Shipped] = shipped![
    "child-rapid-assessment.toml",
    "key-informant.toml",
    "focus-group-visualisation.toml",
    "observation-transport-hub.toml",
    "establishment-survey.toml",
    "school-survey.toml",
    "findings-validation.toml",
];

/// The media of the shipped protocols' bundles: `(protocol file, path in
/// the bundle, bytes)`. The files live in `protocols/library/<protocol>/`.
pub const SHIPPED_MEDIA: &[(&str, &str, &[u8])] = &[
    shipped_media!("focus-group-visualisation", "cards/job-offer.svg"),
    shipped_media!("focus-group-visualisation", "cards/bus-departure.svg"),
    shipped_media!("focus-group-visualisation", "cards/phone-message.svg"),
    shipped_media!("focus-group-visualisation", "choices/friends.svg"),
    shipped_media!("focus-group-visualisation", "choices/family.svg"),
    shipped_media!("focus-group-visualisation", "choices/returnees.svg"),
    shipped_media!("focus-group-visualisation", "choices/media.svg"),
    shipped_media!("focus-group-visualisation", "choices/visitors.svg"),
    shipped_media!("focus-group-visualisation", "audio/data-use-en.ogg"),
    shipped_media!("focus-group-visualisation", "audio/data-use-fr.ogg"),
];

macro_rules! shipped_media {
    ($protocol:literal, $path:literal) => {
        (
            concat!($protocol, ".toml"),
            $path,
            include_bytes!(concat!("../library/", $protocol, "/", $path)),
        )
    };
}
use shipped_media;

/// The media files of shipped protocol `file` (empty for most).
pub fn bundle(file: &str) -> Bundle {
    Bundle {
        files: SHIPPED_MEDIA
            .iter()
            .filter(|(protocol, _, _)| *protocol == file)
            .map(|(_, path, bytes)| ((*path).to_owned(), bytes.to_vec()))
            .collect(),
    }
}

/// Shipped protocol `file` as `fieldkit-server demo` publishes it: the
/// demo source with its media manifest, and its checked media files. Tests
/// that pin a protocol on a phone without a server use this.
///
/// # Panics
/// If the shipped bundle has errors (a build defect `tests/media_bundle.rs` catches).
pub fn demo_published(file: &str) -> (String, crate::media::CheckedBundle) {
    let source = demo_source(file);
    let protocol = crate::parse_protocol(file, &source)
        .unwrap_or_else(|err| panic!("shipped protocol does not parse: {err}"));
    let checked = bundle(file).prepare(&protocol);
    assert!(
        !checked.has_errors(),
        "shipped bundle of {file}: {:?}",
        checked.problems
    );
    (
        crate::media::append_manifest(&source, &checked.manifest),
        checked,
    )
}

/// The demo study's file name and text.
pub const DEMO_STUDY_FILE: &str = "demo-study.toml";
pub const DEMO_STUDY: &str = include_str!("../library/demo-study.toml");
/// The study file a study team copies.
pub const STUDY_TEMPLATE: &str = include_str!("../library/study-template.toml");

/// The demo study, parsed.
///
/// # Panics
/// If the shipped demo study does not parse: a build defect the library test catches.
pub fn demo_study() -> Study {
    parse_study(DEMO_STUDY_FILE, DEMO_STUDY)
        .unwrap_or_else(|err| panic!("the shipped demo study does not parse: {err}"))
}

/// The shipped template `file` with the demo study merged in: the TOML text
/// that `fieldkit-server demo` publishes. Tests publish shipped protocols
/// through this (never a template's own source, which the linter refuses).
///
/// # Panics
/// If `file` is not a shipped protocol or does not parse (build defects).
pub fn demo_source(file: &str) -> String {
    let shipped = SHIPPED
        .iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("no shipped protocol `{file}`"));
    merge(shipped.file, shipped.source, &demo_study())
        .unwrap_or_else(|err| panic!("shipped protocol does not parse: {err}"))
        .source
}

/// Every shipped protocol as `fieldkit-server demo` publishes it: the
/// template with the demo study merged in, in [`SHIPPED`] order.
///
/// # Panics
/// If a shipped file does not parse, naming the file and the place: that is a
/// build defect (the library test guarantees they parse), not a user error.
pub fn load_all() -> Vec<Protocol> {
    let study = demo_study();
    SHIPPED
        .iter()
        .map(|shipped| {
            merge(shipped.file, shipped.source, &study)
                .unwrap_or_else(|err| panic!("shipped protocol does not parse: {err}"))
                .protocol
        })
        .collect()
}
