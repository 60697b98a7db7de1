//! The signature rules, one module per attack class, and the prefilter that decides which
//! of them a value needs.
//!
//! Most values are plain words, numbers and identifiers. The prefilter looks at each byte
//! once (a table from byte to the classes whose syntax uses it) and runs one
//! Aho-Corasick pass for keywords, so a value reaches only the detectors whose syntax it
//! contains.

pub mod code;
pub mod command;
pub mod crlf;
pub mod graphql;
pub mod jndi;
pub mod ldap;
mod literals;
pub mod nosql;
pub mod path;
mod patterns;
pub mod prototype;
pub mod scanner;
pub mod serialized;
pub mod sqli;
pub mod ssrf;
pub mod template;
pub mod xss;
pub mod xxe;

use literals::KeywordTable;

use crate::finding::{AttackClass, ClassSet, Confidence};
use crate::normalize::DecodeFacts;

/// A rule: its stable id, its class and what it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub class: AttackClass,
    pub summary: &'static str,
}

const fn rule(id: &'static str, class: AttackClass, summary: &'static str) -> RuleInfo {
    RuleInfo { id, class, summary }
}

/// Every rule the detector can report. Rule ids are stable: configuration files and
/// stored findings refer to them.
pub const RULES: &[RuleInfo] = &[
    rule("sqli.union", AttackClass::Sqli, "UNION SELECT after a value"),
    rule("sqli.stacked", AttackClass::Sqli, "a second statement after `;`"),
    rule("sqli.tautology", AttackClass::Sqli, "a condition on constants or calls after AND/OR/WHERE"),
    rule("sqli.function", AttackClass::Sqli, "a timing, error, file or fingerprinting function, or a catalog table"),
    rule("sqli.clause", AttackClass::Sqli, "ORDER BY, GROUP BY, HAVING, PROCEDURE or INTO after a break-out"),
    rule("sqli.comment_truncation", AttackClass::Sqli, "a closed literal followed by a comment"),
    rule(
        "sqli.statement",
        AttackClass::Sqli,
        "the whole value is a SQL query, or a query stands where a value belongs",
    ),
    rule(
        "sqli.fragment",
        AttackClass::Sqli,
        "a piece of SQL sent alone to probe a filter: a function and `(`, a leading AND/OR condition, quoted operators",
    ),
    rule("xss.script_tag", AttackClass::Xss, "a <script> tag or </script>"),
    rule("xss.event_handler", AttackClass::Xss, "an on...= event handler attribute"),
    rule("xss.javascript_url", AttackClass::Xss, "a javascript:, vbscript: or HTML data: URL"),
    rule(
        "xss.dangerous_tag",
        AttackClass::Xss,
        "a tag that loads or runs content, or markup sent to probe for injection",
    ),
    rule("xss.style_script", AttackClass::Xss, "CSS that runs script"),
    rule("xss.js_breakout", AttackClass::Xss, "a JavaScript string break-out followed by a sink call"),
    rule(
        "xss.script_call",
        AttackClass::Xss,
        "a script sink (alert, prompt, eval, setTimeout, ...) called as exploit probes call it",
    ),
    rule("xss.dom_access", AttackClass::Xss, "script that reads cookies or navigates the page"),
    rule("path.traversal", AttackClass::PathTraversal, "two or more ../ segments, or a bare ../"),
    rule("lfi.sensitive_file", AttackClass::Lfi, "a path to a system or secret file"),
    rule("lfi.wrapper", AttackClass::Lfi, "a PHP stream wrapper or file: URL"),
    rule("rfi.url", AttackClass::Rfi, "a URL shaped to be included as code"),
    rule("cmd.separator", AttackClass::CommandInjection, "a command separator followed by a command and its arguments"),
    rule("cmd.substitution", AttackClass::CommandInjection, "`cmd` or $(cmd) command substitution"),
    rule("cmd.leading", AttackClass::CommandInjection, "a value that is itself an attacker's command line"),
    rule("cmd.reverse_shell", AttackClass::CommandInjection, "reverse shell syntax such as /dev/tcp/ or nc -e"),
    rule("cmd.glob_path", AttackClass::CommandInjection, "wildcard paths to binaries such as /???/c?t"),
    rule("cmd.powershell", AttackClass::CommandInjection, "PowerShell cmdlets and downloaders"),
    rule("cmd.ssi", AttackClass::CommandInjection, "a server-side include directive"),
    rule("ssrf.metadata", AttackClass::Ssrf, "a URL or host of a cloud metadata service"),
    rule("ssrf.loopback", AttackClass::Ssrf, "a URL or host on loopback, in any notation"),
    rule("ssrf.private_address", AttackClass::Ssrf, "a URL or host in a private, link-local or unique-local range"),
    rule("ssrf.scheme", AttackClass::Ssrf, "gopher:, dict:, ldap: and other protocol-smuggling schemes"),
    rule("xxe.external_entity", AttackClass::Xxe, "an external XML entity declaration"),
    rule("xxe.external_dtd", AttackClass::Xxe, "a document type with an external DTD"),
    rule("xxe.entity_declaration", AttackClass::Xxe, "entity declarations in an internal DTD subset"),
    rule("xxe.xinclude", AttackClass::Xxe, "an XInclude element or namespace"),
    rule("xxe.entity_reference", AttackClass::Xxe, "a reference to an entity that XML does not predefine"),
    rule("nosql.operator", AttackClass::NosqlInjection, "a MongoDB query operator in a key or JSON value"),
    rule("nosql.js_injection", AttackClass::NosqlInjection, "JavaScript injected into a $where string"),
    rule("ssti.expression", AttackClass::Ssti, "arithmetic inside template delimiters"),
    rule("ssti.object_access", AttackClass::Ssti, "reflection or execution inside template syntax"),
    rule("ssti.statement", AttackClass::Ssti, "a template statement such as {% ... %}"),
    rule("jndi.lookup", AttackClass::Jndi, "a ${jndi:...} Log4j lookup after evaluating nested lookups"),
    rule("jndi.exfiltration", AttackClass::Jndi, "a Log4j lookup that reads the environment or system properties"),
    rule("ldap.filter_injection", AttackClass::LdapInjection, "LDAP filter terms injected after a closing parenthesis"),
    rule("crlf.header_injection", AttackClass::CrlfInjection, "a line break followed by a header or HTTP message line"),
    rule("crlf.mail_command", AttackClass::CrlfInjection, "a line break followed by an SMTP, POP3 or IMAP command"),
    rule("crlf.line_break", AttackClass::CrlfInjection, "a line break in the path, a name, or a query value"),
    rule("crlf.request_line", AttackClass::CrlfInjection, "a value that is an HTTP request line"),
    rule("proto.key", AttackClass::PrototypePollution, "__proto__ or constructor.prototype as a key"),
    rule("deser.java_stream", AttackClass::Deserialization, "a Java serialization stream"),
    rule("deser.java_class", AttackClass::Deserialization, "a class name used in Java gadget chains"),
    rule("deser.php_object", AttackClass::Deserialization, "a PHP serialized object or array"),
    rule("deser.dotnet", AttackClass::Deserialization, "a .NET BinaryFormatter stream or dangerous type name"),
    rule("deser.python", AttackClass::Deserialization, "a pickle stream or YAML object tag"),
    rule("deser.node", AttackClass::Deserialization, "a node-serialize function"),
    rule("scanner.user_agent", AttackClass::Scanner, "a user agent of a scanner or attack tool"),
    rule("scanner.header", AttackClass::Scanner, "a header that only scanners send"),
    rule(
        "graphql.introspection",
        AttackClass::GraphqlIntrospection,
        "a GraphQL introspection query (`__schema` or `__type`)",
    ),
    rule("code.php_tag", AttackClass::CodeInjection, "a PHP open tag followed by code"),
    rule("code.php_function", AttackClass::CodeInjection, "a call of a dangerous PHP function"),
    rule("code.php_variable", AttackClass::CodeInjection, "PHP superglobals, variable variables or php.ini directives"),
    rule("code.node", AttackClass::CodeInjection, "Node.js process or module access"),
    rule("code.python", AttackClass::CodeInjection, "Python command execution"),
    rule("code.ruby", AttackClass::CodeInjection, "Ruby command execution"),
    rule("code.perl", AttackClass::CodeInjection, "Perl command execution"),
    rule("code.dos_loop", AttackClass::CodeInjection, "an endless loop for an evaluating endpoint"),
];

/// Compiles a rule pattern for matching bytes with ASCII semantics: `(?i)`, `\w`, `\s`
/// and `\b` cover ASCII only. Values are decoded and folded to ASCII before matching, and
/// ASCII classes keep the automata small enough for the lazy DFA, which Unicode word
/// boundaries would push onto the slower NFA engines.
pub(crate) fn ascii_regex(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern).unicode(false).build()
}

/// Looks up a rule by id.
pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|rule| rule.id == id)
}

/// One match of one rule in one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub rule_id: &'static str,
    pub class: AttackClass,
    pub confidence: Confidence,
    /// Byte offset in the decoded value.
    pub at: usize,
}

/// The context of a checked value: its parameter name, and whether it is a key.
#[derive(Debug, Clone, Copy)]
pub struct ValueContext<'a> {
    pub name: &'a str,
    pub is_key: bool,
}

/// Adds `classes` to the entries of `bytes` in a byte-to-classes table.
const fn mark(mut table: [u32; 256], bytes: &[u8], classes: ClassSet) -> [u32; 256] {
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] |= classes.0;
        i += 1;
    }
    table
}

/// Builds the byte-to-classes table of the prefilter: which classes' syntax uses each
/// byte.
const fn byte_classes() -> [u32; 256] {
    use AttackClass::*;
    let mut table = [0u32; 256];
    table = mark(table, b"'\"", ClassSet::of(&[Sqli, Xss, NosqlInjection]));
    table = mark(table, b"()", ClassSet::of(&[Sqli, LdapInjection, CodeInjection, Xss]));
    table = mark(table, b"=<>", ClassSet::of(&[Sqli]));
    table = mark(table, b"<", ClassSet::of(&[Xss, Xxe, CodeInjection, Ssti]));
    table = mark(table, b";|&", ClassSet::of(&[Sqli, CommandInjection]));
    table = mark(table, b"|&", ClassSet::of(&[LdapInjection]));
    table = mark(table, b"#", ClassSet::of(&[Sqli, Ssti]));
    table = mark(table, b"`", ClassSet::of(&[CommandInjection, Sqli, Xss]));
    table = mark(table, b"$", ClassSet::of(&[CommandInjection, NosqlInjection, Ssti, Jndi, CodeInjection]));
    table =
        mark(table, b"{", ClassSet::of(&[Ssti, NosqlInjection, CommandInjection, Deserialization, PrototypePollution]));
    table = mark(table, b"\r\n", ClassSet::of(&[CommandInjection, CrlfInjection]));
    table = mark(table, b"\n", ClassSet::of(&[Deserialization]));
    table = mark(table, b"/\\", ClassSet::of(&[Lfi, Rfi, CommandInjection]));
    table = mark(table, b":", ClassSet::of(&[Lfi, Rfi, Ssrf, Xss]));
    table = mark(table, b"@", ClassSet::of(&[Ssti, Sqli, CodeInjection]));
    table = mark(table, b"*", ClassSet::of(&[LdapInjection, Ssti]));
    table = mark(table, b"[", ClassSet::of(&[NosqlInjection, PrototypePollution, Ssti]));
    table = mark(table, b"!", ClassSet::of(&[Deserialization]));
    table = mark(table, b"-", ClassSet::of(&[Sqli]));
    table = mark(table, b".", ClassSet::of(&[Lfi]));
    table
}

static BYTE_CLASSES: [u32; 256] = byte_classes();

/// Keywords that bring a class into play in values without its punctuation.
const KEYWORDS: &[(&str, ClassSet)] = {
    use AttackClass::*;
    const SQL: ClassSet = ClassSet::of(&[Sqli]);
    const XSS: ClassSet = ClassSet::of(&[Xss]);
    const CMD: ClassSet = ClassSet::of(&[CommandInjection]);
    const DESER: ClassSet = ClassSet::of(&[Deserialization]);
    const PROTO: ClassSet = ClassSet::of(&[PrototypePollution]);
    const CODE: ClassSet = ClassSet::of(&[CodeInjection]);
    const LFI: ClassSet = ClassSet::of(&[Lfi]);
    &[
        ("union", SQL),
        ("select", SQL),
        ("insert", SQL),
        ("delete", SQL),
        ("drop", SQL),
        ("exec", SQL.union(CMD)),
        ("declare", SQL),
        ("waitfor", SQL),
        ("sleep", SQL),
        ("benchmark", SQL),
        ("shutdown", SQL),
        ("order by", SQL),
        ("group by", SQL),
        ("having", SQL),
        ("between", SQL),
        ("sounds like", SQL),
        (" like ", SQL),
        ("rlike", SQL),
        ("current_", SQL),
        ("sp_", SQL),
        ("xp_", SQL),
        ("utl_", SQL),
        ("dbms_", SQL),
        ("openrowset", SQL),
        ("opendatasource", SQL),
        ("information_schema", SQL),
        ("pg_catalog", SQL),
        ("msysaccess", SQL),
        ("tempdb", SQL),
        ("msdb", SQL),
        ("northwind", SQL),
        ("schema_name", SQL),
        ("notnull", SQL),
        ("xor", SQL),
        ("procedure", SQL),
        ("outfile", SQL),
        ("dumpfile", SQL),
        ("regexp", SQL),
        ("is null", SQL),
        ("is not null", SQL),
        ("javascript", XSS),
        ("vbscript", XSS),
        ("alert", XSS),
        ("prompt", XSS),
        ("confirm", XSS),
        ("document.", XSS),
        ("window.", XSS),
        ("innerhtml", XSS),
        ("location.", XSS),
        ("powershell", CMD),
        ("invoke-", CMD),
        ("iex", CMD),
        ("new-object", CMD),
        ("<!--#", CMD),
        ("0x2e", ClassSet::of(&[PathTraversal])),
        ("%c0%", ClassSet::of(&[PathTraversal, Lfi])),
        ("%c1%", ClassSet::of(&[PathTraversal, Lfi])),
        ("<!-- #", CMD),
        ("__proto__", PROTO),
        ("prototype", PROTO),
        ("runtime", DESER),
        ("processbuilder", DESER),
        ("transformer", DESER),
        ("closure", DESER),
        ("factory", DESER),
        ("templatesimpl", DESER),
        ("objectdataprovider", DESER),
        ("windowsidentity", DESER),
        ("typeconfusedelegate", DESER),
        ("aced0005", DESER),
        // Package prefixes of the class names that the serialization rules look for.
        ("java.", DESER),
        ("javax.", DESER),
        ("com.sun", DESER),
        ("com.bea", DESER),
        ("com.alibaba", DESER),
        ("com.mchange", DESER),
        ("com.opensymphony", DESER),
        ("org.apache", DESER),
        ("org.springframework", DESER),
        ("org.hibernate", DESER),
        ("org.codehaus", DESER),
        ("org.mozilla", DESER),
        ("org.omg", DESER),
        ("ch.qos", DESER),
        ("sun.misc", DESER),
        ("sun.reflect", DESER),
        ("sun.rmi", DESER),
        ("groovy.", DESER),
        ("clojure.", DESER),
        ("bsh.", DESER),
        ("system.", DESER),
        ("xstream", DESER),
        ("classloader", DESER),
        ("jdbcrowsetimpl", DESER),
        ("activitysurrogate", DESER),
        ("__reduce__", DESER),
        ("@type", DESER),
        ("$type", DESER),
        ("!ruby", DESER),
        // Base64 headers of pickle protocols 2, 3 and 4 (`gAJ`, `gAN`, `gAR`).
        ("gaj9", DESER),
        ("gajj", DESER),
        ("gajd", DESER),
        ("gajc", DESER),
        ("gan9", DESER),
        ("ganj", DESER),
        ("gand", DESER),
        ("ganc", DESER),
        ("gar9", DESER),
        ("garj", DESER),
        ("gard", DESER),
        ("garc", DESER),
        ("ro0ab", DESER),
        ("aaeaaad", DESER),
        ("gasv", DESER),
        ("_$$nd_func", DESER),
        ("allow_url", CODE),
        ("auto_prepend", CODE),
        ("auto_append", CODE),
        ("disable_functions", CODE),
        ("open_basedir", CODE),
        ("safe_mode", CODE),
        ("opcache.", CODE),
        ("register_globals", CODE),
        ("child_process", CODE),
        ("php", CODE),
        ("passwd", LFI),
        ("win.ini", LFI),
        ("boot.ini", LFI),
        ("htaccess", LFI),
        ("htpasswd", LFI),
        ("web.config", LFI),
        ("id_rsa", LFI),
    ]
};

/// Classes a value needs, from its bytes and keywords.
pub struct Prefilter {
    /// [`KEYWORDS`], each tagged with its classes.
    keywords: KeywordTable,
}

impl Prefilter {
    pub fn new() -> Self {
        let words: Vec<&str> = KEYWORDS.iter().map(|(word, _)| *word).collect();
        let keywords = KeywordTable::new(&words, |index| KEYWORDS[index].1.0)
            .expect("the prefilter keywords are a valid automaton");
        Self { keywords }
    }

    /// Returns the classes whose bytes or keywords `text` contains.
    pub fn classes(&self, text: &str) -> ClassSet {
        // One pass over the bytes feeds the byte table and the keyword automaton.
        let bytes = text.as_bytes();
        let mut bits = self.keywords.tags(bytes, |b| BYTE_CLASSES[b as usize]);
        if memchr::memchr_iter(b'.', bytes).any(|at| bytes.get(at + 1) == Some(&b'.')) {
            bits |= AttackClass::PathTraversal.bit();
        }
        ClassSet(bits)
    }
}

impl Default for Prefilter {
    fn default() -> Self {
        Self::new()
    }
}

/// The compiled rules of every class.
pub struct Rules {
    prefilter: Prefilter,
    path: path::PathRules,
    command: command::CommandRules,
    template: template::TemplateRules,
    xxe: xxe::XxeRules,
    ldap: ldap::LdapRules,
    nosql: nosql::NosqlRules,
    serialized: serialized::SerializedRules,
    code: code::CodeRules,
    pub scanner: scanner::ScannerRules,
}

impl Rules {
    pub fn new() -> Self {
        Self {
            prefilter: Prefilter::new(),
            path: path::PathRules::new(),
            command: command::CommandRules::new(),
            template: template::TemplateRules::new(),
            xxe: xxe::XxeRules::new(),
            ldap: ldap::LdapRules::new(),
            nosql: nosql::NosqlRules::new(),
            serialized: serialized::SerializedRules::new(),
            code: code::CodeRules::new(),
            scanner: scanner::ScannerRules::new(),
        }
    }

    /// Runs the rules of `allowed` classes that `text` needs and appends one hit per class
    /// that matched.
    pub fn check(
        &self,
        text: &str,
        facts: &DecodeFacts,
        context: ValueContext<'_>,
        allowed: ClassSet,
        hits: &mut Vec<Hit>,
    ) {
        let mut needed = self.prefilter.classes(text);
        if facts.crlf_lookalike {
            needed.insert(AttackClass::CrlfInjection);
        }
        // The checks below only add a class, so each one runs only when its class is
        // allowed and not yet needed.
        let undecided = |needed: ClassSet, class: AttackClass| allowed.contains(class) && !needed.contains(class);
        if undecided(needed, AttackClass::CommandInjection) && self.command.starts_with_leading_command(text) {
            needed.insert(AttackClass::CommandInjection);
        }
        if undecided(needed, AttackClass::Xxe) && xxe::lone_reference(text.as_bytes()).is_some() {
            needed.insert(AttackClass::Xxe);
        }
        if undecided(needed, AttackClass::Deserialization) && looks_like_base64_token(text) {
            needed.insert(AttackClass::Deserialization);
        }
        if undecided(needed, AttackClass::Ssrf) && !context.is_key && ssrf_parameter(context.name) {
            needed.insert(AttackClass::Ssrf);
        }
        let run = needed.intersect(allowed);
        if run.is_empty() {
            return;
        }

        use AttackClass::*;
        let mut push = |class: AttackClass, rule_id: &'static str, confidence: Confidence, at: usize| {
            hits.push(Hit { rule_id, class, confidence, at });
        };

        if run.contains(Sqli)
            && let Some(m) = sqli::detect(text)
        {
            push(Sqli, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Xss)
            && let Some(m) = xss::detect(text)
        {
            push(Xss, m.rule_id, m.confidence, m.at);
        }
        // The traversal and local file rules read the same canonical form of the value.
        let canonical_path = if run.contains(PathTraversal) || run.contains(Lfi) {
            path::canonical_separators(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        if run.contains(PathTraversal)
            && let Some(m) = self.path.traversal_in_canonical(&canonical_path)
        {
            push(PathTraversal, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Lfi)
            && let Some(m) = self.path.local_file_in_canonical(&canonical_path, facts)
        {
            push(Lfi, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Rfi)
            && let Some(m) = self.path.remote_file(text, context.name, facts)
        {
            push(Rfi, m.rule_id, m.confidence, m.at);
        }
        if run.contains(CommandInjection)
            && let Some(m) = self.command.detect(text)
        {
            push(CommandInjection, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Ssrf)
            && let Some(m) = ssrf::detect(text, context.name)
        {
            push(Ssrf, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Xxe)
            && let Some(m) = self.xxe.detect(text)
        {
            push(Xxe, m.rule_id, m.confidence, m.at);
        }
        if run.contains(NosqlInjection)
            && let Some(m) = self.nosql.detect(text, context.is_key)
        {
            push(NosqlInjection, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Ssti)
            && let Some(m) = self.template.detect(text)
        {
            push(Ssti, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Jndi)
            && let Some(m) = jndi::detect(text)
        {
            push(Jndi, m.rule_id, m.confidence, m.at);
        }
        if run.contains(LdapInjection)
            && let Some(m) = self.ldap.detect(text)
        {
            push(LdapInjection, m.rule_id, m.confidence, m.at);
        }
        if run.contains(CrlfInjection)
            && let Some(m) = crlf::detect(text, facts.crlf_lookalike)
        {
            push(CrlfInjection, m.rule_id, m.confidence, m.at);
        }
        if run.contains(PrototypePollution)
            && let Some(m) = prototype::detect(text, context.is_key)
        {
            push(PrototypePollution, m.rule_id, m.confidence, m.at);
        }
        if run.contains(Deserialization)
            && let Some(m) = self.serialized.detect(text)
        {
            push(Deserialization, m.rule_id, m.confidence, m.at);
        }
        if run.contains(CodeInjection)
            && let Some(m) = self.code.detect(text)
        {
            push(CodeInjection, m.rule_id, m.confidence, m.at);
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self::new()
    }
}

/// True for a single token of 8 to 4096 base64 characters with both letter cases, the
/// shape of an encoded payload.
fn looks_like_base64_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !(8..=4096).contains(&bytes.len()) {
        return false;
    }
    let mut upper = false;
    let mut lower = false;
    for &b in bytes {
        match b {
            b'A'..=b'Z' => upper = true,
            b'a'..=b'z' => lower = true,
            b'0'..=b'9' | b'+' | b'/' | b'=' | b'-' | b'_' => {}
            _ => return false,
        }
    }
    upper && lower
}

/// True for parameter names that hold URLs or hosts, whose values the SSRF rules check
/// even without `://`.
fn ssrf_parameter(name: &str) -> bool {
    !name.is_empty() && ssrf::is_host_parameter(name)
}
