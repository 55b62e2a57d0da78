//! Findings packs on the analyst pages (issue 22): the form that publishes
//! a pack from the tables shown, the pack as published, and, beside each
//! table, what the children said about that finding in validation sessions.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::Form;
use fieldkit_protocols::findings::{FindingId, FindingsPack};
use serde::Deserialize;
use time::OffsetDateTime;

use super::{blocking, esc, layout, PageError, User};
use crate::access::{allows, Access};
use crate::api::AppState;
use crate::export::ages::AgeGroups;
use crate::packs::{publish as publish_pack, PackError, PackRequest, Verdict};
use crate::store::PublishedPack;

/// The validations of one table's finding, or nothing when none exist.
pub fn beside(protocol_id: &str, question: &str, verdicts: &[Verdict]) -> String {
    let id = FindingId::new(protocol_id, question).to_string();
    let mine: Vec<&Verdict> = verdicts.iter().filter(|v| v.finding == id).collect();
    if mine.is_empty() {
        return String::new();
    }
    let agree: i64 = mine.iter().filter_map(|v| v.agree).sum();
    let disagree: i64 = mine.iter().filter_map(|v| v.disagree).sum();
    let mut html = format!(
        "<section class=\"validation\" id=\"validation-{0}\"><h3>What the children said about this finding</h3>\
         <p class=\"verdict\">{1} group(s): <strong>{agree} agree</strong>, <strong>{disagree} disagree</strong>.</p><ul>",
        esc(question),
        mine.len()
    );
    for v in mine {
        let n = |x: Option<i64>| x.map_or_else(|| "–".to_owned(), |n| n.to_string());
        let _ = write!(
            html,
            "<li>{} on {} (pack {}): agree {}, disagree {}",
            esc(if v.site.is_empty() {
                "unknown site"
            } else {
                &v.site
            }),
            v.date,
            esc(v.pack.short()),
            n(v.agree),
            n(v.disagree)
        );
        if let Some(words) = &v.words {
            let _ = write!(html, "<blockquote>{}</blockquote>", esc(words));
        }
        html.push_str("</li>");
    }
    html.push_str("</ul></section>");
    html
}

/// The publish form under the tables.
pub fn publish_form(protocol_id: &str, ages: &str, csrf: &str) -> String {
    format!(
        "<section id=\"publish-pack\"><h2>Take findings back (findings pack)</h2>\
         <p>A pack holds the row totals of the tables of the questions you list, with the same suppression as above (R27), \
         the caveat (R25) and the definitions (R24), in every language of the protocol. It is published once, never changed, \
         and phones pin it for validation sessions.</p>\
         <form method=\"post\" action=\"/web/packs/publish\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"protocol\" value=\"{}\">\
         <input type=\"hidden\" name=\"ages\" value=\"{}\">\
         <label>Site <input name=\"site\" id=\"pack-site\" required maxlength=\"120\"></label> \
         <label>Questions <input name=\"questions\" id=\"pack-questions\" required placeholder=\"work_type, work_hazards\"></label> \
         <button id=\"pack-publish\">Publish pack</button></form></section>",
        esc(csrf),
        esc(protocol_id),
        esc(ages)
    )
}

#[derive(Debug, Deserialize)]
pub struct PublishForm {
    csrf: String,
    protocol: String,
    ages: String,
    site: String,
    questions: String,
}

/// The pack as published, as the analyst checks it before fieldwork.
pub fn render_pack(stored: &PublishedPack, pack: &FindingsPack) -> String {
    let lang = pack.languages.first().map_or("en", String::as_str);
    let mut html = format!(
        "<p id=\"pack-hash\">Pack {} for <strong>{}</strong>, from `{}` v{}, published {} by {}.</p>",
        esc(stored.hash.as_str()),
        esc(&pack.site),
        esc(&pack.protocol_id),
        pack.protocol_version,
        stored.published_at.date(),
        esc(&stored.published_by)
    );
    if let Some(c) = &pack.caveat {
        let _ = write!(html, "<p class=\"caveat\">{}</p>", esc(c.show(lang)));
    }
    for f in &pack.findings {
        let _ = write!(
            html,
            "<h2>{}</h2><p class=\"sentence\">{}</p><table class=\"disaggregated\">",
            esc(f.question.show(lang)),
            esc(f.sentence.show(lang))
        );
        for r in &f.rows {
            let n = r
                .count
                .map_or_else(|| format!("&lt;{}", pack.min_cell_size), |n| n.to_string());
            let _ = write!(
                html,
                "<tr><th>{}</th><td class=\"n\">{n}</td></tr>",
                esc(r.label.show(lang))
            );
        }
        html.push_str("</table>");
    }
    html
}

pub async fn publish(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PublishForm>,
) -> Result<Html<String>, PageError> {
    user.check_csrf(&form.csrf)?;
    if !allows(user.principal().role, Access::ReadAnswers) {
        return Err(PageError::forbidden(
            user.principal(),
            "publish findings packs",
        ));
    }
    let ages = AgeGroups::parse(&form.ages)
        .map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let request = PackRequest {
        protocol_id: form.protocol,
        questions: form
            .questions
            .split([',', ' '])
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned)
            .collect(),
        site: form.site,
        ages,
    };
    let who = user.principal().clone();
    let body = blocking(&state, move |store| {
        let hash =
            publish_pack(store, &who, &request, OffsetDateTime::now_utc()).map_err(
                |e| match e {
                    PackError::Refused(why) => PageError::new(StatusCode::BAD_REQUEST, why),
                    PackError::Export(e) => e.into(),
                },
            )?;
        let stored = store
            .pack(&hash)?
            .ok_or_else(|| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "pack vanished"))?;
        let pack: FindingsPack = serde_json::from_str(&stored.pack_json)
            .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(render_pack(&stored, &pack))
    })
    .await?;
    Ok(layout("Findings pack published", Some(&user), &body))
}
