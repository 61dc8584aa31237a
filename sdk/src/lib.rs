//! `vigil-sdk`: what a Vigil signature author depends on.
//!
//! A signature implements [`Signature`] and calls [`export_signature!`]; built for
//! `wasm32-wasip2` it becomes a component Vigil can load. It exports the batched handler: Vigil
//! hands over many events as one byte buffer and the SDK reads them into [`Event`] views whose
//! strings borrow from that buffer, so a signature is one small function over borrowed data.
//! The same crate compiles natively, so its logic is unit-tested with plain `cargo test`
//! through [`testing`], on hand-built events or on events recorded by `vigil`.
//!
//! ```ignore
//! use vigil_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct ShellFromNginx;
//!
//! impl Signature for ShellFromNginx {
//!     fn metadata() -> Metadata { /* id, name, severity, ATT&CK, events */ }
//!     fn on_event(&mut self, event: &Event) -> Vec<Finding> { /* the rule */ }
//! }
//!
//! vigil_sdk::export_signature!(ShellFromNginx);
//! ```

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "filtered-batch-signature",
        pub_export_macro: true,
        export_macro_name: "__export_filtered_batch_signature_world",
        default_bindings_module: "vigil_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub use bindings::vigil::signature::types::{
    BatchFinding, ConfigKey, EventKind, Finding, LogLevel, Metadata, Severity,
};
pub use vigil_event::{open_flags, open_interest, open_interest::OpenInterest, Family, Kind};

/// One event and the process it happened in, borrowed from the batch Vigil sent. Derefs to the
/// event's header and data: `event.pid`, `event.comm`, `event.data`; `event.process` is the
/// process as Vigil's process tree knows it (exe, argv, parent).
pub type Event<'a> = vigil_event::Observed<&'a str>;
/// What happened: one variant per event kind.
pub type EventData<'a> = vigil_event::EventData<&'a str>;
pub type Process<'a> = vigil_event::Process<&'a str>;
pub type SockAddr<'a> = vigil_event::SockAddr<&'a str>;
pub type FdTarget<'a> = vigil_event::FdTarget<&'a str>;

pub mod allowlist;
pub mod fd;
pub mod file_access;
pub mod file_watch;
pub mod finding;
pub mod host;
pub mod kinds;
pub mod net;
pub mod package_manager;
pub mod paths;
pub mod proc_paths;
pub mod ptrace;
pub mod rule;
pub mod testing;

/// Everything a signature usually needs.
pub mod prelude {
    pub use crate::{
        ConfigKey, Event, EventData, EventKind, Family, FdTarget, Finding, Metadata, OpenInterest,
        Severity, Signature, SockAddr,
    };
}

/// The interface version this SDK builds components for (the WIT package version).
pub const INTERFACE_VERSION: &str = "1.1.0";

/// A detection rule. One value lives per loaded component, so `&mut self` may keep state
/// across events (per-process tables and the like).
pub trait Signature: Default + 'static {
    /// What the signature is and which events it wants.
    fn metadata() -> Metadata;

    /// Applies the user's settings (only keys listed in `Metadata::config_keys` reach here).
    /// The default accepts none.
    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        match settings.first() {
            None => Ok(()),
            Some((key, _)) => Err(format!("unknown setting {key:?}")),
        }
    }

    /// Which opens to deliver, asked once configured. Most signatures that select `open` care
    /// about a few paths, or only about writes; saying so spares Vigil (and the build) a call
    /// for every other open, and lets the kernel skip them. The default is every open.
    fn open_interest(&self) -> OpenInterest {
        OpenInterest::everything()
    }

    /// Inspects one event; returns the findings it raises (usually none). Only kinds listed in
    /// `Metadata::events` arrive here, and only the opens [`Self::open_interest`] wants.
    fn on_event(&mut self, event: &Event) -> Vec<Finding>;
}

/// Runs `signature` over one batch as Vigil sends it: what the exported handler does, and what
/// [`testing`] drives natively. A malformed batch (a host bug) ends the batch with an error
/// logged; the findings so far are kept.
pub fn run_batch<S: Signature>(signature: &mut S, bytes: &[u8]) -> Vec<BatchFinding> {
    let mut out = Vec::new();
    let mut events = vigil_event::batch::read(bytes);
    let mut index = 0u32;
    while let Some(event) = events.next_in_place() {
        match event {
            Ok(event) => {
                out.extend(
                    signature
                        .on_event(event)
                        .into_iter()
                        .map(|finding| BatchFinding {
                            event: index,
                            finding,
                        }),
                );
            }
            Err(e) => {
                host::log(
                    LogLevel::Error,
                    &format!("event {index} of the batch is malformed: {e}"),
                );
                break;
            }
        }
        index += 1;
    }
    out
}

/// Exports `$ty` (a [`Signature`]) as the component's `batch-detector`. Call it once per crate.
#[macro_export]
macro_rules! export_signature {
    ($ty:ty) => {
        /// The signature this crate exports, for native use (tests, `make bench`).
        #[cfg(not(target_arch = "wasm32"))]
        pub type ExportedSignature = $ty;

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __VigilDetector;

            ::std::thread_local! {
                static __VIGIL_STATE: ::std::cell::RefCell<Option<$ty>> =
                    const { ::std::cell::RefCell::new(None) };
            }

            fn __with_state<R>(f: impl FnOnce(&mut $ty) -> R) -> R {
                __VIGIL_STATE.with(|state| {
                    let mut state = state.borrow_mut();
                    f(state.get_or_insert_with(<$ty as ::std::default::Default>::default))
                })
            }

            impl $crate::bindings::exports::vigil::signature::batch_detector::Guest
                for __VigilDetector
            {
                fn describe() -> $crate::Metadata {
                    <$ty as $crate::Signature>::metadata()
                }

                fn configure(
                    settings: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    __with_state(|sig| <$ty as $crate::Signature>::configure(sig, &settings))
                }

                fn on_batch(events: ::std::vec::Vec<u8>) -> ::std::vec::Vec<$crate::BatchFinding> {
                    __with_state(|sig| $crate::run_batch(sig, &events))
                }
            }

            impl $crate::bindings::exports::vigil::signature::file_interest::Guest
                for __VigilDetector
            {
                fn opens() -> $crate::bindings::exports::vigil::signature::file_interest::OpenInterest {
                    let interest =
                        __with_state(|sig| <$ty as $crate::Signature>::open_interest(sig));
                    $crate::bindings::exports::vigil::signature::file_interest::OpenInterest {
                        reads: interest.reads,
                        writes: interest.writes,
                    }
                }
            }

            $crate::bindings::__export_filtered_batch_signature_world!(
                __VigilDetector with_types_in $crate::bindings
            );
        };
    };
}
