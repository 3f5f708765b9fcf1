//! The limits the core enforces, gathered for the hosts (`limits()`), so a
//! form's `maxlength` or a config check reads them instead of repeating them.

use serde::Serialize;
use tsify::Tsify;

use crate::{description, guest, name, policy, target, task};

/// How deeply an argument may nest objects and arrays; Proxmox's answers
/// nest three levels at most.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Characters in a snapshot description.
    pub description_chars: usize,
    /// Entries in a snapshot list from Proxmox.
    pub snapshots_per_list: usize,
    /// Bytes in a listed (possibly foreign) snapshot name.
    pub listed_name_bytes: usize,
    /// Characters in a snapshot name Proxmox creates.
    pub name_chars: usize,
    /// Characters in a policy's `namePrefix`.
    pub name_prefix_chars: usize,
    /// Bytes in a node name.
    pub node_name_bytes: usize,
    /// Bytes in a Proxmox task id.
    pub upid_bytes: usize,
    /// The largest `maxSnapshots` a policy may set.
    pub max_snapshots: i64,
    pub lifetime_days_min: i64,
    pub lifetime_days_max: i64,
    pub vmid_min: i64,
    pub vmid_max: i64,
    /// Nesting of objects and arrays in any argument.
    pub depth: usize,
}

pub fn limits() -> Limits {
    Limits {
        description_chars: description::MAX_DESCRIPTION_CHARS,
        snapshots_per_list: guest::MAX_SNAPSHOTS_IN_LIST,
        listed_name_bytes: guest::MAX_LISTED_NAME_LEN,
        name_chars: name::MAX_NAME_LEN,
        name_prefix_chars: name::MAX_PREFIX_LEN,
        node_name_bytes: target::MAX_NODE_LEN,
        upid_bytes: task::MAX_UPID_LEN,
        max_snapshots: policy::MAX_SNAPSHOTS_LIMIT,
        lifetime_days_min: policy::LIFETIME_DAYS_MIN,
        lifetime_days_max: policy::LIFETIME_DAYS_MAX,
        vmid_min: target::VMID_MIN,
        vmid_max: target::VMID_MAX,
        depth: MAX_DEPTH,
    }
}
