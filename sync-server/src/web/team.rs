//! The team view for supervisors: per researcher, sessions, completions,
//! stops, refusals and deviations per 10 sessions by rule, a small chart of
//! the last weeks, and quality flags explained in plain words. Numbers come
//! from `team_stats`; answers are read only on the server, to compare
//! sessions' patterns, and never shown; each opening is audited (R22).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use axum::extract::State;
use axum::response::Html;
use fieldkit_protocols::anonymise::DURATION_STEP_MINUTES;
use fieldkit_protocols::engine::StopReason;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::team_stats::{self, ResearcherStats, SessionLine, WEEKS};
use super::{blocking, esc, layout, protocol_ids, PageError, User};
use crate::access::{allows, Access, Principal};
use crate::api::AppState;
use crate::export::facts::{Answer, SessionFacts};
use crate::export::{for_each_session, latest_protocol, ExportError};
use crate::store::Store;

/// A digest of the given answers and how many there were: enough to see
/// that two sessions are identical, nothing to read an answer back from.
fn pattern(facts: &SessionFacts) -> Option<(u64, usize)> {
    let mut hasher = DefaultHasher::new();
    let mut given = 0;
    for (index, answer) in facts.answers.iter().enumerate() {
        if let Some(Answer::Given(value)) = answer {
            index.hash(&mut hasher);
            serde_json::to_string(value).ok()?.hash(&mut hasher);
            given += 1;
        }
    }
    (given > 0).then(|| (hasher.finish(), given))
}

fn gather(
    store: &dyn Store,
    who: &Principal,
    now: OffsetDateTime,
) -> Result<BTreeMap<String, ResearcherStats>, ExportError> {
    let researchers: HashMap<Uuid, String> = store
        .devices()?
        .into_iter()
        .map(|d| (d.device_id, d.researcher))
        .collect();
    let mut lines = Vec::new();
    let mut days: HashMap<Uuid, Date> = HashMap::new();
    for id in protocol_ids(store)? {
        let (protocol, _) = latest_protocol(store, &id)?;
        // The patterns below are computed from answers, so this read is
        // audited like an analyst's, before the first record is read (R22).
        store.audit(who, "view:team", &id, now)?;
        for_each_session(store, who, &protocol, false, "view:team", now, &mut |f| {
            let researcher = researchers
                .get(&f.record.device_id)
                .cloned()
                .unwrap_or_else(|| f.record.device_id.to_string());
            days.insert(f.record.record_id, f.started.date());
            lines.push(SessionLine {
                researcher,
                protocol_id: id.clone(),
                day: f.started.date(),
                completed: f.completed,
                refused: f.consents_refused > 0 || f.stop == Some(StopReason::Refused),
                stopped: f.stop.is_some_and(|s| s != StopReason::Refused),
                pattern: pattern(f),
                minutes: f.record.duration_minutes,
            });
            Ok(())
        })?;
    }
    let findings: Vec<_> = store
        .compliance_findings(who)?
        .into_iter()
        .map(|f| {
            let day = days.get(&f.record_id).copied().unwrap_or(now.date());
            (f.researcher, f.rule, day)
        })
        .collect();
    Ok(team_stats::team(&lines, &findings, now.date()))
}

/// Bars of sessions per week, the deviations of each week in red beside.
fn trend_svg(researcher: &str, stats: &ResearcherStats) -> String {
    let max = stats
        .weeks
        .iter()
        .map(|(_, s, d)| (*s).max(*d))
        .max()
        .unwrap_or(0)
        .max(1);
    let sessions: Vec<String> = stats.weeks.iter().map(|(_, s, _)| s.to_string()).collect();
    let deviations: Vec<String> = stats.weeks.iter().map(|(_, _, d)| d.to_string()).collect();
    let label = format!(
        "{researcher}, the last {WEEKS} weeks from {}: sessions {}; deviations {}",
        stats
            .weeks
            .first()
            .map_or(String::new(), |w| w.0.to_string()),
        sessions.join(", "),
        deviations.join(", ")
    );
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\" width=\"{}\" height=\"44\" role=\"img\" aria-label=\"{}\"><title>{}</title>\
         <line x1=\"0\" y1=\"40.5\" x2=\"{}\" y2=\"40.5\" stroke=\"#999\"/>",
        WEEKS * 20,
        esc(&label),
        esc(&label),
        WEEKS * 20
    );
    for (i, (_, s, d)) in stats.weeks.iter().enumerate() {
        let x = i * 20 + 2;
        let h = |n: u64| 38 * n / max;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"{}\" fill=\"#457b9d\"/>\
             <rect x=\"{}\" y=\"{}\" width=\"5\" height=\"{}\" fill=\"#c1121f\"/>",
            40 - h(*s),
            h(*s),
            x + 11,
            40 - h(*d),
            h(*d)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn render(team: &BTreeMap<String, ResearcherStats>) -> String {
    let mut html = String::from(
        "<p class=\"caveat\">These numbers and flags are for a conversation with the researcher, \
         never an automatic sanction: each flag says what was seen and what else could explain it.</p>\
         <table id=\"team\"><tr><th>Researcher</th><th>Sessions</th><th>Completed</th><th>Stops</th>\
         <th>Refusals</th><th>Deviations per 10 sessions</th>\
         <th>Last weeks (blue: sessions, red: deviations)</th></tr>",
    );
    for (researcher, s) in team {
        let rates = if s.deviations.is_empty() {
            "<span class=\"muted\">none</span>".to_owned()
        } else {
            s.deviations
                .keys()
                .map(|rule| {
                    format!(
                        "<abbr class=\"rule\" title=\"{}\">{}</abbr> {:.1}",
                        esc(rule.principle()),
                        rule.id(),
                        s.per_ten(*rule)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{rates}</td><td>{}</td></tr>",
            esc(researcher),
            s.sessions,
            s.completions,
            s.stops,
            s.refusals,
            trend_svg(researcher, s)
        );
    }
    if team.is_empty() {
        html.push_str("<tr><td colspan=\"7\">No records have been received yet.</td></tr>");
    }
    html.push_str("</table><h2>Quality flags</h2><ul id=\"flags\">");
    let mut any = false;
    for (researcher, s) in team {
        for flag in &s.flags {
            any = true;
            let _ = write!(
                html,
                "<li><strong>{}</strong>: {}</li>",
                esc(researcher),
                esc(&flag.explain())
            );
        }
    }
    if !any {
        html.push_str("<li class=\"muted\">Nothing stands out.</li>");
    }
    let _ = write!(
        html,
        "</ul><p class=\"muted\">A busy day is at least {} sessions and twice the team's usual working day. \
         Identical answers count only sessions with at least {} given answers; the answers are compared on \
         the server and never shown here. Interviews are short when a researcher's median completed interview \
         of a protocol (at least {} of them) takes at most {}% of the team's median for it (at least {} \
         interviews); the phone sends each interview's length in steps of {} minutes, never its times (R21), \
         and interviews from phones that do not send it are left out. Opening this page is written to the \
         audit log (R22).</p>",
        team_stats::BUSY_DAY_MIN,
        team_stats::PATTERN_MIN_ANSWERS,
        team_stats::SHORT_MIN_OWN,
        team_stats::SHORT_SHARE_PERCENT,
        team_stats::SHORT_MIN_TEAM,
        DURATION_STEP_MINUTES
    );
    html
}

pub async fn page(State(state): State<AppState>, user: User) -> Result<Html<String>, PageError> {
    if !allows(user.principal().role, Access::ReviewRecords) {
        return Err(PageError::forbidden(user.principal(), "see the team view"));
    }
    let who = user.principal().clone();
    let body = blocking(&state, move |store| {
        Ok(render(&gather(store, &who, OffsetDateTime::now_utc())?))
    })
    .await?;
    Ok(layout("Team", Some(&user), &body))
}
