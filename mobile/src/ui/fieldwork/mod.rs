//! The fieldwork screens (issue 7): home, interviews, focus groups,
//! observation sheets, the identity store, withdrawal, sync status and the
//! language switch.
//!
//! - `model`: the interview as plain data (what to show, which actions), tested without a renderer.
//! - `store`: what the screens need from the vault; `live` implements it on the real files.
//! - the other modules: one component per screen, rendering the model.

use dioxus::prelude::*;
use fieldkit_protocols::model::Protocol;
use std::sync::Arc;

mod answer;
mod home;
mod interview;
pub mod live;
pub mod model;
mod observation;
mod records;
mod steps;
pub mod store;

pub use store::{FieldworkStore, SyncSummary};

use super::i18n::{fill, text, Key, Lang};
use super::services::{ServiceError, Services};
use model::{ActionError, Interview};

/// Which fieldwork screen is showing. Kept in memory only: a quick-lock
/// unmounts all of it (R18), and a draft resumes from the vault.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Home,
    Start(Arc<Protocol>),
    Interview,
    Identity,
    Withdraw(String),
    Sync,
    Language,
}

/// The fieldwork screens, shown once the phone is set up and unlocked.
#[component]
pub fn FieldworkRoot() -> Element {
    let route = use_context_provider(|| Signal::new(Route::Home));
    use_context_provider(|| Signal::new(None::<Interview>));
    let services = use_context::<Services>();
    let lang = use_lang();
    if services.fieldwork().is_none() {
        return rsx! {
            h1 { {text(lang, Key::FwHomeTitle)} }
            p { class: "error", role: "alert", {text(lang, Key::FwUnavailable)} }
        };
    }
    let current = route.read().clone();
    rsx! {
        match current {
            Route::Home => rsx! { home::HomeScreen {} },
            Route::Start(protocol) => rsx! { home::StartScreen { protocol } },
            Route::Interview => rsx! { interview::InterviewScreen {} },
            Route::Identity => rsx! { records::IdentityScreen {} },
            Route::Withdraw(code) => rsx! { records::WithdrawScreen { code } },
            Route::Sync => rsx! { records::SyncScreen {} },
            Route::Language => rsx! { records::LanguageSwitch {} },
        }
    }
}

pub(crate) fn use_lang() -> Lang {
    use_context::<Signal<super::state::AppModel>>().read().lang
}

pub(crate) fn use_route() -> Signal<Route> {
    use_context::<Signal<Route>>()
}

/// Runs `f` with the fieldwork store; the root only renders when there is one.
pub(crate) fn with_store<T>(
    services: &Services,
    f: impl FnOnce(&dyn FieldworkStore) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let store = services.fieldwork().ok_or(ServiceError::NotAvailable)?;
    f(store)
}

/// An action's failure in the person's language, with the engine's reason.
pub(crate) fn action_error_text(lang: Lang, error: &ActionError) -> String {
    match error {
        ActionError::Refused(refusal) => {
            fill(lang, Key::FwRefused, &[("detail", &refusal.to_string())])
        }
        ActionError::NotStored(detail) => fill(lang, Key::FwNotStored, &[("detail", detail)]),
    }
}

/// "Back to home", on every fieldwork screen but home.
#[component]
pub(crate) fn HomeButton() -> Element {
    let lang = use_lang();
    let mut route = use_route();
    rsx! {
        button {
            id: "go-home",
            class: "secondary",
            onclick: move |_| route.set(Route::Home),
            {text(lang, Key::FwHome)}
        }
    }
}
