//! Authorization templates: object level (BOLA, also for admins and tenants) and function
//! level (BFLA). They need two identities; the testing-config rules supply them, or the
//! test lists `AUTH_A`, `AUTH_B` (and the objects' path values) to give with `--env`.

use serde_json::{Map, Value};

use super::build::{self, denied_step, not_applicable, step, with_credential};
use crate::generate::authz::{AuthzConfig, text};
use crate::generate::{Endpoint, GenContext, GenerateError, finish};
use crate::model::{Severity, TestFile};

/// Identities and object values picked from the testing-config rules.
#[derive(Debug, Default)]
struct Picked {
    auth_a: Option<String>,
    auth_b: Option<String>,
    auth_admin: Option<String>,
    values_a: Vec<(String, String)>,
    values_b: Vec<(String, String)>,
}

/// Returns the endpoint's URL with each path parameter `p` written as `{{PREFIX_P}}`.
fn url_for(endpoint: &Endpoint, prefix: &str) -> String {
    let path: Vec<String> = endpoint
        .template
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => format!("{{{{{}}}}}", param_var(prefix, name)),
            None => segment.to_string(),
        })
        .collect();
    format!("{{{{BASE_URL}}}}{}", path.join("/"))
}

fn param_var(prefix: &str, name: &str) -> String {
    format!("{prefix}_{}", crate::generate::variable_name(name))
}

fn require_params(endpoint: &Endpoint, template: &'static str) -> Result<(), GenerateError> {
    if endpoint.path_params().is_empty() {
        return Err(not_applicable(
            template,
            endpoint,
            "the path has no parameter that names an object, such as /orders/{id}",
        ));
    }
    Ok(())
}

/// Environment entries for the two users and their objects: the rules' values where
/// they exist, the sample's values for user A's object, and empty values otherwise.
fn env_entries(endpoint: &Endpoint, picked: &Picked, admin: bool) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if admin {
        env.push(("AUTH_ADMIN".to_string(), picked.auth_admin.clone().unwrap_or_default()));
    }
    env.push(("AUTH_A".to_string(), picked.auth_a.clone().unwrap_or_default()));
    env.push(("AUTH_B".to_string(), picked.auth_b.clone().unwrap_or_default()));
    let sample = endpoint.path_values();
    for (name, sample_value) in &sample {
        let a = lookup(&picked.values_a, name).unwrap_or_else(|| sample_value.clone());
        env.push((param_var("A", name), a));
    }
    for (name, _) in &sample {
        let b = lookup(&picked.values_b, name).unwrap_or_default();
        env.push((param_var("B", name), b));
    }
    env
}

fn lookup(values: &[(String, String)], name: &str) -> Option<String> {
    values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Picks two users where each may access an object the other may not, and an admin who
/// may access every object, from the rules.
fn pick(context: &GenContext) -> Picked {
    let Some(config) = &context.authz else { return Picked::default() };
    let endpoint = &context.endpoint;
    let resources = config.endpoint_permissions(endpoint.method.as_str(), &endpoint.host, &endpoint.template);
    let Some((resource, needed)) = resources.first() else { return Picked::default() };
    let actors = config.authenticated_actors();
    let mut picked = Picked::default();

    let admin = actors.iter().find(|(name, item)| config.has_access(name, item, &resource.name, None, needed));
    picked.auth_admin = admin.and_then(|(_, item)| item.get("auth")).map(text);

    let users: Vec<_> =
        actors.iter().filter(|(name, item)| !config.has_access(name, item, &resource.name, None, needed)).collect();
    for (i, (name_a, a)) in users.iter().enumerate() {
        for (name_b, b) in users.iter().skip(i + 1) {
            let only = |x: &(&str, &Map<String, Value>), y: &(&str, &Map<String, Value>)| {
                resource.items.iter().find(|item| {
                    config.has_access(x.0, x.1, &resource.name, Some(item), needed)
                        && !config.has_access(y.0, y.1, &resource.name, Some(item), needed)
                })
            };
            let Some(item_a) = only(&(name_a, a), &(name_b, b)) else { continue };
            let item_b = only(&(name_b, b), &(name_a, a));
            picked.auth_a = a.get("auth").map(text);
            picked.auth_b = b.get("auth").map(text);
            picked.values_a = param_values(endpoint, config, &resource.name, item_a);
            picked.values_b =
                item_b.map(|item| param_values(endpoint, config, &resource.name, item)).unwrap_or_default();
            return picked;
        }
    }
    picked
}

/// Maps each path parameter to a field of the object: a field of the same name, or `id`
/// for a parameter named `id`, `{resource}Id` or `{resource}_id`.
fn param_values(
    endpoint: &Endpoint,
    _config: &AuthzConfig,
    resource: &str,
    item: &Map<String, Value>,
) -> Vec<(String, String)> {
    let resource = resource.to_ascii_lowercase();
    let params = endpoint.path_params();
    let mut out = Vec::new();
    for name in &params {
        let lower = name.to_ascii_lowercase();
        let field = item.iter().find(|(k, _)| k.to_ascii_lowercase() == lower).map(|(_, v)| v).or_else(|| {
            let id_like = lower == "id"
                || lower == format!("{resource}id")
                || lower == format!("{resource}_id")
                || params.len() == 1;
            if id_like { item.get("id") } else { None }
        });
        if let Some(value) = field {
            out.push((name.clone(), text(value)));
        }
    }
    out
}

pub fn bola(context: &GenContext) -> Result<TestFile, GenerateError> {
    two_user_test(context, "BOLA", Severity::High, &["BOLA", "AUTHORIZATION"])
}

pub fn bola_multi_tenant(context: &GenContext) -> Result<TestFile, GenerateError> {
    two_user_test(context, "BOLA_MULTI_TENANT", Severity::Critical, &["BOLA", "MULTI_TENANT", "AUTHORIZATION"])
}

/// User A reads A's object (a control: it must work), then B reads A's object and A reads
/// B's object, which must both be refused.
fn two_user_test(
    context: &GenContext,
    name: &'static str,
    severity: Severity,
    tags: &[&str],
) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_auth(endpoint, name)?;
    require_params(endpoint, name)?;
    let picked = pick(context);

    let mut test = build::test(name, endpoint, severity, tags);
    let own = with_credential(build::request_to(endpoint, &url_for(endpoint, "A")), endpoint, "AUTH_A");
    test.test.push(step(own, "resp.status < 300"));
    let other = with_credential(build::request_to(endpoint, &url_for(endpoint, "A")), endpoint, "AUTH_B");
    test.test.push(denied_step(other));
    let reverse = with_credential(build::request_to(endpoint, &url_for(endpoint, "B")), endpoint, "AUTH_A");
    test.test.push(denied_step(reverse));
    Ok(finish(test, endpoint, &env_entries(endpoint, &picked, false)))
}

/// Builds a test where an admin reads user A's object (must work) and user B reads it
/// (must be refused).
pub fn bola_admin(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_auth(endpoint, "BOLA_ADMIN")?;
    require_params(endpoint, "BOLA_ADMIN")?;
    let picked = pick(context);

    let mut test = build::test("BOLA_ADMIN", endpoint, Severity::High, &["BOLA", "AUTHORIZATION"]);
    let admin = with_credential(build::request_to(endpoint, &url_for(endpoint, "A")), endpoint, "AUTH_ADMIN");
    test.test.push(step(admin, "resp.status < 300"));
    let other = with_credential(build::request_to(endpoint, &url_for(endpoint, "A")), endpoint, "AUTH_B");
    test.test.push(denied_step(other));
    let mut env = env_entries(endpoint, &picked, true);
    env.retain(|(name, _)| *name != "AUTH_A");
    Ok(finish(test, endpoint, &env))
}

/// Builds a test where an admin calls the endpoint (must work) and a regular user calls it
/// (must be refused).
pub fn bfla(context: &GenContext) -> Result<TestFile, GenerateError> {
    let endpoint = &context.endpoint;
    build::require_auth(endpoint, "BFLA")?;
    let picked = pick(context);

    let mut test = build::test("BFLA", endpoint, Severity::High, &["BFLA", "AUTHORIZATION"]);
    test.test.push(step(with_credential(build::request(endpoint), endpoint, "AUTH_ADMIN"), "resp.status < 300"));
    test.test.push(denied_step(with_credential(build::request(endpoint), endpoint, "AUTH_USER")));
    let env = [
        ("AUTH_ADMIN".to_string(), picked.auth_admin.unwrap_or_default()),
        ("AUTH_USER".to_string(), picked.auth_a.or(picked.auth_b).unwrap_or_default()),
    ];
    Ok(finish(test, endpoint, &env))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{AuthType, HostAuth, authz};
    use crate::model::KeyValue;

    const RULES: &str = r#"
actor User {
    items = [
        {"id": "1", "role": "user", "auth": "Bearer token-alice"},
        {"id": "2", "role": "user", "auth": "Bearer token-bob"},
        {"id": "3", "role": "admin", "auth": "Bearer token-admin"}
    ]
}
resource Order {
    items = [{"id": 1, "owner": "1"}, {"id": 2, "owner": "2"}],
    endpoints = [{"permissions": ["read"], "method": "GET", "path": "^/orders/"}]
}
has_permission(User(id = "1"), ["read"], Order(owner = "1"))
has_permission(User(id = "2"), ["read"], Order(owner = "2"))
has_permission(User(role = "admin"), ["read"], Order)
"#;

    fn endpoint(template: &str, path: &str) -> Endpoint {
        Endpoint {
            method: crate::model::Method::Get,
            base_url: "http://127.0.0.1:8088".into(),
            host: "127.0.0.1:8088".into(),
            template: template.into(),
            path: path.into(),
            query: vec![],
            headers: vec![],
            body: None,
            content_type: None,
            auth: Some(HostAuth {
                host: "127.0.0.1:8088".into(),
                auth_type: AuthType::Jwt,
                header_key: None,
                jwt_user_path: None,
                cookie_name: None,
            }),
            placeholders: vec!["AUTH".into()],
        }
    }

    fn env_of(test: &TestFile) -> Vec<KeyValue> {
        test.env.clone()
    }

    #[test]
    fn rules_fill_users_and_objects() {
        let context =
            GenContext { endpoint: endpoint("/orders/{id}", "/orders/9"), authz: Some(authz::parse(RULES).unwrap()) };
        let test = bola(&context).unwrap();
        let env = env_of(&test);
        let value = |name: &str| env.iter().find(|e| e.name == name).map(|e| e.value.clone());
        assert_eq!(value("AUTH_A").as_deref(), Some("Bearer token-alice"));
        assert_eq!(value("AUTH_B").as_deref(), Some("Bearer token-bob"));
        assert_eq!(value("A_ID").as_deref(), Some("1"));
        assert_eq!(value("B_ID").as_deref(), Some("2"));
        assert_eq!(value("AUTH"), None, "the endpoint's own credential is not used by a two-user test");
        assert_eq!(test.test[1].request.url, "{{BASE_URL}}/orders/{{A_ID}}");
        assert_eq!(test.test[1].request.headers, vec![KeyValue::new("Authorization", "{{AUTH_B}}")]);

        let admin = bola_admin(&context).unwrap();
        let admin_env = env_of(&admin);
        assert!(admin_env.contains(&KeyValue::new("AUTH_ADMIN", "Bearer token-admin")));
    }

    #[test]
    fn without_rules_values_are_left_to_fill() {
        let context = GenContext { endpoint: endpoint("/orders/{id}", "/orders/9"), authz: None };
        let test = bola(&context).unwrap();
        let env = env_of(&test);
        assert!(env.contains(&KeyValue::new("AUTH_A", "")));
        assert!(env.contains(&KeyValue::new("A_ID", "9")));
        assert!(env.contains(&KeyValue::new("B_ID", "")));
    }

    #[test]
    fn bola_needs_a_path_parameter_and_a_credential() {
        let context = GenContext { endpoint: endpoint("/orders", "/orders"), authz: None };
        assert!(matches!(bola(&context), Err(GenerateError::NotApplicable { .. })));
        let mut no_auth = endpoint("/orders/{id}", "/orders/1");
        no_auth.auth = None;
        assert!(matches!(
            bola(&GenContext { endpoint: no_auth, authz: None }),
            Err(GenerateError::NotApplicable { .. })
        ));
    }
}
