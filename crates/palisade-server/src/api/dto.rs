//! The JSON shapes of the REST API. The CLI prints the same shapes with `--format json`.

use std::collections::BTreeMap;

use palisade_core::DataField;
use palisade_core::actor::Actor;
use palisade_core::alert::Alert;
use palisade_core::auth::{AuthScheme, AuthStats};
use palisade_core::finding::Finding;
use palisade_core::inventory::{Endpoint, RiskScore, Sample};
use palisade_core::timestamp::format_rfc3339;
use palisade_core::{ParamEvidence, Trace};
use palisade_openapi::stored::SpecMerge;
use palisade_store::{ActorDetail, EndpointDetail, FieldClass, HostSummary};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostDto {
    pub host: String,
    pub hits: u64,
    pub endpoints: u64,
    pub first_seen: String,
    pub last_seen: String,
}

impl From<&HostSummary> for HostDto {
    fn from(host: &HostSummary) -> Self {
        Self {
            host: host.stats.host.clone(),
            hits: host.stats.hits,
            endpoints: host.endpoints,
            first_seen: format_rfc3339(host.stats.first_seen_ms),
            last_seen: format_rfc3339(host.stats.last_seen_ms),
        }
    }
}

/// Evidence for one path parameter: the rule that made it one and the values seen there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterDto {
    pub name: String,
    /// Zero-based segment index in the template.
    pub position: usize,
    /// `shape`, `cardinality`, `vocabulary`, `structure`, `overflow` or `route`.
    pub rule: String,
    /// Requests per value shape.
    pub value_kinds: BTreeMap<String, u64>,
    pub distinct_values: u64,
    pub samples: u64,
    pub confidence: f64,
}

impl From<&ParamEvidence> for ParameterDto {
    fn from(param: &ParamEvidence) -> Self {
        let rule =
            serde_json::to_value(param.rule).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        Self {
            name: param.name.clone(),
            position: param.position,
            rule,
            value_kinds: param
                .kinds
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.as_str().to_string(), *n))
                .collect(),
            distinct_values: param.distinct_values,
            samples: param.samples,
            confidence: param.confidence,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDto {
    pub id: String,
    pub host: String,
    pub method: String,
    pub template: String,
    pub hits: u64,
    pub first_seen: String,
    pub last_seen: String,
    /// Distinct path shapes merged into this endpoint.
    pub raw_paths: u64,
    pub risk_score: u32,
    /// Authentication schemes seen: `none`, `basic`, `bearer`, `jwt`, `api_key_header`,
    /// `api_key_query`, `session_cookie`.
    pub authentication: Vec<String>,
    pub parameters: Vec<ParameterDto>,
}

impl From<&Endpoint> for EndpointDto {
    fn from(endpoint: &Endpoint) -> Self {
        Self {
            id: endpoint.id.clone(),
            host: endpoint.host.clone(),
            method: endpoint.method.clone(),
            template: endpoint.template.clone(),
            hits: endpoint.hits,
            first_seen: format_rfc3339(endpoint.first_seen_ms),
            last_seen: format_rfc3339(endpoint.last_seen_ms),
            raw_paths: endpoint.raw_count,
            risk_score: endpoint.risk.score,
            authentication: endpoint.auth.schemes().iter().map(|s| s.as_str().to_string()).collect(),
            parameters: endpoint.params.iter().map(ParameterDto::from).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDto {
    pub section: String,
    pub path: String,
    pub status: Option<u16>,
    pub content_type: String,
    #[serde(rename = "type")]
    pub field_type: String,
    pub format: Option<String>,
    pub nullable: bool,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
}

impl From<&DataField> for FieldDto {
    fn from(field: &DataField) -> Self {
        Self {
            section: field.section.as_str().to_string(),
            path: field.path.clone(),
            status: field.status,
            content_type: field.content_type.clone(),
            field_type: field.field_type.as_str().to_string(),
            format: field.format.map(|f| f.as_str().to_string()),
            nullable: field.nullable,
            count: field.count,
            first_seen: format_rfc3339(field.first_seen_ms),
            last_seen: format_rfc3339(field.last_seen_ms),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HourDto {
    pub hour: String,
    pub count: u64,
}

/// An endpoint's risk score and the factors that add up to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskDto {
    pub score: u32,
    pub factors: Vec<RiskFactorDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskFactorDto {
    pub name: String,
    pub contribution: u32,
    pub detail: String,
}

impl From<&RiskScore> for RiskDto {
    fn from(risk: &RiskScore) -> Self {
        Self {
            score: risk.score,
            factors: risk
                .factors
                .iter()
                .map(|f| RiskFactorDto { name: f.name.clone(), contribution: f.contribution, detail: f.detail.clone() })
                .collect(),
        }
    }
}

/// Requests per authentication scheme and how many unauthenticated requests succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticationDto {
    pub requests: BTreeMap<String, u64>,
    pub unauthenticated_success: u64,
}

impl From<&AuthStats> for AuthenticationDto {
    fn from(auth: &AuthStats) -> Self {
        Self {
            requests: AuthScheme::ALL
                .into_iter()
                .filter(|s| auth.count(*s) > 0)
                .map(|s| (s.as_str().to_string(), auth.count(s)))
                .collect(),
            unauthenticated_success: auth.unauthenticated_success,
        }
    }
}

/// A data class on one field location of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataClassDto {
    pub section: String,
    pub path: String,
    pub status: Option<u16>,
    pub content_type: String,
    pub class: String,
    pub severity: String,
    pub hits: u64,
    pub observations: u64,
    pub confidence: f64,
    pub first_seen: String,
    pub last_seen: String,
    pub active: bool,
    pub false_positive: bool,
}

impl From<&FieldClass> for DataClassDto {
    fn from(class: &FieldClass) -> Self {
        Self {
            section: class.section.as_str().to_string(),
            path: class.path.clone(),
            status: class.status,
            content_type: class.content_type.clone(),
            class: class.class_id.clone(),
            severity: class.severity.as_str().to_string(),
            hits: class.hits,
            observations: class.observations,
            confidence: (class.confidence * 1000.0).round() / 1000.0,
            first_seen: format_rfc3339(class.first_hit_ms),
            last_seen: format_rfc3339(class.last_hit_ms),
            active: class.active,
            false_positive: class.false_positive,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDto {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub severity: String,
    pub status: String,
    pub endpoint_id: Option<String>,
    pub host: Option<String>,
    pub location: Option<String>,
    pub data_class: Option<String>,
    pub actor: Option<String>,
    pub description: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub updated: String,
}

impl From<&Alert> for AlertDto {
    fn from(alert: &Alert) -> Self {
        Self {
            id: alert.id,
            kind: alert.kind.clone(),
            severity: alert.severity.as_str().to_string(),
            status: alert.status.as_str().to_string(),
            endpoint_id: alert.endpoint_id.clone(),
            host: alert.host.clone(),
            location: alert.location.clone(),
            data_class: alert.data_class.clone(),
            actor: alert.actor.clone(),
            description: alert.description.clone(),
            count: alert.count,
            first_seen: format_rfc3339(alert.first_seen_ms),
            last_seen: format_rfc3339(alert.last_seen_ms),
            updated: format_rfc3339(alert.updated_ms),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDetailDto {
    #[serde(flatten)]
    pub endpoint: EndpointDto,
    pub risk: RiskDto,
    #[serde(rename = "authentication_detail")]
    pub auth: AuthenticationDto,
    pub fields: Vec<FieldDto>,
    pub data_classes: Vec<DataClassDto>,
    pub alerts: Vec<AlertDto>,
    pub hourly_counts: Vec<HourDto>,
    /// The operation of a stored OpenAPI description that covers this endpoint, computed
    /// when the endpoint is read; `null` when none does.
    #[serde(default)]
    pub spec: Option<SpecMerge>,
}

impl From<&EndpointDetail> for EndpointDetailDto {
    fn from(detail: &EndpointDetail) -> Self {
        Self {
            endpoint: EndpointDto::from(&detail.endpoint),
            risk: RiskDto::from(&detail.endpoint.risk),
            auth: AuthenticationDto::from(&detail.endpoint.auth),
            fields: detail.fields.iter().map(FieldDto::from).collect(),
            data_classes: detail.classes.iter().map(DataClassDto::from).collect(),
            alerts: detail.alerts.iter().map(AlertDto::from).collect(),
            hourly_counts: detail
                .hourly
                .iter()
                .map(|(hour, count)| HourDto { hour: format_rfc3339(*hour), count: *count })
                .collect(),
            spec: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageDto<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

/// A stored sample as a trace in Palisade's JSON trace format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleDto {
    pub start_time: String,
    pub trace: Value,
}

impl SampleDto {
    /// Decodes a stored sample; `None` when it was written by an incompatible version.
    pub fn from_sample(sample: &Sample) -> Option<Self> {
        let trace: Trace = postcard::from_bytes(&sample.trace).ok()?;
        Some(Self { start_time: format_rfc3339(sample.start_ms), trace: palisade_ingest::native::encode(&trace) })
    }
}

/// One finding: a detection on one trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingDto {
    pub time: String,
    pub class: String,
    pub rule_id: String,
    /// `signature` or `behaviour`.
    pub source: String,
    pub severity: String,
    pub confidence: String,
    pub actor: Option<String>,
    pub endpoint_id: Option<String>,
    pub host: String,
    pub method: String,
    pub path: String,
    pub location: String,
    pub evidence: String,
}

impl From<&Finding> for FindingDto {
    fn from(finding: &Finding) -> Self {
        Self {
            time: format_rfc3339(finding.at_ms),
            class: finding.class.clone(),
            rule_id: finding.rule_id.clone(),
            source: finding.source.as_str().to_string(),
            severity: finding.severity.as_str().to_string(),
            confidence: finding.confidence.as_str().to_string(),
            actor: finding.actor.clone(),
            endpoint_id: finding.endpoint_id.clone(),
            host: finding.host.clone(),
            method: finding.method.clone(),
            path: finding.path.clone(),
            location: finding.location.clone(),
            evidence: finding.evidence.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorDto {
    pub id: String,
    /// `api_key`, `user`, `session` or `ip`.
    pub kind: String,
    pub requests: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub last_ip: Option<String>,
    /// Findings per class.
    pub findings: BTreeMap<String, u64>,
}

impl From<&Actor> for ActorDto {
    fn from(actor: &Actor) -> Self {
        Self {
            id: actor.id.clone(),
            kind: actor.kind.as_str().to_string(),
            requests: actor.requests,
            first_seen: format_rfc3339(actor.first_seen_ms),
            last_seen: format_rfc3339(actor.last_seen_ms),
            last_ip: actor.last_ip.clone(),
            findings: actor.findings.iter().cloned().collect(),
        }
    }
}

/// An actor with its findings (oldest first) and the alerts that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorDetailDto {
    #[serde(flatten)]
    pub actor: ActorDto,
    pub timeline: Vec<FindingDto>,
    pub alerts: Vec<AlertDto>,
}

impl From<&ActorDetail> for ActorDetailDto {
    fn from(detail: &ActorDetail) -> Self {
        Self {
            actor: ActorDto::from(&detail.actor),
            timeline: detail.findings.iter().map(FindingDto::from).collect(),
            alerts: detail.alerts.iter().map(AlertDto::from).collect(),
        }
    }
}
