use super::*;

fn json_spec(text: &str) -> Result<ApiSpec, ImportError> {
    import(text.as_bytes(), SourceFormat::Json, &ImportSettings::default())
}

fn yaml_spec(text: &str) -> Result<ApiSpec, ImportError> {
    import(text.as_bytes(), SourceFormat::Yaml, &ImportSettings::default())
}

const PETS_30: &str = r##"{
  "openapi": "3.0.3",
  "info": {"title": "Pets", "version": "1.2.0"},
  "servers": [
    {"url": "https://{region}.pets.example.com:8443/{base}/v1",
     "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}, "base": {"default": "api"}}},
    {"url": "/relative"}
  ],
  "paths": {
    "/pets/{petId}": {
      "parameters": [
        {"name": "petId", "in": "path", "required": true, "schema": {"type": "integer"}},
        {"name": "trace", "in": "header", "schema": {"type": "string"}}
      ],
      "get": {
        "operationId": "getPet",
        "parameters": [
          {"name": "trace", "in": "header", "required": true, "schema": {"type": "string"}},
          {"$ref": "#/components/parameters/Fields"}
        ],
        "responses": {
          "200": {"$ref": "#/components/responses/Pet"},
          "4XX": {"description": "client error"}
        }
      },
      "delete": {"deprecated": true, "responses": {"204": {"description": "gone"}}}
    },
    "/pets": {
      "post": {
        "requestBody": {"$ref": "#/components/requestBodies/NewPet"},
        "responses": {"default": {"description": "any"}}
      }
    }
  },
  "components": {
    "parameters": {"Fields": {"name": "fields", "in": "query", "style": "form", "explode": false,
                               "schema": {"type": "array", "items": {"type": "string"}}}},
    "requestBodies": {"NewPet": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
    "responses": {"Pet": {"description": "a pet",
        "headers": {"X-Rate-Limit": {"required": true, "schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
    "schemas": {"Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}
  }
}"##;

#[test]
fn openapi30_operations_and_servers() {
    let spec = json_spec(PETS_30).unwrap();
    assert_eq!(spec.title, "Pets");
    assert_eq!(spec.version, "1.2.0");
    assert_eq!(spec.dialect(), Dialect::OpenApi30);
    assert_eq!(spec.hosts, vec!["eu.pets.example.com:8443", "us.pets.example.com:8443"]);
    assert_eq!(spec.base_paths, vec!["/api/v1", "/relative"]);

    let labels: Vec<String> = spec.operations.iter().map(Operation::label).collect();
    assert_eq!(labels, vec!["POST /pets", "GET /pets/{petId}", "DELETE /pets/{petId}"]);

    let get = &spec.operations[1];
    assert_eq!(get.operation_id.as_deref(), Some("getPet"));
    assert_eq!(get.pointer, "/paths/~1pets~1{petId}/get");
    let params: Vec<(&str, ParamLocation, bool)> =
        get.parameters.iter().map(|p| (p.name.as_str(), p.location, p.required)).collect();
    assert_eq!(
        params,
        vec![
            ("petId", ParamLocation::Path, true),
            ("trace", ParamLocation::Header, true),
            ("fields", ParamLocation::Query, false)
        ]
    );
    assert_eq!(get.parameters[2].pointer, "/components/parameters/Fields");
    assert_eq!(get.parameters[2].style, ParamStyle::Delimited(','));

    let ok = &get.responses[0];
    assert_eq!(ok.status, "200");
    assert_eq!(ok.pointer, "/components/responses/Pet");
    assert_eq!(
        ok.content[0].schema.as_ref().unwrap().pointer,
        "/components/responses/Pet/content/application~1json/schema"
    );
    assert_eq!(ok.headers[0].name, "X-Rate-Limit");
    assert!(ok.headers[0].required);
    assert_eq!(get.responses[1].status, "4XX");

    assert!(spec.operations[2].deprecated);
    let body = spec.operations[0].request_body.as_ref().unwrap();
    assert!(body.required);
    assert_eq!(body.pointer, "/components/requestBodies/NewPet");
}

#[test]
fn openapi31_yaml_with_numeric_status_keys() {
    let yaml = "openapi: 3.1.0
info: {title: T, version: '1'}
paths:
  /items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: [integer, 'null']}}
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {type: object}
";
    let spec = yaml_spec(yaml).unwrap();
    assert_eq!(spec.dialect(), Dialect::OpenApi31);
    assert_eq!(spec.spec_version, "3.1.0");
    assert_eq!(spec.hosts, Vec::<String>::new());
    assert_eq!(spec.base_paths, vec![""]);
    assert_eq!(spec.operations[0].responses[0].status, "200");
}

#[test]
fn swagger2_body_form_and_servers() {
    let spec = json_spec(
        r##"{"swagger": "2.0", "info": {"title": "S", "version": "2"},
            "host": "API.example.com", "basePath": "/v2/", "produces": ["application/json"],
            "paths": {
              "/users": {
                "post": {
                  "consumes": ["application/json", "application/xml"],
                  "parameters": [{"name": "body", "in": "body", "required": true, "schema": {"$ref": "#/definitions/User"}},
                                 {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"}],
                  "responses": {"201": {"description": "made", "schema": {"$ref": "#/definitions/User"},
                                        "headers": {"Location": {"type": "string"}}}}
                }
              },
              "/upload": {
                "post": {
                  "parameters": [{"name": "file", "in": "formData", "type": "file", "required": true},
                                 {"name": "note", "in": "formData", "type": "string"}],
                  "responses": {"200": {"description": "ok"}}
                }
              }
            },
            "definitions": {"User": {"type": "object", "properties": {"name": {"type": "string"}}}}}"##,
    )
    .unwrap();
    assert_eq!(spec.dialect(), Dialect::Swagger2);
    assert_eq!(spec.hosts, vec!["api.example.com"]);
    assert_eq!(spec.base_paths, vec!["/v2"]);

    let create = &spec.operations[1];
    let body = create.request_body.as_ref().unwrap();
    let types: Vec<&str> = body.content.iter().map(|m| m.content_type.as_str()).collect();
    assert_eq!(types, vec!["application/json", "application/xml"]);
    assert_eq!(body.content[0].schema.as_ref().unwrap().pointer, "/paths/~1users/post/parameters/0/schema");
    assert_eq!(create.parameters[0].style, ParamStyle::Repeated);
    assert_eq!(create.responses[0].content[0].content_type, "application/json");
    assert_eq!(create.responses[0].headers[0].name, "Location");

    let upload = spec.operations[0].request_body.as_ref().unwrap();
    assert_eq!(upload.content[0].content_type, "multipart/form-data");
    assert!(upload.required);
    let built = upload.content[0].schema.as_ref().unwrap().value(spec.document()).unwrap();
    assert_eq!(built["required"], serde_json::json!(["file"]));
    assert_eq!(built["properties"]["note"]["$ref"], "#/paths/~1upload/post/parameters/1");
}

#[test]
fn circular_schema_imports() {
    let spec = json_spec(
        r##"{"openapi": "3.0.0", "info": {"title": "T", "version": "1"},
            "paths": {"/tree": {"get": {"responses": {"200": {"description": "ok",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
            "components": {"schemas": {
              "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                                                        "parent": {"$ref": "#/components/schemas/Node"}}},
              "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}}}}"##,
    )
    .unwrap();
    assert_eq!(spec.operations.len(), 1);
}

#[test]
fn errors_name_the_pointer() {
    let cases = [
        (r#"{"openapi": "4.0.0", "paths": {}}"#, "/openapi"),
        (r#"{"swagger": "1.2", "paths": {}}"#, "/swagger"),
        (r#"{"info": {}}"#, "/openapi"),
        (r#"{"openapi": "3.0.0", "paths": []}"#, "/paths"),
        (r#"{"openapi": "3.0.0", "paths": {"users": {}}}"#, "/paths/users"),
        (r#"{"openapi": "3.0.0", "paths": {"/a": {"get": []}}}"#, "/paths/~1a/get"),
        (
            r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"parameters": [{"name": "x"}]}}}}"#,
            "/paths/~1a/get/parameters/0",
        ),
        (
            r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"parameters": [{"name": "x", "in": "body"}]}}}}"#,
            "/paths/~1a/get/parameters/0/in",
        ),
        (r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"20": {}}}}}}"#, "/paths/~1a/get/responses/20"),
        (
            r##"{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/nope"}}}}}}"##,
            "/paths/~1a/get/responses/200",
        ),
        (
            r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "common.yaml#/R"}}}}}}"#,
            "/paths/~1a/get/responses/200",
        ),
        (
            r##"{"openapi": "3.0.0", "paths": {}, "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}}}"##,
            "/components/schemas/",
        ),
    ];
    for (text, pointer) in cases {
        let error = json_spec(text).unwrap_err();
        let found = error.pointer().unwrap_or("");
        assert!(found.starts_with(pointer), "{text}: expected pointer {pointer}, got {error}");
        assert!(error.to_string().contains(found), "{error}");
    }
}

#[test]
fn external_ref_error_message() {
    let error = json_spec(
        r#"{"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {"description": "x",
            "content": {"application/json": {"schema": {"$ref": "https://example.com/s.json"}}}}}}}}}"#,
    )
    .unwrap_err();
    assert_eq!(
        error,
        ImportError::ExternalRef {
            pointer: "/paths/~1a/get/responses/200/content/application~1json/schema".into(),
            reference: "https://example.com/s.json".into()
        }
    );
}

#[test]
fn invalid_json_and_yaml_report_position() {
    let error = json_spec("{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}").unwrap_err();
    assert!(matches!(error, ImportError::InvalidJson { line: 3, .. }), "{error}");
    let error = yaml_spec("openapi: 3.0.0\npaths: [unclosed\n").unwrap_err();
    assert!(matches!(error, ImportError::InvalidYaml { .. }), "{error}");
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let settings = ImportSettings { max_spec_bytes: 1000, ..ImportSettings::default() };
    let text = format!("{{\"openapi\": \"3.0.0\", \"paths\": {{}}, \"x\": \"{}\"}}", "a".repeat(1000));
    let error = import(text.as_bytes(), SourceFormat::Json, &settings).unwrap_err();
    assert_eq!(error, ImportError::TooLarge { bytes: text.len(), max: 1000 });
}

#[test]
fn operation_limit() {
    let settings = ImportSettings { max_operations: 2, ..ImportSettings::default() };
    let text = r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {}, "put": {}, "post": {}}}}"#;
    let error = import(text.as_bytes(), SourceFormat::Json, &settings).unwrap_err();
    assert_eq!(error, ImportError::TooManyOperations { max: 2 });
}

#[test]
fn server_variants_are_capped() {
    let variables = serde_json::json!({
        "a": {"default": "1", "enum": ["1", "2", "3"]},
        "b": {"default": "x", "enum": ["x", "y", "z"]}
    });
    let urls = expand_server_url("https://{a}.{b}.example.com", variables.as_object(), 4);
    assert_eq!(
        urls,
        vec![
            "https://1.x.example.com",
            "https://1.y.example.com",
            "https://1.z.example.com",
            "https://2.x.example.com"
        ]
    );
}

#[test]
fn match_operation_prefers_literals() {
    let spec = json_spec(
        r#"{"openapi": "3.0.0", "servers": [{"url": "https://api.example.com/v1"}],
            "paths": {
              "/users/{id}": {"get": {}, "delete": {}},
              "/users/me": {"post": {}},
              "/users/me/avatar": {"get": {}},
              "/files/{name}.json": {"get": {}},
              "/files/{name}": {"get": {}},
              "/jobs/{name}:cancel": {"post": {}}
            }}"#,
    )
    .unwrap();
    let cases = [
        ("GET", "api.example.com", "/v1/users/42", Some("GET /users/{id}")),
        ("GET", "api.example.com", "/v1/users/me", Some("GET /users/{id}")),
        ("POST", "api.example.com", "/v1/users/me", Some("POST /users/me")),
        ("get", "API.example.com:443", "/v1/users/me/avatar", Some("GET /users/me/avatar")),
        ("GET", "api.example.com", "/v1/files/report.json", Some("GET /files/{name}.json")),
        ("GET", "api.example.com", "/v1/files/report.csv", Some("GET /files/{name}")),
        ("POST", "api.example.com", "/v1/jobs/nightly:cancel", Some("POST /jobs/{name}:cancel")),
        ("GET", "api.example.com", "/v1/users/42/", Some("GET /users/{id}")),
        ("GET", "api.example.com", "/v1/users/a%2Fb", Some("GET /users/{id}")),
        ("PUT", "api.example.com", "/v1/users/42", None),
        ("GET", "api.example.com", "/users/42", None),
        ("GET", "other.example.com", "/v1/users/42", None),
        ("GET", "api.example.com", "/v1/users", None),
    ];
    for (method, host, path, expected) in cases {
        let found = spec.match_operation(method, host, path).map(Operation::label);
        assert_eq!(found.as_deref(), expected, "{method} {host}{path}");
    }
}

#[test]
fn template_param_names_in_order() {
    assert_eq!(template_param_names("/a/{x}/b/{y}.json/{x}"), vec!["x", "y"]);
    assert_eq!(template_param_names("/v1/{+name}:cancel"), vec!["name"]);
}
