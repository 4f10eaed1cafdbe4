//! Nightly regression gate.

pub mod arm_value;
pub mod baseline;
pub mod blocks;
pub mod paired_device;
pub mod gate;
pub mod gate_report;
