//! The extension allocates through the allocator of the Polars it runs in (jemalloc in Polars' Linux wheels), as
//! Polars plugins are meant to.
//!
//! Why it matters: every indicator allocates fresh output columns (80 MB for 10M rows) and Polars frees them when
//! the frame goes away. With the C library's malloc each such buffer is a new `mmap` whose pages the kernel must
//! fault in and zero on first write, which cost a third of a macd call. Polars' allocator keeps recently freed
//! extents and hands them out again, so a service computing indicators in a loop writes into warm memory. Memory
//! allocated by one allocator must be freed by the same one, so the choice is made once, at the first allocation
//! (in the module's import, with the GIL held), and never changes.
//!
//! Polars exports its allocator as a capsule named `polars.polars._allocator`. Polars 1.x holds it in the module
//! `polars.polars`, Polars 2 in `polars._plr`; pyo3-polars' own allocator only looks in the first place, hence this
//! one. Without either (no Python, an unknown Polars) the system allocator is used.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, CStr};
use std::sync::OnceLock;

use pyo3::ffi;

/// The function table inside Polars' capsule (the layout pyo3-polars defines for it).
#[repr(C)]
struct AllocatorTable {
    alloc: unsafe extern "C" fn(usize, usize) -> *mut u8,
    dealloc: unsafe extern "C" fn(*mut u8, usize, usize),
    alloc_zeroed: unsafe extern "C" fn(usize, usize) -> *mut u8,
    realloc: unsafe extern "C" fn(*mut u8, usize, usize, usize) -> *mut u8,
}

unsafe extern "C" fn system_alloc(size: usize, align: usize) -> *mut u8 {
    System.alloc(Layout::from_size_align_unchecked(size, align))
}

unsafe extern "C" fn system_dealloc(ptr: *mut u8, size: usize, align: usize) {
    System.dealloc(ptr, Layout::from_size_align_unchecked(size, align))
}

unsafe extern "C" fn system_alloc_zeroed(size: usize, align: usize) -> *mut u8 {
    System.alloc_zeroed(Layout::from_size_align_unchecked(size, align))
}

unsafe extern "C" fn system_realloc(ptr: *mut u8, size: usize, align: usize, new_size: usize) -> *mut u8 {
    System.realloc(ptr, Layout::from_size_align_unchecked(size, align), new_size)
}

static SYSTEM_TABLE: AllocatorTable = AllocatorTable {
    alloc: system_alloc,
    dealloc: system_dealloc,
    alloc_zeroed: system_alloc_zeroed,
    realloc: system_realloc,
};

const CAPSULE_NAME: &CStr = c"polars.polars._allocator";
/// Where the capsule lives: Polars 2, then Polars 1.
const CAPSULE_MODULES: [&CStr; 2] = [c"polars._plr", c"polars.polars"];

/// Looks the capsule up with raw C-API calls only: anything that allocated through this allocator here would
/// re-enter the `OnceLock` being initialised.
fn find_polars_table() -> Option<&'static AllocatorTable> {
    // SAFETY: plain CPython C-API calls, made only once the interpreter is initialised and with the GIL held
    // (PyGILState_Ensure also works when this thread already holds it, as during the module's import).
    unsafe {
        if ffi::Py_IsInitialized() == 0 {
            return None;
        }
        let gil = ffi::PyGILState_Ensure();
        let mut table = None;
        for module in CAPSULE_MODULES {
            let m = ffi::PyImport_ImportModule(module.as_ptr());
            if m.is_null() {
                ffi::PyErr_Clear();
                continue;
            }
            let capsule = ffi::PyObject_GetAttrString(m, c"_allocator".as_ptr());
            ffi::Py_DecRef(m);
            if capsule.is_null() {
                ffi::PyErr_Clear();
                continue;
            }
            let ptr = ffi::PyCapsule_GetPointer(capsule, CAPSULE_NAME.as_ptr() as *const c_char);
            // The capsule is owned by the Polars module for the life of the process; the table it points to is static.
            ffi::Py_DecRef(capsule);
            if ptr.is_null() {
                ffi::PyErr_Clear();
                continue;
            }
            table = Some(&*(ptr as *const AllocatorTable));
            break;
        }
        ffi::PyGILState_Release(gil);
        table
    }
}

/// The global allocator of the extension module.
pub struct PolarsHeap(OnceLock<&'static AllocatorTable>);

impl PolarsHeap {
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    #[inline]
    fn table(&self) -> &'static AllocatorTable {
        self.0.get_or_init(|| find_polars_table().unwrap_or(&SYSTEM_TABLE))
    }

    /// Whether allocations go to Polars' allocator (false: the system allocator).
    pub fn uses_polars(&self) -> bool {
        !std::ptr::eq(self.table(), &SYSTEM_TABLE)
    }
}

// SAFETY: every call forwards to one allocator chosen once for the life of the process, so each block is freed by
// the allocator that made it.
unsafe impl GlobalAlloc for PolarsHeap {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (self.table().alloc)(layout.size(), layout.align())
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (self.table().dealloc)(ptr, layout.size(), layout.align())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (self.table().alloc_zeroed)(layout.size(), layout.align())
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (self.table().realloc)(ptr, layout.size(), layout.align(), new_size)
    }
}
