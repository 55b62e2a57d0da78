//! Enrolment: trade the coordinator's one-time code, with the researcher's
//! acceptance of the code of practice (R15), for a device token, and keep
//! the server address, token, device id and researcher in the vault.

use fieldkit_protocols::wire::{EnrolRequest, EnrolResponse, WireSecret};
use uuid::Uuid;

use super::transport::Transport;
use super::{SyncConfig, SyncError};
use crate::vault::{DeviceToken, Setting, Vault};

/// What the server told the device at enrolment (the token stays in the vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub device_id: Uuid,
    pub project: String,
    pub researcher: String,
}

/// Enrols this device. Nothing is stored unless the server accepted the code.
pub async fn enrol(
    vault: &mut Vault,
    server_url: &str,
    code: &WireSecret,
    device_name: &str,
    config: &SyncConfig,
) -> Result<Enrolment, SyncError> {
    // The server refuses a device whose researcher has not accepted the
    // code of practice (R15); the first-run screens ask before this step.
    let Some(ack) = vault.settings()?.code_of_practice else {
        return Err(SyncError::CodeOfPracticeNotAccepted);
    };
    let transport = Transport::new(server_url, None, config)?;
    let request = EnrolRequest {
        code: code.clone(),
        device_name: device_name.to_owned(),
        code_of_practice: Some(ack.into()),
    };
    let response: EnrolResponse = transport
        .post_json("/api/v1/enrol", &request, transport.deadline())
        .await
        .map_err(|f| f.into_error("enrol this device"))?;
    vault.set_setting(&Setting::ServerUrl(
        server_url.trim().trim_end_matches('/').to_owned(),
    ))?;
    vault.set_setting(&Setting::DeviceToken(DeviceToken::new(
        response.token.expose(),
    )))?;
    vault.set_setting(&Setting::ResearcherName(response.researcher.clone()))?;
    vault.set_device_id(response.device_id)?;
    tracing::info!(device = %response.device_id, "device enrolled");
    Ok(Enrolment {
        device_id: response.device_id,
        project: response.project.clone(),
        researcher: response.researcher,
    })
}
