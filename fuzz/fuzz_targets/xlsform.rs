//! An uploaded XLSForm file: imported or refused with a message, never a
//! panic, whatever the bytes.
//!
//! One exception: calamine 0.38 panics on some damaged cell references (an
//! overflow, found here and by `import_props.rs`). The import catches that
//! panic and refuses the file as unreadable (`xlsform/sheets.rs`), but
//! libFuzzer's panic hook aborts on any panic, caught or not. The hook below
//! lets a panic inside calamine unwind to that catch and aborts on every
//! other, so the fuzzer goes on looking for the rest.

#![no_main]

use std::sync::Once;

use fieldkit_sync_server::xlsform::{import, ImportError};
use libfuzzer_sys::fuzz_target;

static CALAMINE_PANICS_ARE_CAUGHT: Once = Once::new();

fuzz_target!(|bytes: &[u8]| {
    CALAMINE_PANICS_ARE_CAUGHT.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|at| at.file().contains("/calamine-"));
            if !in_calamine {
                abort(info);
            }
        }));
    });
    if let Err(ImportError::Unreadable { message, .. }) = import(bytes, "fuzz.xlsx") {
        assert!(!message.is_empty());
    }
});
