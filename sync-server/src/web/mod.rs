//! Server-rendered pages for supervisors, analysts and admins, as plain
//! escaped HTML with no JavaScript. Logged-in users carry a session cookie
//! (HttpOnly, SameSite=Strict, Secure under TLS) and every POST carries the
//! session's CSRF token. What each role sees follows `access::allows` (R22).

pub mod analyst;
pub mod audit;
pub mod auth;
pub mod codebook;
pub mod compliance;
pub mod coverage;
pub mod devices;
pub mod download;
pub mod headers;
pub mod login;
pub mod media;
pub mod request_log;
pub mod review;
pub mod team;
pub mod team_stats;
pub mod throttle;
pub mod users;
pub mod validations;

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::access::{allows, Access, Principal};
use crate::api::AppState;
use crate::store::{Store, StoreError};
pub use auth::{hash_password, User};

/// The pages, to merge into the API router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/web") }))
        .route(headers::STYLESHEET, get(headers::stylesheet))
        .route("/login", get(login::login_form).post(login::login))
        .route("/logout", post(auth::logout))
        .route("/web", get(home))
        .route("/web/compliance", get(compliance::page))
        .route("/web/coverage", get(coverage::page))
        .route("/web/review", get(review::queue))
        .route("/web/review/record", get(review::record))
        .route("/web/review/decide", post(review::decide))
        .route("/web/team", get(team::page))
        .route("/web/devices", get(devices::page))
        .route("/web/devices/enrol", post(devices::enrol))
        .route("/web/devices/revoke", post(devices::revoke))
        .route("/web/tables", get(analyst::page))
        .route("/web/packs/publish", post(validations::publish))
        .route("/web/export", get(download::export))
        .route("/web/codebook", get(codebook::page))
        .route("/web/media/{sha256}", get(media::picture))
        .route("/web/audit", get(audit::page))
        .route("/web/audit.csv", get(audit::csv))
        .route("/web/users", get(users::page))
        .route("/web/users/add", post(users::add))
        .route("/web/users/disable", post(users::disable))
        .route("/web/users/enable", post(users::enable))
        .route("/web/users/remove", post(users::remove))
        .route("/web/users/password", post(users::password))
}

/// HTML-escapes text for element content and quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Wraps `body` in the shared layout, with a menu fitting `who`'s role.
pub fn layout(title: &str, who: Option<&User>, body: &str) -> Html<String> {
    let mut menu = String::new();
    if let Some(user) = who {
        let role = user.principal().role;
        let link = |menu: &mut String, access: Access, href: &str, label: &str| {
            if allows(role, access) {
                let _ = write!(menu, "<a href=\"{href}\">{label}</a>");
            }
        };
        link(
            &mut menu,
            Access::ReadCompliance,
            "/web/compliance",
            "Compliance",
        );
        link(
            &mut menu,
            Access::ReadCompliance,
            "/web/coverage",
            "Coverage",
        );
        link(&mut menu, Access::ReviewRecords, "/web/review", "Review");
        link(&mut menu, Access::ReviewRecords, "/web/team", "Team");
        if allows(role, Access::ReadCompliance) || allows(role, Access::ManageDevices) {
            menu.push_str("<a href=\"/web/devices\">Devices</a>");
        }
        link(&mut menu, Access::ReadAnswers, "/web/tables", "Tables");
        link(&mut menu, Access::ManageUsers, "/web/users", "Users");
        link(&mut menu, Access::ReadDataAudit, "/web/audit", "Audit log");
        let _ = write!(
            menu,
            "<span class=\"muted\">{} ({:?})</span><form class=\"inline\" method=\"post\" action=\"/logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Log out</button></form>",
            esc(&user.principal().id),
            role,
            esc(user.csrf())
        );
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - Fieldkit</title>\
         <link rel=\"stylesheet\" href=\"{}\"></head><body><header><strong>Fieldkit</strong>{menu}</header>\
         <main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        headers::STYLESHEET,
        esc(title)
    ))
}

/// Something a page could not do, shown as a page with a status.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
        }
    }

    pub fn forbidden(who: &Principal, what: &str) -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            format!("{who} may not {what} (R22: access on a needs-only basis); ask an admin for the right role"),
        )
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        match e {
            StoreError::Forbidden(f) => PageError::new(StatusCode::FORBIDDEN, f.to_string()),
            other => {
                tracing::error!(error = %other, "page failed");
                PageError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not read its data; the operator can see why in the log",
                )
            }
        }
    }
}

impl From<crate::export::ExportError> for PageError {
    fn from(e: crate::export::ExportError) -> PageError {
        match e {
            crate::export::ExportError::Store(s) => s.into(),
            crate::export::ExportError::NoProtocol(_) => {
                PageError::new(StatusCode::NOT_FOUND, e.to_string())
            }
            other => {
                tracing::error!(error = %other, "page failed");
                PageError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<p>{}</p><p><a href=\"/web\">Back</a></p>",
            esc(&self.message)
        );
        let title = if self.status == StatusCode::FORBIDDEN {
            "Not allowed"
        } else {
            "Something went wrong"
        };
        (self.status, layout(title, None, &body)).into_response()
    }
}

/// Runs store work off the async workers (SQLite blocks).
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Store) -> Result<T, PageError> + Send + 'static,
) -> Result<T, PageError> {
    let store = std::sync::Arc::clone(&state.store);
    tokio::task::spawn_blocking(move || work(store.as_ref()))
        .await
        .map_err(|_| {
            PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the request stopped unexpectedly",
            )
        })?
}

/// `<select>` of published protocol ids, `selected` marked.
pub fn protocol_picker(ids: &[String], selected: &str, action: &str, extra: &str) -> String {
    let mut options = String::new();
    for id in ids {
        let mark = if id == selected { " selected" } else { "" };
        let _ = write!(options, "<option value=\"{0}\"{mark}>{0}</option>", esc(id));
    }
    format!(
        "<form method=\"get\" action=\"{action}\"><label>Protocol <select name=\"protocol\">{options}</select></label> {extra}<button>Show</button></form>"
    )
}

/// Distinct published protocol ids, in order.
pub fn protocol_ids(store: &dyn Store) -> Result<Vec<String>, StoreError> {
    let mut ids: Vec<String> = store
        .protocols()?
        .into_iter()
        .map(|p| p.protocol_id)
        .collect();
    ids.dedup();
    Ok(ids)
}

async fn home(user: User) -> Redirect {
    let role = user.principal().role;
    Redirect::to(if allows(role, Access::ReadCompliance) {
        "/web/compliance"
    } else if allows(role, Access::ReadAnswers) {
        "/web/tables"
    } else if allows(role, Access::ReadDataAudit) {
        "/web/audit"
    } else {
        "/login"
    })
}
