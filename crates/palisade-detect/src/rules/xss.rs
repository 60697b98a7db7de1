//! Cross-site scripting by reading the value as HTML the way a browser's tokenizer does:
//! tags with their attributes, and the JavaScript contexts a value can break out of.
//!
//! - `xss.script_tag`: a `<script>` tag, or `</script>` that ends a script block.
//! - `xss.event_handler`: any tag with an `on...=` attribute (`<img src=x onerror=...>`),
//!   or a quote that leaves an attribute value and adds a known event handler.
//! - `xss.javascript_url`: `javascript:`, `vbscript:` or an HTML `data:` URL in an
//!   attribute that browsers load or navigate to, or as the whole value.
//! - `xss.dangerous_tag`: tags that load or run content by themselves (`<iframe>`,
//!   `<object>`, `<embed>`, `<base href>`, `<meta http-equiv=refresh>`, `<style>` with
//!   script, `<svg>`/`<math>` animation of `href`).
//! - `xss.style_script`: CSS that runs script (`expression(`, `behavior:`, `-moz-binding`,
//!   `url(javascript:`).
//! - `xss.js_breakout`: a quote that ends a JavaScript string followed by an operator and a
//!   call of a script sink (`';alert(1)//`, `"-prompt(1)-"`).
//! - `xss.script_call`: a bare call of `alert`, `prompt`, `confirm` or `eval` with an
//!   argument that only exploit probes use (a number, a string, `document.cookie`).
//! - `xss.dom_access`: script text that reads cookies or navigates the page
//!   (`document.cookie`, `window.location=`, `.innerHTML=`).
//!
//! Formatting tags without attributes (`<b>bold</b>`) and links to http(s) URLs match
//! nothing.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XssMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Most tags parsed per value; a value with more is HTML content, and its first tags
/// have been checked.
const MAX_TAGS: usize = 256;

/// DOM event names (without `on`) recognised outside a tag, where `onfoo=` could be an
/// ordinary word and `=`.
const EVENT_NAMES: &[&str] = &[
    "abort",
    "afterprint",
    "animationend",
    "animationiteration",
    "animationstart",
    "auxclick",
    "beforecopy",
    "beforecut",
    "beforeinput",
    "beforepaste",
    "beforeprint",
    "beforetoggle",
    "beforeunload",
    "begin",
    "blur",
    "cancel",
    "canplay",
    "canplaythrough",
    "change",
    "click",
    "close",
    "contextmenu",
    "copy",
    "cuechange",
    "cut",
    "dblclick",
    "drag",
    "dragend",
    "dragenter",
    "dragleave",
    "dragover",
    "dragstart",
    "drop",
    "durationchange",
    "end",
    "ended",
    "error",
    "focus",
    "focusin",
    "focusout",
    "formdata",
    "fullscreenchange",
    "hashchange",
    "input",
    "invalid",
    "keydown",
    "keypress",
    "keyup",
    "load",
    "loadeddata",
    "loadedmetadata",
    "loadend",
    "loadstart",
    "message",
    "mousedown",
    "mouseenter",
    "mouseleave",
    "mousemove",
    "mouseout",
    "mouseover",
    "mouseup",
    "mousewheel",
    "offline",
    "online",
    "pagehide",
    "pageshow",
    "paste",
    "pause",
    "play",
    "playing",
    "pointercancel",
    "pointerdown",
    "pointerenter",
    "pointerleave",
    "pointermove",
    "pointerout",
    "pointerover",
    "pointerrawupdate",
    "pointerup",
    "popstate",
    "progress",
    "ratechange",
    "readystatechange",
    "repeat",
    "reset",
    "resize",
    "scroll",
    "scrollend",
    "search",
    "seeked",
    "seeking",
    "select",
    "selectionchange",
    "selectstart",
    "show",
    "stalled",
    "start",
    "storage",
    "submit",
    "suspend",
    "timeupdate",
    "toggle",
    "touchend",
    "touchmove",
    "touchstart",
    "transitioncancel",
    "transitionend",
    "transitionrun",
    "transitionstart",
    "unhandledrejection",
    "unload",
    "volumechange",
    "waiting",
    "webkitanimationend",
    "webkitanimationstart",
    "webkittransitionend",
    "wheel",
    "bounce",
    "finish",
    "activate",
    "beforeactivate",
    "beforedeactivate",
    "deactivate",
    "filterchange",
    "help",
    "losecapture",
    "propertychange",
    "rowenter",
    "rowexit",
    "datasetchanged",
    "errorupdate",
    "layoutcomplete",
    "move",
    "moveend",
    "movestart",
    "controlselect",
    "beforeeditfocus",
    "readystatechange",
];

/// Attributes whose value browsers load, navigate to or run as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "lowsrc",
    "dynsrc",
    "poster",
    "codebase",
    "cite",
    "longdesc",
    "usemap",
    "profile",
    "icon",
    "manifest",
    "archive",
    "classid",
    "values",
    "to",
    "from",
    "by",
    "srcdoc",
    "content",
    "ping",
    "code",
    "folder",
    "style",
    "attributename",
    "imagesrcset",
    "srcset",
];

/// Tags that load or run content by themselves, or change how the page resolves URLs.
const DANGEROUS_TAGS: &[&str] = &[
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "import",
    "isindex",
    "xss",
    "handler",
    "listener",
    "xml",
    "portal",
    "fencedframe",
];

/// Calls that run code or reach the page's secrets, for JavaScript contexts.
const SINKS: &[&str] = &[
    "alert",
    "prompt",
    "confirm",
    "eval",
    "settimeout",
    "setinterval",
    "function",
    "fetch",
    "import",
    "atob",
    "fromcharcode",
    "write",
    "writeln",
    "execscript",
    "print",
    "open",
    "assign",
    "constructor",
    "msgbox",
];

pub fn detect(text: &str) -> Option<XssMatch> {
    let bytes = text.as_bytes();

    if let Some(found) = scan_tags(text) {
        return Some(found);
    }
    if let Some(at) = attribute_breakout(bytes) {
        return Some(XssMatch { rule_id: "xss.event_handler", confidence: Confidence::High, at });
    }
    if let Some(at) = leading_script_url(text) {
        return Some(XssMatch { rule_id: "xss.javascript_url", confidence: Confidence::High, at });
    }
    if let Some(at) = js_breakout(bytes) {
        return Some(XssMatch { rule_id: "xss.js_breakout", confidence: Confidence::High, at });
    }
    if let Some(at) = style_script(bytes) {
        return Some(XssMatch { rule_id: "xss.style_script", confidence: Confidence::Medium, at });
    }
    if let Some(at) = probe_call(bytes) {
        return Some(XssMatch { rule_id: "xss.script_call", confidence: Confidence::Medium, at });
    }
    if let Some(at) = dom_access(bytes) {
        return Some(XssMatch { rule_id: "xss.dom_access", confidence: Confidence::Medium, at });
    }
    None
}

/// Reads or writes of the page's secrets and navigation that injected script performs:
/// `document.cookie`, `document.domain`, `window.location=`, `.innerHTML=`,
/// `document.write(`.
fn dom_access(bytes: &[u8]) -> Option<usize> {
    const MARKERS: &[&str] = &[
        "document.cookie",
        "document.domain",
        "document.write",
        "document.location",
        "window.location",
        "document.createelement(",
        "document.body.appendchild",
        ".innerhtml=",
        ".innerhtml =",
        ".outerhtml=",
        "location.href=",
        "window.open(",
    ];
    static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| markers_searcher(MARKERS));
    // Every marker has a dot, so a value without one has no marker.
    memchr::memchr(b'.', bytes)?;
    leftmost_marker(&SEARCHER, bytes)
}

/// Builds a case-insensitive searcher whose first match starts where the leftmost of
/// `markers` starts.
fn markers_searcher(markers: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(markers)
        .expect("marker lists are valid automata")
}

fn leftmost_marker(searcher: &AhoCorasick, bytes: &[u8]) -> Option<usize> {
    searcher.find(bytes).map(|found| found.start())
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// One attribute of a tag.
struct Attribute<'a> {
    name: &'a str,
    value: Option<&'a str>,
}

/// Finds tags in `text` and checks each one.
fn scan_tags(text: &str) -> Option<XssMatch> {
    let bytes = text.as_bytes();
    let mut tags = 0;
    let mut i = 0;
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        let at = i + offset;
        i = at + 1;
        let next = bytes.get(at + 1).copied().unwrap_or(0);

        if next == b'/' {
            // `</script>` ends the script block the value is inside of.
            if starts_with_ignore_case(&bytes[at + 2..], b"script") {
                return Some(XssMatch { rule_id: "xss.script_tag", confidence: Confidence::High, at });
            }
            continue;
        }
        if !next.is_ascii_alphabetic() {
            continue;
        }

        tags += 1;
        if tags > MAX_TAGS {
            return None;
        }
        let (name, attributes, end) = parse_tag(text, at + 1);
        i = end.max(at + 1).min(bytes.len());
        if let Some(found) = check_tag(text, at, &name, &attributes) {
            return Some(found);
        }
    }
    None
}

/// Parses the tag whose name starts at `start`; returns its lower-case name, attributes
/// and the position after it. A tag left open at the end of the value still counts,
/// because the page's following markup closes it.
fn parse_tag(text: &str, start: usize) -> (String, Vec<Attribute<'_>>, usize) {
    const MAX_ATTRIBUTES: usize = 64;

    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let name = text[start..i].to_ascii_lowercase();

    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && (is_space(bytes[i]) || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] == b'>' || attributes.len() >= MAX_ATTRIBUTES {
            return (name, attributes, i + 1);
        }

        let name_start = i;
        i += 1;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attribute_name = &text[name_start..i];

        let mut j = i;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        if bytes.get(j) != Some(&b'=') {
            attributes.push(Attribute { name: attribute_name, value: None });
            continue;
        }
        j += 1;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        let value = match bytes.get(j) {
            Some(&quote @ (b'"' | b'\'' | b'`')) => {
                let value_start = j + 1;
                let value_end = memchr(quote, &bytes[value_start..]).map(|p| value_start + p).unwrap_or(bytes.len());
                i = (value_end + 1).min(bytes.len());
                &text[value_start..value_end]
            }
            _ => {
                let value_start = j;
                let mut k = j;
                while k < bytes.len() && !is_space(bytes[k]) && bytes[k] != b'>' {
                    k += 1;
                }
                i = k;
                &text[value_start..k]
            }
        };
        attributes.push(Attribute { name: attribute_name, value: Some(value) });
    }
}

fn check_tag(text: &str, at: usize, name: &str, attributes: &[Attribute<'_>]) -> Option<XssMatch> {
    let high = |rule_id| Some(XssMatch { rule_id, confidence: Confidence::High, at });

    if name == "script" {
        return high("xss.script_tag");
    }
    for attribute in attributes {
        let attribute_name = attribute.name.to_ascii_lowercase();
        if is_event_attribute(&attribute_name) && attribute.value.is_some() {
            return high("xss.event_handler");
        }
        let Some(value) = attribute.value else { continue };
        if URL_ATTRIBUTES.contains(&attribute_name.as_str()) && is_script_url(value) {
            return high("xss.javascript_url");
        }
        if attribute_name == "style" && style_script(value.as_bytes()).is_some() {
            return high("xss.style_script");
        }
    }

    if DANGEROUS_TAGS.contains(&name) {
        return high("xss.dangerous_tag");
    }
    let attribute = |wanted: &str| {
        attributes.iter().find(|a| a.name.eq_ignore_ascii_case(wanted)).and_then(|a| a.value).unwrap_or("")
    };
    match name {
        "meta" if attribute("http-equiv").eq_ignore_ascii_case("refresh") => high("xss.dangerous_tag"),
        "link" if attribute("rel").eq_ignore_ascii_case("import") => high("xss.dangerous_tag"),
        "style" => {
            let rest = &text.as_bytes()[at..];
            let close = find_ignore_case(rest, b"</style").unwrap_or(rest.len());
            let body = &rest[..close];
            if style_script(body).is_some() || find_ignore_case(body, b"@import").is_some() {
                high("xss.style_script")
            } else {
                None
            }
        }
        // SVG and MathML animation can set `href` to a script URL.
        "set" | "animate" if attribute("attributename").eq_ignore_ascii_case("href") => high("xss.dangerous_tag"),
        _ => None,
    }
}

fn is_event_attribute(name: &str) -> bool {
    let Some(event) = name.strip_prefix("on") else { return false };
    event.len() >= 3 && event.bytes().all(|b| b.is_ascii_alphabetic())
}

/// True when `value` is a URL that runs script when loaded: browsers drop ASCII
/// whitespace and control characters anywhere in the scheme.
fn is_script_url(value: &str) -> bool {
    let mut scheme = [0u8; 24];
    let mut length = 0;
    for b in value.bytes() {
        if b <= b' ' {
            continue;
        }
        if length == scheme.len() {
            break;
        }
        scheme[length] = b.to_ascii_lowercase();
        length += 1;
    }
    let scheme = &scheme[..length];
    scheme.starts_with(b"javascript:")
        || scheme.starts_with(b"vbscript:")
        || scheme.starts_with(b"livescript:")
        || scheme.starts_with(b"data:text/html")
        || scheme.starts_with(b"data:image/svg")
        || scheme.starts_with(b"data:application/x")
        || scheme.starts_with(b"data:text/xml")
        || scheme.starts_with(b"mocha:")
}

/// Returns where the value starts when the whole value is a script URL with code after
/// the scheme, as placed in an `href`.
/// "JavaScript: the good parts" has no code and does not match.
fn leading_script_url(text: &str) -> Option<usize> {
    let trimmed = text.trim_start_matches(|c: char| c <= ' ');
    let at = text.len() - trimmed.len();
    if !is_script_url(trimmed) {
        return None;
    }
    let colon = trimmed.find(':')?;
    let code = &trimmed[colon + 1..];
    let looks_like_code =
        code.bytes().any(|b| matches!(b, b'(' | b'`' | b'=' | b';' | b'/' | b'<' | b'[' | b'{' | b'\\'));
    looks_like_code.then_some(at)
}

/// A quote closing an attribute value, followed by a new event handler attribute:
/// `" onmouseover="alert(1)`, `' autofocus onfocus=alert(1) '`.
fn attribute_breakout(bytes: &[u8]) -> Option<usize> {
    for (at, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'"' | b'\'' | b'`') {
            continue;
        }
        // Boolean attributes such as `autofocus` may stand between the quote and the
        // handler.
        let mut i = at + 1;
        for _ in 0..4 {
            let word_start = skip_while(bytes, i, |b| is_space(b) || b == b'/');
            let word_end = skip_while(bytes, word_start, |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if word_end == word_start {
                break;
            }
            let word = &bytes[word_start..word_end];
            let after = skip_while(bytes, word_end, is_space);
            if bytes.get(after) == Some(&b'=') {
                if word.len() > 2 && word[..2].eq_ignore_ascii_case(b"on") && is_known_event(&word[2..]) {
                    return Some(at);
                }
                break;
            }
            i = word_end;
        }
    }
    None
}

fn is_known_event(name: &[u8]) -> bool {
    EVENT_NAMES.iter().any(|event| event.as_bytes().eq_ignore_ascii_case(name))
}

/// Returns the position of a quote that ends a JavaScript string, followed by an operator
/// and a call of a sink: `';alert(1)//`, `"-alert(1)-"`, `\';eval(name)//`.
fn js_breakout(bytes: &[u8]) -> Option<usize> {
    for (at, &b) in bytes.iter().enumerate() {
        if !matches!(b, b'"' | b'\'' | b'`') {
            continue;
        }
        let mut i = skip_while(bytes, at + 1, is_space);
        let operators_start = i;
        i = skip_while(bytes, i, |b| {
            matches!(
                b,
                b';' | b'+'
                    | b'-'
                    | b'*'
                    | b'/'
                    | b'|'
                    | b'&'
                    | b','
                    | b')'
                    | b'}'
                    | b']'
                    | b'^'
                    | b'%'
                    | b'<'
                    | b'>'
                    | b'?'
                    | b':'
                    | b'='
                    | b'!'
                    | b'~'
            )
        });
        if i == operators_start {
            continue;
        }
        i = skip_while(bytes, i, is_space);
        if sink_call(bytes, i).is_some() {
            return Some(at);
        }
    }
    None
}

/// If a call of a sink starts at `bytes[start..]` (possibly through a property chain such
/// as `window.alert` or `top['al'+'ert']`), returns the position after its opening
/// parenthesis or backtick.
fn sink_call(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let mut last_name;
    loop {
        let name_end = skip_while(bytes, i, |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$');
        if name_end == i {
            return None;
        }
        last_name = (i, name_end);
        match bytes.get(name_end) {
            Some(b'.') => i = name_end + 1,
            _ => {
                i = name_end;
                break;
            }
        }
    }
    let after = skip_while(bytes, i, is_space);
    if !matches!(bytes.get(after), Some(b'(' | b'`')) {
        return None;
    }
    let name = &bytes[last_name.0..last_name.1];
    SINKS.iter().any(|sink| sink.as_bytes().eq_ignore_ascii_case(name)).then_some(after + 1)
}

/// CSS that runs script.
fn style_script(bytes: &[u8]) -> Option<usize> {
    const MARKERS: &[&str] = &[
        "expression(",
        "behavior:",
        "behaviour:",
        "-moz-binding",
        "url(javascript:",
        "url('javascript:",
        "url(\"javascript:",
    ];
    static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| markers_searcher(MARKERS));
    // Every marker has one of these bytes, so a value without them has no marker.
    memchr::memchr3(b'(', b':', b'-', bytes)?;
    leftmost_marker(&SEARCHER, bytes)
}

/// `alert(1)`, `prompt(document.cookie)`, `confirm\`1\``: calls with arguments that only
/// exploit probes pass. Returns the first such call of the first function in the order
/// of `PROBES` that has one.
fn probe_call(bytes: &[u8]) -> Option<usize> {
    const PROBES: &[&str] = &["alert", "prompt", "confirm", "eval"];
    static SEARCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(PROBES)
            .expect("the probe names are a valid automaton")
    });

    // A call is a name, spaces, and `(` or a backtick. Looking back from each `(` and
    // backtick for a name is cheaper than searching the names.
    let may_call = memchr::memchr2_iter(b'(', b'`', bytes).any(|open| {
        let mut name_end = open;
        while name_end > 0 && is_space(bytes[name_end - 1]) {
            name_end -= 1;
        }
        let before = &bytes[..name_end];
        PROBES.iter().any(|probe| ends_with_ignore_case(before, probe.as_bytes()))
    });
    if !may_call {
        return None;
    }

    // Names may overlap (`evalert`), so every occurrence is visited, in order of its end.
    // No name overlaps itself, so the occurrences of one name come in order of start.
    let mut first_call: [Option<usize>; PROBES.len()] = [None; PROBES.len()];
    for found in SEARCHER.find_overlapping_iter(bytes) {
        let probe = found.pattern().as_usize();
        if first_call[probe].is_none() && is_probe_call(bytes, found.start(), found.end()) {
            first_call[probe] = Some(found.start());
        }
    }
    first_call.into_iter().flatten().next()
}

/// True when the function name at `bytes[at..name_end]` starts a word and is called with
/// a probe argument.
fn is_probe_call(bytes: &[u8], at: usize, name_end: usize) -> bool {
    let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
    if !before_ok {
        return false;
    }
    let open = skip_while(bytes, name_end, is_space);
    match bytes.get(open) {
        Some(b'`') => true,
        Some(b'(') => {
            let argument_start = skip_while(bytes, open + 1, is_space);
            let argument = &bytes[argument_start..];
            argument.first().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'\'' | b'"' | b')' | b'/'))
                || starts_with_ignore_case(argument, b"document.")
                || starts_with_ignore_case(argument, b"window.")
                || starts_with_ignore_case(argument, b"string.fromcharcode")
                || starts_with_ignore_case(argument, b"atob(")
                || starts_with_ignore_case(argument, b"location")
        }
        _ => false,
    }
}

pub(crate) fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

fn skip_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

fn ends_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[haystack.len() - needle.len()..].eq_ignore_ascii_case(needle)
}

pub(crate) fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

pub(crate) fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let last_start = haystack.len() - needle.len();
    let mut from = 0;
    // Jump between occurrences of the first byte in either case.
    while from <= last_start {
        let offset =
            memchr::memchr2(first.to_ascii_lowercase(), first.to_ascii_uppercase(), &haystack[from..=last_start])?;
        let at = from + offset;
        if haystack[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xss_cases() {
        let attacks = [
            ("<script>alert(1)</script>", "xss.script_tag"),
            ("\"><script src=//evil.example/x.js>", "xss.script_tag"),
            ("</script><svg onload=alert(1)>", "xss.script_tag"),
            ("<img src=x onerror=alert(1)>", "xss.event_handler"),
            ("<svg/onload=alert(1)", "xss.event_handler"),
            ("<body onpointerrawupdate=alert(1)>", "xss.event_handler"),
            ("<a href=\"jav\tascript:alert(1)\">x</a>", "xss.javascript_url"),
            ("<iframe src=\"data:text/html,<script>alert(1)</script>\">", "xss.javascript_url"),
            ("<iframe src=//evil.example>", "xss.dangerous_tag"),
            ("<meta http-equiv=\"refresh\" content=\"0;url=//evil.example\">", "xss.dangerous_tag"),
            ("<div style=\"width: expression(alert(1))\">", "xss.style_script"),
            ("\" onmouseover=\"alert(1)", "xss.event_handler"),
            ("' autofocus onfocus=alert(1) x='", "xss.event_handler"),
            ("javascript:alert(document.domain)", "xss.javascript_url"),
            ("';alert(String.fromCharCode(88,83,83))//", "xss.js_breakout"),
            ("\"-prompt(1)-\"", "xss.js_breakout"),
            ("alert`1`", "xss.script_call"),
            ("x=document.cookie", "xss.dom_access"),
            ("<svg><animate attributeName=href values=javascript:alert(1) />", "xss.javascript_url"),
        ];
        for (input, rule) in attacks {
            let found = detect(input);
            assert_eq!(found.map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn probe_call_order() {
        let cases: [(&str, Option<usize>); 5] = [
            ("prompt(1) alert(2)", Some(10)),
            ("xalert(1) alert(1)", Some(10)),
            ("evalert(1)", None),
            ("CONFIRM (document.cookie)", Some(0)),
            ("alert (x)", None),
        ];
        for (input, expected) in cases {
            assert_eq!(probe_call(input.as_bytes()), expected, "input {input:?}");
        }
    }

    #[test]
    fn xss_near_misses() {
        let benign = [
            "<b>bold</b>",
            "<p class=\"note\">hello</p>",
            "<a href=\"https://example.com/page\">link</a>",
            "a < b and c > d",
            "I <3 you",
            "JavaScript: Basics of JavaScript Language",
            "h2<h1",
            "She said \"only=this\" please",
            "please confirm your order",
            "the alert was raised at noon",
            "\"online\" = \"true\"",
            "don't; alertness matters",
        ];
        for input in benign {
            assert_eq!(detect(input), None, "input {input:?}");
        }
    }
}
