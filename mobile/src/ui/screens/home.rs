//! After setup. Sessions and protocols come here next (issue 7).

use dioxus::prelude::*;

use crate::ui::i18n::{text, Key};
use crate::ui::widgets::use_model;

#[component]
pub fn HomeScreen() -> Element {
    let (_, lang) = use_model();
    rsx! {
        h1 { {text(lang, Key::HomeTitle)} }
        p { class: "intro", {text(lang, Key::HomeBody)} }
    }
}
