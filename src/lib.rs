//! Snapshot rules for Proxmox VE guests: quota, lifetime countdowns, lock
//! checks, snapshot naming, and the Proxmox API requests that carry out an
//! action.
//!
//! This crate does no I/O and reads no clock. Every function takes plain
//! data (the product policy, Proxmox's own JSON, `now` in milliseconds) and
//! returns plain data: a page view, a refusal with a stable code, or a
//! request description `{method, path, params}` that the host sends. The
//! WebAssembly boundary is [`bindings`]; [`api`] is the same surface for Rust.

pub mod api;
pub mod bindings;
pub mod description;
pub mod error;
pub mod guest;
pub mod input;
pub mod lifetime;
pub mod limits;
pub mod name;
pub mod page;
pub mod plan;
pub mod policy;
pub mod request;
pub mod rules;
pub mod target;
pub mod task;

pub use error::{Blocked, Details, ErrorCode, SnapshotError};
