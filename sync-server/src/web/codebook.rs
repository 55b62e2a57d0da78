//! The codebook as a page (`/web/codebook`): the same columns as the
//! Markdown download (`export/docs.rs`), with each image choice shown by
//! its picture and its text, as the participant saw it. Built from the
//! protocol alone: no answers are read, so it is not an audited read.

use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::analyst::caveat_html;
use super::media::picture_img;
use super::{blocking, esc, layout, protocol_ids, protocol_picker, PageError, User};
use crate::access::{allows, Access};
use crate::api::AppState;
use crate::export::docs::{codebook_values, one_line, CodebookValue};
use crate::export::latest_protocol;
use fieldkit_protocols::Protocol;

#[derive(Debug, Deserialize)]
pub struct CodebookQuery {
    protocol: Option<String>,
}

/// A value in a cell: its picture first when it has one, then code and label.
pub fn value_html(v: &CodebookValue) -> String {
    let picture = v
        .picture
        .as_ref()
        .map_or_else(String::new, |(_, hash)| picture_img(hash, 64));
    format!(
        "<li>{picture}<code>{}</code> = {}</li>",
        esc(&v.value),
        esc(&v.label)
    )
}

pub fn codebook_html(protocol: &Protocol) -> String {
    let lang = protocol.default_language();
    let mut html = caveat_html(protocol);
    html.push_str(
        "<table id=\"codebook\"><tr><th>column</th><th>question</th><th>kind</th><th>values</th>\
         <th>purpose</th><th>dimension</th><th>sensitive</th></tr>",
    );
    for q in protocol.questions() {
        let column = if q.identifying {
            format!("{} (identifying: never exported, R21)", q.id)
        } else {
            q.id.clone()
        };
        let values: String = codebook_values(protocol, q)
            .iter()
            .map(value_html)
            .collect();
        let _ = write!(
            html,
            "<tr id=\"q-{}\"><td>{}</td><td>{}</td><td>{:?}</td><td><ul class=\"values\">{values}</ul></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&q.id),
            esc(&column),
            esc(&one_line(q.text.show(lang))),
            q.kind,
            esc(&q.purpose),
            q.disaggregation.map_or("", |d| d.as_str()),
            if q.sensitive { "yes" } else { "" },
        );
    }
    html.push_str("</table>");
    html
}

pub async fn page(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<CodebookQuery>,
) -> Result<Html<String>, PageError> {
    if !allows(user.principal().role, Access::DownloadProtocols) {
        return Err(PageError::forbidden(user.principal(), "read the codebook"));
    }
    let body = blocking(&state, move |store| {
        let ids = protocol_ids(store)?;
        let Some(id) = query.protocol.or_else(|| ids.first().cloned()) else {
            return Ok("<p>No protocol is published yet.</p>".to_owned());
        };
        let (protocol, _) = latest_protocol(store, &id)?;
        let mut html = protocol_picker(&ids, &id, "/web/codebook", "");
        let _ = write!(
            html,
            "<p>{} ({}), version {}. <a class=\"download\" id=\"dl-codebook\" href=\"/web/export?protocol={}&amp;format=codebook\">Download (Markdown)</a></p>",
            esc(&one_line(protocol.title.show(protocol.default_language()))),
            esc(&protocol.id),
            protocol.version,
            esc(&protocol.id)
        );
        html.push_str(&codebook_html(&protocol));
        Ok(html)
    })
    .await?;
    Ok(layout("Codebook", Some(&user), &body))
}
