//! tare installs and upgrades the TARS data plane without helm or kubectl.
//!
//! The binary is thin (see `cli`); the work lives in modules with one job each.

pub mod action;
pub mod chart;
pub mod cli;
pub mod doctor;
pub mod events;
pub mod kube;
pub mod manifest;
pub mod mp;
pub mod https;
pub mod oci;
pub mod percent;
pub mod release;
pub mod tars;
pub mod template;
pub mod version;
pub mod yaml;
