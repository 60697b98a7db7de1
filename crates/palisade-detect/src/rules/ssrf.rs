//! Server-side request forgery: parameters holding URLs or hosts that name, by their text
//! alone, an address inside the server's network. Nothing is ever resolved through DNS.
//!
//! A host is read the way URL parsers and `inet_aton` read it, so `2130706433`,
//! `0x7f.1`, `0177.0.0.1`, `127.1`, `[::ffff:127.0.0.1]` and `[::ffff:7f00:1]` are all
//! loopback. Names that public wildcard DNS services map to an embedded address
//! (`127.0.0.1.nip.io`) or to loopback (`localtest.me`) count as that address.
//!
//! - `ssrf.metadata`: cloud metadata services (169.254.169.254, `fd00:ec2::254`,
//!   100.100.100.200, `metadata.google.internal`, ...).
//! - `ssrf.loopback`: loopback and unspecified addresses, `localhost`.
//! - `ssrf.private_address`: RFC 1918, link-local, unique-local and CGNAT addresses.
//! - `ssrf.scheme`: URL schemes that servers use to reach other protocols (`gopher:`,
//!   `dict:`, `ldap:`, `tftp:`, `netdoc:`, `jar:`).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsrfMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Parameter names whose values are hosts or URLs even without a scheme.
const HOST_PARAMETER_WORDS: &[&str] = &[
    "url", "uri", "host", "target", "dest", "server", "domain", "callback", "webhook", "proxy", "redirect", "link",
    "endpoint", "feed", "site", "fetch", "remote", "upstream", "origin", "next", "return", "continue", "image",
    "avatar", "ip", "addr",
];

/// Most URLs examined per value.
const MAX_URLS: usize = 8;

/// The network a name or address points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Private,
    Loopback,
    Metadata,
}

pub fn detect(text: &str, name: &str) -> Option<SsrfMatch> {
    let bytes = text.as_bytes();
    let mut best: Option<(Reach, usize)> = None;
    let mut urls = 0;

    // Every `scheme://` in the value, and `scheme:\\` or `scheme:/\` that some parsers
    // accept.
    let mut from = 0;
    while let Some(offset) = find_scheme_separator(&bytes[from..]) {
        let colon = from + offset;
        from = colon + 1;
        urls += 1;
        if urls > MAX_URLS {
            break;
        }
        let scheme_start = bytes[..colon]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
            .map(|p| p + 1)
            .unwrap_or(0);
        let scheme = text[scheme_start..colon].to_ascii_lowercase();
        if is_protocol_smuggling_scheme(&scheme) {
            return Some(SsrfMatch { rule_id: "ssrf.scheme", confidence: Confidence::High, at: scheme_start });
        }
        let authority_start = colon + 1 + bytes[colon + 1..].iter().take_while(|&&b| b == b'/' || b == b'\\').count();
        if let Some(reach) = authority_reach(&text[authority_start..]) {
            keep_best(&mut best, reach, scheme_start);
        }
    }

    // A bare host (`127.0.0.1:8080/admin`) in a parameter named for hosts or URLs.
    if best.is_none() && urls == 0 && is_host_parameter(name) {
        let trimmed = text.trim();
        if !trimmed.contains(char::is_whitespace)
            && let Some(reach) = authority_reach(trimmed)
        {
            keep_best(&mut best, reach, text.len() - text.trim_start().len());
        }
    }

    let (reach, at) = best?;
    let (rule_id, confidence) = match reach {
        Reach::Metadata => ("ssrf.metadata", Confidence::High),
        Reach::Loopback => ("ssrf.loopback", Confidence::High),
        Reach::Private => ("ssrf.private_address", Confidence::Medium),
    };
    Some(SsrfMatch { rule_id, confidence, at })
}

fn keep_best(best: &mut Option<(Reach, usize)>, reach: Reach, at: usize) {
    if best.is_none_or(|(current, _)| reach > current) {
        *best = Some((reach, at));
    }
}

pub fn is_host_parameter(name: &str) -> bool {
    // The last component of a dotted or bracketed name: `config.callback_url` gives
    // `callback_url`.
    let last = name.rsplit(['.', '[', ']']).find(|part| !part.is_empty()).unwrap_or(name);
    if last.len() > 40 {
        return false;
    }
    let bytes = last.as_bytes();
    HOST_PARAMETER_WORDS.iter().any(|word| {
        let word = word.as_bytes();
        if bytes.len() < word.len() {
            return false;
        }
        let prefix = bytes[..word.len()].eq_ignore_ascii_case(word);
        let suffix = bytes[bytes.len() - word.len()..].eq_ignore_ascii_case(word);
        // `url`, `callback_url`, `url_to_fetch`, `imageUrl`, `targetHost`.
        (prefix && (bytes.len() == word.len() || matches!(bytes[word.len()], b'_' | b'-')))
            || (suffix && bytes.len() <= word.len() + 12)
    })
}

/// Schemes that make an HTTP client speak another protocol to an internal service.
fn is_protocol_smuggling_scheme(scheme: &str) -> bool {
    matches!(
        scheme,
        "gopher" | "dict" | "ldap" | "ldaps" | "tftp" | "netdoc" | "jar" | "sftp" | "telnet" | "ssh2.shell" | "expect"
    )
}

/// Position of the `:` of the next `://`, `:\\` or `:/\`.
fn find_scheme_separator(bytes: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i + 2 < bytes.len() {
        if bytes[i] == b':'
            && matches!(bytes[i + 1], b'/' | b'\\')
            && matches!(bytes[i + 2], b'/' | b'\\')
            && bytes[i - 1].is_ascii_alphanumeric()
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Classifies the host of an authority such as `user@host:port`. Every reading that URL
/// parsers disagree on is tried: the host after the last `@` (RFC 3986), and the text
/// before the first `@` (`http://127.0.0.1@evil.example` in lenient parsers).
fn authority_reach(rest: &str) -> Option<Reach> {
    let end = rest.find(['/', '\\', '?', '#', ' ', '"', '\'', '<', '>', '\n', '\r', '\t']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.len() > 256 {
        return None;
    }
    let mut best = None;
    let after_at = authority.rsplit('@').next().unwrap_or(authority);
    for candidate in
        [Some(after_at), authority.split('@').next().filter(|_| authority.contains('@'))].into_iter().flatten()
    {
        if let Some(reach) = host_reach(strip_port(candidate)) {
            best = best.max(Some(reach));
        }
    }
    best
}

/// Removes `:port` from `host:port` and the brackets from `[v6]:port`.
fn strip_port(host: &str) -> &str {
    if let Some(inner) = host.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    if host.matches(':').count() > 1 {
        // A bare IPv6 address without brackets.
        return host;
    }
    host.split(':').next().unwrap_or(host)
}

/// Classifies a host name or address by its text.
fn host_reach(host: &str) -> Option<Reach> {
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let lower = host.to_ascii_lowercase();

    if let Some(address) = parse_ipv4(&lower) {
        return ipv4_reach(address);
    }
    let without_zone = lower.split('%').next().unwrap_or(&lower);
    if without_zone.contains(':')
        && let Ok(address) = without_zone.parse::<Ipv6Addr>()
    {
        return ipv6_reach(address);
    }
    name_reach(&lower)
}

fn name_reach(name: &str) -> Option<Reach> {
    const METADATA_NAMES: &[&str] = &[
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.com",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    ];
    if METADATA_NAMES.contains(&name) {
        return Some(Reach::Metadata);
    }
    if name == "localhost"
        || name.ends_with(".localhost")
        || name == "localhost.localdomain"
        || name == "ip6-localhost"
        || name == "ip6-loopback"
        || name == "0"
    {
        return Some(Reach::Loopback);
    }
    // Public names that resolve to 127.0.0.1 for local development.
    for loopback_zone in ["localtest.me", "lvh.me", "vcap.me", "lacolhost.com", "fbi.com.localhost"] {
        if name == loopback_zone || name.ends_with(&format!(".{loopback_zone}")) {
            return Some(Reach::Loopback);
        }
    }
    // Wildcard DNS services that answer with the address written in the name:
    // `10.0.0.1.nip.io`, `10-0-0-1.sslip.io`, `0a000001.nip.io`.
    for zone in [".nip.io", ".xip.io", ".sslip.io", ".traefik.me", ".localh.st"] {
        if let Some(prefix) = name.strip_suffix(zone)
            && let Some(reach) = embedded_address_reach(prefix)
        {
            return Some(reach);
        }
    }
    None
}

/// Reads the address in the labels before a wildcard DNS zone: the last four labels
/// (`10.0.0.1`), the last label with dashes (`10-0-0-1`, `app-10-0-0-1`) or in hex
/// (`0a000001`).
fn embedded_address_reach(prefix: &str) -> Option<Reach> {
    let labels: Vec<&str> = prefix.split('.').collect();
    let last = labels.last().copied().unwrap_or("");
    let mut candidates = Vec::new();
    if labels.len() >= 4 {
        candidates.push(labels[labels.len() - 4..].join("."));
    }
    let dashed: Vec<&str> = last.split('-').collect();
    if dashed.len() >= 4 {
        candidates.push(dashed[dashed.len() - 4..].join("."));
    }
    if last.len() == 8 && last.bytes().all(|b| b.is_ascii_hexdigit()) {
        candidates.push(format!("0x{last}"));
    }
    candidates.iter().filter_map(|candidate| parse_ipv4(candidate)).find_map(ipv4_reach)
}

fn ipv4_reach(address: Ipv4Addr) -> Option<Reach> {
    let [a, b, c, d] = address.octets();
    if (a, b, c, d) == (169, 254, 169, 254)
        || (a, b, c, d) == (100, 100, 100, 200)
        || (a, b, c, d) == (169, 254, 170, 2)
    {
        return Some(Reach::Metadata);
    }
    if a == 127 || a == 0 {
        return Some(Reach::Loopback);
    }
    let private = a == 10
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 168)
        || (a == 169 && b == 254)
        || (a == 100 && (64..=127).contains(&b))
        || (a == 198 && (18..=19).contains(&b));
    private.then_some(Reach::Private)
}

fn ipv6_reach(address: Ipv6Addr) -> Option<Reach> {
    if address == "fd00:ec2::254".parse::<Ipv6Addr>().ok()? {
        return Some(Reach::Metadata);
    }
    if address.is_loopback() || address.is_unspecified() {
        return Some(Reach::Loopback);
    }
    let segments = address.segments();
    // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
    // addresses carry an IPv4 address in their last 32 bits.
    let embeds_v4 = segments[..5] == [0, 0, 0, 0, 0] && (segments[5] == 0xffff || segments[5] == 0)
        || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    if embeds_v4 {
        let v4 =
            Ipv4Addr::new((segments[6] >> 8) as u8, segments[6] as u8, (segments[7] >> 8) as u8, segments[7] as u8);
        return ipv4_reach(v4);
    }
    let first = segments[0];
    let private = (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first & 0xffc0) == 0xfec0;
    private.then_some(Reach::Private)
}

/// Parses an IPv4 address as `inet_aton` does: one to four parts, each decimal, octal
/// (leading `0`) or hexadecimal (`0x`), the last part filling the remaining bytes.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let text = text.strip_suffix('.').unwrap_or(text);
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for part in &parts {
        values.push(parse_ipv4_part(part)?);
    }
    let (last, leading) = values.split_last()?;
    let mut address: u64 = 0;
    for (index, value) in leading.iter().enumerate() {
        if *value > 255 {
            return None;
        }
        address |= value << (24 - 8 * index);
    }
    let remaining_bits = 32 - 8 * leading.len() as u32;
    if *last >= 1u64 << remaining_bits {
        return None;
    }
    address |= last;
    Some(Ipv4Addr::from(address as u32))
}

fn parse_ipv4_part(part: &str) -> Option<u64> {
    if part.is_empty() || part.len() > 34 {
        return None;
    }
    let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
        (hex, 16)
    } else if part.len() > 1 && part.starts_with('0') {
        (&part[1..], 8)
    } else {
        (part, 10)
    };
    if digits.is_empty() {
        return (radix == 16).then_some(0);
    }
    u64::from_str_radix(digits, radix).ok().filter(|value| *value <= u32::MAX as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_forms() {
        let loopback = Ipv4Addr::new(127, 0, 0, 1);
        for text in ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "0x7f.0.0.0x1"] {
            assert_eq!(parse_ipv4(text), Some(loopback), "{text}");
        }
        assert_eq!(parse_ipv4("256.1.1.1"), None);
        assert_eq!(parse_ipv4("example.com"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
    }

    #[test]
    fn ssrf_cases() {
        let attacks = [
            ("http://169.254.169.254/latest/meta-data/", "url", "ssrf.metadata"),
            ("http://[fd00:ec2::254]/latest/", "q", "ssrf.metadata"),
            ("http://metadata.google.internal/computeMetadata/v1/", "q", "ssrf.metadata"),
            ("http://2130706433/admin", "q", "ssrf.loopback"),
            ("http://0x7f.1/", "q", "ssrf.loopback"),
            ("http://[::ffff:127.0.0.1]/", "q", "ssrf.loopback"),
            ("http://[::ffff:7f00:1]/", "q", "ssrf.loopback"),
            ("http://[::1]:8080/", "q", "ssrf.loopback"),
            ("http://localhost:6379/", "q", "ssrf.loopback"),
            ("http://evil.example@127.0.0.1/", "q", "ssrf.loopback"),
            ("http://127.0.0.1.nip.io/", "q", "ssrf.loopback"),
            ("http://10.0.0.5/internal", "q", "ssrf.private_address"),
            ("https://192.168.1.1", "q", "ssrf.private_address"),
            ("gopher://127.0.0.1:6379/_INFO", "q", "ssrf.scheme"),
            ("127.0.0.1:8080", "callback_url", "ssrf.loopback"),
            ("http:\\\\127.0.0.1\\", "q", "ssrf.loopback"),
        ];
        for (input, name, rule) in attacks {
            assert_eq!(detect(input, name).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn ssrf_near_misses() {
        let benign = [
            ("https://example.com", "url"),
            ("http://8.8.8.8/", "url"),
            ("https://api.example.com/v1/users?id=10", "url"),
            ("127.0.0.1", "comment"),
            ("version 10.0.0.5", "q"),
            ("https://localhost.example.com/", "url"),
        ];
        for (input, name) in benign {
            assert_eq!(detect(input, name), None, "input {input:?}");
        }
    }
}
