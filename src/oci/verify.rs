//! A blob passing through tare on its way from one registry to another: hashed
//! and counted as it streams, so nothing is held in memory and content that
//! does not match its digest fails the upload instead of being stored.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use sha2::{Digest as _, Sha256};

use super::client::BoxError;
use super::reference::Digest;

/// Wraps a body; `on_bytes` is told how many bytes each chunk carried.
pub struct Verified<B> {
    inner: B,
    hasher: Sha256,
    seen: u64,
    expected: Digest,
    size: u64,
    on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    finished: bool,
}

impl<B> Verified<B> {
    pub fn new(
        inner: B,
        expected: Digest,
        size: u64,
        on_bytes: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Self {
        Verified {
            inner,
            hasher: Sha256::new(),
            seen: 0,
            expected,
            size,
            on_bytes,
            finished: false,
        }
    }

    /// Checks the content once the source has sent everything.
    fn verdict(&mut self) -> Option<BoxError> {
        self.finished = true;
        if self.seen != self.size {
            return Some(
                format!(
                    "blob {} has {} bytes, its descriptor says {}",
                    self.expected, self.seen, self.size
                )
                .into(),
            );
        }
        let actual = Digest::from_hasher(std::mem::take(&mut self.hasher));
        (actual != self.expected)
            .then(|| format!("blob {} arrived with digest {actual}", self.expected).into())
    }
}

impl<B> Body for Verified<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.hasher.update(data);
                    self.seen += data.len() as u64;
                    (self.on_bytes)(data.len() as u64);
                    if self.seen > self.size {
                        return Poll::Ready(self.verdict().map(Err));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => Poll::Ready(self.verdict().map(Err)),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.size)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::{BodyExt, Full};

    use super::*;

    fn verified(content: &'static [u8], expected: Digest, size: u64) -> Verified<Full<Bytes>> {
        Verified::new(
            Full::new(Bytes::from_static(content)),
            expected,
            size,
            Arc::new(|_| {}),
        )
    }

    #[tokio::test]
    async fn matching_content_passes_through_unchanged() {
        let body = verified(b"layer", Digest::of(b"layer"), 5);
        assert_eq!(
            body.collect().await.unwrap().to_bytes(),
            Bytes::from_static(b"layer")
        );
    }

    #[tokio::test]
    async fn content_with_another_digest_fails_the_stream() {
        let error = verified(b"evil!", Digest::of(b"layer"), 5)
            .collect()
            .await
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("arrived with digest sha256:"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn content_of_another_size_fails_the_stream() {
        let error = verified(b"layer", Digest::of(b"layer"), 4)
            .collect()
            .await
            .err()
            .unwrap();
        assert!(error.to_string().contains("has 5 bytes"), "{error}");
    }
}
