//! SIGINT and SIGTERM during an operation: the work stops, and the operation
//! finishes as a failure (recorded, rolled back when atomic) instead of leaving
//! a pending revision behind.

use std::future::Future;

use anyhow::{Result, bail};
use tokio::signal::unix::{SignalKind, signal};

/// Runs `work` unless a SIGINT or SIGTERM arrives first.
pub async fn unless_interrupted<T>(work: impl Future<Output = Result<T>>) -> Result<T> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        result = work => result,
        _ = terminate.recv() => bail!("interrupted by SIGTERM"),
        _ = interrupt.recv() => bail!("interrupted by SIGINT"),
    }
}
