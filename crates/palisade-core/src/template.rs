//! Path templates such as `/users/{userId}/orders`, and the evidence that made each
//! parameter a parameter.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TemplateSegment {
    Literal(String),
    Param(String),
}

/// A path template: literal segments and named parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PathTemplate {
    pub segments: Vec<TemplateSegment>,
}

impl PathTemplate {
    /// Parses a route template written as `/users/{id}`, `/users/:id` (Express),
    /// `/users/<int:id>` (Flask) or `/users/<id>`. Every form becomes `{id}`.
    pub fn parse(route: &str) -> Self {
        let segments = crate::path::split_path(route)
            .into_iter()
            .map(|segment| match route_param_name(segment) {
                Some(name) => TemplateSegment::Param(name.to_string()),
                None => TemplateSegment::Literal(segment.to_string()),
            })
            .collect();
        Self { segments }
    }

    pub fn param_count(&self) -> usize {
        self.segments.iter().filter(|s| matches!(s, TemplateSegment::Param(_))).count()
    }
}

fn route_param_name(segment: &str) -> Option<&str> {
    let inner = if let Some(inner) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        inner
    } else if let Some(inner) = segment.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        inner.rsplit(':').next().unwrap_or(inner)
    } else {
        segment.strip_prefix(':')?
    };
    let inner = inner.trim();
    (!inner.is_empty()).then_some(inner)
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.segments {
            match segment {
                TemplateSegment::Literal(text) => write!(f, "/{text}")?,
                TemplateSegment::Param(name) => write!(f, "/{{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// The shape of one concrete path segment value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Decimal digits only: `42`.
    Integer,
    /// `3f0c1f9e-6b1d-4c4e-9a59-0c3f3a1e2b7d`.
    Uuid,
    /// At least 16 hexadecimal digits: a hash or an object id.
    HexHash,
    /// A long random-looking string such as `cus_NffrFeUfNV2Hib`.
    Token,
    /// A calendar date or date-time: `2024-06-24`.
    Date,
    /// An email address.
    Email,
    /// Letters and digits mixed the way generated ids are: `a1b2c3`, `INV20240012`.
    MixedId,
    /// Words joined by `-` or `_`: `my-first-post`.
    Slug,
    /// An API version segment: `v1`, `v2beta1`.
    Version,
    /// A single word, possibly camelCase: `search`, `onboardingStatus`.
    Word,
    /// Anything else, such as `index.html`.
    Other,
}

impl ValueKind {
    /// True for shapes that make a segment a parameter on their own, without looking at
    /// sibling values.
    pub fn is_identifier(self) -> bool {
        matches!(
            self,
            ValueKind::Integer
                | ValueKind::Uuid
                | ValueKind::HexHash
                | ValueKind::Token
                | ValueKind::Date
                | ValueKind::Email
                | ValueKind::MixedId
        )
    }

    pub const ALL: [ValueKind; 11] = [
        ValueKind::Integer,
        ValueKind::Uuid,
        ValueKind::HexHash,
        ValueKind::Token,
        ValueKind::Date,
        ValueKind::Email,
        ValueKind::MixedId,
        ValueKind::Slug,
        ValueKind::Version,
        ValueKind::Word,
        ValueKind::Other,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        ValueKind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Integer => "integer",
            ValueKind::Uuid => "uuid",
            ValueKind::HexHash => "hex_hash",
            ValueKind::Token => "token",
            ValueKind::Date => "date",
            ValueKind::Email => "email",
            ValueKind::MixedId => "mixed_id",
            ValueKind::Slug => "slug",
            ValueKind::Version => "version",
            ValueKind::Word => "word",
            ValueKind::Other => "other",
        }
    }
}

/// Rule that made a path position a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamRule {
    /// Values had an identifier shape (integer, UUID, hash, token, date, email, mixed id).
    Shape,
    /// The position took many distinct values, most of them seen once or twice.
    Cardinality,
    /// Every value at the position came from one closed vocabulary (HTTP methods,
    /// language codes, cloud regions and zones), at least two of them.
    Vocabulary,
    /// The values follow a collection name and have the same routes below them, at
    /// least three of them (`/packages/{npm, maven, docker}/{name}/versions`).
    Structure,
    /// The position took more distinct values than discovery keeps apart
    /// (`max_distinct_literals`).
    Overflow,
    /// The application or agent reported the route template.
    Route,
}

/// The evidence for one parameter of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamEvidence {
    /// Zero-based index of the segment in the template.
    pub position: usize,
    pub name: String,
    pub rule: ParamRule,
    /// Value shapes seen at this position, with how many requests had each.
    pub kinds: Vec<(ValueKind, u64)>,
    /// Distinct values seen at this position; an estimate above 256.
    pub distinct_values: u64,
    /// Requests that reached this position.
    pub samples: u64,
    /// Confidence that this position is a parameter, from 0 to 1.
    pub confidence: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_route_forms() {
        let cases = [
            ("/users/{id}", "/users/{id}"),
            ("/users/:id/orders", "/users/{id}/orders"),
            ("/users/<int:user_id>", "/users/{user_id}"),
            ("/users/<name>", "/users/{name}"),
            ("/", "/"),
            ("/a/{}", "/a/{}"),
        ];
        for (route, expected) in cases {
            assert_eq!(PathTemplate::parse(route).to_string(), expected, "{route}");
        }
    }

    #[test]
    fn param_count_counts_params() {
        assert_eq!(PathTemplate::parse("/a/{b}/c/{d}").param_count(), 2);
    }
}
