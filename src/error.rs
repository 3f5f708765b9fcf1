//! Every refusal and every bad input, with a stable code for the host.

use serde::Serialize;
use thiserror::Error;

/// Extra facts about an error, for the host to show or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Details {
    Quota {
        used: u32,
        limit: u32,
    },
    Lock {
        lock: String,
    },
    Snapshot {
        name: String,
        snapstate: Option<String>,
    },
    Latest {
        name: String,
        latest: String,
    },
    Field {
        field: String,
    },
}

/// Why the core refused. `code()` is the stable identifier the host maps to
/// its own wording; the message names the offending field or value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// the product's snapshot quota is used up
    #[error("snapshot quota reached: {used} of {limit} snapshots exist")]
    QuotaExceeded { used: u32, limit: u32 },
    /// another operation (backup, migration, …) holds the guest's lock
    #[error("the VM is locked by another operation ({lock})")]
    VmLocked { lock: String },
    /// a snapshot operation is running or was left unfinished
    #[error("{reason}")]
    SnapshotBusy {
        reason: String,
        lock: Option<String>,
        name: Option<String>,
        snapstate: Option<String>,
    },
    /// the named snapshot does not exist
    #[error("snapshot '{name}' does not exist")]
    NotFound { name: String },
    /// the snapshot was not made by this module and is read-only here
    #[error("snapshot '{name}' was not created through the panel and cannot be changed here")]
    NotManaged { name: String },
    /// storage like ZFS can only roll back to the newest snapshot
    #[error(
        "this storage can only roll back to the newest snapshot ('{latest}'), not to '{name}'"
    )]
    RollbackNotLatest { name: String, latest: String },
    /// the product allows no snapshots
    #[error("snapshots are not available for this product")]
    SnapshotsDisabled,
    /// a snapshot name that Proxmox or this module would not accept
    #[error("{field}: {reason}")]
    InvalidName { field: String, reason: String },
    /// a description that is too long or contains control characters
    #[error("{field}: {reason}")]
    InvalidDescription { field: String, reason: String },
    /// a policy field out of range or of the wrong type
    #[error("{field}: {reason}")]
    InvalidPolicy { field: String, reason: String },
    /// a node, vmid, guest type or UPID that cannot address a guest or task
    #[error("{field}: {reason}")]
    InvalidTarget { field: String, reason: String },
    /// any other input of the wrong shape or type
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
}

impl SnapshotError {
    /// The stable code, as listed in DESIGN.md.
    pub fn code(&self) -> &'static str {
        match self {
            Self::QuotaExceeded { .. } => "QUOTA_EXCEEDED",
            Self::VmLocked { .. } => "VM_LOCKED",
            Self::SnapshotBusy { .. } => "SNAPSHOT_BUSY",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::NotManaged { .. } => "NOT_MANAGED",
            Self::RollbackNotLatest { .. } => "ROLLBACK_NOT_LATEST",
            Self::SnapshotsDisabled => "SNAPSHOTS_DISABLED",
            Self::InvalidName { .. } => "INVALID_NAME",
            Self::InvalidDescription { .. } => "INVALID_DESCRIPTION",
            Self::InvalidPolicy { .. } => "INVALID_POLICY",
            Self::InvalidTarget { .. } => "INVALID_TARGET",
            Self::InvalidInput { .. } => "INVALID_INPUT",
        }
    }

    pub fn details(&self) -> Option<Details> {
        match self {
            Self::QuotaExceeded { used, limit } => Some(Details::Quota {
                used: *used,
                limit: *limit,
            }),
            Self::VmLocked { lock } => Some(Details::Lock { lock: lock.clone() }),
            Self::SnapshotBusy {
                lock: Some(lock), ..
            } => Some(Details::Lock { lock: lock.clone() }),
            Self::SnapshotBusy {
                name: Some(name),
                snapstate,
                ..
            } => Some(Details::Snapshot {
                name: name.clone(),
                snapstate: snapstate.clone(),
            }),
            Self::SnapshotBusy { .. } => None,
            Self::NotFound { name } | Self::NotManaged { name } => Some(Details::Snapshot {
                name: name.clone(),
                snapstate: None,
            }),
            Self::RollbackNotLatest { name, latest } => Some(Details::Latest {
                name: name.clone(),
                latest: latest.clone(),
            }),
            Self::SnapshotsDisabled => None,
            Self::InvalidName { field, .. }
            | Self::InvalidDescription { field, .. }
            | Self::InvalidPolicy { field, .. }
            | Self::InvalidTarget { field, .. }
            | Self::InvalidInput { field, .. } => Some(Details::Field {
                field: field.clone(),
            }),
        }
    }

    pub(crate) fn input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Re-labels a shape error from the generic input reader with the code
    /// that fits the argument it came from (a policy, a target, …).
    pub(crate) fn recode(self, code: fn(String, String) -> Self) -> Self {
        match self {
            Self::InvalidInput { field, reason } => code(field, reason),
            other => other,
        }
    }
}

/// A refusal in the short form the page shows next to a disabled control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    pub code: &'static str,
    pub message: String,
}

impl From<&SnapshotError> for Blocked {
    fn from(err: &SnapshotError) -> Self {
        Blocked {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;
