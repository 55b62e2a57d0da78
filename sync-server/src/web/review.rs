//! The supervisor's review queue and one record's review: filters
//! (researcher, protocol, rule, state, dates), counts per state, records
//! with findings first, several reviewed at once with one decision, notes
//! to the researcher tied to a rule, and the history of every change.
//! Plain forms with labels and access keys, no script. Supervisors see
//! process facts only (reference number, protocol, dates, rule findings),
//! never answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Form;
use fieldkit_protocols::anonymise::RedactionReport;
use fieldkit_protocols::feedback::{NoteText, ReviewDecision, ReviewState};
use fieldkit_protocols::rules::Rule;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{blocking, esc, layout, protocol_ids, PageError, User};
use crate::access::{allows, Access};
use crate::admin_users::parse_day;
use crate::api::AppState;
use crate::store::{QueueItem, RecordReview, ReviewFilter};

/// The queue's filters as the form sends them.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReviewQuery {
    researcher: Option<String>,
    protocol: Option<String>,
    rule: Option<String>,
    state: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn bad(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::BAD_REQUEST, message)
}

impl ReviewQuery {
    fn filter(&self) -> Result<ReviewFilter, PageError> {
        let day = |v: &Option<String>| given(v).map(parse_day).transpose().map_err(bad);
        Ok(ReviewFilter {
            researcher: given(&self.researcher).map(str::to_owned),
            protocol: given(&self.protocol).map(str::to_owned),
            rule: given(&self.rule)
                .map(str::parse::<Rule>)
                .transpose()
                .map_err(|e| bad(e.to_string()))?,
            state: given(&self.state)
                .map(str::parse::<ReviewState>)
                .transpose()
                .map_err(|e| bad(e.to_string()))?,
            from: day(&self.from)?,
            to: day(&self.to)?,
            ..ReviewFilter::default()
        })
    }

    /// The filters as hidden fields, so a decision returns to the same view.
    fn hidden(&self) -> String {
        self.pairs()
            .map(|(name, value)| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    esc(value)
                )
            })
            .collect()
    }

    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("researcher", &self.researcher),
            ("protocol", &self.protocol),
            ("rule", &self.rule),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(name, value)| given(value).map(|v| (name, v)))
    }
}

fn allowed(user: &User) -> Result<(), PageError> {
    if allows(user.principal().role, Access::ReviewRecords) {
        Ok(())
    } else {
        Err(PageError::forbidden(user.principal(), "review records"))
    }
}

fn options(values: &[(String, String)], selected: Option<&str>, none: &str) -> String {
    let mut html = format!("<option value=\"\">{}</option>", esc(none));
    for (value, label) in values {
        let mark = if Some(value.as_str()) == selected {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            html,
            "<option value=\"{}\"{mark}>{}</option>",
            esc(value),
            esc(label)
        );
    }
    html
}

fn rule_options() -> Vec<(String, String)> {
    Rule::ALL
        .iter()
        .map(|r| (r.id().to_owned(), format!("{} {}", r.id(), r.principle())))
        .collect()
}

fn state_options(states: &[ReviewState]) -> Vec<(String, String)> {
    states
        .iter()
        .map(|s| (s.id().to_owned(), s.label().to_owned()))
        .collect()
}

/// The decision controls shared by the queue and a record's page.
fn decision_form(user: &User, hidden: &str, draft: &str) -> String {
    format!(
        "<fieldset id=\"decision\"><legend>Decision</legend>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{hidden}\
         <label>Mark as <select name=\"decide\" id=\"decide\" accesskey=\"m\">{states}</select></label> \
         <label>About rule <select name=\"note_rule\" id=\"note-rule\">{rules}</select></label>\
         <label class=\"note\">Note to the researcher (required to reject or flag; \
         phone numbers, e-mails and ID numbers are taken out) \
         <textarea name=\"note\" id=\"note\" rows=\"3\" maxlength=\"1000\" accesskey=\"n\">{draft}</textarea></label>\
         <button id=\"apply\" accesskey=\"s\">Apply</button></fieldset>",
        csrf = esc(user.csrf()),
        states = options(
            &state_options(&[ReviewState::Approved, ReviewState::HasIssues, ReviewState::Rejected, ReviewState::Received]),
            None,
            "(keep the state, only add the note)"
        ),
        rules = options(&rule_options(), None, "(no rule)"),
        draft = esc(draft),
    )
}

/// `2026-03-07 14:05 UTC`: to the minute, which is what a person reads.
fn minute(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute())
}

fn rules_cell(rules: &[Rule]) -> String {
    if rules.is_empty() {
        return "<span class=\"muted\">none</span>".to_owned();
    }
    rules
        .iter()
        .map(|r| {
            format!(
                "<abbr class=\"rule\" title=\"{}\">{}</abbr>",
                esc(r.principle()),
                r.id()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn notes_cell(item: &QueueItem) -> String {
    if item.notes == 0 {
        return String::new();
    }
    format!("{} ({} read on the phone)", item.notes, item.acknowledged)
}

struct QueuePage {
    items: Vec<QueueItem>,
    counts: BTreeMap<ReviewState, u64>,
    researchers: Vec<String>,
    protocols: Vec<String>,
}

fn render_queue(
    page: &QueuePage,
    query: &ReviewQuery,
    user: &User,
    notice: &str,
    draft: &str,
) -> String {
    let mut html = String::from(notice);
    html.push_str("<ul id=\"counts\" class=\"counts\">");
    for (state, n) in &page.counts {
        let _ = write!(
            html,
            "<li><a id=\"count-{0}\" href=\"/web/review?state={0}\">{1}: {n}</a></li>",
            state.id(),
            state.label()
        );
    }
    html.push_str("</ul>");
    let pick = |v: &Option<String>| given(v).map(str::to_owned);
    let to_pairs = |v: &[String]| -> Vec<(String, String)> {
        v.iter().map(|x| (x.clone(), x.clone())).collect()
    };
    let _ = write!(
        html,
        "<form class=\"filters\" method=\"get\" action=\"/web/review\">\
         <label>Researcher <select name=\"researcher\" id=\"f-researcher\">{}</select></label>\
         <label>Protocol <select name=\"protocol\" id=\"f-protocol\">{}</select></label>\
         <label>Rule <select name=\"rule\" id=\"f-rule\">{}</select></label>\
         <label>State <select name=\"state\" id=\"f-state\">{}</select></label>\
         <label>Received from <input name=\"from\" type=\"date\" value=\"{}\"></label>\
         <label>to <input name=\"to\" type=\"date\" value=\"{}\"></label>\
         <button id=\"filter\" accesskey=\"f\">Filter</button></form>",
        options(
            &to_pairs(&page.researchers),
            pick(&query.researcher).as_deref(),
            "everyone"
        ),
        options(
            &to_pairs(&page.protocols),
            pick(&query.protocol).as_deref(),
            "every protocol"
        ),
        options(&rule_options(), pick(&query.rule).as_deref(), "any rule"),
        options(
            &state_options(&ReviewState::ALL),
            pick(&query.state).as_deref(),
            "any state"
        ),
        esc(given(&query.from).unwrap_or("")),
        esc(given(&query.to).unwrap_or("")),
    );
    if page.items.is_empty() {
        html.push_str("<p id=\"no-records\">No records match.</p>");
        return html;
    }
    let limit = ReviewFilter::default().limit;
    if page.items.len() as u64 >= u64::from(limit) {
        let _ = write!(
            html,
            "<p class=\"muted\">The first {limit} records in this order; narrow the filters to see others.</p>"
        );
    }
    let _ = write!(
        html,
        "<form method=\"post\" action=\"/web/review/decide\">\
         <p class=\"muted\">Records with rule findings come first. Tick the records to review, \
         then choose a decision below the table. Access keys: Alt+M decision, Alt+N note, Alt+S apply, Alt+F filter.</p>\
         <table id=\"queue\"><tr><th>Review</th><th>Reference</th><th>Researcher</th><th>Protocol</th>\
         <th>Received</th><th>Findings</th><th>State</th><th>Notes</th></tr>"
    );
    for item in &page.items {
        let id = item.record_id;
        let reference = if item.reference.is_empty() {
            "(anonymous refusal)"
        } else {
            &item.reference
        };
        let _ = write!(
            html,
            "<tr><td><input type=\"checkbox\" name=\"record\" value=\"{id}\" id=\"pick-{id}\" \
             aria-label=\"Review {ref_}\"></td>\
             <td><a href=\"/web/review/record?id={id}\">{ref_}</a></td><td>{}</td><td>{} v{}</td>\
             <td>{}</td><td>{}</td><td class=\"state-{}\">{}</td><td>{}</td></tr>",
            esc(&item.researcher),
            esc(&item.protocol_id),
            item.protocol_version,
            item.received_at.date(),
            rules_cell(&item.rules),
            item.state.id(),
            item.state.label(),
            notes_cell(item),
            ref_ = esc(reference),
        );
    }
    html.push_str("</table>");
    html.push_str(&decision_form(user, &query.hidden(), draft));
    html.push_str("</form>");
    html
}

async fn show_queue(
    state: &AppState,
    user: &User,
    query: ReviewQuery,
    notice: String,
    draft: String,
) -> Result<Html<String>, PageError> {
    allowed(user)?;
    let filter = query.filter()?;
    let who = user.principal().clone();
    let page = blocking(state, move |store| {
        let mut researchers: Vec<String> =
            store.devices()?.into_iter().map(|d| d.researcher).collect();
        researchers.sort();
        researchers.dedup();
        Ok(QueuePage {
            items: store.review_queue(&who, &filter)?,
            counts: store.review_counts(&who)?,
            researchers,
            protocols: protocol_ids(store)?,
        })
    })
    .await?;
    Ok(layout(
        "Review",
        Some(user),
        &render_queue(&page, &query, user, &notice, &draft),
    ))
}

pub async fn queue(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ReviewQuery>,
) -> Result<Html<String>, PageError> {
    show_queue(&state, &user, query, String::new(), String::new()).await
}

fn render_record(review: &RecordReview, user: &User, notice: &str, draft: &str) -> String {
    let item = &review.item;
    let mut html = String::from(notice);
    let _ = write!(
        html,
        "<p><a href=\"/web/review\">Back to the queue</a></p>\
         <table id=\"facts\"><tr><th>Reference</th><td>{}</td></tr><tr><th>Researcher</th><td>{}</td></tr>\
         <tr><th>Protocol</th><td>{} v{}</td></tr><tr><th>Received</th><td>{}</td></tr>\
         <tr><th>State</th><td id=\"state\">{}</td></tr></table>",
        esc(&item.reference),
        esc(&item.researcher),
        esc(&item.protocol_id),
        item.protocol_version,
        item.received_at.date(),
        item.state.label()
    );
    html.push_str("<h2>Findings</h2><ul id=\"findings\">");
    for rule in &item.rules {
        let _ = write!(
            html,
            "<li><span class=\"rule\">{}</span> {}</li>",
            rule.id(),
            esc(rule.principle())
        );
    }
    if item.rules.is_empty() {
        html.push_str("<li class=\"muted\">No rule findings.</li>");
    }
    html.push_str("</ul><h2>Notes to the researcher</h2><table id=\"notes\"><tr><th>Rule</th><th>Note</th><th>By</th><th>Written</th><th>On the phone</th></tr>");
    for note in &review.notes {
        let read = note.acknowledged_at.map_or_else(
            || "not read yet".to_owned(),
            |at| format!("read {}", at.date()),
        );
        let _ = write!(
            html,
            "<tr><td class=\"rule\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"ack\">{read}</td></tr>",
            note.rule.map_or("", Rule::id),
            esc(note.text.as_str()),
            esc(&note.author),
            note.written_at.date(),
        );
    }
    if review.notes.is_empty() {
        html.push_str("<tr><td colspan=\"5\">No notes yet.</td></tr>");
    }
    html.push_str("</table><form method=\"post\" action=\"/web/review/decide\">");
    let hidden = format!(
        "<input type=\"hidden\" name=\"record\" value=\"{}\"><input type=\"hidden\" name=\"back\" value=\"record\">",
        item.record_id
    );
    html.push_str(&decision_form(user, &hidden, draft));
    html.push_str("</form><h2>History</h2><table id=\"history\"><tr><th>When</th><th>Who</th><th>What</th></tr>");
    for event in &review.history {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            minute(event.at),
            esc(&event.actor),
            esc(&event.change)
        );
    }
    html.push_str("</table>");
    html
}

async fn show_record(
    state: &AppState,
    user: &User,
    record_id: Uuid,
    notice: String,
    draft: String,
) -> Result<Html<String>, PageError> {
    allowed(user)?;
    let who = user.principal().clone();
    let review = blocking(
        state,
        move |store| Ok(store.record_review(&who, record_id)?),
    )
    .await?
    .ok_or_else(|| {
        PageError::new(
            StatusCode::NOT_FOUND,
            "no stored record has that id; it may have been withdrawn (R9)",
        )
    })?;
    Ok(layout(
        &format!("Record {}", review.item.reference),
        Some(user),
        &render_record(&review, user, &notice, &draft),
    ))
}

#[derive(Deserialize)]
pub struct RecordQuery {
    id: String,
}

pub async fn record(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<RecordQuery>,
) -> Result<Html<String>, PageError> {
    let id = parse_record(&query.id)?;
    show_record(&state, &user, id, String::new(), String::new()).await
}

fn parse_record(text: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(text.trim()).map_err(|_| bad(format!("`{text}` is not a record id")))
}

/// The decision form, read by hand: ticked records repeat the `record` key.
#[derive(Debug, Default)]
struct DecideForm {
    csrf: String,
    records: Vec<String>,
    decide: String,
    note_rule: String,
    note: String,
    back_to_record: bool,
    query: ReviewQuery,
}

impl DecideForm {
    fn read(pairs: Vec<(String, String)>) -> DecideForm {
        let mut form = DecideForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "record" => form.records.push(value),
                "decide" => form.decide = value,
                "note_rule" => form.note_rule = value,
                "note" => form.note = value,
                "back" => form.back_to_record = value == "record",
                "researcher" => form.query.researcher = Some(value),
                "protocol" => form.query.protocol = Some(value),
                "rule" => form.query.rule = Some(value),
                "state" => form.query.state = Some(value),
                "from" => form.query.from = Some(value),
                "to" => form.query.to = Some(value),
                _ => {}
            }
        }
        form
    }

    /// The decision, or what the supervisor must fix.
    fn decision(&self) -> Result<(Vec<Uuid>, ReviewDecision, RedactionReport), String> {
        let records = self
            .records
            .iter()
            .map(|r| Uuid::parse_str(r).map_err(|_| format!("`{r}` is not a record id")))
            .collect::<Result<Vec<_>, _>>()?;
        if records.is_empty() {
            return Err("Tick at least one record to review.".into());
        }
        let state = Some(self.decide.trim())
            .filter(|s| !s.is_empty())
            .map(str::parse::<ReviewState>)
            .transpose()
            .map_err(|e| e.to_string())?;
        let rule = Some(self.note_rule.trim())
            .filter(|s| !s.is_empty())
            .map(str::parse::<Rule>)
            .transpose()
            .map_err(|e| e.to_string())?;
        let (note, report) = if self.note.trim().is_empty() {
            (None, RedactionReport::default())
        } else {
            let (text, report) = NoteText::scrubbed(&self.note).map_err(|e| e.to_string())?;
            (Some((rule, text)), report)
        };
        let decision = ReviewDecision::new(state, note).map_err(|e| e.to_string())?;
        Ok((records, decision, report))
    }
}

fn done_notice(changed: usize, decision: &ReviewDecision, report: &RedactionReport) -> String {
    let mut text = match decision.state() {
        Some(state) => format!(
            "{changed} record{} marked {}.",
            if changed == 1 { "" } else { "s" },
            state.label().to_lowercase()
        ),
        None => format!(
            "A note was added to {changed} record{}.",
            if changed == 1 { "" } else { "s" }
        ),
    };
    if decision.note().is_some() {
        text.push_str(" The researcher's phone receives the note at its next sync.");
    }
    let taken = report.phones + report.emails + report.id_numbers + report.names;
    if taken > 0 {
        let _ = write!(
            text,
            " {taken} identifying detail{} (phone numbers, e-mails, ID numbers) {} taken out of the note (R21).",
            if taken == 1 { "" } else { "s" },
            if taken == 1 { "was" } else { "were" }
        );
    }
    format!("<p class=\"caveat\" id=\"notice\">{}</p>", esc(&text))
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Html<String>, PageError> {
    let form = DecideForm::read(pairs);
    user.check_csrf(&form.csrf)?;
    allowed(&user)?;
    let back = if form.back_to_record {
        form.records.first().map(|r| parse_record(r)).transpose()?
    } else {
        None
    };
    let (notice, draft) = match form.decision() {
        Err(message) => (
            format!(
                "<p class=\"warning\" id=\"notice\" role=\"alert\">{}</p>",
                esc(&message)
            ),
            form.note.clone(),
        ),
        Ok((records, decision, report)) => {
            let who = user.principal().clone();
            let d = decision.clone();
            let changed = blocking(&state, move |store| {
                Ok(store.review_records(&who, &records, &d, OffsetDateTime::now_utc())?)
            })
            .await?;
            (
                done_notice(changed.len(), &decision, &report),
                String::new(),
            )
        }
    };
    match back {
        Some(record_id) => show_record(&state, &user, record_id, notice, draft).await,
        None => show_queue(&state, &user, form.query, notice, draft).await,
    }
}
