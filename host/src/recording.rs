//! Record files: what `vigil record` writes and what `vigil replay` and `vigil events` read.
//!
//! A file is the 8-byte magic `VIGILREC`, a little-endian `u32` format version, then frames.
//! Each frame is a little-endian `u32` length followed by that many bytes of one bincode-encoded
//! (bincode 2, standard configuration) [`Frame`]. The first frame is [`Frame::Start`], and
//! [`Frame::Host`] may follow it; a complete recording ends with [`Frame::End`].
//!
//! Kernel records are kept exactly as the ring buffer delivered them (stored with runs of zero
//! bytes collapsed: their fixed-size path and payload buffers are mostly padding), and every
//! /proc answer
//! the tracker used to enrich them follows the record that raised the question, so a replay
//! decodes and enriches exactly as the live run did, without this machine's kernel or /proc.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::procfs::ProcAnswer;

pub const MAGIC: &[u8; 8] = b"VIGILREC";
/// The format version this Vigil writes. Version 2 added the `ReadHead` /proc answer (a
/// script's first line) and filled the kernel header's former padding with the mount
/// namespace; version 3 added the `Host` frame. Each older version is a newer one without
/// what was added, so all are read.
pub const VERSION: u32 = 3;
/// The oldest format version this Vigil reads.
const OLDEST_READABLE: u32 = 1;
/// Frames larger than this are corrupt (the largest real frame is a few hundred KiB of /proc).
const MAX_FRAME: usize = 64 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    /// What was recorded, and how to turn kernel timestamps into wall-clock time.
    Start {
        vigil_version: String,
        kernel: String,
        command: Vec<String>,
        epoch_offset_ns: i128,
    },
    /// The watched command's root process, registered before it ran.
    Root {
        pid: u32,
        ppid: u32,
        argv: Vec<String>,
    },
    /// One ring-buffer record, byte for byte (stored zero-run packed, see [`zero_runs`]).
    Kernel(#[serde(with = "zero_runs")] Vec<u8>),
    /// A /proc answer the tracker used for the preceding `Root` or `Kernel` frame.
    Proc(ProcAnswer),
    /// How the run ended.
    End {
        command_status: i32,
        lost: u64,
        decode_errors: u64,
    },
    /// The recording Vigil's own facts, which signatures receive as host settings (its pid,
    /// executable and output files: what a job tampering with Vigil would aim at), so that a
    /// replay judges them and not the replaying process's. Right after `Start`; absent before
    /// version 3. Declared last: bincode numbers the variants in order.
    Host {
        pid: Option<u32>,
        exe: Option<String>,
        outputs: Vec<String>,
    },
}

/// bincode's standard configuration, with allocations bounded by the frame limit so a corrupt
/// length can never ask for more memory than a frame may hold.
/// Runs of zero bytes collapsed: a zero byte is followed by one byte `n` standing for `n + 1`
/// zeros in all; every other byte stands for itself.
pub mod zero_runs {
    use serde::{de::Error, Deserializer, Serializer};

    /// The largest kernel record unpacked (the largest real one is under 4 KiB).
    pub const MAX_UNPACKED: usize = 64 << 10;

    pub fn pack(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != 0 {
                out.push(bytes[i]);
                i += 1;
                continue;
            }
            let run = bytes[i..].iter().take(256).take_while(|&&b| b == 0).count();
            out.push(0);
            out.push((run - 1) as u8);
            i += run;
        }
        out
    }

    pub fn unpack(packed: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(packed.len() * 2);
        let mut it = packed.iter();
        while let Some(&b) = it.next() {
            if b != 0 {
                out.push(b);
            } else {
                let n = *it.next().ok_or("a zero run without its length")? as usize + 1;
                out.resize(out.len() + n, 0);
            }
            if out.len() > MAX_UNPACKED {
                return Err(format!("a kernel record over {MAX_UNPACKED} bytes"));
            }
        }
        Ok(out)
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&pack(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let packed: Vec<u8> = serde_bytes_vec(d)?;
        unpack(&packed).map_err(D::Error::custom)
    }

    fn serde_bytes_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut v = Vec::new();
                while let Some(b) = a.next_element()? {
                    v.push(b);
                }
                Ok(v)
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_FRAME>()
}

pub struct Writer {
    out: BufWriter<File>,
    path: String,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path)
            .with_context(|| format!("{}: cannot create the record file", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        Ok(Writer {
            out,
            path: path.display().to_string(),
        })
    }

    pub fn write(&mut self, frame: &Frame) -> Result<()> {
        let bytes =
            bincode::serde::encode_to_vec(frame, config()).context("encoding a record frame")?;
        let len = u32::try_from(bytes.len()).context("record frame too large")?;
        self.out
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.out.write_all(&bytes))
            .with_context(|| format!("{}: writing the record file", self.path))
    }

    pub fn finish(mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("{}: writing the record file", self.path))?;
        self.out
            .get_ref()
            .sync_all()
            .with_context(|| format!("{}: syncing the record file", self.path))
    }
}

/// A problem in a record file, at a byte offset.
#[derive(Debug, PartialEq, Eq)]
pub struct FileError {
    pub offset: usize,
    pub what: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for FileError {}

fn error(offset: usize, what: impl Into<String>) -> FileError {
    FileError {
        offset,
        what: what.into(),
    }
}

/// Every frame of a record file with the byte offset it starts at. Fails on the first problem:
/// a wrong magic or version, a truncated or oversized frame, bytes that do not decode, a file
/// that does not start with `Start` or does not end with `End`.
pub fn parse(bytes: &[u8]) -> Result<Vec<(usize, Frame)>, FileError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(error(0, "not a Vigil record file (bad magic)"));
    }
    let Some(version) = bytes.get(8..12) else {
        return Err(error(8, "truncated header"));
    };
    let version = u32::from_le_bytes(version.try_into().unwrap_or_default());
    if !(OLDEST_READABLE..=VERSION).contains(&version) {
        return Err(error(
            8,
            format!(
                "record format version {version}; this Vigil reads versions \
                 {OLDEST_READABLE} to {VERSION}"
            ),
        ));
    }
    let mut frames = Vec::new();
    let mut pos = 12;
    while pos < bytes.len() {
        let Some(len) = bytes.get(pos..pos + 4) else {
            return Err(error(pos, "truncated frame length"));
        };
        let len = u32::from_le_bytes(len.try_into().unwrap_or_default()) as usize;
        if len > MAX_FRAME {
            return Err(error(pos, format!("frame of {len} bytes is too large")));
        }
        let start = pos + 4;
        let Some(body) = bytes.get(start..start + len) else {
            return Err(error(
                pos,
                format!(
                    "truncated frame: {len} bytes announced, {} present",
                    bytes.len() - start
                ),
            ));
        };
        let (frame, used): (Frame, usize) = bincode::serde::decode_from_slice(body, config())
            .map_err(|e| error(start, format!("undecodable frame: {e}")))?;
        if used != len {
            return Err(error(
                start + used,
                format!("{} stray bytes after a frame", len - used),
            ));
        }
        match (&frame, frames.is_empty()) {
            (Frame::Start { .. }, true) => {}
            (_, true) => return Err(error(pos, "the first frame is not a start frame")),
            (Frame::Start { .. }, false) => return Err(error(pos, "a second start frame")),
            (Frame::Host { .. }, false) if frames.len() != 1 => {
                return Err(error(pos, "a host frame not right after the start frame"))
            }
            _ => {}
        }
        if matches!(frames.last(), Some((_, Frame::End { .. }))) {
            return Err(error(pos, "frames after the end frame"));
        }
        frames.push((pos, frame));
        pos = start + len;
    }
    match frames.last() {
        None => Err(error(pos, "no frames: the recording is empty")),
        Some((_, Frame::End { .. })) => Ok(frames),
        Some(_) => Err(error(
            pos,
            "the recording ends without an end frame (truncated, or the recorder died)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::ProcOp;

    fn sample() -> Vec<u8> {
        written(&frames())
    }

    /// `frames` as a record file's bytes.
    fn written(frames: &[Frame]) -> Vec<u8> {
        // Tests run in parallel: one file per call.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("vigil-rec-{}-{n}.rec", std::process::id()));
        let mut w = Writer::create(&path).unwrap();
        for f in frames {
            w.write(f).unwrap();
        }
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        bytes
    }

    fn frames() -> Vec<Frame> {
        vec![
            Frame::Start {
                vigil_version: "0.1.0".into(),
                kernel: "6.18".into(),
                command: vec!["sh".into(), "-c".into(), "true".into()],
                epoch_offset_ns: -5,
            },
            Frame::Host {
                pid: Some(4),
                exe: Some("/usr/local/bin/vigil".into()),
                outputs: vec!["/w/run.rec".into()],
            },
            Frame::Root {
                pid: 10,
                ppid: 1,
                argv: vec!["sh".into()],
            },
            Frame::Proc(ProcAnswer {
                op: ProcOp::ReadLink,
                path: "/proc/10/exe".into(),
                data: Some(b"/bin/sh".to_vec()),
            }),
            Frame::Kernel(vec![1, 2, 3]),
            Frame::Kernel([vec![7; 3], vec![0; 1000], vec![9], vec![0; 2]].concat()),
            Frame::End {
                command_status: 3,
                lost: 0,
                decode_errors: 0,
            },
        ]
    }

    #[test]
    fn round_trip() {
        let got: Vec<Frame> = parse(&sample()).unwrap().into_iter().map(|f| f.1).collect();
        assert_eq!(got, frames());
    }

    #[test]
    fn zero_runs_round_trip_and_refuse_bombs() {
        use zero_runs::{pack, unpack};
        for bytes in [
            vec![],
            vec![0],
            vec![1, 0, 1],
            vec![0; 256],
            vec![0; 257],
            [vec![5; 10], vec![0; 700], vec![6]].concat(),
        ] {
            assert_eq!(unpack(&pack(&bytes)).unwrap(), bytes);
        }
        assert_eq!(pack(&[0; 1000]).len(), 8, "1000 zeros are 4 runs");
        assert!(unpack(&[1, 0]).is_err(), "a run without its length");
        let bomb: Vec<u8> = [0u8, 255].repeat(1000);
        assert!(unpack(&bomb).unwrap_err().contains("over"));
    }

    #[test]
    fn a_host_frame_only_follows_the_start_frame() {
        let mut frames = frames();
        let host = frames.remove(1);
        frames.insert(2, host);
        let e = parse(&written(&frames)).unwrap_err();
        assert!(e.what.contains("host frame"), "{e}");
    }

    #[test]
    fn every_truncation_is_an_error_with_an_offset() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            let e = parse(&bytes[..cut]).unwrap_err();
            assert!(e.offset <= cut, "cut {cut}: {e}");
        }
    }

    #[test]
    fn corruption_is_an_error_never_a_panic() {
        let bytes = sample();
        assert_eq!(parse(b"NOTVIGIL\x01\0\0\0").unwrap_err().offset, 0);
        let mut v = bytes.clone();
        v[8] = 9;
        assert!(parse(&v).unwrap_err().what.contains("version 9"));
        v[8] = 0;
        assert!(parse(&v).unwrap_err().what.contains("version 0"));
        // Files of the older versions still read.
        for old in 1..VERSION {
            v[8] = old as u8;
            assert_eq!(parse(&v).unwrap(), parse(&bytes).unwrap());
        }
        // Flip every byte in turn: each result is a clean Ok or Err.
        for i in 12..bytes.len() {
            let mut v = bytes.clone();
            v[i] ^= 0xff;
            let _ = parse(&v);
        }
        let mut huge = bytes[..12].to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&huge).unwrap_err().what.contains("too large"));
    }
}
