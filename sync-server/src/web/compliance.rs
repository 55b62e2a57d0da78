//! The supervisor's compliance overview (per researcher and protocol) and
//! the deviation log, each deviation named by rule with the manual's
//! principle in plain words. Supervisors see process facts, never answers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Html;
use fieldkit_protocols::engine::StopReason;
use fieldkit_protocols::model::Respondents;
use time::OffsetDateTime;

use super::{blocking, esc, layout, PageError, User};
use crate::access::{allows, Access};
use crate::api::AppState;
use crate::export::{for_each_session, latest_protocol, ExportError};
use crate::store::{ComplianceFinding, Store};

/// One row of the overview.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Row {
    pub sessions: u64,
    pub consents_given: u64,
    pub refusals: u64,
    pub screening_stops: u64,
    pub other_stops: u64,
    pub rapport: u64,
    pub amendments: u64,
    pub others_present: u64,
    pub language_mismatch: u64,
    /// Child sessions no key-informant session links to (R12).
    pub missing_cross_checks: u64,
}

/// Everything the page shows, computed from the store.
#[derive(Debug, Default)]
pub struct Overview {
    /// (protocol id, researcher) → counts
    pub rows: BTreeMap<(String, String), Row>,
    /// (protocol, researcher, record, question, reason)
    pub amendments: Vec<(String, String, String, String, String)>,
    pub findings: Vec<ComplianceFinding>,
}

pub fn overview(
    store: &dyn Store,
    who: &crate::access::Principal,
) -> Result<Overview, ExportError> {
    let now = OffsetDateTime::now_utc();
    let researchers: HashMap<String, String> = store
        .devices()?
        .into_iter()
        .map(|d| (d.device_id.to_string(), d.researcher))
        .collect();
    let mut ids: Vec<String> = store
        .protocols()?
        .into_iter()
        .map(|p| p.protocol_id)
        .collect();
    ids.dedup();
    let mut out = Overview {
        findings: store.compliance_findings(who)?,
        ..Overview::default()
    };
    // Child references that some key-informant session cross-checks (R12),
    // and child sessions, to compare once every protocol is read.
    let mut linked: HashSet<String> = HashSet::new();
    let mut child_sessions: Vec<(String, String, String)> = Vec::new();
    for id in &ids {
        let (protocol, _) = latest_protocol(store, id)?;
        let children = protocol.respondents() == Respondents::Children;
        for_each_session(
            store,
            who,
            &protocol,
            false,
            "view:compliance",
            now,
            &mut |f| {
                let device = f.record.device_id.to_string();
                let researcher = researchers.get(&device).cloned().unwrap_or(device);
                let row = out
                    .rows
                    .entry((id.clone(), researcher.clone()))
                    .or_default();
                row.sessions += 1;
                row.consents_given += u64::from(f.consents_given);
                row.refusals +=
                    u64::from(f.consents_refused > 0 || f.stop == Some(StopReason::Refused));
                row.screening_stops += u64::from(f.stop == Some(StopReason::ScreeningPositive));
                row.other_stops += u64::from(f.stop.is_some_and(|s| {
                    !matches!(s, StopReason::ScreeningPositive | StopReason::Refused)
                }));
                row.rapport += u64::from(f.rapport);
                row.amendments += f.amendments.len() as u64;
                row.others_present += u64::from(!f.others_present.is_empty());
                row.language_mismatch += u64::from(f.language_mismatch());
                for (question, reason) in &f.amendments {
                    out.amendments.push((
                        id.clone(),
                        researcher.clone(),
                        f.record.record_id.to_string(),
                        question.clone(),
                        reason.clone(),
                    ));
                }
                if let Some(child) = &f.linked_child {
                    linked.insert(child.clone());
                }
                if children && !f.record.respondent.is_empty() && f.consents_given > 0 {
                    child_sessions.push((id.clone(), researcher, f.record.respondent.clone()));
                }
                Ok(())
            },
        )?;
    }
    for (protocol, researcher, respondent) in child_sessions {
        if !linked.contains(&respondent) {
            if let Some(row) = out.rows.get_mut(&(protocol, researcher)) {
                row.missing_cross_checks += 1;
            }
        }
    }
    Ok(out)
}

fn render(o: &Overview) -> String {
    let mut html = String::from(
        "<h2>Overview per protocol and researcher</h2><table id=\"overview\"><tr><th>Protocol</th><th>Researcher</th>\
         <th>Sessions</th><th>Consents given (R1, R2)</th><th>Refusals (R9)</th><th>Stopped at screening (R5)</th>\
         <th>Other stops (R9)</th><th>Rapport confirmed (R6, R13)</th><th>Amendments (R7)</th>\
         <th>Others present (R8)</th><th>Language mismatch (R14)</th><th>Missing cross-checks (R12)</th></tr>",
    );
    for ((protocol, researcher), r) in &o.rows {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td>{}</tr>",
            esc(protocol),
            esc(researcher),
            [
                r.sessions,
                r.consents_given,
                r.refusals,
                r.screening_stops,
                r.other_stops,
                r.rapport,
                r.amendments,
                r.others_present,
                r.language_mismatch,
                r.missing_cross_checks,
            ]
            .iter()
            .map(|n| format!("<td class=\"n\">{n}</td>"))
            .collect::<String>()
        );
    }
    if o.rows.is_empty() {
        html.push_str("<tr><td colspan=\"12\">No records have been received yet.</td></tr>");
    }
    html.push_str("</table><p class=\"muted\">A missing cross-check is a child interview whose reference number no key-informant session links to (R12: cross-check with parents, teachers, social workers).</p>");
    html.push_str("<h2>Amendments and their reasons (R7)</h2><table id=\"amendments\"><tr><th>Protocol</th><th>Researcher</th><th>Record</th><th>Question</th><th>Reason given</th></tr>");
    for (p, r, rec, q, reason) in &o.amendments {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p),
            esc(r),
            esc(rec),
            esc(q),
            esc(reason)
        );
    }
    html.push_str("</table><h2>Deviation log</h2><table id=\"deviations\"><tr><th>Rule</th><th>The manual's principle</th><th>What happened</th><th>Researcher</th><th>Protocol</th><th>Record</th></tr>");
    for f in &o.findings {
        let _ = write!(
            html,
            "<tr><td class=\"rule\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} v{}</td><td>{}</td></tr>",
            f.rule.id(),
            esc(f.rule.principle()),
            esc(&f.message),
            esc(&f.researcher),
            esc(&f.protocol_id),
            f.protocol_version,
            f.record_id
        );
    }
    if o.findings.is_empty() {
        html.push_str("<tr><td colspan=\"6\">No deviations noted.</td></tr>");
    }
    html.push_str("</table>");
    html
}

pub async fn page(State(state): State<AppState>, user: User) -> Result<Html<String>, PageError> {
    if !allows(user.principal().role, Access::ReadCompliance) {
        return Err(PageError::forbidden(user.principal(), "read compliance"));
    }
    let who = user.principal().clone();
    let body = blocking(&state, move |store| Ok(render(&overview(store, &who)?))).await?;
    Ok(layout("Compliance", Some(&user), &body))
}
