//! The `type` column: what each survey row is, and what Fieldkit refuses.

use fieldkit_protocols::QuestionKind;

/// What a survey row is, from its `type` cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowType {
    Blank,
    Question {
        kind: QuestionKind,
        /// The choice list for selects and rankings.
        list: Option<String>,
        /// `or_other`: an extra "other" choice and a follow-up text question.
        or_other: bool,
    },
    Note,
    Calculate,
    BeginGroup,
    EndGroup,
    /// Automatic metadata (`start`, `deviceid`...) that Fieldkit drops, and why.
    Metadata(&'static str),
    /// A type Fieldkit cannot take, with the reason and what to do.
    Unsupported(String),
}

impl RowType {
    /// Rows whose name is a question id that expressions may refer to.
    pub fn is_named_item(&self) -> bool {
        matches!(self, RowType::Question { .. } | RowType::Calculate)
    }
}

/// Reads a `type` cell such as `select_one work_types or_other`.
pub(crate) fn kind_of(cell: &str) -> Result<RowType, String> {
    let lower = cell.trim().to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    // "select one x" and "begin group" are accepted spellings of "select_one x" and "begin_group".
    let (head, rest) = match words.as_slice() {
        [] => return Ok(RowType::Blank),
        [first, second, rest @ ..] if matches!(*first, "select" | "begin" | "end") => {
            (format!("{first}_{second}"), rest)
        }
        [first, rest @ ..] => ((*first).to_owned(), rest),
    };
    let simple = |kind| {
        Ok(RowType::Question {
            kind,
            list: None,
            or_other: false,
        })
    };
    match (head.as_str(), rest) {
        ("select_one" | "select_multiple" | "rank", [list, options @ ..]) => {
            let or_other = match options {
                [] => false,
                ["or_other"] if head != "rank" => true,
                _ => return Err(format!("`{cell}` is not a type Fieldkit understands; write e.g. `{head} {list}` or `{head} {list} or_other`")),
            };
            let kind = match head.as_str() {
                "select_one" => QuestionKind::SingleChoice,
                "select_multiple" => QuestionKind::MultipleChoice,
                _ => QuestionKind::Ranking,
            };
            Ok(RowType::Question {
                kind,
                list: Some((*list).to_owned()),
                or_other,
            })
        }
        ("select_one" | "select_multiple" | "rank", []) => Err(format!(
            "`{cell}` needs the name of a choice list: `{head} list_name`"
        )),
        ("select_one_from_file" | "select_multiple_from_file", _) => {
            Ok(RowType::Unsupported(unsupported(&head)))
        }
        (_, [_, ..]) => Err(format!(
            "`{cell}` is not a question type Fieldkit understands"
        )),
        ("integer" | "int", []) => simple(QuestionKind::Integer),
        ("decimal", []) => simple(QuestionKind::Decimal),
        ("text" | "string", []) => simple(QuestionKind::Text),
        ("date", []) => simple(QuestionKind::Date),
        ("time", []) => simple(QuestionKind::Time),
        ("geopoint", []) => simple(QuestionKind::CoarseLocation),
        ("note", []) => Ok(RowType::Note),
        ("calculate", []) => Ok(RowType::Calculate),
        ("begin_group", []) => Ok(RowType::BeginGroup),
        ("end_group", []) => Ok(RowType::EndGroup),
        ("start" | "end" | "today", []) => Ok(RowType::Metadata(
            "Fieldkit records the session times itself, coarsened to privacy.timestamp_precision",
        )),
        (
            "deviceid" | "imei" | "subscriberid" | "simserial" | "phonenumber" | "username"
            | "email" | "audit" | "start-geopoint",
            [],
        ) => Ok(RowType::Metadata(
            "Fieldkit never records device, phone or user identifiers (R21)",
        )),
        (other, []) => Ok(RowType::Unsupported(unsupported(other))),
    }
}

fn unsupported(kind: &str) -> String {
    let why = match kind {
        "begin_repeat" | "end_repeat" => "repeat groups are not supported: a Fieldkit session asks each question once. Ask for a count instead, or use a separate protocol per person or item",
        "image" | "photo" | "audio" | "video" | "file" | "background-audio" => "photo, audio, video and file answers are not supported: they identify children (R21). Audio recording is a consent setting of the whole protocol (consent.audio_recording)",
        "barcode" => "barcode answers are not supported: scanned codes are identifiers that would leave the device",
        "geotrace" | "geoshape" => "traces and shapes are not supported; Fieldkit keeps only a coarse location (geopoint)",
        "datetime" | "datetime-local" => "date-and-time answers are not supported; use one date and one time question",
        "acknowledge" | "trigger" => "acknowledge is not supported; use a note, which becomes part of the next question's hint",
        "range" => "range is not supported; use an integer question with a constraint such as `. >= 1 and . <= 5`",
        "hidden" | "xml-external" | "csv-external" | "select_one_from_file" | "select_multiple_from_file" => "external data is not supported: everything a Fieldkit protocol uses lives in the protocol itself",
        _ => return format!("the question type `{kind}` is unknown; Fieldkit takes select_one, select_multiple, rank, integer, decimal, text, date, time, geopoint, note, calculate and groups"),
    };
    format!("`{kind}`: {why}")
}
