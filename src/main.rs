//! `claimgraph`: parse the command line, run, turn the outcome into an exit code.
//!
//! Exit codes: 0 every record was processed; 2 the run finished but some records were
//! rejected (see errors.jsonl); 1 the run could not proceed. `claimgraph diff` exits like
//! diff(1): 0 equal, 1 different, 2 error.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = claimgraph::cli::Cli::parse();
    match claimgraph::cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("claimgraph: error: {err:#}");
            ExitCode::from(1)
        }
    }
}
