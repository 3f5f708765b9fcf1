//! Shared by every fuzz target: turning fuzz bytes into JSON arguments and
//! reading them as the bindings do ([`input`]), the invariants every answer
//! must keep ([`check`]) and those of planned actions, checked against the
//! inputs the core accepted ([`plans`]).
//!
//! A target panics (and libFuzzer records a crash) when the core panics or
//! when an answer breaks an invariant, so "no crash" here means more than
//! "no panic".

pub mod check;
pub mod input;
pub mod plans;
