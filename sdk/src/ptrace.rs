//! ptrace requests by name, for signatures about debugging and injection.

pub const PTRACE_TRACEME: i64 = 0;
pub const PTRACE_PEEKTEXT: i64 = 1;
pub const PTRACE_PEEKDATA: i64 = 2;
pub const PTRACE_POKETEXT: i64 = 4;
pub const PTRACE_POKEDATA: i64 = 5;
pub const PTRACE_POKEUSER: i64 = 6;
pub const PTRACE_SETREGS: i64 = 13;
pub const PTRACE_ATTACH: i64 = 16;
pub const PTRACE_SEIZE: i64 = 0x4206;

/// The request's name (`PTRACE_POKETEXT`), or its number for the others.
pub fn request_name(request: i64) -> String {
    match request {
        PTRACE_TRACEME => "PTRACE_TRACEME".into(),
        PTRACE_PEEKTEXT => "PTRACE_PEEKTEXT".into(),
        PTRACE_PEEKDATA => "PTRACE_PEEKDATA".into(),
        PTRACE_POKETEXT => "PTRACE_POKETEXT".into(),
        PTRACE_POKEDATA => "PTRACE_POKEDATA".into(),
        PTRACE_POKEUSER => "PTRACE_POKEUSER".into(),
        PTRACE_SETREGS => "PTRACE_SETREGS".into(),
        PTRACE_ATTACH => "PTRACE_ATTACH".into(),
        PTRACE_SEIZE => "PTRACE_SEIZE".into(),
        other => other.to_string(),
    }
}
