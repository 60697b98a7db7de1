//! Signature detection of attacks in one HTTP request.
//!
//! A [`Detector`] is compiled once from a [`DetectConfig`] and then inspects traces:
//! every location of the request (path segments, query parameter names and values,
//! headers, cookies, JSON, XML, form, multipart and GraphQL bodies) is decoded
//! ([`normalize`]) and checked by the rules of each [`AttackClass`] ([`rules`]). The work
//! per request is bounded by [`DetectLimits`]; when a limit cuts the work short,
//! [`Inspection::truncated`] says so and [`Inspection::skipped`] counts what was left.
//!
//! No rule inspects responses yet; [`Detector::inspect`] reads only the request.
//!
//! ```
//! use palisade_detect::{DetectConfig, Detector, Location, AttackClass};
//!
//! let detector = Detector::new(&DetectConfig::default()).unwrap();
//! let findings = detector.inspect_value(&Location::query("id"), "1' OR '1'='1");
//! assert_eq!(findings[0].class, AttackClass::Sqli);
//! assert!(detector.inspect_value(&Location::query("name"), "O'Brien").is_empty());
//! ```

mod body;
pub mod config;
mod finding;
pub mod normalize;
mod request;
pub mod rules;

pub use config::{ConfigError, DetectConfig, DetectLimits};
pub use finding::{
    AttackClass, ClassSet, Confidence, Finding, Location, LocationSection, MAX_EVIDENCE_CHARS, evidence_excerpt,
};
pub use rules::{RULES, RuleInfo, rule_info};

use rules::{Hit, Rules, ValueContext};

/// A compiled detector: rule automata, regular expressions and tables, built once and
/// shared between threads.
pub struct Detector {
    config: DetectConfig,
    classes: ClassSet,
    rules: Rules,
}

/// The result of inspecting one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    pub findings: Vec<Finding>,
    /// A work limit was reached and part of the request was not examined.
    pub truncated: bool,
    /// Locations whose value was checked.
    pub locations_checked: usize,
    /// Bytes of decoded values examined.
    pub bytes_examined: usize,
    pub skipped: SkipCounts,
}

/// What the limits of [`DetectLimits`] cut from one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkipCounts {
    /// Locations not checked because `max_locations` was reached.
    pub locations: usize,
    /// Bytes not examined because `max_request_bytes` was reached.
    pub bytes: usize,
    /// Values longer than `max_value_bytes`, examined only at their start and end.
    pub values_cut: usize,
    /// Values still encoded after `max_decode_rounds` rounds.
    pub decode_rounds: usize,
    /// Body values nested deeper than `max_body_depth`.
    pub too_deep: usize,
    /// Findings dropped beyond `max_findings`.
    pub findings: usize,
    /// Bodies that did not parse as their content type says; the values read before the
    /// error were checked.
    pub bodies_malformed: usize,
}

impl Detector {
    /// Compiles the rules; fails on invalid settings.
    pub fn new(config: &DetectConfig) -> Result<Self, ConfigError> {
        let classes = config.validate()?;
        Ok(Self { config: config.clone(), classes, rules: Rules::new() })
    }

    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// Inspects every location of the request of `trace` and returns the findings,
    /// bounded in work by the configured limits.
    pub fn inspect(&self, trace: &palisade_core::Trace) -> Inspection {
        request::inspect(self, trace)
    }

    /// Checks one value as found at `location`, for tests, evaluations and the proxy. The
    /// classes checked are those that apply to the location's section; the value limits
    /// apply, but not the per-request ones.
    pub fn inspect_value(&self, location: &Location, value: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut skipped = SkipCounts::default();
        let allowed = request::classes_for(location.section, &location.name);
        self.check_value(location.section, &location.name, value, allowed, &mut findings, &mut skipped);
        findings
    }

    /// Decodes and checks one value, appending findings. Returns the bytes examined.
    pub(crate) fn check_value(
        &self,
        section: LocationSection,
        name: &str,
        value: &str,
        allowed: ClassSet,
        findings: &mut Vec<Finding>,
        skipped: &mut SkipCounts,
    ) -> usize {
        let limits = &self.config.limits;
        let allowed = allowed.intersect(self.classes);
        if allowed.is_empty() || value.is_empty() {
            return 0;
        }

        // A value over the limit is examined at both ends, where padding attacks put the
        // payload.
        if value.len() > limits.max_value_bytes {
            skipped.values_cut += 1;
            let half = limits.max_value_bytes / 2;
            let head_end = finding::floor_char_boundary(value, half);
            let tail_start = finding::floor_char_boundary(value, value.len() - half);
            let head = self.check_piece(section, name, &value[..head_end], allowed, findings, skipped);
            let tail = self.check_piece(section, name, &value[tail_start..], allowed, findings, skipped);
            return head + tail;
        }
        self.check_piece(section, name, value, allowed, findings, skipped)
    }

    fn check_piece(
        &self,
        section: LocationSection,
        name: &str,
        value: &str,
        allowed: ClassSet,
        findings: &mut Vec<Finding>,
        skipped: &mut SkipCounts,
    ) -> usize {
        let decoded = normalize::decode(value, self.config.limits.max_decode_rounds);
        if decoded.facts.rounds_exhausted {
            skipped.decode_rounds += 1;
        }
        let text = decoded.text.as_ref();

        let mut hits: Vec<Hit> = Vec::new();
        let context = ValueContext { name, is_key: section.is_key() };
        self.rules.check(text, &decoded.facts, context, allowed, &mut hits);
        if hits.is_empty()
            && let Some(inner) = normalize::base64_text(text)
        {
            self.check_base64(section, name, &inner, allowed, context, findings);
        }
        if allowed.contains(AttackClass::CrlfInjection) && !hits.iter().any(|h| h.class == AttackClass::CrlfInjection) {
            let found = rules::crlf::bare_line_break(section, text)
                .or_else(|| if section == LocationSection::Header { None } else { rules::crlf::request_line(text) });
            if let Some(m) = found {
                hits.push(Hit {
                    rule_id: m.rule_id,
                    class: AttackClass::CrlfInjection,
                    confidence: m.confidence,
                    at: m.at,
                });
            }
        }
        if allowed.contains(AttackClass::GraphqlIntrospection)
            && let Some(at) = rules::graphql::introspection(text)
        {
            hits.push(Hit {
                rule_id: "graphql.introspection",
                class: AttackClass::GraphqlIntrospection,
                confidence: Confidence::Low,
                at,
            });
        }
        if section == LocationSection::Header && allowed.contains(AttackClass::Scanner) {
            if name == "user-agent"
                && let Some(m) = self.rules.scanner.user_agent(text)
            {
                hits.push(Hit { rule_id: m.rule_id, class: AttackClass::Scanner, confidence: m.confidence, at: m.at });
            }
            if let Some(m) = self.rules.scanner.header_name(name) {
                hits.push(Hit { rule_id: m.rule_id, class: AttackClass::Scanner, confidence: m.confidence, at: m.at });
            }
        }

        self.record(section, name, text, hits, findings);
        text.len()
    }

    /// Checks the text inside a Base64 value, which payloads are wrapped in to pass
    /// filters that read only the outer value. Serialization streams are left to the rules
    /// that read their Base64 form, and a finding inside counts at most medium confidence:
    /// the wrapping also contains ordinary text. Its evidence starts with `base64: `.
    fn check_base64(
        &self,
        section: LocationSection,
        name: &str,
        inner: &str,
        allowed: ClassSet,
        context: ValueContext<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let decoded = normalize::decode(inner, self.config.limits.max_decode_rounds);
        let mut hits = Vec::new();
        let allowed = allowed.without(ClassSet::of(&[AttackClass::Deserialization]));
        self.rules.check(&decoded.text, &decoded.facts, context, allowed, &mut hits);
        for hit in &mut hits {
            hit.confidence = hit.confidence.min(Confidence::Medium);
        }
        let first = findings.len();
        self.record(section, name, &decoded.text, hits, findings);
        // The evidence is decoded text that the request did not show as such.
        const MARK: &str = "base64: ";
        for finding in &mut findings[first..] {
            let mut evidence = String::from(MARK);
            evidence.extend(finding.evidence.chars().take(MAX_EVIDENCE_CHARS - MARK.len()));
            finding.evidence = evidence;
        }
    }

    /// Turns the hits in `text` into findings, without the ones below the configured
    /// confidence, of disabled rules, or already found at the same location.
    fn record(&self, section: LocationSection, name: &str, text: &str, hits: Vec<Hit>, findings: &mut Vec<Finding>) {
        for hit in hits {
            if hit.confidence < self.config.min_confidence
                || self.config.disabled_rules.iter().any(|r| r == hit.rule_id)
            {
                continue;
            }
            let duplicate = findings
                .iter()
                .any(|f| f.rule_id == hit.rule_id && f.location.section == section && f.location.name == name);
            if duplicate {
                continue;
            }
            findings.push(Finding {
                class: hit.class,
                rule_id: hit.rule_id,
                location: Location::new(section, name),
                evidence: evidence_excerpt(text, hit.at),
                confidence: hit.confidence,
            });
        }
    }
}
