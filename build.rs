//! Bakes the libtorch library folder into the binary's rpath, so `target/release/claimgraph`
//! starts from a fresh shell with no `LD_LIBRARY_PATH`.
//!
//! torch-sys (a direct dependency for this reason) exports `DEP_TCH_LIBTORCH_LIB`. We resolve
//! it to the real folder: the PyPI wheel's own RPATH (`$ORIGIN/../../nvidia/...`) is resolved
//! against the path a library was found under, so a symlinked view would lose libcudart.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        let real = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.into());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", real.display());
    }
}
