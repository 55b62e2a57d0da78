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
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{blocking, PageError};
use crate::access::Principal;
use crate::api::AppState;
use crate::secrets::hash_secret;
use crate::store::WebSession;

pub(super) const SESSION_COOKIE: &str = "fk_session";
pub(super) const LOGIN_COOKIE: &str = "fk_login";
/// A working day; after that, log in again.
pub(super) const SESSION_HOURS: i64 = 10;

/// Hashes a password for `user add` (argon2id, random salt).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub(super) fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

pub(super) fn random_token() -> Zeroizing<String> {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Zeroizing::new(hex::encode(bytes))
}

/// Compares tokens without stopping at the first difference.
pub(super) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(super) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: StdDuration,
) -> String {
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
    let who = user.principal().clone();
    blocking(&state, move |store| {
        store.end_web_session(&hash)?;
        store.audit(&who, "logout", &who.id, OffsetDateTime::now_utc())?;
        Ok(())
    })
    .await?;
    let cookie = set_cookie(&state, SESSION_COOKIE, "", StdDuration::ZERO);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
