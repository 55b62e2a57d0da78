//! The SQLite side of web accounts and the audit log's reader: user
//! lifecycle, the failed logins throttling reads, filtered audit entries,
//! retention. Each function is one statement or one transaction; the
//! `WebStore` methods in `web.rs` call them.
//!
//! Failed and successful logins are audit entries (`login_failed`,
//! `login_ok`, with the login as target and the source address), and the
//! throttle counts them there: one write per attempt, and the count is the
//! same for every server sharing the database.

use rusqlite::{params, Connection, TransactionBehavior};
use time::OffsetDateTime;

use super::rows::{parse_ts, ts};
use super::web::{parse_role, AuditFilter, FailedLogin, LoginFailures, WebUserSummary};
use super::{AuditEntry, StoreError};

/// Columns added after the first release: added in place on open.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("audit_log", "source", "TEXT"),
    ("web_users", "disabled_at", "TEXT"),
];

/// Indexes over the added columns, so they come after them.
const ACCOUNT_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS audit_target ON audit_log (target, action, id);
CREATE INDEX IF NOT EXISTS audit_source ON audit_log (source, action, id);
";

/// Brings an older database up to date; runs inside the opening
/// transaction, so two processes opening at once do not both alter.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    for (table, column, kind) in ADDED_COLUMNS {
        let exists: bool = conn
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
            ))?
            .exists(params![column])?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    conn.execute_batch(ACCOUNT_INDEXES)?;
    Ok(())
}

pub(super) fn users(conn: &Connection) -> Result<Vec<WebUserSummary>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT u.login, u.role, u.created_at, u.disabled_at,
             (SELECT MAX(a.id) FROM audit_log a WHERE a.target = u.login AND a.action = 'login_ok')
         FROM web_users u ORDER BY u.login",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<i64>>(4)?,
        ))
    })?;
    let mut users = Vec::new();
    for row in rows {
        let (login, role, created, disabled, last_login) = row?;
        let last_login_at = match last_login {
            Some(id) => Some(parse_ts(&conn.query_row(
                "SELECT at FROM audit_log WHERE id = ?1",
                params![id],
                |r| r.get::<_, String>(0),
            )?)?),
            None => None,
        };
        users.push(WebUserSummary {
            role: parse_role(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("web user role `{role}`")))?,
            login,
            created_at: parse_ts(&created)?,
            disabled_at: disabled.as_deref().map(parse_ts).transpose()?,
            last_login_at,
        });
    }
    Ok(users)
}

/// Disables (or enables, `at == None`) a user; disabling ends every session
/// of theirs in the same transaction. (The caller's `enable_web_user` audit
/// entry is what lifts a login lock, see [`RESETS`].)
pub(super) fn set_disabled(
    conn: &mut Connection,
    login: &str,
    at: Option<OffsetDateTime>,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE web_users SET disabled_at = ?1 WHERE login = ?2",
        params![at.map(ts), login],
    )?;
    if at.is_some() {
        tx.execute("DELETE FROM web_sessions WHERE login = ?1", params![login])?;
    }
    tx.commit()?;
    Ok(changed == 1)
}

/// A new password hash; every session of the user ends with the change.
pub(super) fn set_password(
    conn: &mut Connection,
    login: &str,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE web_users SET password_hash = ?1 WHERE login = ?2",
        params![password_hash, login],
    )?;
    tx.execute("DELETE FROM web_sessions WHERE login = ?1", params![login])?;
    tx.commit()?;
    Ok(changed == 1)
}

/// Removes a user and (by cascade) their sessions; the audit log keeps
/// what they did under their login.
pub(super) fn remove(conn: &Connection, login: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM web_users WHERE login = ?1", params![login])? == 1)
}

/// Audit actions after which earlier failed logins no longer count against
/// an account: a success, or an admin enabling it or setting its password.
pub const RESETS: &str = "'login_ok', 'enable_web_user', 'set_password'";

/// The newest failed logins for `login` since its last success (or unlock),
/// and for `source`, newest first, `limit` of each at most.
pub(super) fn login_failures(
    conn: &Connection,
    login: &str,
    source: &str,
    limit: u32,
) -> Result<LoginFailures, StoreError> {
    let read = |sql: &str, key: &str| -> Result<Vec<FailedLogin>, StoreError> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![key, limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        rows.map(|row| {
            let (at, source) = row?;
            Ok(FailedLogin {
                at: parse_ts(&at)?,
                source: source.unwrap_or_default(),
            })
        })
        .collect()
    };
    let by_login = read(
        &format!(
            "SELECT at, source FROM audit_log
             WHERE target = ?1 AND action = 'login_failed'
               AND id > COALESCE((SELECT MAX(id) FROM audit_log
                                  WHERE target = ?1 AND action IN ({RESETS})), 0)
             ORDER BY id DESC LIMIT ?2"
        ),
        login,
    )?;
    let by_source = read(
        "SELECT at, source FROM audit_log WHERE source = ?1 AND action = 'login_failed'
         ORDER BY id DESC LIMIT ?2",
        source,
    )?;
    Ok(LoginFailures {
        by_login,
        by_source,
    })
}

pub(super) fn write(conn: &Connection, entry: &AuditEntry) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit_log (actor, action, target, at, source) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            entry.actor,
            entry.action,
            entry.target,
            ts(entry.at),
            entry.source
        ],
    )?;
    Ok(())
}

/// Entries matching `filter`, newest first.
pub(super) fn entries(
    conn: &Connection,
    filter: &AuditFilter,
    reads_only: bool,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT actor, action, target, at, source FROM audit_log
         WHERE (?1 IS NULL OR actor LIKE ?1 ESCAPE '\\')
           AND (?2 IS NULL OR action LIKE ?2 ESCAPE '\\')
           AND (?3 IS NULL OR substr(at, 1, 10) >= ?3)
           AND (?4 IS NULL OR substr(at, 1, 10) <= ?4)
           AND (?5 = 0 OR action LIKE 'export:%' OR action LIKE 'view:%' OR action = 'read_record')
         ORDER BY id DESC LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![
            contains_pattern(&filter.who),
            contains_pattern(&filter.action),
            filter.from.map(|d| d.to_string()),
            filter.to.map(|d| d.to_string()),
            reads_only,
            filter.limit,
        ],
        entry_row,
    )?;
    rows.map(|row| to_entry(row?)).collect()
}

/// A `LIKE` pattern (escape character `\`) matching any text that contains the
/// filter's (trimmed) text literally; `None` for an empty filter.
pub(super) fn contains_pattern(text: &Option<String>) -> Option<String> {
    text.as_deref().filter(|t| !t.trim().is_empty()).map(|t| {
        let escaped = t
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{escaped}%")
    })
}

type EntryRow = (String, String, String, String, Option<String>);

/// One row of `SELECT actor, action, target, at, source FROM audit_log`.
pub(super) fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

pub(super) fn to_entry(
    (actor, action, target, at, source): EntryRow,
) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        actor,
        action,
        target,
        at: parse_ts(&at)?,
        source,
    })
}

/// Drops entries older than `before`; returns how many.
pub(super) fn prune(conn: &Connection, before: OffsetDateTime) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "DELETE FROM audit_log WHERE julianday(at) < julianday(?1)",
        params![ts(before)],
    )?)
}
