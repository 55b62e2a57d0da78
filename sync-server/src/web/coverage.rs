//! The observation coverage map: sessions by weekday and hour against the
//! protocol's time windows, so gaps show (R20: trafficking is not nine to five).

use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Html;
use fieldkit_protocols::model::{TimeWindow, Weekday};
use fieldkit_protocols::Protocol;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{blocking, esc, layout, protocol_ids, protocol_picker, PageError, User};
use crate::access::{allows, Access, Principal};
use crate::api::AppState;
use crate::export::{for_each_session, latest_protocol, ExportError};
use crate::store::Store;

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Mon"),
    (Weekday::Tue, "Tue"),
    (Weekday::Wed, "Wed"),
    (Weekday::Thu, "Thu"),
    (Weekday::Fri, "Fri"),
    (Weekday::Sat, "Sat"),
    (Weekday::Sun, "Sun"),
];

fn day_index(day: Weekday) -> usize {
    DAYS.iter().position(|(d, _)| *d == day).unwrap_or(0)
}

fn hour(text: &str) -> Option<usize> {
    text.split(':')
        .next()?
        .parse()
        .ok()
        .filter(|h: &usize| *h < 24)
}

/// Whether the hour starting at `h` on `day` lies in a window; a window
/// that crosses midnight continues on the next day.
pub fn in_window(windows: &[TimeWindow], day: usize, h: usize) -> bool {
    windows.iter().any(|w| {
        let (Some(start), Some(end)) = (hour(&w.start), hour(&w.end)) else {
            return false;
        };
        let on = |d: usize| w.days.iter().any(|wd| day_index(*wd) == d);
        if start <= end {
            on(day) && h >= start && h < end.max(start + 1)
        } else {
            (on(day) && h >= start) || (on((day + 6) % 7) && h < end)
        }
    })
}

/// Sessions per `[weekday][hour]`.
pub fn coverage(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
) -> Result<[[u64; 24]; 7], ExportError> {
    let mut grid = [[0u64; 24]; 7];
    for_each_session(
        store,
        who,
        protocol,
        false,
        "view:coverage",
        OffsetDateTime::now_utc(),
        &mut |f| {
            let day = f.weekday.map_or_else(
                || usize::from(f.started.weekday().number_days_from_monday()),
                day_index,
            );
            grid[day][usize::from(f.started.hour())] += 1;
            Ok(())
        },
    )?;
    Ok(grid)
}

fn render(protocol: &Protocol, grid: &[[u64; 24]; 7]) -> String {
    let windows = protocol
        .observation
        .as_ref()
        .map_or(&[][..], |o| &o.time_windows[..]);
    let mut html = String::from("<p>Green: inside a planned time window. Red: a planned hour with no observation yet (a gap, R20).</p><table id=\"coverage\"><tr><th></th>");
    for h in 0..24 {
        let _ = write!(html, "<th>{h:02}</th>");
    }
    html.push_str("</tr>");
    let mut gaps = 0;
    for (d, (_, name)) in DAYS.iter().enumerate() {
        let _ = write!(html, "<tr><th>{name}</th>");
        for (h, n) in grid[d].iter().enumerate() {
            let planned = in_window(windows, d, h);
            let class = match (planned, *n) {
                (true, 0) => {
                    gaps += 1;
                    " class=\"gap\""
                }
                (true, _) => " class=\"window\"",
                _ => "",
            };
            let _ = write!(
                html,
                "<td{class}>{}</td>",
                if *n == 0 {
                    String::new()
                } else {
                    n.to_string()
                }
            );
        }
        html.push_str("</tr>");
    }
    let _ = write!(
        html,
        "</table><p id=\"gaps\">{gaps} planned hour(s) not yet covered.</p>"
    );
    let lang = protocol.default_language();
    html.push_str("<h2>Planned windows</h2><ul>");
    for w in windows {
        let days: Vec<&str> = w.days.iter().map(|d| DAYS[day_index(*d)].1).collect();
        let _ = write!(
            html,
            "<li>{}: {} {}-{}</li>",
            esc(w.label.show(lang)),
            days.join(", "),
            esc(&w.start),
            esc(&w.end)
        );
    }
    html.push_str("</ul>");
    html
}

#[derive(Debug, Deserialize)]
pub struct CoverageQuery {
    protocol: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<CoverageQuery>,
) -> Result<Html<String>, PageError> {
    if !allows(user.principal().role, Access::ReadCompliance) {
        return Err(PageError::forbidden(user.principal(), "read compliance"));
    }
    let who = user.principal().clone();
    let body = blocking(&state, move |store| {
        let mut observed = Vec::new();
        for id in protocol_ids(store)? {
            if latest_protocol(store, &id)?.0.observation.is_some() {
                observed.push(id);
            }
        }
        let Some(id) = query.protocol.or_else(|| observed.first().cloned()) else {
            return Ok("<p>No observation protocol is published.</p>".to_owned());
        };
        let (protocol, _) = latest_protocol(store, &id)?;
        let grid = coverage(store, &who, &protocol)?;
        Ok(format!(
            "{}{}",
            protocol_picker(&observed, &id, "/web/coverage", ""),
            render(&protocol, &grid)
        ))
    })
    .await?;
    Ok(layout("Observation coverage", Some(&user), &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport_hub() -> Protocol {
        fieldkit_protocols::library::load_all()
            .into_iter()
            .find(|p| p.observation.is_some())
            .expect("the library ships an observation protocol")
    }

    #[test]
    fn a_night_window_continues_past_midnight_into_the_next_day() {
        let protocol = transport_hub();
        let windows = &protocol.observation.as_ref().unwrap().time_windows;
        let sat = day_index(Weekday::Sat);
        let sun = day_index(Weekday::Sun);
        // Saturday 21:00-04:00 covers Saturday 23h and Sunday 02h.
        assert!(in_window(windows, sat, 23));
        assert!(in_window(windows, sun, 2));
        let night = TimeWindow {
            label: windows[0].label.clone(),
            days: vec![Weekday::Fri],
            start: "22:00".into(),
            end: "02:00".into(),
        };
        let only_night = std::slice::from_ref(&night);
        assert!(in_window(only_night, day_index(Weekday::Fri), 22));
        assert!(in_window(only_night, day_index(Weekday::Sat), 1));
        assert!(!in_window(only_night, day_index(Weekday::Sat), 2));
        assert!(!in_window(only_night, day_index(Weekday::Fri), 1));
    }

    #[test]
    fn every_planned_hour_without_an_observation_is_a_gap() {
        let protocol = transport_hub();
        let windows = &protocol.observation.as_ref().unwrap().time_windows;
        let planned: usize = (0..7)
            .map(|d| (0..24).filter(|h| in_window(windows, d, *h)).count())
            .sum();
        let mut grid = [[0u64; 24]; 7];
        let empty = render(&protocol, &grid);
        assert!(
            empty.contains(&format!("{planned} planned hour(s) not yet covered")),
            "{empty}"
        );
        // One observation on a planned hour (Monday 05h) closes one gap and shows its count.
        grid[day_index(Weekday::Mon)][5] = 3;
        let one = render(&protocol, &grid);
        assert!(one.contains(&format!("{} planned hour(s) not yet covered", planned - 1)));
        assert!(one.contains("<td class=\"window\">3</td>"), "{one}");
    }
}
