//! The admin's users page: who can log in, with what role, and the buttons
//! to add, disable, enable, remove and set a password. Every change goes
//! through `admin_users` (the same rules and audit entries as the command
//! line); disabling or a new password ends that user's sessions at once.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use axum::Form;
use serde::Deserialize;
use time::OffsetDateTime;

use super::{blocking, esc, layout, PageError, User};
use crate::access::{allows, Access};
use crate::admin_users::{self, UserError};
use crate::api::AppState;
use crate::store::WebUserSummary;

fn button(csrf: &str, action: &str, login: &str, label: &str) -> String {
    format!(
        "<form class=\"inline\" method=\"post\" action=\"/web/users/{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"login\" value=\"{}\">\
         <button>{label}</button></form>",
        esc(csrf),
        esc(login)
    )
}

fn render(users: &[WebUserSummary], me: &str, csrf: &str, notice: &str) -> String {
    let mut html = String::from(notice);
    html.push_str(
        "<table id=\"users\"><tr><th>Login</th><th>Role</th><th>Status</th><th>Created</th>\
         <th>Last login</th><th></th></tr>",
    );
    for u in users {
        let status = if u.disabled_at.is_some() {
            "disabled"
        } else {
            "active"
        };
        let actions = if u.login == me {
            "<span class=\"muted\">you</span>".to_owned()
        } else if u.disabled_at.is_some() {
            button(csrf, "enable", &u.login, "Enable") + &button(csrf, "remove", &u.login, "Remove")
        } else {
            button(csrf, "disable", &u.login, "Disable")
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{status}</td><td>{}</td><td>{}</td><td>{actions}</td></tr>",
            esc(&u.login),
            format!("{:?}", u.role).to_lowercase(),
            u.created_at.date(),
            u.last_login_at
                .map_or_else(|| "never".to_owned(), |t| t.date().to_string()),
        );
    }
    html.push_str("</table>");
    let _ = write!(
        html,
        "<h2>Add a user</h2><form method=\"post\" action=\"/web/users/add\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Login <input name=\"login\" id=\"new-login\" required autocomplete=\"off\"></label> \
         <label>Role <select name=\"role\"><option>supervisor</option><option>analyst</option><option>admin</option></select></label> \
         <label>Password <input name=\"password\" type=\"password\" required autocomplete=\"new-password\"></label> \
         <button id=\"add-user\">Add</button></form>\
         <h2>Set a password</h2><p class=\"muted\">The user's open sessions end, and a login lock is lifted. \
         At least 12 characters, rated good by the strength meter (a few unrelated words work well).</p>\
         <form method=\"post\" action=\"/web/users/password\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>Login <input name=\"login\" required autocomplete=\"off\"></label> \
         <label>New password <input name=\"password\" type=\"password\" required autocomplete=\"new-password\"></label> \
         <button>Set</button></form>",
        csrf = esc(csrf)
    );
    html
}

fn allowed(user: &User) -> Result<(), PageError> {
    if allows(user.principal().role, Access::ManageUsers) {
        Ok(())
    } else {
        Err(PageError::forbidden(user.principal(), "manage users"))
    }
}

async fn show(state: &AppState, user: &User, notice: String) -> Result<Html<String>, PageError> {
    allowed(user)?;
    let users = blocking(state, |store| Ok(store.web_users()?)).await?;
    Ok(layout(
        "Users",
        Some(user),
        &render(&users, &user.principal().id, user.csrf(), &notice),
    ))
}

pub async fn page(State(state): State<AppState>, user: User) -> Result<Html<String>, PageError> {
    show(&state, &user, String::new()).await
}

fn user_error(e: UserError) -> PageError {
    match e {
        UserError::Store(s) => s.into(),
        UserError::Forbidden(f) => PageError::new(StatusCode::FORBIDDEN, f.to_string()),
        UserError::NoSuchUser(_) => PageError::new(StatusCode::NOT_FOUND, e.to_string()),
        other => PageError::new(StatusCode::BAD_REQUEST, other.to_string()),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf: String,
    login: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    login: String,
    password: super::login::Password,
    #[serde(default)]
    role: String,
}

/// One change, then the page again with what happened.
async fn change(
    state: &AppState,
    user: &User,
    csrf: &str,
    done: String,
    work: impl FnOnce(&dyn crate::store::Store, OffsetDateTime) -> Result<(), UserError>
        + Send
        + 'static,
) -> Result<Html<String>, PageError> {
    user.check_csrf(csrf)?;
    allowed(user)?;
    blocking(state, move |store| {
        work(store, OffsetDateTime::now_utc()).map_err(user_error)
    })
    .await?;
    show(
        state,
        user,
        format!("<p class=\"caveat\" id=\"notice\">{}</p>", esc(&done)),
    )
    .await
}

pub async fn disable(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<LoginForm>,
) -> Result<Html<String>, PageError> {
    let by = user.principal().clone();
    let done = format!("{} is disabled; their sessions have ended.", form.login);
    let login = form.login;
    change(&state, &user, &form.csrf, done, move |store, now| {
        admin_users::set_disabled(store, &by, &login, true, now)
    })
    .await
}

pub async fn enable(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<LoginForm>,
) -> Result<Html<String>, PageError> {
    let by = user.principal().clone();
    let done = format!("{} can log in again.", form.login);
    let login = form.login;
    change(&state, &user, &form.csrf, done, move |store, now| {
        admin_users::set_disabled(store, &by, &login, false, now)
    })
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<LoginForm>,
) -> Result<Html<String>, PageError> {
    let by = user.principal().clone();
    let done = format!(
        "{} is removed; the audit log keeps what they did.",
        form.login
    );
    let login = form.login;
    change(&state, &user, &form.csrf, done, move |store, now| {
        admin_users::remove(store, &by, &login, now)
    })
    .await
}

pub async fn add(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PasswordForm>,
) -> Result<Html<String>, PageError> {
    let by = user.principal().clone();
    let done = format!("{} ({}) is added.", form.login.trim(), form.role);
    let PasswordForm {
        csrf,
        login,
        password,
        role,
    } = form;
    change(&state, &user, &csrf, done, move |store, now| {
        admin_users::add(store, &by, &login, &role, password.expose(), now)
    })
    .await
}

pub async fn password(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PasswordForm>,
) -> Result<Html<String>, PageError> {
    let by = user.principal().clone();
    let done = format!(
        "{} has a new password; their sessions have ended.",
        form.login
    );
    let PasswordForm {
        csrf,
        login,
        password,
        ..
    } = form;
    change(&state, &user, &csrf, done, move |store, now| {
        admin_users::set_password(store, &by, &login, password.expose(), now)
    })
    .await
}
