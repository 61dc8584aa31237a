//! The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read just far enough to find where a
//! field sits inside a kernel struct. The eBPF programs use no CO-RE relocations; the few
//! kernel-struct offsets they need (the path from the current task to its mount namespace) are
//! looked up here and handed to them as globals, like the tracepoint layouts. On a kernel
//! without BTF the lookup fails and the programs are told there is nothing to read.
//!
//! Format: a header (magic `0xeB9F`, then offsets of the type and string sections), a sequence
//! of type records, each a 12-byte `btf_type` followed by kind-specific data, and a string
//! table. Type ids count from 1 in record order.

use anyhow::{anyhow, bail, Context, Result};

const MAGIC: u16 = 0xeb9f;

const KIND_INT: u32 = 1;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_VAR: u32 = 14;
const KIND_DATASEC: u32 = 15;
const KIND_DECL_TAG: u32 = 17;
const KIND_TYPE_TAG: u32 = 18;
const KIND_ENUM64: u32 = 19;

/// One type record, decoded: its kind, name, what it refers to (for modifiers and typedefs),
/// and where its members are.
struct Type {
    kind: u32,
    name: u32,
    /// `size_or_type`: the referred type for typedefs and modifiers.
    refers_to: u32,
    /// Struct and union members: how many, where they start, whether offsets hold bitfields.
    vlen: usize,
    members_at: usize,
    bitfields: bool,
}

/// Parsed BTF: the file, where each type record starts (by id − 1), and where the string
/// table is. Records are decoded when asked for: the kernel's BTF holds some hundred
/// thousand types and Vigil needs a handful.
pub struct Btf {
    bytes: Vec<u8>,
    types: Vec<usize>,
    strings: std::ops::Range<usize>,
}

fn u16_at(bytes: &[u8], at: usize) -> Result<u16> {
    let b = bytes
        .get(at..at + 2)
        .ok_or_else(|| anyhow!("cut short at byte {at}"))?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    let b = bytes
        .get(at..at + 4)
        .ok_or_else(|| anyhow!("cut short at byte {at}"))?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Btf {
    /// Reads the running kernel's BTF.
    pub fn kernel() -> Result<Self> {
        let path = "/sys/kernel/btf/vmlinux";
        let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
        Self::parse(bytes).with_context(|| format!("{path}: not BTF Vigil can read"))
    }

    pub fn parse(bytes: Vec<u8>) -> Result<Self> {
        if u16_at(&bytes, 0)? != MAGIC {
            bail!("no BTF magic (or not little-endian)");
        }
        let header_len = u32_at(&bytes, 4)? as usize;
        let (type_off, type_len) = (u32_at(&bytes, 8)? as usize, u32_at(&bytes, 12)? as usize);
        let (str_off, str_len) = (u32_at(&bytes, 16)? as usize, u32_at(&bytes, 20)? as usize);
        let section = |off: usize, len: usize| {
            header_len
                .checked_add(off)
                .and_then(|start| Some(start..start.checked_add(len)?))
                .filter(|r| r.end <= bytes.len())
                .ok_or_else(|| anyhow!("a section lies outside the file"))
        };
        let type_range = section(type_off, type_len)?;
        let strings = section(str_off, str_len)?;

        let mut types = Vec::new();
        let mut at = type_range.start;
        while at < type_range.end {
            let t = Self::record(&bytes, at)?;
            let extra = match t.kind {
                KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
                KIND_ARRAY => 12,
                KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => t.vlen * 12,
                KIND_ENUM | KIND_FUNC_PROTO => t.vlen * 8,
                0 | 2 | 7 | 12 | 16 | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
                | KIND_TYPE_TAG => 0,
                other => bail!("unknown BTF kind {other} at byte {at}"),
            };
            types.push(at);
            at += 12 + extra;
        }
        if at != type_range.end {
            bail!("the last type record runs past the type section");
        }
        Ok(Btf {
            bytes,
            types,
            strings,
        })
    }

    /// The type record at byte `at`.
    fn record(bytes: &[u8], at: usize) -> Result<Type> {
        let info = u32_at(bytes, at + 4)?;
        Ok(Type {
            kind: (info >> 24) & 0x1f,
            name: u32_at(bytes, at)?,
            refers_to: u32_at(bytes, at + 8)?,
            vlen: (info & 0xffff) as usize,
            members_at: at + 12,
            bitfields: info >> 31 != 0,
        })
    }

    /// Member `i` of a struct or union: (name, type id, offset in bits).
    fn member(&self, t: &Type, i: usize) -> Option<(u32, u32, u32)> {
        let at = t.members_at + i * 12;
        let offset = u32_at(&self.bytes, at + 8).ok()?;
        // With the kind flag, the high byte holds a bitfield's size.
        let bits = if t.bitfields {
            offset & 0xff_ffff
        } else {
            offset
        };
        Some((
            u32_at(&self.bytes, at).ok()?,
            u32_at(&self.bytes, at + 4).ok()?,
            bits,
        ))
    }

    fn name(&self, offset: u32) -> &[u8] {
        let table = &self.bytes[self.strings.clone()];
        let rest = table.get(offset as usize..).unwrap_or(&[]);
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
    }

    fn get(&self, id: u32) -> Option<Type> {
        let at = *self.types.get((id as usize).checked_sub(1)?)?;
        Self::record(&self.bytes, at).ok()
    }

    /// The struct or union `id` stands for, through typedefs and qualifiers.
    fn resolve(&self, mut id: u32) -> Option<Type> {
        for _ in 0..32 {
            let t = self.get(id)?;
            match t.kind {
                KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG => {
                    id = t.refers_to
                }
                _ => return Some(t),
            }
        }
        None
    }

    /// Byte offset of `field` in `struct name`, looking inside anonymous struct and union
    /// members as C does.
    pub fn field_offset(&self, name: &str, field: &str) -> Result<u32> {
        let s = (1..=self.types.len() as u32)
            .filter_map(|id| self.get(id))
            .find(|t| t.kind == KIND_STRUCT && self.name(t.name) == name.as_bytes())
            .ok_or_else(|| anyhow!("the kernel's BTF has no struct {name}"))?;
        let bits = self
            .member_bits(&s, field.as_bytes(), 0)
            .ok_or_else(|| anyhow!("struct {name} has no field {field}"))?;
        if bits % 8 != 0 {
            bail!("{name}.{field} is a bitfield");
        }
        Ok(bits / 8)
    }

    fn member_bits(&self, t: &Type, field: &[u8], depth: u32) -> Option<u32> {
        if depth > 8 || !matches!(t.kind, KIND_STRUCT | KIND_UNION) {
            return None;
        }
        (0..t.vlen).find_map(|i| {
            let (name, ty, bits) = self.member(t, i)?;
            if name == 0 {
                let inner = self.resolve(ty)?;
                self.member_bits(&inner, field, depth + 1).map(|b| b + bits)
            } else if self.name(name) == field {
                Some(bits)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built BTF: `struct outer { int a; union { int b; struct inner c; }; }` with
    /// `struct inner { int x; int y; }`.
    fn sample() -> Vec<u8> {
        let strings = b"\0int\0outer\0a\0b\0c\0inner\0x\0y\0";
        let s = |name: &str| {
            let needle = format!("\0{name}\0");
            strings
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap() as u32
                + 1
        };
        let mut types = Vec::new();
        let mut record = |name: u32, kind: u32, vlen: u32, size: u32, extra: &[u32]| {
            for w in [name, kind << 24 | vlen, size].iter().chain(extra) {
                types.extend_from_slice(&w.to_le_bytes());
            }
        };
        // 1: int
        record(s("int"), KIND_INT, 0, 4, &[32]);
        // 2: struct inner { int x @0; int y @32 }
        record(
            s("inner"),
            KIND_STRUCT,
            2,
            8,
            &[s("x"), 1, 0, s("y"), 1, 32],
        );
        // 3: anonymous union { int b @0; struct inner c @0 }
        record(0, KIND_UNION, 2, 8, &[s("b"), 1, 0, s("c"), 2, 0]);
        // 4: struct outer { int a @0; union @64 }
        record(s("outer"), KIND_STRUCT, 2, 16, &[s("a"), 1, 0, 0, 3, 64]);
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [
            24u32,
            0,
            types.len() as u32,
            types.len() as u32,
            strings.len() as u32,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&types);
        out.extend_from_slice(strings);
        out
    }

    #[test]
    fn fields_are_found_through_anonymous_members() {
        let btf = Btf::parse(sample()).unwrap();
        assert_eq!(btf.field_offset("outer", "a").unwrap(), 0);
        assert_eq!(btf.field_offset("outer", "b").unwrap(), 8);
        assert_eq!(btf.field_offset("outer", "c").unwrap(), 8);
        assert_eq!(btf.field_offset("inner", "y").unwrap(), 4);
        assert!(
            btf.field_offset("outer", "x").is_err(),
            "not through named members"
        );
        assert!(btf.field_offset("nope", "a").is_err());
    }

    #[test]
    fn damaged_btf_is_an_error_never_a_panic() {
        let good = sample();
        for cut in 0..good.len() {
            let _ = Btf::parse(good[..cut].to_vec());
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            if let Ok(btf) = Btf::parse(bad) {
                let _ = btf.field_offset("outer", "c");
            }
        }
        assert!(Btf::parse(b"not btf at all".to_vec()).is_err());
    }

    #[test]
    fn this_kernel_has_the_paths_the_programs_follow() {
        let Ok(btf) = Btf::kernel() else {
            eprintln!("no kernel BTF here; skipping");
            return;
        };
        assert!(btf.field_offset("task_struct", "nsproxy").unwrap() > 0);
        assert!(btf.field_offset("nsproxy", "mnt_ns").unwrap() > 0);
        btf.field_offset("mnt_namespace", "ns").unwrap();
        btf.field_offset("ns_common", "inum").unwrap();
        // ... and from an fd to its BPF map's id.
        assert!(btf.field_offset("task_struct", "files").unwrap() > 0);
        btf.field_offset("files_struct", "fdt").unwrap();
        btf.field_offset("fdtable", "fd").unwrap();
        btf.field_offset("fdtable", "max_fds").unwrap();
        btf.field_offset("file", "private_data").unwrap();
        btf.field_offset("bpf_map", "id").unwrap();
    }
}
