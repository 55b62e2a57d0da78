//! Small pieces shared by the screens.

use dioxus::prelude::*;
use zeroize::Zeroize;

use super::i18n::{fill, text, Key, Lang};
use super::services::{ServiceError, Services};
use super::state::{AppModel, FirstRunStep, Screen};

/// The app model from context, and its current language.
pub(crate) fn use_model() -> (Signal<AppModel>, Lang) {
    let model = use_context::<Signal<AppModel>>();
    let lang = model.read().lang;
    (model, lang)
}

/// App name and the quick-lock button (R18), on every screen but the lock
/// screen itself. One tap forgets the keys and replaces whatever was showing.
#[component]
pub(crate) fn TopBar() -> Element {
    let (mut model, lang) = use_model();
    let services = use_context::<Services>();
    let locked = model.read().screen == Screen::Locked;
    rsx! {
        header { class: "top-bar",
            span { class: "app-name", {text(lang, Key::AppName)} }
            if !locked {
                button {
                    id: "quick-lock",
                    class: "quick-lock",
                    title: text(lang, Key::QuickLockHelp),
                    aria_label: text(lang, Key::QuickLockHelp),
                    onclick: move |_| {
                        services.lock();
                        model.write().lock();
                    },
                    LockIcon {}
                    {text(lang, Key::QuickLock)}
                }
            }
        }
    }
}

/// "Step 2 of 4" and the screen title.
#[component]
pub(crate) fn StepHeader(step: FirstRunStep, title: Key) -> Element {
    let (_, lang) = use_model();
    let n = step.number().to_string();
    let total = FirstRunStep::ALL.len().to_string();
    rsx! {
        p { class: "step", {fill(lang, Key::StepOf, &[("n", &n), ("total", &total)])} }
        h1 { {text(lang, title)} }
    }
}

/// A field holding a typed passphrase. Its text is wiped when replaced
/// ([`set_secret`]) and when the screen goes away (quick-lock, next step).
pub(crate) fn use_secret() -> Signal<String> {
    let field = use_signal(String::new);
    use_drop(move || {
        let mut field = field;
        if let Ok(mut text) = field.try_write() {
            text.zeroize();
        };
    });
    field
}

/// Replaces a typed secret, wiping the previous copy first.
pub(crate) fn set_secret(mut field: Signal<String>, value: String) {
    field.write().zeroize();
    field.set(value);
}

/// Runs a call that waits on the network on its own thread, so the window
/// keeps painting and answering taps (quick-lock above all) meanwhile.
pub(crate) async fn off_the_screen<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let (done, outcome) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = done.send(call());
    });
    outcome
        .await
        .unwrap_or_else(|_| Err(ServiceError::Failed("the task stopped".into())))
}

/// A service failure in the person's language.
pub(crate) fn service_error_text(lang: Lang, error: &ServiceError) -> String {
    match error {
        ServiceError::NotAvailable => text(lang, Key::ErrNotAvailable).to_owned(),
        ServiceError::WrongPassphrase => text(lang, Key::ErrWrongPassphrase).to_owned(),
        ServiceError::Busy => text(lang, Key::ErrBusy).to_owned(),
        ServiceError::WrongSupervisorCode { attempts_left } => fill(
            lang,
            Key::ErrWrongSupervisorCode,
            &[("left", &attempts_left.to_string())],
        ),
        ServiceError::IdentityErased => text(lang, Key::ErrIdentityErased).to_owned(),
        ServiceError::WeakSupervisorCode => text(lang, Key::ErrWeakSupervisorCode).to_owned(),
        ServiceError::Failed(detail) => fill(lang, Key::ErrFailed, &[("detail", detail)]),
    }
}

/// An alert line, or nothing.
#[component]
pub(crate) fn ErrorLine(message: Option<String>) -> Element {
    rsx! {
        if let Some(message) = message {
            p { class: "error", role: "alert", {message} }
        }
    }
}

/// A service call's failure; a sync holding the vault for a moment is said
/// as plain information, not as an alert.
#[component]
pub(crate) fn ServiceProblem(error: ServiceError) -> Element {
    let lang = use_context::<Signal<super::state::AppModel>>().read().lang;
    let message = service_error_text(lang, &error);
    if error == ServiceError::Busy {
        return rsx! { p { id: "busy", class: "muted", role: "status", {message} } };
    }
    rsx! { ErrorLine { message: Some(message) } }
}

/// A padlock drawn in SVG: emoji fonts are often missing on field phones.
#[component]
fn LockIcon() -> Element {
    rsx! {
        svg {
            class: "lock-icon",
            view_box: "0 0 18 20",
            "aria-hidden": "true",
            path {
                d: "M4 9V6a5 5 0 0 1 10 0v3",
                fill: "none",
                stroke: "currentColor",
                stroke_width: "2.2",
            }
            rect { x: "1", y: "9", width: "16", height: "11", rx: "2", fill: "currentColor" }
        }
    }
}
