//! Every refusal and every bad input, with a stable code for the host; and
//! the product's whole list of codes, which the hosts read from here.

use serde::Serialize;
use thiserror::Error;
use tsify::Tsify;

/// Defines [`ErrorCode`] from one table: variant, code, HTTP status, and
/// what it means to the reader of an API answer.
macro_rules! codes {
    ($($variant:ident = $code:literal, $status:literal, $summary:literal;)*) => {
        /// Every stable code an answer of the core, the panel's API or the
        /// expiry job carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
        pub enum ErrorCode {
            $(#[doc = $summary] #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status of an API answer refusing with this code.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            pub fn summary(self) -> &'static str {
                match self { $(ErrorCode::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    QuotaExceeded = "QUOTA_EXCEEDED", 409, "the product's snapshot quota is used up";
    VmLocked = "VM_LOCKED", 409, "another operation (backup, migration, hibernation, …) holds the guest's lock";
    SnapshotBusy = "SNAPSHOT_BUSY", 409, "a snapshot operation is running or was left unfinished";
    NotFound = "NOT_FOUND", 404, "the snapshot, service or task does not exist (or is not yours)";
    NotManaged = "NOT_MANAGED", 409, "the snapshot was not made through the panel and is read-only here";
    RollbackNotLatest = "ROLLBACK_NOT_LATEST", 409, "this storage can only roll back to the newest snapshot";
    SnapshotsDisabled = "SNAPSHOTS_DISABLED", 409, "the product allows no snapshots";
    InvalidName = "INVALID_NAME", 400, "a snapshot name Proxmox or the panel would not accept";
    InvalidDescription = "INVALID_DESCRIPTION", 400, "a description that is too long or contains control characters";
    InvalidPolicy = "INVALID_POLICY", 400, "a policy field out of range or of the wrong type";
    InvalidTarget = "INVALID_TARGET", 400, "a node, VMID, guest type or task id that cannot address a guest or task";
    InvalidInput = "INVALID_INPUT", 400, "any other input of the wrong shape or type";
    Unauthenticated = "UNAUTHENTICATED", 401, "no valid session: sign in";
    InvalidCredentials = "INVALID_CREDENTIALS", 401, "wrong username or password";
    CsrfFailed = "CSRF_FAILED", 403, "the request's CSRF token is missing or wrong";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", 405, "the path does not answer this HTTP method";
    TooLarge = "TOO_LARGE", 413, "the request body is too large";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", 415, "the request body is not JSON";
    RateLimited = "RATE_LIMITED", 429, "too many requests; wait for Retry-After";
    ServiceSuspended = "SERVICE_SUSPENDED", 403, "the hosting company has suspended the service: snapshots can be viewed, not changed";
    HostUnauthorized = "HOST_UNAUTHORIZED", 401, "the host API key is missing, malformed or not one of the configured keys (403 when the call did not come over https)";
    SsoInvalid = "SSO_INVALID", 400, "the sign-on link was used already, has expired, or was altered";
    Conflict = "CONFLICT", 409, "the VMID already belongs to another service";
    Internal = "INTERNAL", 500, "the server failed; its log has the details";
    StoreUnavailable = "STORE_UNAVAILABLE", 503, "the panel's database cannot be reached; nothing was sent to Proxmox";
    PveParameter = "PVE_PARAMETER", 502, "Proxmox refused a parameter";
    PveBadRequest = "PVE_BAD_REQUEST", 502, "Proxmox refused the request";
    PveAuth = "PVE_AUTH", 502, "Proxmox refused the API token";
    PveForbidden = "PVE_FORBIDDEN", 502, "the API token lacks a privilege";
    PveNotImplemented = "PVE_NOT_IMPLEMENTED", 502, "Proxmox does not offer this call";
    PveServer = "PVE_SERVER", 502, "Proxmox failed or answered something unexpected";
    PveInvalidResponse = "PVE_INVALID_RESPONSE", 502, "Proxmox's answer lacks what the call must return";
    PveNetwork = "PVE_NETWORK", 502, "Proxmox could not be reached";
    PveTls = "PVE_TLS", 502, "Proxmox's TLS certificate was not trusted";
    PveTimeout = "PVE_TIMEOUT", 504, "Proxmox did not answer in time";
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One entry of the code list the hosts read (`errorCodes()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct ErrorCodeInfo {
    pub code: ErrorCode,
    pub status: u16,
    pub summary: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct ErrorCodes(pub Vec<ErrorCodeInfo>);

pub fn error_codes() -> ErrorCodes {
    ErrorCodes(ErrorCode::ALL
        .iter()
        .map(|&code| ErrorCodeInfo {
            code,
            status: code.status(),
            summary: code.summary(),
        })
        .collect())
}

/// Extra facts about an error, for the host to show or act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[tsify(missing_as_null)]
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
    #[error("{}", locked(.lock))]
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

/// Proxmox hibernates a VM by saving its memory to disk under the config
/// lock `suspended`; to a customer that is not "another operation".
fn locked(lock: &str) -> String {
    if lock == "suspended" {
        "the VM is hibernated (its memory is saved to disk); resume it first".into()
    } else {
        format!("the VM is locked by another operation ({lock})")
    }
}

impl SnapshotError {
    /// The stable code, as listed in DESIGN.md.
    pub fn kind(&self) -> ErrorCode {
        match self {
            Self::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Self::VmLocked { .. } => ErrorCode::VmLocked,
            Self::SnapshotBusy { .. } => ErrorCode::SnapshotBusy,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::NotManaged { .. } => ErrorCode::NotManaged,
            Self::RollbackNotLatest { .. } => ErrorCode::RollbackNotLatest,
            Self::SnapshotsDisabled => ErrorCode::SnapshotsDisabled,
            Self::InvalidName { .. } => ErrorCode::InvalidName,
            Self::InvalidDescription { .. } => ErrorCode::InvalidDescription,
            Self::InvalidPolicy { .. } => ErrorCode::InvalidPolicy,
            Self::InvalidTarget { .. } => ErrorCode::InvalidTarget,
            Self::InvalidInput { .. } => ErrorCode::InvalidInput,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().as_str()
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
}

/// A refusal in the short form the page shows next to a disabled control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct Blocked {
    pub code: ErrorCode,
    pub message: String,
}

impl From<&SnapshotError> for Blocked {
    fn from(err: &SnapshotError) -> Self {
        Blocked {
            code: err.kind(),
            message: err.to_string(),
        }
    }
}

pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;
