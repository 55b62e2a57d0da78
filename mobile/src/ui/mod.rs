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
mod text_field;
pub mod vault_services;
mod widgets;

use std::time::Duration;

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
    use_hook(|| spawn(auto_lock(services.clone(), model)));
    let lang = model.read().lang;
    let screen = model.read().screen;
    let (s1, s2) = (services.clone(), services.clone());

    rsx! {
        div {
            class: "app",
            lang: lang.code(),
            // Any tap or typing restarts the idle clock (events bubble up here).
            onclick: move |_| s1.touch(),
            oninput: move |_| s2.touch(),
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

/// How often the idle clock is checked.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Locks the app once the vault's idle time has passed without a tap (R18).
/// The ticks come from a plain thread over a channel, so this needs no
/// particular async runtime; the thread ends when the app (and so the
/// receiver) goes away.
async fn auto_lock(services: Services, mut model: Signal<AppModel>) {
    let (tick, mut ticks) = tokio::sync::mpsc::unbounded_channel::<()>();
    std::thread::spawn(move || loop {
        std::thread::sleep(IDLE_CHECK);
        if tick.send(()).is_err() {
            return;
        }
    });
    while ticks.recv().await.is_some() {
        let unlocked = !matches!(model.peek().screen, Screen::Locked);
        if unlocked && services.idle_expired() {
            tracing::info!("idle: locking");
            services.lock();
            model.write().lock();
        }
    }
}
