//! CUDA for the libtorch engines, loaded only when a CUDA device is asked for or probed.
//!
//! The binary does not link `libtorch_cuda.so` (`scripts/libtorch-env`): linked, it and the CUDA
//! libraries it needs load at start, about 165 MB resident, which a CPU run (the int8 engine
//! included) paid for nothing. libtorch registers its CUDA backend when that library is loaded,
//! so opening it at run time, before the first CUDA call, gives the same libtorch as linking it.

use std::sync::OnceLock;

/// The library holding libtorch's CUDA backend, found by the binary's rpath (build.rs: the
/// wheel's torch/lib folder), as a linked library would be.
const TORCH_CUDA: &str = "libtorch_cuda.so";

/// Whether a CUDA device can be used: the NVIDIA driver is installed, libtorch's CUDA backend
/// loads, and libtorch sees a device. Without the driver nothing is loaded.
pub fn available() -> bool {
    unavailable_reason().is_none()
}

/// Why no CUDA device can be used, or `None` when one can.
pub fn unavailable_reason() -> Option<String> {
    if !driver_present() {
        return Some("the NVIDIA driver (libcuda.so.1) is not installed".into());
    }
    if let Err(e) = load() {
        return Some(format!("libtorch's CUDA backend did not load: {e}"));
    }
    (!tch::Cuda::is_available()).then(|| "libtorch sees no CUDA device".into())
}

/// Loads libtorch's CUDA backend once (later calls return the first result).
pub fn load() -> Result<(), String> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            // SAFETY: loading runs the library's initializers, which register libtorch's CUDA
            // backend with the libtorch_cpu already loaded (the same code a linked binary runs
            // at start). The library is never unloaded: libtorch keeps pointers into it.
            let lib = unsafe {
                libloading::os::unix::Library::open(
                    Some(TORCH_CUDA),
                    libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
                )
            };
            lib.map(std::mem::forget).map_err(|e| e.to_string())
        })
        .clone()
}

/// Whether the NVIDIA driver's library can be opened (it is small; libtorch needs it for any
/// device).
fn driver_present() -> bool {
    // SAFETY: libcuda's initializers only set up the driver library; it stays loaded.
    unsafe { libloading::os::unix::Library::open(Some("libcuda.so.1"), libloading::os::unix::RTLD_LAZY) }
        .map(std::mem::forget)
        .is_ok()
}
