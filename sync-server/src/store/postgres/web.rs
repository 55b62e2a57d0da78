//! Web logins, sessions, the audit log and the streaming scan, on
//! PostgreSQL. Sessions and their CSRF tokens live in the database, so a
//! browser may land on any instance.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{accounts, PgStore, SCAN_CHUNK};
use crate::access::{allows, check, Access, Principal};
use crate::store::web::{parse_role, role_name};
use crate::store::{
    AuditEntry, AuditFilter, LoginFailures, ScanPurpose, ScannedRecord, StoreError, WebSession,
    WebStore, WebUser, WebUserSummary,
};

/// One row of `SELECT actor, action, target, at, source FROM audit_log`.
pub(super) fn to_entry(r: &tokio_postgres::Row) -> AuditEntry {
    AuditEntry {
        actor: r.get(0),
        action: r.get(1),
        target: r.get(2),
        at: r.get(3),
        source: r.get(4),
    }
}

pub(super) fn role(text: &str) -> Result<crate::access::Role, StoreError> {
    parse_role(text).ok_or_else(|| StoreError::Corrupt(format!("web user role `{text}`")))
}

impl WebStore for PgStore {
    fn add_web_user(&self, user: &WebUser, now: OffsetDateTime) -> Result<bool, StoreError> {
        self.block(async {
            let added = self
                .client()
                .await?
                .execute(
                    "INSERT INTO web_users (login, role, password_hash, created_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    &[
                        &user.login,
                        &role_name(user.role),
                        &user.password_hash,
                        &now,
                    ],
                )
                .await?;
            Ok(added == 1)
        })
    }

    fn web_user(&self, login: &str) -> Result<Option<WebUser>, StoreError> {
        self.block(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    "SELECT role, password_hash, disabled_at IS NOT NULL
                     FROM web_users WHERE login = $1",
                    &[&login],
                )
                .await?;
            row.map(|r| {
                Ok(WebUser {
                    login: login.to_owned(),
                    role: role(r.get(0))?,
                    password_hash: r.get(1),
                    disabled: r.get(2),
                })
            })
            .transpose()
        })
    }

    fn start_web_session(
        &self,
        token_hash: &str,
        login: &str,
        csrf: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO web_sessions VALUES ($1, $2, $3, $4)",
                    &[&token_hash, &login, &csrf, &expires_at],
                )
                .await?;
            Ok(())
        })
    }

    fn web_session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<WebSession>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let statement = client
                .prepare_cached(
                    "SELECT s.login, u.role, s.csrf FROM web_sessions s
                     JOIN web_users u ON u.login = s.login
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
                )
                .await?;
            let row = client.query_opt(&statement, &[&token_hash, &now]).await?;
            row.map(|r| {
                Ok(WebSession {
                    principal: Principal {
                        role: role(r.get(1))?,
                        id: r.get(0),
                    },
                    csrf: r.get(2),
                })
            })
            .transpose()
        })
    }

    fn end_web_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "DELETE FROM web_sessions WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await?;
            Ok(())
        })
    }

    fn web_users(&self) -> Result<Vec<WebUserSummary>, StoreError> {
        self.block(accounts::users(self))
    }

    fn set_web_user_disabled(
        &self,
        login: &str,
        disabled_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        self.block(accounts::set_disabled(self, login, disabled_at))
    }

    fn set_web_password(&self, login: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.block(accounts::set_password(self, login, password_hash))
    }

    fn remove_web_user(&self, login: &str) -> Result<bool, StoreError> {
        self.block(async {
            let removed = self
                .client()
                .await?
                .execute("DELETE FROM web_users WHERE login = $1", &[&login])
                .await?;
            Ok(removed == 1)
        })
    }

    fn login_failures(
        &self,
        login: &str,
        source: &str,
        limit: u32,
    ) -> Result<LoginFailures, StoreError> {
        self.block(accounts::login_failures(self, login, source, limit))
    }

    fn write_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO audit_log (actor, action, target, at, source)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &entry.actor,
                        &entry.action,
                        &entry.target,
                        &entry.at,
                        &entry.source,
                    ],
                )
                .await?;
            Ok(())
        })
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
        self.block(accounts::entries(self, filter, reads_only))
    }

    fn prune_audit_log(&self, before: OffsetDateTime) -> Result<usize, StoreError> {
        self.block(async {
            let dropped = self
                .client()
                .await?
                .execute("DELETE FROM audit_log WHERE at < $1", &[&before])
                .await?;
            Ok(dropped as usize)
        })
    }

    fn audit(
        &self,
        who: &Principal,
        action: &str,
        target: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.block(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO audit_log (actor, action, target, at) VALUES ($1, $2, $3, $4)",
                    &[&who.to_string(), &action, &target, &now],
                )
                .await?;
            Ok(())
        })
    }

    /// Streams through a server-side cursor (a portal), [`SCAN_CHUNK`] rows
    /// per round trip, inside one read-only snapshot: memory stays flat
    /// however many records there are, and ingest goes on meanwhile.
    fn scan_records(
        &self,
        who: &Principal,
        purpose: ScanPurpose<'_>,
        protocol_id: &str,
        now: OffsetDateTime,
        each: &mut dyn FnMut(ScannedRecord<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        match purpose {
            ScanPurpose::Compliance => check(who, Access::ReadCompliance)?,
            ScanPurpose::Answers { action } => {
                check(who, Access::ReadAnswers)?;
                // Audited before the first answer is read (R22).
                self.audit(who, action, protocol_id, now)?;
            }
        }
        self.block(async {
            let mut client = self.reader().await?;
            let tx = super::snapshot(&mut client).await?;
            let portal = tx
                .bind(
                    "SELECT r.device_id, r.received_at, r.envelope, s.state FROM records r
                     LEFT JOIN review_states s ON s.record_id = r.record_id
                     WHERE r.protocol_id = $1 ORDER BY r.received_at, r.record_id",
                    &[&protocol_id],
                )
                .await?;
            let mut visited = 0;
            let (mut device, mut received) = (String::new(), String::new());
            loop {
                let rows = tx.query_portal(&portal, SCAN_CHUNK).await?;
                for row in &rows {
                    device.clear();
                    received.clear();
                    let id: uuid::Uuid = row.get(0);
                    device.push_str(
                        id.hyphenated()
                            .encode_lower(&mut uuid::Uuid::encode_buffer()),
                    );
                    let at: OffsetDateTime = row.get(1);
                    received.push_str(
                        &at.format(&Rfc3339)
                            .map_err(|e| StoreError::Corrupt(format!("received_at: {e}")))?,
                    );
                    each(ScannedRecord {
                        device_id: &device,
                        received_at: &received,
                        envelope_json: row.get(2),
                        review_state: row.get(3),
                    })?;
                    visited += 1;
                }
                if rows.len() < SCAN_CHUNK as usize {
                    break;
                }
            }
            tx.commit().await?;
            Ok(visited)
        })
    }
}
