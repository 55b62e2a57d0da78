//! Analysts' disaggregated tables (R23) with small cells suppressed (R27)
//! and server-rendered SVG charts. Every view is an audited answer read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Html;
use fieldkit_protocols::model::{Dimension, QuestionKind};
use fieldkit_protocols::{ContentHash, Protocol, Question, Value};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{blocking, esc, layout, protocol_ids, protocol_picker, PageError, User};
use crate::access::{allows, Access, Principal};
use crate::api::AppState;
use crate::export::ages::{AgeGroups, DEFAULT_AGE_GROUPS};
use crate::export::docs::choice_picture;
use crate::export::facts::{Answer, SessionFacts};
use crate::export::rows::age;
use crate::export::{
    for_each_session, latest_protocol, ExportError, Format, RAPID_ASSESSMENT_CAVEAT,
};
use crate::store::Store;

pub const NOT_ANSWERED: &str = "not answered";

/// Whether a count is too small to show (R27): the one threshold test that
/// tables, charts and findings packs share.
pub fn suppressed(n: u64, min_cell: u32) -> bool {
    n > 0 && n < u64::from(min_cell)
}

/// A count as shown: small non-zero counts become `<k` (R27).
pub fn shown(n: u64, min_cell: u32) -> String {
    if suppressed(n, min_cell) {
        format!("&lt;{min_cell}")
    } else {
        n.to_string()
    }
}

/// The category a session falls in for one question.
fn category(
    protocol: &Protocol,
    q: &Question,
    index: usize,
    f: &SessionFacts,
    groups: &AgeGroups,
) -> Vec<String> {
    let lang = protocol.default_language();
    if q.disaggregation == Some(Dimension::Age) {
        return vec![age(protocol, f)
            .and_then(|a| groups.label(a))
            .unwrap_or(NOT_ANSWERED)
            .to_owned()];
    }
    let label = |v: &str| {
        q.choices
            .iter()
            .find(|c| c.value == v)
            .map_or_else(|| v.to_owned(), |c| c.label.show(lang).to_owned())
    };
    match f.answer(index) {
        Some(Answer::Given(Value::Choice(v))) => vec![label(v)],
        Some(Answer::Given(Value::Choices(vs))) => vs.iter().map(|v| label(v)).collect(),
        Some(Answer::Given(Value::Bool(b))) => vec![if *b { "yes" } else { "no" }.to_owned()],
        _ => vec![NOT_ANSWERED.to_owned()],
    }
}

/// Counts per category of one question, crossed with sex when there is a
/// sex question: `rows[category][sex] = n`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    /// The question tabulated (its id).
    pub question: String,
    pub columns: Vec<String>,
    pub rows: BTreeMap<String, BTreeMap<String, u64>>,
    /// Image choices: the picture of a row's category, shown beside its text.
    pub pictures: BTreeMap<String, ContentHash>,
}

#[derive(Debug, Deserialize)]
pub struct TableQuery {
    protocol: Option<String>,
    ages: Option<String>,
    question: Option<String>,
}

/// The questions worth tabulating: disaggregation dimensions, then the
/// chosen question if it has categories.
fn tabulated<'p>(protocol: &'p Protocol, chosen: Option<&str>) -> Vec<(usize, &'p Question)> {
    protocol
        .questions()
        .enumerate()
        .filter(|(_, q)| {
            !q.identifying
                && (matches!(q.disaggregation, Some(d) if d != Dimension::Family)
                    || (chosen == Some(q.id.as_str())
                        && matches!(
                            q.kind,
                            QuestionKind::SingleChoice
                                | QuestionKind::MultipleChoice
                                | QuestionKind::YesNo
                        )))
        })
        .collect()
}

pub fn tables(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    groups: &AgeGroups,
    chosen: Option<&str>,
) -> Result<(Vec<Table>, u64), ExportError> {
    let questions = tabulated(protocol, chosen);
    let sex = protocol
        .questions()
        .enumerate()
        .find(|(_, q)| q.disaggregation == Some(Dimension::Sex));
    let lang = protocol.default_language();
    let mut tables: Vec<Table> = questions
        .iter()
        .map(|(_, q)| Table {
            title: format!("{} ({})", q.text.show(lang), q.id),
            question: q.id.clone(),
            pictures: q
                .choices
                .iter()
                .filter_map(|c| {
                    let (_, hash) = choice_picture(protocol, c)?;
                    Some((c.label.show(lang).to_owned(), hash))
                })
                .collect(),
            ..Table::default()
        })
        .collect();
    let n = for_each_session(
        store,
        who,
        protocol,
        true,
        "view:tables",
        OffsetDateTime::now_utc(),
        &mut |f| {
            let sexes = match sex {
                Some((i, q)) => category(protocol, q, i, f, groups),
                None => vec!["all".to_owned()],
            };
            for ((i, q), table) in questions.iter().zip(tables.iter_mut()) {
                for cat in category(protocol, q, *i, f, groups) {
                    for s in &sexes {
                        *table
                            .rows
                            .entry(cat.clone())
                            .or_default()
                            .entry(s.clone())
                            .or_default() += 1;
                        if !table.columns.contains(s) {
                            table.columns.push(s.clone());
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok((tables, n))
}

/// Horizontal bars of each row's total; suppressed rows get no bar.
pub fn svg_chart(table: &Table, min_cell: u32) -> String {
    let totals: Vec<(&String, u64)> = table
        .rows
        .iter()
        .map(|(k, v)| (k, v.values().sum()))
        .collect();
    let max = totals.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let height = 24 * totals.len() + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(&table.title)
    );
    for (row, (label, n)) in totals.iter().enumerate() {
        let y = 4 + row * 24;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 15,
            esc(label)
        );
        let small = suppressed(*n, min_cell);
        if !small {
            let width = 300 * *n / max;
            let _ = write!(
                svg,
                "<rect x=\"180\" y=\"{y}\" width=\"{width}\" height=\"18\" fill=\"#457b9d\"/>"
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            490,
            y + 15,
            shown(*n, min_cell)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn render_table(t: &Table, min_cell: u32) -> String {
    let mut html = format!(
        "<h2>{}</h2><table class=\"disaggregated\"><tr><th></th>",
        esc(&t.title)
    );
    for c in &t.columns {
        let _ = write!(html, "<th>{}</th>", esc(c));
    }
    html.push_str("<th>Total</th></tr>");
    for (label, cells) in &t.rows {
        let picture = t
            .pictures
            .get(label)
            .map_or_else(String::new, |hash| super::media::picture_img(hash, 48));
        let _ = write!(html, "<tr><th>{picture}{}</th>", esc(label));
        for c in &t.columns {
            let _ = write!(
                html,
                "<td class=\"n\">{}</td>",
                shown(cells.get(c).copied().unwrap_or(0), min_cell)
            );
        }
        let _ = write!(
            html,
            "<td class=\"n\">{}</td></tr>",
            shown(cells.values().sum(), min_cell)
        );
    }
    html.push_str("</table>");
    html.push_str(&svg_chart(t, min_cell));
    html
}

pub fn caveat_html(protocol: &Protocol) -> String {
    if protocol.rapid_assessment {
        format!(
            "<p class=\"caveat\" id=\"caveat\">{}</p>",
            esc(RAPID_ASSESSMENT_CAVEAT)
        )
    } else {
        String::new()
    }
}

fn downloads(protocol_id: &str, ages: &str) -> String {
    let mut html = String::from("<p>Download: ");
    for f in Format::ALL {
        let _ = write!(
            html,
            "<a class=\"download\" id=\"dl-{0}\" href=\"/web/export?protocol={1}&amp;format={0}&amp;ages={2}\">{0}</a> ",
            f.name(),
            esc(protocol_id),
            esc(ages)
        );
    }
    let _ = write!(
        html,
        "<a id=\"codebook-page\" href=\"/web/codebook?protocol={}\">codebook page</a>",
        esc(protocol_id)
    );
    html.push_str("</p>");
    html
}

pub async fn page(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<TableQuery>,
) -> Result<Html<String>, PageError> {
    if !allows(user.principal().role, Access::ReadAnswers) {
        return Err(PageError::forbidden(user.principal(), "read answers"));
    }
    let ages_text = query.ages.unwrap_or_else(|| DEFAULT_AGE_GROUPS.to_owned());
    let groups = AgeGroups::parse(&ages_text)
        .map_err(|e| PageError::new(axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let who = user.principal().clone();
    let user_csrf = user.csrf().to_owned();
    let body = blocking(&state, move |store| {
        let ids = protocol_ids(store)?;
        let Some(id) = query.protocol.or_else(|| ids.first().cloned()) else {
            return Ok("<p>No protocol is published yet.</p>".to_owned());
        };
        let (protocol, _) = latest_protocol(store, &id)?;
        let (tables, n) = tables(store, &who, &protocol, &groups, query.question.as_deref())?;
        let min_cell = protocol.privacy.min_cell_size;
        let extra = format!(
            "<label>Age groups <input name=\"ages\" value=\"{}\"></label> <label>Question <input name=\"question\" value=\"{}\" placeholder=\"question id\"></label> ",
            esc(&ages_text),
            esc(query.question.as_deref().unwrap_or(""))
        );
        let mut html = caveat_html(&protocol);
        html.push_str(&protocol_picker(&ids, &id, "/web/tables", &extra));
        html.push_str(&downloads(&id, &ages_text));
        let _ = write!(
            html,
            "<p>{n} session(s). Cells under {min_cell} are shown as &lt;{min_cell} and get no bar (R27).</p>"
        );
        let verdicts = crate::packs::verdicts(store, &who, &id)?;
        for t in &tables {
            html.push_str(&render_table(t, min_cell));
            html.push_str(&super::validations::beside(&id, &t.question, &verdicts));
        }
        html.push_str(&super::validations::publish_form(&id, &ages_text, user_csrf.as_str()));
        Ok(html)
    })
    .await?;
    Ok(layout("Tables", Some(&user), &body))
}
