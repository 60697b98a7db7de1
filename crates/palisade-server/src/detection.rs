//! Connects Palisade's signature detector to the pipeline's attack stage.

use palisade_analyze::detect::{AttackDetector, AttackHit};
use palisade_core::{Severity, Trace};
use palisade_detect::{AttackClass, Detector};

/// Returns every class a finding can have: the signature classes, then the behaviour
/// classes.
pub fn finding_classes() -> Vec<&'static str> {
    AttackClass::ALL
        .iter()
        .map(|class| class.as_str())
        .chain(palisade_analyze::behaviour::classes::ALL.iter().copied())
        .collect()
}

/// The built-in signature detector as an [`AttackDetector`].
pub struct SignatureDetector {
    detector: Detector,
}

impl SignatureDetector {
    pub fn new(detector: Detector) -> Self {
        Self { detector }
    }
}

impl AttackDetector for SignatureDetector {
    fn inspect(&self, trace: &Trace) -> Vec<AttackHit> {
        let inspection = self.detector.inspect(trace);
        inspection
            .findings
            .into_iter()
            .map(|finding| AttackHit {
                class: finding.class.as_str().to_string(),
                rule_id: finding.rule_id.to_string(),
                location: format!("{} {}", finding.location.section.as_str(), finding.location.name)
                    .trim_end()
                    .to_string(),
                evidence: finding.evidence,
                confidence: finding.confidence,
                severity: severity_of(finding.class),
                injection: is_injection(finding.class),
            })
            .collect()
    }
}

/// Severity of an attack class: how much damage a successful attempt does.
pub fn severity_of(class: AttackClass) -> Severity {
    match class {
        AttackClass::CommandInjection
        | AttackClass::CodeInjection
        | AttackClass::Jndi
        | AttackClass::Deserialization => Severity::Critical,
        AttackClass::Sqli
        | AttackClass::Xxe
        | AttackClass::Ssti
        | AttackClass::Rfi
        | AttackClass::Lfi
        | AttackClass::PathTraversal
        | AttackClass::Ssrf
        | AttackClass::NosqlInjection
        | AttackClass::LdapInjection => Severity::High,
        AttackClass::Xss | AttackClass::CrlfInjection | AttackClass::PrototypePollution => Severity::Medium,
        AttackClass::Scanner | AttackClass::GraphqlIntrospection => Severity::Low,
    }
}

/// True for classes that inject into an interpreter on the server, whose failures show as
/// server errors.
fn is_injection(class: AttackClass) -> bool {
    matches!(
        class,
        AttackClass::Sqli
            | AttackClass::NosqlInjection
            | AttackClass::LdapInjection
            | AttackClass::CommandInjection
            | AttackClass::CodeInjection
            | AttackClass::Ssti
            | AttackClass::Xxe
            | AttackClass::Jndi
    )
}
