//! Data fields: the locations in traffic where values appear, with their inferred types.

use serde::{Deserialize, Serialize};

/// The part of a trace a field was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Section {
    #[serde(rename = "request.path")]
    Path,
    #[serde(rename = "request.query")]
    Query,
    #[serde(rename = "request.header")]
    RequestHeader,
    #[serde(rename = "request.body")]
    RequestBody,
    #[serde(rename = "response.header")]
    ResponseHeader,
    #[serde(rename = "response.body")]
    ResponseBody,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::Path,
        Section::Query,
        Section::RequestHeader,
        Section::RequestBody,
        Section::ResponseHeader,
        Section::ResponseBody,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Path => "request.path",
            Section::Query => "request.query",
            Section::RequestHeader => "request.header",
            Section::RequestBody => "request.body",
            Section::ResponseHeader => "response.header",
            Section::ResponseBody => "response.body",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Section::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_response(self) -> bool {
        matches!(self, Section::ResponseHeader | Section::ResponseBody)
    }
}

/// The JSON Schema type of a field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
    Null,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::Null => "null",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "string" => FieldType::String,
            "integer" => FieldType::Integer,
            "number" => FieldType::Number,
            "boolean" => FieldType::Boolean,
            "object" => FieldType::Object,
            "array" => FieldType::Array,
            "null" => FieldType::Null,
            _ => return None,
        })
    }
}

/// A JSON Schema `format` inferred for string values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StringFormat {
    #[serde(rename = "date-time")]
    DateTime,
    #[serde(rename = "date")]
    Date,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "uuid")]
    Uuid,
    #[serde(rename = "uri")]
    Uri,
    #[serde(rename = "ipv4")]
    Ipv4,
    #[serde(rename = "ipv6")]
    Ipv6,
}

impl StringFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            StringFormat::DateTime => "date-time",
            StringFormat::Date => "date",
            StringFormat::Email => "email",
            StringFormat::Uuid => "uuid",
            StringFormat::Uri => "uri",
            StringFormat::Ipv4 => "ipv4",
            StringFormat::Ipv6 => "ipv6",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "date-time" => StringFormat::DateTime,
            "date" => StringFormat::Date,
            "email" => StringFormat::Email,
            "uuid" => StringFormat::Uuid,
            "uri" => StringFormat::Uri,
            "ipv4" => StringFormat::Ipv4,
            "ipv6" => StringFormat::Ipv6,
            _ => return None,
        })
    }
}

/// One location in an endpoint's traffic with its inferred type and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataField {
    pub section: Section,
    /// Header or parameter name, or the JSON path in a body, with `[]` for array items:
    /// `items[].email`. The root of a body is the empty path.
    pub path: String,
    /// Response status for response sections; `None` for request sections.
    pub status: Option<u16>,
    /// Media type (without parameters) of the body the field came from; empty for paths,
    /// queries and headers.
    pub content_type: String,
    pub field_type: FieldType,
    pub format: Option<StringFormat>,
    /// True when the same location was also seen holding `null`.
    pub nullable: bool,
    /// Number of traces in which the field was seen with this type.
    pub count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}
