//! The PostgreSQL side of web accounts and the audit log's reader, as
//! `store/accounts.rs` is SQLite's: user lifecycle, the failed logins
//! throttling reads, filtered audit entries.
//!
//! Failed logins are audit entries in the shared database, so every
//! instance throttles on the same count.

use time::OffsetDateTime;

use super::web::{role, to_entry};
use super::PgStore;
use crate::store::accounts::{contains_pattern, RESETS};
use crate::store::{
    AuditEntry, AuditFilter, FailedLogin, LoginFailures, StoreError, WebUserSummary,
};

pub(super) async fn users(store: &PgStore) -> Result<Vec<WebUserSummary>, StoreError> {
    let rows = store
        .client()
        .await?
        .query(
            "SELECT u.login, u.role, u.created_at, u.disabled_at, last.at
             FROM web_users u
             LEFT JOIN LATERAL (
                 SELECT a.at FROM audit_log a
                 WHERE a.target = u.login AND a.action = 'login_ok'
                 ORDER BY a.id DESC LIMIT 1) last ON true
             ORDER BY u.login COLLATE \"C\"",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(WebUserSummary {
                login: r.get(0),
                role: role(r.get(1))?,
                created_at: r.get(2),
                disabled_at: r.get(3),
                last_login_at: r.get(4),
            })
        })
        .collect()
}

/// Disables (or enables, `at == None`) a user; disabling ends every session
/// of theirs in the same transaction.
pub(super) async fn set_disabled(
    store: &PgStore,
    login: &str,
    at: Option<OffsetDateTime>,
) -> Result<bool, StoreError> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE web_users SET disabled_at = $1 WHERE login = $2",
            &[&at, &login],
        )
        .await?;
    if at.is_some() {
        tx.execute("DELETE FROM web_sessions WHERE login = $1", &[&login])
            .await?;
    }
    tx.commit().await?;
    Ok(changed == 1)
}

/// A new password hash; every session of the user ends with the change.
pub(super) async fn set_password(
    store: &PgStore,
    login: &str,
    password_hash: &str,
) -> Result<bool, StoreError> {
    let mut client = store.client().await?;
    let tx = client.transaction().await?;
    let changed = tx
        .execute(
            "UPDATE web_users SET password_hash = $1 WHERE login = $2",
            &[&password_hash, &login],
        )
        .await?;
    tx.execute("DELETE FROM web_sessions WHERE login = $1", &[&login])
        .await?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// The newest failed logins for `login` since its last success (or unlock),
/// and for `source`, newest first, `limit` of each at most.
pub(super) async fn login_failures(
    store: &PgStore,
    login: &str,
    source: &str,
    limit: u32,
) -> Result<LoginFailures, StoreError> {
    let client = store.client().await?;
    let limit = i64::from(limit);
    let by_login = client
        .prepare_cached(&format!(
            "SELECT at, source FROM audit_log
             WHERE target = $1 AND action = 'login_failed'
               AND id > COALESCE((SELECT MAX(id) FROM audit_log
                                  WHERE target = $1 AND action IN ({RESETS})), 0)
             ORDER BY id DESC LIMIT $2"
        ))
        .await?;
    let by_source = client
        .prepare_cached(
            "SELECT at, source FROM audit_log WHERE source = $1 AND action = 'login_failed'
             ORDER BY id DESC LIMIT $2",
        )
        .await?;
    let failed = |rows: Vec<tokio_postgres::Row>| -> Vec<FailedLogin> {
        rows.iter()
            .map(|r| FailedLogin {
                at: r.get(0),
                source: r.get::<_, Option<String>>(1).unwrap_or_default(),
            })
            .collect()
    };
    Ok(LoginFailures {
        by_login: failed(client.query(&by_login, &[&login, &limit]).await?),
        by_source: failed(client.query(&by_source, &[&source, &limit]).await?),
    })
}

/// Entries matching `filter`, newest first. Text filters match any part,
/// ignoring case as SQLite's `LIKE` does, with wildcards escaped.
pub(super) async fn entries(
    store: &PgStore,
    filter: &AuditFilter,
    reads_only: bool,
) -> Result<Vec<AuditEntry>, StoreError> {
    // Lowercased on both sides: SQLite's LIKE ignores case.
    let like = |text: &Option<String>| contains_pattern(text).map(|p| p.to_lowercase());
    // Days are UTC days, as the SQLite store's text timestamps are.
    let rows = store
        .client()
        .await?
        .query(
            "SELECT actor, action, target, at, source FROM audit_log
             WHERE ($1::text IS NULL OR lower(actor) LIKE $1 ESCAPE '\\')
               AND ($2::text IS NULL OR lower(action) LIKE $2 ESCAPE '\\')
               AND ($3::date IS NULL OR (at AT TIME ZONE 'UTC')::date >= $3)
               AND ($4::date IS NULL OR (at AT TIME ZONE 'UTC')::date <= $4)
               AND (NOT $5 OR action LIKE 'export:%' OR action LIKE 'view:%'
                    OR action = 'read_record')
             ORDER BY id DESC LIMIT $6",
            &[
                &like(&filter.who),
                &like(&filter.action),
                &filter.from,
                &filter.to,
                &reads_only,
                &i64::from(filter.limit),
            ],
        )
        .await?;
    Ok(rows.iter().map(to_entry).collect())
}
