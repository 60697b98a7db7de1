//! Host normalisation: one spelling per host, so `API.example.com:443` over HTTPS and
//! `api.example.com` are the same inventory entry.

/// Normalises a host as sent in a request: lowercase, no trailing dot, and no port when the
/// port is the scheme's default (80 for `http`, 443 for `https`). IPv6 literals keep their
/// brackets.
pub fn normalize_host(host: &str, scheme: &str) -> String {
    let host = host.trim();
    let (name, port) = split_port(host);
    let name = name.trim_end_matches('.').to_ascii_lowercase();

    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" | "wss" => Some("443"),
        "http" | "ws" => Some("80"),
        _ => None,
    };
    match port {
        Some(port) if Some(port) != default_port && !port.is_empty() => format!("{name}:{port}"),
        _ => name,
    }
}

/// Splits `host[:port]`, leaving IPv6 literals such as `[::1]:8080` intact.
fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => {
                let rest = &host[end + 1..];
                (&host[..=end], rest.strip_prefix(':'))
            }
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        // More than one colon without brackets is a bare IPv6 address, not a port.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => (name, Some(port)),
        _ => (host, None),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_host;

    #[test]
    fn normalize_host_cases() {
        let cases = [
            ("API.Example.com", "https", "api.example.com"),
            ("api.example.com:443", "https", "api.example.com"),
            ("api.example.com:443", "http", "api.example.com:443"),
            ("api.example.com:80", "http", "api.example.com"),
            ("localhost:8080", "http", "localhost:8080"),
            ("example.com.", "http", "example.com"),
            ("[::1]:80", "http", "[::1]"),
            ("[::1]:8080", "http", "[::1]:8080"),
            ("::1", "http", "::1"),
            ("host:", "http", "host"),
        ];
        for (input, scheme, expected) in cases {
            assert_eq!(normalize_host(input, scheme), expected, "{input} over {scheme}");
        }
    }
}
