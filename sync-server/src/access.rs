//! Who may do what (R22: access on a needs-only basis).
//!
//! Every handler and every store read of answer data names the [`Access`] it
//! needs and asks [`check`]. Devices exist now; supervisor, analyst and admin
//! web users arrive with the web pages and reuse the same table.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A researcher's phone: submits records, downloads protocols.
    Device,
    /// Checks process and compliance; never sees answers.
    Supervisor,
    /// Reads anonymised answers for analysis; every read is audited.
    Analyst,
    /// Enrols devices and publishes protocols; does not need answers.
    Admin,
}

/// One kind of access a request or command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    SubmitRecords,
    DownloadProtocols,
    OwnSyncStatus,
    ReadCompliance,
    /// Set review states and write notes to researchers (supervisors only).
    ReviewRecords,
    /// A device reads the notes on its own records and acknowledges them.
    ReceiveFeedback,
    ReadAnswers,
    ReadAuditLog,
    /// Who read answers (exports, downloads, table views): the part of the
    /// audit log a supervisor checks for their project.
    ReadDataAudit,
    ManageUsers,
    ManageDevices,
    PublishProtocols,
}

/// The need-to-know table.
pub fn allows(role: Role, access: Access) -> bool {
    use Access::*;
    match role {
        Role::Device => matches!(
            access,
            SubmitRecords | DownloadProtocols | OwnSyncStatus | ReceiveFeedback
        ),
        Role::Supervisor => matches!(
            access,
            DownloadProtocols | ReadCompliance | ReviewRecords | ReadDataAudit
        ),
        Role::Analyst => matches!(access, DownloadProtocols | ReadAnswers),
        Role::Admin => matches!(
            access,
            DownloadProtocols
                | ManageDevices
                | ManageUsers
                | PublishProtocols
                | ReadAuditLog
                | ReadDataAudit
                | ReadCompliance
        ),
    }
}

/// Someone acting on the server: a device by id, a web user by login, or
/// the operator's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    /// Stable id written to the audit log (device uuid, login name, `cli`).
    pub id: String,
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}:{}", self.role, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{principal} may not {access:?} (R22: access on a needs-only basis); ask an admin for the right role")]
pub struct Forbidden {
    pub principal: String,
    pub access: Access,
}

pub fn check(principal: &Principal, access: Access) -> Result<(), Forbidden> {
    if allows(principal.role, access) {
        Ok(())
    } else {
        Err(Forbidden {
            principal: principal.to_string(),
            access,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_analysts_read_answers() {
        for role in [Role::Device, Role::Supervisor, Role::Admin] {
            assert!(!allows(role, Access::ReadAnswers), "{role:?}");
        }
        assert!(allows(Role::Analyst, Access::ReadAnswers));
    }

    #[test]
    fn devices_only_sync() {
        let device = Principal {
            role: Role::Device,
            id: "d1".into(),
        };
        assert!(check(&device, Access::SubmitRecords).is_ok());
        let err = check(&device, Access::ManageDevices).unwrap_err();
        assert!(err.to_string().contains("R22"));
        assert!(!allows(Role::Supervisor, Access::SubmitRecords));
    }
}
