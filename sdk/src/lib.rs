//! `vigil-sdk`: what a Vigil signature author depends on.
//!
//! A signature implements [`Signature`] and calls [`export_signature!`]; built for
//! `wasm32-wasip2` it becomes a component Vigil can load. The same crate compiles natively, so
//! its logic is unit-tested with plain `cargo test` on hand-built [`Event`]s.
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
        world: "signature",
        pub_export_macro: true,
        export_macro_name: "__export_signature_world",
        default_bindings_module: "vigil_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub use bindings::vigil::signature::types::{
    AddressFamily, CloseEvent, ConfigKey, ConnectEvent, DupEvent, Event, EventData, EventKind,
    ExecEvent, ExitEvent, FdTarget, Finding, ForkEvent, InetAddress, LogLevel, Metadata, Process,
    Severity, SocketAddress, SocketEvent, SocketInfo,
};

pub mod fd;
pub mod finding;
pub mod host;

/// Everything a signature usually needs.
pub mod prelude {
    pub use crate::{
        AddressFamily, Event, EventData, EventKind, FdTarget, Finding, Metadata, Severity,
        Signature, SocketAddress, SocketInfo,
    };
}

/// The interface version this SDK builds components for (the WIT package version).
pub const INTERFACE_VERSION: &str = "1.0.0";

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

    /// Inspects one event; returns the findings it raises (usually none).
    fn on_event(&mut self, event: &Event) -> Vec<Finding>;
}

/// Exports `$ty` (a [`Signature`]) as the component's `detector`. Call it once per crate.
#[macro_export]
macro_rules! export_signature {
    ($ty:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            struct __VigilDetector;

            ::std::thread_local! {
                static __VIGIL_STATE: ::std::cell::RefCell<Option<$ty>> =
                    const { ::std::cell::RefCell::new(None) };
            }

            impl $crate::bindings::exports::vigil::signature::detector::Guest for __VigilDetector {
                fn describe() -> $crate::Metadata {
                    <$ty as $crate::Signature>::metadata()
                }

                fn configure(
                    settings: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    __VIGIL_STATE.with(|state| {
                        let mut state = state.borrow_mut();
                        let sig = state.get_or_insert_with(<$ty as ::std::default::Default>::default);
                        <$ty as $crate::Signature>::configure(sig, &settings)
                    })
                }

                fn on_event(event: $crate::Event) -> ::std::vec::Vec<$crate::Finding> {
                    __VIGIL_STATE.with(|state| {
                        let mut state = state.borrow_mut();
                        let sig = state.get_or_insert_with(<$ty as ::std::default::Default>::default);
                        <$ty as $crate::Signature>::on_event(sig, &event)
                    })
                }
            }

            $crate::bindings::__export_signature_world!(__VigilDetector with_types_in $crate::bindings);
        };
    };
}
