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
//!   script, `<svg>`/`<math>` animation of `href`) at high confidence; tags that load
//!   styles or switch charsets (`<meta>`, `<link>`, `<style>`), IE data binding and
//!   behaviours at medium confidence; document, form and SVG/MathML markup, prefixed XML
//!   names and namespace declarations at low confidence.
//! - `xss.style_script`: CSS that runs script (`expression(`, `behavior:`, `-moz-binding`,
//!   `url(javascript:`), also spelled with CSS escapes, and inline styles that break out
//!   of their declaration block.
//! - `xss.js_breakout`: a quote that ends a JavaScript string followed by an operator and a
//!   call of a script sink (`';alert(1)//`, `"-prompt(1)-"`).
//! - `xss.script_call`: a bare call of `alert`, `prompt`, `confirm`, `eval`, `setTimeout`
//!   or `setInterval` with an argument that only exploit probes use (a number, a string,
//!   `document.cookie`), or through a wrapper (`alert?.(1)`, `alert.call(null,1)`,
//!   `(alert)(1)`, `[1].find(alert)`); a call of a global object's property by subscript
//!   (`top["al"+"ert"](1)`); JSFuck; `.call` as a template tag.
//! - `xss.dom_access`: script text that reads cookies or navigates the page
//!   (`document.cookie`, `document["cookie"]`, `window.location=`, `.innerHTML=`).
//!
//! Markup spelled in UTF-7, in the 7-bit reading of Latin-1 (`\u{bc}script\u{be}`), or
//! split by short tags that a filter removes (`o<x>nerror`) is read as the page would.
//! Formatting tags (`<b>bold</b>`, `<p class="note">`) and links to http(s) URLs match
//! nothing, and in a value that is an XML document (`<?xml ...?>` first) only active
//! content counts.

use std::cell::LazyCell;
use std::sync::LazyLock;

use aho_corasick::MatchKind;

use crate::finding::Confidence;
use crate::rules::literals::{KeywordTable, LiteralSet};

mod probes;

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

/// Names of the page's objects that script reads or writes through. Every marker of
/// [`DOM_MARKERS`] and every finding of [`document_property`] contains one.
const DOM_NAMES: &[&str] = &["document", "window", "location", "innerhtml", "outerhtml"];

/// The kinds of script names that a value contains, in any case. Most values contain none,
/// so the checks that need one are skipped for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScriptNames {
    /// A name of [`SINKS`]. Every call that [`js_breakout`], [`probe_call`] and the checks
    /// of `probes` find is named by one, and [`PROBES`] are sinks too.
    sink: bool,
    /// A name or marker that another script check needs. These are the names of
    /// [`DOM_NAMES`] for [`dom_access`] and the markers of [`STYLE_MARKERS`] for
    /// [`style_script`] in a value without CSS escapes. They also include the names of
    /// [`GLOBALS`] for [`global_bracket_call`], `![]` for [`jsfuck`] and the methods of
    /// [`CALL_METHODS`] for [`template_call`].
    other: bool,
}

impl ScriptNames {
    /// Looks for all the names in one pass over `bytes`. A pass of the DFA costs the same
    /// per byte whatever the number of names, so the two kinds share it.
    fn find(bytes: &[u8]) -> Self {
        const SINK: u32 = 1;
        const OTHER: u32 = 2;
        static SEARCHER: LazyLock<KeywordTable> = LazyLock::new(|| {
            let other = DOM_NAMES.iter().chain(STYLE_MARKERS).chain(GLOBALS).chain(&["![]"]).chain(CALL_METHODS);
            let names: Vec<&str> = SINKS.iter().chain(other).copied().collect();
            KeywordTable::new(&names, |index| if index < SINKS.len() { SINK } else { OTHER })
                .expect("the script names are a valid automaton")
        });
        let found = SEARCHER.tags(bytes, |_| 0);
        Self { sink: found & SINK != 0, other: found & OTHER != 0 }
    }
}

pub fn detect(text: &str) -> Option<XssMatch> {
    // The names are looked for when a check first needs them. Values that the checks of
    // tags and attributes flag skip that search.
    let names = LazyCell::new(|| ScriptNames::find(text.as_bytes()));
    let found = detect_in(text, &names);
    if found.is_some() {
        return found;
    }

    // Markup spelled in another encoding than the page's: UTF-7 (`+ADw-script+AD4-`) and
    // the 7-bit reading of Latin-1 (`\u{bc}script\u{be}`).
    if let Some(decoded) = decode_utf7(text) {
        if let Some(found) = scan_tags(&decoded) {
            return Some(XssMatch { at: 0, ..found });
        }
    } else if let Some(folded) = seven_bit_markup(text) {
        // A tag spelled with `\u{bc}` and `\u{be}` is itself a probe for such a server.
        let found = scan_tags(&folded).or_else(|| probes::seven_bit_tag(text));
        if let Some(found) = found {
            return Some(XssMatch { at: 0, ..found });
        }
    }
    if let Some(stripped) = strip_split_tags(text)
        && let Some(found) = detect_in(&stripped, &LazyCell::new(|| ScriptNames::find(stripped.as_bytes())))
    {
        return Some(XssMatch { at: 0, ..found });
    }
    probes::detect(text, *names)
}

/// Runs the markup and script checks on `text`. `names` are the script names of `text`,
/// looked for on first use.
fn detect_in(text: &str, names: &LazyCell<ScriptNames, impl FnOnce() -> ScriptNames>) -> Option<XssMatch> {
    let bytes = text.as_bytes();
    let high = |rule_id, at| Some(XssMatch { rule_id, confidence: Confidence::High, at });
    let medium = |rule_id, at| Some(XssMatch { rule_id, confidence: Confidence::Medium, at });

    // Tags of lower confidence are kept while the checks of high confidence run.
    let tag = scan_tags(text);
    if tag.is_some_and(|found| found.confidence == Confidence::High) {
        return tag;
    }
    if let Some(at) = attribute_breakout(bytes) {
        return high("xss.event_handler", at);
    }
    if let Some(at) = leading_script_url(text) {
        return high("xss.javascript_url", at);
    }
    if names.sink
        && let Some(at) = js_breakout(bytes)
    {
        return high("xss.js_breakout", at);
    }
    if tag.is_some_and(|found| found.confidence == Confidence::Medium) {
        return tag;
    }
    // CSS escapes can spell a marker in a value that contains none as written.
    if (names.other || memchr(b'\\', bytes).is_some())
        && let Some(at) = style_script(bytes)
    {
        return medium("xss.style_script", at);
    }
    if names.sink
        && let Some(at) = probe_call(bytes)
    {
        return medium("xss.script_call", at);
    }
    if names.other
        && let Some(at) = global_bracket_call(bytes).or_else(|| jsfuck(bytes)).or_else(|| template_call(bytes))
    {
        return medium("xss.script_call", at);
    }
    if names.other
        && let Some(at) = dom_access(bytes)
    {
        return medium("xss.dom_access", at);
    }
    tag
}

/// Reads or writes of the page's secrets and navigation that injected script performs:
/// `document.cookie`, `document.domain`, `window.location=`, `.innerHTML=`,
/// `document.write(`.
fn dom_access(bytes: &[u8]) -> Option<usize> {
    static SEARCHER: LazyLock<LiteralSet> = LazyLock::new(|| markers_searcher(DOM_MARKERS));
    // Every marker has a dot, and a property read without a dot has a bracket.
    memchr::memchr2(b'.', b'[', bytes)?;
    let marker = if may_contain_dom_marker(bytes) { leftmost_marker(&SEARCHER, bytes) } else { None };
    marker.or_else(|| document_property(bytes))
}

/// Markers of script that reads or writes the page, for [`dom_access`].
const DOM_MARKERS: &[&str] = &[
    "document.cookie",
    "document.domain",
    "document.write",
    "document.location",
    "window.location",
    "document.createelement(",
    "document.body.appendchild",
    "document.queryselector",
    "document.getelementby",
    ".innerhtml=",
    ".innerhtml =",
    ".outerhtml=",
    "location.href=",
    "window.open(",
];

/// False when `bytes` cannot contain any of [`DOM_MARKERS`]. Every marker has a dot after
/// `document`, `window` or `location`, or before `innerhtml` or `outerhtml`, in any case,
/// and looking around the dots is cheaper than the marker search.
fn may_contain_dom_marker(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'.', bytes).any(|dot| {
        let (before, after) = (&bytes[..dot], &bytes[dot + 1..]);
        [b"document".as_slice(), b"window", b"location"].iter().any(|name| ends_with_ignore_case(before, name))
            || [b"innerhtml".as_slice(), b"outerhtml"].iter().any(|name| starts_with_ignore_case(after, name))
    })
}

/// `document` followed by a read of `cookie`, `domain`, `location` or `write` written the
/// way filters miss: with comments or spaces around the dot (`document /**/ . cookie`),
/// as a subscript (`document["cookie"]`, `(document)['domain']`) or with `?.`.
fn document_property(bytes: &[u8]) -> Option<usize> {
    const PROPERTIES: &[&[u8]] = &[b"cookie", b"domain", b"location", b"write"];

    let mut from = 0;
    while let Some(offset) = find_ignore_case(&bytes[from..], b"document") {
        let at = from + offset;
        from = at + 1;
        if at > 0 && is_identifier_byte(bytes[at - 1]) {
            continue;
        }
        let mut i = skip_js_space(bytes, at + b"document".len());
        if bytes.get(i) == Some(&b')') {
            i = skip_js_space(bytes, i + 1);
        }
        if bytes.get(i) == Some(&b'?') {
            i += 1;
        }
        i = match bytes.get(i) {
            Some(b'.') => skip_js_space(bytes, i + 1),
            Some(b'[') => {
                let quote = skip_js_space(bytes, i + 1);
                if !matches!(bytes.get(quote), Some(b'"' | b'\'' | b'`')) {
                    continue;
                }
                quote + 1
            }
            _ => continue,
        };
        if PROPERTIES.iter().any(|property| starts_with_ignore_case(&bytes[i..], property)) {
            return Some(at);
        }
    }
    None
}

/// Skips spaces and `/* ... */` comments, which JavaScript allows between the parts of a
/// property access.
fn skip_js_space(bytes: &[u8], mut i: usize) -> usize {
    loop {
        i = skip_while(bytes, i, is_space);
        if !bytes[i..].starts_with(b"/*") {
            return i;
        }
        match memchr::memmem::find(&bytes[i + 2..], b"*/") {
            Some(end) => i += 2 + end + 2,
            None => return i,
        }
    }
}

/// Position where the spaces that end at `end` begin.
fn skip_space_back(bytes: &[u8], mut end: usize) -> usize {
    while end > 0 && is_space(bytes[end - 1]) {
        end -= 1;
    }
    end
}

/// Position where spaces and `/* ... */` comments that end at `end` begin.
fn skip_js_space_back(bytes: &[u8], mut end: usize) -> usize {
    loop {
        while end > 0 && is_space(bytes[end - 1]) {
            end -= 1;
        }
        if !bytes[..end].ends_with(b"*/") {
            return end;
        }
        match memchr::memmem::rfind(&bytes[..end - 2], b"/*") {
            Some(start) => end = start,
            None => return end,
        }
    }
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Global objects whose properties [`global_bracket_call`] looks at.
const GLOBALS: &[&str] = &["top", "self", "window", "parent", "frames", "globalthis"];

/// Finds a call of a property of a global object by subscript, the usual way to hide a
/// sink's name: `top["al"+"ert"](1)`, `self[/**/'alert'](1)`, `window[atob('...')]\`1\``.
fn global_bracket_call(bytes: &[u8]) -> Option<usize> {
    /// Maximum length of a subscript examined, in bytes.
    const MAX_SUBSCRIPT: usize = 200;

    for open in memchr::memchr_iter(b'[', bytes) {
        let name_end = skip_js_space_back(bytes, open);
        let global = GLOBALS
            .iter()
            .map(|global| global.as_bytes())
            .find(|global| ends_with_ignore_case(&bytes[..name_end], global));
        let Some(global) = global else {
            continue;
        };
        let name_start = name_end - global.len();
        if name_start > 0 && (is_identifier_byte(bytes[name_start - 1]) || bytes[name_start - 1] == b'.') {
            continue;
        }
        let window = &bytes[open + 1..bytes.len().min(open + 1 + MAX_SUBSCRIPT)];
        let Some(close) = memchr(b']', window).map(|offset| open + 1 + offset) else {
            continue;
        };
        let after = skip_js_space(bytes, close + 1);
        if matches!(bytes.get(after), Some(b'(' | b'`')) {
            return Some(name_start);
        }
    }
    None
}

/// JavaScript written with only `[]()!+` (JSFuck): `(![]+[])[+[]]` spells `"f"`. The `+`
/// may have become a space in a form value. Markdown images (`![](a.png)`) have `![]`
/// followed by `(`, which does not count.
fn jsfuck(bytes: &[u8]) -> Option<usize> {
    /// Empty arrays in a value before `![]` counts as JSFuck.
    const MIN_ARRAYS: usize = 3;

    memchr(b'!', bytes)?;
    if let Some(at) = memchr::memmem::find(bytes, b"!![]") {
        return Some(at);
    }
    let negation = memchr::memmem::find_iter(bytes, b"![]").find(|&at| bytes.get(at + 3) != Some(&b'('))?;
    (memchr::memmem::find_iter(bytes, b"[]").count() >= MIN_ARRAYS).then_some(negation)
}

/// Methods that call the function they belong to, for [`template_call`].
const CALL_METHODS: &[&str] = &[".call", ".apply"];

/// `.call` or `.apply` used as a template tag, which calls a function without
/// parentheses: `[].sort.call\`${alert}1\``, `Reflect.apply.call\`...\``.
fn template_call(bytes: &[u8]) -> Option<usize> {
    memchr(b'`', bytes)?;
    memchr::memchr_iter(b'`', bytes).find_map(|tick| {
        let before = &bytes[..skip_js_space_back(bytes, tick)];
        CALL_METHODS
            .iter()
            .map(|method| method.as_bytes())
            .find(|method| ends_with_ignore_case(before, method))
            .map(|method| before.len() - method.len())
    })
}

/// Builds a case-insensitive searcher whose first match starts where the leftmost of
/// `markers` starts.
fn markers_searcher(markers: &[&str]) -> LiteralSet {
    LiteralSet::new(markers, MatchKind::LeftmostFirst, true).expect("marker lists are valid automata")
}

fn leftmost_marker(searcher: &LiteralSet, bytes: &[u8]) -> Option<usize> {
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

/// Finds tags in `text` and checks each one. Returns the first finding of high confidence,
/// or else the first of the highest confidence found.
fn scan_tags(text: &str) -> Option<XssMatch> {
    let bytes = text.as_bytes();
    // An XML document (an SVG image, XMP metadata) has namespaces and SVG elements by
    // design; in one only active content counts. It starts with an XML declaration or an
    // XMP packet.
    let trimmed = &bytes[skip_while(bytes, 0, is_space)..];
    let xml_document = (starts_with_ignore_case(trimmed, b"<?xml") && trimmed.get(5).is_some_and(|&b| is_space(b)))
        || starts_with_ignore_case(trimmed, b"<?xpacket");
    let mut best: Option<XssMatch> = None;
    let mut tags = 0;
    let mut i = 0;
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        let at = i + offset;
        // Scanning goes on inside the tag: an attribute value can hold markup that the
        // page reflects elsewhere (`<a href="?q=<script>...">`).
        i = at + 1;
        let next = bytes.get(at + 1).copied().unwrap_or(0);

        if next == b'/' {
            let name_end = skip_while(bytes, at + 2, |b| b.is_ascii_alphanumeric());
            let name = &bytes[at + 2..name_end];
            // `</script>` ends the script block the value is inside of.
            if name.eq_ignore_ascii_case(b"script") {
                return Some(XssMatch { rule_id: "xss.script_tag", confidence: Confidence::High, at });
            }
            // Closing a raw-text element (`</textarea>`, `</title>`) or the document lets
            // the markup after it be parsed as the page's own.
            if !xml_document && let Some(confidence) = closing_tag(name) {
                keep_stronger(&mut best, XssMatch { rule_id: "xss.dangerous_tag", confidence, at });
            }
            continue;
        }
        if next == b'?' {
            // Processing instructions that load an IE behaviour or bind a namespace to one.
            let rest = &bytes[at + 2..];
            let loads = [b"import".as_slice(), b"xml:namespace"]
                .iter()
                .any(|instruction| starts_with_ignore_case(rest, instruction));
            if loads && !xml_document {
                keep_stronger(&mut best, XssMatch { rule_id: "xss.dangerous_tag", confidence: Confidence::Medium, at });
            }
            continue;
        }
        if next == b'!' && !xml_document {
            // IE conditional comments and a document type start markup of their own.
            let rest = &bytes[at + 2..];
            let confidence = if starts_with_ignore_case(rest, b"--[if") {
                Some(Confidence::Medium)
            } else if starts_with_ignore_case(rest, b"doctype") {
                Some(Confidence::Low)
            } else {
                None
            };
            if let Some(confidence) = confidence {
                keep_stronger(&mut best, XssMatch { rule_id: "xss.dangerous_tag", confidence, at });
            }
            continue;
        }
        if !next.is_ascii_alphabetic() {
            continue;
        }

        tags += 1;
        if tags > MAX_TAGS {
            break;
        }
        let (name, attributes, end) = parse_tag(text, at + 1);
        let raw = &bytes[at..end.min(bytes.len())];
        if let Some(found) = check_tag(text, at, raw, &name, &attributes) {
            if found.confidence == Confidence::High {
                return Some(found);
            }
            if !xml_document {
                keep_stronger(&mut best, found);
            }
        }
    }
    best
}

fn keep_stronger(best: &mut Option<XssMatch>, found: XssMatch) {
    if best.is_none_or(|best| found.confidence > best.confidence) {
        *best = Some(found);
    }
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

/// Checks the tag at `at` whose text is `raw`, with its lower-case name and attributes.
fn check_tag(text: &str, at: usize, raw: &[u8], name: &str, attributes: &[Attribute<'_>]) -> Option<XssMatch> {
    let found = |rule_id, confidence| Some(XssMatch { rule_id, confidence, at });
    let high = |rule_id| found(rule_id, Confidence::High);

    if name == "script" {
        return high("xss.script_tag");
    }
    if probes::spaced_script_url(raw, attributes) {
        return high("xss.javascript_url");
    }
    // A known name followed by other bytes (`<noscript#`, `<script&x>`) probes how a
    // filter reads tag names.
    let mut weak = probes::padded_tag_name(name).and_then(|_| found("xss.dangerous_tag", Confidence::Low));
    for attribute in attributes {
        let attribute_name = attribute.name.to_ascii_lowercase();
        if is_event_attribute(&attribute_name) && attribute.value.is_some() {
            return high("xss.event_handler");
        }
        // IE data binding renders a data island's field as HTML.
        if matches!(attribute_name.as_str(), "datasrc" | "dataformatas" | "datafld") {
            weak = weak.or(found("xss.dangerous_tag", Confidence::Medium));
        }
        // A namespace declaration turns the tag into SVG, XHTML or an XML behaviour.
        if attribute_name == "xmlns" || attribute_name.starts_with("xmlns:") {
            weak = weak.or(found("xss.dangerous_tag", Confidence::Low));
        }
        let Some(value) = attribute.value else { continue };
        if URL_ATTRIBUTES.contains(&attribute_name.as_str()) {
            if is_script_url(value) {
                return high("xss.javascript_url");
            }
            if probes::suspicious_link(name, &attribute_name, value) {
                weak = weak.or(found("xss.dangerous_tag", Confidence::Low));
            }
        }
        if attribute_name == "style" {
            if style_script(value.as_bytes()).is_some() {
                return high("xss.style_script");
            }
            if inline_style_breakout(value.as_bytes()) {
                weak = found("xss.style_script", Confidence::Medium);
            }
        }
    }

    if DANGEROUS_TAGS.contains(&name) {
        return high("xss.dangerous_tag");
    }
    let attribute = |wanted: &str| {
        attributes.iter().find(|a| a.name.eq_ignore_ascii_case(wanted)).and_then(|a| a.value).unwrap_or("")
    };
    let tag = match name {
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
        "set" | "animate" if is_href(attribute("attributename")) => high("xss.dangerous_tag"),
        _ => None,
    };
    if tag.is_some() {
        return tag;
    }
    // `<input>` and `<template>` without attributes are placeholders in usage text.
    let placeholder = attributes.is_empty() && PLACEHOLDER_NAMES.contains(&name);
    let document =
        document_tag(name).filter(|_| !placeholder).and_then(|confidence| found("xss.dangerous_tag", confidence));
    match (weak, document) {
        (Some(weak), Some(document)) if document.confidence > weak.confidence => Some(document),
        (weak, document) => weak.or(document),
    }
}

/// Tag names that usage text writes in angle brackets as placeholders.
const PLACEHOLDER_NAMES: &[&str] = &["input", "template", "image", "button", "form", "title"];

/// True for `href` and `xlink:href`.
fn is_href(name: &str) -> bool {
    name.eq_ignore_ascii_case("href") || name.eq_ignore_ascii_case("xlink:href")
}

/// Returns the confidence that a tag is injected markup, for tags that change how the page loads
/// and styles content (`<meta>`, `<link>`, `<style>`), switch the parser into SVG or
/// MathML, or build forms and documents that no plain-text value contains. Tags that format
/// text (`<b>`, `<p>`, `<a>`, `<img>`) return `None`.
fn document_tag(name: &str) -> Option<Confidence> {
    const LOADING: &[&str] = &["meta", "link", "style", "layer", "ilayer", "bgsound", "xml"];
    const STRUCTURE: &[&str] = &[
        "html",
        "head",
        "body",
        "svg",
        "math",
        "form",
        "input",
        "textarea",
        "button",
        "xmp",
        "plaintext",
        "listing",
        "noscript",
        "noembed",
        "noframes",
        "template",
        "image",
        "feimage",
    ];
    if LOADING.contains(&name) {
        return Some(Confidence::Medium);
    }
    if STRUCTURE.contains(&name) || is_namespaced(name) {
        return Some(Confidence::Low);
    }
    None
}

/// True for a prefixed XML name such as `svg:svg`, `xsl:stylesheet` or `v:vmlframe`;
/// `mailto:bob@example.com` in a Markdown autolink is not one.
fn is_namespaced(name: &str) -> bool {
    let Some((prefix, local)) = name.split_once(':') else { return false };
    let is_name = |part: &str| {
        part.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    is_name(prefix) && is_name(local)
}

/// Returns the confidence that a closing tag is injected: raw-text elements, whose content the
/// page does not parse as markup until they close, and the tags of `document_tag`.
fn closing_tag(name: &[u8]) -> Option<Confidence> {
    const RAW_TEXT: &[&[u8]] =
        &[b"textarea", b"title", b"style", b"noscript", b"xmp", b"noembed", b"noframes", b"iframe"];
    if RAW_TEXT.iter().any(|raw| name.eq_ignore_ascii_case(raw)) {
        return Some(Confidence::Medium);
    }
    let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
    document_tag(&name)
}

/// CSS syntax that an inline `style` attribute never needs. Braces close the declaration
/// block and open a new rule, and `binding` loads an XBL binding. Backslash escapes (`\3a`,
/// `\x`) hide property names and quotes from filters. Brackets and control characters make
/// parsers disagree about where a string or declaration ends (`font-family:'a[b];color:red'`),
/// and so do comments. An SVG document loaded with `url(` can contain script.
fn inline_style_breakout(value: &[u8]) -> bool {
    let control = value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f);
    memchr::memchr3(b'{', b'}', b'\\', value).is_some()
        || memchr::memchr2(b'[', b']', value).is_some()
        || control
        || memchr::memmem::find(value, b"/*").is_some()
        || find_ignore_case(value, b"binding").is_some()
        || probes::svg_url(value)
}

fn is_event_attribute(name: &str) -> bool {
    let Some(event) = name.strip_prefix("on") else { return false };
    event.len() >= 3 && event.bytes().all(|b| b.is_ascii_alphabetic())
}

/// True when `value` is a URL that runs script when loaded: browsers drop ASCII
/// whitespace and control characters anywhere in the scheme.
fn is_script_url(value: &str) -> bool {
    // Every scheme below starts with one of these letters.
    let first = value.bytes().find(|&b| b > b' ').map(|b| b.to_ascii_lowercase());
    if !matches!(first, Some(b'j' | b'v' | b'l' | b'd' | b'm')) {
        return false;
    }
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
    // Whitespace or control characters inside the scheme (`java\tscript:`) only hide it
    // from filters.
    let hidden_scheme = trimmed[..colon].bytes().any(|b| b <= b' ');
    let code = &trimmed[colon + 1..];
    let looks_like_code =
        code.bytes().any(|b| matches!(b, b'(' | b'`' | b'=' | b';' | b'/' | b'<' | b'[' | b'{' | b'\\'));
    (hidden_scheme || looks_like_code).then_some(at)
}

/// A quote closing an attribute value, followed by a new event handler attribute:
/// `" onmouseover="alert(1)`, `' autofocus onfocus=alert(1) '`, `" type=image src=x
/// onerror=alert(1) "`. Typographic quotes count, because some pages turn them into
/// ASCII ones.
fn attribute_breakout(bytes: &[u8]) -> Option<usize> {
    /// Attributes looked at between the quote and the handler.
    const MAX_ATTRIBUTES: usize = 4;

    if !may_set_event_handler(bytes) {
        return None;
    }
    for at in quote_positions(bytes) {
        // Boolean attributes such as `autofocus`, and attributes with values, may stand
        // between the quote and the handler.
        let mut i = at + 1;
        for _ in 0..MAX_ATTRIBUTES {
            let word_start = skip_while(bytes, i, |b| is_space(b) || b == b'/');
            let word_end = skip_while(bytes, word_start, is_attribute_name_byte);
            if word_end == word_start {
                break;
            }
            let word = &bytes[word_start..word_end];
            let after = skip_while(bytes, word_end, is_space);
            if bytes.get(after) != Some(&b'=') {
                i = word_end;
                continue;
            }
            if word.len() > 2 && word[..2].eq_ignore_ascii_case(b"on") && is_known_event(&word[2..]) {
                return Some(at);
            }
            // Skip the value; a quoted one must close.
            let value_start = skip_while(bytes, after + 1, is_space);
            i = match bytes.get(value_start) {
                Some(&quote @ (b'"' | b'\'')) => match memchr(quote, &bytes[value_start + 1..]) {
                    Some(offset) => value_start + 1 + offset + 1,
                    None => break,
                },
                _ => skip_while(bytes, value_start, |b| !is_space(b) && !matches!(b, b'>' | b'"' | b'\'')),
            };
            if i == value_start {
                break;
            }
        }
    }
    None
}

/// Returns false when no `=` in `bytes` follows a handler name, past spaces. A handler name
/// is `on` and a name of [`EVENT_NAMES`] in any case, and it fills a longest run of ASCII
/// letters, digits, `-` and `_`. That is how [`attribute_breakout`] reads attribute names,
/// so every handler that it finds passes.
fn may_set_event_handler(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'=', bytes).any(|equals| {
        let word_end = skip_space_back(bytes, equals);
        let mut word_start = word_end;
        while word_start > 0 && is_attribute_name_byte(bytes[word_start - 1]) {
            word_start -= 1;
        }
        let word = &bytes[word_start..word_end];
        word.len() > 2 && word[..2].eq_ignore_ascii_case(b"on") && is_known_event(&word[2..])
    })
}

/// Bytes of the attribute names that [`attribute_breakout`] reads.
fn is_attribute_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_known_event(name: &[u8]) -> bool {
    EVENT_NAMES.iter().any(|event| event.as_bytes().eq_ignore_ascii_case(name))
}

/// Returns the position of a quote that ends a JavaScript string, followed by an operator
/// and a call of a sink: `';alert(1)//`, `"-alert(1)-"`, `\';eval(name)//`.
/// Positions of the quotes in `bytes` that can end an attribute value, in order: `"`, `'`,
/// a backtick, and the last byte of the typographic quotes U+2019 and U+201D.
fn quote_positions(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    // Typographic quotes are not ASCII, so an ASCII value is searched with memchr, which
    // is faster than a look at every byte.
    let ascii = bytes.is_ascii();
    let ascii_quotes = ascii.then(|| memchr::memchr3_iter(b'"', b'\'', b'`', bytes));
    let any_quotes = (!ascii).then(|| {
        (0..bytes.len()).filter(move |&at| {
            let typographic = matches!(bytes[at], 0x99 | 0x9d) && at >= 2 && bytes[at - 2..at] == [0xe2, 0x80];
            matches!(bytes[at], b'"' | b'\'' | b'`') || typographic
        })
    });
    ascii_quotes.into_iter().flatten().chain(any_quotes.into_iter().flatten())
}

fn js_breakout(bytes: &[u8]) -> Option<usize> {
    for at in memchr::memchr3_iter(b'"', b'\'', b'`', bytes) {
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

/// CSS that runs script, as written.
fn style_marker(bytes: &[u8]) -> Option<usize> {
    static SEARCHER: LazyLock<LiteralSet> = LazyLock::new(|| markers_searcher(STYLE_MARKERS));
    if !may_contain_style_marker(bytes) {
        return None;
    }
    leftmost_marker(&SEARCHER, bytes)
}

/// Markers of CSS that runs script, for [`style_marker`].
const STYLE_MARKERS: &[&str] = &[
    "expression(",
    "behavior:",
    "behaviour:",
    "-moz-binding",
    "url(javascript",
    "url('javascript",
    "url(\"javascript",
];

/// False when `bytes` cannot contain any of [`STYLE_MARKERS`]. Every marker contains `n(`,
/// `url(`, `r:` or `-moz` in any case, and looking around the `(`, `:` and `-` bytes is
/// cheaper than the marker search.
fn may_contain_style_marker(bytes: &[u8]) -> bool {
    memchr::memchr3_iter(b'(', b':', b'-', bytes).any(|at| match bytes[at] {
        b'(' => ends_with_ignore_case(&bytes[..at], b"n") || ends_with_ignore_case(&bytes[..at], b"url"),
        b':' => ends_with_ignore_case(&bytes[..at], b"r"),
        _ => starts_with_ignore_case(&bytes[at + 1..], b"moz"),
    })
}

/// The functions whose calls [`probe_call`] looks for, in its order of preference.
const PROBES: &[&str] = &["alert", "prompt", "confirm", "eval", "settimeout", "setinterval"];

/// `alert(1)`, `prompt(document.cookie)`, `confirm\`1\``: calls with arguments that only
/// exploit probes pass, and calls that hide the name from a plain `name(` match:
/// `alert?.(1)`, `alert.call(null,1)`, `(alert)(1)`, `[1].find(alert)`, `${alert}`.
/// Returns the first such call of the first function in the order of `PROBES` that has
/// one.
fn probe_call(bytes: &[u8]) -> Option<usize> {
    static SEARCHER: LazyLock<LiteralSet> = LazyLock::new(|| {
        LiteralSet::new(PROBES, MatchKind::Standard, true).expect("the probe names are a valid automaton")
    });

    // A call is a name, spaces, and `(` or a backtick; a name passed as a value follows
    // `(` or `${`. Looking around each `(` and backtick for a name is cheaper than
    // searching the names.
    let may_call = memchr::memchr2_iter(b'(', b'`', bytes).any(|open| {
        let before = &bytes[..callee_end(bytes, open)];
        let mut after = skip_while(bytes, open + 1, is_space);
        if bytes[after..].starts_with(b"${") {
            after = skip_while(bytes, after + 2, is_space);
        }
        let after = &bytes[after..];
        PROBES.iter().any(|probe| {
            ends_with_ignore_case(before, probe.as_bytes()) || starts_with_ignore_case(after, probe.as_bytes())
        })
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

/// Where the name of the function called by the `(` or backtick at `open` ends, past
/// `?.`, `.call`, `.apply`, `.bind` and a closing parenthesis.
fn callee_end(bytes: &[u8], open: usize) -> usize {
    let mut end = open;
    while end > 0 && is_space(bytes[end - 1]) {
        end -= 1;
    }
    let before = &bytes[..end];
    let wrapper = [b"?.".as_slice(), b".call", b".apply", b".bind", b")"]
        .into_iter()
        .find(|wrapper| ends_with_ignore_case(before, wrapper));
    if let Some(wrapper) = wrapper {
        end -= wrapper.len();
        while end > 0 && is_space(bytes[end - 1]) {
            end -= 1;
        }
    }
    end
}

/// True when the function name at `bytes[at..name_end]` starts a word and is called with
/// a probe argument, called through a wrapper, or passed as a function.
fn is_probe_call(bytes: &[u8], at: usize, name_end: usize) -> bool {
    let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
    if !before_ok {
        return false;
    }
    let mut before = at;
    while before > 0 && is_space(bytes[before - 1]) {
        before -= 1;
    }
    let previous = before.checked_sub(1).map(|i| bytes[i]);
    let is_call_at = |i: usize| matches!(bytes.get(skip_while(bytes, i, is_space)), Some(b'(' | b'`'));

    let open = skip_while(bytes, name_end, is_space);
    match bytes.get(open) {
        Some(b'`') => true,
        Some(b'(') => is_probe_argument(&bytes[skip_while(bytes, open + 1, is_space)..]),
        Some(b'?') => bytes.get(open + 1) == Some(&b'.') && is_call_at(open + 2),
        Some(b'.') => {
            let method_end = skip_while(bytes, open + 1, |b| b.is_ascii_alphabetic());
            let method = &bytes[open + 1..method_end];
            [b"call".as_slice(), b"apply", b"bind"].iter().any(|known| method.eq_ignore_ascii_case(known))
                && is_call_at(method_end)
        }
        // `(alert)(1)`, or `[1].find(alert)`: a method called with the function.
        Some(b')') if previous == Some(b'(') => is_call_at(open + 1) || is_method_call(bytes, before - 1),
        // `${alert}` in a tagged template.
        Some(b'}') if previous == Some(b'{') && before >= 2 && bytes[before - 2] == b'$' => true,
        _ => false,
    }
}

/// True for the arguments that only probes pass: a number, a string, `document.cookie`.
fn is_probe_argument(argument: &[u8]) -> bool {
    // Typographic quotes, U+2018 to U+201D, where a page turns them into ASCII ones.
    let typographic_quote =
        argument.len() >= 3 && argument[..2] == [0xe2, 0x80] && (0x98..=0x9d).contains(&argument[2]);
    argument.first().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'\'' | b'"' | b')' | b'/'))
        || typographic_quote
        || argument.starts_with(b"\\'")
        || argument.starts_with(b"\\\"")
        || starts_with_ignore_case(argument, b"document")
        || starts_with_ignore_case(argument, b"window.")
        || starts_with_ignore_case(argument, b"string.fromcharcode")
        || starts_with_ignore_case(argument, b"atob(")
        || starts_with_ignore_case(argument, b"location")
}

/// True when the `(` at `open` calls a method: `.name(`.
fn is_method_call(bytes: &[u8], open: usize) -> bool {
    let mut name_start = open;
    while name_start > 0 && is_identifier_byte(bytes[name_start - 1]) {
        name_start -= 1;
    }
    name_start < open && name_start > 0 && bytes[name_start - 1] == b'.'
}

/// CSS that runs script, also when CSS escapes (`\28` is `(`) spell the markers.
fn style_script(bytes: &[u8]) -> Option<usize> {
    if let Some(at) = style_marker(bytes) {
        return Some(at);
    }
    let backslash = memchr(b'\\', bytes)?;
    let unescaped = css_unescape(bytes);
    style_marker(&unescaped).map(|at| at.min(backslash))
}

/// Decodes CSS escapes: a backslash and one to six hex digits, with one following space,
/// is that code point; a backslash before any other character is that character.
fn css_unescape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let digits = bytes[i + 1..].iter().take(6).take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 {
            if let Some(&escaped) = bytes.get(i + 1) {
                out.push(escaped);
            }
            i += 2;
            continue;
        }
        let code = bytes[i + 1..i + 1 + digits]
            .iter()
            .fold(0u32, |code, &b| code * 16 + (b as char).to_digit(16).unwrap_or(0));
        i += 1 + digits;
        if bytes.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        let c = char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{fffd}');
        let mut buffer = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    }
    out
}

/// UTF-7 runs that spell ASCII markup, decoded: `+ADw-script+AD4-` is `<script>`. The
/// `+` may have become a space in a form or query value. Returns `None` when the text
/// has no such run.
fn decode_utf7(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    // `<`, `>`, `"`, `'` and `/` all start a run with `AC` or `AD`.
    if !memchr::memchr_iter(b'A', bytes).any(|at| matches!(bytes.get(at + 1), Some(b'C' | b'D'))) {
        return None;
    }

    let base64 = |b: u8| -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some((b - b'A') as u32),
            b'a'..=b'z' => Some((b - b'a' + 26) as u32),
            b'0'..=b'9' => Some((b - b'0' + 52) as u32),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut copied_from = 0;
    let mut i = 0;
    // Runs start at `+` or a space.
    while let Some(offset) = memchr::memchr2(b'+', b' ', &bytes[i..]) {
        i += offset;
        if bytes.get(i + 1) != Some(&b'A') {
            i += 1;
            continue;
        }
        let run_end = skip_while(bytes, i + 1, |b| base64(b).is_some() && b != b'+');
        let run = &bytes[i + 1..run_end];
        if bytes.get(run_end) != Some(&b'-') || run.len() < 3 {
            i += 1;
            continue;
        }
        let mut decoded = String::new();
        let (mut bits, mut count) = (0u32, 0);
        for &b in run {
            bits = (bits << 6) | base64(b).unwrap_or(0);
            count += 6;
            if count >= 16 {
                count -= 16;
                let unit = (bits >> count) & 0xffff;
                decoded.push(char::from_u32(unit).filter(char::is_ascii).unwrap_or('\u{fffd}'));
            }
        }
        if decoded.contains('\u{fffd}') {
            i += 1;
            continue;
        }
        out.push_str(&text[copied_from..i]);
        out.push_str(&decoded);
        i = run_end + 1;
        copied_from = i;
        changed = true;
    }
    if !changed {
        return None;
    }
    out.push_str(&text[copied_from..]);
    Some(out)
}

/// Returns the text as read by a server that drops the high bit of Latin-1 characters,
/// when that turns `\u{bc}` and `\u{be}` into `<` and `>`: `\u{bc}script\u{be}` is `<script>`.
/// The UTF-8 bytes of such a character read as two Latin-1 characters (`\u{c2}\u{bc}`,
/// from `\xc2\xbc`) count as the character they encode: the `\u{c2}` is dropped. Returns `None`
/// when the text has no `\u{bc}`.
fn seven_bit_markup(text: &str) -> Option<String> {
    // The UTF-8 encoding of `\u{bc}` ends with the byte 0xbc, which no ASCII text has.
    if memchr(0xbc, text.as_bytes()).is_none() || !text.contains('\u{bc}') {
        return None;
    }
    let mut folded = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let continues = chars.peek().is_some_and(|&next| ('\u{80}'..='\u{bf}').contains(&next));
        match c as u32 {
            0xc2 if continues => {}
            code @ 0x80..=0xff => folded.push(char::from((code & 0x7f) as u8)),
            _ => folded.push(c),
        }
    }
    Some(folded)
}

/// Returns the text without short tags between letters (`o<x>nfocus`, `al<b></b>ert`),
/// which some filters remove before the page receives the value. Returns `None` when there are
/// none.
fn strip_split_tags(text: &str) -> Option<String> {
    /// Maximum length of a tag removed, in bytes with its angle brackets.
    const MAX_TAG: usize = 12;

    let bytes = text.as_bytes();
    memchr(b'<', bytes)?;
    let mut out = String::with_capacity(text.len());
    let mut copied_from = 0;
    let mut i = 0;
    while let Some(offset) = memchr(b'<', &bytes[i..]) {
        let at = i + offset;
        i = at + 1;
        let name_start = if bytes.get(at + 1) == Some(&b'/') { at + 2 } else { at + 1 };
        let name_end = skip_while(bytes, name_start, |b| b.is_ascii_alphanumeric());
        let split = name_end > name_start
            && bytes.get(name_end) == Some(&b'>')
            && name_end + 1 - at <= MAX_TAG
            && at > 0
            && bytes[at - 1].is_ascii_alphanumeric();
        if split {
            out.push_str(&text[copied_from..at]);
            copied_from = name_end + 1;
            i = copied_from;
        }
    }
    if copied_from == 0 {
        return None;
    }
    out.push_str(&text[copied_from..]);
    Some(out)
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
    // Jump between occurrences of the needle's rarest byte in either case. They come in
    // order, so the first candidate that matches is the leftmost match.
    let anchor = rarest_byte(needle);
    let rare = needle[anchor];
    let last_start = haystack.len() - needle.len();
    let mut from = 0;
    while from <= last_start {
        let window = &haystack[from + anchor..=last_start + anchor];
        let offset = memchr::memchr2(rare.to_ascii_lowercase(), rare.to_ascii_uppercase(), window)?;
        let at = from + offset;
        if haystack[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Index of the first of the rarest bytes of `needle` by [`byte_rarity`].
fn rarest_byte(needle: &[u8]) -> usize {
    let mut rarest = 0;
    for (i, &b) in needle.iter().enumerate().skip(1) {
        if byte_rarity(b) > byte_rarity(needle[rarest]) {
            rarest = i;
        }
    }
    rarest
}

/// Returns an estimate of how rare byte `b` is in parameter values, higher for rarer
/// bytes. Letters rank by their frequency in English text. The punctuation of URLs and
/// forms ranks with `d`, digits with `p`, and other bytes with `q`.
fn byte_rarity(b: u8) -> u8 {
    BYTE_RARITY[b as usize]
}

/// The table of [`byte_rarity`].
static BYTE_RARITY: [u8; 256] = {
    const LETTERS_BY_FREQUENCY: &[u8] = b"etaoinshrdlcumwfgypbvkjxqz";
    const COMMON_PUNCTUATION: &[u8] = b"/.=&-_%+,";
    let mut table = [25u8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = 20;
        i += 1;
    }
    i = 0;
    while i < COMMON_PUNCTUATION.len() {
        table[COMMON_PUNCTUATION[i] as usize] = 10;
        i += 1;
    }
    table[b' ' as usize] = 0;
    i = 0;
    while i < LETTERS_BY_FREQUENCY.len() {
        let letter = LETTERS_BY_FREQUENCY[i];
        table[letter as usize] = i as u8 + 1;
        table[letter.to_ascii_uppercase() as usize] = i as u8 + 1;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_ignore_case_finds_leftmost() {
        let naive = |haystack: &[u8], needle: &[u8]| {
            (!needle.is_empty() && haystack.len() >= needle.len())
                .then(|| haystack.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)))
                .flatten()
        };
        let haystacks: [&[u8]; 7] =
            [b"", b"x", b"JavaScript:alert(1)", b"a script: b SCRIPT:", b"zzz", b"qqqzq", b"\xe2\x80\x99 script"];
        let needles: [&[u8]; 7] = [b"script:", b"z", b"qz", b"alert(", b"x", b"", b"javascript:alert(1)x"];
        for haystack in haystacks {
            for needle in needles {
                assert_eq!(
                    find_ignore_case(haystack, needle),
                    naive(haystack, needle),
                    "haystack {:?} needle {:?}",
                    String::from_utf8_lossy(haystack),
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }

    #[test]
    fn script_names_cases() {
        for probe in PROBES {
            assert!(SINKS.contains(probe), "probe {probe:?}");
        }
        for marker in DOM_MARKERS {
            assert!(DOM_NAMES.iter().any(|name| marker.contains(name)), "marker {marker:?}");
        }
        let cases = [
            ("", false, false),
            ("' or 1=1 --", false, false),
            ("x=ALERT", true, false),
            ("Document", false, true),
            ("eval(window.name)", true, true),
            ("dialog", false, false),
            ("select * from users where id='1'", false, false),
            ("x:Expression(1)", false, true),
            ("(![]+[])", false, true),
            ("TOP[x]", false, true),
            ("x.Apply`1`", false, true),
        ];
        for (input, sink, dom) in cases {
            let found = ScriptNames::find(input.as_bytes());
            assert_eq!(found, ScriptNames { sink, other: dom }, "input {input:?}");
        }
    }

    #[test]
    fn event_handler_gate() {
        let handlers = ["\" onmouseover=\"go()", "x onError =go", "ONLOAD=1", "a'/onfocus\t=x", "\" type=a onclick=b"];
        for input in handlers {
            assert!(may_set_event_handler(input.as_bytes()), "input {input:?}");
        }
        let others = ["", "x=1", "on=1", "one=1", "xonload=1", "on-load=1", "onload", "onfoo=1", "= onload"];
        for input in others {
            assert!(!may_set_event_handler(input.as_bytes()), "input {input:?}");
        }
    }

    #[test]
    fn rarest_byte_cases() {
        let cases: [(&[u8], usize); 5] = [(b"script:", 6), (b"document", 4), (b"aa", 0), (b"x", 0), (b"", 0)];
        for (needle, expected) in cases {
            assert_eq!(rarest_byte(needle), expected, "needle {:?}", String::from_utf8_lossy(needle));
        }
    }

    #[test]
    fn dom_markers_pass_their_gate() {
        for marker in DOM_MARKERS {
            assert!(may_contain_dom_marker(marker.as_bytes()), "marker {marker:?}");
            assert!(may_contain_dom_marker(marker.to_ascii_uppercase().as_bytes()), "marker {marker:?} in upper case");
            assert_eq!(dom_access(marker.as_bytes()), Some(0), "marker {marker:?}");
        }
        assert!(!may_contain_dom_marker(b"example.com/a.b"));
    }

    #[test]
    fn style_markers_pass_their_gate() {
        for marker in STYLE_MARKERS {
            assert!(may_contain_style_marker(marker.as_bytes()), "marker {marker:?}");
            assert!(
                may_contain_style_marker(marker.to_ascii_uppercase().as_bytes()),
                "marker {marker:?} in upper case"
            );
        }
        assert!(!may_contain_style_marker(b"alert(1) a: b - c"));
    }

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
    fn obfuscated_xss_cases() {
        let attacks = [
            ("script tag inside an attribute value", "<a href=\"x?q=<script>alert(1)</script>\">", "xss.script_tag"),
            (
                "set animates xlink:href",
                "<set attributeName=\"xlink:href\" to=\"//evil.example\"/>",
                "xss.dangerous_tag",
            ),
            ("meta charset switch", "<meta charset=\"x-imap4-modified-utf7\">", "xss.dangerous_tag"),
            ("stylesheet link", "<link rel=stylesheet href=\"//evil.example/x.css\">", "xss.dangerous_tag"),
            ("bare style tag", "x<style>", "xss.dangerous_tag"),
            (
                "IE import instruction",
                "<?import namespace=\"t\" implementation=\"#default#time2\">",
                "xss.dangerous_tag",
            ),
            ("IE data binding", "<span datasrc=\"#x\" dataformatas=\"html\"></span>", "xss.dangerous_tag"),
            ("document markup", "<html><body>", "xss.dangerous_tag"),
            ("form with password field", "<form><input name=\"pw\" type=\"password\">", "xss.dangerous_tag"),
            ("svg namespace", "<svg xmlns=\"http://www.w3.org/2000/svg\">", "xss.dangerous_tag"),
            ("prefixed tag name", "<v:vmlframe src=\"evil.example/x.fml\"/>", "xss.dangerous_tag"),
            ("textarea breakout", "</textarea><b>", "xss.dangerous_tag"),
            (
                "CSS escapes spell url(javascript:",
                "<div style=\"background:\\75\\72\\6c\\28javascript:alert(1))\">",
                "xss.style_script",
            ),
            ("CSS escapes spell expression(", "x:expression\\28write(1)\\29", "xss.style_script"),
            ("inline style opens a rule", "<div style=\"color:red}body{color:blue\">", "xss.style_script"),
            ("URL scheme split by a tab", "java\tscript:", "xss.javascript_url"),
            ("handler after valued attributes", "\" type=image src=x onerror=go \"", "xss.event_handler"),
            ("typographic quote breakout", "x\u{201d} autofocus onfocus=go()", "xss.event_handler"),
            ("optional call", "alert?.(document?.cookie)", "xss.script_call"),
            ("call through call()", "confirm.call(null,1)", "xss.script_call"),
            ("parenthesised sink", "(alert)(1)", "xss.script_call"),
            ("sink as a callback", "[1].find(alert)", "xss.script_call"),
            ("typographic quote argument", "alert(\u{201c}x\u{201d})", "xss.script_call"),
            ("setTimeout with a string", "setTimeout('go()',1)", "xss.script_call"),
            ("global subscript call", "top[\"al\"+\"ert\"](1)", "xss.script_call"),
            ("global subscript with comments", "self[/*x*/'alert'](1)", "xss.script_call"),
            ("JSFuck", "(![]+[])[+[]]+([![]]+[][[]])", "xss.script_call"),
            ("JSFuck with spaces for plus", "(![] [])[ ! []]", "xss.script_call"),
            ("call as a template tag", "Reflect.apply.call`${x}`", "xss.script_call"),
            ("document subscript", "document[\"cookie\"]", "xss.dom_access"),
            ("document with comments", "(document /**/ . cookie)", "xss.dom_access"),
            ("UTF-7 markup", "+ADw-script+AD4-x+ADw-/script+AD4-", "xss.script_tag"),
            ("UTF-7 with plus as space", " ADw-script AD4-x", "xss.script_tag"),
            ("7-bit Latin-1 markup", "\u{bc}script\u{be}x\u{bc}/script\u{be}", "xss.script_tag"),
            ("IE conditional comment", "<!--[if gte IE 4]>", "xss.dangerous_tag"),
            ("document type", "<!doctype html><p>x", "xss.dangerous_tag"),
            ("keyword split by tags", "\\\"autof<x>ocus o<x>nfocus=alert<x>(1)//", "xss.event_handler"),
        ];
        let wrong: Vec<_> = attacks
            .iter()
            .map(|(name, input, rule)| (name, input, rule, detect(input).map(|m| m.rule_id)))
            .filter(|(_, _, rule, found)| *found != Some(**rule))
            .collect();
        assert!(wrong.is_empty(), "cases with another result: {wrong:#?}");
    }

    #[test]
    fn obfuscated_xss_near_misses() {
        let benign = [
            ("comparison", "a < b > c"),
            ("heart", "x<3"),
            ("email quoting", "Bob <bob@example.com> wrote"),
            ("Markdown autolink", "<mailto:bob@example.com>"),
            ("Markdown image", "![](a.png) and ![logo](b.png)"),
            ("Markdown emphasis", "**bold** and `code` and [link](https://example.com)"),
            ("words", "onion alert javascript online document"),
            ("prose with parentheses", "raise an (alert) when the document is saved"),
            ("prose colon", "JavaScript: the good parts"),
            ("formatting tags", "<p class=\"note\"><b>hi</b> <a href=\"https://example.com\">x</a></p>"),
            ("closing formatting tag", "</b></p>"),
            ("plain inline style", "<span style=\"color: red; font-size: 12px\">x</span>"),
            ("SVG image document", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"),
            ("XMP packet", "<?xpacket begin=\"\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"),
            ("usage placeholders", "Usage: convert <input> <template> <image>"),
            ("HTML comment", "<!-- note -->"),
            ("XML stylesheet instruction", "<?xml-stylesheet type=\"text/xsl\" href=\"style.xsl\"?>"),
            ("closing tag name prefix", "</scripts>"),
            ("book binding", "binding: hardcover"),
            ("capital words", "ACME-Corp AND ADD-ON"),
            ("Cyrillic text", "\u{43c}\u{43e}\u{440}\u{435}"),
            ("window index", "window[0] is the first frame"),
            ("call in prose", "please call (555) 123"),
            ("quoted key and value", "\"name\" = \"x\" onwards"),
        ];
        let found: Vec<_> =
            benign.iter().map(|(name, input)| (name, input, detect(input))).filter(|(_, _, m)| m.is_some()).collect();
        assert!(found.is_empty(), "near misses that matched: {found:#?}");
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
