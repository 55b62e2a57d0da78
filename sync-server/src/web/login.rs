//! The login form and what a login attempt does: throttled per login and
//! per source address (`throttle.rs`), audited with the login name and the
//! source whether it succeeds or not, and a warning on the first page after
//! a success when someone failed to log in as this user in between.

use std::time::Duration as StdDuration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::auth::{
    cookie, hash_password, password_matches, random_token, same_token, set_cookie, LOGIN_COOKIE,
    SESSION_COOKIE, SESSION_HOURS,
};
use super::throttle::{self, Scope, Verdict};
use super::{blocking, esc, layout, PageError};
use crate::access::Principal;
use crate::api::AppState;
use crate::limits::Source;
use crate::secrets::hash_secret;
use crate::store::{AuditEntry, FailedLogin, Store, StoreError};

fn form_page(token: &str, problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| {
        format!("<p class=\"caveat\" id=\"problem\">{}</p>", esc(p))
    });
    format!(
        "{problem}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <p><label>Login <input name=\"login\" id=\"login\" autocomplete=\"username\" required></label></p>\
         <p><label>Password <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label></p>\
         <p><button id=\"sign-in\">Log in</button></p></form>",
        esc(token)
    )
}

/// The form again with a fresh token (double submit: a cookie and a hidden
/// field must match, so a login cannot be forged from another site).
fn form_response(state: &AppState, status: StatusCode, problem: Option<&str>) -> Response {
    let token = random_token();
    let cookie = set_cookie(state, LOGIN_COOKIE, &token, StdDuration::from_secs(3600));
    (
        status,
        [(header::SET_COOKIE, cookie)],
        layout("Log in", None, &form_page(&token, problem)),
    )
        .into_response()
}

pub async fn login_form(State(state): State<AppState>) -> Response {
    form_response(&state, StatusCode::OK, None)
}

/// A typed password: wiped when dropped, never printed.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    /// The typed text, to check or hash; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: Password,
    csrf: String,
}

/// The login as the audit log records it: trimmed, no control characters,
/// at most 64 characters (it is typed by anyone).
fn clean_login(typed: &str) -> String {
    typed
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

enum Outcome {
    Throttled(Verdict),
    Failed,
    In { warn: Vec<FailedLogin> },
}

fn entry(actor: &str, action: &str, login: &str, source: &str, now: OffsetDateTime) -> AuditEntry {
    AuditEntry {
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: login.to_owned(),
        at: now,
        source: Some(source.to_owned()),
    }
}

/// The whole attempt, on a blocking thread: throttle, check, audit.
fn attempt(
    store: &dyn Store,
    login: &str,
    password: &Password,
    source: &str,
    session_hash: &str,
    csrf: &str,
    now: OffsetDateTime,
) -> Result<Outcome, StoreError> {
    let gate = throttle::gate(login);
    let _one_at_a_time = gate.lock().unwrap_or_else(|p| p.into_inner());
    let user = store.web_user(login)?;
    // A login that is no account's is often a password typed in the wrong
    // field: the audit log keeps a short hash of it, never the text, so
    // repeated tries still group together.
    let (actor, target) = match &user {
        Some(u) => (
            Principal {
                role: u.role,
                id: u.login.clone(),
            }
            .to_string(),
            u.login.clone(),
        ),
        None => {
            let key = format!("unknown:{}", &hash_secret(login)[..12]);
            (key.clone(), key)
        }
    };
    let login = target.as_str();
    let failures = store.login_failures(login, source, throttle::LOOKBACK)?;
    let verdict = throttle::verdict(&failures, now);
    if verdict != Verdict::Allow {
        // Refused before the password is looked at: a guess costs nothing
        // here and teaches nothing.
        store.write_audit(&entry(&actor, "login_throttled", login, source, now))?;
        return Ok(Outcome::Throttled(verdict));
    }
    let matches = match &user {
        Some(u) => password_matches(&password.0, &u.password_hash) && !u.disabled,
        None => {
            // Same work as a real check, so timing does not reveal logins.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
            let _ = password_matches(&password.0, dummy);
            false
        }
    };
    if !matches {
        store.write_audit(&entry(&actor, "login_failed", login, source, now))?;
        if throttle::locks_after_one_more(&failures.by_login, throttle::PER_LOGIN, now) {
            store.write_audit(&entry(&actor, "login_locked", login, source, now))?;
        }
        if throttle::locks_after_one_more(&failures.by_source, throttle::PER_SOURCE, now) {
            store.write_audit(&entry(&actor, "login_source_locked", login, source, now))?;
        }
        return Ok(Outcome::Failed);
    }
    store.start_web_session(
        session_hash,
        login,
        csrf,
        now + Duration::hours(SESSION_HOURS),
    )?;
    store.write_audit(&entry(&actor, "login_ok", login, source, now))?;
    Ok(Outcome::In {
        warn: failures.by_login,
    })
}

fn throttled_page(state: &AppState, verdict: Verdict, now: OffsetDateTime) -> Response {
    let seconds = verdict.retry_after(now).unwrap_or(1);
    let message = match verdict {
        Verdict::Locked { until, scope } => {
            let whom = match scope {
                Scope::Login => "This login is locked",
                Scope::Source => "Logging in from your network is locked",
            };
            format!(
                "{whom} for 15 minutes after too many failed attempts, until {} UTC. \
                 Wait until then; if you have forgotten your password, an admin can set a new one \
                 (that also lifts the lock).",
                until
                    .time()
                    .format(&time::macros::format_description!("[hour]:[minute]"))
                    .unwrap_or_default()
            )
        }
        _ => format!(
            "Too many failed attempts to log in. Wait {seconds} seconds, then try again; \
             each further failure makes the wait longer."
        ),
    };
    let mut response = form_response(state, StatusCode::TOO_MANY_REQUESTS, Some(&message));
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from(seconds.unsigned_abs()),
    );
    response
}

/// The first page after a login that others tried to guess in between.
fn warning_page(warn: &[FailedLogin], cookie: String) -> Response {
    let last = &warn[0];
    let count = if warn.len() >= throttle::LOOKBACK as usize {
        format!("{} or more", warn.len())
    } else {
        warn.len().to_string()
    };
    let body = format!(
        "<p class=\"warning\" id=\"failed-logins\">Since you last logged in, someone failed to log in \
         as you {count} time(s); the last try was on {} at {} UTC from {}. If that was not you, \
         tell your admin and change your password.</p><p><a href=\"/web\" id=\"continue\">Continue</a></p>",
        last.at.date(),
        last.at.time().format(&time::macros::format_description!("[hour]:[minute]")).unwrap_or_default(),
        esc(&last.source)
    );
    (
        [(header::SET_COOKIE, cookie)],
        layout("Failed logins on your account", None, &body),
    )
        .into_response()
}

pub async fn login(
    State(state): State<AppState>,
    source: Source,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&form.csrf, &expected) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "the login form is out of date; open /login again",
        ));
    }
    let login = clean_login(&form.login);
    let password = form.password;
    let session_token = random_token();
    let session_hash = hash_secret(&session_token);
    let csrf = random_token();
    let now = OffsetDateTime::now_utc();
    let from = source.label();
    let outcome = blocking(&state, move |store| {
        Ok(attempt(
            store,
            &login,
            &password,
            &from,
            &session_hash,
            &csrf,
            now,
        )?)
    })
    .await?;
    match outcome {
        Outcome::Throttled(verdict) => {
            tracing::warn!("web login throttled");
            Ok(throttled_page(&state, verdict, now))
        }
        Outcome::Failed => {
            tracing::info!("web login refused");
            Ok(form_response(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("Wrong login or password."),
            ))
        }
        Outcome::In { warn } => {
            let hours = u64::try_from(SESSION_HOURS).unwrap_or(10);
            let cookie = set_cookie(
                &state,
                SESSION_COOKIE,
                &session_token,
                StdDuration::from_secs(hours * 3600),
            );
            if warn.is_empty() {
                Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/web")).into_response())
            } else {
                Ok(warning_page(&warn, cookie))
            }
        }
    }
}
