//! Server-side code injection into interpreters: PHP, Node.js, Python, Ruby and Perl.
//!
//! - `code.php_tag`: a PHP open tag followed by code (`<?php`, `<?=`, `<? exec(`).
//! - `code.php_function`: a call of a PHP function that runs commands, evaluates code,
//!   reads or writes files or decodes hidden payloads (`shell_exec(`, `base64_decode(`,
//!   `file_put_contents(`, `(system)('id')`). Functions whose names are English words
//!   (`system`, `exec`, `assert`, `include`) count only when called without a space or with
//!   a quoted or variable argument, so "the system (v2)" does not match.
//! - `code.php_variable`: PHP superglobals (`$_GET`, `$_SERVER`, `$GLOBALS`) and variable
//!   variables (`${'x'}`), and `php.ini` directives set in a value (`allow_url_include=`).
//! - `code.node`: Node.js process access (`require('child_process')`,
//!   `process.mainModule`, `constructor.constructor(`, `new Function(`).
//! - `code.python`, `code.ruby`, `code.perl`: command execution through the interpreter
//!   (`__import__('os')`, `Kernel.exec`, `IO.popen`, `Process.spawn`, `@{[system ...]}`).
//! - `code.dos_loop`: an endless loop for an evaluating endpoint (`while(true)`).

use crate::finding::Confidence;
use crate::rules::patterns::PatternList;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

pub struct CodeRules {
    /// Rule id and confidence of each pattern of `patterns`, in the same order.
    rules: Vec<(&'static str, Confidence)>,
    patterns: PatternList,
}

impl CodeRules {
    pub fn new() -> Self {
        let table: [(&'static str, Confidence, &str); 9] = [
            (
                "code.php_tag",
                Confidence::High,
                r"(?i)<\?(?:php\b|=|\s+(?:\$|echo|eval|exec|system|passthru|include|require|print|@))",
            ),
            (
                "code.php_variable",
                Confidence::High,
                r#"\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES|ENV|SESSION)\b|\$GLOBALS\b|\$\s*\{\s*['"$]|(?i)\b(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode|opcache\.[a-z_]+|suhosin\.[a-z_.]+|register_globals|enable_dl)\s*="#,
            ),
            (
                "code.node",
                Confidence::High,
                r#"(?i)\brequire\s*\(\s*['"](?:child_process|fs|net|vm|os|http)['"]|\bchild_process\b|\bprocess\.(?:mainmodule|binding|dlopen|kill|exit|env)|\bglobal\.process\b|\bconstructor\.constructor\s*\(|\bnew\s+function\s*\(|\brequire\.main\b|\bmodule\.constructor\._load|\.constructor\._load\b|__js_function|\beval\s*\(\s*(?:string\.fromcharcode|atob|buffer\.from|unescape|decodeuricomponent)|\bfunction\s*\(\s*\)\s*\{[^}]*\breturn\s+process\b"#,
            ),
            (
                "code.python",
                Confidence::High,
                r#"(?i)\b__import__\s*\(|\bimportlib\.import_module\s*\(|\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)\s*\(|\bsubprocess\.(?:call|popen|run|check_output|check_call|getoutput)\s*\(|\beval\s*\(\s*compile\s*\(|\bexec\s*\(\s*['"]import\b|\bpickle\.loads\s*\(|\b__builtins__\b|\bgetattr\s*\(\s*__import__"#,
            ),
            (
                "code.ruby",
                Confidence::High,
                r#"(?i)\bkernel\.(?:exec|system|spawn|open|eval)\b|\bio\.popen\s*\(|\bprocess\.spawn\s*\(|\bopen3\.|%x\s*[({\[]|\binstance_eval\s*\(|\bclass_eval\s*\(|\bsend\s*\(\s*:(?:system|exec|eval)\b|\bobject\.const_get\b"#,
            ),
            ("code.perl", Confidence::High, r#"@\s*\{\s*\[.*\]\s*\}|\bqx\s*[({\[/]|(?i)\bperl\s+-e\s"#),
            (
                "code.php_function",
                Confidence::High,
                r#"(?i)\b(?:shell_exec|passthru|proc_open|pcntl_exec|popen|create_function|call_user_func(?:_array)?|base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|bzdecompress|convert_uudecode|file_get_contents|file_put_contents|fopen|fwrite|fputs|readfile|show_source|highlight_file|phpinfo|move_uploaded_file|preg_replace|assert_options|posix_\w+|proc_\w+|get_defined_vars|ini_set|ini_get|putenv|set_time_limit|unserialize|var_dump|print_r|var_export|register_shutdown_function|register_tick_function|escapeshellcmd|escapeshellarg|parse_str|mb_ereg_replace|gethostbyname|fsockopen|pfsockopen|stream_socket_client|curl_exec|curl_init|apache_child_terminate|filemtime|file_exists|array_diff|date_add|pg_\w+|ldap_\w+|tidy_\w+|sodium_\w+)\s*\(|\b(?:system|exec|eval|assert|include|include_once|require|require_once|print|echo|chr|ord|copy|rename|mail|dir|glob|extract|symlink|chmod|chown|unlink|rmdir|mkdir|getenv|scandir|opendir|readdir|checkdate|usort|array_map|array_filter|ob_start|dl|openlog|syslog|tmpfile|tempnam|is_file)\((?:\s*['"$`]|\s*\)|\s*\w+\s*\()|\(\s*['"]?(?:system|exec|passthru|shell_exec|eval|assert|phpinfo|popen)['"]?\s*\)\s*\("#,
            ),
            (
                "code.dos_loop",
                Confidence::Medium,
                r#"(?i)\bwhile\s*\(\s*(?:true|1|!+\s*(?:false|0|-?0)|!\[\]|\[\])\s*\)|\bfor\s*\(\s*;\s*;\s*\)"#,
            ),
            ("code.php_function", Confidence::Medium, r#"(?i)\[/?php\]"#),
        ];
        let rules = table.iter().map(|(id, confidence, _)| (*id, *confidence)).collect();
        let patterns: Vec<&str> = table.iter().map(|(_, _, pattern)| *pattern).collect();
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
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "input {input:?}");
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
}
