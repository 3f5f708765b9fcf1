//! Which guest a request is about: node, VMID and guest type, validated as
//! Proxmox's `pve-node` and `pve-vmid` formats before they reach a path.

use serde::{de, Deserialize, Deserializer, Serialize};
use tsify::Tsify;

use crate::input::{integer, optional_text, quote, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Tsify)]
#[serde(rename_all = "lowercase")]
pub enum GuestType {
    #[default]
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

/// Which guest: `type` is `"qemu"` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(expecting = "an object")]
pub struct Target {
    #[serde(deserialize_with = "node")]
    pub node: String,
    #[serde(deserialize_with = "vmid")]
    #[tsify(type = "number")]
    pub vmid: u32,
    #[serde(rename = "type", default, deserialize_with = "guest_type")]
    pub guest: GuestType,
}

pub const VMID_MIN: i64 = 100;
pub const VMID_MAX: i64 = 999_999_999;
/// `pve-node` sets no length limit; a node name is a host name label.
pub const MAX_NODE_LEN: usize = 63;

fn node<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let node = text(d)?;
    check_node(&node).map_err(de::Error::custom)?;
    Ok(node)
}

fn vmid<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    // In range, so the cast is exact.
    integer::<VMID_MIN, VMID_MAX, D>(d).map(|n| n as u32)
}

fn guest_type<'de, D: Deserializer<'de>>(d: D) -> Result<GuestType, D::Error> {
    match optional_text(d)?.as_deref() {
        None | Some("qemu") => Ok(GuestType::Qemu),
        Some("lxc") => Ok(GuestType::Lxc),
        Some(other) => Err(de::Error::custom(format!(
            "must be 'qemu' or 'lxc', got {}",
            quote(other)
        ))),
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
    use crate::error::Result;
    use crate::input::read;
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn target(json: &str) -> Result<Target> {
        read("target", serde_json::from_str::<serde_json::Value>(json).unwrap())
    }

    #[test]
    fn valid_targets() {
        let t = target(r#"{"node": "pve1", "vmid": 101}"#).unwrap();
        assert_eq!(
            t,
            Target {
                node: "pve1".into(),
                vmid: 101,
                guest: GuestType::Qemu
            }
        );
        let t = target(r#"{"node": "a", "vmid": 999999999, "type": "lxc"}"#).unwrap();
        assert_eq!(t.guest, GuestType::Lxc);
    }

    #[test]
    fn invalid_targets_name_the_field() {
        for (json, field) in [
            (r#"{"node": "pve1.example.net", "vmid": 101}"#, "target.node"),
            (r#"{"node": "../x", "vmid": 101}"#, "target.node"),
            (r#"{"node": "-pve", "vmid": 101}"#, "target.node"),
            (r#"{"node": "", "vmid": 101}"#, "target.node"),
            (r#"{"vmid": 101}"#, "target.node"),
            (r#"{"node": "pve1", "vmid": 99}"#, "target.vmid"),
            (r#"{"node": "pve1", "vmid": "101"}"#, "target.vmid"),
            (r#"{"node": "pve1", "vmid": 101.5}"#, "target.vmid"),
            (r#"{"node": "pve1", "vmid": 1e10}"#, "target.vmid"),
            (r#"{"node": "pve1", "vmid": 101, "type": "openvz"}"#, "target.type"),
        ] {
            let err = target(json).unwrap_err();
            assert_eq!(err.code(), "INVALID_TARGET");
            assert!(err.to_string().starts_with(&format!("{field}: ")), "{err}");
        }
    }
}
