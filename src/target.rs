//! Which guest a request is about: node, VMID and guest type, validated as
//! Proxmox's `pve-node` and `pve-vmid` formats before they reach a path.

use serde::Serialize;

use crate::error::{Result, SnapshotError};
use crate::input::{quote, Obj, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestType {
    Qemu,
    Lxc,
}

impl GuestType {
    /// The path segment: `/nodes/{node}/qemu/…` or `/nodes/{node}/lxc/…`.
    pub fn as_str(self) -> &'static str {
        match self {
            GuestType::Qemu => "qemu",
            GuestType::Lxc => "lxc",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub node: String,
    pub vmid: u32,
    #[serde(rename = "type")]
    pub guest: GuestType,
}

pub const VMID_MIN: i64 = 100;
pub const VMID_MAX: i64 = 999_999_999;
/// `pve-node` sets no length limit; a node name is a host name label.
pub const MAX_NODE_LEN: usize = 63;

impl Target {
    pub fn from_value(value: &Value) -> Result<Self> {
        Obj::new("target", value, false)
            .and_then(|o| Self::read(&o))
            .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidTarget { field, reason }))
    }

    pub fn from_obj(o: &Obj) -> Result<Self> {
        Self::read(o)
            .map_err(|e| e.recode(|field, reason| SnapshotError::InvalidTarget { field, reason }))
    }

    fn read(o: &Obj) -> Result<Self> {
        let node = o.required_string("node")?;
        check_node(node).map_err(|reason| SnapshotError::input(o.field_path("node"), reason))?;
        let vmid = o.required_integer("vmid", VMID_MIN, VMID_MAX)? as u32;
        let guest = match o.string("type")? {
            None | Some("qemu") => GuestType::Qemu,
            Some("lxc") => GuestType::Lxc,
            Some(other) => {
                return Err(SnapshotError::input(
                    o.field_path("type"),
                    format!("must be 'qemu' or 'lxc', got {}", quote(other)),
                ))
            }
        };
        Ok(Target {
            node: node.to_owned(),
            vmid,
            guest,
        })
    }
}

/// `pve-node`: `[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?` — no dots, so no FQDN.
pub fn check_node(node: &str) -> Result<(), String> {
    let b = node.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= MAX_NODE_LEN
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-';
    if ok {
        Ok(())
    } else {
        Err(format!("{} is not a valid Proxmox node name (letters, digits and inner '-', at most {MAX_NODE_LEN})", quote(node)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn target(node: Value, vmid: Value, ty: Option<&str>) -> Result<Target> {
        let mut fields: Vec<(std::borrow::Cow<str>, Value)> =
            vec![("node".into(), node), ("vmid".into(), vmid)];
        if let Some(t) = ty {
            fields.push(("type".into(), t.into()));
        }
        Target::from_value(&Value::Object(fields))
    }

    #[test]
    fn valid_targets() {
        let t = target("pve1".into(), 101.0.into(), None).unwrap();
        assert_eq!(
            t,
            Target {
                node: "pve1".into(),
                vmid: 101,
                guest: GuestType::Qemu
            }
        );
        assert_eq!(
            target("a".into(), 999_999_999.0.into(), Some("lxc"))
                .unwrap()
                .guest,
            GuestType::Lxc
        );
    }

    #[test]
    fn invalid_targets_name_the_field() {
        let cases = [
            (
                target("pve1.example.net".into(), 101.0.into(), None),
                "target.node",
            ),
            (target("../x".into(), 101.0.into(), None), "target.node"),
            (target("-pve".into(), 101.0.into(), None), "target.node"),
            (target("".into(), 101.0.into(), None), "target.node"),
            (target("pve1".into(), 99.0.into(), None), "target.vmid"),
            (target("pve1".into(), "101".into(), None), "target.vmid"),
            (target("pve1".into(), 101.5.into(), None), "target.vmid"),
            (target("pve1".into(), 1e10.into(), None), "target.vmid"),
            (
                target("pve1".into(), 101.0.into(), Some("openvz")),
                "target.type",
            ),
        ];
        for (res, field) in cases {
            let err = res.unwrap_err();
            assert_eq!(err.code(), "INVALID_TARGET");
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }
}
