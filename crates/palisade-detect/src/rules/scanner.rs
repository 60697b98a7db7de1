//! Security scanners and attack tools, recognised by the user agents and headers they
//! send by default.
//!
//! - `scanner.user_agent`: a `User-Agent` naming a vulnerability scanner, fuzzer,
//!   brute-forcer or exploitation tool.
//! - `scanner.header`: a header that only a scanner sends (Acunetix, WebInspect, Nessus,
//!   Netsparker, ...).
//!
//! Generic HTTP clients (`curl`, `python-requests`, `Go-http-client`) are how APIs are
//! called and match nothing.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannerMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Substrings of the default user agents of attack tools, lower-case. Each is long or
/// unusual enough not to occur in browser or library user agents.
const TOOL_AGENTS: &[&str] = &[
    "sqlmap",
    "nikto",
    "nmap scripting engine",
    "nmap nse",
    "masscan",
    "zgrab",
    "nuclei",
    "wpscan",
    "dirbuster",
    "gobuster",
    "feroxbuster",
    "fuzz faster u fool",
    "ffuf",
    "wfuzz",
    "acunetix",
    "netsparker",
    "invicti",
    "nessus",
    "openvas",
    "qualys",
    "w3af",
    "arachni",
    "skipfish",
    "commix",
    "havij",
    "jaeles",
    "whatweb",
    "zaproxy",
    "owasp zap",
    "appscan",
    "webinspect",
    "paros",
    "grendel-scan",
    "bbqsql",
    "hydra",
    "medusa",
    "xsser",
    "fimap",
    "sqlninja",
    "pangolin",
    "morfeus",
    "zmeu",
    "jorgee",
    "dotdotpwn",
    "dirsearch",
    "wapiti",
    "webshag",
    "wikto",
    "n-stealth",
    "nstalker",
    "brutus",
    "metasploit",
    "interactsh",
    "burpcollaborator",
    "teh forest lobster",
    "black widow",
    "blackwidow",
    "absinthe",
    "bsqlbf",
    "cgichk",
    "webvulnscan",
    "x-scan",
    "vega/",
    "nsauditor",
    "wprecon",
    "joomscan",
    "droopescan",
    "cmsmap",
    "xsstrike",
    "dalfox",
    "tplmap",
    "ghauri",
    "log4j-scan",
    "struts-pwn",
    "httprint",
    "webtrends security analyzer",
    "floodgate",
    "mysqloit",
    "sqlsus",
    "pmafind",
    "zmap",
    "censysinspect",
    "netlab360",
    "fuzzer",
    "vulnscan",
    "detectify",
];

/// Header names sent only by scanners, lower-case.
const SCANNER_HEADERS: &[&str] = &[
    "acunetix-product",
    "acunetix-scanning-agreement",
    "acunetix-user-agreement",
    "acunetix-aspect",
    "acunetix-aspect-password",
    "acunetix-aspect-queries",
    "x-wipp",
    "x-scanner",
    "x-scan-memo",
    "x-request-memo",
    "x-ratproxy-loop",
    "x-nessus",
    "x-netsparker",
    "x-burp",
    "x-arachni-scan-seed",
    "x-skipfish",
];

pub struct ScannerRules {
    agents: AhoCorasick,
}

impl ScannerRules {
    pub fn new() -> Self {
        let agents = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(TOOL_AGENTS)
            .expect("the tool agent list is a valid automaton");
        Self { agents }
    }

    /// Checks a `User-Agent` value.
    pub fn user_agent(&self, value: &str) -> Option<ScannerMatch> {
        let found = self.agents.find(value)?;
        Some(ScannerMatch { rule_id: "scanner.user_agent", confidence: Confidence::High, at: found.start() })
    }

    /// Checks a header name (lower-case).
    pub fn header_name(&self, name: &str) -> Option<ScannerMatch> {
        SCANNER_HEADERS.contains(&name).then_some(ScannerMatch {
            rule_id: "scanner.header",
            confidence: Confidence::High,
            at: 0,
        })
    }
}

impl Default for ScannerRules {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanner_cases() {
        let rules = ScannerRules::new();
        for agent in [
            "sqlmap/1.7.2#stable (https://sqlmap.org)",
            "Mozilla/5.00 (Nikto/2.1.6)",
            "Mozilla/5.0 zgrab/0.x",
            "nuclei",
            "Fuzz Faster U Fool v2.0",
        ] {
            assert!(rules.user_agent(agent).is_some(), "{agent}");
        }
        for agent in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "okhttp/4.12.0",
        ] {
            assert_eq!(rules.user_agent(agent), None, "{agent}");
        }
        assert!(rules.header_name("acunetix-product").is_some());
        assert!(rules.header_name("accept").is_none());
    }
}
