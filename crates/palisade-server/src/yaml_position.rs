//! Finds where in a YAML file a setting sits, for errors found after the file parsed.
//!
//! Settings are checked once the whole file is read, so their errors carry no position of
//! their own. Their messages name the setting (`detection.limits.max_decode_rounds`,
//! `actors.trusted_proxies[0]`) or quote the rejected value (`"XX"`). [`locate`] reads the
//! file again as a tree of nodes with positions and looks those up.

use palisade_core::yaml::{Node, NodeValue, Position};

/// Returns the position of the setting or value that `message` names in the YAML `text`.
///
/// In order: a quoted value inside a setting the message names, then the setting itself,
/// then a quoted value that occurs exactly once in the file. `None` when the text does not
/// parse or nothing matches.
pub fn locate(text: &str, message: &str) -> Option<Position> {
    let root: Node = serde_saphyr::from_str(text).ok()?;
    let quoted = quoted_values(message);
    let outside_quotes = without_quoted(message);
    let paths: Vec<Vec<Step>> = setting_paths(&outside_quotes);

    for path in &paths {
        let Some(node) = resolve(&root, path) else { continue };
        for value in &quoted {
            if let Some(found) = unique_scalar(node, value) {
                return Some(found.position);
            }
        }
    }
    if let Some(node) = paths.iter().find_map(|path| resolve(&root, path)) {
        return Some(node.position);
    }
    quoted.iter().find_map(|value| unique_scalar(&root, value)).map(|node| node.position)
}

/// Returns the setting (`server.listen`, `hostMap[0].pattern`) whose key or value starts
/// at `line` and `column` of the YAML `text`, as a parse error reports them. `None` when
/// the text does not parse as YAML or no setting starts there.
pub fn setting_at(text: &str, line: u32, column: u32) -> Option<String> {
    let root: Node = serde_saphyr::from_str(text).ok()?;
    let mut path = String::new();
    find_setting(&root, Position { line, column }, &mut path).then_some(path)
}

/// Appends to `path` the steps from `node` to the setting at `at`; false, with `path`
/// unchanged, when none is there.
fn find_setting(node: &Node, at: Position, path: &mut String) -> bool {
    let depth = path.len();
    let step = |path: &mut String, child: &Node, name: &dyn std::fmt::Display, is_key: bool| {
        if is_key {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&name.to_string());
        } else {
            path.push_str(&format!("[{name}]"));
        }
        // A mapping or list starts where its first entry does, so the deeper setting wins.
        if find_setting(child, at, path) || child.position == at {
            return true;
        }
        path.truncate(depth);
        false
    };
    match &node.value {
        NodeValue::Mapping(entries) => entries.iter().any(|(key, value)| {
            let Some(name) = scalar_text(key) else { return false };
            if key.position == at { step(path, key, &name, true) } else { step(path, value, &name, true) }
        }),
        NodeValue::Sequence(items) => items.iter().enumerate().any(|(index, item)| step(path, item, &index, false)),
        _ => false,
    }
}

/// Returns the text of a scalar node as a message would quote it, and `None` for lists
/// and mappings.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        NodeValue::Null => Some(String::new()),
        NodeValue::Bool(value) => Some(value.to_string()),
        NodeValue::Number(value) => Some(value.to_string()),
        NodeValue::String(value) => Some(value.clone()),
        NodeValue::Sequence(_) | NodeValue::Mapping(_) => None,
    }
}

/// One step of a setting path: a key or an item index.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Follows `path` from `root`; `None` when a step is missing.
fn resolve<'a>(root: &'a Node, path: &[Step]) -> Option<&'a Node> {
    let mut node = root;
    for step in path {
        node = match (&node.value, step) {
            (NodeValue::Mapping(entries), Step::Key(key)) => {
                &entries.iter().find(|(name, _)| name.as_str() == Some(key.as_str()))?.1
            }
            (NodeValue::Sequence(items), Step::Index(index)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Returns the only scalar under `node`, itself included, whose text is `value`.
fn unique_scalar<'a>(node: &'a Node, value: &str) -> Option<&'a Node> {
    let mut found = Vec::new();
    collect_scalars(node, value, &mut found);
    match found.as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

fn collect_scalars<'a>(node: &'a Node, value: &str, found: &mut Vec<&'a Node>) {
    match &node.value {
        NodeValue::Sequence(items) => items.iter().for_each(|item| collect_scalars(item, value, found)),
        NodeValue::Mapping(entries) => entries.iter().for_each(|(_, child)| collect_scalars(child, value, found)),
        _ if scalar_text(node).as_deref() == Some(value) => found.push(node),
        _ => {}
    }
}

/// Texts in double quotes in `message`, as Rust's `{:?}` writes strings (escapes are kept
/// as written, so values with quotes or backslashes are not found).
fn quoted_values(message: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        if end > 0 {
            values.push(after[..end].to_string());
        }
        rest = &after[end + 1..];
    }
    values
}

/// `message` with every quoted text removed, so values such as `"sqli.nope"` are not read
/// as setting paths.
fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            inside = !inside;
            out.push(' ');
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// Returns the setting paths in `text`: words joined by `.` or followed by `[index]`, with at least one
/// of either (`detection.disabled_rules`, `webhooks[0]`), longest first.
fn setting_paths(text: &str) -> Vec<Vec<Step>> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut paths = Vec::new();
    for token in text.split(|c: char| !(is_word(c) || matches!(c, '.' | '[' | ']'))) {
        let token = token.trim_matches('.');
        if !(token.contains('.') || token.contains('[')) {
            continue;
        }
        if let Some(path) = parse_path(token) {
            paths.push(path);
        }
    }
    paths.sort_by_key(|path| std::cmp::Reverse(path.len()));
    paths
}

fn parse_path(token: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in token.split('.') {
        let (name, mut indexes) = match part.find('[') {
            Some(open) => (&part[..open], &part[open..]),
            None => (part, ""),
        };
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        steps.push(Step::Key(name.to_string()));
        while let Some(inner) = indexes.strip_prefix('[') {
            let close = inner.find(']')?;
            steps.push(Step::Index(inner[..close].parse().ok()?));
            indexes = &inner[close + 1..];
        }
        if !indexes.is_empty() {
            return None;
        }
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "version: 1
detection:
  disabled_rules: [xss.tag, sqli.nope]
  limits:
    max_decode_rounds: 0
actors:
  trusted_proxies:
    - 10.0.0.0/8
    - 10.0.0.300
classification:
  phone_regions: [US, XX]
";

    fn line(message: &str) -> Option<u32> {
        locate(FILE, message).map(|position| position.line)
    }

    #[test]
    fn setting_at_names_keys_values_and_items() {
        assert_eq!(setting_at(FILE, 5, 24).as_deref(), Some("detection.limits.max_decode_rounds"));
        assert_eq!(setting_at(FILE, 5, 5).as_deref(), Some("detection.limits.max_decode_rounds"));
        assert_eq!(setting_at(FILE, 9, 7).as_deref(), Some("actors.trusted_proxies[1]"));
        assert_eq!(setting_at(FILE, 11, 23).as_deref(), Some("classification.phone_regions[1]"));
        assert_eq!(setting_at(FILE, 1, 1).as_deref(), Some("version"));
        assert_eq!(setting_at(FILE, 4, 9), None, "no setting starts inside a key");
        assert_eq!(setting_at("a: [", 1, 4), None, "text that is not YAML");
    }

    #[test]
    fn dotted_setting_names_its_line() {
        assert_eq!(line("invalid detection.limits.max_decode_rounds of 0: expected at least 1"), Some(5));
    }

    #[test]
    fn indexed_setting_names_the_item() {
        let message = r#"invalid actors.trusted_proxies[1] "10.0.0.300": expected an IP address"#;
        assert_eq!(line(message), Some(9));
        assert_eq!(locate(FILE, message).unwrap().column, 7);
    }

    #[test]
    fn quoted_value_inside_named_setting() {
        assert_eq!(line(r#"unknown rule id "sqli.nope" in detection.disabled_rules"#), Some(3));
    }

    #[test]
    fn quoted_value_alone_when_unique() {
        assert_eq!(line(r#"invalid phone region "XX": expected an ISO 3166 alpha-2 code"#), Some(11));
    }

    #[test]
    fn unknown_names_give_no_position() {
        assert_eq!(line(r#"invalid phone region "ZZ""#), None);
        assert_eq!(line("invalid server.listen"), None);
        assert_eq!(line("no setting named here"), None);
    }

    #[test]
    fn unparsable_text_gives_no_position() {
        assert_eq!(locate("a: [", "invalid a.b"), None);
    }

    #[test]
    fn setting_paths_skip_words_and_numbers() {
        let paths = setting_paths("invalid hostBlockList[0] of 1.5 in x");
        assert_eq!(paths, vec![vec![Step::Key("hostBlockList".into()), Step::Index(0)]]);
    }
}
