//! An uploaded XLSForm file: imported or refused with a message, never a
//! panic, whatever the bytes.

#![no_main]

use fieldkit_sync_server::xlsform::import;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = import(bytes, "fuzz.xlsx");
});
