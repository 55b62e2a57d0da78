//! A choices file beside an XLSForm (`select_one_from_file f.csv`): any
//! text is read as CSV or refused at a line, never a panic; what is read,
//! written back quoted, reads the same again.

#![no_main]

use fieldkit_sync_server::xlsform::read_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match read_csv(text) {
        Ok(rows) => {
            let again: String = rows
                .iter()
                .map(|row| {
                    let fields: Vec<String> = row
                        .iter()
                        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                        .collect();
                    fields.join(",") + "\n"
                })
                .collect();
            assert_eq!(read_csv(&again).as_ref(), Ok(&rows), "{text:?}");
        }
        Err(message) => assert!(message.starts_with("line "), "{text:?}: {message}"),
    }
});
