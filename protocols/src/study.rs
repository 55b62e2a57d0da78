//! The study file: a study's own values, written once and merged into every
//! protocol it publishes. The shipped protocols are templates (their
//! organisation and referral contacts are `REPLACE` markers the linter
//! refuses); a study team fills in one small file instead of editing each
//! protocol, and `fieldkit-server protocol publish --study FILE` merges it.
//!
//! ```toml
//! organisation = "Safe Futures Trust"
//!
//! [[contacts]]
//! name = { en = "Child protection focal point, Central District", fr = "Point focal de protection de l'enfance, district central" }
//! phone = "+44 20 7946 0321"
//!
//! [[sites]]          # optional: an observation sheet's sites
//! id = "central_bus_station"
//! label = { en = "Central bus station", fr = "Gare routière centrale" }
//! ```
//!
//! Merging is done on the parsed protocol, from text (this crate has no
//! I/O): the study's organisation replaces `introduction.organisation`, its
//! contacts replace every `[referral]`'s contacts, its sites replace an
//! observation sheet's `site_types`. The result is linted like any protocol,
//! and [`Study::location`] says which findings are about the study file.

use serde::{Deserialize, Serialize};

use crate::model::{Contact, Protocol, SiteType};
use crate::parse::{located, parse_protocol, to_toml, ParseError};

/// A study's own values (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Study {
    /// The organisation running the research, as respondents will hear it (R11).
    pub organisation: String,
    /// Where to take a child who needs help (R18): replaces every protocol's
    /// referral contacts. Empty keeps the template's, which the linter refuses.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// The places observed: replaces an observation sheet's `site_types`.
    #[serde(default)]
    pub sites: Vec<SiteType>,
    /// Only the demo study that `fieldkit-server demo` publishes: its values
    /// are not real, the published protocols say so (`Protocol::demo`) and
    /// `protocol publish` refuses it.
    #[serde(default)]
    pub demo: bool,
}

/// Reads a study file; `file` only names the place in errors.
pub fn parse_study(file: &str, source: &str) -> Result<Study, ParseError> {
    toml::from_str::<Study>(source).map_err(|err| located(file, source, &err))
}

impl Study {
    /// Puts the study's values into `protocol`.
    pub fn apply(&self, protocol: &mut Protocol) {
        protocol
            .introduction
            .organisation
            .clone_from(&self.organisation);
        if let Some(referral) = &mut protocol.referral {
            if !self.contacts.is_empty() {
                referral.contacts.clone_from(&self.contacts);
            }
        }
        if let Some(observation) = &mut protocol.observation {
            if !self.sites.is_empty() {
                observation.site_types.clone_from(&self.sites);
            }
        }
        protocol.demo = self.demo;
    }

    /// Where a finding about a merged protocol (`referral.contacts[1].phone`)
    /// is in the study file (`contacts[1].phone`), when the study supplied
    /// that part; `None` when it is the template's.
    pub fn location(&self, location: &str) -> Option<String> {
        let under = |prefix: &str| {
            location
                .strip_prefix(prefix)
                .filter(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        };
        if let Some(rest) = under("introduction.organisation") {
            return Some(format!("organisation{rest}"));
        }
        if !self.contacts.is_empty() {
            if let Some(rest) = under("referral.contacts") {
                return Some(format!("contacts{rest}"));
            }
        }
        if !self.sites.is_empty() {
            if let Some(rest) = under("observation.site_types") {
                return Some(format!("sites{rest}"));
            }
        }
        None
    }
}

/// A template with a study merged in: the protocol, and the TOML text that
/// is published (the canonical form of the merged protocol).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub protocol: Protocol,
    pub source: String,
}

/// Parses `template` and merges `study` into it.
pub fn merge(file: &str, template: &str, study: &Study) -> Result<Merged, ParseError> {
    let mut protocol = parse_protocol(file, template)?;
    study.apply(&mut protocol);
    let source = to_toml(&protocol);
    Ok(Merged { protocol, source })
}
