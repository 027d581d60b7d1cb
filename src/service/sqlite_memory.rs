//! SQLite allocates through mimalloc, as the rest of the process does: left to glibc's
//! allocator, SQLite's allocations (every column value sqlx copies out of a row among them)
//! were a sixth of the instructions of a folder read (BENCHMARKS.md, issue 14).

use std::ffi::{c_int, c_void};
use std::sync::Once;

unsafe extern "C" fn allocate(size: c_int) -> *mut c_void {
    // SAFETY: mi_malloc takes any size and returns memory aligned for any type, or null.
    unsafe { libmimalloc_sys::mi_malloc(usize::try_from(size).unwrap_or(0)) }
}

unsafe extern "C" fn release(memory: *mut c_void) {
    // SAFETY: SQLite frees only what `allocate` or `reallocate` gave it.
    unsafe { libmimalloc_sys::mi_free(memory) }
}

unsafe extern "C" fn reallocate(memory: *mut c_void, size: c_int) -> *mut c_void {
    // SAFETY: as `release`; SQLite keeps the old memory when null comes back.
    unsafe { libmimalloc_sys::mi_realloc(memory, usize::try_from(size).unwrap_or(0)) }
}

unsafe extern "C" fn size_of(memory: *mut c_void) -> c_int {
    // SAFETY: as `release`.
    let size = unsafe { libmimalloc_sys::mi_usable_size(memory) };
    c_int::try_from(size).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn round_up(size: c_int) -> c_int {
    // SAFETY: mi_good_size only computes.
    let good = unsafe { libmimalloc_sys::mi_good_size(usize::try_from(size).unwrap_or(0)) };
    c_int::try_from(good).unwrap_or(size)
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    libsqlite3_sys::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

/// Gives SQLite mimalloc before it first starts, once per process; when SQLite has already
/// started (a connection opened elsewhere first) it keeps its allocator, which is only slower.
pub(super) fn use_mimalloc() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = libsqlite3_sys::sqlite3_mem_methods {
            xMalloc: Some(allocate),
            xFree: Some(release),
            xRealloc: Some(reallocate),
            xSize: Some(size_of),
            xRoundup: Some(round_up),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: SQLite copies the methods; before its initialisation nothing else reads
        // them, and after it the call changes nothing and answers SQLITE_MISUSE.
        let answer = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MALLOC, &methods)
        };
        if answer != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(answer, "SQLite had started already; it keeps its allocator");
        }
    });
}
