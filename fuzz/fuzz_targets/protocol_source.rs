//! A protocol file as an author (or a broken editor) writes it: parsing,
//! linting and locating each finding either succeed or say what is wrong;
//! none may panic. A file that parses must hash, and a blank session must
//! start on it. The seeds are the shipped templates (copies of
//! `protocols/library/`) and one with the demo study merged in, as `demo`
//! publishes it.

#![no_main]

use std::sync::Arc;

use fieldkit_protocols::engine::Session;
use fieldkit_protocols::lint::{lint, Locator};
use fieldkit_protocols::parse_protocol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    if let Ok(protocol) = parse_protocol("fuzz.toml", source) {
        let locator = Locator::new(source);
        for finding in lint(&protocol) {
            let _ = locator.line(&finding.location);
        }
        let _ = protocol.content_hash();
        let _ = Session::new(Arc::new(protocol)).next();
    }
});
