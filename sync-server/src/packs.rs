//! Findings packs (issue 22): built from the analyst pages' own tables and
//! suppression (`web/analyst.rs`, R27), with the rapid-assessment caveat
//! (R25) and the protocol's definitions (R24), in every language of the
//! protocol; published once by hash (R4). And the way back: what
//! validation sessions recorded about each finding, for the analyst pages
//! and the methodology summary.

use std::collections::BTreeMap;
use std::io::Write;

use fieldkit_protocols::findings::{sentence, Finding, FindingId, FindingRow, FindingsPack};
use fieldkit_protocols::hash::ContentHash;
use fieldkit_protocols::model::{Method, QuestionKind, Text};
use fieldkit_protocols::{Protocol, Value};
use time::{Date, OffsetDateTime};

use crate::access::{allows, Access, Principal};
use crate::export::ages::AgeGroups;
use crate::export::facts::Answer;
use crate::export::{for_each_session, latest_protocol, ExportError, RAPID_ASSESSMENT_CAVEAT};
use crate::store::{PublishedPack, Store, StoreError};
use crate::web::analyst::{suppressed, tables, NOT_ANSWERED};

/// The caveat in French, for packs shown in French (R25).
pub const RAPID_ASSESSMENT_CAVEAT_FR: &str = "Évaluation rapide : ces résultats décrivent les enfants rencontrés, ne sont pas représentatifs et ne doivent pas être extrapolés à une population plus large (R25).";

/// What a publisher chose.
#[derive(Debug, Clone)]
pub struct PackRequest {
    pub protocol_id: String,
    pub questions: Vec<String>,
    pub site: String,
    pub ages: AgeGroups,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Export(#[from] ExportError),
}

impl From<StoreError> for PackError {
    fn from(e: StoreError) -> Self {
        PackError::Export(ExportError::Store(e))
    }
}

/// A text in each language: French where there is one, else English.
fn both(languages: &[String], en: &str, fr: &str) -> Text {
    Text(
        languages
            .iter()
            .map(|l| (l.clone(), if l == "fr" { fr } else { en }.to_owned()))
            .collect(),
    )
}

/// Builds (does not store) the pack: one finding per chosen question, each
/// the row totals of its analyst table with small counts suppressed.
pub fn build(
    store: &dyn Store,
    who: &Principal,
    request: &PackRequest,
    now: OffsetDateTime,
) -> Result<FindingsPack, PackError> {
    let site = request.site.trim();
    if site.is_empty() || site.chars().count() > 120 {
        return Err(PackError::Refused(
            "name the site the findings go back to (1 to 120 characters)".to_owned(),
        ));
    }
    if request.questions.is_empty() {
        return Err(PackError::Refused(
            "choose at least one question to take back".to_owned(),
        ));
    }
    let (protocol, _) = latest_protocol(store, &request.protocol_id)?;
    let languages = protocol.languages.clone();
    let min_cell = protocol.privacy.min_cell_size;
    let mut findings = Vec::new();
    for id in &request.questions {
        let q = protocol.question(id).ok_or_else(|| {
            PackError::Refused(format!("protocol `{}` has no question `{id}`", protocol.id))
        })?;
        if q.identifying
            || !matches!(
                q.kind,
                QuestionKind::SingleChoice | QuestionKind::MultipleChoice | QuestionKind::YesNo
            )
        {
            return Err(PackError::Refused(format!(
                "question `{id}` cannot go in a pack: only questions with categories (single or multiple choice, yes/no) that identify nobody are tabulated (R21, R27)"
            )));
        }
        let (all, _) = tables(store, who, &protocol, &request.ages, Some(id))?;
        let table = all
            .into_iter()
            .find(|t| t.question == *id)
            .unwrap_or_default();
        let lang = protocol.default_language();
        let mut rows = Vec::new();
        for (label, cells) in &table.rows {
            if label == NOT_ANSWERED {
                continue;
            }
            let total: u64 = cells.values().sum();
            let text = match q.choices.iter().find(|c| c.label.show(lang) == label) {
                Some(choice) => choice.label.clone(),
                None if label == "yes" => both(&languages, "Yes", "Oui"),
                None if label == "no" => both(&languages, "No", "Non"),
                None => both(&languages, label, label),
            };
            rows.push(FindingRow {
                label: text,
                count: (!suppressed(total, min_cell)).then_some(total),
            });
        }
        // Largest first, as the chart reads; suppressed rows last.
        rows.sort_by_key(|r| std::cmp::Reverse(r.count.map_or(0, |n| n + 1)));
        findings.push(Finding {
            id: FindingId::new(&protocol.id, id).to_string(),
            question: q.text.clone(),
            sentence: sentence(&rows, &languages),
            rows,
        });
    }
    let pack = FindingsPack {
        site: site.to_owned(),
        protocol_id: protocol.id.clone(),
        protocol_version: protocol.version,
        published_at: now,
        caveat: protocol.rapid_assessment.then(|| {
            both(
                &languages,
                RAPID_ASSESSMENT_CAVEAT,
                RAPID_ASSESSMENT_CAVEAT_FR,
            )
        }),
        definitions: protocol.definitions,
        min_cell_size: min_cell,
        languages,
        findings,
    };
    pack.check().map_err(PackError::Refused)?;
    Ok(pack)
}

/// Builds and stores a pack; returns its hash.
pub fn publish(
    store: &dyn Store,
    who: &Principal,
    request: &PackRequest,
    now: OffsetDateTime,
) -> Result<ContentHash, PackError> {
    let pack = build(store, who, request, now)?;
    let hash = pack.content_hash();
    let pack_json = serde_json::to_string(&pack)
        .map_err(|e| StoreError::Corrupt(format!("pack does not serialise: {e}")))?;
    store.publish_pack(
        who,
        &PublishedPack {
            hash: hash.clone(),
            site: pack.site.clone(),
            protocol_id: pack.protocol_id,
            pack_json,
            published_by: who.id.clone(),
            published_at: now,
        },
    )?;
    Ok(hash)
}

/// What one validation session recorded about one finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub finding: String,
    pub pack: ContentHash,
    pub site: String,
    pub date: Date,
    pub agree: Option<i64>,
    pub disagree: Option<i64>,
    /// The group's words, scrubbed on the phone and checked at ingest (R21).
    pub words: Option<String>,
}

/// Every verdict on findings of `protocol_id`, from every published
/// validation protocol, oldest first. An audited answer read (R22); for
/// someone who may not read answers (a supervisor's methodology summary),
/// only which findings were validated, where and when.
pub fn verdicts(
    store: &dyn Store,
    who: &Principal,
    protocol_id: &str,
) -> Result<Vec<Verdict>, ExportError> {
    let answers = allows(who.role, Access::ReadAnswers);
    let mut ids: Vec<String> = store
        .protocols()?
        .into_iter()
        .map(|p| p.protocol_id)
        .collect();
    ids.dedup();
    // Each pack's site and the findings it carried: a verdict counts only
    // for a finding the group was shown.
    let shown: BTreeMap<ContentHash, (String, Vec<String>)> = store
        .packs()?
        .into_iter()
        .map(|p| {
            let ids = serde_json::from_str::<FindingsPack>(&p.pack_json)
                .map(|pack| pack.findings.into_iter().map(|f| f.id).collect())
                .unwrap_or_default();
            (p.hash, (p.site, ids))
        })
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let (protocol, _) = latest_protocol(store, &id)?;
        if protocol.method != Method::Validation {
            continue;
        }
        let Some(block) = &protocol.validation else {
            continue;
        };
        let mine: Vec<_> = block
            .findings
            .iter()
            .filter(|f| FindingId::parse(&f.finding).is_ok_and(|f| f.protocol == protocol_id))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let index = |qid: &str| protocol.question_index(qid);
        for_each_session(
            store,
            who,
            &protocol,
            answers,
            "view:validations",
            OffsetDateTime::now_utc(),
            &mut |f| {
                let Some(pack) = f.findings_pack.clone() else {
                    return Ok(());
                };
                let Some((site, ids)) = shown.get(&pack) else {
                    return Ok(());
                };
                let given = |qid: &str| index(qid).and_then(|i| f.answer(i));
                let number = |qid: &str| match given(qid) {
                    Some(Answer::Given(Value::Integer(n))) => Some(*n),
                    _ => None,
                };
                for vf in mine.iter().filter(|vf| ids.contains(&vf.finding)) {
                    let words = match given(&vf.words) {
                        Some(Answer::Given(Value::Text(t))) if !t.trim().is_empty() => {
                            Some(t.clone())
                        }
                        _ => None,
                    };
                    let (agree, disagree) = (number(&vf.agree), number(&vf.disagree));
                    let said = agree.is_some() || disagree.is_some() || words.is_some();
                    if answers && !said {
                        continue;
                    }
                    let (agree, disagree, words) = if answers {
                        (agree, disagree, words)
                    } else {
                        (None, None, None)
                    };
                    out.push(Verdict {
                        finding: vf.finding.clone(),
                        site: site.clone(),
                        pack: pack.clone(),
                        date: f.started.date(),
                        agree,
                        disagree,
                        words,
                    });
                }
                Ok(())
            },
        )?;
    }
    Ok(out)
}

/// The methodology summary's section: which findings were validated,
/// where and when, and the groups' counts.
pub fn methodology_section(
    store: &dyn Store,
    who: &Principal,
    protocol: &Protocol,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let verdicts = verdicts(store, who, &protocol.id)?;
    writeln!(out, "\n## Validated findings (results returned, R17)\n")?;
    if verdicts.is_empty() {
        writeln!(
            out,
            "- No finding of this protocol has been taken back to a group yet."
        )?;
        return Ok(());
    }
    for v in &verdicts {
        let n = |x: Option<i64>| x.map_or_else(|| "not counted".to_owned(), |n| n.to_string());
        writeln!(
            out,
            "- `{}`: at {} on {} (pack {}), agree {}, disagree {}{}",
            v.finding,
            if v.site.is_empty() {
                "an unknown site"
            } else {
                &v.site
            },
            v.date,
            v.pack.short(),
            n(v.agree),
            n(v.disagree),
            if v.words.is_some() {
                ", with the group's words"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}
