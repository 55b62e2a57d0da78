//! The settings `version`, as pyxform reads it (any text), mapped to the
//! whole number a Fieldkit version is. The mapping is deterministic and keeps
//! order, so a later form version maps to a larger number:
//!
//! - a whole number stays itself: `3` -> 3;
//! - a date, or a date and time (typed text, a spreadsheet date, or a
//!   timestamp of digits such as `202405061230`) -> `YYYYMMDD`: 20240506;
//! - dotted numbers (`1.2`, `v2.0.1`) -> major x 1,000,000 + minor x 1,000 +
//!   patch: 1002000, 2000001.
//!
//! Anything else is refused with what to write instead.

use time::{Date, Month};

/// The version number and, when it was mapped, how (for the checklist).
pub(crate) fn read(written: &str) -> Result<(u32, Option<String>), String> {
    let text = written.trim();
    if let Ok(n) = text.parse::<u32>() {
        return Ok((n, None));
    }
    if let Some(date) = date_prefix(text) {
        let n = date_number(date);
        return Ok((
            n,
            Some(format!("is a date; Fieldkit versions are whole numbers, so it became {n} (YYYYMMDD). Two versions on one day need a version you set yourself")),
        ));
    }
    let runs: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
        .collect();
    let letters_only_around = text
        .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == ' ')
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.');
    if letters_only_around && (1..=3).contains(&runs.len()) {
        let parts: Option<Vec<u32>> = runs.iter().map(|r| r.parse().ok()).collect();
        match parts.as_deref() {
            Some([only]) => {
                return Ok((
                    *only,
                    Some(format!(
                        "became {only}: Fieldkit versions are whole numbers"
                    )),
                ))
            }
            Some(parts) if parts.iter().all(|p| *p < 1000) && parts[0] < 4000 => {
                let n = parts
                    .iter()
                    .chain(std::iter::repeat(&0))
                    .take(3)
                    .fold(0u32, |n, p| n * 1000 + p);
                return Ok((
                    n,
                    Some(format!("became {n} (major x 1,000,000 + minor x 1,000 + patch): Fieldkit versions are whole numbers")),
                ));
            }
            _ => {}
        }
    }
    Err(format!(
        "version `{text}` cannot be read as a version: write a whole number (1, 2, 3...), a date (2024-05-06) or a dotted number (1.2.0)"
    ))
}

/// A date at the start of `text`: `2024-05-06...`, `20240506...` (8 to 14
/// digits), or a spreadsheet serial date `45417.3953...`.
fn date_prefix(text: &str) -> Option<Date> {
    let digits = |s: &str| s.parse::<u32>().ok();
    let ymd = |y: u32, m: u32, d: u32| {
        let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
        (1900..3000)
            .contains(&y)
            .then(|| {
                Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
            })
            .flatten()
    };
    let bytes = text.as_bytes();
    if text.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        let rest = &text[10..];
        if rest.is_empty() || rest.starts_with([' ', 'T']) {
            return ymd(
                digits(&text[..4])?,
                digits(&text[5..7])?,
                digits(&text[8..10])?,
            );
        }
    }
    if (8..=14).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(
            digits(&text[..4])?,
            digits(&text[4..6])?,
            digits(&text[6..8])?,
        );
    }
    // A spreadsheet date: days since 1899-12-30, with the time as a fraction.
    let (whole, fraction) = text.split_once('.')?;
    if whole.len() == 5
        && !fraction.is_empty()
        && text.replace('.', "").bytes().all(|b| b.is_ascii_digit())
    {
        let days: i32 = whole.parse().ok()?;
        let epoch = Date::from_calendar_date(1899, Month::December, 30).ok()?;
        return epoch.checked_add(time::Duration::days(i64::from(days)));
    }
    None
}

fn date_number(date: Date) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    year * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day())
}

#[cfg(test)]
mod tests {
    use super::read;

    fn number(text: &str) -> u32 {
        read(text).unwrap().0
    }

    #[test]
    fn versions_map_to_whole_numbers_in_order() {
        assert_eq!(read("3").unwrap(), (3, None));
        assert_eq!(number("2022-04-11 16:26:28.971000"), 20_220_411);
        assert_eq!(number("2024-05-06"), 20_240_506);
        assert_eq!(number("202405061230"), 20_240_506);
        assert_eq!(number("45417.39537960895"), 20_240_505);
        assert_eq!(number("44662.6850575292"), 20_220_411);
        assert_eq!(number("1.2"), 1_002_000);
        assert_eq!(number("v2.0.1"), 2_000_001);
        assert_eq!(number("v7"), 7);
        assert!(number("1.10") > number("1.9"));
        assert!(read("45417.39537960895")
            .unwrap()
            .1
            .unwrap()
            .contains("20240505 (YYYYMMDD)"));
    }

    #[test]
    fn unreadable_versions_are_refused_saying_what_to_write() {
        for bad in ["beta", "2019_v2", "99999999999999999999", "1.2.3.4", "-1"] {
            let message = read(bad).unwrap_err();
            assert!(message.contains("write a whole number"), "{bad}: {message}");
        }
    }
}
