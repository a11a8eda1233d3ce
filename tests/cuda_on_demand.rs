//! libtorch's CUDA backend is not linked: a CPU run does not load it (about 165 MB resident),
//! and it loads, registered with libtorch, when CUDA is asked for (src/model/cuda.rs). One test
//! in its own process, so nothing else has loaded the library first.

use claimgraph::model::cuda;

fn loaded(lib: &str) -> bool {
    std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps").contains(lib)
}

fn cuda_tensor() -> Result<tch::Tensor, tch::TchError> {
    tch::Tensor::f_zeros([2], (tch::Kind::Float, tch::Device::Cuda(0)))
}

#[test]
fn cuda_backend_loads_only_when_asked_for() {
    // A CPU tensor needs nothing of CUDA.
    let _ = tch::Tensor::zeros([2], (tch::Kind::Float, tch::Device::Cpu));
    assert!(!loaded("libtorch_cuda.so"), "libtorch_cuda.so was loaded by a CPU-only process");
    let unregistered = cuda_tensor().expect_err("CUDA worked without its backend");
    // No kernel is registered for the CUDA backend yet.
    assert!(unregistered.to_string().contains("from the 'CUDA' backend"), "{unregistered}");

    cuda::load().expect("libtorch_cuda.so opens");
    assert!(loaded("libtorch_cuda.so"));
    // Registered now: a machine with a GPU makes the tensor, one without says why, and the
    // reason is no longer the missing backend.
    match cuda_tensor() {
        Ok(t) => assert_eq!(t.size(), [2]),
        Err(e) => assert!(!e.to_string().contains("from the 'CUDA' backend"), "backend still missing after load: {e}"),
    }
    // The driver probe agrees with libtorch.
    assert_eq!(cuda::available(), tch::Cuda::is_available());
}
