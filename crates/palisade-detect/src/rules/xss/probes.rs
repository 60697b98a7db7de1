//! Shapes that testers and scanners send to learn how a page or filter treats markup,
//! checked after the markup and script rules of `xss` found nothing. Each check starts
//! from a byte or a short prefix that the value must hold, so values without one cost a
//! single byte search.
//!
//! What is flagged:
//!
//! - A value that is nothing but `<`, `<>`, `</` or `<%` after decoding (`&lt;`, `&#60`,
//!   `\x3c`, `%3C`, `\u003c`): a probe for whether the page escapes the bracket. Low
//!   confidence, `xss.dangerous_tag`. A comparison operator sent alone as a value looks
//!   the same, which is why the confidence is low.
//! - `javascript:` or `vbscript:` followed by a call of a script sink anywhere in the
//!   value (`x|" javascript:alert(1)`): high confidence, `xss.javascript_url`.
//! - Markup declarations that no plain-text value holds: a CDATA section wrapping markup,
//!   `<!ATTLIST`, `<!ELEMENT` and `<!NOTATION`, an XML declaration after other content (a
//!   value that starts with one is an XML document, which applications accept in fields),
//!   an
//!   `<?xml-stylesheet?>` that points into the document (`href="#x"`), and a closed
//!   instruction without a target (`<? x ?>`), the short open tag of server-side code.
//!   Low confidence, `xss.dangerous_tag`. Instructions with a target (`<?xsl-stylesheet?>`,
//!   `<?echo ...?>`) and `<%...%>` templates are left to the code and template rules.
//! - `setTimeout(` or `setInterval(` with any argument: low confidence, `xss.script_call`.
//!
//! This module also contains helpers for `xss::check_tag`. One finds a URL scheme split by
//! whitespace across an unquoted attribute value (`src=java scrip t:`). Others find a tag
//! name padded with other bytes (`<noscript#`), links to obfuscated IP hosts, images that
//! call a server script, and `url(` of an SVG document in CSS.

use super::{
    Attribute, DANGEROUS_TAGS, ScriptNames, URL_ATTRIBUTES, XssMatch, document_tag, find_ignore_case, is_space, memchr,
    sink_call, skip_while, starts_with_ignore_case,
};
use crate::finding::Confidence;

/// Finds probe shapes in a value where no other rule matched. `names` are the script names
/// of the value.
pub(super) fn detect(text: &str, names: ScriptNames) -> Option<XssMatch> {
    let bytes = text.as_bytes();
    let found = |rule_id, confidence, at| Some(XssMatch { rule_id, confidence, at });

    if let Some(at) = lone_angle(bytes) {
        return found("xss.dangerous_tag", Confidence::Low, at);
    }
    if names.sink
        && let Some(at) = script_url_call(bytes)
    {
        return found("xss.javascript_url", Confidence::High, at);
    }
    if memchr(b'<', bytes).is_some()
        && let Some(at) = markup_declaration(bytes)
    {
        return found("xss.dangerous_tag", Confidence::Low, at);
    }
    if names.sink
        && let Some(at) = timer_call(bytes)
    {
        return found("xss.script_call", Confidence::Low, at);
    }
    None
}

/// Returns where the `<` is when the value, without surrounding whitespace, is `<`, `<>`,
/// `</` or `<%`.
fn lone_angle(bytes: &[u8]) -> Option<usize> {
    let start = skip_while(bytes, 0, is_space);
    let mut end = bytes.len();
    while end > start && is_space(bytes[end - 1]) {
        end -= 1;
    }
    matches!(&bytes[start..end], b"<" | b"<>" | b"</" | b"<%").then_some(start)
}

/// Finds a script URL scheme anywhere in the value, followed by a call of a sink:
/// `-new-window javascript:alert(1)`.
fn script_url_call(bytes: &[u8]) -> Option<usize> {
    find_ignore_case(bytes, b"script:")?;
    for scheme in [b"javascript:".as_slice(), b"vbscript:"] {
        let mut from = 0;
        while let Some(offset) = find_ignore_case(&bytes[from..], scheme) {
            let at = from + offset;
            from = at + 1;
            if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let code = skip_while(bytes, at + scheme.len(), is_space);
            if sink_call(bytes, code).is_some() {
                return Some(at);
            }
        }
    }
    None
}

/// Finds markup declarations and instructions that no plain-text value contains. The module
/// documentation lists them.
fn markup_declaration(bytes: &[u8]) -> Option<usize> {
    let content_start = skip_while(bytes, 0, is_space);
    for at in memchr::memchr_iter(b'<', bytes) {
        let rest = &bytes[at + 1..];
        match rest.first() {
            Some(b'!') => {
                if starts_with_ignore_case(rest, b"![cdata[") {
                    let body = &rest[b"![cdata[".len()..];
                    let body = &body[..memchr::memmem::find(body, b"]]>").unwrap_or(body.len())];
                    if memchr::memchr_iter(b'<', body)
                        .any(|open| body.get(open + 1).is_some_and(|&b| b.is_ascii_alphabetic() || b == b'/'))
                    {
                        return Some(at);
                    }
                } else if [b"!attlist".as_slice(), b"!element", b"!notation"]
                    .iter()
                    .any(|declaration| starts_with_ignore_case(rest, declaration))
                {
                    return Some(at);
                }
            }
            Some(b'?') if processing_instruction(bytes, at, content_start) => return Some(at),
            _ => {}
        }
    }
    None
}

/// True for the `<?` at `at` when it starts an XML declaration after other content, an
/// `<?xml-stylesheet?>` whose `href` points into the document, or a closed instruction
/// whose `<?` is followed by whitespace.
fn processing_instruction(bytes: &[u8], at: usize, content_start: usize) -> bool {
    let rest = &bytes[at + 2..];
    let close = memchr::memmem::find(rest, b"?>");
    if starts_with_ignore_case(rest, b"xml-stylesheet") {
        let instruction = &rest[..close.unwrap_or(rest.len())];
        return [b"href=\"#".as_slice(), b"href='#", b"href=#"]
            .iter()
            .any(|local| find_ignore_case(instruction, local).is_some());
    }
    if starts_with_ignore_case(rest, b"xml") && rest.get(3).is_some_and(|&b| is_space(b)) {
        return at > content_start && close.is_some();
    }
    let code_start = skip_while(rest, 0, is_space);
    code_start > 0 && close.is_some_and(|close| close > code_start)
}

/// Finds `setTimeout(` or `setInterval(` with an argument, at the start of a word.
fn timer_call(bytes: &[u8]) -> Option<usize> {
    memchr(b'(', bytes)?;
    for timer in [b"settimeout".as_slice(), b"setinterval"] {
        let mut from = 0;
        while let Some(offset) = find_ignore_case(&bytes[from..], timer) {
            let at = from + offset;
            from = at + 1;
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let open = skip_while(bytes, at + timer.len(), is_space);
            if bytes.get(open) != Some(&b'(') {
                continue;
            }
            let argument = skip_while(bytes, open + 1, is_space);
            if bytes.get(argument).is_some_and(|&b| b != b')') {
                return Some(at);
            }
        }
    }
    None
}

/// Finds a tag spelled in the 7-bit reading of Latin-1, `\u{bc}name\u{be}` or
/// `\u{bc}/name\u{be}` with an ASCII name, in a value with no `<` of its own.
pub(super) fn seven_bit_tag(text: &str) -> Option<XssMatch> {
    const OPEN: &[u8] = "\u{bc}".as_bytes();
    const CLOSE: &[u8] = "\u{be}".as_bytes();

    let bytes = text.as_bytes();
    if memchr(b'<', bytes).is_some() {
        return None;
    }
    memchr::memmem::find_iter(bytes, OPEN).find_map(|at| {
        let mut name_start = at + OPEN.len();
        if bytes.get(name_start) == Some(&b'/') {
            name_start += 1;
        }
        let name_end = skip_while(bytes, name_start, |b| b.is_ascii_alphabetic());
        (name_end > name_start && bytes[name_end..].starts_with(CLOSE)).then_some(XssMatch {
            rule_id: "xss.dangerous_tag",
            confidence: Confidence::Medium,
            at: 0,
        })
    })
}

/// True when a URL attribute's unquoted value starts a script URL scheme that continues,
/// past whitespace, in the rest of the tag: `<img src=java scrip t:alert(1)>`, as the
/// page reads it after removing whitespace.
pub(super) fn spaced_script_url(raw: &[u8], attributes: &[Attribute<'_>]) -> bool {
    const SCHEMES: &[&[u8]] = &[b"javascript:", b"vbscript:"];

    let starts_scheme = attributes.iter().any(|attribute| {
        let Some(value) = attribute.value.map(str::as_bytes) else { return false };
        let url_attribute =
            URL_ATTRIBUTES.iter().any(|name| name.as_bytes().eq_ignore_ascii_case(attribute.name.as_bytes()));
        url_attribute
            && value.len() >= 2
            && SCHEMES
                .iter()
                .any(|scheme| value.len() < scheme.len() && scheme[..value.len()].eq_ignore_ascii_case(value))
    });
    if !starts_scheme {
        return false;
    }
    let compact: Vec<u8> = raw.iter().filter(|&&b| !is_space(b)).map(u8::to_ascii_lowercase).collect();
    SCHEMES.iter().any(|scheme| memchr::memmem::find(&compact, scheme).is_some())
}

/// Returns the known tag name at the start of `name` when other bytes than name characters
/// follow it: `noscript#`, `script&s1`. Names that continue with `-`, `_`, `.` or `:` (custom
/// elements, prefixed names) do not count.
pub(super) fn padded_tag_name(name: &str) -> Option<&str> {
    let bytes = name.as_bytes();
    let end = skip_while(bytes, 0, |b| b.is_ascii_alphanumeric());
    if end == 0 || end == bytes.len() || matches!(bytes[end], b'-' | b'_' | b'.' | b':') {
        return None;
    }
    let known = &name[..end];
    (known == "script" || DANGEROUS_TAGS.contains(&known) || document_tag(known).is_some()).then_some(known)
}

/// True for a link to a host written as an obfuscated IP address (`http://1113982867/`,
/// `http://0x42.0x66.0x7.0x93/`, `http://0102.0146.0007.0223/`), and for an image whose
/// source calls a server script with parameters
/// (`<img src="http://x.example/a.php?do=delete">`), which makes the browser send the
/// request with the user's cookies.
pub(super) fn suspicious_link(tag: &str, attribute: &str, value: &str) -> bool {
    let value = value.trim().as_bytes();
    let after_scheme = [b"http://".as_slice(), b"https://", b"//"]
        .iter()
        .find(|scheme| starts_with_ignore_case(value, scheme))
        .map(|scheme| &value[scheme.len()..]);
    let Some(rest) = after_scheme else { return false };
    let authority = &rest[..rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len())];
    let host = authority.rsplit(|&b| b == b'@').next().unwrap_or(authority);
    let host = host.split(|&b| b == b':').next().unwrap_or(host);
    if obfuscated_ip(host) {
        return true;
    }
    if tag != "img" || attribute != "src" {
        return false;
    }
    let Some(query) = memchr(b'?', rest) else { return false };
    let path = &rest[..query];
    let script = [b".php".as_slice(), b".asp", b".aspx", b".jsp", b".cgi", b".pl"].iter().any(|extension| {
        path.len() > extension.len() && path[path.len() - extension.len()..].eq_ignore_ascii_case(extension)
    });
    script && memchr(b'=', &rest[query..]).is_some()
}

/// True for an IPv4 address written as one decimal number, or with hexadecimal or
/// zero-padded octal parts.
fn obfuscated_ip(host: &[u8]) -> bool {
    if host.is_empty() {
        return false;
    }
    if host.len() >= 8 && host.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let parts: Vec<&[u8]> = host.split(|&b| b == b'.').collect();
    if parts.len() != 4 {
        return false;
    }
    let hex = |part: &[u8]| {
        part.len() > 2 && part[..2].eq_ignore_ascii_case(b"0x") && part[2..].iter().all(u8::is_ascii_hexdigit)
    };
    let decimal = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    let octal = |part: &[u8]| part.len() > 1 && part[0] == b'0' && decimal(part);
    parts.iter().all(|part| hex(part) || decimal(part)) && parts.iter().any(|part| hex(part) || octal(part))
}

/// True when CSS loads an SVG document with `url(`: `content:url(x.svg)`,
/// `clip-path:url(a.svg#b)`.
pub(super) fn svg_url(value: &[u8]) -> bool {
    let mut from = 0;
    while let Some(offset) = find_ignore_case(&value[from..], b"url(") {
        let start = from + offset + b"url(".len();
        let end = memchr(b')', &value[start..]).map_or(value.len(), |close| start + close);
        if find_ignore_case(&value[start..end], b"svg").is_some() {
            return true;
        }
        from = start;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::detect;

    #[test]
    fn probe_shapes() {
        let cases = [
            ("lone bracket", "<", "xss.dangerous_tag"),
            ("lone bracket with spaces", " < ", "xss.dangerous_tag"),
            ("empty tag", "<>", "xss.dangerous_tag"),
            ("scriptlet opener", "<%", "xss.dangerous_tag"),
            (
                "script URL inside a value",
                "firefoxurl:test|\" -new-window javascript:eval(name);\"",
                "xss.javascript_url",
            ),
            ("VBScript URL with a call", "x vbscript:msgbox(1)", "xss.javascript_url"),
            ("CDATA wrapping markup", "<![CDATA[<test></test>]]>", "xss.dangerous_tag"),
            ("attribute list declaration", "<!ATTLIST xsl:stylesheet", "xss.dangerous_tag"),
            ("XML declaration after markup", "<div id=\"43\"><?xml version=\"1.0\"?>", "xss.dangerous_tag"),
            ("stylesheet inside the document", "<?xml-stylesheet type=\"text/xsl\" href=\"#s\"?>", "xss.dangerous_tag"),
            ("short open tag", "<? Tnn96 ?>", "xss.dangerous_tag"),
            ("timer with a variable", "setInterval(code, 1)", "xss.script_call"),
            ("7-bit tag of any name", "test=\u{bc}test\u{be}x\u{bc}/test\u{be}", "xss.dangerous_tag"),
            (
                "7-bit markup read from UTF-8 bytes",
                "var=\u{c2}\u{bc}script\u{c2}\u{be}alert(\u{c2}\u{a2}x\u{c2}\u{a2})\u{c2}\u{bc}/script\u{c2}\u{be}",
                "xss.script_tag",
            ),
            ("scheme split across attributes", "<img src=javasc ript:a", "xss.javascript_url"),
            ("padded tag name", "<noscript#", "xss.dangerous_tag"),
            ("padded script tag name", "<script&s1>x", "xss.dangerous_tag"),
            ("decimal IP link", "<a href=\"http://1113982867/\">x</a>", "xss.dangerous_tag"),
            ("hex IP link", "<A HREF=\"http://0x42.0x0000066.0x7.0x93/\">x</A>", "xss.dangerous_tag"),
            ("octal IP link", "<a href=\"http://0102.0146.0007.00000223/\">x</a>", "xss.dangerous_tag"),
            ("image calling a script", "<img src=\"http://x.example/do.php?user=1\">", "xss.dangerous_tag"),
            ("bracket in a style", "<div style=\"font-family:'a[b];color:red'\">", "xss.style_script"),
            ("control character in a style", "<x style=\"background:url('x\u{1};color:red')\">", "xss.style_script"),
            ("comment in a style", "<div style=\"background:url(/f;color:red/*/a.jpg)\">", "xss.style_script"),
            ("SVG in a style URL", "<div style=content:url(test2.svg)></div>", "xss.style_script"),
            ("escape in a style", "<A STYLE='no\\xss:noxss(1)'>", "xss.style_script"),
            ("document query", "document.querySelector(\"p\").textContent=1", "xss.dom_access"),
        ];
        let wrong: Vec<_> = cases
            .iter()
            .map(|(name, input, rule)| (name, input, rule, detect(input).map(|m| m.rule_id)))
            .filter(|(_, _, rule, found)| *found != Some(**rule))
            .collect();
        assert!(wrong.is_empty(), "cases with another result: {wrong:#?}");
    }

    #[test]
    fn probe_near_misses() {
        let benign = [
            ("bracket in a comparison", "a < b"),
            ("two brackets", "<<"),
            ("arrow", "<-"),
            ("scheme in prose", "javascript: alerts are annoying"),
            ("scheme without a call", "see javascript:void"),
            ("CDATA with text", "<![CDATA[plain text]]>"),
            ("XML document", "<?xml version=\"1.0\"?><order><id>1</id></order>"),
            ("XML declaration alone", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            ("XML declaration alone in prose", "write <?xml at the top"),
            ("external stylesheet", "<?xml-stylesheet type=\"text/xsl\" href=\"style.xsl\"?>"),
            ("unclosed instruction", "<? x"),
            ("instruction with a target", "<?xsl-stylesheet?>"),
            ("template tag", "<%=title%>"),
            ("template tag with spaces", "<%= name %>"),
            ("percent in a comparison", "if x <% y"),
            ("timer named in prose", "call setTimeout later"),
            ("timer in a longer name", "resetTimeout(5)"),
            ("7-bit fraction", "\u{bc} cup and \u{be} cup"),
            ("quoted scheme prefix", "<a href=\"java\" title=\"script: x\">"),
            ("custom element", "<form-field name=\"x\">"),
            ("dotted decimal link", "<a href=\"http://192.168.1.1/\">router</a>"),
            ("version-like host", "<a href=\"https://1.2.3.example/\">x</a>"),
            ("image with a query", "<img src=\"https://cdn.example/a.png?w=100\">"),
            ("script link that is not an image", "<a href=\"https://x.example/a.php?id=1\">x</a>"),
            ("plain style URL", "<div style=\"background:url(/img/a.png)\">"),
            ("tab in a style", "<span style=\"color:red;\tfont-size:2px\">x</span>"),
        ];
        let found: Vec<_> =
            benign.iter().map(|(name, input)| (name, input, detect(input))).filter(|(_, _, m)| m.is_some()).collect();
        assert!(found.is_empty(), "near misses that matched: {found:#?}");
    }
}
