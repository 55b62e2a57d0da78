//! Helpers shared by the end-to-end journeys in `tests/tests/`: a real
//! server on loopback, real vaults, interviews driven through the engine and
//! a proxy that injects network faults.

pub mod harness;
pub mod interview;
pub mod proxy;
