//! Screens. They render an [`state::AppModel`] and reach the vault and sync
//! client only through [`services::AppServices`]; no SQL, no HTTP here.

use dioxus::prelude::*;

pub mod fieldwork;
pub mod i18n;
mod network;
pub mod prefs;
pub mod screens;
pub mod services;
pub mod state;
pub mod strength;
pub mod vault_services;
mod widgets;

use services::Services;
use state::{AppModel, FirstRunStep, Screen};

/// The app's stylesheet, put in the page head by the launcher.
pub const STYLESHEET: &str = concat!(
    include_str!("../../assets/fieldkit.css"),
    include_str!("../../assets/fieldwork.css")
);

/// The whole app. Uses the [`Services`] from the root context when one was
/// provided (tests, a wired build), else [`Services::from_env`].
#[component]
pub fn App() -> Element {
    let services =
        use_hook(|| try_consume_context::<Services>().unwrap_or_else(Services::from_env));
    let services = use_context_provider(|| services);
    let model = use_context_provider(|| {
        let lang = services.saved_language().unwrap_or_default();
        Signal::new(AppModel::start(lang, services.progress()))
    });
    let lang = model.read().lang;
    let screen = model.read().screen;

    rsx! {
        div { class: "app", lang: lang.code(),
            widgets::TopBar {}
            if services.is_preview() {
                p { class: "preview-banner", role: "status",
                    {i18n::text(lang, i18n::Key::PreviewBanner)}
                }
            }
            main { class: "screen",
                match screen {
                    Screen::FirstRun(FirstRunStep::Language) => rsx! { screens::LanguageScreen {} },
                    Screen::FirstRun(FirstRunStep::Passphrase) => rsx! { screens::PassphraseScreen {} },
                    Screen::FirstRun(FirstRunStep::CodeOfPractice) => rsx! { screens::CodeOfPracticeScreen {} },
                    Screen::FirstRun(FirstRunStep::Enrol) => rsx! { screens::EnrolScreen {} },
                    Screen::Home => rsx! { fieldwork::FieldworkRoot {} },
                    Screen::Locked => rsx! { screens::LockedScreen {} },
                }
            }
        }
    }
}
