//! The observation sheet (R20): site, time windows, tallies by sex and age
//! group with large +/- buttons, and the indicator checklist.

// rsx! expands shared props into clones clippy cannot see past.
#![allow(clippy::redundant_clone)]

use dioxus::prelude::*;
use fieldkit_protocols::engine::{Sex, TallyKey};

use super::model::{Action, Interview};
use super::use_lang;
use crate::ui::i18n::{text, Key, Lang};

const SEXES: [(Sex, &str, Key); 3] = [
    (Sex::Female, "female", Key::FwFemale),
    (Sex::Male, "male", Key::FwMale),
    (Sex::Unknown, "unknown", Key::FwSexUnknown),
];

#[component]
pub(crate) fn ObservationPanel(act: Callback<Action>) -> Element {
    let lang = use_lang();
    let current = use_context::<Signal<Option<Interview>>>();
    let guard = current.read();
    let Some(interview) = guard.as_ref() else {
        return rsx! {};
    };
    let Some(sheet) = interview.protocol().observation.clone() else {
        return rsx! {};
    };
    let sl = interview.language().to_owned();
    let site = interview
        .session()
        .start()
        .and_then(|s| s.site_type.clone())
        .and_then(|id| sheet.site_types.iter().find(|s| s.id == id))
        .map(|s| s.label.show(&sl).to_owned())
        .unwrap_or_default();
    let tallies = interview.session().tallies().clone();
    let indicators = interview.session().indicators().clone();
    let count = move |tally_id: &str, sex: Sex, age_group: &str| {
        tallies
            .get(&TallyKey {
                tally_id: tally_id.to_owned(),
                sex,
                age_group: age_group.to_owned(),
            })
            .copied()
            .unwrap_or(0)
    };

    rsx! {
        h1 { {text(lang, Key::FwObservationTitle)} }
        p { id: "site", class: "step", lang: "{sl}", "{site}" }
        details { class: "previous",
            summary { {text(lang, Key::FwWindows)} }
            ul {
                for w in sheet.time_windows.clone() {
                    li { lang: "{sl}", "{w.label.show(&sl)} · {w.start}–{w.end}" }
                }
            }
        }
        h2 { {text(lang, Key::FwCounts)} }
        for tally in sheet.tallies.clone() {
            section { class: "card tally",
                h3 { lang: "{sl}", {tally.label.show(&sl).to_owned()} }
                for group in sheet.age_groups.clone() {
                    for (sex, sex_id, key) in SEXES {
                        {
                            let n = count(&tally.id, sex, &group);
                            let id = format!("{}-{sex_id}-{group}", tally.id);
                            let (t1, g1, t2, g2) = (tally.id.clone(), group.clone(), tally.id.clone(), group.clone());
                            rsx! {
                                div { class: "counter",
                                    span { class: "counter-label", "{age_group_label(&group, lang)} · " {text(lang, key)} }
                                    button {
                                        id: "minus-{id}",
                                        class: "count-button",
                                        disabled: n == 0,
                                        aria_label: "−",
                                        onclick: move |_| act.call(Action::Tally { tally_id: t1.clone(), sex, age_group: g1.clone(), delta: -1 }),
                                        "−"
                                    }
                                    output { id: "count-{id}", class: "count", "{n}" }
                                    button {
                                        id: "plus-{id}",
                                        class: "count-button",
                                        aria_label: "+",
                                        onclick: move |_| act.call(Action::Tally { tally_id: t2.clone(), sex, age_group: g2.clone(), delta: 1 }),
                                        "+"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { {text(lang, Key::FwIndicators)} }
        for indicator in sheet.indicators.clone() {
            {
                let observed = indicators.get(&indicator.id).copied().unwrap_or(false);
                let id = indicator.id.clone();
                rsx! {
                    label { class: "check",
                        input {
                            id: "indicator-{indicator.id}",
                            r#type: "checkbox",
                            checked: observed,
                            onchange: move |e| act.call(Action::Indicator { indicator_id: id.clone(), observed: e.checked() }),
                        }
                        span { lang: "{sl}", {indicator.text.show(&sl).to_owned()} }
                    }
                }
            }
        }
        div { class: "actions",
            button { id: "finish", class: "primary", onclick: move |_| act.call(Action::Complete), {text(lang, Key::FwFinish)} }
        }
    }
}

/// An age group's id as a person reads it: `under_13` → "under 13",
/// `13_14` → "13–14", `18_plus` → "18+". Protocols name age groups by id
/// only; anything else shows with its underscores as spaces.
pub fn age_group_label(id: &str, lang: Lang) -> String {
    let is_age = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let under = match lang {
        Lang::En => "under",
        Lang::Fr => "moins de",
    };
    match id.split_once('_') {
        Some(("under", n)) if is_age(n) => format!("{under} {n}"),
        Some((n, "plus")) if is_age(n) => format!("{n}+"),
        Some((from, to)) if is_age(from) && is_age(to) => format!("{from}–{to}"),
        _ => id.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_groups_read_as_ages_not_ids() {
        assert_eq!(age_group_label("under_13", Lang::En), "under 13");
        assert_eq!(age_group_label("under_13", Lang::Fr), "moins de 13");
        assert_eq!(age_group_label("13_14", Lang::En), "13–14");
        assert_eq!(age_group_label("18_plus", Lang::Fr), "18+");
        assert_eq!(age_group_label("young_adults", Lang::En), "young adults");
        assert_eq!(age_group_label("under_", Lang::En), "under ");
    }
}
