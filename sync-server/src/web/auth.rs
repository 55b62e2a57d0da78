//! Login with argon2 password hashes, session cookies and CSRF tokens.

use std::time::Duration as StdDuration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::{blocking, esc, layout, PageError};
use crate::access::Principal;
use crate::api::AppState;
use crate::secrets::hash_secret;
use crate::store::WebSession;

const SESSION_COOKIE: &str = "fk_session";
const LOGIN_COOKIE: &str = "fk_login";
/// A working day; after that, log in again.
const SESSION_HOURS: i64 = 10;

/// Hashes a password for `user add` (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

fn random_token() -> Zeroizing<String> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Zeroizing::new(hex::encode(bytes))
}

/// Compares tokens without stopping at the first difference.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: StdDuration) -> String {
    let secure = if state.config.tls_cert.is_some() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

/// A logged-in web user. As an extractor it sends anyone else to `/login`.
#[derive(Debug, Clone)]
pub struct User {
    session: WebSession,
    token_hash: String,
}

impl User {
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }

    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }

    /// Refuses a POST whose form token is not this session's (CSRF).
    pub fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if same_token(sent, &self.session.csrf) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "this form is out of date or did not come from this site; reload the page and try again",
            ))
        }
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<User, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let token_hash = hash_secret(&token);
        let lookup = token_hash.clone();
        let now = OffsetDateTime::now_utc();
        let session = blocking(state, move |store| Ok(store.web_session(&lookup, now)?))
            .await
            .map_err(IntoResponse::into_response)?;
        match session {
            Some(session) => Ok(User {
                session,
                token_hash,
            }),
            None => Err(to_login()),
        }
    }
}

fn form_page(token: &str, problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| {
        format!("<p class=\"caveat\">{}</p>", esc(p))
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

/// The login form, with a fresh token in a cookie and the form (double
/// submit), so a login cannot be forged from another site.
pub async fn login_form(State(state): State<AppState>) -> Response {
    let token = random_token();
    let cookie = set_cookie(&state, LOGIN_COOKIE, &token, StdDuration::from_secs(3600));
    (
        [(header::SET_COOKIE, cookie)],
        layout("Log in", None, &form_page(&token, None)),
    )
        .into_response()
}

/// A typed password: wiped when dropped, never printed.
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Password(String);

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

pub async fn login(
    State(state): State<AppState>,
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
    let login = form.login.trim().to_owned();
    let password = form.password;
    let session_token = random_token();
    let session_hash = hash_secret(&session_token);
    let csrf = random_token();
    let now = OffsetDateTime::now_utc();
    let who = login.clone();
    let ok = blocking(&state, move |store| {
        let Some(user) = store.web_user(&who)? else {
            // Same work as a real check, so timing does not reveal logins.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
            let _ = password_matches(&password.0, dummy);
            return Ok(false);
        };
        if !password_matches(&password.0, &user.password_hash) {
            return Ok(false);
        }
        store.start_web_session(
            &session_hash,
            &who,
            &csrf,
            now + Duration::hours(SESSION_HOURS),
        )?;
        Ok(true)
    })
    .await?;
    if !ok {
        tracing::info!("web login refused");
        let token = random_token();
        let cookie = set_cookie(&state, LOGIN_COOKIE, &token, StdDuration::from_secs(3600));
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(header::SET_COOKIE, cookie)],
            layout(
                "Log in",
                None,
                &form_page(&token, Some("Wrong login or password.")),
            ),
        )
            .into_response());
    }
    let hours = u64::try_from(SESSION_HOURS).unwrap_or(10);
    let cookie = set_cookie(
        &state,
        SESSION_COOKIE,
        &session_token,
        StdDuration::from_secs(hours * 3600),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/web")).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    user.check_csrf(&form.csrf)?;
    let hash = user.token_hash.clone();
    blocking(&state, move |store| Ok(store.end_web_session(&hash)?)).await?;
    let cookie = set_cookie(&state, SESSION_COOKIE, "", StdDuration::ZERO);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
