//! Schema twins of the feedback wire types (`protocols::feedback`), checked
//! field by field against real values by `sync-server/tests/openapi.rs`.

use utoipa::ToSchema;
use uuid::Uuid;

use super::openapi::{RuleIdDoc, WireVersionDoc};

/// Where a record stands in the supervisor's review.
#[derive(ToSchema)]
#[schema(as = ReviewState)]
#[allow(dead_code)]
pub enum ReviewStateDoc {
    #[schema(rename = "received")]
    Received,
    #[schema(rename = "approved")]
    Approved,
    #[schema(rename = "has_issues")]
    HasIssues,
    #[schema(rename = "rejected")]
    Rejected,
}

/// A supervisor's note on one of this device's records.
#[derive(ToSchema)]
#[schema(as = FeedbackNote)]
#[allow(dead_code)]
pub struct FeedbackNoteDoc {
    note_id: Uuid,
    record_id: Uuid,
    /// The respondent's reference number as the record carries it ("" for
    /// an anonymous refusal); never a name (R21).
    reference: String,
    protocol_id: String,
    /// The rule the note is about, if any.
    rule: Option<RuleIdDoc>,
    /// Scrubbed of phone numbers, e-mails and ID-like numbers when written.
    text: String,
    /// The record's review state now.
    state: ReviewStateDoc,
    #[schema(value_type = String, format = DateTime)]
    written_at: String,
}

#[derive(ToSchema)]
#[schema(as = FeedbackResponse)]
#[allow(dead_code)]
pub struct FeedbackResponseDoc {
    notes: Vec<FeedbackNoteDoc>,
}

#[derive(ToSchema)]
#[schema(as = FeedbackAck)]
#[allow(dead_code)]
pub struct FeedbackAckDoc {
    note_id: Uuid,
    /// When the researcher acknowledged it on the phone.
    #[schema(value_type = String, format = DateTime)]
    acknowledged_at: String,
}

#[derive(ToSchema)]
#[schema(as = AckBatch)]
#[allow(dead_code)]
pub struct AckBatchDoc {
    wire_version: WireVersionDoc,
    /// At most the server's `max_batch` (413 beyond).
    acks: Vec<FeedbackAckDoc>,
}

#[derive(ToSchema)]
#[schema(as = AckOutcome)]
#[allow(dead_code)]
pub enum AckOutcomeDoc {
    #[schema(rename = "acknowledged")]
    Acknowledged,
    #[schema(rename = "already_acknowledged")]
    AlreadyAcknowledged,
    #[schema(rename = "unknown")]
    Unknown,
}

#[derive(ToSchema)]
#[schema(as = AckResult)]
#[allow(dead_code)]
pub struct AckResultDoc {
    note_id: Uuid,
    status: AckOutcomeDoc,
}

#[derive(ToSchema)]
#[schema(as = AckResponse)]
#[allow(dead_code)]
pub struct AckResponseDoc {
    results: Vec<AckResultDoc>,
}
