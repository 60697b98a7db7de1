use super::*;

/// `(kind, name, arguments, top-level field names, introspection)` of each operation.
type Summary = (OperationKind, Option<String>, Vec<String>, Vec<String>, bool);

fn summarize(body: &str) -> Result<Vec<Summary>, GraphqlError> {
    Ok(graphql_operations(body)?
        .into_iter()
        .map(|op| {
            let fields = op.fields.iter().map(|f| f.name.clone()).collect();
            (op.kind, op.name, op.arguments, fields, op.introspection)
        })
        .collect())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn operations_table() {
    use OperationKind::*;
    let cases: Vec<(&str, &str, Vec<Summary>)> = vec![
        ("shorthand query", "{ user(id: 1) { name } }", vec![(Query, None, vec![], strings(&["user"]), false)]),
        (
            "named query with variables",
            "query GetUser($id: ID!, $full: Boolean = false) { user(id: $id) { name ... on Admin { level } } viewer { id } }",
            vec![(Query, Some("GetUser".into()), strings(&["id", "full"]), strings(&["user", "viewer"]), false)],
        ),
        (
            "mutation in JSON",
            r#"{"query": "mutation AddPost($input: PostInput!) { addPost(input: $input) { id } }", "variables": {"input": {}}}"#,
            vec![(Mutation, Some("AddPost".into()), strings(&["input"]), strings(&["addPost"]), false)],
        ),
        (
            "subscription",
            "subscription OnMessage { messageAdded(room: \"a\") { text } }",
            vec![(Subscription, Some("OnMessage".into()), vec![], strings(&["messageAdded"]), false)],
        ),
        (
            "introspection query",
            r#"{"query": "query IntrospectionQuery { __schema { queryType { name } types { ...FullType } } } fragment FullType on __Type { kind name }"}"#,
            vec![(Query, Some("IntrospectionQuery".into()), vec![], strings(&["__schema"]), true)],
        ),
        (
            "__type nested under a field",
            "{ node(id: 1) { ... on User { meta: __type(name: \"User\") { name } } } }",
            vec![(Query, None, vec![], strings(&["node"]), true)],
        ),
        (
            "introspection through a fragment",
            "query Q { ...Intro } fragment Intro on Query { __schema { types { name } } }",
            vec![(Query, Some("Q".into()), vec![], strings(&["__schema"]), true)],
        ),
        (
            "__typename is not introspection",
            "{ user { __typename id } }",
            vec![(Query, None, vec![], strings(&["user"]), false)],
        ),
        (
            "operationName picks one operation",
            r#"{"query": "query A { a } query B { b }", "operationName": "B"}"#,
            vec![(Query, Some("B".into()), vec![], strings(&["b"]), false)],
        ),
        (
            "batch",
            r#"[{"query": "{ a }"}, {"query": "mutation M { m }"}]"#,
            vec![
                (Query, None, vec![], strings(&["a"]), false),
                (Mutation, Some("M".into()), vec![], strings(&["m"]), false),
            ],
        ),
        (
            "aliases, directives, comments, block strings and commas",
            "# comment\nquery Q @live { first: user(id: 1, note: \"\"\"multi\nline\"\"\") @include(if: true) { id }, second: user(id: [1, 2], where: {a: {b: null}}) { id } }",
            vec![(Query, Some("Q".into()), vec![], strings(&["user", "user"]), false)],
        ),
        (
            "fragment cycle stops",
            "query Q { ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }",
            vec![(Query, Some("Q".into()), vec![], strings(&["a", "b"]), false)],
        ),
    ];
    for (name, body, expected) in cases {
        assert_eq!(summarize(body).unwrap_or_else(|e| panic!("{name}: {e}")), expected, "{name}");
    }
}

#[test]
fn aliases_and_arguments_are_kept() {
    let operations = graphql_operations("{ me: user(id: 1, lang: EN) { id } }").unwrap();
    let field = &operations[0].fields[0];
    assert_eq!(field.alias.as_deref(), Some("me"));
    assert_eq!(field.arguments, strings(&["id", "lang"]));
}

#[test]
fn inventory_names() {
    let named = graphql_operations("query GetUser { user { id } }").unwrap();
    assert_eq!(named[0].inventory_name(), "query GetUser");
    let anonymous = graphql_operations("{ posts { id } user { id } posts { title } }").unwrap();
    assert_eq!(anonymous[0].inventory_name(), "query {posts,user}");
}

#[test]
fn errors_have_positions() {
    let cases = [
        ("{ user( }", 1, 9),
        ("query {\n  user {\n", 3, 1),
        ("query Q($id ID) { a }", 1, 13),
        ("{ a(x: \"unterminated) }", 1, 8),
        ("{ a } ?", 1, 7),
        ("fragment F on T { a }", 1, 1),
        ("", 1, 1),
    ];
    for (document, line, column) in cases {
        match graphql_operations(document) {
            Err(GraphqlError::Syntax { line: l, column: c, .. }) => assert_eq!((l, c), (line, column), "{document:?}"),
            other => panic!("{document:?}: expected a syntax error, got {other:?}"),
        }
    }
}

#[test]
fn request_errors() {
    assert!(matches!(graphql_operations(r#"{"variables": {}}"#), Err(GraphqlError::Request(_))));
    assert!(matches!(graphql_operations(r#"{"query": "{ a }", "operationName": "Z"}"#), Err(GraphqlError::Request(_))));
    assert!(matches!(
        graphql_operations(r#"[{"query": "{ a }"}, {"query": "{"}]"#),
        Err(GraphqlError::InBatch { index: 1, .. })
    ));
    assert!(matches!(graphql_operations("[1, 2"), Err(GraphqlError::Request(_))));
}

#[test]
fn limits_are_enforced() {
    let limits = GraphqlLimits { max_document_bytes: 1000, max_tokens: 50, max_depth: 5, max_batch: 2 };
    let deep = format!("{}a{}", "{ a ".repeat(10), " }".repeat(10));
    assert_eq!(graphql_operations_with(&deep, &limits), Err(GraphqlError::TooDeep { max: 5 }));
    let long = format!("{{ {} }}", "a ".repeat(100));
    assert_eq!(graphql_operations_with(&long, &limits), Err(GraphqlError::TooManyTokens { max: 50 }));
    let big = format!("{{ a # {} \n}}", "x".repeat(1000));
    assert!(matches!(graphql_operations_with(&big, &limits), Err(GraphqlError::TooLarge { .. })));
    let batch = r#"[{"query": "{a}"}, {"query": "{a}"}, {"query": "{a}"}]"#;
    assert_eq!(graphql_operations_with(batch, &limits), Err(GraphqlError::BatchTooLarge { count: 3, max: 2 }));
    let deep_value = format!("{{ a(x: {}1{}) }}", "[".repeat(10), "]".repeat(10));
    assert_eq!(graphql_operations_with(&deep_value, &limits), Err(GraphqlError::TooDeep { max: 5 }));
}
