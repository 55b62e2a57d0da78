//! Reading an [`Event`] straight from its JSON map, without serde's
//! buffered path.
//!
//! The derived `Deserialize` for a struct with a flattened, internally
//! tagged enum copies every entry into serde's `Content` tree (twice: once
//! for the flatten, once to find the tag) before it picks the variant; a
//! sync and every session read spend most of their time there. This reads
//! the entries once, in order: `seq` and `at` wherever they stand, the
//! `event` tag, then each field straight into its typed slot. The
//! serialiser writes the tag before the variant's fields; a map that names
//! a field before the tag (written by hand, or by something else) still
//! parses: those entries wait as JSON values until the tag is known.
//!
//! It accepts and refuses what the derived one did (held to it by
//! `protocols/tests/event_codec.rs`): unknown fields and fields of other
//! variants are ignored, an unknown `event` is refused, a missing or
//! repeated field of the variant is refused, a missing `Option` is `None`.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::events::{
    Consenter, Decision, Event, EventKind, OthersPresent, SessionKind, SessionStart, Sex,
    SkipReason, StopReason,
};
use crate::hash::ContentHash;
use crate::model::Weekday;
use crate::value::Value;

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

/// Declares the variants (by their tag) and the fields (by their key), so
/// each name is written once.
macro_rules! names {
    ($(#[$m:meta])* enum $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum $name { $($variant),* }
        #[allow(dead_code)] // Each set uses a different part.
        impl $name {
            const ALL: &'static [&'static str] = &[$($text),*];
            fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)* _ => None }
            }
            fn name(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
        }
    };
}

names! {
    /// The `event` tag.
    enum Tag {
        SessionStarted = "session_started",
        IntroductionGiven = "introduction_given",
        DataUseExplained = "data_use_explained",
        ConsentRecorded = "consent_recorded",
        ParticipantAdded = "participant_added",
        ScreeningAnswered = "screening_answered",
        RapportConfirmed = "rapport_confirmed",
        Answered = "answered",
        Amended = "amended",
        Skipped = "skipped",
        AnswerWithheld = "answer_withheld",
        OthersPresentChanged = "others_present_changed",
        NoteAdded = "note_added",
        Tallied = "tallied",
        IndicatorChecked = "indicator_checked",
        Stopped = "stopped",
        Completed = "completed",
    }
}

names! {
    /// Every key any variant uses (`reason` is a text, a skip reason or a
    /// stop reason depending on the variant).
    enum Field {
        Seq = "seq", At = "at", Event = "event",
        SessionId = "session_id", ProtocolId = "protocol_id",
        ProtocolVersion = "protocol_version", ProtocolHash = "protocol_hash",
        Language = "language", InterviewerLanguages = "interviewer_languages",
        Kind = "kind", Respondent = "respondent", RespondentAge = "respondent_age",
        LinkedChild = "linked_child", SiteType = "site_type", Weekday = "weekday",
        FindingsPack = "findings_pack",
        StatementHash = "statement_hash",
        By = "by", Decision = "decision", AudioRecording = "audio_recording",
        Code = "code", Age = "age",
        ItemId = "item_id", Positive = "positive",
        QuestionId = "question_id", Value = "value", Reason = "reason",
        Present = "present", Text = "text",
        TallyId = "tally_id", Sex = "sex", AgeGroup = "age_group", Delta = "delta",
        IndicatorId = "indicator_id", Observed = "observed",
    }
}

impl Tag {
    /// The fields this variant reads; the derived deserialiser ignored others.
    fn reads(self, field: Field) -> bool {
        use Field as F;
        match self {
            Tag::SessionStarted => matches!(
                field,
                F::SessionId
                    | F::ProtocolId
                    | F::ProtocolVersion
                    | F::ProtocolHash
                    | F::Language
                    | F::InterviewerLanguages
                    | F::Kind
                    | F::Respondent
                    | F::RespondentAge
                    | F::LinkedChild
                    | F::SiteType
                    | F::Weekday
                    | F::FindingsPack
            ),
            Tag::DataUseExplained => field == F::StatementHash,
            Tag::ConsentRecorded => matches!(field, F::By | F::Decision | F::AudioRecording),
            Tag::ParticipantAdded => matches!(field, F::Code | F::Age),
            Tag::ScreeningAnswered => matches!(field, F::ItemId | F::Positive),
            Tag::Answered => matches!(field, F::QuestionId | F::Value),
            Tag::Amended => matches!(field, F::QuestionId | F::Value | F::Reason),
            Tag::Skipped => matches!(field, F::QuestionId | F::Reason),
            Tag::AnswerWithheld => field == F::QuestionId,
            Tag::OthersPresentChanged => field == F::Present,
            Tag::NoteAdded => field == F::Text,
            Tag::Tallied => matches!(field, F::TallyId | F::Sex | F::AgeGroup | F::Delta),
            Tag::IndicatorChecked => matches!(field, F::IndicatorId | F::Observed),
            Tag::Stopped => field == F::Reason,
            Tag::IntroductionGiven | Tag::RapportConfirmed | Tag::Completed => false,
        }
    }
}

/// A key: a known field, or one to skip.
struct Key(Option<Field>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Key, E> {
                Ok(Key(Field::parse(text)))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The `event` tag's value.
struct TagName(Tag);

impl<'de> Deserialize<'de> for TagName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagVisitor;
        impl Visitor<'_> for TagVisitor {
            type Value = TagName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event name")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<TagName, E> {
                Tag::parse(text)
                    .map(TagName)
                    .ok_or_else(|| E::unknown_variant(text, Tag::ALL))
            }
        }
        deserializer.deserialize_identifier(TagVisitor)
    }
}

#[derive(Deserialize)]
struct At(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

/// Where a field's value comes from: the map being read, or a JSON value
/// kept from before the tag was known.
trait Source<'de> {
    type Error: de::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, Self::Error>;
}

impl<'de, A: MapAccess<'de>> Source<'de> for &mut A {
    type Error = A::Error;
    fn read<T: Deserialize<'de>>(self) -> Result<T, A::Error> {
        self.next_value()
    }
}

/// A kept value, with the error type of the map it came from.
struct Kept<E>(Json, std::marker::PhantomData<E>);

impl<'de, E: de::Error> Source<'de> for Kept<E> {
    type Error = E;
    fn read<T: Deserialize<'de>>(self) -> Result<T, E> {
        T::deserialize(self.0).map_err(E::custom)
    }
}

/// One typed slot per field; filled once each.
#[derive(Default)]
struct Slots {
    session_id: Option<Uuid>,
    protocol_id: Option<String>,
    protocol_version: Option<u32>,
    protocol_hash: Option<ContentHash>,
    language: Option<String>,
    interviewer_languages: Option<Vec<String>>,
    kind: Option<SessionKind>,
    respondent: Option<String>,
    respondent_age: Option<Option<u8>>,
    linked_child: Option<Option<String>>,
    site_type: Option<Option<String>>,
    weekday: Option<Option<Weekday>>,
    findings_pack: Option<Option<ContentHash>>,
    statement_hash: Option<ContentHash>,
    by: Option<Consenter>,
    decision: Option<Decision>,
    audio_recording: Option<bool>,
    code: Option<String>,
    age: Option<Option<u8>>,
    item_id: Option<String>,
    positive: Option<bool>,
    question_id: Option<String>,
    value: Option<Value>,
    amend_reason: Option<String>,
    skip_reason: Option<SkipReason>,
    stop_reason: Option<StopReason>,
    present: Option<OthersPresent>,
    text: Option<String>,
    tally_id: Option<String>,
    sex: Option<Sex>,
    age_group: Option<String>,
    delta: Option<i32>,
    indicator_id: Option<String>,
    observed: Option<bool>,
}

/// Reads one value into its slot, refusing a second one.
fn put<'de, T: Deserialize<'de>, S: Source<'de>>(
    slot: &mut Option<T>,
    field: Field,
    source: S,
) -> Result<(), S::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(field.name()));
    }
    *slot = Some(source.read()?);
    Ok(())
}

impl Slots {
    /// Reads `field` of a `tag` event; a field the variant does not have is
    /// read past, as the derived deserialiser did.
    fn fill<'de, S: Source<'de>>(
        &mut self,
        tag: Tag,
        field: Field,
        source: S,
    ) -> Result<(), S::Error> {
        use Field as F;
        if !tag.reads(field) {
            source.read::<IgnoredAny>()?;
            return Ok(());
        }
        match field {
            F::SessionId => put(&mut self.session_id, field, source),
            F::ProtocolId => put(&mut self.protocol_id, field, source),
            F::ProtocolVersion => put(&mut self.protocol_version, field, source),
            F::ProtocolHash => put(&mut self.protocol_hash, field, source),
            F::Language => put(&mut self.language, field, source),
            F::InterviewerLanguages => put(&mut self.interviewer_languages, field, source),
            F::Kind => put(&mut self.kind, field, source),
            F::Respondent => put(&mut self.respondent, field, source),
            F::RespondentAge => put(&mut self.respondent_age, field, source),
            F::LinkedChild => put(&mut self.linked_child, field, source),
            F::SiteType => put(&mut self.site_type, field, source),
            F::Weekday => put(&mut self.weekday, field, source),
            F::FindingsPack => put(&mut self.findings_pack, field, source),
            F::StatementHash => put(&mut self.statement_hash, field, source),
            F::By => put(&mut self.by, field, source),
            F::Decision => put(&mut self.decision, field, source),
            F::AudioRecording => put(&mut self.audio_recording, field, source),
            F::Code => put(&mut self.code, field, source),
            F::Age => put(&mut self.age, field, source),
            F::ItemId => put(&mut self.item_id, field, source),
            F::Positive => put(&mut self.positive, field, source),
            F::QuestionId => put(&mut self.question_id, field, source),
            F::Value => put(&mut self.value, field, source),
            F::Reason => match tag {
                Tag::Amended => put(&mut self.amend_reason, field, source),
                Tag::Skipped => put(&mut self.skip_reason, field, source),
                _ => put(&mut self.stop_reason, field, source),
            },
            F::Present => put(&mut self.present, field, source),
            F::Text => put(&mut self.text, field, source),
            F::TallyId => put(&mut self.tally_id, field, source),
            F::Sex => put(&mut self.sex, field, source),
            F::AgeGroup => put(&mut self.age_group, field, source),
            F::Delta => put(&mut self.delta, field, source),
            F::IndicatorId => put(&mut self.indicator_id, field, source),
            F::Observed => put(&mut self.observed, field, source),
            F::Seq | F::At | F::Event => unreachable!("read by the visitor"),
        }
    }

    /// The variant, once every field it needs was read.
    fn finish<E: de::Error>(self, tag: Tag) -> Result<EventKind, E> {
        fn need<T, E: de::Error>(slot: Option<T>, field: Field) -> Result<T, E> {
            slot.ok_or_else(|| E::missing_field(field.name()))
        }
        use Field as F;
        Ok(match tag {
            Tag::SessionStarted => EventKind::SessionStarted(SessionStart {
                session_id: need(self.session_id, F::SessionId)?,
                protocol_id: need(self.protocol_id, F::ProtocolId)?,
                protocol_version: need(self.protocol_version, F::ProtocolVersion)?,
                protocol_hash: need(self.protocol_hash, F::ProtocolHash)?,
                language: need(self.language, F::Language)?,
                interviewer_languages: need(self.interviewer_languages, F::InterviewerLanguages)?,
                kind: need(self.kind, F::Kind)?,
                respondent: need(self.respondent, F::Respondent)?,
                respondent_age: self.respondent_age.flatten(),
                linked_child: self.linked_child.flatten(),
                site_type: self.site_type.flatten(),
                weekday: self.weekday.flatten(),
                findings_pack: self.findings_pack.flatten(),
            }),
            Tag::IntroductionGiven => EventKind::IntroductionGiven,
            Tag::DataUseExplained => EventKind::DataUseExplained {
                statement_hash: need(self.statement_hash, F::StatementHash)?,
            },
            Tag::ConsentRecorded => EventKind::ConsentRecorded {
                by: need(self.by, F::By)?,
                decision: need(self.decision, F::Decision)?,
                audio_recording: need(self.audio_recording, F::AudioRecording)?,
            },
            Tag::ParticipantAdded => EventKind::ParticipantAdded {
                code: need(self.code, F::Code)?,
                age: self.age.flatten(),
            },
            Tag::ScreeningAnswered => EventKind::ScreeningAnswered {
                item_id: need(self.item_id, F::ItemId)?,
                positive: need(self.positive, F::Positive)?,
            },
            Tag::RapportConfirmed => EventKind::RapportConfirmed,
            Tag::Answered => EventKind::Answered {
                question_id: need(self.question_id, F::QuestionId)?,
                value: need(self.value, F::Value)?,
            },
            Tag::Amended => EventKind::Amended {
                question_id: need(self.question_id, F::QuestionId)?,
                value: need(self.value, F::Value)?,
                reason: need(self.amend_reason, F::Reason)?,
            },
            Tag::Skipped => EventKind::Skipped {
                question_id: need(self.question_id, F::QuestionId)?,
                reason: need(self.skip_reason, F::Reason)?,
            },
            Tag::AnswerWithheld => EventKind::AnswerWithheld {
                question_id: need(self.question_id, F::QuestionId)?,
            },
            Tag::OthersPresentChanged => EventKind::OthersPresentChanged {
                present: need(self.present, F::Present)?,
            },
            Tag::NoteAdded => EventKind::NoteAdded {
                text: need(self.text, F::Text)?,
            },
            Tag::Tallied => EventKind::Tallied {
                tally_id: need(self.tally_id, F::TallyId)?,
                sex: need(self.sex, F::Sex)?,
                age_group: need(self.age_group, F::AgeGroup)?,
                delta: need(self.delta, F::Delta)?,
            },
            Tag::IndicatorChecked => EventKind::IndicatorChecked {
                indicator_id: need(self.indicator_id, F::IndicatorId)?,
                observed: need(self.observed, F::Observed)?,
            },
            Tag::Stopped => EventKind::Stopped {
                reason: need(self.stop_reason, F::Reason)?,
            },
            Tag::Completed => EventKind::Completed,
        })
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a session event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut seq = None;
        let mut at = None;
        let mut tag = None;
        let mut slots = Slots::default();
        // Fields named before the tag, as JSON values, in order.
        let mut early: Vec<(Field, Json)> = Vec::new();
        while let Some(Key(field)) = map.next_key()? {
            match (field, tag) {
                (None, _) => {
                    map.next_value::<IgnoredAny>()?;
                }
                (Some(Field::Seq), _) => put(&mut seq, Field::Seq, &mut map)?,
                (Some(Field::At), _) => {
                    let At(time) = map.next_value()?;
                    if at.replace(time).is_some() {
                        return Err(de::Error::duplicate_field("at"));
                    }
                }
                (Some(Field::Event), Some(_)) => {
                    return Err(de::Error::duplicate_field("event"));
                }
                (Some(Field::Event), None) => {
                    let TagName(known) = map.next_value()?;
                    tag = Some(known);
                    for (field, value) in early.drain(..) {
                        slots.fill(known, field, Kept(value, Default::default()))?;
                    }
                }
                (Some(field), Some(known)) => slots.fill(known, field, &mut map)?,
                (Some(field), None) => early.push((field, map.next_value()?)),
            }
        }
        let seq = seq.ok_or_else(|| de::Error::missing_field("seq"))?;
        let at = at.ok_or_else(|| de::Error::missing_field("at"))?;
        let tag = tag.ok_or_else(|| de::Error::missing_field("event"))?;
        Ok(Event {
            seq,
            at,
            kind: slots.finish(tag)?,
        })
    }
}
