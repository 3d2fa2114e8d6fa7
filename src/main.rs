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
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
    heap_on_huge_pages();
}

/// Backs the heap past its first MiB with 2 MiB pages where the kernel
/// allows it (THP in `madvise` mode): a large chart's render touches tens of
/// MiB, and faulting those in 4 KiB at a time is a large part of its time; small
/// charts stay within the head and pay nothing for clearing 2 MiB pages.
fn heap_on_huge_pages() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc/free/sbrk/madvise on the process's own heap; madvise
    // only changes how the kernel backs pages of the heap mapping.
    unsafe {
        const HUGE: usize = 2 << 20;
        const PROBE: usize = 1 << 20;
        const HEAD: usize = 1 << 20;
        // With M_TOP_PAD set, this grows the heap by the pad in one step.
        let probe = libc::malloc(PROBE) as usize;
        // malloc wrote a header after the probe: a 2 MiB range with a page
        // already faulted in stays on small pages, so start past it.
        let start = (probe + PROBE + 64 + HUGE - 1) & !(HUGE - 1);
        let end = libc::sbrk(0) as usize & !(HUGE - 1);
        if probe == 0 || end <= start {
            libc::free(probe as *mut libc::c_void);
            return;
        }
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        libc::free(probe as *mut libc::c_void);
        // Small pages for the first MiB only: a block never touched past its
        // header takes the rest of the head, and stays allocated (black_box:
        // the compiler would drop an allocation nothing reads).
        if start - probe > HEAD {
            std::hint::black_box(libc::malloc(start - probe - HEAD));
        }
    }
}
