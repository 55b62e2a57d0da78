//! Any XLSForm cell text: the XPath translator either refuses it at a
//! column inside the text or gives an expression that Fieldkit's own parser
//! reads. A translation the parser refuses is a bug (it would publish a
//! protocol nobody can run), so it is a crash here.

#![no_main]

use fieldkit_protocols::expr;
use fieldkit_sync_server::xlsform::translate_xpath;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(xpath) = std::str::from_utf8(bytes) else {
        return;
    };
    // As a relevance or calculation, then as a constraint (where `.` means
    // the answer being checked).
    for allow_current in [false, true] {
        match translate_xpath(xpath, allow_current) {
            Ok(translated) => {
                let parsed = expr::parse(&translated)
                    .unwrap_or_else(|e| panic!("{xpath:?} -> {translated:?}: {e}"));
                assert!(allow_current || !parsed.uses_current(), "{xpath:?}");
            }
            Err(err) => {
                let width = xpath.chars().count();
                assert!(
                    err.column >= 1 && err.column <= width + 1,
                    "{xpath:?}: {err}"
                );
            }
        }
    }
});
