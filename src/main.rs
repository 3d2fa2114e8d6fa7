//! The `tare` binary: parse the command line and hand over to the command.

use std::process::ExitCode;

fn main() -> ExitCode {
    tare::cli::main()
}
