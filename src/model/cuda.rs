//! CUDA for the libtorch engines, loaded only when a CUDA device is asked for or probed.
//!
//! The binary does not link `libtorch_cuda.so` (`scripts/libtorch-env`): linked, it and the CUDA
//! libraries it needs load at start, about 165 MB resident, which a CPU run (the int8 engine
//! included) paid for nothing. libtorch registers its CUDA backend when that library is loaded,
//! so opening it at run time, before the first CUDA call, gives the same libtorch as linking it.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The library holding libtorch's CUDA backend, in the wheel's torch/lib folder.
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
            let path = torch_lib().join(TORCH_CUDA);
            // SAFETY: loading runs the library's initializers, which register libtorch's CUDA
            // backend with the libtorch_cpu already loaded (the same code a linked binary runs
            // at start). The library is never unloaded: libtorch keeps pointers into it.
            let lib = unsafe {
                libloading::os::unix::Library::open(
                    Some(&path),
                    libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
                )
            };
            lib.map(std::mem::forget).map_err(|e| format!("{}: {e}", path.display()))
        })
        .clone()
}

/// The folder `libtorch_cpu.so` was linked from (build.rs), else `$LIBTORCH/lib`.
fn torch_lib() -> PathBuf {
    match option_env!("CLAIMGRAPH_TORCH_LIB") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("LIBTORCH").unwrap_or_default()).join("lib"),
    }
}

/// Whether the NVIDIA driver's library can be opened (it is small; libtorch needs it for any
/// device).
fn driver_present() -> bool {
    // SAFETY: libcuda's initializers only set up the driver library; it stays loaded.
    unsafe { libloading::os::unix::Library::open(Some("libcuda.so.1"), libloading::os::unix::RTLD_LAZY) }
        .map(std::mem::forget)
        .is_ok()
}
