//! Most signatures are a stateless rule tuned by the standard allowlists
//! ([`crate::allowlist`]): a [`Rule`] is just that — metadata and a judgement — and
//! [`RuleSignature`] turns it into a [`Signature`] (settings, state, export), so a signature
//! crate holds nothing but what makes it different.
//!
//! ```ignore
//! pub struct Sudoers;
//! impl Rule for Sudoers {
//!     fn metadata() -> Metadata { /* ... */ }
//!     fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding> { /* ... */ }
//! }
//! vigil_sdk::export_signature!(RuleSignature<Sudoers>);
//! ```

use std::marker::PhantomData;

use crate::{allowlist::Allowlist, Event, Finding, Metadata, OpenInterest, Signature};

/// A stateless rule.
pub trait Rule: 'static {
    /// What the signature is; its `config_keys` are usually [`Allowlist::config_keys`].
    fn metadata() -> Metadata;

    /// The allowlist before any setting: honest tools the rule knows about.
    fn defaults() -> Allowlist {
        Allowlist::default()
    }

    /// The findings `event` raises, given what the allowlist excuses.
    /// Which opens the rule wants (see [`Signature::open_interest`]); every open by default.
    fn open_interest() -> OpenInterest {
        OpenInterest::everything()
    }

    fn judge(allow: &Allowlist, event: &Event) -> Vec<Finding>;
}

/// A [`Rule`] as a [`Signature`]: its allowlist is configured by `allow-processes` and
/// `allow-paths`.
pub struct RuleSignature<R> {
    allow: Allowlist,
    rule: PhantomData<R>,
}

impl<R: Rule> Default for RuleSignature<R> {
    fn default() -> Self {
        RuleSignature {
            allow: R::defaults(),
            rule: PhantomData,
        }
    }
}

impl<R: Rule> Signature for RuleSignature<R> {
    fn metadata() -> Metadata {
        R::metadata()
    }

    fn configure(&mut self, settings: &[(String, String)]) -> Result<(), String> {
        self.allow.configure(settings)
    }

    fn open_interest(&self) -> OpenInterest {
        R::open_interest()
    }

    fn on_event(&mut self, event: &Event) -> Vec<Finding> {
        R::judge(&self.allow, event)
    }
}
