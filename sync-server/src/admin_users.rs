//! Web users' lifecycle and the audit log's reader, shared by the command
//! line (`user ...`, `audit ...`) and the admin pages, so both apply the
//! same rules and write the same audit entries.

use std::fmt::Write as _;

use fieldkit_protocols::strength::{self, Hint, Level};
use time::{Date, OffsetDateTime};

use crate::access::{check, Access, Principal};
use crate::export::csv::text_field;
use crate::store::web::parse_role;
use crate::store::{AuditEntry, AuditFilter, Store, StoreError, WebUser, WebUserSummary};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("no web user `{0}`; `fieldkit-server user list` shows them")]
    NoSuchUser(String),
    #[error("a web user `{0}` exists already; choose another login")]
    Exists(String),
    #[error("the login `{0}` must be one word without spaces, at most 64 characters")]
    BadLogin(String),
    #[error("the role must be supervisor, analyst or admin, not `{0}`")]
    BadRole(String),
    #[error("the password is too easy to guess: {0}")]
    WeakPassword(String),
    #[error("you cannot {0} your own account while logged in with it; ask another admin")]
    OwnAccount(&'static str),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Forbidden(#[from] crate::access::Forbidden),
}

/// The rule for web passwords: at least 12 characters, rated at least
/// "good" by the same strength meter the app uses for vault passphrases,
/// and not containing the login.
pub fn check_password(login: &str, password: &str) -> Result<(), UserError> {
    let assessment = strength::assess(password);
    let mut problems = Vec::new();
    if password.chars().count() < strength::RECOMMENDED_LENGTH {
        problems.push(format!(
            "use at least {} characters",
            strength::RECOMMENDED_LENGTH
        ));
    }
    if login.chars().count() >= 3 && password.to_lowercase().contains(&login.to_lowercase()) {
        problems.push("do not put the login in it".to_owned());
    }
    if assessment.level < Level::Good {
        for hint in &assessment.hints {
            problems.push(
                match hint {
                    Hint::Length => continue,
                    Hint::Variety => "mix kinds of characters, or use several words",
                    Hint::Common => "it is on the lists attackers try first",
                    Hint::Repeats => "avoid repeated characters and runs like 1234 or abcd",
                }
                .to_owned(),
            );
        }
        if problems.is_empty() {
            problems.push("make it longer; a few unrelated words work well".to_owned());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(UserError::WeakPassword(problems.join("; ")))
    }
}

fn check_login(login: &str) -> Result<&str, UserError> {
    let login = login.trim();
    if login.is_empty()
        || login.chars().count() > 64
        || login.contains(|c: char| c.is_whitespace() || c.is_control())
    {
        return Err(UserError::BadLogin(login.to_owned()));
    }
    Ok(login)
}

fn hash(password: &str) -> Result<String, UserError> {
    crate::web::hash_password(password).map_err(|e| UserError::Hash(e.to_string()))
}

pub fn add(
    store: &dyn Store,
    by: &Principal,
    login: &str,
    role: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<(), UserError> {
    check(by, Access::ManageUsers)?;
    let login = check_login(login)?;
    let role = parse_role(role).ok_or_else(|| UserError::BadRole(role.to_owned()))?;
    check_password(login, password)?;
    let user = WebUser {
        login: login.to_owned(),
        role,
        password_hash: hash(password)?,
        disabled: false,
    };
    if !store.add_web_user(&user, now)? {
        return Err(UserError::Exists(login.to_owned()));
    }
    store.audit(by, "add_web_user", login, now)?;
    Ok(())
}

/// Disables or enables a user. Disabling ends their sessions at once;
/// enabling also lifts a login lock.
pub fn set_disabled(
    store: &dyn Store,
    by: &Principal,
    login: &str,
    disabled: bool,
    now: OffsetDateTime,
) -> Result<(), UserError> {
    check(by, Access::ManageUsers)?;
    if disabled && by.id == login {
        return Err(UserError::OwnAccount("disable"));
    }
    if !store.set_web_user_disabled(login, disabled.then_some(now))? {
        return Err(UserError::NoSuchUser(login.to_owned()));
    }
    let action = if disabled {
        "disable_web_user"
    } else {
        "enable_web_user"
    };
    store.audit(by, action, login, now)?;
    Ok(())
}

/// Sets a new password (checked like a new one); every session of the user
/// ends, and a login lock is lifted.
pub fn set_password(
    store: &dyn Store,
    by: &Principal,
    login: &str,
    password: &str,
    now: OffsetDateTime,
) -> Result<(), UserError> {
    check(by, Access::ManageUsers)?;
    check_password(login, password)?;
    if !store.set_web_password(login, &hash(password)?)? {
        return Err(UserError::NoSuchUser(login.to_owned()));
    }
    store.audit(by, "set_password", login, now)?;
    Ok(())
}

pub fn remove(
    store: &dyn Store,
    by: &Principal,
    login: &str,
    now: OffsetDateTime,
) -> Result<(), UserError> {
    check(by, Access::ManageUsers)?;
    if by.id == login {
        return Err(UserError::OwnAccount("remove"));
    }
    if !store.remove_web_user(login)? {
        return Err(UserError::NoSuchUser(login.to_owned()));
    }
    store.audit(by, "remove_web_user", login, now)?;
    Ok(())
}

fn day(at: Option<OffsetDateTime>) -> String {
    at.map_or_else(|| "-".to_owned(), |t| t.date().to_string())
}

fn stamp(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The operator's console as it acts on users and reads the audit log.
pub fn console() -> Principal {
    Principal {
        role: crate::access::Role::Admin,
        id: "cli".to_owned(),
    }
}

/// `user list` as a table.
pub fn render_users(users: &[WebUserSummary]) -> String {
    let mut out =
        String::from("LOGIN                 ROLE        STATUS    CREATED     LAST LOGIN\n");
    for u in users {
        let _ = writeln!(
            out,
            "{:<20}  {:<10}  {:<8}  {}  {}",
            u.login,
            format!("{:?}", u.role).to_lowercase(),
            if u.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            u.created_at.date(),
            day(u.last_login_at)
        );
    }
    out
}

/// Parses `YYYY-MM-DD` for the audit filters.
pub fn parse_day(text: &str) -> Result<Date, String> {
    Date::parse(
        text,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| format!("`{text}` is not a date; write it as YYYY-MM-DD"))
}

/// The audit entries `who` may read, as CSV (formula-safe, like every CSV
/// the server writes). The reading itself is audited.
pub fn audit_csv(
    store: &dyn Store,
    who: &Principal,
    filter: &AuditFilter,
    now: OffsetDateTime,
) -> Result<String, StoreError> {
    let entries = store.audit_entries(who, filter)?;
    store.audit(who, "export:audit-csv", "audit_log", now)?;
    Ok(entries_csv(&entries))
}

pub fn entries_csv(entries: &[AuditEntry]) -> String {
    let mut out = String::from("at,actor,action,target,source\n");
    let mut line = String::new();
    for e in entries {
        line.clear();
        line.push_str(&stamp(e.at));
        for field in [&e.actor, &e.action, &e.target] {
            line.push(',');
            text_field(&mut line, field);
        }
        line.push(',');
        text_field(&mut line, e.source.as_deref().unwrap_or(""));
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `audit list` as a table.
pub fn render_entries(entries: &[AuditEntry]) -> String {
    let mut out = String::from("AT                              ACTOR                 ACTION               TARGET  (SOURCE)\n");
    for e in entries {
        let _ = writeln!(
            out,
            "{:<30}  {:<20}  {:<19}  {}{}",
            stamp(e.at),
            e.actor,
            e.action,
            e.target,
            e.source
                .as_deref()
                .map_or(String::new(), |s| format!("  ({s})"))
        );
    }
    out
}

/// Applies the retention: drops entries older than `days` days (0 keeps
/// everything). Returns how many went.
pub fn prune_audit(store: &dyn Store, days: u32, now: OffsetDateTime) -> Result<usize, StoreError> {
    if days == 0 {
        return Ok(0);
    }
    store.prune_audit_log(now - time::Duration::days(i64::from(days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_the_meters_good_rating() {
        assert!(check_password("sam", "correct horse battery staple").is_ok());
        let spaces = check_password("sam", "            ")
            .unwrap_err()
            .to_string();
        assert!(spaces.contains("too easy"), "{spaces}");
        assert!(check_password("sam", "Password2024!").is_err());
        assert!(check_password("sam", "short Tq8").is_err());
        let named = check_password("amina", "amina river lamp quietly").unwrap_err();
        assert!(named.to_string().contains("login"), "{named}");
    }
}
