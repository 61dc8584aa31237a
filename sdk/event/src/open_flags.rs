//! What an `open` asked for, read from its flags, so every signature that watches files decides
//! "was this a write" and "was this a read" the same way.

/// The access-mode bits of the flags.
pub const O_ACCMODE: u64 = 0o3;
pub const O_RDONLY: u64 = 0o0;
pub const O_WRONLY: u64 = 0o1;
pub const O_RDWR: u64 = 0o2;
pub const O_CREAT: u64 = 0o100;
pub const O_TRUNC: u64 = 0o1000;
/// An fd that can neither read nor write: the open only names the file.
pub const O_PATH: u64 = 0o10000000;

/// Whether the open may change the file: opened for writing, or asked to create or truncate
/// it (`O_CREAT` on an existing file changes nothing, but a read-only create of a file that
/// does not exist yet does: both count, the attempt is what matters).
pub fn is_write(flags: u64) -> bool {
    if flags & O_PATH != 0 {
        return false;
    }
    matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR) || flags & (O_CREAT | O_TRUNC) != 0
}

/// Whether the open may read the file's contents.
pub fn is_read(flags: u64) -> bool {
    flags & O_PATH == 0 && matches!(flags & O_ACCMODE, O_RDONLY | O_RDWR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_modes() {
        assert!(is_write(O_WRONLY | O_CREAT | O_TRUNC));
        assert!(is_write(O_RDWR));
        assert!(is_write(O_RDONLY | O_CREAT));
        assert!(!is_write(O_RDONLY));
        assert!(!is_write(O_PATH | O_WRONLY));
        assert!(is_read(O_RDONLY));
        assert!(is_read(O_RDWR));
        assert!(!is_read(O_WRONLY | O_TRUNC));
        assert!(!is_read(O_PATH));
    }
}
