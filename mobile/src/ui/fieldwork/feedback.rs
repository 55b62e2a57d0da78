//! "From your supervisor": the notes a supervisor wrote about this phone's
//! records, each by reference number with the record's review state, the
//! manual's principle behind the rule it names (in the app's language) and
//! a button to say it was read. The card on home says how many are unread.

use dioxus::prelude::*;
use fieldkit_protocols::feedback::{explanation, ReviewState};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{use_lang, use_route, when, with_store, HomeButton, Route};
use crate::ui::i18n::{fill, text, Key, Lang};
use crate::ui::services::Services;
use crate::ui::widgets::{service_error_text, ErrorLine, ServiceProblem};
use crate::vault::ReceivedNote;

fn state_text(lang: Lang, state: ReviewState) -> &'static str {
    text(
        lang,
        match state {
            ReviewState::Received => Key::FbStateReceived,
            ReviewState::Approved => Key::FbStateApproved,
            ReviewState::HasIssues => Key::FbStateHasIssues,
            ReviewState::Rejected => Key::FbStateRejected,
        },
    )
}

/// On home, when there are notes: how many are unread, and the way in.
#[component]
pub(crate) fn FeedbackCard() -> Element {
    let lang = use_lang();
    let mut route = use_route();
    let services = use_context::<Services>();
    let notes = with_store(&services, |s| s.feedback()).unwrap_or_default();
    if notes.is_empty() {
        return rsx! {};
    }
    let unread = notes.iter().filter(|n| n.acknowledged_at.is_none()).count();
    let class = if unread > 0 { "card notice" } else { "card" };
    rsx! {
        section { id: "feedback-card", class,
            h2 { {text(lang, Key::FbTitle)} }
            if unread > 0 {
                p { id: "feedback-unread", role: "status", {fill(lang, Key::FbUnread, &[("count", &unread.to_string())])} }
            } else {
                p { class: "muted", {text(lang, Key::FbAllRead)} }
            }
            div { class: "actions",
                button { id: "open-feedback", class: "primary", onclick: move |_| route.set(Route::Feedback),
                    {text(lang, Key::FbOpen)}
                }
            }
        }
    }
}

#[component]
pub(crate) fn FeedbackScreen() -> Element {
    let lang = use_lang();
    let services = use_context::<Services>();
    // Bumped after an acknowledgement, so the list is read again.
    let mut version = use_signal(|| 0u32);
    let mut error = use_signal(|| None::<String>);
    let _ = version();
    let ack_services = services.clone();
    let acknowledge = use_callback(move |note_id: Uuid| {
        let result = with_store(&ack_services, |s| s.acknowledge_note(note_id));
        match result {
            Ok(_) => {
                error.set(None);
                version += 1;
            }
            Err(e) => error.set(Some(service_error_text(lang, &e))),
        }
    });
    let notes = match with_store(&services, |s| s.feedback()) {
        Ok(notes) => notes,
        Err(e) => {
            return rsx! {
                h1 { {text(lang, Key::FbTitle)} }
                ServiceProblem { error: e }
                div { class: "actions", HomeButton {} }
            }
        }
    };
    // Unread first, then newest first.
    let mut notes = notes;
    notes.sort_by_key(|n| {
        (
            n.acknowledged_at.is_some(),
            std::cmp::Reverse(n.note.written_at),
        )
    });
    rsx! {
        h1 { {text(lang, Key::FbTitle)} }
        p { class: "intro", {text(lang, Key::FbIntro)} }
        ErrorLine { message: error() }
        if notes.is_empty() {
            p { id: "no-feedback", class: "muted", {text(lang, Key::FbNone)} }
        }
        for received in notes {
            NoteCard { key: "{received.note.note_id}", received, on_acknowledge: acknowledge }
        }
        div { class: "actions", HomeButton {} }
    }
}

#[component]
fn NoteCard(received: ReceivedNote, on_acknowledge: Callback<Uuid>) -> Element {
    let lang = use_lang();
    let note = &received.note;
    let id = note.note_id;
    let reference = if note.reference.is_empty() {
        text(lang, Key::FbAnonymous).to_owned()
    } else {
        note.reference.clone()
    };
    let state_class = match note.state {
        ReviewState::Rejected => "state rejected",
        ReviewState::HasIssues => "state warning",
        ReviewState::Approved => "state ok",
        ReviewState::Received => "state",
    };
    let read = received.acknowledged_at.map(|at: OffsetDateTime| {
        let key = if received.ack_confirmed {
            Key::FbAckSent
        } else {
            Key::FbAckWaiting
        };
        fill(lang, key, &[("when", &when(lang, Some(at)))])
    });
    rsx! {
        article { id: "note-{id}", class: "card note",
            h2 { class: "ref", {fill(lang, Key::FbRecord, &[("reference", &reference), ("protocol", &note.protocol_id)])} }
            p { class: state_class, {state_text(lang, note.state)} }
            p { class: "note-text", "{note.text}" }
            if let Some(rule) = note.rule {
                div { class: "manual",
                    p { class: "muted", {fill(lang, Key::FbManual, &[("rule", rule.id())])} }
                    p { class: "principle", lang: lang.code(), {explanation(rule, lang.code())} }
                }
            }
            p { class: "muted", {fill(lang, Key::FbWritten, &[("when", &when(lang, Some(note.written_at)))])} }
            match read {
                Some(line) => rsx! { p { id: "read-{id}", class: "ok", role: "status", "{line}" } },
                None => rsx! {
                    div { class: "actions",
                        button { id: "ack-{id}", class: "primary", onclick: move |_| on_acknowledge.call(id),
                            {text(lang, Key::FbAcknowledge)}
                        }
                    }
                },
            }
        }
    }
}
