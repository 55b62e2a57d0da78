//! Observation sheets of public places (R20): tallies by sex and estimated
//! age group, and indicators seen or not. No consent step, and no field for
//! describing an identifiable person (R21).

use super::events::Sex;
use super::refusal::{Refusal, RefusalKind as K};
use super::session::{Session, TallyKey};

impl Session {
    fn observation_only(&self, what: &str) -> Result<(), Refusal> {
        if !self.observing() {
            return Err(Refusal::plain(
                K::NotForThisMethod,
                format!("{what} belong to observation sheets, not to sessions with respondents"),
            ));
        }
        Ok(())
    }

    pub(super) fn check_tally(
        &self,
        tally_id: &str,
        sex: Sex,
        age_group: &str,
        delta: i32,
    ) -> Result<(), Refusal> {
        self.observation_only("tallies")?;
        let observation = self.protocol.observation.as_ref();
        if !observation.is_some_and(|o| o.tallies.iter().any(|t| t.id == tally_id)) {
            return Err(Refusal::plain(
                K::UnknownTally,
                format!("tally `{tally_id}` is not in the protocol's observation block"),
            ));
        }
        if !observation.is_some_and(|o| o.age_groups.iter().any(|g| g == age_group)) {
            return Err(Refusal::plain(
                K::UnknownAgeGroup,
                format!(
                    "age group `{age_group}` is not one of the protocol's: {}",
                    observation
                        .map(|o| o.age_groups.join(", "))
                        .unwrap_or_default()
                ),
            ));
        }
        if delta == 0 {
            return Err(Refusal::plain(
                K::ZeroTally,
                "a tally counts one more (or, to correct, one fewer): a change of 0 records nothing",
            ));
        }
        let key = TallyKey {
            tally_id: tally_id.to_owned(),
            sex,
            age_group: age_group.to_owned(),
        };
        let total = self.state.tallies.get(&key).copied().unwrap_or(0);
        if total + i64::from(delta) < 0 {
            return Err(Refusal::plain(
                K::TallyBelowZero,
                format!("tally `{tally_id}` ({age_group}) stands at {total}: a correction cannot take it below zero"),
            ));
        }
        Ok(())
    }

    pub(super) fn check_indicator(&self, indicator_id: &str) -> Result<(), Refusal> {
        self.observation_only("indicators")?;
        let known = self
            .protocol
            .observation
            .as_ref()
            .is_some_and(|o| o.indicators.iter().any(|i| i.id == indicator_id));
        if !known {
            return Err(Refusal::plain(
                K::UnknownIndicator,
                format!("indicator `{indicator_id}` is not in the protocol's observation block"),
            ));
        }
        Ok(())
    }
}
