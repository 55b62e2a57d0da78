//! Screens. They render the engine's state and send it actions; no SQL, no HTTP here.

use dioxus::prelude::*;

#[component]
pub fn App() -> Element {
    rsx! {
        main { h1 { "Fieldkit" } p { "Offline, consent-first research toolkit." } }
    }
}
