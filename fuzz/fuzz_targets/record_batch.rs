//! What a device sends to `POST /api/v1/records`: the bytes are decoded as
//! the server decodes them, and every record that decodes is checked as the
//! server checks it (content hash, engine replay against the shipped
//! protocol, anonymisation of the replayed log). Nothing may panic.

#![no_main]

use std::sync::{Arc, LazyLock};

use fieldkit_protocols::anonymise::anonymise;
use fieldkit_protocols::engine::Session;
use fieldkit_protocols::wire::{from_json, RecordBatch};
use fieldkit_protocols::{library, Protocol};
use libfuzzer_sys::fuzz_target;

static SHIPPED: LazyLock<Vec<Arc<Protocol>>> =
    LazyLock::new(|| library::load_all().into_iter().map(Arc::new).collect());

fuzz_target!(|bytes: &[u8]| {
    let Ok(batch) = from_json::<RecordBatch>(bytes) else {
        return;
    };
    for envelope in batch.records {
        let _ = envelope.verify_content_hash();
        let Some(protocol) = SHIPPED.iter().find(|p| p.id == envelope.protocol_id) else {
            continue;
        };
        if let Ok(session) = Session::replay(Arc::clone(protocol), envelope.events.clone()) {
            let _ = session.status();
            let _ = anonymise(protocol, session.events(), &[]);
        }
    }
});
