//! Metlo's testing-config language, which describes who may do what so that the
//! authorization templates can pick real users and objects:
//!
//! ```text
//! # hosts: how to authenticate, and where to send test requests
//! host "api.example.com" { authType = "jwt", headerKey = "Authorization", testingHost = "127.0.0.1:8088" }
//! # actors are the users or keys, each item with an `auth` value
//! actor User { items = [{"id": "1", "role": "user", "auth": "Bearer ..."},
//!                       {"id": "2", "role": "user", "auth": "Bearer ..."}] }
//! # resources are the objects, and the endpoints that touch them
//! resource Order { permissions = ["read"], items = [{"id": "1", "owner": "1"}, {"id": "2", "owner": "2"}],
//!                  endpoints = [{"permissions": ["read"], "method": "GET", "path": "^/orders/"}] }
//! # rules: which actors (filtered by their fields) have which permissions on which objects
//! has_permission(User(id = "1"), ["read"], Order(owner = "1"))
//! has_permission(User(role = "admin"), ["read"], Order)
//! ```
//!
//! Declarations are `host`, `actor` or `resource`, a name (a word or a quoted string) and
//! members `name = JSON value`. Rules are `has_permission(ACTOR, [PERMISSIONS],
//! RESOURCE)`, where actor and resource may carry equality filters on their items'
//! fields. `#` starts a comment.

use serde_json::{Map, Value};

/// A parsed testing config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthzConfig {
    pub hosts: Vec<HostDef>,
    pub actors: Vec<EntityDef>,
    pub resources: Vec<ResourceDef>,
    pub permissions: Vec<Permission>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HostDef {
    pub name: String,
    pub members: Map<String, Value>,
}

impl HostDef {
    /// Returns the host to send test requests to instead of the one seen in traffic.
    pub fn testing_host(&self) -> Option<&str> {
        self.members.get("testingHost").and_then(Value::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntityDef {
    pub name: String,
    pub items: Vec<Map<String, Value>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    pub name: String,
    pub items: Vec<Map<String, Value>>,
    pub endpoints: Vec<EndpointFilter>,
}

/// Filter of the endpoints that touch a resource, with the permissions they need.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointFilter {
    pub permissions: Vec<String>,
    pub methods: Vec<String>,
    /// Regular expressions matched against the host and the path template.
    pub host: Option<String>,
    pub path: Option<String>,
}

/// `has_permission(actor, permissions, resource)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    pub actor: Selector,
    pub permissions: Vec<String>,
    pub resource: Selector,
}

/// An actor or resource name with equality filters on its items.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub name: String,
    pub filters: Map<String, Value>,
}

impl Selector {
    fn matches(&self, item: &Map<String, Value>) -> bool {
        self.filters.iter().all(|(key, value)| item.get(key).is_some_and(|v| same_value(v, value)))
    }
}

/// Values compare as text, so `"1"` and `1` are the same id.
fn same_value(a: &Value, b: &Value) -> bool {
    text(a) == text(b)
}

pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RulesError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses the testing-config language.
pub fn parse(text: &str) -> Result<AuthzConfig, RulesError> {
    let mut parser = Parser { chars: text.chars().collect(), index: 0 };
    let mut config = AuthzConfig::default();
    loop {
        parser.skip_space();
        if parser.at_end() {
            break;
        }
        let word = parser.identifier()?;
        match word.as_str() {
            "has_permission" => {
                parser.expect('(')?;
                let actor = parser.selector()?;
                parser.expect(',')?;
                let permissions = parser.string_list()?;
                parser.expect(',')?;
                let resource = parser.selector()?;
                parser.expect(')')?;
                config.permissions.push(Permission { actor, permissions, resource });
            }
            "host" | "actor" | "resource" => {
                let name = parser.identifier()?;
                let members = parser.members()?;
                match word.as_str() {
                    "host" => config.hosts.push(HostDef { name, members }),
                    "actor" => config.actors.push(EntityDef { name, items: items(&members) }),
                    _ => {
                        let endpoints = endpoint_filters(&members).map_err(|message| parser.error(&message))?;
                        config.resources.push(ResourceDef { name, items: items(&members), endpoints });
                    }
                }
            }
            other => {
                return Err(parser.error(&format!(
                    "unknown statement `{other}`: expected `host`, `actor`, `resource` or `has_permission`"
                )));
            }
        }
    }
    Ok(config)
}

fn items(members: &Map<String, Value>) -> Vec<Map<String, Value>> {
    match members.get("items") {
        Some(Value::Array(list)) => list.iter().filter_map(|v| v.as_object().cloned()).collect(),
        _ => Vec::new(),
    }
}

fn endpoint_filters(members: &Map<String, Value>) -> Result<Vec<EndpointFilter>, String> {
    let Some(list) = members.get("endpoints") else { return Ok(Vec::new()) };
    let Value::Array(list) = list else { return Err("`endpoints` must be a list".into()) };
    let mut out = Vec::new();
    for entry in list {
        let Value::Object(entry) = entry else { return Err("each endpoint filter must be an object".into()) };
        let permissions = match entry.get("permissions") {
            Some(Value::Array(p)) => p.iter().map(text).collect(),
            _ => return Err("each endpoint filter needs a `permissions` list".into()),
        };
        let methods = match entry.get("method") {
            Some(Value::String(m)) => vec![m.to_ascii_uppercase()],
            Some(Value::Array(list)) => list.iter().map(|m| text(m).to_ascii_uppercase()).collect(),
            _ => Vec::new(),
        };
        for key in ["host", "path"] {
            if let Some(pattern) = entry.get(key).and_then(Value::as_str)
                && regex::Regex::new(pattern).is_err()
            {
                return Err(format!("invalid regular expression in `{key}`: {pattern}"));
            }
        }
        out.push(EndpointFilter {
            permissions,
            methods,
            host: entry.get("host").and_then(Value::as_str).map(str::to_string),
            path: entry.get("path").and_then(Value::as_str).map(str::to_string),
        });
    }
    Ok(out)
}

struct Parser {
    chars: Vec<char>,
    index: usize,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.index >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.index).copied()
    }

    fn error(&self, message: &str) -> RulesError {
        let before = &self.chars[..self.index.min(self.chars.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
        RulesError { line, column, message: message.to_string() }
    }

    /// Skips whitespace and `#` comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.index += 1;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.index += 1;
                }
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), RulesError> {
        self.skip_space();
        if self.peek() == Some(wanted) {
            self.index += 1;
            Ok(())
        } else {
            let found = self.peek().map(|c| format!("`{c}`")).unwrap_or_else(|| "the end".into());
            Err(self.error(&format!("expected `{wanted}`, found {found}")))
        }
    }

    /// Reads a word of letters, digits and `_`, or a quoted string.
    fn identifier(&mut self) -> Result<String, RulesError> {
        self.skip_space();
        if self.peek() == Some('"') {
            return self.string();
        }
        let start = self.index;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.index += 1;
        }
        if start == self.index {
            return Err(self.error("expected a name"));
        }
        Ok(self.chars[start..self.index].iter().collect())
    }

    fn string(&mut self) -> Result<String, RulesError> {
        self.expect('"')?;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unclosed string")),
                Some('"') => {
                    self.index += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.index += 1;
                    let escaped = self.peek().ok_or_else(|| self.error("unclosed string"))?;
                    self.index += 1;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                Some(c) => {
                    out.push(c);
                    self.index += 1;
                }
            }
        }
    }

    fn string_list(&mut self) -> Result<Vec<String>, RulesError> {
        self.expect('[')?;
        let mut out = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(']') {
                self.index += 1;
                return Ok(out);
            }
            if !out.is_empty() {
                self.expect(',')?;
                self.skip_space();
            }
            out.push(self.string()?);
        }
    }

    fn selector(&mut self) -> Result<Selector, RulesError> {
        let name = self.identifier()?;
        let mut filters = Map::new();
        self.skip_space();
        if self.peek() == Some('(') {
            self.index += 1;
            loop {
                self.skip_space();
                if self.peek() == Some(')') {
                    self.index += 1;
                    break;
                }
                if !filters.is_empty() {
                    self.expect(',')?;
                }
                let key = self.identifier()?;
                self.expect('=')?;
                let value = self.json_value()?;
                filters.insert(key, value);
            }
        }
        Ok(Selector { name, filters })
    }

    /// `{ name = JSON, ... }`.
    fn members(&mut self) -> Result<Map<String, Value>, RulesError> {
        self.expect('{')?;
        let mut members = Map::new();
        loop {
            self.skip_space();
            if self.peek() == Some('}') {
                self.index += 1;
                return Ok(members);
            }
            if !members.is_empty() {
                self.expect(',')?;
                self.skip_space();
                if self.peek() == Some('}') {
                    self.index += 1;
                    return Ok(members);
                }
            }
            let name = self.identifier()?;
            self.expect('=')?;
            let value = self.json_value()?;
            members.insert(name, value);
        }
    }

    /// Reads one JSON value by finding where it ends and handing the text to serde_json.
    fn json_value(&mut self) -> Result<Value, RulesError> {
        self.skip_space();
        let start = self.index;
        let mut depth = 0usize;
        let mut in_string = false;
        while let Some(c) = self.peek() {
            if in_string {
                match c {
                    '\\' => self.index += 1,
                    '"' => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    '"' => in_string = true,
                    '[' | '{' => depth += 1,
                    ']' | '}' if depth == 0 => break,
                    ']' | '}' => depth -= 1,
                    ',' | ')' if depth == 0 => break,
                    '\n' if depth == 0 => break,
                    _ => {}
                }
            }
            self.index += 1;
        }
        let raw: String = self.chars[start..self.index.min(self.chars.len())].iter().collect();
        serde_json::from_str(raw.trim()).map_err(|e| {
            self.index = start;
            self.error(&format!("invalid JSON value: {e}"))
        })
    }
}

impl AuthzConfig {
    pub fn host(&self, name: &str) -> Option<&HostDef> {
        self.hosts.iter().find(|h| h.name.eq_ignore_ascii_case(name))
    }

    fn entity_items(&self, name: &str) -> &[Map<String, Value>] {
        if let Some(actor) = self.actors.iter().find(|a| a.name == name) {
            return &actor.items;
        }
        self.resources.iter().find(|r| r.name == name).map(|r| r.items.as_slice()).unwrap_or(&[])
    }

    /// Resources an endpoint touches, with the permissions it needs on each.
    pub fn endpoint_permissions(&self, method: &str, host: &str, path: &str) -> Vec<(&ResourceDef, Vec<String>)> {
        let mut out = Vec::new();
        for resource in &self.resources {
            let mut needed: Vec<String> = Vec::new();
            for filter in &resource.endpoints {
                let method_ok =
                    filter.methods.is_empty() || filter.methods.iter().any(|m| m.eq_ignore_ascii_case(method));
                let host_ok =
                    filter.host.as_deref().is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(host)));
                let path_ok =
                    filter.path.as_deref().is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(path)));
                if method_ok && host_ok && path_ok {
                    for permission in &filter.permissions {
                        if !needed.contains(permission) {
                            needed.push(permission.clone());
                        }
                    }
                }
            }
            if !needed.is_empty() {
                out.push((resource, needed));
            }
        }
        out
    }

    /// Actor items that carry an `auth` value, as `(actor name, item)`.
    pub fn authenticated_actors(&self) -> Vec<(&str, &Map<String, Value>)> {
        self.actors
            .iter()
            .flat_map(|a| a.items.iter().filter(|i| i.contains_key("auth")).map(move |i| (a.name.as_str(), i)))
            .collect()
    }

    /// True when `actor` (an item of actor type `actor_name`) has all of `needed` on
    /// `item` of `resource`, or on the resource as a whole when `item` is `None`.
    pub fn has_access(
        &self,
        actor_name: &str,
        actor: &Map<String, Value>,
        resource: &str,
        item: Option<&Map<String, Value>>,
        needed: &[String],
    ) -> bool {
        self.permissions.iter().any(|rule| {
            rule.actor.name == actor_name
                && rule.resource.name == resource
                && needed.iter().all(|p| rule.permissions.contains(p))
                && rule.actor.matches(actor)
                && match item {
                    Some(item) => rule.resource.matches(item),
                    None => rule.resource.filters.is_empty(),
                }
        })
    }

    /// Items of a resource or actor by name.
    pub fn items_of(&self, name: &str) -> &[Map<String, Value>] {
        self.entity_items(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULES: &str = r#"
# hosts
host "127.0.0.1:8088" { authType = "jwt", headerKey = "Authorization", testingHost = "127.0.0.1:9999" }
actor User {
    items = [
        {"id": "1", "role": "user", "auth": "Bearer a"},
        {"id": "2", "role": "user", "auth": "Bearer b"},
        {"id": "3", "role": "admin", "auth": "Bearer c"}
    ]
}
resource Order {
    permissions = ["read"],
    items = [{"id": 1, "owner": "1"}, {"id": 2, "owner": "2"}],
    endpoints = [{"permissions": ["read"], "method": "GET", "path": "^/orders/"}]
}
has_permission(User(id = "1"), ["read"], Order(owner = "1"))
has_permission(User(id = "2"), ["read"], Order(owner = "2"))
has_permission(User(role = "admin"), ["read"], Order)
"#;

    #[test]
    fn parses_declarations_and_rules() {
        let config = parse(RULES).unwrap();
        assert_eq!(config.host("127.0.0.1:8088").unwrap().testing_host(), Some("127.0.0.1:9999"));
        assert_eq!(config.actors[0].items.len(), 3);
        assert_eq!(config.resources[0].items[1]["owner"], json!("2"));
        assert_eq!(config.permissions.len(), 3);
        assert_eq!(config.permissions[0].actor.filters["id"], json!("1"));
        assert!(config.permissions[2].resource.filters.is_empty());
    }

    #[test]
    fn access_follows_rules() {
        let config = parse(RULES).unwrap();
        let users = config.items_of("User");
        let orders = config.items_of("Order");
        let read = vec!["read".to_string()];
        assert!(config.has_access("User", &users[0], "Order", Some(&orders[0]), &read));
        assert!(!config.has_access("User", &users[0], "Order", Some(&orders[1]), &read));
        assert!(config.has_access("User", &users[2], "Order", Some(&orders[1]), &read));
        assert!(!config.has_access("User", &users[0], "Order", Some(&orders[0]), &["write".to_string()]));
        assert!(config.has_access("User", &users[2], "Order", None, &read));
    }

    #[test]
    fn endpoint_permissions_match_filters() {
        let config = parse(RULES).unwrap();
        let found = config.endpoint_permissions("GET", "127.0.0.1:8088", "/orders/{id}");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, vec!["read".to_string()]);
        assert!(config.endpoint_permissions("DELETE", "h", "/orders/{id}").is_empty());
    }

    #[test]
    fn errors_have_positions() {
        let error = parse("actor User {\n  items = [1,\n}").unwrap_err();
        assert_eq!(error.line, 2);
        let error = parse("permission(User, [], Order)").unwrap_err();
        assert!(error.message.starts_with("unknown statement `permission`"), "{error}");
        assert_eq!((error.line, error.column), (1, 11));
    }
}
