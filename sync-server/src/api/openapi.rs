//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]`
//! attributes (see `api::router`), so the routes and the document cannot
//! drift apart.
//!
//! The wire types live in the `protocols` crate, which stays free of
//! utoipa. They are described here by schema twins named after them; the
//! test `openapi_schemas_match_wire_types` serialises real wire values and
//! checks every twin lists exactly the same fields. The twins are as strict
//! as the server's reading of a request (enums, formats, required fields),
//! and no stricter: anything the document allows, the server accepts
//! (schemathesis checks both ways, `sync-server/tests/schemathesis.rs`).

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use super::errors::{ErrorBody, ErrorDetail};
use super::openapi_events::{EventDoc, RedactionReportDoc};

#[derive(OpenApi)]
#[openapi(
    info(title = "Fieldkit sync API", version = "v1",
         description = "Devices enrol, download published protocols and sync verified, anonymised records. \
Request bodies may be sent gzip-compressed (`Content-Encoding: gzip`); the body limit applies to the \
unpacked body, and a body that unpacks past it is refused with 413 `body_too_large`. Any other \
encoding is refused with 415 `unsupported_encoding`."),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&DeviceToken),
)]
pub struct ApiDoc;

struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `ok` while the server answers.
#[derive(ToSchema)]
#[schema(as = HealthStatus)]
#[allow(dead_code)]
pub enum HealthStatusDoc {
    #[schema(rename = "ok")]
    Ok,
}

#[derive(ToSchema)]
#[schema(as = Health)]
#[allow(dead_code)]
pub struct HealthDoc {
    status: HealthStatusDoc,
}

/// The wire format's version; this server speaks `v1` only.
#[derive(ToSchema)]
#[schema(as = WireVersion)]
#[allow(dead_code)]
pub enum WireVersionDoc {
    #[schema(rename = "v1")]
    V1,
}

#[derive(ToSchema)]
#[schema(as = EnrolRequest)]
#[allow(dead_code)]
pub struct EnrolRequestDoc {
    /// The one-time code printed by `fieldkit-server device enrol`.
    code: String,
    /// A label for the phone, shown to the coordinator.
    device_name: String,
    /// R15: when and in which language the researcher accepted the code of
    /// practice in the app. Without it the server refuses the device (400).
    code_of_practice: CodeOfPracticeAcceptanceDoc,
}

#[derive(ToSchema)]
#[schema(as = CodeOfPracticeAcceptance)]
#[allow(dead_code)]
pub struct CodeOfPracticeAcceptanceDoc {
    /// The app language it was read in, e.g. `en`.
    #[schema(pattern = "^[A-Za-z][A-Za-z-]{0,15}$")]
    language: String,
    /// Not more than a day in the future.
    #[schema(value_type = String, format = DateTime)]
    accepted_at: String,
}

#[derive(ToSchema)]
#[schema(as = EnrolResponse)]
#[allow(dead_code)]
pub struct EnrolResponseDoc {
    device_id: Uuid,
    /// Bearer token for every later request; shown once.
    token: String,
    project: String,
    researcher: String,
}

#[derive(ToSchema)]
#[schema(as = ProtocolListing)]
#[allow(dead_code)]
pub struct ProtocolListingDoc {
    protocol_id: String,
    version: u32,
    /// Title per language code.
    title: BTreeMap<String, String>,
    /// `sha256:<hex>` of the protocol's canonical form.
    content_hash: String,
    data_use_hash: String,
    source_toml: String,
}

#[derive(ToSchema)]
#[schema(as = RecordEnvelope)]
#[allow(dead_code)]
pub struct RecordEnvelopeDoc {
    wire_version: WireVersionDoc,
    record_id: Uuid,
    device_id: Uuid,
    protocol_id: String,
    protocol_version: u32,
    /// `sha256:<hex>`; a record whose hashes do not match is rejected in
    /// the 200 answer, not refused.
    protocol_hash: String,
    /// Reference number, never a name (R21).
    respondent: String,
    /// The session's events, in order.
    events: Vec<EventDoc>,
    redactions: RedactionReportDoc,
    /// `sha256:<hex>` over every other field.
    content_hash: String,
    /// The interview's length in minutes, in whole steps of 5, measured on
    /// the phone (R21: never its times). Absent from older phones and on a
    /// refusal or a positive screen; a length finer than the step, on such
    /// a session, or that the event times cannot have come from rejects
    /// the record in the 200 answer. Under `content_hash` when present.
    duration_minutes: Option<u32>,
}

#[derive(ToSchema)]
#[schema(as = RecordBatch)]
#[allow(dead_code)]
pub struct RecordBatchDoc {
    wire_version: WireVersionDoc,
    /// At most the server's `max_batch` (413 beyond).
    records: Vec<RecordEnvelopeDoc>,
}

/// What happened to one record.
#[derive(ToSchema)]
#[schema(as = RecordOutcome)]
#[allow(dead_code)]
pub enum RecordOutcomeDoc {
    #[schema(rename = "stored")]
    Stored,
    #[schema(rename = "duplicate")]
    Duplicate,
    #[schema(rename = "conflict")]
    Conflict,
    #[schema(rename = "rejected")]
    Rejected,
}

/// The ethics rule a rejected record broke.
#[derive(ToSchema)]
#[schema(as = RuleId, pattern = "^R([1-9]|1[0-9]|2[0-7])$")]
#[allow(dead_code)]
pub struct RuleIdDoc(String);

#[derive(ToSchema)]
#[schema(as = RecordResult)]
#[allow(dead_code)]
pub struct RecordResultDoc {
    record_id: Uuid,
    status: RecordOutcomeDoc,
    /// With `conflict`.
    message: Option<String>,
    /// With `rejected`: the rule id (`R1`), or null if no ethics rule was
    /// broken (a bad hash, an unknown protocol).
    rule: Option<RuleIdDoc>,
    /// With `rejected`: what was wrong and what to do.
    reason: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = BatchResponse)]
#[allow(dead_code)]
pub struct BatchResponseDoc {
    /// One per record sent, in order.
    results: Vec<RecordResultDoc>,
}

#[derive(ToSchema)]
#[schema(as = Tombstone)]
#[allow(dead_code)]
pub struct TombstoneDoc {
    wire_version: WireVersionDoc,
    tombstone_id: Uuid,
    record_id: Uuid,
    /// Must be the sending device's own id (403 otherwise).
    device_id: Uuid,
    #[schema(value_type = String, format = Date)]
    withdrawn_on: String,
}

#[derive(ToSchema)]
#[schema(as = TombstoneBatch)]
#[allow(dead_code)]
pub struct TombstoneBatchDoc {
    wire_version: WireVersionDoc,
    /// At most the server's `max_batch` (413 beyond).
    tombstones: Vec<TombstoneDoc>,
}

#[derive(ToSchema)]
#[schema(as = TombstoneOutcome)]
#[allow(dead_code)]
pub enum TombstoneOutcomeDoc {
    #[schema(rename = "deleted")]
    Deleted,
    #[schema(rename = "already_deleted")]
    AlreadyDeleted,
    #[schema(rename = "unknown")]
    Unknown,
}

#[derive(ToSchema)]
#[schema(as = TombstoneResult)]
#[allow(dead_code)]
pub struct TombstoneResultDoc {
    tombstone_id: Uuid,
    record_id: Uuid,
    status: TombstoneOutcomeDoc,
}

#[derive(ToSchema)]
#[schema(as = TombstoneResponse)]
#[allow(dead_code)]
pub struct TombstoneResponseDoc {
    results: Vec<TombstoneResultDoc>,
}

#[derive(ToSchema)]
#[schema(as = SyncStatus)]
#[allow(dead_code)]
pub struct SyncStatusDoc {
    stored: u64,
    rejected: u64,
    tombstones: u64,
    #[schema(value_type = Option<String>, format = DateTime)]
    last_received: Option<String>,
}

/// The document as served: this server's batch limit set in, and unsigned
/// integers given their real range. (utoipa writes `u32` as `int32` from 0,
/// which would tell a client 2^31 is too big when the server takes it.)
pub fn served(doc: utoipa::openapi::OpenApi, max_batch: usize) -> serde_json::Value {
    let mut json = serde_json::to_value(with_limits(doc, max_batch)).unwrap_or_default();
    exact_unsigned(&mut json);
    no_content_on_unit_variants(&mut json, "Consenter", "code");
    json
}

/// An adjacently tagged enum (`{"role": "guardian"}`, `{"role":
/// "participant", "code": "P1"}`) refuses the content key on a variant that
/// has none; utoipa's schema does not say so, this does.
fn no_content_on_unit_variants(doc: &mut serde_json::Value, schema: &str, content: &str) {
    let Some(variants) = doc
        .pointer_mut(&format!("/components/schemas/{schema}/oneOf"))
        .and_then(serde_json::Value::as_array_mut)
    else {
        return;
    };
    for variant in variants {
        let has_content = variant.pointer(&format!("/properties/{content}")).is_some();
        if let (false, Some(object)) = (has_content, variant.as_object_mut()) {
            object.insert(
                "not".to_owned(),
                serde_json::json!({ "required": [content] }),
            );
        }
    }
}

fn exact_unsigned(node: &mut serde_json::Value) {
    use serde_json::Value;
    match node {
        Value::Object(map) => {
            let unsigned = map.get("minimum").and_then(Value::as_u64) == Some(0)
                && map
                    .get("format")
                    .is_some_and(|f| f == "int32" || f == "int64");
            if unsigned {
                let widest = if map.get("format").is_some_and(|f| f == "int32") {
                    u64::from(u32::MAX)
                } else {
                    u64::MAX
                };
                map.remove("format");
                map.entry("maximum").or_insert_with(|| Value::from(widest));
            }
            map.values_mut().for_each(exact_unsigned);
        }
        Value::Array(items) => items.iter_mut().for_each(exact_unsigned),
        _ => {}
    }
}

/// Sets the batch limits of this server's configuration into the document,
/// so it says exactly how many records one batch may carry.
pub fn with_limits(
    mut doc: utoipa::openapi::OpenApi,
    max_batch: usize,
) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{ArrayBuilder, Schema};
    use utoipa::openapi::RefOr;
    let Some(components) = doc.components.as_mut() else {
        return doc;
    };
    for (schema, field, item) in [
        ("RecordBatch", "records", "RecordEnvelope"),
        ("TombstoneBatch", "tombstones", "Tombstone"),
        ("AckBatch", "acks", "FeedbackAck"),
    ] {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) {
            object.properties.insert(
                field.to_owned(),
                ArrayBuilder::new()
                    .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(item)))
                    .max_items(Some(max_batch))
                    .into(),
            );
        }
    }
    doc
}
