//! The server's time, as every answer's `Date` header gives it (issue 14).
//! Field phones often have wrong clocks (a flat battery resets them), and
//! every session is dated by the phone's clock, so each sync compares the
//! two and the home screen warns the researcher before the next session
//! when they differ by more than the server tolerates
//! ([`CLOCK_TOLERANCE`]).

use fieldkit_protocols::wire::CLOCK_TOLERANCE;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// One comparison: the server's time and the phone's, at the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockCheck {
    pub server: OffsetDateTime,
    pub phone: OffsetDateTime,
}

impl ClockCheck {
    /// How far the phone's clock is ahead of the server's (negative: behind).
    pub fn phone_ahead_by(&self) -> Duration {
        self.phone - self.server
    }

    /// Off by more than the server tolerates: the researcher must fix it.
    pub fn is_off(&self) -> bool {
        self.phone_ahead_by().abs() > CLOCK_TOLERANCE
    }

    /// The check as the vault keeps it: two RFC 3339 times.
    pub fn to_text(&self) -> String {
        let show = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
        format!("{} {}", show(self.server), show(self.phone))
    }

    pub fn from_text(text: &str) -> Option<ClockCheck> {
        let (server, phone) = text.split_once(' ')?;
        Some(ClockCheck {
            server: OffsetDateTime::parse(server, &Rfc3339).ok()?,
            phone: OffsetDateTime::parse(phone, &Rfc3339).ok()?,
        })
    }
}

/// An HTTP date (`Wed, 02 Dec 2026 11:21:34 GMT`), as servers send it.
pub(super) fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn http_dates_are_read_and_a_clock_off_by_more_than_the_tolerance_is_off() {
        let server = parse_http_date("Wed, 02 Dec 2026 11:21:34 GMT").unwrap();
        assert_eq!(server, datetime!(2026-12-02 11:21:34 UTC));
        assert_eq!(parse_http_date("yesterday"), None);
        let near = ClockCheck {
            server,
            phone: server + CLOCK_TOLERANCE,
        };
        assert!(!near.is_off());
        let behind = ClockCheck {
            server,
            phone: datetime!(2000-01-01 00:00 UTC),
        };
        assert!(behind.is_off());
        assert!(behind.phone_ahead_by().is_negative());
        assert_eq!(ClockCheck::from_text(&behind.to_text()), Some(behind));
    }
}
