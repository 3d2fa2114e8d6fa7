//! The `tare` binary: parse the command line and hand over to the command.

use std::process::ExitCode;

fn main() -> ExitCode {
    tune_malloc();
    tare::cli::main()
}

/// glibc's malloc, tuned for a short-lived process that builds large
/// strings and trees: one arena (the rendering thread's own arena grew page
/// by page, one mprotect call each), heap growth in large steps, and large
/// blocks from the heap rather than from fresh (page-faulting) mappings.
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it runs before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}
