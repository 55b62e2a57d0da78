//! The audit log, readable (R22): admins see every entry; supervisors see
//! who read answers (exports, downloads, table views) in their project.
//! Filters by who, what and when; the same entries download as CSV.

use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{blocking, esc, layout, PageError, User};
use crate::access::{allows, Access};
use crate::admin_users::{audit_csv, parse_day};
use crate::api::AppState;
use crate::store::{AuditEntry, AuditFilter};

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    who: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, PageError> {
        let day = |text: &Option<String>| {
            text.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(parse_day)
                .transpose()
                .map_err(|m| PageError::new(StatusCode::BAD_REQUEST, m))
        };
        Ok(AuditFilter {
            who: self.who.clone(),
            action: self.action.clone(),
            from: day(&self.from)?,
            to: day(&self.to)?,
            ..AuditFilter::default()
        })
    }

    /// The filters again, for the CSV link.
    fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("who", &self.who),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.push(format!("{name}={}", url_encode(v)));
            }
        }
        pairs.join("&amp;")
    }
}

fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn allowed(user: &User) -> Result<bool, PageError> {
    let role = user.principal().role;
    if allows(role, Access::ReadAuditLog) {
        Ok(true)
    } else if allows(role, Access::ReadDataAudit) {
        Ok(false)
    } else {
        Err(PageError::forbidden(user.principal(), "read the audit log"))
    }
}

fn render(entries: &[AuditEntry], query: &AuditQuery, everything: bool, limit: u32) -> String {
    let value = |v: &Option<String>| esc(v.as_deref().unwrap_or(""));
    let mut html = String::new();
    if !everything {
        html.push_str(
            "<p class=\"muted\">As a supervisor you see who read answers: exports, downloads and \
             table views. Logins and account changes are for admins.</p>",
        );
    }
    let _ = write!(
        html,
        "<form class=\"filters\" method=\"get\" action=\"/web/audit\">\
         <label>Who <input name=\"who\" id=\"who\" value=\"{}\" placeholder=\"login or device id\"></label>\
         <label>What <input name=\"action\" id=\"action\" value=\"{}\" placeholder=\"export, login_failed\"></label>\
         <label>From <input name=\"from\" type=\"date\" value=\"{}\"></label>\
         <label>To <input name=\"to\" type=\"date\" value=\"{}\"></label>\
         <button id=\"filter\">Filter</button></form>\
         <p><a id=\"audit-csv\" href=\"/web/audit.csv?{}\">Download these entries as CSV</a></p>",
        value(&query.who),
        value(&query.action),
        value(&query.from),
        value(&query.to),
        query.query_string()
    );
    if entries.is_empty() {
        html.push_str("<p id=\"no-entries\">No entries match.</p>");
        return html;
    }
    if entries.len() as u64 >= u64::from(limit) {
        let _ = write!(
            html,
            "<p class=\"muted\">The newest {limit} entries; narrow the filters, or download the CSV, to see others.</p>"
        );
    }
    html.push_str(
        "<table id=\"audit\"><tr><th>When (UTC)</th><th>Who</th><th>What</th><th>On</th><th>From</th></tr>",
    );
    for e in entries {
        let _ = write!(
            html,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.at.date(),
            e.at.time()
                .format(&time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
                .unwrap_or_default(),
            esc(&e.actor),
            esc(&e.action),
            esc(&e.target),
            esc(e.source.as_deref().unwrap_or(""))
        );
    }
    html.push_str("</table>");
    html
}

pub async fn page(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AuditQuery>,
) -> Result<Html<String>, PageError> {
    let everything = allowed(&user)?;
    let filter = query.filter()?;
    let limit = filter.limit;
    let who = user.principal().clone();
    let entries = blocking(&state, move |store| Ok(store.audit_entries(&who, &filter)?)).await?;
    Ok(layout(
        "Audit log",
        Some(&user),
        &render(&entries, &query, everything, limit),
    ))
}

/// Every matching entry (up to 100,000) as CSV; the download is audited.
pub async fn csv(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    allowed(&user)?;
    let filter = AuditFilter {
        limit: 100_000,
        ..query.filter()?
    };
    let who = user.principal().clone();
    let text = blocking(&state, move |store| {
        Ok(audit_csv(store, &who, &filter, OffsetDateTime::now_utc())?)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fieldkit-audit.csv\"",
            ),
        ],
        text,
    )
        .into_response())
}
