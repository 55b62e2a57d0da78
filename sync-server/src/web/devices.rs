//! Device management: admins enrol and revoke, supervisors may look.

use std::fmt::Write as _;

use axum::extract::State;
use axum::response::Html;
use axum::Form;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{blocking, esc, layout, PageError, User};
use crate::access::{allows, Access};
use crate::admin::{self, AdminError};
use crate::api::AppState;
use crate::store::Device;

fn render(devices: &[Device], manage: bool, csrf: &str, notice: &str) -> String {
    let mut html = String::from(notice);
    html.push_str("<table id=\"devices\"><tr><th>Device</th><th>Researcher</th><th>Languages</th><th>Enrolled</th><th>Code of practice (R15)</th><th>Status</th></tr>");
    for d in devices {
        let status = match d.revoked_at {
            Some(at) => format!("revoked {}", at.date()),
            None if manage => format!(
                "active <form class=\"inline\" method=\"post\" action=\"/web/devices/revoke\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"device_id\" value=\"{}\">\
                 <button>Revoke</button></form>",
                esc(csrf),
                d.device_id
            ),
            None => "active".to_owned(),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{status}</td></tr>",
            d.device_id,
            esc(&d.researcher),
            esc(&d.languages.join(", ")),
            d.enrolled_at.date(),
            esc(&code_of_practice(d))
        );
    }
    html.push_str("</table>");
    if manage {
        let _ = write!(
            html,
            "<h2>Enrol a device</h2><form method=\"post\" action=\"/web/devices/enrol\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label>Researcher <input name=\"researcher\" required></label> \
             <label>Languages (R14) <input name=\"languages\" value=\"en\"></label> <button>Make a code</button></form>",
            esc(csrf)
        );
    }
    html
}

/// What a supervisor reads about the researcher's commitment (R15).
pub(crate) fn code_of_practice(device: &Device) -> String {
    match &device.code_of_practice {
        Some(ack) => format!("accepted {} ({})", ack.accepted_at.date(), ack.language),
        None => "not recorded (enrolled before this was asked)".to_owned(),
    }
}

async fn show(state: &AppState, user: &User, notice: String) -> Result<Html<String>, PageError> {
    let role = user.principal().role;
    let manage = allows(role, Access::ManageDevices);
    if !manage && !allows(role, Access::ReadCompliance) {
        return Err(PageError::forbidden(user.principal(), "see devices"));
    }
    let devices = blocking(state, |store| Ok(store.devices()?)).await?;
    Ok(layout(
        "Devices",
        Some(user),
        &render(&devices, manage, user.csrf(), &notice),
    ))
}

pub async fn page(State(state): State<AppState>, user: User) -> Result<Html<String>, PageError> {
    show(&state, &user, String::new()).await
}

#[derive(Deserialize)]
pub struct EnrolForm {
    csrf: String,
    researcher: String,
    languages: String,
}

fn admin_error(e: AdminError) -> PageError {
    match e {
        AdminError::Store(s) => s.into(),
        other => PageError::new(axum::http::StatusCode::BAD_REQUEST, other.to_string()),
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<EnrolForm>,
) -> Result<Html<String>, PageError> {
    user.check_csrf(&form.csrf)?;
    if !allows(user.principal().role, Access::ManageDevices) {
        return Err(PageError::forbidden(user.principal(), "enrol devices"));
    }
    let days = state.config.enrol_code_days;
    let languages: Vec<String> = form
        .languages
        .split(',')
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let who = user.principal().clone();
    let code = blocking(&state, move |store| {
        let now = OffsetDateTime::now_utc();
        let code =
            admin::enrol(store, &form.researcher, &languages, days, now).map_err(admin_error)?;
        store.audit(&who, "enrol_device", &form.researcher, now)?;
        Ok(code)
    })
    .await?;
    let notice = format!(
        "<p class=\"caveat\">One-time enrolment code: <strong id=\"code\">{}</strong> (valid {days} days). \
         Type it into the app's enrolment screen; it is not shown again.</p>",
        esc(code.expose())
    );
    show(&state, &user, notice).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    device_id: Uuid,
}

pub async fn revoke(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<RevokeForm>,
) -> Result<Html<String>, PageError> {
    user.check_csrf(&form.csrf)?;
    if !allows(user.principal().role, Access::ManageDevices) {
        return Err(PageError::forbidden(user.principal(), "revoke devices"));
    }
    let who = user.principal().clone();
    let id = form.device_id;
    blocking(&state, move |store| {
        let now = OffsetDateTime::now_utc();
        admin::revoke(store, id, now).map_err(admin_error)?;
        store.audit(&who, "revoke_device", &id.to_string(), now)?;
        Ok(())
    })
    .await?;
    show(
        &state,
        &user,
        format!("<p class=\"caveat\">Device {id} revoked; its token no longer works.</p>"),
    )
    .await
}
