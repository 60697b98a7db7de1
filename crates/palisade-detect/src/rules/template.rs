//! Server-side template injection: template syntax of Jinja2, Twig, Freemarker, Velocity,
//! Thymeleaf, Spring and Java EL, ERB, Smarty, Handlebars, Mako and Razor whose content is
//! more than a variable name.
//!
//! - `ssti.expression`: arithmetic on numbers inside template delimiters (`{{7*7}}`,
//!   `${7*7}`, `<%= 7*7 %>`, `#{7*7}`, `@(7*7)`), the usual probe.
//! - `ssti.object_access`: reflection and escape routes inside delimiters (`__class__`,
//!   `__globals__`, `getClass()`, `T(java.lang.Runtime)`, `?new()`, `_self.env`,
//!   `request.application`), and directives that execute (`<#assign ... ?new()>`,
//!   `#set($x=...)`, `{php}`, `{system(...)}`).
//! - `ssti.statement`: template statements in a value (`{% ... %}`, `<#...>`, `#foreach`).
//!
//! `${price}`, `{{name}}` and `{{ user.email }}` are plain variable references and match
//! nothing.

use regex::bytes::Regex;

use crate::rules::ascii_regex;

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Maximum length of an expression read between delimiters, in bytes.
const MAX_EXPRESSION_BYTES: usize = 512;

pub struct TemplateRules {
    arithmetic: Regex,
    object_access: Regex,
    directive: Regex,
}

impl TemplateRules {
    pub fn new() -> Self {
        Self {
            arithmetic: ascii_regex(r"^\s*-?\d+(?:\.\d+)?\s*[*+/%-]\s*-?\d+(?:\.\d+)?\s*(?:[*+/%-]\s*\d+\s*)*$")
                .expect("the arithmetic pattern is valid"),
            object_access: ascii_regex(
                r"(?i)__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute|reduce)__|\bgetclass\s*\(|\bforname\s*\(|\bT\s*\(\s*java\.|\bnew\s+java\.|\?new\s*\(|freemarker\.template\.utility|\bruntime\b|\bprocessbuilder\b|\bgetruntime\b|\.exec\s*\(|\bpopen\s*\(|\bos\.system|\bsubprocess\b|_self\.env|registerundefinedfiltercallback|getfilter\s*\(|\brequest\.application\b|\bself\._?template|\bself\.module\b|\blipsum\.|\bcycler\.|\bjoiner\.|\bnamespace\.__|\bconfig\.items\s*\(|\bconstructor\.constructor|\bclassloader\b|\bscriptengine|\bgetengine|\bfile_get_contents|\bsystem\s*\(|\bpassthru\s*\(|\bshell_exec|\bevaluate\s*\(|\.inspect\s*\(|\bkernel\.|\bio\.popen|\bchild_process|\bprocess\.mainmodule|\bnew\s*\(\s*\)|\bobject\.getclass|\bclass\.forname|\bfacescontext|\bpagecontext|\bapplicationscope|\bjavax\.|\bjava\.lang|\bsun\.|\bspring\.",
            )
            .expect("the object access pattern is valid"),
            directive: ascii_regex(
                r"(?i)<#(?:assign|list|if|include|import|function|macro|attempt|global|setting)\b|#set\s*\(\s*\$|#foreach\s*\(|#evaluate\s*\(|#include\s*\(|#parse\s*\(|\{php\}|\{/?literal\}|\{(?:system|exec|passthru|shell_exec|eval|include|fetch|math|assign)\s*[\s(]|\{\{\s*#(?:with|each|if|lookup|log)\b|\{\{\s*>\s*\w|@\{\s*\w|@\(\s*\w|\{\{\s*[\w.]+\s*\|\s*(?:attr|safe|map|join|format|e|first|last|list|string|selectattr|tojson)\b[^}]*\(|\[\[\$\{|__\$\{",
            )
            .expect("the directive pattern is valid"),
        }
    }

    pub fn detect(&self, text: &str) -> Option<TemplateMatch> {
        let bytes = text.as_bytes();
        let mut weaker = None;

        let mut i = 0;
        while i + 1 < bytes.len() {
            // Every opener ends in `{`, `%`, `(`, `[` or `=`, so the scan jumps to the next
            // of those bytes.
            let rest = &bytes[i + 1..];
            let Some(offset) = [memchr::memchr3(b'{', b'%', b'(', rest), memchr::memchr2(b'[', b'=', rest)]
                .into_iter()
                .flatten()
                .min()
            else {
                break;
            };
            i += offset;
            let (open_len, close): (usize, &[u8]) = match (bytes[i], bytes[i + 1]) {
                (b'{', b'{') => (2, b"}}"),
                (b'$', b'{') | (b'#', b'{') | (b'*', b'{') | (b'@', b'{') | (b'~', b'{') => (2, b"}"),
                (b'<', b'%') => (2 + usize::from(bytes.get(i + 2) == Some(&b'=')), b"%>"),
                (b'{', b'%') => (2, b"%}"),
                (b'@', b'(') => (2, b")"),
                (b'[', b'[') => (2, b"]]"),
                (b'{', b'=') => (2, b"}"),
                _ => {
                    i += 1;
                    continue;
                }
            };
            let content_start = i + open_len;
            let window_end = (content_start + MAX_EXPRESSION_BYTES).min(bytes.len());
            let close_at = find(&bytes[content_start..window_end], close).map(|p| content_start + p);
            let content_end = close_at.unwrap_or(window_end);
            let content = std::str::from_utf8(&bytes[content_start..content_end]).unwrap_or("");

            if let Some(found) = self.check_expression(bytes[i], bytes[i + 1], content, close_at.is_some(), i) {
                if found.confidence == Confidence::High {
                    return Some(found);
                }
                weaker.get_or_insert(found);
            }
            i = content_start;
        }

        // Every alternative of the directive pattern contains `#`, `{` or `@`, so values
        // without them skip the search.
        if memchr::memchr3(b'#', b'{', b'@', text.as_bytes()).is_some()
            && let Some(found) = self.directive.find(text.as_bytes())
        {
            return Some(TemplateMatch {
                rule_id: "ssti.object_access",
                confidence: Confidence::High,
                at: found.start(),
            });
        }
        weaker
    }

    fn check_expression(&self, first: u8, second: u8, content: &str, closed: bool, at: usize) -> Option<TemplateMatch> {
        let content = content.trim_start_matches(['=', '-', '+', '~', ' ']);
        let content = content.trim_end_matches(['-', '+', '~', ' ']);
        if content.is_empty() {
            return None;
        }
        // `${jndi:...}`, `${env:...}` are Log4j lookups, checked by the JNDI rules.
        if first == b'$'
            && content.split_once(':').is_some_and(|(prefix, _)| prefix.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return None;
        }
        if closed && self.arithmetic.is_match(content.as_bytes()) {
            return Some(TemplateMatch { rule_id: "ssti.expression", confidence: Confidence::High, at });
        }
        if let Some(found) = self.object_access.find(content.as_bytes()) {
            // A bare word such as `runtime` needs code around it: a call or member access.
            let word_only = found.as_bytes().iter().copied().all(|b| b.is_ascii_alphabetic());
            if !word_only || content.contains(['(', '.']) {
                return Some(TemplateMatch { rule_id: "ssti.object_access", confidence: Confidence::High, at });
            }
        }
        if (first, second) == (b'{', b'%') && closed {
            let keyword = content.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
            let statement = matches!(
                keyword.as_str(),
                "import"
                    | "include"
                    | "extends"
                    | "from"
                    | "set"
                    | "for"
                    | "if"
                    | "macro"
                    | "call"
                    | "filter"
                    | "debug"
                    | "print"
                    | "with"
                    | "raw"
                    | "autoescape"
                    | "block"
                    | "endif"
                    | "endfor"
            );
            if statement {
                return Some(TemplateMatch { rule_id: "ssti.statement", confidence: Confidence::Medium, at });
            }
        }
        None
    }
}

impl Default for TemplateRules {
    fn default() -> Self {
        Self::new()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_cases() {
        let rules = TemplateRules::new();
        let attacks = [
            ("{{7*7}}", "ssti.expression"),
            ("${7*7}", "ssti.expression"),
            ("<%= 7 * 7 %>", "ssti.expression"),
            ("#{7*7}", "ssti.expression"),
            ("{{''.__class__.__mro__[1].__subclasses__()}}", "ssti.object_access"),
            ("${T(java.lang.Runtime).getRuntime().exec('id')}", "ssti.object_access"),
            ("<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}", "ssti.object_access"),
            ("{{config.items()}}", "ssti.object_access"),
            ("#set($x='')#set($rt=$x.class.forName('java.lang.Runtime'))", "ssti.object_access"),
            ("{% import os %}{{ os.popen('id').read() }}", "ssti.object_access"),
            ("{% if True %}49{% endif %}", "ssti.statement"),
            ("{{_self.env.registerUndefinedFilterCallback('exec')}}", "ssti.object_access"),
            ("{php}echo `id`;{/php}", "ssti.object_access"),
        ];
        for (input, rule) in attacks {
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn template_near_misses() {
        let rules = TemplateRules::new();
        for input in [
            "${price}",
            "{{name}}",
            "{{ user.email }}",
            "Total: ${amount} due",
            "#{id}",
            "1-2 business days",
            "{a: 1}",
            "${jndi:ldap://x}",
        ] {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
