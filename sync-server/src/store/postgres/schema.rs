//! Versioned migrations: each runs once, in order, in one transaction, on
//! start. Several instances starting together take turns on an advisory
//! lock; a database written by a newer binary is refused, never changed.
//!
//! To change the schema, append a migration: never edit a shipped one.

use deadpool_postgres::Pool;

use crate::store::StoreError;

/// Advisory-lock namespace for Fieldkit (`pg_advisory_xact_lock(ns, key)`).
pub(super) const LOCK_NAMESPACE: i32 = 0x4649_4b54; // "FIKT"
/// The key under [`LOCK_NAMESPACE`] that serialises migrations.
const MIGRATION_LOCK: i32 = 0;

/// One schema change: its version (1, 2, ... in order) and its SQL.
pub struct Migration {
    pub version: i32,
    pub description: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "protocols, devices, records, tombstones, findings, audit, web logins",
        sql: "
CREATE TABLE protocols (
    protocol_id text NOT NULL, version bigint NOT NULL, content_hash text NOT NULL,
    source_toml text NOT NULL, published_at timestamptz NOT NULL,
    PRIMARY KEY (protocol_id, version));
CREATE TABLE enrolments (
    code_hash text PRIMARY KEY, researcher text NOT NULL, languages text NOT NULL,
    expires_at timestamptz NOT NULL, redeemed_by uuid);
CREATE TABLE devices (
    device_id uuid PRIMARY KEY, researcher text NOT NULL, languages text NOT NULL,
    token_hash text NOT NULL UNIQUE, enrolled_at timestamptz NOT NULL, revoked_at timestamptz);
-- R15: the researcher's acceptance of the code of practice, sent at enrolment.
CREATE TABLE code_of_practice (
    device_id uuid PRIMARY KEY, language text NOT NULL, accepted_at timestamptz NOT NULL);
-- The envelope is text, not jsonb: it is kept byte for byte as verified.
CREATE TABLE records (
    record_id uuid PRIMARY KEY, device_id uuid NOT NULL, protocol_id text NOT NULL,
    protocol_version bigint NOT NULL, content_hash text NOT NULL, envelope text NOT NULL,
    received_at timestamptz NOT NULL);
CREATE INDEX records_scan ON records (protocol_id, received_at, record_id);
CREATE INDEX records_device ON records (device_id, received_at);
CREATE TABLE conflicts (
    record_id uuid NOT NULL, device_id uuid NOT NULL, content_hash text NOT NULL,
    envelope text NOT NULL, received_at timestamptz NOT NULL,
    PRIMARY KEY (record_id, content_hash));
CREATE TABLE rejections (
    id bigserial PRIMARY KEY, record_id uuid NOT NULL, device_id uuid NOT NULL, rule text,
    at timestamptz NOT NULL);
CREATE INDEX rejections_device ON rejections (device_id, record_id);
CREATE TABLE tombstones (
    tombstone_id uuid PRIMARY KEY, record_id uuid NOT NULL, device_id uuid NOT NULL,
    withdrawn_on text NOT NULL, received_at timestamptz NOT NULL);
CREATE INDEX tombstones_record ON tombstones (record_id);
CREATE INDEX tombstones_device ON tombstones (device_id);
CREATE TABLE compliance_findings (
    id bigserial PRIMARY KEY, record_id uuid NOT NULL, rule text NOT NULL, message text NOT NULL,
    researcher text NOT NULL, protocol_id text NOT NULL, protocol_version bigint NOT NULL);
CREATE INDEX compliance_findings_record ON compliance_findings (record_id);
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY, actor text NOT NULL, action text NOT NULL, target text NOT NULL,
    at timestamptz NOT NULL);
CREATE TABLE web_users (
    login text PRIMARY KEY, role text NOT NULL, password_hash text NOT NULL,
    created_at timestamptz NOT NULL);
CREATE TABLE web_sessions (
    token_hash text PRIMARY KEY,
    login text NOT NULL REFERENCES web_users(login) ON DELETE CASCADE,
    csrf text NOT NULL, expires_at timestamptz NOT NULL);
",
    },
    Migration {
        version: 2,
        description: "disabled web users, audit sources, final withdrawals (R9)",
        sql: "
ALTER TABLE audit_log ADD COLUMN source text;
ALTER TABLE web_users ADD COLUMN disabled_at timestamptz;
-- Login throttling counts failures per login and per source address.
CREATE INDEX audit_target ON audit_log (target, action, id);
CREATE INDEX audit_source ON audit_log (source, action, id);
-- R9: ids withdrawn by the device that owns them, never stored again by anyone.
-- A tombstone row alone (an id the server had not seen) binds only its device.
CREATE TABLE withdrawals (
    record_id uuid PRIMARY KEY, device_id uuid NOT NULL, at timestamptz NOT NULL);
-- Before this table, every tombstone was final for its id: it stays so.
INSERT INTO withdrawals (record_id, device_id, at)
    SELECT DISTINCT ON (record_id) record_id, device_id, received_at
    FROM tombstones ORDER BY record_id, received_at;
",
    },
    Migration {
        version: 3,
        description: "supervisor review: states, notes to the researcher, history",
        sql: "
-- A record with no review_states row is 'received'.
CREATE TABLE review_states (
    record_id uuid PRIMARY KEY, state text NOT NULL, changed_by text NOT NULL,
    changed_at timestamptz NOT NULL);
CREATE TABLE review_notes (
    note_id uuid PRIMARY KEY, record_id uuid NOT NULL, rule text, text text NOT NULL,
    author text NOT NULL, written_at timestamptz NOT NULL, acknowledged_at timestamptz,
    ack_received_at timestamptz);
CREATE INDEX review_notes_record ON review_notes (record_id, written_at);
CREATE TABLE review_history (
    id bigserial PRIMARY KEY, record_id uuid NOT NULL, actor text NOT NULL, change text NOT NULL,
    at timestamptz NOT NULL);
CREATE INDEX review_history_record ON review_history (record_id, id);
-- The queue's rule filter.
CREATE INDEX compliance_findings_rule ON compliance_findings (record_id, rule);
",
    },
    Migration {
        version: 4,
        description: "protocol media (issue 18: picture cards, picture choices, audio)",
        sql: "
-- Files of published bundles by their SHA-256; each written with the first
-- protocol version that names it, never changed (R4).
CREATE TABLE media (
    sha256 text PRIMARY KEY, mime text NOT NULL, bytes bytea NOT NULL);
",
    },
    Migration {
        version: 5,
        description: "findings packs (issue 22: results go back to the children)",
        sql: "
-- Published findings packs by content hash, never changed (R4); validation
-- records name them.
CREATE TABLE findings_packs (
    hash text PRIMARY KEY, site text NOT NULL, protocol_id text NOT NULL,
    pack_json text NOT NULL, published_by text NOT NULL, published_at timestamptz NOT NULL);
",
    },
];

/// The newest schema version this binary knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the database up to [`latest`], or refuses one that is newer.
pub(super) async fn migrate(pool: &Pool) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(super::pool_error)?;
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&LOCK_NAMESPACE, &MIGRATION_LOCK],
    )
    .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS fieldkit_schema (
             version integer PRIMARY KEY, description text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let found: i32 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM fieldkit_schema", &[])
        .await?
        .get(0);
    if found > latest() {
        return Err(StoreError::TooNew {
            found: found as u32,
            supported: latest() as u32,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO fieldkit_schema (version, description) VALUES ($1, $2)",
            &[&migration.version, &migration.description],
        )
        .await?;
        tracing::info!(version = migration.version, "database schema migrated");
    }
    tx.commit().await?;
    Ok(())
}
