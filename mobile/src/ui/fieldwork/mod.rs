//! The fieldwork screens (issue 7): home, interviews, focus groups,
//! observation sheets, the identity store, withdrawal, sync status and the
//! language switch, and the supervisor's notes (issue 20).
//!
//! - `model`: the interview as plain data (what to show, which actions), tested without a renderer.
//! - `store`: what the screens need from the vault; `live` implements it on the real files.
//! - the other modules: one component per screen, rendering the model.

use dioxus::prelude::*;
use fieldkit_protocols::model::Protocol;
use std::sync::Arc;

mod answer;
mod feedback;
mod finding;
mod home;
mod identity;
mod interview;
pub mod live;
mod media;
pub mod model;
mod observation;
mod records;
mod steps;
pub mod store;
mod sync_run;

pub use store::{FieldworkStore, MediaWait, SyncSummary};
pub use sync_run::SyncRun;

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
    /// The supervisor's notes (issue 20).
    Feedback,
}

/// The fieldwork screens, shown once the phone is set up and unlocked.
#[component]
pub fn FieldworkRoot() -> Element {
    let route = use_context_provider(|| Signal::new(Route::Home));
    use_context_provider(|| Signal::new(None::<Interview>));
    let services = use_context::<Services>();
    let sync_run = use_context_provider(|| Signal::new(SyncRun::Idle));
    // Made here so the sync task lives in this scope: it keeps running when
    // the person goes to another screen, and a quick-lock (which unmounts
    // this root) ends it.
    let sync_now = {
        let services = services.clone();
        use_callback(move |()| start_sync(&services, sync_run))
    };
    use_context_provider(|| SyncNow(sync_now));
    let lang = use_lang();
    if services.fieldwork().is_none() {
        return rsx! {
            h1 { {text(lang, Key::FwHomeTitle)} }
            p { class: "error", role: "alert", {text(lang, Key::FwUnavailable)} }
        };
    }
    let current = route.read().clone();
    let route_name = match &current {
        Route::Home => "home".to_owned(),
        Route::Start(p) => format!("start-{}", p.id),
        Route::Interview => "interview".to_owned(),
        Route::Identity => "identity".to_owned(),
        Route::Withdraw(code) => format!("withdraw-{code}"),
        Route::Sync => "sync".to_owned(),
        Route::Language => "language".to_owned(),
        Route::Feedback => "feedback".to_owned(),
    };
    rsx! {
        TopOfPage { at: route_name }
        match current {
            Route::Home => rsx! { home::HomeScreen {} },
            Route::Start(protocol) => rsx! { home::StartScreen { protocol } },
            Route::Interview => rsx! { interview::InterviewScreen {} },
            Route::Identity => rsx! { identity::IdentityScreen {} },
            Route::Withdraw(code) => rsx! { records::WithdrawScreen { code } },
            Route::Sync => rsx! { records::SyncScreen {} },
            Route::Language => rsx! { records::LanguageSwitch {} },
            Route::Feedback => rsx! { feedback::FeedbackScreen {} },
        }
    }
}

/// Starts a sync from any fieldwork screen.
#[derive(Clone, Copy)]
pub(crate) struct SyncNow(pub Callback<()>);

fn start_sync(services: &Services, mut sync_run: Signal<SyncRun>) {
    if sync_run.peek().is_running() {
        return;
    }
    let started = with_store(services, |s| s.start_sync());
    match started {
        Ok(mut updates) => {
            sync_run.set(SyncRun::Running { done: 0, total: 0 });
            spawn(async move {
                while let Some(run) = updates.recv().await {
                    sync_run.set(run);
                }
            });
        }
        Err(e) => sync_run.set(SyncRun::Failed(e.to_string())),
    }
}

/// Brings the page back to its top whenever `at` changes, so a new screen
/// does not open where the last one was scrolled. An absolutely placed mark
/// at the document's top, remounted per `at` (keys count only in lists).
#[component]
pub(crate) fn TopOfPage(at: String) -> Element {
    rsx! {
        for at in [at] {
            span {
                key: "{at}",
                class: "top-of-page",
                aria_hidden: "true",
                onmounted: move |e| async move {
                    // Without a renderer (tests) there is nothing to scroll.
                    let _ = e.data().scroll_to(ScrollBehavior::Instant).await;
                },
            }
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

/// A time for people: date and minutes, or "never".
pub(crate) fn when(lang: Lang, at: Option<time::OffsetDateTime>) -> String {
    at.map_or_else(
        || text(lang, Key::FwNever).to_owned(),
        |t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()),
    )
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
