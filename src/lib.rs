//! tare installs and upgrades the TARS data plane without helm or kubectl.
//!
//! The binary is thin (see `cli`); the work lives in modules with one job each.

pub mod action;
pub mod chart;
pub mod chart_source;
pub mod cli;
pub mod doctor;
pub mod events;
pub mod https;
pub mod kube;
pub mod manifest;
pub mod mp;
pub mod oci;
pub mod percent;
pub mod release;
pub mod tars;
pub mod template;
pub mod version;
pub mod yaml;
