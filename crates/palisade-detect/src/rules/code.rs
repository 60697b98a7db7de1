//! Server-side code injection into interpreters: PHP, Node.js, Python, Ruby and Perl.
//!
//! - `code.php_tag`: a PHP open tag followed by code (`<?php`, `<? php`, `<?=`,
//!   `<? exec(`), a `<?xml` tag followed by `:` instead of attributes (short open tags read
//!   it as PHP), a value ending in `<?`, and the `[php]` and `{php}` tags of forum and
//!   template engines.
//! - `code.php_function`: a call of a PHP function that runs commands, evaluates code,
//!   reads or writes files or decodes hidden payloads (`shell_exec(`, `base64_decode(`,
//!   `file_put_contents(`, `(system)('id')`), also with whitespace or comments before the
//!   parenthesis and glued to a preceding word. Functions whose names are English words
//!   (`system`, `exec`, `file`, `include`) count only in code-like calls: without a space,
//!   with a quoted, variable or bare-word argument, or after a comment, a tab or a line
//!   break. So "the system (v2)" does not match. The rule also covers a call of an
//!   expression instead of a name, as obfuscated payloads build function names
//!   (`"sys"."tem"('id');`, `[system][0](ls);`, `("system")("id")`). It also covers the
//!   name of a file that PHP would run, uploaded under a disguise (`shell.php5`, `a.php.`,
//!   `x. php`, `photo.php.jpg`).
//! - `code.php_variable`: PHP superglobals (`$_GET`, `$_SERVER`, `$GLOBALS`), variable
//!   variables (`${'x'}`), variable functions (`$f(1)`, `$_[0]('id')`, `${'a'}()`) and
//!   `php.ini` directives set in a value (`allow_url_include=`).
//! - `code.node`: Node.js process access (`require('child_process')`,
//!   `process.mainModule`, `constructor.constructor(`, `new Function(`), console calls that
//!   probe for evaluation (`console.log(1)`), function literals, and the model references
//!   of React server components that reach a constructor (`$1:constructor:constructor`).
//! - `code.python`, `code.ruby`, `code.perl`: command execution through the interpreter
//!   (`__import__('os')`, `Kernel.exec`, `IO.popen`, `Process.spawn`, `@{[system ...]}`).
//! - `code.dos_loop`: an endless loop for an evaluating endpoint: `while` on a condition
//!   that is always true (`while(true)`, `while(!0)`, `while(new Date)`), and `for(;;)`.

use crate::finding::Confidence;
use crate::rules::patterns::PatternList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// A comment that PHP and JavaScript skip between tokens: `/* ... */`, or `//` and `#`
/// up to a line break.
const COMMENT: &str = r"(?:/\*[^*]*\*+/|//[^\n]*\n|#[^\n]*\n)";

/// PHP functions whose names are not English words: a call with any whitespace or
/// comments before the parenthesis counts, and the name may be glued to a preceding word
/// (`FOOshell_exec()`), as PHP payloads are concatenated into other text.
const PHP_FUNCTIONS: &str = "shell_exec|passthru|proc_open|pcntl_exec|popen|create_function|call_user_func(?:_array)?|\
base64_decode|gzinflate|gzuncompress|gzdecode|zlib_decode|str_rot13|strrev|bzdecompress|convert_uudecode|\
file_get_contents|file_put_contents|fopen|fwrite|fputs|fputcsv|readfile|show_source|highlight_file|phpinfo|\
move_uploaded_file|preg_replace|assert_options|get_defined_vars|get_defined_functions|get_defined_constants|\
ini_set|ini_get|ini_restore|putenv|set_time_limit|unserialize|var_dump|print_r|var_export|\
register_shutdown_function|register_tick_function|escapeshellcmd|escapeshellarg|parse_str|mb_ereg_replace|\
gethostbyname|fsockopen|pfsockopen|stream_socket_client|curl_exec|curl_init|apache_child_terminate|filemtime|\
file_exists|array_diff|date_add|substr|strip_tags|intval|filegroup|fileowner|fileperms|hex2bin|\
rawurldecode|htmlspecialchars_decode";

/// PHP function families, matched as whole words.
const PHP_FUNCTION_FAMILIES: &str = r"posix_\w+|proc_\w+|pg_\w+|ldap_\w+|tidy_\w+|sodium_\w+|odbc_\w+|zend_\w+";

/// PHP functions whose names are also English or common words.
const PHP_WORD_FUNCTIONS: &str = "system|exec|eval|assert|include|include_once|require|require_once|print|echo|\
chr|ord|copy|rename|mail|dir|glob|extract|symlink|chmod|chown|unlink|rmdir|mkdir|getenv|scandir|opendir|readdir|\
checkdate|usort|array_map|array_filter|ob_start|dl|openlog|syslog|tmpfile|tempnam|is_file|file|touch|range|pi|\
serialize|unpack|crypt";

/// Names of PHP functions that run commands or code, as a string or bracketed callee.
const PHP_EXEC_NAMES: &str = "system|exec|passthru|shell_exec|eval|assert|phpinfo|popen|proc_open";

/// PHP file extensions that a web server runs as code.
const PHP_EXTENSIONS: &str = "php[3-8]?|phtml|phar|phps|pht|phpt";

/// Extensions of harmless uploads that a PHP extension hides behind (`x.php.jpg`).
const UPLOAD_EXTENSIONS: &str = "jpe?g|png|gif|bmp|webp|ico|svg|txt|pdf|docx?|zip";

/// A constant condition that is always true, and one that is always false, in
/// JavaScript and PHP.
const TRUTHY: &str = r#"true|[+-]?[1-9]\d*(?:\.\d+)?|[+-]?infinity|this|\{\s*\}|\[\s*\]|new\s+\w+|string|number|object|array|boolean|date|symbol|math|json|function"#;
const FALSY: &str = r#"false|[+-]?0+(?:\.0+)?|null|undefined|nan|""|''|``"#;

pub struct CodeRules {
    /// Rule id and confidence of each pattern of `patterns`, in the same order.
    rules: Vec<(&'static str, Confidence)>,
    patterns: PatternList,
}

impl CodeRules {
    pub fn new() -> Self {
        let table: Vec<(&'static str, Confidence, String)> = vec![
            (
                "code.php_tag",
                Confidence::High,
                r"(?i)<\?(?:\s*php\b|=|\s+(?:\$|echo|eval|exec|system|passthru|include|require|print|@))".into(),
            ),
            (
                "code.php_tag",
                Confidence::Medium,
                // `<?xml` followed by `:` is no XML declaration, which needs `version`.
                r"(?i)<\?xml\s*:|<\?\s*$|\[\\?/?php\]|\{/?php\}".into(),
            ),
            (
                "code.php_variable",
                Confidence::High,
                r#"\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\b|\$GLOBALS\b|\$\s*\{\s*['"$]|(?i)\b(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode|opcache\.[a-z_]+|suhosin\.[a-z_.]+|register_globals|enable_dl)\s*="#.into(),
            ),
            (
                "code.node",
                Confidence::High,
                r#"(?i)\brequire\s*\(\s*['"](?:child_process|fs|net|vm|os|http)['"]|\bchild_process\b|\bprocess\.(?:mainmodule|binding|dlopen|kill|exit|env)|\bglobal\.process\b|\bconstructor\.constructor\s*\(|\bnew\s+function\s*\(|\brequire\.main\b|\bmodule\.constructor\._load|\.constructor\._load\b|__js_function|\beval\s*\(\s*(?:string\.fromcharcode|atob|buffer\.from|unescape|decodeuricomponent)|\bfunction\s*\(\s*\)\s*\{[^}]*\breturn\s+process\b|\$[0-9a-f]+:\w+:(?:constructor|prototype|__proto__)\b"#.into(),
            ),
            (
                "code.python",
                Confidence::High,
                r#"(?i)\b__import__\s*\(|\bimportlib\.import_module\s*\(|\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(|\bsubprocess\.(?:call|popen|run|check_output|check_call|getoutput)\s*\(|\beval\s*\(\s*compile\s*\(|\bexec\s*\(\s*['"]import\b|\bpickle\.loads\s*\(|\b__builtins__\b|\bgetattr\s*\(\s*__import__"#.into(),
            ),
            (
                "code.ruby",
                Confidence::High,
                r#"(?i)\bkernel\.(?:exec|system|spawn|open|eval)\b|\bio\.popen\s*\(|\bprocess\.spawn\s*\(|\bopen3\.|%x\s*[({\[]|\binstance_eval\s*\(|\bclass_eval\s*\(|\bsend\s*\(\s*:(?:system|exec|eval)\b|\bobject\.const_get\b"#.into(),
            ),
            ("code.perl", Confidence::High, r#"@\s*\{\s*\[\s*[^\s\]]|\bqx\s*[({\[/]|(?i)\bperl\s+-e\s"#.into()),
            (
                "code.php_function",
                Confidence::High,
                format!(
                    r#"(?i)(?:{PHP_FUNCTIONS}|\b(?:{PHP_FUNCTION_FAMILIES}))(?:\s|{COMMENT})*\(|\b(?:{PHP_WORD_FUNCTIONS})(?:\((?:\s*['"$`\d]|\s*\)|\s*\w+\s*\()|(?:\s*(?:[\t\r\n\x0b\x0c]|{COMMENT})\s*)+\(|[ ]{{2,}}\()|\b(?:system|exec|eval|passthru)\(\s*[\w.-]{{2,}}\s*\)|\(\s*['"]?\s*(?:{PHP_EXEC_NAMES})\s*['"]?\s*\)\s*\(|['"](?:{PHP_EXEC_NAMES})\s*['"]\)?\("#
                ),
            ),
            (
                // A call whose callee is an expression: a parenthesized, indexed or
                // string expression followed by an argument list and `;`.
                "code.php_function",
                Confidence::Medium,
                format!(r#"(?:[)\]}}]|['"])(?:\s|{COMMENT})*\((?:[^():]|\([^():]*\))*\)\s*;"#),
            ),
            (
                "code.php_variable",
                Confidence::Medium,
                format!(
                    r#"\$+(?:[A-Za-z_\x80-\xff]\w*|\s*\{{[^{{}}]+\}})(?:(?:\s|{COMMENT})*(?:\[(?:[^\[\]]|\[[^\[\]]*\])+\]|\{{[^{{}}]+\}}))*(?:\s|{COMMENT})*\("#
                ),
            ),
            (
                // NOTE: a plain `name.php` matches nothing. The rules do not see the
                // parameter name, and `/index.php` is an ordinary value in other places.
                "code.php_function",
                Confidence::Medium,
                format!(
                    r#"(?i)^[^<>"'|?*:=&;\n]*(?:\.(?:php[3-8]|phtml|phar|phps|pht|phpt)[.\s]*|\.\s+(?:{PHP_EXTENSIONS})[.\s]*|\.(?:{PHP_EXTENSIONS})[.\s]+|\.\s*(?:{PHP_EXTENSIONS})\s*\.(?:{UPLOAD_EXTENSIONS})[.\s]*)$"#
                ),
            ),
            (
                "code.node",
                Confidence::Medium,
                r#"(?i)\bconsole\s*(?:\.\s*\w+|\[\s*['"]\w+['"]\s*\])(?:\s*\.\s*(?:call|apply|bind))?\s*\(|\bfunction\s*\([\w\s,]*\)\s*\{"#.into(),
            ),
            (
                "code.dos_loop",
                Confidence::Medium,
                format!(
                    r#"(?i)\bwhile\s*\(\s*(?:\(\s*)*(?:(?:!\s*!\s*)*(?:{TRUTHY})|!\s*(?:!\s*!\s*)*(?:{FALSY}))(?:\s*\))*\s*\)\s*(?:[;{{)]|$)|\bwhile\s*\(\s*(?:true|1)\s*\)|\bfor\s*\(\s*;\s*;\s*\)"#
                ),
            ),
        ];
        let rules = table.iter().map(|(id, confidence, _)| (*id, *confidence)).collect();
        let patterns: Vec<&str> = table.iter().map(|(_, _, pattern)| pattern.as_str()).collect();
        let patterns = PatternList::new(&patterns).expect("code injection patterns are valid");
        Self { rules, patterns }
    }

    /// Returns the first rule of the table, in its order, that matches `text`.
    pub fn detect(&self, text: &str) -> Option<CodeMatch> {
        let (index, at) = self.patterns.first(text.as_bytes())?;
        let (rule_id, confidence) = self.rules[index];
        Some(CodeMatch { rule_id, confidence, at })
    }
}

impl Default for CodeRules {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(rules: &CodeRules, input: &str) -> Option<&'static str> {
        rules.detect(input).map(|m| m.rule_id)
    }

    #[test]
    fn code_cases() {
        let rules = CodeRules::new();
        let attacks = [
            ("<?php system($_GET['c']); ?>", "code.php_tag"),
            ("shell_exec('id')", "code.php_function"),
            ("base64_decode('aWQ=')", "code.php_function"),
            ("(system)('uname')", "code.php_function"),
            ("system('id');", "code.php_function"),
            ("$_SERVER['REMOTE_ADDR']", "code.php_variable"),
            ("allow_url_include=1", "code.php_variable"),
            ("require('child_process').exec('id')", "code.node"),
            ("this.constructor.constructor('return process')()", "code.node"),
            ("__import__('os').system('id')", "code.python"),
            ("Kernel.exec('id')", "code.ruby"),
            ("@{[system 'whoami']}", "code.perl"),
            ("while(true){}", "code.dos_loop"),
        ];
        for (input, rule) in attacks {
            assert_eq!(rule_of(&rules, input), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn code_near_misses() {
        let rules = CodeRules::new();
        for input in [
            "the system (v2) is down",
            "exec noun",
            "please include (optional) notes",
            "I'd print this",
            "while (foo) is bar.",
            "$5 off today",
        ] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }

    #[test]
    fn php_tag_cases() {
        let rules = CodeRules::new();
        let attacks = [
            ("space inside the tag", "<? php echo 1"),
            ("tab inside the tag", "<?\tphp echo 1"),
            ("line break inside the tag", "<?\nphp echo 1"),
            ("xml tag read as a short tag", "<?xml :echo 1;"),
            ("xml tag glued to the colon", "<?xml:fputcsv($f, [1]);"),
            ("open tag at the end", "test<?"),
            ("forum tag", "code[\\php]"),
            ("template tag", "echo 1{/php}"),
        ];
        for (name, input) in attacks {
            assert_eq!(rule_of(&rules, input), Some("code.php_tag"), "{name}: {input:?}");
        }
        let benign = [
            ("xml declaration", "<?xml version=\"1.0\"?>"),
            ("xml declaration with a tab", "<?xml\tversion=\"1.0\"?>"),
            ("stylesheet instruction", "<?xml-stylesheet type=\"text/xsl\"?>"),
            ("xmp packet", "<?xpacket begin=\"?\"?>"),
            ("question in prose", "Is this a test? What do you think?"),
            ("ternary", "result = (x < 5) ? yes : no"),
            ("the word php", "I like php and rust"),
        ];
        for (name, input) in benign {
            assert_eq!(rules.detect(input), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn php_function_cases() {
        let rules = CodeRules::new();
        let attacks = [
            ("name glued to a word", "FOOcall_user_func()"),
            ("mixed case glued name", "FOOGzInFlAtE()"),
            ("comment before the parenthesis", "I don't like gzuncompress/*comment*/()"),
            ("index after the call", "get_defined_functions()[0]"),
            ("space inside the parenthesis", "strrev( )"),
            ("function family", "zend_test_is_string_marked_as_valid_utf8("),
            ("numeric argument", "chr(123)"),
            ("carriage return before the parenthesis", "eval\r($foo)"),
            ("line break before the parenthesis", "exec\n('bar')"),
            ("two spaces before the parenthesis", "exec  (blah)"),
            ("tab before the parenthesis", "exec\t(blah)"),
            ("line comment before the parenthesis", "exec //comment\r\n (blah)"),
            ("hash comment before the parenthesis", "exec #comment\r\n (blah)"),
            ("block comment before the parenthesis", "checkdate/*x*/()"),
            ("vertical tab before the parenthesis", "pi\x0b()"),
            ("word function called with a line break", "FILE\r\n()"),
            ("non-word function with a space", "filegroup  (blah)"),
            ("bare command argument", "system(whoami)"),
            ("quoted name called", "return\"system\"(xyz).s"),
            ("quoted name with spaces called", "(\"system  \")(\"whoami\")"),
            ("concatenated name", "(sy.(st).em)('uname');"),
            ("cast string called", "(string)\"system\"('uname');"),
            ("concatenated strings called", "( string ) \"sys\".\"t\".\"em\" ('uname');"),
            ("constant called", "define('x', 'sys' . 'tem');(x)/* comment */('uname');"),
            ("array element called", "[system][0](ls);"),
            ("spaced array element called", "[ system ] [ 0 ] ( ls );"),
            ("string literal called", "\"system\"(ls);"),
            ("uploaded php version extension", "shell.php5"),
            ("uploaded php archive", "dangerous.phps"),
            ("trailing dots after php", "a.php.."),
            ("trailing space after php", "photo.php "),
            ("space after the dot", "photo. php"),
            ("php behind an image extension", "test. php5.gif"),
            ("php behind an image extension with a path", "uploads/x.php.jpg"),
        ];
        for (name, input) in attacks {
            assert_eq!(rule_of(&rules, input), Some("code.php_function"), "{name}: {input:?}");
        }
        let benign = [
            ("english system", "the system is down()"),
            ("system in a word", "ecosystem()"),
            ("plural marker", "check the system(s) first"),
            ("exec with a single space", "exec ("),
            ("word that starts with exec", "executor()"),
            ("word that ends with eval", "cheval($foo)"),
            ("word that ends with file", "audiofile($foo)"),
            ("comment without a line break", "symlink#x()"),
            ("function name in a longer word", "xcheckdate()"),
            ("bare function name", "checkdate"),
            ("prose about a function", "Moreover, phpinfo can leak configuration details"),
            ("parenthesized aside", "[ACME]: this is, (another) test (foo)bar or foo(bar)."),
            ("quoted word with an aside", "this is a \"dog\" (not a cat)"),
            ("paths in parentheses", "(foo)/(bar)"),
            ("eval period", "eval period (days)"),
            ("system status", "system status"),
            ("php page", "/load.php"),
            ("php file name", "index.php"),
            ("php in an e-mail address", "richard.php@my-email.com"),
            ("php extension followed by digits", "fthi/sfewfda.phtml987..."),
            ("longer extension", "safe.phpinfo"),
            ("query with a php page", "/search_results.php?type=all"),
        ];
        for (name, input) in benign {
            assert_eq!(rules.detect(input), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn php_variable_function_cases() {
        let rules = CodeRules::new();
        let attacks = [
            ("variable function", "$a(1)"),
            ("variable variable function", "$$b(2)"),
            ("underscore variable", "$_(3)"),
            ("silenced array element", "@$__[o](4)"),
            ("quoted index", "$__['o'](5)"),
            ("nested index", "$__[$_[1]](7)"),
            ("braced name", "${@a}(10)"),
            ("brace index", "$OOO000000{0}(15)"),
            ("space before the call", "$OOO0000O0 (16)"),
            ("comments between indexes", "$_aB_4c[@5]/*wat*/[@d] ()"),
            ("line break before the call", "$function\r\n (23)"),
            ("hash comment between indexes", "$_aB_4c #foo\r\n\t[5]//bar\r\n\t['d'] /*foo*/ (17)"),
            ("method named by a variable", "$foo->$funcname()"),
            ("static method named by a variable", "Foo::$variable()"),
        ];
        for (name, input) in attacks {
            assert_eq!(rule_of(&rules, input), Some("code.php_variable"), "{name}: {input:?}");
        }
        let benign = [
            ("hash comment without a line break", "$a#foo()"),
            ("line comment without a line break", "$a//foo()"),
            ("empty index", "$a[]()"),
            ("empty braces", "${}()"),
            ("empty brace index", "$a{}()"),
            ("price with a note", "$5 (five dollars)"),
            ("perl hash", "$hash{key}=[1,2,3]"),
            ("template placeholder", "Hello ${name}, welcome"),
        ];
        for (name, input) in benign {
            assert_eq!(rules.detect(input), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn node_cases() {
        let rules = CodeRules::new();
        let attacks = [
            ("console call", "console.info(1)"),
            ("console call by index", "console[\"info\"](1)"),
            ("console call through call", "console.info.call(this,1)"),
            ("function literal", "function() {"),
            ("server component constructor reference", "{\"get\":\"$3:constructor:constructor\"}"),
            ("server component prototype reference", "{\"0\":\"$7:Module:prototype\"}"),
        ];
        for (name, input) in attacks {
            assert_eq!(rule_of(&rules, input), Some("code.node"), "{name}: {input:?}");
        }
        let benign = [
            ("console in prose", "open the console. then retry"),
            ("function in prose", "the function (see above) returns"),
            ("price and time", "$3:30 pm"),
        ];
        for (name, input) in benign {
            assert_eq!(rules.detect(input), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn perl_cases() {
        let rules = CodeRules::new();
        for input in ["@{[system 'id']", "@{[system 'id']extra", "@{[ (system 'id') ]}", "@{[ &CORE::time ]}"] {
            assert_eq!(rule_of(&rules, input), Some("code.perl"), "input {input:?}");
        }
        for input in ["user@example.com", "{\"array\":[1,2,3]}", "@{[]}"] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }

    #[test]
    fn dos_loop_cases() {
        let rules = CodeRules::new();
        for input in [
            "while(!+0);",
            "while(!\"\");",
            "while(!``);",
            "while(Infinity);",
            "while(-1);",
            "while(new Date);",
            "while(this);",
            "while(String);",
            "while(!!{});",
            "while(!null)",
            "while(!undefined)",
            "while(!NaN)",
            "while((true)))",
            "for(;;){}",
        ] {
            assert_eq!(rule_of(&rules, input), Some("code.dos_loop"), "input {input:?}");
        }
        for input in [
            "while(!true);",
            "while(!!'');",
            "while(0);",
            "while(false){}",
            "while (this) is happening",
            "while (foo) is bar.",
        ] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
