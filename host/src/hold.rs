//! The watched command's first moments: `vigil run` starts `vigil hold`, arms capture for its
//! pid, then releases it through a pipe. Only then does `hold` exec the real command, so not one
//! instruction of the command runs unwatched.

use std::{fs::File, io::Read, os::fd::FromRawFd, os::unix::process::CommandExt};

use crate::{cli::HoldArgs, exit_status};

pub fn exec_when_released(args: HoldArgs) -> i32 {
    // SAFETY: the fd was created for us by `vigil run` and is not used elsewhere in this process.
    let mut release = unsafe { File::from_raw_fd(args.fd) };
    let mut byte = [0u8; 1];
    match release.read(&mut byte) {
        Ok(1) if byte[0] == b'+' => {}
        _ => {
            // Vigil died or refused to arm: never run the command unwatched.
            eprintln!("vigil: capture was not armed; not running the command");
            return exit_status::VIGIL_ERROR;
        }
    }
    drop(release);
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let err = std::process::Command::new(program).args(rest).exec();
    eprintln!("vigil: cannot execute {}: {err}", program.to_string_lossy());
    if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}
