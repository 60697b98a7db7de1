//! Palisade's enforcement side: block rules and their evaluation engine ([`rules`]),
//! automatic rules made from detections ([`policy`]), the rule feed client and a
//! memory-backed feed server ([`feed`]), trace mirroring ([`mirror`]), and the inline
//! reverse proxy ([`run_proxy`]).

pub mod config;
pub mod feed;
pub mod metrics;
pub mod mirror;
pub mod policy;
pub mod rules;
mod server;

pub use config::{ProxyConfig, ProxyFile};
pub use feed::{RuleHandle, RuleSource};
pub use mirror::{FnMirror, HttpMirror, MirrorSink, NoMirror};
pub use server::{Proxy, ProxyBody, ProxyError, RunningProxy, run_proxy};

/// Installs rustls' ring provider as the process default, which the HTTP clients of the
/// feed and the mirror need. Does nothing when a provider is already installed.
pub fn install_crypto_provider() {
    // The workspace builds rustls with ring only; its provider is deprecated in favour of
    // aws-lc-rs, which needs a C toolchain and cmake at build time.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}
