//! Shared by every fuzz target: turning fuzz bytes into the core's [`Value`]
//! trees ([`input`]), the invariants every answer must keep ([`check`]) and
//! those of planned actions, checked against the inputs read afresh ([`plans`]).
//!
//! A target panics (and libFuzzer records a crash) when the core panics or
//! when an answer breaks an invariant, so "no crash" here means more than
//! "no panic".
//!
//! [`Value`]: pve_snapshots::Value

pub mod check;
pub mod input;
pub mod plans;
