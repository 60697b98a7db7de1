//! Encoding of redacted samples without copying the trace.
//!
//! A sample is the postcard encoding of the redacted trace. Redaction changes few values,
//! so [`encode_redacted_trace`] serializes views that borrow every unchanged part of the
//! trace and own only the replaced ones. Postcard writes a struct as its fields in order,
//! without names, so a view with the same fields in the same order, and values that
//! serialize alike (`&str` and `String`, `Cow<Body>` and `Body`), gives the same bytes.
//! The redaction tests compare both encodings.

use std::borrow::Cow;

use palisade_core::trace::{AgentAnalysis, TraceMeta};
use palisade_core::{Body, Header, QueryParam, Request, Response, Section, Trace};
use serde::Serialize;

use super::{CredentialNames, RedactContext, Redactor};

/// [`Trace`] with its request and response redacted.
#[derive(Serialize)]
struct TraceView<'a> {
    request: RequestView<'a>,
    response: Option<ResponseView<'a>>,
    meta: &'a TraceMeta,
    agent: &'a Option<AgentAnalysis>,
}

/// [`Request`] with redacted path, query, headers and body.
#[derive(Serialize)]
struct RequestView<'a> {
    method: &'a str,
    scheme: &'a str,
    host: &'a str,
    path: Cow<'a, str>,
    query: Vec<PairView<'a>>,
    headers: Vec<PairView<'a>>,
    content_type: &'a Option<String>,
    body: Cow<'a, Body>,
}

/// [`Response`] with redacted headers and body.
#[derive(Serialize)]
struct ResponseView<'a> {
    status: u16,
    headers: Vec<PairView<'a>>,
    content_type: &'a Option<String>,
    body: Cow<'a, Body>,
}

/// A [`Header`] or [`QueryParam`], which both are a name and a value.
#[derive(Serialize)]
struct PairView<'a> {
    name: &'a str,
    value: Cow<'a, str>,
}

/// Appends the postcard encoding of `redact_trace(trace, context)` to `out`, the bytes
/// that encoding the redacted copy would give.
pub fn encode_redacted_trace(
    trace: &Trace,
    context: &RedactContext<'_>,
    names: &mut CredentialNames,
    out: Vec<u8>,
) -> postcard::Result<Vec<u8>> {
    let mut redactor = Redactor::new(trace, context, names);
    // Destructuring without `..` makes a new field of the trace model a compile error
    // here, because the views must list every field.
    let Trace { request, response, meta, agent } = trace;
    let Request { method, scheme, host, path, query, headers, content_type, body } = request;

    let path = redactor.path(path).map_or(Cow::Borrowed(path.as_str()), Cow::Owned);
    let headers = redact_headers(&mut redactor, headers, Section::RequestHeader);
    let query = query
        .iter()
        .map(|param| {
            let QueryParam { name, value } = param;
            let value = redactor.query_value(param).map_or(Cow::Borrowed(value.as_str()), Cow::Owned);
            PairView { name, value }
        })
        .collect();
    // The content type is read after the headers are redacted, as the sample shows it.
    let request_type = content_type.as_deref().or_else(|| content_type_header(&headers));
    let body = redactor.body(body, request_type, Section::RequestBody).map_or(Cow::Borrowed(body), Cow::Owned);
    let request = RequestView { method, scheme, host, path, query, headers, content_type, body };

    let response = response.as_ref().map(|response| {
        let Response { status, headers, content_type, body } = response;
        let headers = redact_headers(&mut redactor, headers, Section::ResponseHeader);
        let response_type = content_type.as_deref().or_else(|| content_type_header(&headers));
        let body = redactor.body(body, response_type, Section::ResponseBody).map_or(Cow::Borrowed(body), Cow::Owned);
        ResponseView { status: *status, headers, content_type, body }
    });

    postcard::to_extend(&TraceView { request, response, meta, agent }, out)
}

fn redact_headers<'a>(redactor: &mut Redactor<'_, '_>, headers: &'a [Header], section: Section) -> Vec<PairView<'a>> {
    let may_mask = redactor.may_mask(section);
    headers
        .iter()
        .map(|header| {
            let Header { name, value } = header;
            let value =
                redactor.header_value(header, section, may_mask).map_or(Cow::Borrowed(value.as_str()), Cow::Owned);
            PairView { name, value }
        })
        .collect()
}

/// Finds the first `Content-Type` header's value, as
/// [`palisade_core::trace::header_value`] does.
fn content_type_header<'v>(headers: &'v [PairView<'_>]) -> Option<&'v str> {
    headers.iter().find(|h| h.name.eq_ignore_ascii_case("content-type")).map(|h| h.value.as_ref())
}
