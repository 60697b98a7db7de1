//! Guessing the format of a traffic file from its name and first bytes.

use std::path::Path;

/// The file formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// HAR 1.2, read by [`crate::har::read_har`].
    Har,
    /// Native traces as JSON Lines, read by [`crate::native::read_jsonl`].
    Jsonl,
    /// One native trace object or an array of them, read by [`crate::native::decode`].
    NativeJson,
    /// A Keploy test case, read by [`crate::keploy::decode`].
    Keploy,
    /// A Metlo trace object or an array of them, read by [`crate::metlo::decode`].
    MetloJson,
    /// A pcap or pcapng packet capture, read by the `palisade-capture` crate.
    Pcap,
}

impl Format {
    /// Short lowercase name of the format, for `--format` options and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::NativeJson => "json",
            Format::Keploy => "keploy",
            Format::MetloJson => "metlo",
            Format::Pcap => "pcap",
        }
    }
}

/// Detects a file's format by its extension, then by sniffing `first_bytes` (a few KiB from
/// the start of the file are enough).
///
/// `.har`, `.jsonl`, `.ndjson`, `.yaml`, `.yml`, `.pcap`, `.pcapng` and `.cap` decide by
/// themselves. Other files are recognised by their content, in this order:
///
/// - a pcap magic number (`a1b2c3d4` or `a1b23c4d` in either byte order) or the pcapng
///   section header type (`0a0d0d0a`) is a packet capture;
/// - a JSON object with a `log` object is HAR;
/// - JSON that names Metlo fields (`url` as an object, `sourcePort`, `metloSource`, ...) is
///   Metlo;
/// - a complete JSON object on the first line followed by another object is JSON Lines;
/// - other JSON with a `url` string or a `request` member is native;
/// - text with a Keploy `kind` or `version` is Keploy.
///
/// Any other `.json` file that starts like JSON is taken as native JSON. Returns `None` when
/// nothing matches.
pub fn detect(path: &Path, first_bytes: &[u8]) -> Option<Format> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("har") => return Some(Format::Har),
        Some("jsonl" | "ndjson") => return Some(Format::Jsonl),
        Some("yaml" | "yml") => return Some(Format::Keploy),
        Some("pcap" | "pcapng" | "cap") => return Some(Format::Pcap),
        _ => {}
    }
    if is_capture(first_bytes) {
        return Some(Format::Pcap);
    }

    if let Some(format) = sniff(first_bytes) {
        return Some(format);
    }
    let text = skip_preamble(first_bytes);
    let looks_like_json = text.starts_with(b"{") || text.starts_with(b"[");
    (extension.as_deref() == Some("json") && looks_like_json).then_some(Format::NativeJson)
}

fn sniff(bytes: &[u8]) -> Option<Format> {
    let text = skip_preamble(bytes);
    let &first = text.first()?;

    if first != b'{' && first != b'[' {
        let keploy = contains(text, b"api.keploy.io") || contains(text, b"kind: Http") || contains(text, b"kind: gRPC");
        return keploy.then_some(Format::Keploy);
    }

    if first == b'{' && value_after_key(text, b"log") == Some(b'{') {
        return Some(Format::Har);
    }
    if is_metlo(text) {
        return Some(Format::MetloJson);
    }
    if first == b'{' && is_json_lines(text) {
        return Some(Format::Jsonl);
    }
    let native = matches!(value_after_key(text, b"url"), Some(b'"')) || contains(text, b"\"request\"");
    native.then_some(Format::NativeJson)
}

fn is_capture(bytes: &[u8]) -> bool {
    const MAGIC: [[u8; 4]; 5] = [
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    MAGIC.iter().any(|magic| bytes.starts_with(magic))
}

/// Skips a UTF-8 byte order mark and leading whitespace.
fn skip_preamble(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Metlo traces have `url` as an object, and fields that the native format does not use.
fn is_metlo(text: &[u8]) -> bool {
    const METLO_KEYS: [&[u8]; 5] =
        [b"\"metloSource\"", b"\"processedTraceData\"", b"\"sourcePort\"", b"\"destinationPort\"", b"\"endpointPath\""];
    value_after_key(text, b"url") == Some(b'{') || METLO_KEYS.iter().any(|key| contains(text, key))
}

/// True when the first line is a whole JSON value and another line follows it.
fn is_json_lines(text: &[u8]) -> bool {
    let Some(newline) = text.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let first_line = &text[..newline];
    let rest = skip_preamble(&text[newline + 1..]);
    serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok() && rest.starts_with(b"{")
}

/// Returns the first byte of the value of the first `"key":` in `text`.
fn value_after_key(text: &[u8], key: &[u8]) -> Option<u8> {
    let quoted = [b"\"", key, b"\""].concat();
    let mut search_from = 0;
    while let Some(offset) = find(&text[search_from..], &quoted) {
        let after = search_from + offset + quoted.len();
        let mut rest = text[after..].iter().copied().skip_while(u8::is_ascii_whitespace);
        if rest.next() == Some(b':') {
            return rest.find(|b| !b.is_ascii_whitespace());
        }
        search_from = after;
    }
    None
}

fn contains(text: &[u8], needle: &[u8]) -> bool {
    find(text, needle).is_some()
}

fn find(text: &[u8], needle: &[u8]) -> Option<usize> {
    text.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniffed(text: &str) -> Option<Format> {
        detect(Path::new("traffic"), text.as_bytes())
    }

    #[test]
    fn extension_decides() {
        assert_eq!(detect(Path::new("a/b.HAR"), b""), Some(Format::Har));
        assert_eq!(detect(Path::new("x.jsonl"), b"[]"), Some(Format::Jsonl));
        assert_eq!(detect(Path::new("x.ndjson"), b""), Some(Format::Jsonl));
        assert_eq!(detect(Path::new("test-1.yaml"), b""), Some(Format::Keploy));
        assert_eq!(detect(Path::new("test-1.yml"), b""), Some(Format::Keploy));
    }

    #[test]
    fn sniffs_har() {
        let text =
            "\u{feff}\n{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"creator\": {\"name\": \"WebInspector\"}";
        assert_eq!(sniffed(text), Some(Format::Har));
        assert_eq!(detect(Path::new("capture.json"), text.as_bytes()), Some(Format::Har));
    }

    #[test]
    fn sniffs_metlo() {
        let batch = r#"[{"request": {"url": {"host": "a", "path": "/"}, "method": "GET"}}]"#;
        assert_eq!(sniffed(batch), Some(Format::MetloJson));
        let single = r#"{"response": {"status": 200}, "meta": {"sourcePort": "5000"}}"#;
        assert_eq!(sniffed(single), Some(Format::MetloJson));
    }

    #[test]
    fn sniffs_native() {
        let text = r#"{"request": {"method": "GET", "url": "https://a.example/"}}"#;
        assert_eq!(sniffed(text), Some(Format::NativeJson));
        let text = "[\n {\"request\": {\"method\": \"GET\", \"host\": \"a\", \"path\": \"/\"}}\n]";
        assert_eq!(sniffed(text), Some(Format::NativeJson));
    }

    #[test]
    fn sniffs_json_lines() {
        let text = "{\"request\": {\"method\": \"GET\", \"url\": \"https://a/\"}}\n{\"request\": {\"meth";
        assert_eq!(sniffed(text), Some(Format::Jsonl));
        // A pretty-printed object is not JSON Lines.
        let text = "{\n  \"request\": {\"method\": \"GET\", \"url\": \"https://a/\"}\n}\n";
        assert_eq!(sniffed(text), Some(Format::NativeJson));
    }

    #[test]
    fn sniffs_keploy() {
        let text = "# Generated by Keploy (2.10.29)\nversion: api.keploy.io/v1beta1\nkind: Http\n";
        assert_eq!(sniffed(text), Some(Format::Keploy));
    }

    #[test]
    fn unknown_content() {
        assert_eq!(sniffed("hello"), None);
        assert_eq!(sniffed(""), None);
        assert_eq!(sniffed(r#"{"a": 1}"#), None);
        assert_eq!(detect(Path::new("data.json"), br#"{"a": 1}"#), Some(Format::NativeJson));
        assert_eq!(detect(Path::new("data.json"), b"hello"), None);
    }

    #[test]
    fn detects_packet_captures() {
        for name in ["a.pcap", "b.PCAPNG", "c.cap"] {
            assert_eq!(detect(Path::new(name), b""), Some(Format::Pcap), "{name}");
        }
        let captures: [&[u8]; 5] = [
            b"\xd4\xc3\xb2\xa1\x02\x00",
            b"\xa1\xb2\xc3\xd4\x00\x02",
            b"\x4d\x3c\xb2\xa1",
            b"\xa1\xb2\x3c\x4d",
            b"\x0a\x0d\x0d\x0a\x1c\x00",
        ];
        for bytes in captures {
            assert_eq!(detect(Path::new("traffic"), bytes), Some(Format::Pcap), "{bytes:02x?}");
        }
        let near_misses: [&[u8]; 4] = [b"\xd4\xc3\xb2", b"\xa1\xb2\xc3\xd5", b"\x0a\x0d\x0d\x0b", b"\n\r\r"];
        for bytes in near_misses {
            assert_eq!(detect(Path::new("traffic"), bytes), None, "{bytes:02x?}");
        }
    }

    #[test]
    fn value_after_key_skips_values_named_like_keys() {
        let text = br#"{"name": "log", "log" : {"entries": []}}"#;
        assert_eq!(value_after_key(text, b"log"), Some(b'{'));
        assert_eq!(value_after_key(text, b"missing"), None);
    }
}
