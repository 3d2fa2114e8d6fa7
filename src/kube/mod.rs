//! The only place that talks to the Kubernetes API server: connecting,
//! resolving kinds, server-side apply in Helm's order, and waiting.

mod access;
mod apply;
mod change_feed;
mod connect;
mod lease;
mod managed_fields;
mod ownership;
mod readiness;
mod request_log;
mod resolve;
mod wait;

pub use access::Access;
pub use apply::{Applier, ObjectRef};
pub use connect::{ClusterOptions, connect};
pub use lease::{LEASE_DURATION, OperationLease, lease_name};
pub use managed_fields::adopt_client_side_fields;
pub use ownership::{ReleaseOwner, adoption_problem, with_ownership};
pub use readiness::{Readiness, readiness};
pub use wait::wait_ready;
