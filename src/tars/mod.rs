//! What is specific to the TARS data plane: the identity, flags → values,
//! CRD handling, HA preflight, events and doctor checks.

pub mod carryover;
pub mod chart;
pub mod deploy;
pub mod documents;
pub mod identity;
pub mod image_sync;
pub mod images;
pub mod install;
pub mod preflight;
pub mod resources;
pub mod upgrade;
pub mod values;
