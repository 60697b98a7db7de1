//! The JSON shapes of the REST API. The CLI prints the same shapes with `--format json`.

use std::collections::BTreeMap;

use palisade_core::DataField;
use palisade_core::inventory::{Endpoint, Sample};
use palisade_core::timestamp::format_rfc3339;
use palisade_core::{ParamEvidence, Trace};
use palisade_store::{EndpointDetail, HostSummary};
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
    /// `shape`, `cardinality`, `overflow` or `route`.
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDetailDto {
    #[serde(flatten)]
    pub endpoint: EndpointDto,
    pub fields: Vec<FieldDto>,
    pub hourly_counts: Vec<HourDto>,
}

impl From<&EndpointDetail> for EndpointDetailDto {
    fn from(detail: &EndpointDetail) -> Self {
        Self {
            endpoint: EndpointDto::from(&detail.endpoint),
            fields: detail.fields.iter().map(FieldDto::from).collect(),
            hourly_counts: detail
                .hourly
                .iter()
                .map(|(hour, count)| HourDto { hour: format_rfc3339(*hour), count: *count })
                .collect(),
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
