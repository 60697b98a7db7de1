//! A lenient XML reader that reports element and attribute names as keys, and attribute
//! values and text as values, with entity references decoded by the value decoder later.
//! It does not resolve entities or load DTDs: the raw document is checked for external
//! entities separately.

use super::{BodyItem, ReadSummary};

/// Reads `text`, calling `visit` for each name and value until it returns false.
pub fn walk(text: &str, max_depth: usize, visit: &mut dyn FnMut(BodyItem<'_>) -> bool) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let bytes = text.as_bytes();
    let mut path: Vec<&str> = Vec::new();
    let mut path_text = String::new();
    let mut i = 0;

    let rebuild = |path: &[&str], out: &mut String| {
        out.clear();
        for (index, name) in path.iter().enumerate() {
            if index > 0 {
                out.push('.');
            }
            out.push_str(name);
        }
    };

    while i < bytes.len() {
        if bytes[i] != b'<' {
            let end = bytes[i..].iter().position(|&b| b == b'<').map(|p| i + p).unwrap_or(bytes.len());
            let content = text[i..end].trim();
            if !content.is_empty() && !visit(BodyItem::Value { path: &path_text, value: content }) {
                return summary;
            }
            i = end;
            continue;
        }

        let rest = &text[i..];
        // Comments, CDATA, declarations and processing instructions.
        if rest.starts_with("<!--") {
            i += rest.find("-->").map(|p| p + 3).unwrap_or(rest.len());
            continue;
        }
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            if !visit(BodyItem::Value { path: &path_text, value: &cdata[..end] }) {
                return summary;
            }
            i += 9 + end + 3.min(cdata.len() - end);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i += declaration_end(rest);
            continue;
        }
        if let Some(closing) = rest.strip_prefix("</") {
            path.pop();
            rebuild(&path, &mut path_text);
            i += 2 + closing.find('>').map(|p| p + 1).unwrap_or(closing.len());
            continue;
        }

        // A start tag: name, attributes, optional self-closing `/`.
        let tag_end = find_tag_end(rest);
        let inner_end = if rest.as_bytes()[tag_end - 1] == b'>' { tag_end - 1 } else { tag_end };
        let tag = &rest[1..inner_end.max(1)];
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_ascii_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];

        if path.len() >= max_depth {
            summary.too_deep += 1;
            i += tag_end;
            continue;
        }
        path.push(name);
        rebuild(&path, &mut path_text);
        if !visit(BodyItem::Key { path: &path_text, key: name }) {
            return summary;
        }
        for (attribute, value) in attributes(&tag[name_end..]) {
            if !visit(BodyItem::Attribute { path: &path_text, key: attribute }) {
                return summary;
            }
            if !visit(BodyItem::Value { path: &path_text, value }) {
                return summary;
            }
        }
        if self_closing {
            path.pop();
            rebuild(&path, &mut path_text);
        }
        i += tag_end;
    }
    if !path.is_empty() {
        summary.malformed = true;
    }
    summary
}

/// Length of a `<!...>` or `<?...?>` construct, including an internal DTD subset in
/// brackets.
fn declaration_end(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut depth = 0usize;
    for (index, &b) in bytes.iter().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'>' if depth == 0 => return index + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// Length of a start tag up to and including `>`, skipping `>` inside quoted values.
fn find_tag_end(rest: &str) -> usize {
    let mut quote = None;
    for (index, b) in rest.bytes().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), b) if b == q => quote = None,
            (None, b'>') => return index + 1,
            _ => {}
        }
    }
    rest.len()
}

/// Parses `name="value"` pairs.
fn attributes(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(equals) = rest.find('=') {
        let name = rest[..equals].trim();
        let after = rest[equals + 1..].trim_start();
        let quote = after.chars().next();
        let (value, remaining) = match quote {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], &body[(end + 1).min(body.len())..])
            }
            _ => {
                let end = after.find(|c: char| c.is_ascii_whitespace()).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        let name = name.rsplit(|c: char| c.is_ascii_whitespace()).next().unwrap_or(name);
        if !name.is_empty() {
            out.push((name, value));
        }
        rest = remaining;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(xml: &str) -> Vec<String> {
        let mut seen = Vec::new();
        walk(xml, 32, &mut |item| {
            seen.push(match item {
                BodyItem::Key { path, key } => format!("key {path} {key}"),
                BodyItem::Attribute { path, key } => format!("attribute {path} {key}"),
                BodyItem::Value { path, value } => format!("value {path} {value}"),
            });
            true
        });
        seen
    }

    #[test]
    fn reads_names_attributes_and_text() {
        let seen = items(r#"<?xml version="1.0"?><order id="7"><item note="a > b">x</item><empty/></order>"#);
        assert_eq!(
            seen,
            vec![
                "key order order",
                "attribute order id",
                "value order 7",
                "key order.item item",
                "attribute order.item note",
                "value order.item a > b",
                "value order.item x",
                "key order.empty empty",
            ]
        );
    }

    #[test]
    fn doctype_and_cdata() {
        let seen = items("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r><![CDATA[<b>]]></r>");
        assert_eq!(seen, vec!["key r r", "value r <b>"]);
    }

    #[test]
    fn garbage_does_not_panic() {
        for input in ["<", "<<<>>>", "<a b=\"", "</x></y>", "<![CDATA[", "<!--", "text only"] {
            let _ = items(input);
        }
    }
}
