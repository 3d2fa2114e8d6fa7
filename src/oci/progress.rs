//! What the sync tells the operator on stderr: a line per image, a live
//! line with bytes and rate when stderr is a terminal, and a closing summary.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How one blob reached the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// Streamed from the source.
    Copied,
    /// Already there: nothing sent.
    Present,
    /// Linked from another repository of the destination registry.
    Mounted,
}

/// Counters of one image, or of the whole sync.
#[derive(Debug, Default)]
pub struct Tally {
    pub copied: AtomicU64,
    pub present: AtomicU64,
    pub mounted: AtomicU64,
    pub bytes: AtomicU64,
}

impl Tally {
    pub fn record(&self, outcome: BlobOutcome, size: u64) {
        let counter = match outcome {
            BlobOutcome::Copied => {
                self.bytes.fetch_add(size, Ordering::Relaxed);
                &self.copied
            }
            BlobOutcome::Present => &self.present,
            BlobOutcome::Mounted => &self.mounted,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds another tally's counts to this one.
    pub fn absorb(&self, other: &Tally) {
        for (mine, theirs) in [
            (&self.copied, &other.copied),
            (&self.present, &other.present),
            (&self.mounted, &other.mounted),
            (&self.bytes, &other.bytes),
        ] {
            mine.fetch_add(Self::get(theirs), Ordering::Relaxed);
        }
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// `3 blobs copied (2.0 MiB), 1 present, 1 mounted`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} blobs copied ({}), {} present",
            Self::get(&self.copied),
            human_bytes(Self::get(&self.bytes)),
            Self::get(&self.present)
        );
        let mounted = Self::get(&self.mounted);
        if mounted > 0 {
            text.push_str(&format!(", {mounted} mounted"));
        }
        text
    }
}

/// The sync's running state, shared by every copy task.
pub struct Progress {
    started: Instant,
    live: bool,
    images_total: u64,
    images_done: AtomicU64,
    images_up_to_date: AtomicU64,
    /// Bytes streamed so far, retries included: what the rate is about.
    streamed: AtomicU64,
    pub totals: Tally,
    stderr: Mutex<()>,
}

impl Progress {
    /// `images_total` counts the chart artifact too.
    pub fn new(images_total: usize) -> Progress {
        Progress {
            started: Instant::now(),
            live: std::io::stderr().is_terminal(),
            images_total: images_total as u64,
            images_done: AtomicU64::new(0),
            images_up_to_date: AtomicU64::new(0),
            streamed: AtomicU64::new(0),
            totals: Tally::default(),
            stderr: Mutex::new(()),
        }
    }

    pub fn streamed(&self, bytes: u64) {
        self.streamed.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a finished image; `up_to_date` when nothing had to be copied.
    pub fn image_done(&self, up_to_date: bool) {
        self.images_done.fetch_add(1, Ordering::Relaxed);
        if up_to_date {
            self.images_up_to_date.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prints a line on stderr, above the live line when there is one.
    pub fn say(&self, line: &str) {
        let _guard = self.stderr.lock().expect("stderr lock");
        let clear = if self.live { "\r\x1b[2K" } else { "" };
        eprintln!("{clear}{line}");
        if self.live {
            self.draw_live_line();
        }
    }

    /// Redraws the live line; does nothing when stderr is not a terminal.
    pub fn tick(&self) {
        if self.live {
            let _guard = self.stderr.lock().expect("stderr lock");
            self.draw_live_line();
        }
    }

    /// How often `tick` is worth calling.
    pub const TICK: Duration = Duration::from_millis(200);

    fn draw_live_line(&self) {
        let streamed = self.streamed.load(Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "  [{}/{} images] {} at {}/s",
            self.images_done.load(Ordering::Relaxed),
            self.images_total,
            human_bytes(streamed),
            human_bytes((streamed as f64 / seconds) as u64)
        );
        let mut stderr = std::io::stderr().lock();
        // A failed progress write must not fail the sync.
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
    }

    /// Clears the live line before the summary or an error is printed.
    pub fn finish(&self) {
        if self.live {
            let _guard = self.stderr.lock().expect("stderr lock");
            eprint!("\r\x1b[2K");
        }
    }

    /// `10 images (2 already up to date), 40 blobs copied (120.0 MiB), 3 present, 2 mounted in 4.2s`.
    pub fn summary(&self) -> String {
        format!(
            "{} images ({} already up to date), {} in {:.1}s",
            self.images_done.load(Ordering::Relaxed),
            self.images_up_to_date.load(Ordering::Relaxed),
            self.totals.describe(),
            self.started.elapsed().as_secs_f64()
        )
    }
}

/// Bytes in binary units with one decimal, e.g. `12.3 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }

    #[test]
    fn a_tally_names_only_what_happened() {
        let tally = Tally::default();
        tally.record(BlobOutcome::Copied, 2048);
        tally.record(BlobOutcome::Present, 10);
        assert_eq!(tally.describe(), "1 blobs copied (2.0 KiB), 1 present");
        tally.record(BlobOutcome::Mounted, 10);
        assert_eq!(
            tally.describe(),
            "1 blobs copied (2.0 KiB), 1 present, 1 mounted"
        );
    }
}
