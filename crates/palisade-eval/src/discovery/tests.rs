use super::*;
use spec::parse_spec;

fn evaluate(json: &str, requests_per_operation: usize) -> SpecResult {
    let api = parse_spec("tiny.json", json.as_bytes(), false).expect("test description parses");
    let options = EvalOptions { requests_per_operation, ..EvalOptions::default() };
    evaluate_spec(&api, &options)
}

const SHAPED_IDS: &str = r#"{"openapi": "3.0.0",
    "servers": [{"url": "https://api.example.com/v1"}],
    "paths": {
        "/users": {"get": {}, "post": {}},
        "/users/{userId}": {"get": {"parameters": [
            {"name": "userId", "in": "path", "schema": {"type": "integer"}}]}},
        "/users/{userId}/orders/{orderId}": {
            "parameters": [{"name": "userId", "in": "path", "schema": {"type": "integer"}}],
            "get": {"parameters": [{"name": "orderId", "in": "path", "schema": {"type": "string", "format": "uuid"}}]}},
        "/health": {"get": {}}}}"#;

#[test]
fn shaped_ids_score_perfectly() {
    let result = evaluate(SHAPED_IDS, 5);
    assert_eq!(result.counts, Counts { spec: 4, discovered: 4, matched: 4 });
    assert_eq!(result.scores.f1, 1.0);
    assert_eq!(result.operations, 5);
    assert_eq!(result.requests, 25);
    assert_eq!(result.not_recorded, 0);
    assert!(result.false_negatives.is_empty());
    assert!(result.false_positives.is_empty());
}

#[test]
fn single_value_enum_is_one_miss_each_way() {
    let result = evaluate(
        r#"{"openapi": "3.0.0", "paths": {
            "/reports/{kind}": {"get": {"parameters": [
                {"name": "kind", "in": "path", "schema": {"type": "string", "enum": ["daily"]}}]}},
            "/health": {"get": {}}}}"#,
        5,
    );
    assert_eq!(result.counts, Counts { spec: 2, discovered: 2, matched: 1 });
    assert_eq!(result.scores, Scores { precision: 0.5, recall: 0.5, f1: 0.5 });
    assert_eq!(result.false_negatives[0].template, "/reports/{}");
    assert_eq!(result.false_negatives[0].related, vec!["/reports/daily"]);
    assert_eq!(result.false_positives[0].template, "/reports/daily");
    assert_eq!(result.false_positives[0].related, vec!["/reports/{}"]);
}

#[test]
fn param_inside_segment_is_reported_apart() {
    let result = evaluate(
        r#"{"openapi": "3.0.0", "paths": {
            "/files/{name}.json": {"get": {"parameters": [
                {"name": "name", "in": "path", "schema": {"type": "string"}}]}},
            "/users/{id}": {"get": {"parameters": [
                {"name": "id", "in": "path", "schema": {"type": "integer"}}]}}}}"#,
        3,
    );
    assert_eq!(result.inside_segment, 1);
    assert_eq!(result.counts.spec, 2);
    assert_eq!(result.counts.matched, 1);
    assert_eq!(result.counts_without_inside_segment, Counts { spec: 1, discovered: 1, matched: 1 });
    assert_eq!(result.scores_without_inside_segment.f1, 1.0);
}

#[test]
fn swagger2_base_path_is_stripped() {
    let result = evaluate(
        r##"{"swagger": "2.0", "basePath": "/api",
            "parameters": {"PetId": {"name": "petId", "in": "path", "type": "integer"}},
            "paths": {"/pets/{petId}": {"get": {"parameters": [{"$ref": "#/parameters/PetId"}]}},
                      "/pets": {"get": {}}}}"##,
        4,
    );
    assert_eq!(result.base_path, "/api");
    assert_eq!(result.counts, Counts { spec: 2, discovered: 2, matched: 2 });
}

#[test]
fn same_seed_gives_same_result() {
    let api = parse_spec("tiny.json", SHAPED_IDS.as_bytes(), false).unwrap();
    let options = EvalOptions { requests_per_operation: 3, seed: 42, ..EvalOptions::default() };
    let first = serde_json::to_string(&evaluate_spec(&api, &options)).unwrap();
    let second = serde_json::to_string(&evaluate_spec(&api, &options)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn evaluate_dir_skips_non_specs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shop.json"), SHAPED_IDS).unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    std::fs::write(dir.path().join("more/pets.yaml"), "openapi: 3.0.0\npaths:\n  /pets:\n    get: {}\n").unwrap();
    std::fs::write(dir.path().join("fixtures.json"), r#"{"resources": {}}"#).unwrap();
    std::fs::write(dir.path().join("LICENSE"), "MIT").unwrap();

    let report = evaluate_dir(dir.path(), &EvalOptions::default()).unwrap();
    let names: Vec<&str> = report.specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["more/pets.yaml", "shop.json"]);
    let skipped: Vec<&str> = report.skipped.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(skipped, vec!["LICENSE", "fixtures.json"]);
    assert_eq!(report.overall.counts, Counts { spec: 5, discovered: 5, matched: 5 });
    assert_eq!(report.overall.micro.f1, 1.0);
    assert_eq!(report.overall.macro_average.f1, 1.0);
}

#[test]
fn summaries_sum_and_average() {
    let perfect = evaluate(SHAPED_IDS, 2);
    let mut half = perfect.clone();
    half.counts = Counts { spec: 2, discovered: 2, matched: 1 };
    half.scores = half.counts.scores();
    half.counts_without_inside_segment = half.counts;
    half.scores_without_inside_segment = half.scores;

    let report = build_report(EvalOptions::default(), vec![perfect, half], Vec::new());
    assert_eq!(report.overall.counts, Counts { spec: 6, discovered: 6, matched: 5 });
    assert!((report.overall.micro.f1 - 5.0 / 6.0).abs() < 1e-12);
    assert_eq!(report.overall.macro_average.f1, 0.75);
}

#[test]
fn previous_literal_cases() {
    assert_eq!(previous_literal("/charges/{charge}/refunds", "charge"), Some("charges"));
    assert_eq!(previous_literal("/repos/{owner}/{repo}", "repo"), None);
    assert_eq!(previous_literal("/{id}", "id"), None);
    assert_eq!(previous_literal("/files/{name}.json", "name"), Some("files"));
}

#[test]
fn synthetic_host_from_file_name() {
    assert_eq!(synthetic_host("github-api.json"), "api.github-api.example");
    assert_eq!(
        synthetic_host("apis-guru/vtex.local__Subscriptions-API-(v3).json"),
        "api.vtex-local-subscriptions-api-v3.example"
    );
    assert_eq!(synthetic_host("___.json"), "api.spec.example");
}

#[test]
fn concrete_path_substitutes_and_encodes() {
    let operation = Operation {
        method: "GET".into(),
        path: "/search/{term}/{term}".into(),
        params: vec![PathParam { name: "term".into(), enum_values: vec!["blue shoes".into()], ..PathParam::default() }],
    };
    let mut rng = Rng::with_seed(1);
    let mut plans = HashMap::new();
    let param = &operation.params[0];
    plans.insert(plan_key(param, Some("search")), ValuePlan::new(param, Some("search"), &mut rng));
    assert_eq!(concrete_path("/v2", &operation, &plans, &mut rng), "/v2/search/blue%20shoes/blue%20shoes");
}
