//! What the web pages and exports need from storage: web users and their
//! login sessions, and a streaming scan over stored records.
//!
//! Kept apart from [`super::Store`]'s sync methods so the sync API and the
//! pages can change independently; `Store` requires it, so handlers reach
//! both through the same `Arc<dyn Store>`.

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use time::OffsetDateTime;

use super::accounts;
use super::rows::{parse_ts, ts};
use super::sqlite::SqliteStore;
use super::{AuditEntry, StoreError};
use crate::access::{allows, check, Access, Principal, Role};

pub(super) const WEB_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS web_users (
    login TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_sessions (
    token_hash TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES web_users(login) ON DELETE CASCADE,
    csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
-- The scan's whole ORDER BY, so SQLite never sorts (replaces records_protocol).
DROP INDEX IF EXISTS records_protocol;
CREATE INDEX IF NOT EXISTS records_scan ON records (protocol_id, received_at, record_id);
";

/// A person who logs in to the pages. The hash is an argon2 PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct WebUser {
    pub login: String,
    pub role: Role,
    pub password_hash: String,
    /// A disabled user cannot log in and has no sessions.
    pub disabled: bool,
}

/// A web user as `user list` and the users page show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUserSummary {
    pub login: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
    pub last_login_at: Option<OffsetDateTime>,
}

/// One failed login: when, and from which source address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin {
    pub at: OffsetDateTime,
    pub source: String,
}

/// What login throttling needs to know, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// Failed logins for this login name since its last success (or since
    /// an admin enabled it or set its password).
    pub by_login: Vec<FailedLogin>,
    /// Failed logins from this source address, for any login.
    pub by_source: Vec<FailedLogin>,
}

/// Which audit entries to list; `None` fields do not filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Part of the actor (`sam`, `Analyst:`, a device id).
    pub who: Option<String>,
    /// Part of the action (`export`, `login_failed`).
    pub action: Option<String>,
    /// First and last day, inclusive (UTC).
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    /// Most entries returned, newest first.
    pub limit: u32,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            who: None,
            action: None,
            from: None,
            to: None,
            limit: 500,
        }
    }
}

impl std::fmt::Debug for WebUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUser")
            .field("login", &self.login)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A logged-in browser: who, and the token its forms must carry (CSRF).
#[derive(Clone, PartialEq, Eq)]
pub struct WebSession {
    pub principal: Principal,
    pub csrf: String,
}

impl std::fmt::Debug for WebSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSession")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// Why records are read: process facts for supervisors, or answers for
/// analysts (checked against the role, and audited, R22).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanPurpose<'a> {
    Compliance,
    /// The audit log's action, e.g. `export:csv-wide` or `view:tables`.
    Answers {
        action: &'a str,
    },
}

/// One stored record as the scan hands it out, borrowed from the row so a
/// million-row export allocates nothing per record here.
#[derive(Debug, Clone, Copy)]
pub struct ScannedRecord<'a> {
    pub device_id: &'a str,
    pub received_at: &'a str,
    pub envelope_json: &'a str,
    /// The review state's id (`approved`...); `None` until reviewed.
    pub review_state: Option<&'a str>,
}

pub trait WebStore {
    /// `false` if the login exists already (nothing is changed then).
    fn add_web_user(&self, user: &WebUser, now: OffsetDateTime) -> Result<bool, StoreError>;
    fn web_user(&self, login: &str) -> Result<Option<WebUser>, StoreError>;
    fn start_web_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The live session for a cookie's token hash; expired ones are `None`.
    fn web_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<WebSession>, StoreError>;
    fn end_web_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Every web user, by login.
    fn web_users(&self) -> Result<Vec<WebUserSummary>, StoreError>;
    /// Disables (`Some(now)`) or enables (`None`) a user; disabling ends
    /// their sessions at once. `false` if there is no such user.
    fn set_web_user_disabled(
        &self,
        login: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError>;
    /// Replaces a user's password hash and ends their sessions at once.
    fn set_web_password(&self, login: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// Removes a user and their sessions; the audit log keeps their entries.
    fn remove_web_user(&self, login: &str) -> Result<bool, StoreError>;
    /// The newest failed logins (at most `limit` of each) for a login name
    /// and for a source address: the throttle's whole state, shared by
    /// every server using this database.
    fn login_failures(
        &self,
        login: &str,
        source: &str,
        limit: u32,
    ) -> Result<LoginFailures, StoreError>;
    /// Writes one audit entry as it is (logins carry their source address).
    fn write_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Audit entries matching `filter`, newest first: everything for
    /// `ReadAuditLog`, only answer reads for `ReadDataAudit` (R22).
    fn audit_entries(
        &self,
        who: &Principal,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Drops audit entries older than `before` (retention); returns how many.
    fn prune_audit_log(&self, before: OffsetDateTime) -> Result<usize, StoreError>;
    /// Writes one audit entry (R22).
    fn audit(
        &self,
        who: &Principal,
        action: &str,
        target: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Calls `each` for every stored record of `protocol_id`, oldest first,
    /// after checking the role for `purpose` (and auditing answer reads).
    /// Returns how many records were visited.
    fn scan_records(
        &self,
        who: &Principal,
        purpose: ScanPurpose<'_>,
        protocol_id: &str,
        now: OffsetDateTime,
        each: &mut dyn FnMut(ScannedRecord<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Device => "device",
        Role::Supervisor => "supervisor",
        Role::Analyst => "analyst",
        Role::Admin => "admin",
    }
}

pub fn parse_role(text: &str) -> Option<Role> {
    [Role::Supervisor, Role::Analyst, Role::Admin]
        .into_iter()
        .find(|r| role_name(*r) == text)
}

impl WebStore for SqliteStore {
    fn add_web_user(&self, user: &WebUser, now: OffsetDateTime) -> Result<bool, StoreError> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO web_users (login, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                user.login,
                role_name(user.role),
                user.password_hash,
                ts(now)
            ],
        )?;
        Ok(added == 1)
    }

    fn web_user(&self, login: &str) -> Result<Option<WebUser>, StoreError> {
        let row: Option<(String, String, bool)> = self
            .conn()
            .query_row(
                "SELECT role, password_hash, disabled_at IS NOT NULL FROM web_users WHERE login = ?1",
                params![login],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(role, password_hash, disabled)| {
            Ok(WebUser {
                login: login.to_owned(),
                role: parse_role(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("web user role `{role}`")))?,
                password_hash,
                disabled,
            })
        })
        .transpose()
    }

    fn start_web_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO web_sessions VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, login, csrf, ts(expires_at)],
        )?;
        Ok(())
    }

    fn web_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<WebSession>, StoreError> {
        let row: Option<(String, String, String, String)> = self
            .conn()
            .query_row(
                "SELECT s.login, u.role, s.csrf, s.expires_at FROM web_sessions s
                 JOIN web_users u ON u.login = s.login
                 WHERE s.token_hash = ?1 AND u.disabled_at IS NULL",
                params![token_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((login, role, csrf, expires)) = row else {
            return Ok(None);
        };
        if parse_ts(&expires)? <= now {
            return Ok(None);
        }
        let role = parse_role(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("web user role `{role}`")))?;
        Ok(Some(WebSession {
            principal: Principal { role, id: login },
            csrf,
        }))
    }

    fn end_web_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM web_sessions WHERE token_hash = ?1",
            params![token_hash],
        )?;
        Ok(())
    }

    fn web_users(&self) -> Result<Vec<WebUserSummary>, StoreError> {
        accounts::users(&self.conn())
    }

    fn set_web_user_disabled(
        &self,
        login: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        accounts::set_disabled(&mut self.conn(), login, disabled_at)
    }

    fn set_web_password(&self, login: &str, password_hash: &str) -> Result<bool, StoreError> {
        accounts::set_password(&mut self.conn(), login, password_hash)
    }

    fn remove_web_user(&self, login: &str) -> Result<bool, StoreError> {
        accounts::remove(&self.conn(), login)
    }

    fn login_failures(
        &self,
        login: &str,
        source: &str,
        limit: u32,
    ) -> Result<LoginFailures, StoreError> {
        accounts::login_failures(&self.conn(), login, source, limit)
    }

    fn write_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        accounts::write(&self.conn(), entry)
    }

    fn audit_entries(
        &self,
        who: &Principal,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let reads_only = !allows(who.role, Access::ReadAuditLog);
        if reads_only {
            check(who, Access::ReadDataAudit)?;
        }
        accounts::entries(&self.conn(), filter, reads_only)
    }

    fn prune_audit_log(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        accounts::prune(&self.conn(), before)
    }

    fn audit(
        &self,
        who: &Principal,
        action: &str,
        target: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit_log (actor, action, target, at) VALUES (?1, ?2, ?3, ?4)",
            params![who.to_string(), action, target, ts(now)],
        )?;
        Ok(())
    }

    fn scan_records(
        &self,
        who: &Principal,
        purpose: ScanPurpose<'_>,
        protocol_id: &str,
        now: OffsetDateTime,
        each: &mut dyn FnMut(ScannedRecord<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let file = {
            let conn = self.conn();
            match purpose {
                ScanPurpose::Compliance => check(who, Access::ReadCompliance)?,
                ScanPurpose::Answers { action } => {
                    check(who, Access::ReadAnswers)?;
                    // Audited before the first answer is read (R22).
                    conn.execute(
                        "INSERT INTO audit_log (actor, action, target, at) VALUES (?1, ?2, ?3, ?4)",
                        params![who.to_string(), action, protocol_id, ts(now)],
                    )?;
                }
            }
            conn.path().filter(|p| !p.is_empty()).map(str::to_owned)
        };
        // The scan reads through its own read-only connection, so a long
        // export (or a slow download) never holds the server's writer:
        // ingest goes on, and WAL gives the scan one consistent snapshot.
        match file {
            Some(file) => {
                let reader = Connection::open_with_flags(
                    file,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                reader.busy_timeout(std::time::Duration::from_secs(5))?;
                scan_with(&reader, protocol_id, each)
            }
            None => scan_with(&self.conn(), protocol_id, each),
        }
    }
}

/// One SELECT: in WAL mode a single statement reads one consistent state.
fn scan_with(
    conn: &Connection,
    protocol_id: &str,
    each: &mut dyn FnMut(ScannedRecord<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT r.device_id, r.received_at, r.envelope, s.state FROM records r
         LEFT JOIN review_states s ON s.record_id = r.record_id
         WHERE r.protocol_id = ?1 ORDER BY r.received_at, r.record_id",
    )?;
    let mut rows = stmt.query(params![protocol_id])?;
    let mut visited = 0;
    while let Some(row) = rows.next()? {
        let text = |i: usize| -> Result<&str, StoreError> {
            row.get_ref(i)?
                .as_str()
                .map_err(|e| StoreError::Corrupt(format!("record column {i}: {e}")))
        };
        each(ScannedRecord {
            device_id: text(0)?,
            received_at: text(1)?,
            envelope_json: text(2)?,
            review_state: row
                .get_ref(3)?
                .as_str_or_null()
                .map_err(|e| StoreError::Corrupt(format!("record column 3: {e}")))?,
        })?;
        visited += 1;
    }
    Ok(visited)
}
