//! Helpers about file descriptors.

/// `EINPROGRESS`: a non-blocking connect that is under way counts as connecting.
pub const EINPROGRESS: i64 = 115;

/// True for fds 0, 1 and 2.
pub fn is_stdio(fd: i32) -> bool {
    (0..=2).contains(&fd)
}

/// The name of a stdio fd, for evidence.
pub fn stdio_name(fd: i32) -> &'static str {
    match fd {
        0 => "stdin",
        1 => "stdout",
        2 => "stderr",
        _ => "fd",
    }
}
