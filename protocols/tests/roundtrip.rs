//! Any protocol the model can hold survives `to_toml` and `parse_protocol`
//! unchanged, so importers and editors can write protocols, and the content
//! hash (what consent and sessions are bound to, R4) does not move.

mod common;

use std::collections::BTreeMap;

use fieldkit_protocols::lint::{lint, locate};
use fieldkit_protocols::media::MediaKind;
use fieldkit_protocols::model::*;
use fieldkit_protocols::outline::outline;
use fieldkit_protocols::{parse_protocol, to_toml, ContentHash};
use proptest::prelude::*;
use proptest::sample::select;

fn id() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,5}"
}

/// Any characters, including quotes, backslashes, newlines and emoji.
fn words() -> impl Strategy<Value = String> {
    prop_oneof![".{0,10}", "[ -~\n\t]{0,12}", Just(String::new())]
}

fn text() -> impl Strategy<Value = Text> {
    prop::collection::btree_map(select(vec!["en", "fr", "sw"]), words(), 0..3).prop_map(|m| {
        Text(
            m.into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<BTreeMap<_, _>>(),
        )
    })
}

fn small_vec<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..3)
}

fn method() -> impl Strategy<Value = Method> {
    select(Method::ALL.to_vec())
}

fn choice() -> impl Strategy<Value = Choice> {
    (
        words(),
        text(),
        prop::option::of(media_ref()),
        prop::option::of(words()),
    )
        .prop_map(|(value, label, image, relevant)| Choice {
            value,
            label,
            image,
            relevant,
        })
}

/// One file for all languages, or one per language.
fn media_ref() -> impl Strategy<Value = MediaRef> {
    prop_oneof![
        words().prop_map(MediaRef::All),
        prop::collection::btree_map(
            select(vec!["en".to_owned(), "fr".to_owned()]),
            words(),
            1..3
        )
        .prop_map(MediaRef::PerLanguage),
    ]
}

fn manifest() -> impl Strategy<Value = BTreeMap<String, MediaEntry>> {
    let kinds = vec![
        MediaKind::Png,
        MediaKind::Jpeg,
        MediaKind::Webp,
        MediaKind::Svg,
        MediaKind::Opus,
        MediaKind::Mp3,
    ];
    prop::collection::btree_map(
        words(),
        (any::<[u8; 4]>(), 0u64..(1 << 40), select(kinds)).prop_map(|(seed, bytes, kind)| {
            MediaEntry {
                sha256: ContentHash::of_bytes(&seed),
                bytes,
                kind,
            }
        }),
        0..3,
    )
}

prop_compose! {
    fn question()(
        id in id(), text in text(), hint in prop::option::of(text()),
        kind in select(QuestionKind::ALL.to_vec()), choices in small_vec(choice()),
        flags in any::<(bool, bool, bool)>(), purpose in words(),
        disaggregation in prop::option::of(select(Dimension::ALL.to_vec())),
        relevant in prop::option::of(words()), constraint in prop::option::of(words()),
        constraint_message in prop::option::of(text()), card in prop::option::of(media_ref()),
        not_identifying_because in prop::option::of(words()),
        media in (prop::option::of(media_ref()), prop::option::of(media_ref()), prop::option::of(text())),
        calculation in prop::option::of(words()),
    ) -> Question {
        let (image, audio, card_description) = media;
        Question {
            id, text, hint, kind, choices, required: flags.0, purpose, sensitive: flags.1,
            identifying: flags.2, disaggregation, relevant, constraint, constraint_message, card,
            not_identifying_because, image, audio, card_description, calculation,
        }
    }
}

fn section() -> impl Strategy<Value = Section> {
    (id(), text(), small_vec(question())).prop_map(|(id, title, questions)| Section {
        id,
        title,
        questions,
    })
}

fn data_use() -> impl Strategy<Value = DataUse> {
    (
        text(),
        text(),
        text(),
        text(),
        prop::option::of(media_ref()),
    )
        .prop_map(
            |(purpose, who_sees, protection, results_return, audio)| DataUse {
                purpose,
                who_sees,
                protection,
                results_return,
                audio,
            },
        )
}

fn consent() -> impl Strategy<Value = ConsentRules> {
    (any::<bool>(), any::<u8>(), any::<bool>(), any::<bool>()).prop_map(|(r, g, t, a)| {
        ConsentRules {
            respondent: r,
            guardian_required_under: g,
            trusted_adult_may_stand_in: t,
            audio_recording: a,
        }
    })
}

fn screening() -> impl Strategy<Value = Screening> {
    small_vec((id(), text()).prop_map(|(id, text)| ScreeningItem { id, text }))
        .prop_map(|items| Screening { items })
}

fn referral() -> impl Strategy<Value = Referral> {
    let contact = (text(), words()).prop_map(|(name, phone)| Contact { name, phone });
    (text(), small_vec(contact), text()).prop_map(|(pathway, contacts, safety_notes)| Referral {
        pathway,
        contacts,
        safety_notes,
    })
}

fn privacy() -> impl Strategy<Value = Privacy> {
    let precision = select(vec![
        TimestampPrecision::Hour,
        TimestampPrecision::Day,
        TimestampPrecision::Week,
    ]);
    let reason = prop::option::of(words());
    (any::<u8>(), precision, any::<u32>(), reason).prop_map(|(d, p, m, r)| Privacy {
        location_decimals: d,
        timestamp_precision: p,
        min_cell_size: m,
        min_cell_size_reason: r,
    })
}

fn focus_group() -> impl Strategy<Value = FocusGroup> {
    (any::<u8>(), any::<u8>(), words()).prop_map(|(min, max, prefix)| FocusGroup {
        min_participants: min,
        max_participants: max,
        code_prefix: prefix,
    })
}

fn observation() -> impl Strategy<Value = Observation> {
    let days = select(vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]);
    let window =
        (text(), small_vec(days), words(), words()).prop_map(|(label, days, start, end)| {
            TimeWindow {
                label,
                days,
                start,
                end,
            }
        });
    let site = (id(), text()).prop_map(|(id, label)| SiteType { id, label });
    let tally =
        (id(), text(), words()).prop_map(|(id, label, purpose)| Tally { id, label, purpose });
    let indicator =
        (id(), text(), words()).prop_map(|(id, text, purpose)| Indicator { id, text, purpose });
    (
        small_vec(site),
        small_vec(window),
        small_vec(tally),
        small_vec(words()),
        small_vec(indicator),
    )
        .prop_map(
            |(site_types, time_windows, tallies, age_groups, indicators)| Observation {
                site_types,
                time_windows,
                tallies,
                age_groups,
                indicators,
            },
        )
}

prop_compose! {
    fn protocol()(
        head in (id(), any::<u32>(), text(), method(),
                 prop::option::of(select(vec![Respondents::Children, Respondents::Adults, Respondents::Nobody])),
                 any::<bool>(), small_vec(select(vec!["en".to_owned(), "fr".to_owned()])), text()),
        research_questions in small_vec((id(), text()).prop_map(|(id, text)| ResearchQuestion { id, text })),
        definitions in small_vec((text(), text()).prop_map(|(term, meaning)| Definition { term, meaning })),
        introduction in (words(), text(), prop::option::of(media_ref()))
            .prop_map(|(organisation, script, audio)| Introduction { organisation, script, audio }),
        data_use in data_use(),
        blocks in (prop::option::of(consent()), prop::option::of(screening()), prop::option::of(referral()),
                   privacy(), prop::option::of(focus_group()), prop::option::of(observation())),
        sections in small_vec(section()),
        closing in text(),
        demo in any::<bool>(),
        media in manifest(),
    ) -> Protocol {
        let (id, version, title, method, respondents, rapid_assessment, languages, aim) = head;
        let (consent, screening, referral, privacy, focus_group, observation) = blocks;
        Protocol {
            id, version, title, method, respondents, rapid_assessment, languages, aim,
            research_questions, definitions, introduction, data_use, consent, screening, referral,
            privacy, focus_group, observation, sections, closing, demo, media,
            validation: None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_protocol_round_trips_through_toml(p in protocol()) {
        let written = to_toml(&p);
        let back = parse_protocol("written.toml", &written);
        prop_assert_eq!(back.as_ref(), Ok(&p), "written as:\n{}", written);
        let back = back.unwrap();
        prop_assert_eq!(back.content_hash(), p.content_hash());
        prop_assert_eq!(back.data_use_hash(), p.data_use_hash());
        // Writing is deterministic: the same protocol gives the same file.
        prop_assert_eq!(to_toml(&back), written);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The linter, `locate` and the outline take whatever an author wrote.
    #[test]
    fn lint_locate_and_outline_never_panic(p in protocol()) {
        let written = to_toml(&p);
        let findings = lint(&p);
        prop_assert!(findings.windows(2).all(|w| w[0].severity <= w[1].severity));
        let lines = written.lines().count();
        for f in &findings {
            if let Some(line) = locate(&written, f) {
                prop_assert!(line >= 1 && line <= lines, "{:?} at line {}", f, line);
            }
        }
        let _ = outline(&p, "fr");
    }
}

#[test]
fn the_fixture_round_trips_and_keeps_its_hash() {
    let p = common::valid();
    let back = parse_protocol("again.toml", &to_toml(&p)).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.content_hash(), p.content_hash());
}

#[test]
fn layout_does_not_change_the_hash_but_content_does() {
    let p = common::valid();
    // The same protocol written with other whitespace and comments.
    let relaid = common::VALID_CHILD_INTERVIEW.replace("kind = ", "# a comment\nkind   =   ");
    let q = parse_protocol("relaid.toml", &relaid).unwrap();
    assert_eq!(q.content_hash(), p.content_hash());

    let mut changed = p.clone();
    changed.sections[1].questions[2].sensitive = false;
    assert_ne!(changed.content_hash(), p.content_hash());
}
