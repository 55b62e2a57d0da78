//! Age groups chosen at view or export time. Ages are stored in whole years
//! (R23), so any grouping can be applied later; the grouping used is written
//! into the methodology summary (R24).

use std::fmt;

/// Groups like `0-11,12-14,15-17,18+`, in order, not overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeGroups {
    groups: Vec<(u8, Option<u8>, String)>,
}

pub const DEFAULT_AGE_GROUPS: &str = "0-11,12-14,15-17,18+";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("age groups `{text}`: {problem}; write them like `{DEFAULT_AGE_GROUPS}`")]
pub struct BadAgeGroups {
    text: String,
    problem: String,
}

impl AgeGroups {
    pub fn parse(text: &str) -> Result<AgeGroups, BadAgeGroups> {
        let bad = |problem: String| BadAgeGroups {
            text: text.to_owned(),
            problem,
        };
        let mut groups = Vec::new();
        let mut next_from: Option<u16> = None;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (lo, hi) = if let Some(lo) = part.strip_suffix('+') {
                (lo, None)
            } else if let Some((lo, hi)) = part.split_once('-') {
                (lo, Some(hi))
            } else {
                (part, Some(part))
            };
            let num = |s: &str| {
                s.trim()
                    .parse::<u8>()
                    .map_err(|_| bad(format!("`{part}` is not a whole-year range")))
            };
            let lo = num(lo)?;
            let hi = hi.map(num).transpose()?;
            if hi.is_some_and(|hi| hi < lo) {
                return Err(bad(format!("`{part}` ends before it starts")));
            }
            if next_from.is_some_and(|n| u16::from(lo) < n) {
                return Err(bad(format!("`{part}` overlaps the group before it")));
            }
            if next_from == Some(u16::MAX) {
                return Err(bad(format!("`{part}` comes after an open-ended group")));
            }
            next_from = Some(hi.map_or(u16::MAX, |h| u16::from(h) + 1));
            groups.push((lo, hi, part.to_owned()));
        }
        if groups.is_empty() {
            return Err(bad("no groups given".to_owned()));
        }
        Ok(AgeGroups { groups })
    }

    /// The group an age falls in; `None` for gaps between groups.
    pub fn label(&self, age: u8) -> Option<&str> {
        self.groups
            .iter()
            .find(|(lo, hi, _)| age >= *lo && hi.is_none_or(|hi| age <= hi))
            .map(|(_, _, label)| label.as_str())
    }

    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(|(_, _, l)| l.as_str())
    }
}

impl Default for AgeGroups {
    fn default() -> Self {
        AgeGroups::parse(DEFAULT_AGE_GROUPS).expect("the default groups parse")
    }
}

impl fmt::Display for AgeGroups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<&str> = self.labels().collect();
        f.write_str(&labels.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ages_fall_in_their_group() {
        let groups = AgeGroups::default();
        assert_eq!(groups.label(11), Some("0-11"));
        assert_eq!(groups.label(12), Some("12-14"));
        assert_eq!(groups.label(17), Some("15-17"));
        assert_eq!(groups.label(40), Some("18+"));
        let gappy = AgeGroups::parse("5-9,12-14").unwrap();
        assert_eq!(gappy.label(10), None);
    }

    #[test]
    fn overlapping_or_reversed_groups_are_refused() {
        for text in ["0-12,12-14", "9-5", "18+,20-30", "", "a-b"] {
            let err = AgeGroups::parse(text).unwrap_err();
            assert!(err.to_string().contains("0-11,12-14"), "{err}");
        }
    }

    proptest! {
        #[test]
        fn every_age_is_in_at_most_one_group(bounds in proptest::collection::btree_set(0u8..100, 1..6), age: u8) {
            let bounds: Vec<u8> = bounds.into_iter().collect();
            let mut parts: Vec<String> = bounds.windows(2).map(|w| format!("{}-{}", w[0], w[1] - 1)).collect();
            parts.push(format!("{}+", bounds[bounds.len() - 1]));
            let groups = AgeGroups::parse(&parts.join(",")).unwrap();
            let hits = parts.iter().filter(|p| AgeGroups::parse(p).unwrap().label(age).is_some()).count();
            prop_assert!(hits <= 1);
            prop_assert_eq!(groups.label(age).is_some(), age >= bounds[0]);
        }
    }
}
