//! The normalized model of an imported description: the same for Swagger 2.0, OpenAPI
//! 3.0 and 3.1.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::document::{Dialect, Document};
use crate::router::Router;

/// An imported description.
#[derive(Debug, Clone)]
pub struct ApiSpec {
    /// `info.title`.
    pub title: String,
    /// `info.version`: the API's own version.
    pub version: String,
    /// `openapi` or `swagger` as written, such as `3.0.3` or `2.0`.
    pub spec_version: String,
    /// Host names, with a port when the URL has one, from `servers` (variables expanded
    /// to their defaults and enum values) or Swagger's `host`. Empty when every server URL
    /// is relative: the description then applies to any host.
    pub hosts: Vec<String>,
    /// Path prefixes before the `paths` keys, such as `/v1`, or `""` for the root.
    pub base_paths: Vec<String>,
    /// Operations sorted by path, then in the method order of [`crate::import::METHODS`].
    pub operations: Vec<Operation>,
    pub(crate) document: Arc<Document>,
    pub(crate) router: Arc<Router>,
}

/// One method on one path.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper-case method such as `GET`.
    pub method: String,
    /// The `paths` key as written, without the base path: `/users/{id}`.
    pub path_template: String,
    pub operation_id: Option<String>,
    pub deprecated: bool,
    /// Path-level and operation-level parameters merged. The operation's parameters win on
    /// the same name and location. Swagger `body` and `formData` parameters are in
    /// [`Operation::request_body`] instead.
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    /// Responses sorted by status key.
    pub responses: Vec<ResponseSpec>,
    /// Pointer of the operation object: `/paths/~1users~1{id}/get`.
    pub pointer: String,
    pub(crate) document: Arc<Document>,
}

/// Location of a parameter in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "path" => ParamLocation::Path,
            "query" => ParamLocation::Query,
            "header" => ParamLocation::Header,
            "cookie" => ParamLocation::Cookie,
            _ => return None,
        })
    }
}

/// Serialization of an array or object parameter in a query string or header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamStyle {
    /// `ids=1&ids=2` (OpenAPI `form` with `explode`, Swagger `multi`).
    Repeated,
    /// `ids=1,2` and other single-value forms with a separator.
    Delimited(char),
    /// `filter[name]=x` (OpenAPI `deepObject`).
    DeepObject,
}

/// One parameter of an operation.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: ParamLocation,
    pub required: bool,
    pub deprecated: bool,
    pub style: ParamStyle,
    /// The parameter's schema. For Swagger 2.0 this is the parameter object itself, which
    /// contains `type`, `format`, `items` and the rest.
    pub schema: Option<SchemaRef>,
    /// Pointer of the parameter object, after following its `$ref`.
    pub pointer: String,
}

/// A schema in the document, by pointer. A few schemas are built by import, such as the
/// object schema of Swagger `formData` parameters; those carry their own value.
#[derive(Debug, Clone)]
pub struct SchemaRef {
    /// Pointer of the schema, or for a built schema the place it was built from.
    pub pointer: String,
    pub(crate) built: Option<Arc<Value>>,
}

impl SchemaRef {
    pub(crate) fn at(pointer: String) -> Self {
        Self { pointer, built: None }
    }

    pub(crate) fn built(pointer: String, value: Value) -> Self {
        Self { pointer, built: Some(Arc::new(value)) }
    }

    /// Returns the schema value, without following a top-level `$ref`.
    pub fn value<'a>(&'a self, document: &'a Document) -> Option<&'a Value> {
        match &self.built {
            Some(value) => Some(value),
            None => document.get(&self.pointer),
        }
    }
}

impl Serialize for SchemaRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut state = serializer.serialize_struct("SchemaRef", 2)?;
        state.serialize_field("pointer", &self.pointer)?;
        state.serialize_field("built", &self.built.as_deref())?;
        state.end()
    }
}

/// The body of a request or response in one media type.
#[derive(Debug, Clone, Serialize)]
pub struct MediaSchema {
    /// Media type as written, lower-case: `application/json`, `application/*`, `*/*`.
    pub content_type: String,
    pub schema: Option<SchemaRef>,
    /// Pointer of the media type object (Swagger 2.0: of the body parameter or response).
    pub pointer: String,
}

/// An operation's request body.
#[derive(Debug, Clone, Serialize)]
pub struct RequestBody {
    pub required: bool,
    pub content: Vec<MediaSchema>,
    pub pointer: String,
}

/// One documented response.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseSpec {
    /// `200`, `2XX` or `default`, as written (ranges upper-cased).
    pub status: String,
    pub content: Vec<MediaSchema>,
    /// Response headers, with `in` set to header.
    pub headers: Vec<Parameter>,
    /// Pointer of the response object, after following its `$ref`.
    pub pointer: String,
}

impl ApiSpec {
    pub fn dialect(&self) -> Dialect {
        self.document.dialect()
    }

    pub fn document(&self) -> &Document {
        &self.document
    }

    /// Serializes the description as compact JSON for storage. [`crate::import::import`]
    /// reads it back to the same model.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self.document.root()).unwrap_or_default()
    }

    /// Serializes the normalized model as JSON: every operation with its parameters, bodies
    /// and responses, and each schema as its pointer and raw value (references not followed).
    pub fn to_model_json(&self) -> Value {
        let operations: Vec<Value> = self.operations.iter().map(|op| op.to_model_json()).collect();
        serde_json::json!({
            "title": self.title,
            "version": self.version,
            "spec_version": self.spec_version,
            "hosts": self.hosts,
            "base_paths": self.base_paths,
            "operations": operations,
        })
    }
}

impl Operation {
    pub fn document(&self) -> &Document {
        &self.document
    }

    /// `GET /users/{id}`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path_template)
    }

    /// Finds the response documented for `status`: the exact code, else its range (`2XX`),
    /// else `default`.
    pub fn response_for(&self, status: u16) -> Option<&ResponseSpec> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        self.responses
            .iter()
            .find(|r| r.status == exact)
            .or_else(|| self.responses.iter().find(|r| r.status == range))
            .or_else(|| self.responses.iter().find(|r| r.status == "default"))
    }

    fn to_model_json(&self) -> Value {
        let document = &self.document;
        let schema_json = |schema: &Option<SchemaRef>| -> Value {
            match schema {
                Some(schema) => serde_json::json!({
                    "pointer": schema.pointer,
                    "schema": schema.value(document).cloned().unwrap_or(Value::Null),
                }),
                None => Value::Null,
            }
        };
        let media_json = |content: &[MediaSchema]| -> Value {
            let mut map = serde_json::Map::new();
            for media in content {
                map.insert(
                    media.content_type.clone(),
                    serde_json::json!({"pointer": media.pointer, "schema": schema_json(&media.schema)}),
                );
            }
            Value::Object(map)
        };
        let param_json = |param: &Parameter| {
            serde_json::json!({
                "name": param.name,
                "in": param.location,
                "required": param.required,
                "deprecated": param.deprecated,
                "style": param.style,
                "schema": schema_json(&param.schema),
                "pointer": param.pointer,
            })
        };
        let parameters: Vec<Value> = self.parameters.iter().map(param_json).collect();
        let request_body = self.request_body.as_ref().map(|body| {
            serde_json::json!({"required": body.required, "pointer": body.pointer, "content": media_json(&body.content)})
        });
        let mut responses = serde_json::Map::new();
        for response in &self.responses {
            let headers: Vec<Value> = response.headers.iter().map(param_json).collect();
            responses.insert(
                response.status.clone(),
                serde_json::json!({"pointer": response.pointer, "headers": headers, "content": media_json(&response.content)}),
            );
        }
        serde_json::json!({
            "method": self.method,
            "path_template": self.path_template,
            "operation_id": self.operation_id,
            "deprecated": self.deprecated,
            "pointer": self.pointer,
            "parameters": parameters,
            "request_body": request_body,
            "responses": responses,
        })
    }
}
