//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]`
//! attributes (see `api::router`), so the routes and the document cannot
//! drift apart.
//!
//! The wire types live in the `protocols` crate, which stays free of
//! utoipa. They are described here by schema twins named after them; the
//! test `openapi_schemas_match_wire_types` serialises real wire values and
//! checks every twin lists exactly the same fields.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use super::errors::{ErrorBody, ErrorDetail};

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

#[derive(ToSchema)]
#[schema(as = Health)]
#[allow(dead_code)]
pub struct HealthDoc {
    /// Always `ok` while the server answers.
    status: String,
}

#[derive(ToSchema)]
#[schema(as = EnrolRequest)]
#[allow(dead_code)]
pub struct EnrolRequestDoc {
    /// The one-time code printed by `fieldkit-server device enrol`.
    code: String,
    /// A label for the phone, shown to the coordinator.
    device_name: String,
    /// Required (R15): when and in which language the researcher accepted
    /// the code of practice in the app.
    code_of_practice: Option<CodeOfPracticeAcceptanceDoc>,
}

#[derive(ToSchema)]
#[schema(as = CodeOfPracticeAcceptance)]
#[allow(dead_code)]
pub struct CodeOfPracticeAcceptanceDoc {
    /// The app language it was read in, e.g. `en`.
    language: String,
    /// RFC 3339.
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
    /// Always `v1`.
    wire_version: String,
    record_id: Uuid,
    device_id: Uuid,
    protocol_id: String,
    protocol_version: u32,
    protocol_hash: String,
    /// Reference number, never a name (R21).
    respondent: String,
    /// The session's events (see `protocols/src/engine/events.rs`).
    #[schema(value_type = Vec<Object>)]
    events: Vec<serde_json::Value>,
    /// Counts of what anonymisation removed.
    #[schema(value_type = Object)]
    redactions: serde_json::Value,
    /// `sha256:<hex>` over every other field.
    content_hash: String,
}

#[derive(ToSchema)]
#[schema(as = RecordBatch)]
#[allow(dead_code)]
pub struct RecordBatchDoc {
    wire_version: String,
    records: Vec<RecordEnvelopeDoc>,
}

#[derive(ToSchema)]
#[schema(as = RecordResult)]
#[allow(dead_code)]
pub struct RecordResultDoc {
    record_id: Uuid,
    /// `stored`, `duplicate`, `conflict` or `rejected`.
    status: String,
    /// With `conflict`.
    message: Option<String>,
    /// With `rejected`: the rule id (`R1`), if an ethics rule was broken.
    rule: Option<String>,
    /// With `rejected`: what was wrong and what to do.
    reason: Option<String>,
}

#[derive(ToSchema)]
#[schema(as = BatchResponse)]
#[allow(dead_code)]
pub struct BatchResponseDoc {
    results: Vec<RecordResultDoc>,
}

#[derive(ToSchema)]
#[schema(as = Tombstone)]
#[allow(dead_code)]
pub struct TombstoneDoc {
    wire_version: String,
    tombstone_id: Uuid,
    record_id: Uuid,
    device_id: Uuid,
    /// `YYYY-MM-DD`.
    withdrawn_on: String,
}

#[derive(ToSchema)]
#[schema(as = TombstoneBatch)]
#[allow(dead_code)]
pub struct TombstoneBatchDoc {
    wire_version: String,
    tombstones: Vec<TombstoneDoc>,
}

#[derive(ToSchema)]
#[schema(as = TombstoneResult)]
#[allow(dead_code)]
pub struct TombstoneResultDoc {
    tombstone_id: Uuid,
    record_id: Uuid,
    /// `deleted`, `already_deleted` or `unknown`.
    status: String,
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
    /// RFC 3339.
    last_received: Option<String>,
}
