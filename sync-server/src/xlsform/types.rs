//! The `type` column: what each survey row is, read with pyxform's spellings
//! (`select one from LIST`, `add integer prompt`, `q date`...), and what
//! Fieldkit refuses and why.

use fieldkit_protocols::QuestionKind;

/// What a survey row is, from its `type` cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowType {
    Blank,
    Question {
        kind: QuestionKind,
        /// The choice list for selects and rankings, as written (pyxform
        /// keeps its case).
        list: Option<String>,
        /// `or_other`: an extra "other" choice and a follow-up text question.
        or_other: bool,
        /// A constraint the type itself carries (`percentage`: 0 to 100).
        constraint: Option<&'static str>,
        /// Where the list is: the choices sheet, the external_choices
        /// sheet, or a file beside the form.
        source: Source,
    },
    Note,
    Calculate,
    BeginGroup,
    EndGroup,
    /// `begin loop over LIST`: the rows up to `end loop`, once per choice.
    BeginLoop(String),
    EndLoop,
    /// `begin repeat` ... `end repeat`: a roster, as many times as
    /// `repeat_count` says or the interviewer adds, up to a bound.
    BeginRepeat,
    EndRepeat,
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

/// Where a select's choice list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Choices,
    /// `select_one_external`: the external_choices sheet.
    External,
    /// `select_one_from_file FILE`: the file beside the form.
    File,
}

/// pyxform's select commands (`aliases.select`), longest first so that
/// `select one from` wins over `select one`.
const SELECTS: [(&str, Select); 16] = [
    ("add select multiple prompt using", Select::Multiple),
    ("add select one prompt using", Select::One),
    ("select all that apply from", Select::Multiple),
    ("select multiple from file", Select::FromFile),
    ("select_multiple_from_file", Select::FromFile),
    ("select all that apply", Select::Multiple),
    ("select one from file", Select::FromFile),
    ("select_one_from_file", Select::FromFile),
    ("select_one_external", Select::External),
    ("select one external", Select::External),
    ("select one from", Select::One),
    ("select_multiple", Select::Multiple),
    ("select_one", Select::One),
    ("select one", Select::One),
    ("select1", Select::One),
    ("rank", Select::Rank),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    One,
    Multiple,
    Rank,
    FromFile,
    External,
}

/// Reads a `type` cell such as `select_one work_types or_other`.
pub(crate) fn kind_of(cell: &str) -> Result<RowType, String> {
    let words: Vec<&str> = cell.split_whitespace().collect();
    if words.is_empty() {
        return Ok(RowType::Blank);
    }
    let spaced = words.join(" ");
    let lower = spaced.to_lowercase();
    for (command, select) in SELECTS {
        let Some(rest) = lower.strip_prefix(command) else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with(' ') {
            continue;
        }
        // The list name keeps the case it was written in.
        let rest_words: Vec<&str> = spaced[command.len()..].split_whitespace().collect();
        return select_type(cell, command, select, &rest_words);
    }
    for begin in ["begin loop over ", "begin_loop over ", "begin_loop_over "] {
        if lower.starts_with(begin) {
            let list = spaced[begin.len()..].trim();
            return match list.split_whitespace().count() {
                1 => Ok(RowType::BeginLoop(list.to_owned())),
                _ => Err(format!(
                    "`{cell}` needs one choice list: `begin loop over list_name`"
                )),
            };
        }
    }
    if matches!(lower.as_str(), "end loop" | "end_loop") {
        return Ok(RowType::EndLoop);
    }
    if let Some(group) = control(&lower) {
        return group;
    }
    // `osm LIST`: the list names the tags to ask about the mapped feature.
    if words[0].eq_ignore_ascii_case("osm") {
        return Ok(RowType::Unsupported(unsupported("osm")));
    }
    Ok(simple(&lower))
}

fn select_type(
    cell: &str,
    command: &str,
    select: Select,
    rest: &[&str],
) -> Result<RowType, String> {
    let (list, options) = match rest {
        [] => {
            return Err(format!(
                "`{cell}` needs the name of a choice list: `{command} list_name`"
            ))
        }
        [list, options @ ..] => (*list, options.join(" ").to_lowercase()),
    };
    let or_other = match options.as_str() {
        "" => false,
        "or_other" | "or other" | "or specify other" if select != Select::Rank => true,
        _ => {
            return Err(format!(
                "`{cell}` is not a type Fieldkit understands: after the list name only `or_other` may follow; write `{command} {list}` or `{command} {list} or_other`"
            ))
        }
    };
    let kind = match select {
        Select::One => QuestionKind::SingleChoice,
        Select::Multiple => QuestionKind::MultipleChoice,
        Select::Rank => QuestionKind::Ranking,
        Select::FromFile | Select::External if or_other => {
            return Err(format!(
                "`{cell}`: `or_other` on an external list or a file is not supported; write `{command} {list}`, add an `other` row to the list and a text question with relevant `selected(${{name}}, 'other')`"
            ))
        }
        Select::External | Select::FromFile if command.contains("multiple") => {
            QuestionKind::MultipleChoice
        }
        Select::External | Select::FromFile => QuestionKind::SingleChoice,
    };
    Ok(RowType::Question {
        kind,
        list: Some(list.to_owned()),
        or_other,
        constraint: None,
        source: match select {
            Select::External => Source::External,
            Select::FromFile => Source::File,
            _ => Source::Choices,
        },
    })
}

/// `begin group`, `end_group`, `begin repeat`, `begin loop over list`...
fn control(lower: &str) -> Option<Result<RowType, String>> {
    let (verb, rest) = lower.split_once([' ', '_'])?;
    if !matches!(verb, "begin" | "end") {
        return None;
    }
    let kind = ["group", "repeat", "looped group", "lgroup", "loop"]
        .into_iter()
        .find(|k| {
            rest == *k || rest.starts_with(&format!("{k} ")) || rest.replace('_', " ") == *k
        })?;
    Some(Ok(match (verb, kind) {
        ("begin", "group") => RowType::BeginGroup,
        ("end", "group") => RowType::EndGroup,
        ("begin", "repeat") => RowType::BeginRepeat,
        ("end", "repeat") => RowType::EndRepeat,
        _ => RowType::Unsupported(format!("`{verb} {kind}`: {}", REPEATS)),
    }))
}

const REPEATS: &str = "looped groups are not supported: write `begin repeat` (a roster) or `begin loop over LIST` (one instance per choice)";

/// pyxform's plain types and their `q x` / `add x prompt` spellings.
fn simple(lower: &str) -> RowType {
    let plain = lower
        .strip_prefix("q ")
        .or_else(|| {
            lower
                .strip_prefix("add ")
                .and_then(|s| s.strip_suffix(" prompt"))
        })
        .unwrap_or(lower);
    let question = |kind| RowType::Question {
        kind,
        list: None,
        or_other: false,
        constraint: None,
        source: Source::Choices,
    };
    let within = |constraint| RowType::Question {
        kind: QuestionKind::Integer,
        list: None,
        or_other: false,
        constraint: Some(constraint),
        source: Source::Choices,
    };
    match plain {
        "integer" | "int" => question(QuestionKind::Integer),
        "decimal" => question(QuestionKind::Decimal),
        "text" | "string" => question(QuestionKind::Text),
        "date" => question(QuestionKind::Date),
        "time" => question(QuestionKind::Time),
        "geopoint" | "gps" | "location" => question(QuestionKind::CoarseLocation),
        "percentage" => within(". >= 0 and . <= 100"),
        // pyxform's `phone number` asks for one (digits only); `phonenumber`
        // is the phone's own number, metadata.
        "phone number" => RowType::Question {
            kind: QuestionKind::Text,
            list: None,
            or_other: false,
            constraint: Some("matches(., '^[0-9]*$')"),
            source: Source::Choices,
        },
        "number of days in last month" => within(". >= 0 and . <= 31"),
        "number of days in last six months" => within(". >= 0 and . <= 183"),
        "number of days in last year" => within(". >= 0 and . <= 365"),
        "note" => RowType::Note,
        "calculate" => RowType::Calculate,
        "start" | "end" | "today" | "start time" | "end time" | "get start time"
        | "get end time" | "get today" => RowType::Metadata(
            "Fieldkit records the session times itself, coarsened to privacy.timestamp_precision",
        ),
        "deviceid" | "device id" | "get device id" | "imei" | "subscriberid" | "subscriber id"
        | "get subscriber id" | "simserial" | "sim id" | "get sim id" | "phonenumber"
        | "get phone number" | "username" | "email" | "uri:deviceid"
        | "uri:subscriberid" | "uri:simserial" | "uri:phonenumber" | "uri:username"
        | "uri:email" | "audit" => RowType::Metadata(
            "Fieldkit never records device, phone or user identifiers (R21)",
        ),
        "hidden" => RowType::Metadata(
            "a hidden value is never asked, and Fieldkit keeps only what the respondent answered",
        ),
        "start-geopoint" | "background-geopoint" => RowType::Metadata(
            "Fieldkit never records where the phone is on its own; a geopoint question keeps only a coarse location (R21)",
        ),
        _ => RowType::Unsupported(unsupported(&plain.replace(' ', "_"))),
    }
}

fn unsupported(kind: &str) -> String {
    let why = match kind {
        "image" | "photo" | "picture" | "audio" | "video" | "file" | "background-audio" => "photo, audio, video and file answers are refused on principle: a picture or a recording identifies a child (R21, the child must not be identifiable). Audio recording is a consent setting of the whole protocol (consent.audio_recording)",
        "barcode" => "barcode answers are not supported: scanned codes are identifiers that would leave the device (R21)",
        "geotrace" | "geoshape" => "traces and shapes are not supported; Fieldkit keeps only a coarse location (geopoint)",
        "datetime" | "date_time" | "datetime-local" => "date-and-time answers are not supported yet; use one date and one time question",
        "acknowledge" | "trigger" => "acknowledge is not supported; use a note, which becomes part of the next question's hint",
        "range" => "range is not supported; use an integer question with a constraint such as `. >= 1 and . <= 5`",
        "osm" => "an OpenStreetMap answer is a file that maps a building or place exactly, and where a child lives identifies the child: refused on principle (R21, the child must not be identifiable); use a geopoint question, which keeps only a coarse location",
        "xml-external" | "csv-external" => "external and hidden data are not supported: everything a Fieldkit protocol uses lives in the protocol itself",
        _ => return format!("the question type `{kind}` is unknown; Fieldkit takes pyxform's select_one, select_multiple, rank, integer, decimal, text, date, time, geopoint, note, calculate and groups, in any of pyxform's spellings"),
    };
    format!("`{kind}`: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(cell: &str) -> (QuestionKind, String, bool) {
        match kind_of(cell).unwrap() {
            RowType::Question {
                kind,
                list: Some(list),
                or_other,
                ..
            } => (kind, list, or_other),
            other => panic!("{cell}: {other:?}"),
        }
    }

    #[test]
    fn pyxform_select_spellings_name_their_list() {
        use QuestionKind::*;
        assert_eq!(
            list("select one from yes_no"),
            (SingleChoice, "yes_no".into(), false)
        );
        assert_eq!(
            list("select all that apply from Fruits or specify other"),
            (MultipleChoice, "Fruits".into(), true)
        );
        assert_eq!(
            list("select_one YesNo"),
            (SingleChoice, "YesNo".into(), false)
        );
        assert_eq!(
            list("Select_Multiple  colours  or_other"),
            (MultipleChoice, "colours".into(), true)
        );
        assert_eq!(
            list("add select one prompt using sexes"),
            (SingleChoice, "sexes".into(), false)
        );
        assert_eq!(list("select1 x"), (SingleChoice, "x".into(), false));
        assert_eq!(list("rank things"), (Ranking, "things".into(), false));
    }

    #[test]
    fn prompt_spellings_and_builtin_constraints() {
        for (cell, kind) in [
            ("add integer prompt", QuestionKind::Integer),
            ("q date", QuestionKind::Date),
            ("gps", QuestionKind::CoarseLocation),
            ("String", QuestionKind::Text),
        ] {
            assert!(
                matches!(kind_of(cell).unwrap(), RowType::Question { kind: k, .. } if k == kind),
                "{cell}"
            );
        }
        assert!(matches!(
            kind_of("percentage").unwrap(),
            RowType::Question {
                constraint: Some(". >= 0 and . <= 100"),
                ..
            }
        ));
        // pyxform's `phone number` is a question; `phonenumber` the phone's own.
        assert!(matches!(
            kind_of("phone number").unwrap(),
            RowType::Question {
                kind: QuestionKind::Text,
                constraint: Some(_),
                ..
            }
        ));
        assert!(matches!(
            kind_of("phonenumber").unwrap(),
            RowType::Metadata(_)
        ));
        assert_eq!(kind_of("begin_group").unwrap(), RowType::BeginGroup);
        assert_eq!(kind_of("End Group").unwrap(), RowType::EndGroup);
    }

    #[test]
    fn refusals_say_why_and_what_to_write() {
        let RowType::Unsupported(photo) = kind_of("add photo prompt").unwrap() else {
            panic!()
        };
        assert!(photo.contains("R21"), "{photo}");
        let RowType::Unsupported(repeat) = kind_of("begin lgroup").unwrap() else {
            panic!()
        };
        assert!(repeat.contains("looped groups"), "{repeat}");
        let RowType::Question { source, list, .. } =
            kind_of("select_one_from_file towns.csv").unwrap()
        else {
            panic!()
        };
        assert_eq!((source, list.as_deref()), (Source::File, Some("towns.csv")));
        let bad = kind_of("select_one list extra").unwrap_err();
        assert!(bad.contains("only `or_other` may follow"), "{bad}");
    }
}
