//! One question at a time: the input for its kind, validation messages, and
//! corrections of earlier answers, each with a reason (R7).

// rsx! expands shared props into clones clippy cannot see past.
#![allow(clippy::redundant_clone)]

use dioxus::prelude::*;
use fieldkit_protocols::engine::SkipReason;
use fieldkit_protocols::model::{Question, QuestionKind};

use super::finding::FindingCard;
use super::media::{data_url, AudioPrompt, PictureCard};
use super::model::{parse_input, Action, InputProblem, Interview};
use super::use_lang;
use crate::ui::i18n::{text, Key, Lang};
use crate::ui::text_field::TextField;
use crate::ui::widgets::ErrorLine;

fn problem_text(lang: Lang, problem: InputProblem) -> String {
    let key = match problem {
        InputProblem::Empty => Key::FwAnswerEmpty,
        InputProblem::NotWholeNumber => Key::FwAnswerWhole,
        InputProblem::NotNumber => Key::FwAnswerNumber,
        InputProblem::NotLocation => Key::FwAnswerLocation,
    };
    text(lang, key).to_owned()
}

#[component]
pub(crate) fn QuestionPanel(question_id: String, act: Callback<Action>) -> Element {
    let lang = use_lang();
    let current = use_context::<Signal<Option<Interview>>>();
    let services = use_context::<crate::ui::services::Services>();
    let parts = use_signal(Vec::<String>::new);
    let mut problem = use_signal(|| None::<String>);
    let mut amending = use_signal(|| None::<String>);
    let mut note = use_signal(String::new);
    // Each note added starts a fresh, empty note field.
    let mut notes_added = use_signal(|| 0u32);
    let guard = current.read();
    let Some(interview) = guard.as_ref() else {
        return rsx! {};
    };
    // Its texts in the session language, with earlier answers piped in.
    let Some(q) = interview
        .question(&question_id)
        .map(|q| interview.session().shown_question(q))
    else {
        return rsx! {};
    };
    let sl = interview.language().to_owned();
    let section = interview
        .protocol()
        .sections
        .iter()
        .find(|s| s.questions.iter().any(|x| x.id == q.id))
        .map(|s| s.title.show(&sl).to_owned())
        .unwrap_or_default();
    let answered: Vec<(String, String, String)> = interview
        .answered()
        .into_iter()
        .map(|(q, v)| {
            (
                q.id.clone(),
                q.text.show(&sl).to_owned(),
                interview.describe(q, v),
            )
        })
        .collect();
    let focus_group = interview.protocol().focus_group.is_some();
    let protocol = interview.protocol();
    let picture = q.card.as_ref().or(q.image.as_ref());
    let picture_url = picture.and_then(|m| data_url(&services, protocol, m, &sl));
    let description = q
        .card_description
        .as_ref()
        .map(|t| t.show(&sl).to_owned())
        .unwrap_or_else(|| q.text.show(&sl).to_owned());
    let audio_url = q
        .audio
        .as_ref()
        .and_then(|m| data_url(&services, protocol, m, &sl));

    // Validation sessions: the pack's finding this question asks about.
    let finding = protocol
        .validation
        .as_ref()
        .and_then(|v| v.finding_of(&q.id))
        .map(|f| f.finding.clone());
    let pack = finding.as_ref().and(
        interview
            .session()
            .start()
            .and_then(|s| s.findings_pack.clone()),
    );
    let pack = pack.and_then(|hash| {
        services
            .fieldwork()?
            .findings_packs()
            .into_iter()
            .find(|(h, _)| *h == hash)
            .map(|(_, p)| p)
    });

    let (kind, id_save) = (q.kind, q.id.clone());
    let save = move |_| match parse_input(kind, &parts.read()) {
        Ok(value) => {
            problem.set(None);
            act.call(Action::Answer {
                question_id: id_save.clone(),
                value,
            });
        }
        Err(p) => problem.set(Some(problem_text(lang, p))),
    };
    let id_skip = q.id.clone();
    let id_dk = q.id.clone();

    rsx! {
        p { class: "step", lang: "{sl}", "{section}" }
        if q.sensitive { span { class: "tag", {text(lang, Key::FwSensitiveTag)} } }
        if let Some(finding_id) = finding {
            if let Some(pack) = pack {
                FindingCard { pack, finding_id, lang_code: sl.clone() }
            } else {
                p { id: "finding-missing", class: "caveat", {text(lang, Key::VdMissing)} }
            }
        }
        h1 { id: "question-text", lang: "{sl}", {q.text.show(&sl).to_owned()} }
        if let Some(hint) = &q.hint { p { class: "muted", lang: "{sl}", {hint.show(&sl).to_owned()} } }
        if picture.is_some() { PictureCard { url: picture_url, description, lang_code: sl.clone() } }
        if q.audio.is_some() { AudioPrompt { id: "question-audio", url: audio_url } }
        AnswerInput { question: q, lang_code: sl.clone(), parts }
        // Shown only after a save attempt; the engine's refusal comes above from the frame.
        ErrorLine { message: problem() }
        div { class: "actions",
            button { id: "skip", class: "secondary", onclick: move |_| act.call(Action::Skip { question_id: id_skip.clone(), reason: SkipReason::DeclinedToAnswer }), {text(lang, Key::FwSkip)} }
            button { id: "dont-know", class: "secondary", onclick: move |_| act.call(Action::Skip { question_id: id_dk.clone(), reason: SkipReason::DoesNotKnow }), {text(lang, Key::FwDoesNotKnow)} }
            button { id: "save-answer", class: "primary", onclick: save, {text(lang, Key::FwSaveAnswer)} }
        }
        if focus_group {
            label { r#for: "note", {text(lang, Key::FwNote)} }
            TextField { id: "note", multiline: true, generation: notes_added().to_string(), on_text: move |t| note.set(t) }
            button {
                id: "add-note",
                class: "secondary wide",
                onclick: move |_| {
                    let t = note.read().trim().to_owned();
                    if !t.is_empty() {
                        note.set(String::new());
                        notes_added += 1;
                        act.call(Action::Note(t));
                    }
                },
                {text(lang, Key::FwAddNote)}
            }
        }
        if !answered.is_empty() {
            details { class: "previous",
                summary { {text(lang, Key::FwPrevious)} }
                ul {
                    for (id, question, shown) in answered {
                        li {
                            span { lang: "{sl}", "{question} " }
                            strong { "{shown}" }
                            button {
                                id: "amend-{id}",
                                class: "secondary small",
                                onclick: move |_| amending.set(Some(id.clone())),
                                {text(lang, Key::FwCorrect)}
                            }
                        }
                    }
                }
            }
        }
        if let Some(id) = amending() {
            if let Some(aq) = interview.question(&id).cloned() {
                AmendPanel { key: "{id}", question: aq, lang_code: sl.clone(), act, done: move |_| amending.set(None) }
            }
        }
    }
}

#[component]
fn AmendPanel(
    question: Question,
    lang_code: String,
    act: Callback<Action>,
    done: EventHandler<()>,
) -> Element {
    let lang = use_lang();
    let parts = use_signal(Vec::<String>::new);
    let mut reason = use_signal(String::new);
    let mut problem = use_signal(|| None::<String>);
    let (kind, id) = (question.kind, question.id.clone());
    rsx! {
        section { class: "card", id: "amend-panel",
            h2 { {text(lang, Key::FwAmendTitle)} }
            p { lang: "{lang_code}", {question.text.show(&lang_code).to_owned()} }
            AnswerInput { question, lang_code: lang_code.clone(), parts }
            label { r#for: "amend-reason", {text(lang, Key::FwAmendReason)} }
            TextField { id: "amend-reason", r#type: "text", on_text: move |t| reason.set(t) }
            ErrorLine { message: problem() }
            div { class: "actions",
                button { id: "amend-cancel", class: "secondary", onclick: move |_| done.call(()), {text(lang, Key::FwCancel)} }
                button {
                    id: "amend-save",
                    class: "primary",
                    onclick: move |_| {
                        if reason.read().trim().is_empty() {
                            problem.set(Some(text(lang, Key::FwAmendNeedsReason).to_owned()));
                            return;
                        }
                        match parse_input(kind, &parts.read()) {
                            Ok(value) => {
                                act.call(Action::Amend { question_id: id.clone(), value, reason: reason.read().trim().to_owned() });
                                done.call(());
                            }
                            Err(p) => problem.set(Some(problem_text(lang, p))),
                        }
                    },
                    {text(lang, Key::FwAmendSave)}
                }
            }
        }
    }
}

/// The widget for a question's kind; `parts` holds the typed text or the
/// chosen values in order.
#[component]
fn AnswerInput(question: Question, lang_code: String, parts: Signal<Vec<String>>) -> Element {
    let lang = use_lang();
    let services = use_context::<crate::ui::services::Services>();
    let current = use_context::<Signal<Option<Interview>>>();
    // A picture per choice, where the protocol gives one (a child taps it).
    let pictures: Vec<Option<String>> = {
        let guard = current.read();
        question
            .choices
            .iter()
            .map(|c| {
                let (interview, image) = (guard.as_ref()?, c.image.as_ref()?);
                data_url(&services, interview.protocol(), image, &lang_code)
            })
            .collect()
    };
    let chosen = parts.read().clone();
    let sl = lang_code;
    match question.kind {
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice | QuestionKind::Ranking => {
            let kind = question.kind;
            rsx! {
                if kind == QuestionKind::Ranking { p { class: "muted", {text(lang, Key::FwRankHelp)} } }
                div { class: "choices",
                    for (c, picture) in question.choices.clone().into_iter().zip(pictures) {
                        {
                            let position = chosen.iter().position(|v| *v == c.value);
                            let value = c.value.clone();
                            rsx! {
                                button {
                                    id: "choice-{c.value}",
                                    class: if picture.is_some() { "choice with-picture" } else { "choice" },
                                    role: if kind == QuestionKind::SingleChoice { "radio" } else { "checkbox" },
                                    aria_checked: if position.is_some() { "true" } else { "false" },
                                    lang: "{sl}",
                                    onclick: move |_| {
                                        let mut p = parts.write();
                                        match (kind, p.iter().position(|v| *v == value)) {
                                            (QuestionKind::SingleChoice, _) => *p = vec![value.clone()],
                                            (QuestionKind::Ranking, Some(_)) => {}
                                            (_, Some(i)) => { p.remove(i); }
                                            (_, None) => p.push(value.clone()),
                                        }
                                    },
                                    if kind == QuestionKind::Ranking {
                                        if let Some(i) = position { span { class: "rank", "{i + 1}. " } }
                                    }
                                    // The label is the picture's text alternative and stays visible.
                                    if let Some(url) = &picture { img { class: "choice-picture", src: "{url}", alt: "" } }
                                    span { {c.label.show(&sl).to_owned()} }
                                }
                            }
                        }
                    }
                }
                if kind == QuestionKind::Ranking {
                    button { id: "rank-clear", class: "secondary wide", onclick: move |_| parts.set(Vec::new()), {text(lang, Key::FwRankClear)} }
                }
            }
        }
        QuestionKind::YesNo => rsx! {
            div { class: "choices row",
                for (value, key) in [("yes", Key::FwYes), ("no", Key::FwNo)] {
                    button {
                        id: "answer-{value}",
                        class: "choice",
                        role: "radio",
                        aria_checked: if chosen.first().map(String::as_str) == Some(value) { "true" } else { "false" },
                        onclick: move |_| parts.set(vec![value.to_owned()]),
                        {text(lang, key)}
                    }
                }
            }
        },
        kind => {
            let numeric = matches!(
                kind,
                QuestionKind::Integer | QuestionKind::Decimal | QuestionKind::Tally
            );
            rsx! {
                TextField {
                    id: "answer",
                    generation: question.id.clone(),
                    r#type: match kind { QuestionKind::Date => "date", QuestionKind::Time => "time", _ => "text" },
                    inputmode: if numeric { "decimal" } else { "text" },
                    autocomplete: "off",
                    on_text: move |t| parts.set(vec![t]),
                }
            }
        }
    }
}
