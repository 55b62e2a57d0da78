//! A readable outline of a protocol for `fieldkit-server protocol show FILE`:
//! what a reviewer needs to see at a glance, in one language.

use std::fmt::Write;

use crate::lint::kind_name;
use crate::model::{Protocol, Question, Respondents};

/// The outline of `p` with texts in `lang` (falling back to any language).
pub fn outline(p: &Protocol, lang: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_outline(&mut out, p, lang);
    out
}

fn write_outline(out: &mut String, p: &Protocol, lang: &str) -> std::fmt::Result {
    let t = |text: &crate::model::Text| text.show(lang).trim().to_owned();
    writeln!(out, "{}", t(&p.title))?;
    let respondents = match p.respondents() {
        Respondents::Children => "children",
        Respondents::Adults => "adults",
        Respondents::Nobody => "nobody (observation)",
    };
    writeln!(
        out,
        "  {} v{} | method {} | respondents {}{}",
        p.id,
        p.version,
        p.method.as_str(),
        respondents,
        if p.rapid_assessment {
            " | rapid assessment: not representative"
        } else {
            ""
        }
    )?;
    writeln!(
        out,
        "  languages {} (default {})",
        p.languages.join(", "),
        p.default_language()
    )?;
    writeln!(
        out,
        "  hashes: protocol {}, data use {}",
        p.content_hash().short(),
        p.data_use_hash().short()
    )?;
    writeln!(out, "\nAim: {}", t(&p.aim))?;
    if !p.research_questions.is_empty() {
        writeln!(out, "\nResearch questions:")?;
        for rq in &p.research_questions {
            writeln!(out, "  {}: {}", rq.id, t(&rq.text))?;
        }
    }
    if !p.definitions.is_empty() {
        let terms: Vec<String> = p.definitions.iter().map(|d| t(&d.term)).collect();
        writeln!(out, "\nDefined terms: {}", terms.join(", "))?;
    }
    writeln!(out, "\nIntroduction by: {}", p.introduction.organisation)?;
    match p.consent_rules() {
        None => writeln!(out, "Consent: none asked (nobody is questioned)")?,
        Some(c) => {
            let own = if c.respondent {
                "the respondent's own consent"
            } else {
                "NO respondent consent"
            };
            let mut line = format!("Consent: {own}");
            if p.respondents() == Respondents::Children && c.guardian_required_under > 0 {
                write!(
                    line,
                    "; guardian consent under {}",
                    c.guardian_required_under
                )?;
                if c.trusted_adult_may_stand_in {
                    line.push_str(" (a trusted adult may stand in)");
                }
            }
            line.push_str(if c.audio_recording {
                "; audio recording allowed if agreed"
            } else {
                "; no audio recording"
            });
            writeln!(out, "{line}")?;
        }
    }
    if let Some(screening) = &p.screening {
        writeln!(out, "\nScreening (any yes stops the session):")?;
        for item in &screening.items {
            writeln!(out, "  {}: {}", item.id, t(&item.text))?;
        }
    }
    if let Some(referral) = &p.referral {
        writeln!(out, "\nReferral: {}", t(&referral.pathway))?;
        for c in &referral.contacts {
            writeln!(out, "  contact {}: {}", t(&c.name), c.phone)?;
        }
    }
    if let Some(fg) = &p.focus_group {
        writeln!(
            out,
            "\nFocus group: {} to {} participants, coded {}1, {}2, ...",
            fg.min_participants, fg.max_participants, fg.code_prefix, fg.code_prefix
        )?;
    }
    if let Some(obs) = &p.observation {
        writeln!(out, "\nObservation:")?;
        let sites: Vec<String> = obs.site_types.iter().map(|s| t(&s.label)).collect();
        writeln!(out, "  sites: {}", sites.join(", "))?;
        for w in &obs.time_windows {
            let days: Vec<String> = w
                .days
                .iter()
                .map(|d| {
                    serde_json::to_value(d)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect();
            let days = if days.len() == 7 {
                "every day".to_owned()
            } else {
                days.join(",")
            };
            writeln!(out, "  when: {}: {days} {}-{}", t(&w.label), w.start, w.end)?;
        }
        writeln!(out, "  age groups: {}", obs.age_groups.join(", "))?;
        for tally in &obs.tallies {
            writeln!(
                out,
                "  tally {}: {} [{}]",
                tally.id,
                t(&tally.label),
                tally.purpose
            )?;
        }
        for ind in &obs.indicators {
            writeln!(
                out,
                "  indicator {}: {} [{}]",
                ind.id,
                t(&ind.text),
                ind.purpose
            )?;
        }
    }
    if !p.sections.is_empty() {
        writeln!(out, "\nSections:")?;
    }
    for (n, section) in p.sections.iter().enumerate() {
        writeln!(out, "  {}. {} [{}]", n + 1, t(&section.title), section.id)?;
        for q in &section.questions {
            write_question(out, q, lang)?;
        }
    }
    writeln!(out, "\nClosing: {}", t(&p.closing))
}

fn write_question(out: &mut String, q: &Question, lang: &str) -> std::fmt::Result {
    let mut flags = vec![kind_name(q.kind)];
    if q.sensitive {
        flags.push("SENSITIVE".into());
    }
    if q.identifying {
        flags.push("IDENTIFYING".into());
    }
    if !q.required {
        flags.push("optional".into());
    }
    if let Some(dim) = q.disaggregation {
        flags.push(format!("by {}", dim.as_str()));
    }
    flags.push(format!("for {}", q.purpose));
    writeln!(out, "     {} ({})", q.id, flags.join(", "))?;
    writeln!(out, "       {}", q.text.show(lang).trim())?;
    if !q.choices.is_empty() {
        let values: Vec<&str> = q.choices.iter().map(|c| c.value.as_str()).collect();
        writeln!(out, "       choices: {}", values.join(", "))?;
    }
    if let Some(relevant) = &q.relevant {
        writeln!(out, "       asked if: {relevant}")?;
    }
    if let Some(constraint) = &q.constraint {
        writeln!(out, "       valid if: {constraint}")?;
    }
    Ok(())
}
