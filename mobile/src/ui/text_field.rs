//! The one text field every screen uses: the person owns its text.
//!
//! A controlled field (`value:` from a signal) has its text written back
//! into it on every render. In the webview a key typed while the previous
//! one is still rendering is then overwritten, and an IME composition
//! (accents, non-Latin scripts) is cut mid-word: on a slow phone, half of a
//! fast burst is lost. These fields are uncontrolled: the webview keeps the
//! text, the app reads it from every `input` event (handled one by one, in
//! order, so the last one read is what the field shows when a button is
//! tapped) and never writes into the field. `initial` fills it once, when
//! it is made.
//!
//! A field that must start again empty (a new question, a form after its
//! text was saved) is a new field: a different `generation` replaces the
//! element, keyed, instead of clearing what the person may be typing.

// rsx! expands shared props into clones clippy cannot see past.
#![allow(clippy::redundant_clone)]

use dioxus::dioxus_core::AttributeValue;
use dioxus::prelude::*;

#[derive(Props, Clone, PartialEq)]
pub(crate) struct TextFieldProps {
    /// The element id (labels point at it; tests send events to it).
    id: String,
    /// The text the field starts with: a prefilled address, a suggested code.
    #[props(default, into)]
    initial: String,
    /// Changing it makes a fresh field (starting from `initial` again).
    #[props(default, into)]
    generation: String,
    /// A `textarea` instead of a one-line `input`.
    #[props(default)]
    multiline: bool,
    /// Off for addresses and codes (a spell checker "corrects" them). Named
    /// here because both attribute sets below define it.
    #[props(default = true)]
    spellcheck: bool,
    /// Called with the field's whole text after every change.
    on_text: EventHandler<String>,
    #[props(extends = GlobalAttributes, extends = input)]
    attributes: Vec<Attribute>,
}

/// See the module comment. Text never reaches the log; a non-secret field
/// logs its length at trace level (`RUST_LOG=fieldkit_mobile=trace`), which
/// is how the window test knows every typed character arrived.
#[allow(non_snake_case)]
pub(crate) fn TextField(props: TextFieldProps) -> Element {
    let TextFieldProps {
        id,
        initial,
        generation,
        multiline,
        spellcheck,
        on_text,
        attributes,
    } = props;
    let secret = attributes.iter().any(|a| {
        a.name == "type" && matches!(&a.value, AttributeValue::Text(t) if t == "password")
    });
    let spellcheck = if spellcheck { "true" } else { "false" };
    let key = format!("{id}#{generation}");
    let field = id.clone();
    let read = use_callback(move |e: FormEvent| {
        let text = e.value();
        if !secret {
            tracing::trace!(field = %field, chars = text.chars().count(), "typed");
        }
        on_text.call(text);
    });
    // A keyed list of one: a new key is a new element, never a cleared one.
    if multiline {
        rsx! {
            for key in [key] {
                textarea { key: "{key}", id: "{id}", initial_value: "{initial}", spellcheck, oninput: read, ..attributes.clone() }
            }
        }
    } else {
        rsx! {
            for key in [key] {
                input { key: "{key}", id: "{id}", initial_value: "{initial}", spellcheck, oninput: read, ..attributes.clone() }
            }
        }
    }
}
