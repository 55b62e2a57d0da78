//! The codebook (built from the protocol alone) and the methodology summary
//! (R26: how the research was done; R24: the definitions used).

use std::collections::BTreeMap;
use std::io::Write;

use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::model::Choice;
use fieldkit_protocols::{Protocol, Question};
use time::{Date, OffsetDateTime};

use super::facts::stop_text;
use super::{for_each_session, AgeGroups, ExportError, RAPID_ASSESSMENT_CAVEAT};
use crate::access::Principal;
use crate::store::{PublishedProtocol, Store};

pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One answer value as the codebook lists it: the code, its label and, for
/// an image choice, the picture the participant tapped (its manifest path
/// and hash, so the pages can show it from the stored media).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodebookValue {
    pub value: String,
    pub label: String,
    pub picture: Option<(String, ContentHash)>,
}

/// The picture of an image choice, in the protocol's default language.
pub fn choice_picture(protocol: &Protocol, choice: &Choice) -> Option<(String, ContentHash)> {
    let path = choice
        .image
        .as_ref()?
        .for_language(protocol.default_language());
    let entry = protocol.media.get(path)?;
    Some((path.to_owned(), entry.sha256.clone()))
}

/// A question's values, as the Markdown and the HTML codebook show them.
pub fn codebook_values(protocol: &Protocol, q: &Question) -> Vec<CodebookValue> {
    let lang = protocol.default_language();
    q.choices
        .iter()
        .map(|c| CodebookValue {
            value: c.value.clone(),
            label: one_line(c.label.show(lang)),
            picture: choice_picture(protocol, c),
        })
        .collect()
}

pub fn codebook(
    protocol: &Protocol,
    versions: &[PublishedProtocol],
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let lang = protocol.default_language();
    writeln!(
        out,
        "# Codebook: {} ({})",
        one_line(protocol.title.show(lang)),
        protocol.id
    )?;
    writeln!(out)?;
    if protocol.rapid_assessment {
        writeln!(out, "> {RAPID_ASSESSMENT_CAVEAT}\n")?;
    }
    let listed: Vec<String> = versions
        .iter()
        .map(|v| format!("v{} ({})", v.version, v.content_hash.short()))
        .collect();
    writeln!(
        out,
        "Published versions: {}. Columns follow version {}.\n",
        listed.join(", "),
        protocol.version
    )?;
    writeln!(
        out,
        "| column | question | kind | values | purpose | dimension | sensitive |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for q in protocol.questions() {
        // An image choice names its picture: the participant saw the
        // picture, not the label (the server's codebook page shows it).
        let values: Vec<String> = codebook_values(protocol, q)
            .iter()
            .map(|v| match &v.picture {
                Some((path, hash)) => format!(
                    "`{}` = {} (picture `{path}`, {})",
                    v.value,
                    v.label,
                    hash.short()
                ),
                None => format!("`{}` = {}", v.value, v.label),
            })
            .collect();
        let column = if q.identifying {
            format!("{} (identifying: never exported, R21)", q.id)
        } else {
            q.id.clone()
        };
        writeln!(
            out,
            "| {column} | {} | {:?} | {} | {} | {} | {} |",
            one_line(q.text.show(lang)).replace('|', "/"),
            q.kind,
            values.join("; ").replace('|', "/"),
            q.purpose,
            q.disaggregation.map_or("", |d| d.as_str()),
            if q.sensitive { "yes" } else { "" },
        )?;
    }
    writeln!(out, "\n## Reading the CSV files\n")?;
    writeln!(out, "{}", super::csv::FORMULA_RULE)?;
    writeln!(out, "\n{REVIEW_STATE_COLUMN}")?;
    definitions(protocol, out)?;
    Ok(())
}

/// What the codebook says about the `review_state` column.
const REVIEW_STATE_COLUMN: &str =
    "`review_state` (every row, CSV wide and long, and JSON) is where the \
supervisor's review of the record stands when the file was made: `received` (not reviewed yet), \
`approved`, `has_issues` (kept; the researcher was told what to do better) or `rejected` (the \
supervisor judged it not fit for use and said why). Rejected records are kept in every export, \
marked, so that files made on different days hold the same records: leave them out of an analysis \
by this column, and report how many you left out.";

fn definitions(protocol: &Protocol, out: &mut dyn Write) -> std::io::Result<()> {
    let lang = protocol.default_language();
    if protocol.definitions.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n## Definitions (R24: common terms so data sets can be combined)\n"
    )?;
    for d in &protocol.definitions {
        writeln!(
            out,
            "- **{}**: {}",
            one_line(d.term.show(lang)),
            one_line(d.meaning.show(lang))
        )?;
    }
    Ok(())
}

/// Counts gathered in one pass over the sessions.
#[derive(Default)]
struct Totals {
    sessions: u64,
    first: Option<Date>,
    last: Option<Date>,
    by_version: BTreeMap<u32, u64>,
    completed: u64,
    consents_given: u64,
    consents_refused: u64,
    stops: BTreeMap<&'static str, u64>,
    others_present: u64,
    language_mismatch: u64,
    amendments: u64,
}

#[allow(clippy::too_many_arguments)]
pub fn methodology(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    versions: &[PublishedProtocol],
    groups: &AgeGroups,
    action: &str,
    out: &mut dyn Write,
    now: OffsetDateTime,
) -> Result<u64, ExportError> {
    let mut t = Totals::default();
    for_each_session(store, who, protocol, false, action, now, &mut |f| {
        let day = f.started.date();
        t.sessions += 1;
        t.first = Some(t.first.map_or(day, |d| d.min(day)));
        t.last = Some(t.last.map_or(day, |d| d.max(day)));
        *t.by_version.entry(f.record.protocol_version).or_default() += 1;
        t.completed += u64::from(f.completed);
        t.consents_given += u64::from(f.consents_given);
        t.consents_refused += u64::from(f.consents_refused);
        if let Some(reason) = f.stop {
            *t.stops.entry(stop_text(reason)).or_default() += 1;
        }
        t.others_present += u64::from(!f.others_present.is_empty());
        t.language_mismatch += u64::from(f.language_mismatch());
        t.amendments += f.amendments.len() as u64;
        Ok(())
    })?;
    let lang = protocol.default_language();
    writeln!(
        out,
        "# Methodology: {} ({})\n",
        one_line(protocol.title.show(lang)),
        protocol.id
    )?;
    if protocol.rapid_assessment {
        writeln!(out, "> {RAPID_ASSESSMENT_CAVEAT}\n")?;
    }
    writeln!(
        out,
        "Method: {}. Aim: {}\n",
        protocol.method.as_str(),
        one_line(protocol.aim.show(lang))
    )?;
    writeln!(out, "## Protocol versions\n")?;
    for v in versions {
        let used = t.by_version.get(&v.version).copied().unwrap_or(0);
        writeln!(
            out,
            "- v{} published {} (hash {}): {used} session(s)",
            v.version,
            v.published_at.date(),
            v.content_hash.short()
        )?;
    }
    writeln!(out, "\n## Sample\n")?;
    if let (Some(first), Some(last)) = (t.first, t.last) {
        writeln!(out, "- Sessions: {} between {first} and {last}", t.sessions)?;
    } else {
        writeln!(out, "- Sessions: none stored yet")?;
    }
    writeln!(out, "- Completed: {}", t.completed)?;
    writeln!(
        out,
        "- Consents given: {}; refused: {}",
        t.consents_given, t.consents_refused
    )?;
    for (reason, n) in &t.stops {
        writeln!(out, "- Stopped, {reason}: {n}")?;
    }
    writeln!(out, "\n## Deviations noted\n")?;
    writeln!(
        out,
        "- Others present during questions (R8): {} session(s)",
        t.others_present
    )?;
    writeln!(
        out,
        "- Session language not declared by the interviewer (R14): {} session(s)",
        t.language_mismatch
    )?;
    writeln!(
        out,
        "- Answers amended with a reason (R7): {}",
        t.amendments
    )?;
    writeln!(out, "\n## Analysis choices\n")?;
    writeln!(out, "- Age groups applied to whole-year ages: {groups}")?;
    writeln!(
        out,
        "- Table cells smaller than {} are suppressed (R27).",
        protocol.privacy.min_cell_size
    )?;
    writeln!(out, "- Identifying answers never leave the phone (R21); respondents are known by reference number only.")?;
    definitions(protocol, out)?;
    crate::packs::methodology_section(store, who, protocol, out)?;
    Ok(t.sessions)
}
