//! cti-server binary: everything lives in the library; see `cti_server::cli`.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cti_server::cli::run().await
}
