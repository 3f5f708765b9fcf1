//! Request descriptions: the Proxmox API calls the host should send.
//!
//! A description is `{method, path, params}`. `path` is relative to
//! `/api2/json` with every segment percent-encoded (after validation, so
//! encoding is a second fence, not the first); `params` go in the query
//! string for GET and DELETE (Proxmox answers 501 to a DELETE body) and in a
//! form body for POST and PUT. Booleans are sent as 0/1, the only spelling
//! Proxmox's form parser accepts.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use tsify::Tsify;

use crate::target::Target;
use crate::task::Upid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
pub enum Method {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "DELETE")]
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Param {
    Str(String),
    Int(i64),
}

/// Parameters in insertion order, serialised as a flat object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(&'static str, Param)>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&Param> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `params` go in the query string for GET and DELETE and in an
/// `application/x-www-form-urlencoded` body for POST.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Tsify)]
pub struct Request {
    pub method: Method,
    /// Relative to `/api2/json`, already percent-encoded.
    pub path: String,
    #[tsify(type = "Record<string, string | number>")]
    pub params: Params,
    /// The snapshot the request acts on, for the host's messages and re-checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved
/// characters, so `/`, `%`, `.` runs and `:` can never change the path.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_encoded(&mut out, segment);
    out
}

fn push_encoded(out: &mut String, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // One table lookup per byte: paths are built by the ten thousand.
    const UNRESERVED: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'~');
            b += 1;
        }
        table
    };
    let unreserved = |b: u8| UNRESERVED[usize::from(b)];
    // Node names, VMIDs and managed snapshot names need no encoding.
    if segment.bytes().all(unreserved) {
        out.push_str(segment);
        return;
    }
    for b in segment.bytes() {
        if unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
        }
    }
}

/// Built in one buffer: the expiry job plans tens of thousands of these.
fn path(segments: &[&str]) -> String {
    let mut out = String::with_capacity(64);
    for s in segments {
        out.push('/');
        push_encoded(&mut out, s);
    }
    out
}

fn guest_path(target: &Target, rest: &[&str]) -> String {
    let mut vmid = [0u8; 10];
    let mut at = vmid.len();
    let mut n = target.vmid;
    loop {
        at -= 1;
        vmid[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Digits only, so the bytes are ASCII.
    let vmid = std::str::from_utf8(&vmid[at..]).unwrap_or_default();
    let mut out = path(&["nodes", &target.node, target.guest.as_str(), vmid]);
    for s in rest {
        out.push('/');
        push_encoded(&mut out, s);
    }
    out
}

fn request(
    method: Method,
    path: String,
    params: Vec<(&'static str, Param)>,
    name: Option<&str>,
) -> Request {
    Request {
        method,
        path,
        params: Params(params),
        name: name.map(str::to_owned),
    }
}

pub fn list_snapshots(target: &Target) -> Request {
    request(Method::Get, guest_path(target, &["snapshot"]), vec![], None)
}

pub fn vm_status(target: &Target) -> Request {
    request(
        Method::Get,
        guest_path(target, &["status", "current"]),
        vec![],
        None,
    )
}

pub fn cluster_vms() -> Request {
    request(
        Method::Get,
        path(&["cluster", "resources"]),
        vec![("type", Param::Str("vm".into()))],
        None,
    )
}

/// `GET /nodes/{node}/time`: the node's clock, which the expiry job compares
/// with its own before deleting anything. `node` must already be validated.
pub fn node_time(node: &str) -> Request {
    request(Method::Get, path(&["nodes", node, "time"]), vec![], None)
}

pub fn task_status(upid: &Upid) -> Request {
    request(
        Method::Get,
        path(&["nodes", &upid.node, "tasks", &upid.raw, "status"]),
        vec![],
        None,
    )
}

/// `name` and `description` must already be validated.
pub fn create(target: &Target, name: &str, description: &str, vmstate: bool) -> Request {
    let mut params = vec![("snapname", Param::Str(name.to_owned()))];
    if !description.is_empty() {
        params.push(("description", Param::Str(description.to_owned())));
    }
    if vmstate {
        params.push(("vmstate", Param::Int(1)));
    }
    request(
        Method::Post,
        guest_path(target, &["snapshot"]),
        params,
        Some(name),
    )
}

pub fn rollback(target: &Target, name: &str, start: bool) -> Request {
    let params = if start {
        vec![("start", Param::Int(1))]
    } else {
        vec![]
    };
    request(
        Method::Post,
        guest_path(target, &["snapshot", name, "rollback"]),
        params,
        Some(name),
    )
}

/// Never sends `force`: it would drop the snapshot from the config even when
/// deleting the disk snapshots failed.
pub fn remove(target: &Target, name: &str) -> Request {
    request(
        Method::Delete,
        guest_path(target, &["snapshot", name]),
        vec![],
        Some(name),
    )
}

#[cfg(test)]
mod tests {
    // The same unit tests run on wasm32 (Node and Chromium) via wasm-pack test.
    use super::*;
    use crate::target::GuestType;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("snap-1_a"), "snap-1_a");
        assert_eq!(encode_segment("../x"), "%2E%2E%2Fx");
        assert_eq!(encode_segment("a%2Fb c"), "a%252Fb%20c");
        assert_eq!(
            encode_segment("UPID:pve1:0000ABCD:root@pam!t:"),
            "UPID%3Apve1%3A0000ABCD%3Aroot%40pam%21t%3A"
        );
        assert_eq!(encode_segment("ä"), "%C3%A4");
    }

    #[test]
    fn guest_paths() {
        let t = Target {
            node: "pve1".into(),
            vmid: 101,
            guest: GuestType::Lxc,
        };
        assert_eq!(list_snapshots(&t).path, "/nodes/pve1/lxc/101/snapshot");
        assert_eq!(vm_status(&t).path, "/nodes/pve1/lxc/101/status/current");
        let r = rollback(&t, "snap1", true);
        assert_eq!(r.path, "/nodes/pve1/lxc/101/snapshot/snap1/rollback");
        assert_eq!(r.params.get("start"), Some(&Param::Int(1)));
        assert_eq!(remove(&t, "snap1").method, Method::Delete);
        assert_eq!(cluster_vms().path, "/cluster/resources");
    }

    #[test]
    fn create_omits_empty_options() {
        let t = Target {
            node: "n".into(),
            vmid: 100,
            guest: GuestType::Qemu,
        };
        let r = create(&t, "snap1", "", false);
        assert_eq!(
            r.params,
            Params(vec![("snapname", Param::Str("snap1".into()))])
        );
        let r = create(&t, "snap1", "why", true);
        assert_eq!(r.params.get("description"), Some(&Param::Str("why".into())));
        assert_eq!(r.params.get("vmstate"), Some(&Param::Int(1)));
    }
}
