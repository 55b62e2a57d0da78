//! The ethics rules of `ETHICS.md`, by stable id. Lint findings, engine
//! refusals, server rejections and compliance findings all name one of these,
//! so a supervisor can trace anything back to the manual.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! rules {
    ($($id:ident => $principle:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $($id,)* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$id,)*];

            /// `R5`
            pub fn id(self) -> &'static str {
                match self { $(Rule::$id => stringify!($id),)* }
            }

            /// The manual's principle in plain words.
            pub fn principle(self) -> &'static str {
                match self { $(Rule::$id => $principle,)* }
            }
        }
    };
}

rules! {
    R1 => "Make sure the child has given informed consent.",
    R2 => "The child and any guardian must both have agreed.",
    R3 => "Tell the child exactly what will be done with the information, who will see it and how they will be protected.",
    R4 => "The data-use statement is prepared before gathering and then not changed.",
    R5 => "A traumatised child should not be used as a subject of general research.",
    R6 => "Leave sensitive topics until last, and only when a trusting relationship has been built.",
    R7 => "Do not repeat the same question, even if not satisfied with the reply.",
    R8 => "If someone else insists on being present, be aware it may affect the answers.",
    R9 => "Make sure the child feels safe; the child may stop or withdraw at any time.",
    R10 => "Avoid direct and confrontational questions.",
    R11 => "Never pretend to be someone you are not.",
    R12 => "Cross-check with key informants: parents, teachers, social workers.",
    R13 => "A child may need more than one visit: first rapport, then information.",
    R14 => "The researcher should speak the same language as the children.",
    R15 => "Everyone handling data is trained in, and commits to, the protocols and code of practice.",
    R16 => "Collect only the data needed to do the job.",
    R17 => "Plan how the children and informants will get to know the results.",
    R18 => "Keep field workers safe and know the referral pathway, including law enforcement.",
    R19 => "Define key terms before designing the tools.",
    R20 => "Time data gathering to when the activity happens; trafficking is not nine to five.",
    R21 => "An individual child must not be identifiable: reference numbers, personal details stored separately.",
    R22 => "Give access to data on a needs-only basis.",
    R23 => "Disaggregate: at a minimum sex, age, origin, family characteristics, ethnicity, disability.",
    R24 => "Use common definitions so data sets can be combined.",
    R25 => "Rapid-assessment results are not representative and must not be extrapolated.",
    R26 => "Reports say how the research was done; raw data stays usable, with confidentiality.",
    R27 => "Small groups can identify a child: suppress small cells.",
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule id `{0}`: expected R1 to R27")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.id().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRule(s.to_owned()))
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_round_trips_through_its_id() {
        assert_eq!(Rule::ALL.len(), 27);
        for rule in Rule::ALL {
            assert_eq!(rule.id().parse::<Rule>(), Ok(*rule));
            let json = serde_json::to_string(rule).unwrap();
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), *rule);
        }
        assert!("R28".parse::<Rule>().is_err());
    }
}
