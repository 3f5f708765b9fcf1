//! Proxmox tasks: UPIDs and what a finished task's status means.
//!
//! Create, delete and rollback answer HTTP 200 with a UPID even when they are
//! bound to fail (a locked VM, a duplicate name): the outcome is only in the
//! task's `exitstatus`, so the host must always read it.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::error::{Result, SnapshotError};
use crate::input::{optional_text, quote, text};
use crate::target::check_node;

/// Longer than any real UPID (node ≤ 63, user ids are short), small enough
/// to keep hostile input cheap.
pub const MAX_UPID_LEN: usize = 512;

/// `UPID:node:PID:PSTART:STARTTIME:type:id:user:` (pve-common `PVE::UPID`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Upid {
    #[serde(skip)]
    pub raw: String,
    /// The node that ran the task: poll this node, not the one you asked.
    pub node: String,
    pub pid: u32,
    #[tsify(type = "number")]
    pub pstart: u64,
    /// Task start, milliseconds since the epoch.
    pub started_at: i64,
    #[serde(rename = "type")]
    pub task_type: String,
    pub id: String,
    pub user: String,
}

fn hex(field: &str, s: &str, lengths: &[usize]) -> Result<u64> {
    if !lengths.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let want = if lengths.len() == 1 {
            "8".to_owned()
        } else {
            "8 or 9".to_owned()
        };
        return Err(SnapshotError::InvalidTarget {
            field: format!("upid.{field}"),
            reason: format!("expected {want} hex digits, got {}", quote(s)),
        });
    }
    u64::from_str_radix(s, 16).map_err(|_| SnapshotError::InvalidTarget {
        field: format!("upid.{field}"),
        reason: "is not hex".into(),
    })
}

/// `[^:\s/]` — the character class PVE uses for type, id and user.
fn word(field: &str, s: &str, may_be_empty: bool) -> Result<String> {
    if (s.is_empty() && !may_be_empty)
        || s.chars()
            .any(|c| c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(SnapshotError::InvalidTarget {
            field: format!("upid.{field}"),
            reason: format!("{} is not valid here", quote(s)),
        });
    }
    Ok(s.to_owned())
}

impl Upid {
    pub fn parse(upid: &str) -> Result<Self> {
        let invalid = |reason: String| SnapshotError::InvalidTarget {
            field: "upid".into(),
            reason,
        };
        if upid.len() > MAX_UPID_LEN {
            return Err(invalid(format!("is longer than {MAX_UPID_LEN} characters")));
        }
        let parts: Vec<&str> = upid.split(':').collect();
        // Eight fields, then the mandatory trailing ':' leaves one empty part.
        if parts.len() != 9 || parts[0] != "UPID" || !parts[8].is_empty() {
            return Err(invalid(format!(
                "{} is not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)",
                quote(upid)
            )));
        }
        check_node(parts[1]).map_err(|reason| SnapshotError::InvalidTarget {
            field: "upid.node".into(),
            reason,
        })?;
        Ok(Upid {
            raw: upid.to_owned(),
            node: parts[1].to_owned(),
            pid: hex("pid", parts[2], &[8])? as u32,
            pstart: hex("pstart", parts[3], &[8, 9])?,
            started_at: hex("starttime", parts[4], &[8])? as i64 * 1000,
            task_type: word("type", parts[5], false)?,
            id: word("id", parts[6], true)?,
            user: word("user", parts[7], false)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Running,
    Ok,
    Failed,
}

/// The `data` of `GET /nodes/{node}/tasks/{upid}/status`; other fields
/// are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Tsify)]
#[serde(expecting = "an object")]
pub struct TaskStatus {
    /// `running` or `stopped`.
    #[serde(deserialize_with = "text")]
    pub status: String,
    /// `OK`, `WARNINGS: n`, or the error for a stopped task.
    #[serde(default, deserialize_with = "optional_text")]
    #[tsify(type = "string | null")]
    pub exitstatus: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct TaskOutcome {
    pub state: TaskState,
    /// `WARNINGS: n` still counts as success.
    pub warnings: u32,
    /// Proxmox's error text for a failed task.
    pub message: Option<String>,
    /// The lock named in "VM is locked (backup)": the host can retry later.
    pub lock: Option<String>,
}

impl TaskOutcome {
    /// What a task's status means.
    pub fn from_status(status: &TaskStatus) -> Result<Self> {
        let done = |state, warnings, message: Option<String>, lock| {
            Ok(TaskOutcome {
                state,
                warnings,
                message,
                lock,
            })
        };
        match status.status.as_str() {
            "running" => done(TaskState::Running, 0, None, None),
            "stopped" => {
                let exit = status.exitstatus.as_deref().map(str::trim);
                match exit {
                    Some("OK") => done(TaskState::Ok, 0, None, None),
                    Some(s) if s.starts_with("WARNINGS: ") => {
                        match s.strip_prefix("WARNINGS: ").map(str::parse::<u32>) {
                            Some(Ok(n)) => done(TaskState::Ok, n, None, None),
                            _ => done(TaskState::Failed, 0, Some(s.to_owned()), None),
                        }
                    }
                    Some(s) if !s.is_empty() => {
                        done(TaskState::Failed, 0, Some(s.to_owned()), lock_in(s))
                    }
                    _ => done(
                        TaskState::Failed,
                        0,
                        Some("the task ended without an exit status".into()),
                        None,
                    ),
                }
            }
            other => Err(SnapshotError::input(
                "status.status",
                format!("expected 'running' or 'stopped', got {}", quote(other)),
            )),
        }
    }
}

/// `(VM|CT) is locked (NAME)` — the text of `AbstractConfig::check_lock`.
fn lock_in(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("VM is locked (")
        .or_else(|| message.strip_prefix("CT is locked ("))?;
    let lock = rest.strip_suffix(')')?;
    (!lock.is_empty() && !lock.contains(['(', ')'])).then(|| lock.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const UPID: &str = "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam!panel:";

    #[test]
    fn parses_a_real_upid() {
        let u = Upid::parse(UPID).unwrap();
        assert_eq!(u.node, "pve1");
        assert_eq!(u.pid, 0x1A2B);
        assert_eq!(u.pstart, 0x1C3D4);
        assert_eq!(u.started_at, 0x6744A1B0 * 1000);
        assert_eq!(
            (u.task_type.as_str(), u.id.as_str(), u.user.as_str()),
            ("qmsnapshot", "101", "root@pam!panel")
        );
        assert!(
            Upid::parse("UPID:n:00000001:100000000:00000001:vzdump::root@pam:").is_ok(),
            "9-digit pstart, empty id"
        );
    }

    #[test]
    fn rejects_malformed_upids() {
        let bad = [
            "",
            "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam",
            "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam::",
            "upid:pve1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam:",
            "UPID:pve.1:00001A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam:",
            "UPID:pve1:1A2B:0001C3D4:6744A1B0:qmsnapshot:101:root@pam:",
            "UPID:pve1:00001A2G:0001C3D4:6744A1B0:qmsnapshot:101:root@pam:",
            "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qm/../x:101:root@pam:",
            "UPID:pve1:00001A2B:0001C3D4:6744A1B0:qm snap:101:root@pam:",
            "UPID:pve1:00001A2B:0001C3D4:6744A1B0::101:root@pam:",
        ];
        for u in bad {
            assert_eq!(Upid::parse(u).unwrap_err().code(), "INVALID_TARGET", "{u}");
        }
        assert!(Upid::parse(&format!("{UPID}{}", "x".repeat(600))).is_err());
    }

    fn status(fields: &[(&'static str, &'static str)]) -> TaskStatus {
        let map: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|(k, v)| (k.to_string(), (*v).into())).collect();
        crate::input::read("status", serde_json::Value::Object(map)).unwrap()
    }

    #[test]
    fn outcomes() {
        let o = TaskOutcome::from_status(&status(&[("status", "running")])).unwrap();
        assert_eq!(o.state, TaskState::Running);
        let o = TaskOutcome::from_status(&status(&[("status", "stopped"), ("exitstatus", "OK")]))
            .unwrap();
        assert_eq!(o.state, TaskState::Ok);
        let o = TaskOutcome::from_status(&status(&[
            ("status", "stopped"),
            ("exitstatus", "WARNINGS: 2"),
        ]))
        .unwrap();
        assert_eq!((o.state, o.warnings), (TaskState::Ok, 2));
        let o = TaskOutcome::from_status(&status(&[
            ("status", "stopped"),
            ("exitstatus", "VM is locked (backup)"),
        ]))
        .unwrap();
        assert_eq!(o.state, TaskState::Failed);
        assert_eq!(o.lock.as_deref(), Some("backup"));
        assert_eq!(o.message.as_deref(), Some("VM is locked (backup)"));
        let o = TaskOutcome::from_status(&status(&[
            ("status", "stopped"),
            ("exitstatus", "CT is locked (snapshot-delete)\n"),
        ]))
        .unwrap();
        assert_eq!(o.lock.as_deref(), Some("snapshot-delete"));
        let o = TaskOutcome::from_status(&status(&[
            ("status", "stopped"),
            ("exitstatus", "snapshot name 'x' already used"),
        ]))
        .unwrap();
        assert_eq!((o.state, o.lock), (TaskState::Failed, None));
        let o = TaskOutcome::from_status(&status(&[("status", "stopped")])).unwrap();
        assert_eq!(o.state, TaskState::Failed);
        assert_eq!(
            TaskOutcome::from_status(&status(&[("status", "paused")]))
                .unwrap_err()
                .code(),
            "INVALID_INPUT"
        );
        assert_eq!(
            crate::input::read::<TaskStatus, _>("status", serde_json::Value::Null).unwrap_err().code(),
            "INVALID_INPUT"
        );
    }
}
