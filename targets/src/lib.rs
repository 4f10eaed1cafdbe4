//! # edgebench-targets
//!
//! Everything that runs on the device under test: the job and result schema
//! shared with the controller, the measurement protocol, power and memory
//! meters, hardware counters and device facts, the object store the
//! controller uploads models and agents into, and the small
//! `edgebench-agent` binary the controller deploys.
//!
//! By default it depends only on the kernel crate and stays pure Rust, so
//! that it cross-compiles for `aarch64-unknown-linux-gnu` and builds on the
//! device. The `llama-cpp` feature links llama.cpp in as a second
//! [`runtime`] (C++, built with cmake for the target).

pub mod agent;
pub mod counters;
pub mod facts;
pub mod meters;
pub mod protocol;
pub mod runtime;
pub mod store;
