//! Vigil's enriched events. The types live in the `vigil-event` crate, shared with signatures
//! (which read them borrowed from batches); the host builds them with owned strings.

pub use vigil_event::{batch, BpfMap, Event, EventData, Family, FdTarget, Kind, KindSet, SockAddr};
