//! A protocol file as an author (or a broken editor) writes it: parsing and
//! linting either succeed or say what is wrong; neither may panic. A file
//! that parses must hash, and a blank session must start on it.

#![no_main]

use std::sync::Arc;

use fieldkit_protocols::engine::Session;
use fieldkit_protocols::lint::lint;
use fieldkit_protocols::parse_protocol;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    if let Ok(protocol) = parse_protocol("fuzz.toml", source) {
        let _ = lint(&protocol);
        let _ = protocol.content_hash();
        let _ = Session::new(Arc::new(protocol)).next();
    }
});
