//! Retries with exponential backoff for the failures that pass: dropped
//! connections, 429 and 5xx (honouring `Retry-After`).

use std::future::Future;
use std::time::Duration;

use super::error::{ErrorKind, RegistryError};

/// Attempts per operation, the first included.
const ATTEMPTS: u32 = 5;
const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// Runs `operation` until it succeeds, fails for good, or runs out of attempts.
pub async fn with_retries<T, F, Fut>(mut operation: F) -> Result<T, RegistryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RegistryError>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(error) if error.is_retryable() && attempt < ATTEMPTS => {
                tokio::time::sleep(delay(attempt, &error.kind)).await;
                attempt += 1;
            }
            Err(mut error) if error.is_retryable() => {
                error.message = format!("{} (gave up after {ATTEMPTS} attempts)", error.message);
                return Err(error);
            }
            outcome => return outcome,
        }
    }
}

/// 0.5 s, 1 s, 2 s, 4 s…, or what the registry asked for.
fn delay(attempt: u32, kind: &ErrorKind) -> Duration {
    let backoff = FIRST_DELAY * 2u32.pow(attempt - 1);
    match kind {
        ErrorKind::Busy(Some(asked)) => (*asked).max(backoff),
        _ => backoff,
    }
    .min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = with_retries(|| async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err(RegistryError::new(ErrorKind::Busy(None), "503")),
                1 => Err(RegistryError::new(ErrorKind::Transport, "reset")),
                _ => Ok("done"),
            }
        })
        .await;
        assert_eq!(result.unwrap(), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn lasting_failures_give_up_and_permanent_ones_fail_at_once() {
        let calls = AtomicU32::new(0);
        let busy = with_retries(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(RegistryError::new(ErrorKind::Busy(None), "429"))
        })
        .await;
        assert!(
            busy.unwrap_err()
                .message
                .contains("gave up after 5 attempts")
        );
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS);
        let calls = AtomicU32::new(0);
        let denied = with_retries(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(RegistryError::new(ErrorKind::Unauthorized, "401"))
        })
        .await;
        assert_eq!(denied.unwrap_err().kind, ErrorKind::Unauthorized);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_doubles_and_respects_retry_after() {
        assert_eq!(delay(1, &ErrorKind::Transport), Duration::from_millis(500));
        assert_eq!(delay(3, &ErrorKind::Transport), Duration::from_secs(2));
        assert_eq!(
            delay(1, &ErrorKind::Busy(Some(Duration::from_secs(7)))),
            Duration::from_secs(7)
        );
        assert_eq!(delay(10, &ErrorKind::Transport), MAX_DELAY);
    }
}
