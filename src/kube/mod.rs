//! The only place that talks to the Kubernetes API server.

mod connect;

pub use connect::{ClusterOptions, connect};
