//! Build-time paths baked into the binary, so `target/release/claimgraph` starts from a fresh
//! shell with nothing exported.
//!
//! - libtorch: torch-sys (a direct dependency for this reason) exports `DEP_TCH_LIBTORCH_LIB`. We
//!   resolve it to the real folder and set an rpath: the PyPI wheel's own RPATH
//!   (`$ORIGIN/../../nvidia/...`) is resolved against the path a library was found under, so a
//!   symlinked view would lose libcudart. libtorch_cuda.so is not linked (scripts/libtorch-env):
//!   src/model/cuda.rs opens it through the same rpath when CUDA is wanted.
//! - ONNX Runtime: opened at run time (`ort`'s `load-dynamic`), so nothing is linked; we record
//!   where the PyPI `onnxruntime` wheel in the project's `.venv` (or `$VIRTUAL_ENV`) keeps
//!   `libonnxruntime.so`, as `CLAIMGRAPH_ORT_DYLIB`. `$ORT_DYLIB_PATH` overrides it at run time.
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        // scripts/libtorch-env hands torch-sys a folder of links to the CPU libraries: the rpath
        // is the folder they point into.
        let lib = PathBuf::from(lib);
        let real = std::fs::canonicalize(lib.join("libtorch_cpu.so"))
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .or_else(|| std::fs::canonicalize(&lib).ok())
            .unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", real.display());
    }

    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let venvs: Vec<PathBuf> =
        std::env::var_os("VIRTUAL_ENV").map(PathBuf::from).into_iter().chain([manifest.join(".venv")]).collect();
    // Look again when a virtualenv is re-created or the pinned packages change (scripts/setup
    // then reinstalls them), not on every build: a scan of the whole .venv would be slow, and a
    // path that does not exist would rerun this script every time. scripts/setup creates .venv
    // before it builds; a binary built without one falls back to libtorch (or `ORT_DYLIB_PATH`).
    for cfg in venvs.iter().map(|v| v.join("pyvenv.cfg")).filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", cfg.display());
    }
    println!("cargo:rerun-if-changed={}", manifest.join("requirements.txt").display());
    if let Some(lib) = venvs.iter().filter_map(|v| find_onnxruntime(v)).next() {
        println!("cargo:rerun-if-changed={}", lib.display());
        println!("cargo:rustc-env=CLAIMGRAPH_ORT_DYLIB={}", lib.display());
    }
}

/// `<venv>/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so.<version>`.
fn find_onnxruntime(venv: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(venv.join("lib"))
        .ok()?
        .flatten()
        .map(|py| py.path().join("site-packages/onnxruntime/capi"))
        .filter_map(|capi| std::fs::read_dir(capi).ok())
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("libonnxruntime.so")))
        .collect();
    found.sort();
    found.pop().and_then(|p| std::fs::canonicalize(p).ok())
}
