//! Field learning: every data field of a trace with its section, path and type.
//!
//! Query parameters, headers and bodies are reported; path parameters are covered by the
//! endpoint's template evidence instead. JSON, URL-encoded and multipart bodies are
//! walked; other bodies are reported as one string at the root. Depth and field counts
//! are bounded by [`palisade_core::Limits`]. A JSON body that stops parsing halfway keeps
//! the fields reported before that point and is counted as unparsed. A truncated body is
//! not walked at all.

pub mod format;
pub mod json;
mod multipart;

use std::borrow::Cow;

use palisade_core::trace::header_value;
use palisade_core::{Body, FieldType, Header, Limits, Section, Trace};

pub use format::{scalar_type, string_format};

/// Maximum length of a header or parameter name used as a field path, in bytes. Longer
/// names are skipped and counted.
const MAX_NAME_BYTES: usize = 256;

/// One field observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldObservation<'a> {
    pub section: Section,
    pub status: Option<u16>,
    /// Media type without parameters, lower-case; empty for query and headers.
    pub content_type: &'a str,
    pub path: &'a str,
    pub field_type: FieldType,
    /// The text of string values.
    pub text: Option<&'a str>,
}

/// Counts of what field learning skipped in one trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LearnSummary {
    /// Bodies that claimed a structured type but did not parse.
    pub bodies_unparsed: u64,
    /// Bodies cut at `max_body_bytes`, not walked.
    pub bodies_truncated: u64,
    /// Fields beyond `max_fields_per_body` or `max_json_depth`, or with overlong names.
    pub fields_skipped: u64,
}

/// Reports every field of `trace` to `sink`.
pub fn learn_fields(trace: &Trace, limits: &Limits, sink: &mut dyn FnMut(FieldObservation<'_>)) -> LearnSummary {
    FieldLearner::default().learn(trace, limits, sink)
}

/// Field learning that keeps state between traces. The state only spares repeated work,
/// so a learner reports what [`learn_fields`] reports.
#[derive(Debug, Default)]
pub struct FieldLearner {
    key_shapes: json::KeyShapes,
    json_walked: u8,
    /// Buffer for lower-case header names.
    header_name: String,
    /// Buffer for the path of JSON walks.
    json_path: String,
}

impl FieldLearner {
    /// Reports every field of `trace` to `sink`.
    pub fn learn(
        &mut self,
        trace: &Trace,
        limits: &Limits,
        sink: &mut dyn FnMut(FieldObservation<'_>),
    ) -> LearnSummary {
        self.json_walked = 0;
        learn_trace(trace, limits, self, sink)
    }

    /// Body sections of the trace last learned, as bits `1 << section as u8`, whose JSON
    /// body parsed and was walked to its end with no value skipped.
    pub fn json_walked(&self) -> u8 {
        self.json_walked
    }
}

fn learn_trace(
    trace: &Trace,
    limits: &Limits,
    learner: &mut FieldLearner,
    sink: &mut dyn FnMut(FieldObservation<'_>),
) -> LearnSummary {
    let mut summary = LearnSummary::default();
    let request = &trace.request;

    for param in &request.query {
        if param.name.len() > MAX_NAME_BYTES {
            summary.fields_skipped += 1;
            continue;
        }
        sink(scalar_observation(Section::Query, None, &param.name, &param.value));
    }
    let name = &mut learner.header_name;
    learn_headers(Section::RequestHeader, None, &request.headers, name, &mut summary, sink);
    learn_body(
        Section::RequestBody,
        None,
        request.content_type.as_deref(),
        &request.body,
        limits,
        learner,
        &mut summary,
        sink,
    );

    if let Some(response) = &trace.response {
        let status = Some(response.status);
        let name = &mut learner.header_name;
        learn_headers(Section::ResponseHeader, status, &response.headers, name, &mut summary, sink);
        learn_body(
            Section::ResponseBody,
            status,
            response.content_type.as_deref(),
            &response.body,
            limits,
            learner,
            &mut summary,
            sink,
        );
    }
    summary
}

fn scalar_observation<'a>(
    section: Section,
    status: Option<u16>,
    name: &'a str,
    value: &'a str,
) -> FieldObservation<'a> {
    FieldObservation {
        section,
        status,
        content_type: "",
        path: name,
        field_type: scalar_type(value),
        text: Some(value),
    }
}

fn learn_headers(
    section: Section,
    status: Option<u16>,
    headers: &[Header],
    name: &mut String,
    summary: &mut LearnSummary,
    sink: &mut dyn FnMut(FieldObservation<'_>),
) {
    for header in headers {
        if header.name.starts_with(':') {
            continue;
        }
        if header.name.len() > MAX_NAME_BYTES {
            summary.fields_skipped += 1;
            continue;
        }
        name.clear();
        name.push_str(&header.name);
        name.make_ascii_lowercase();
        sink(scalar_observation(section, status, name, &header.value));
    }
}

/// Lower-case media type without parameters: `application/json; charset=utf-8` gives
/// `application/json`.
pub fn media_type(content_type: &str) -> Cow<'_, str> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(essence.to_ascii_lowercase())
    } else {
        Cow::Borrowed(essence)
    }
}

/// Body encodings that field learning reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Form,
    Multipart,
    Other,
}

/// Picks how to read a body from its media type, sniffing JSON when the type is missing.
pub fn body_kind(media_type: &str, body: &[u8]) -> BodyKind {
    if media_type == "application/json" || media_type.ends_with("+json") || media_type.ends_with("/json") {
        return BodyKind::Json;
    }
    if media_type == "application/x-www-form-urlencoded" {
        return BodyKind::Form;
    }
    if media_type == "multipart/form-data" {
        return BodyKind::Multipart;
    }
    if media_type.is_empty() || media_type == "text/plain" {
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(first, Some(b'{') | Some(b'[')) {
            return BodyKind::Json;
        }
    }
    BodyKind::Other
}

#[allow(clippy::too_many_arguments)]
fn learn_body(
    section: Section,
    status: Option<u16>,
    content_type: Option<&str>,
    body: &Body,
    limits: &Limits,
    learner: &mut FieldLearner,
    summary: &mut LearnSummary,
    sink: &mut dyn FnMut(FieldObservation<'_>),
) {
    if body.is_empty() {
        return;
    }
    let media = media_type(content_type.unwrap_or(""));
    let kind = body_kind(&media, &body.bytes);
    let media = if kind == BodyKind::Json && media.is_empty() { Cow::Borrowed("application/json") } else { media };

    if body.truncated && kind != BodyKind::Other {
        summary.bodies_truncated += 1;
        return;
    }

    match kind {
        BodyKind::Json => {
            let mut visit = |leaf: json::JsonLeaf<'_>| {
                sink(FieldObservation {
                    section,
                    status,
                    content_type: &media,
                    path: leaf.path,
                    field_type: leaf.field_type,
                    text: leaf.text,
                });
            };
            let walk = json::walk_json_with(
                &body.bytes,
                limits.max_json_depth,
                limits.max_fields_per_body,
                &mut learner.key_shapes,
                &mut learner.json_path,
                &mut visit,
            );
            match walk {
                Ok(walk) => {
                    let skipped = walk.too_deep + walk.over_limit;
                    summary.fields_skipped += skipped as u64;
                    if skipped == 0 {
                        learner.json_walked |= 1 << section as u8;
                    }
                }
                Err(_) => summary.bodies_unparsed += 1,
            }
        }
        BodyKind::Form => {
            let mut fields = 0;
            for (name, value) in form_urlencoded::parse(&body.bytes) {
                if fields >= limits.max_fields_per_body || name.len() > MAX_NAME_BYTES {
                    summary.fields_skipped += 1;
                    continue;
                }
                fields += 1;
                sink(FieldObservation { content_type: &media, ..scalar_observation(section, status, &name, &value) });
            }
        }
        BodyKind::Multipart => {
            let boundary = content_type.and_then(multipart::boundary);
            let parsed = boundary.and_then(|b| multipart::parts(&body.bytes, &b, limits.max_fields_per_body).ok());
            let Some(parts) = parsed else {
                summary.bodies_unparsed += 1;
                return;
            };
            for part in &parts {
                if part.name.len() > MAX_NAME_BYTES {
                    summary.fields_skipped += 1;
                    continue;
                }
                let observation = match &part.text {
                    Some(text) => scalar_observation(section, status, &part.name, text),
                    // File uploads and binary parts are strings of bytes.
                    None => FieldObservation {
                        section,
                        status,
                        content_type: "",
                        path: &part.name,
                        field_type: FieldType::String,
                        text: None,
                    },
                };
                sink(FieldObservation { content_type: &media, ..observation });
            }
        }
        BodyKind::Other => {
            let text = std::str::from_utf8(&body.bytes).ok();
            sink(FieldObservation {
                section,
                status,
                content_type: &media,
                path: "",
                field_type: FieldType::String,
                text,
            });
        }
    }
}

/// Returns the media type of a request or response, from its field or its Content-Type
/// header.
pub fn content_type_of<'a>(declared: Option<&'a str>, headers: &'a [Header]) -> Option<&'a str> {
    declared.or_else(|| header_value(headers, "content-type"))
}

#[cfg(test)]
mod tests;
