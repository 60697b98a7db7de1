//! SQL that the token walk does not read as an injection: keywords hidden from filters
//! (`UNI/**/ON`, `/*!50000UNION*/`, `uni0n`), probes that are only a piece of a query
//! (`concat(`, `AND deleted = 0)`, `) AS t FROM`), and PostgreSQL JSON and cast operators.
//!
//! These run only when the walk found nothing. Each pattern is matched on a folded copy of
//! the value: ASCII lower case, MySQL's executable comments opened, other `/* */` comments
//! removed, and `+` read as a space in a value without spaces. Fragments alone are weak
//! evidence, so the shapes that ordinary text could take report low confidence and raise
//! no alert under the default `attacks.min_alert_confidence`.

use std::sync::LazyLock;

use crate::finding::Confidence;
use crate::rules::patterns::PatternList;

use super::SqlMatch;

/// One pattern with the rule and confidence it reports.
struct Shape {
    pattern: &'static str,
    rule_id: &'static str,
    confidence: Confidence,
}

const fn shape(pattern: &'static str, rule_id: &'static str, confidence: Confidence) -> Shape {
    Shape { pattern, rule_id, confidence }
}

/// SQL functions that probes send alone with an opening parenthesis (`concat(`), to see
/// whether a filter lets a call through.
const PROBED_FUNCTIONS: &str = "abs|ascii|avg|bin|cast|ceil|ceiling|char|chr|coalesce|compress|concat|concat_ws|\
convert|cos|count|date|day|decode|default|encode|exp|find_in_set|floor|format|group_concat|hex|if|ifnull|in|\
insert|instr|isnull|lcase|left|length|ln|local|locate|log|lower|ltrim|max|md5|mid|min|minute|month|now|nullif|\
ord|password|pi|position|pow|power|quarter|rand|repeat|replace|reverse|right|round|rtrim|sha1|sign|sin|\
strcmp|substr|substring|sum|sysdate|tan|time|trim|ucase|uncompress|unhex|upper|user|values|version|year";

/// Returns the shapes, strongest first. Their patterns are matched on the folded value.
fn shapes() -> Vec<Shape> {
    use Confidence::{High, Low, Medium};
    vec![
        // `UNION SELECT` with the keywords obfuscated, glued to a number suffix
        // (`1FUNION`) or separated by symbols (`union(select`).
        shape(
            r#"(?:^|[^a-z_]|[0-9][a-z])(?:union|uni0n|uni_on|inion)[^a-z0-9_]*(?:(?:all|distinct)[^a-z0-9_]+)*(?:select|\*elect|sel_ect)(?:[0-9]|\b[\s(]*(?:[-+]?[0-9@*('"`.]|null\b|all\b|distinct\b|[a-z_][a-z0-9_]*\s*[(,]|[a-z_][a-z0-9_.]*\s+from\b))"#,
            "sqli.union",
            High,
        ),
        // A nested query where a value belongs: `1 div(select ...)`, `-any(select`,
        // `and select 1 from`, `from(select count(*)`.
        shape(
            r"\b(?:and|or|xor|div|mod|any|all|some|exists|in|from|not|like|rlike|regexp)\s*\(\s*select\b",
            "sqli.statement",
            Medium,
        ),
        shape(r"^[0-9]+\s+(?:and|or)\s+select\s+(?:[0-9]|top\s|@|\*)", "sqli.statement", Medium),
        // Fingerprinting queries that a scanner sends as the whole value.
        shape(
            r"^\s*\(?\s*select\s+(?:@@?[a-z_]+|current_[a-z_]+|session_user|system_user|user\s*\(|version\s*\(|database\s*\(|top\s+[0-9]+\s|[a-z_]+\s*\([^)]*\)\s*(?:;|$|--|#|from\b)|[0-9]+(?:\s*,\s*[0-9]+)+\b|char\s*\()",
            "sqli.statement",
            Medium,
        ),
        // PostgreSQL casts and JSON operators after a literal or a call:
        // `'{"b":2}'::jsonb <@ '{...}'`, `starts_with(password,'a')::int`.
        shape(
            r#"['")]\s*::\s*(?:jsonb?|int|int4|int8|integer|bigint|text|varchar|numeric|regclass|oid|bytea|xml)\b"#,
            "sqli.function",
            Medium,
        ),
        shape(r#"'\s*(?:<@|@>|\?\||\?&|#>>?|@\?|@@|\?)\s*(?:'|array\b)"#, "sqli.function", Medium),
        // Column count probes after a number, a quote or a parenthesis, anywhere.
        shape(
            r#"(?:^|[0-9'"`)]\s*|\s)(?:order|group)\s+by\s+[0-9]+(?:\s*,\s*[0-9]+)*\s*,?\s*(?:$|--|#|/\*|;|\)|limit\b|having\b|union\b)"#,
            "sqli.clause",
            Medium,
        ),
        shape(r"\bhaving\s*\(?\s*(?:[0-9]+|true|false|null)\s*(?:=|<|>|\)|or\b|and\b|$)", "sqli.clause", Medium),
        shape(r"\blimit\s+[0-9]+\s*,\s*[0-9]+\s*(?:--|#|/\*|;|\)|$)", "sqli.clause", Medium),
        shape(r"\bcase\s+(?:\S+\s+)?when\s.+\sthen\s.+\bend\b", "sqli.statement", Medium),
        shape(r"\(\s*case\s+when\b", "sqli.statement", Medium),
        // Procedures, packages, options and catalogs that only attacks name.
        shape(r"\bexec(?:ute)?\s+(?:master\.|xp_|sp_|immediate\s|as\s+login\b)", "sqli.stacked", Medium),
        shape(r"^\s*exec(?:ute)?\s*\(\s*@", "sqli.stacked", Medium),
        shape(
            r"\b(?:sp_password|sp_executesql|sp_oacreate|sp_makewebtask|xp_cmdshell|xp_regread|xp_dirtree|xp_fileexist|utl_http|utl_inaddr|dbms_pipe|dbms_ldap|openrowset|opendatasource)\b",
            "sqli.function",
            Medium,
        ),
        shape(
            r"\b(?:information_schema|pg_catalog|pg_shadow|sqlite_master|msysaccessobjects|msysobjects|sysobjects|syscolumns|all_tab_[a-z_]+|dba_users)\b|\bsysibm\.",
            "sqli.function",
            Medium,
        ),
        shape(
            r"\bbackup\s+database\s+\S+\s+to\b|;\s*desc\s+[a-z_]+\s*;|\b(?:or|and)\s+match\s+\S+\s+against\s*\(",
            "sqli.stacked",
            Medium,
        ),
        shape(
            r"\bselect\s+union\s+[0-9]|^\s*\(\s*select\s.+\sfrom\s|\)\s*from\s+[a-z_]+\s+where\s",
            "sqli.statement",
            Medium,
        ),
        // MySQL reads `1.e.table_name` as a number followed by a qualified name.
        shape(r"\b[0-9]\.e\.[a-z_]", "sqli.statement", Medium),
        shape(r"^\s*(?:tempdb|msdb|northwind|schema_name|mysql\.(?:db|user))\s*$", "sqli.fragment", Low),
        shape(r"\bprocedure\s+analyse\b|\binto\s+(?:out|dump)file\b", "sqli.clause", Medium),
        shape(
            r"\bselect[a-z]*\s*\(?\s*(?:[0-9]+\s*,\s*)*(?:user|version|database|schema|current_user)\s*\(",
            "sqli.statement",
            Medium,
        ),
        shape(r"[a-z_]\s*\(\s*\(\s*select\s", "sqli.statement", Medium),
        shape(r"\bwai?t?for\s+(?:delay|time)\s+'", "sqli.stacked", Medium),
        shape(r"@@(?:version|datadir|basedir|hostname|servername|global|session)\b", "sqli.function", Medium),
        shape(r"'\s*(?:or|and)\s+'[^']*'\s*=\s*'", "sqli.tautology", Medium),
        shape(r"\b(?:and|or)\s+current_(?:user|date|time)\b", "sqli.tautology", Low),
        // MySQL's implicit conversion: a quoted operator between operands, `A' DIV 'B`,
        // `A 'OR' B`, `'RLIKE'`.
        shape(
            r"^\s*'\s*(?:div|mod|xor|or|and|like|rlike|regexp|sounds\s+like)\s*'\s*$|[a-z0-9]\s*'\s*(?:div|mod|xor|or|and|like|rlike|regexp|sounds\s+like)\s*'\s*[a-z0-9]",
            "sqli.fragment",
            Low,
        ),
        // A condition that starts the value: `AND deleted = 0)`, `|| c == '`,
        // `&&(e="`, `OR name = "`.
        shape(
            r#"^\s*(?:(?:and|or|xor)\b|&&|\|\|)\s*\(?\s*[a-z_@][a-z0-9_.@]*\s*(?:!?==?=?|<>|<=|>=|<|>|\s(?:not\s+)?(?:like|rlike|regexp|is|in)\b)"#,
            "sqli.fragment",
            Low,
        ),
        // The end of a select list: `) AS cc FROM`, `` ` AS `x` from ``.
        shape(r#"(?:^|[)`'"!;0-9])\s*as\s+\S{1,64}\s+from\b"#, "sqli.fragment", Low),
        shape(r"^\s*from\s+\S+\s+(?:where|limit|group\s+by|order\s+by)\b", "sqli.fragment", Low),
        // Operators and keywords sent alone or right after a quote: `IS NULL`, `XOR`,
        // `in (0,1)`, `' or abc!`, `'alter a`, `) like (`, `if(2=`.
        shape(
            r"^\s*(?:like\s+null|is\s+(?:not\s+)?null|rlike|regexp|xor|notnull|sounds\s+like|(?:order|group)\s+by)\s*$",
            "sqli.fragment",
            Low,
        ),
        shape(r"^\s*xor\b", "sqli.fragment", Low),
        shape(r"^\s*in\s*\(\s*-?[0-9]+(?:\s*,\s*-?[0-9]+)+\s*\)\s*$", "sqli.fragment", Low),
        shape(r#"^\s*['"]?\s*(?:x?or|and)\s+(?:[0-9]+|'[^']*')\s*(?:[<>!=,-]|$)"#, "sqli.fragment", Low),
        shape(r#"^\s*['"]\s*(?:x?or|and)\s+[a-z_]+\s*[<>!=-]"#, "sqli.fragment", Low),
        shape(r#"^\s*['"]\s*(?:union|alter)(?:\s+[a-z]\b|\s*/|\s*$)"#, "sqli.fragment", Low),
        shape(r"'\s*(?:or|and|xor)\b.*(?:--|#)\s*$", "sqli.fragment", Low),
        shape(r#"['"]\s*(?:or|and)[\s!(-]+(?:true|false|not\b)"#, "sqli.fragment", Low),
        shape(r"[0-9](?:or|and)[0-9]+\s*=\s*[0-9]+", "sqli.fragment", Low),
        shape(r#"['";]\s*grant\s+[a-z_]+\s+to\s"#, "sqli.fragment", Low),
        // A number cut off by a comment: `1--`, `1 * 1/*`.
        shape(r"^\s*-?[0-9]+\s*(?:\*\s*[0-9]+\s*)?(?:--|/\*)\s*$", "sqli.fragment", Low),
        shape(r"^[0-9]+\s+(?:and|or)\s+[0-9]+\s*/\*\s*$", "sqli.fragment", Low),
        shape(r"\)\s*(?:like|rlike|regexp)\s*\(", "sqli.fragment", Low),
        shape(r"^\s*if\s*\(\s*[0-9]+\s*=", "sqli.fragment", Low),
        shape(r"\bcase\s+when\s+\S+\s+then\b", "sqli.fragment", Low),
        shape(r"^\s*execute\s*[(a-z]", "sqli.fragment", Low),
        shape(
            r"[a-z_]\s*::\s*(?:int|integer|bigint|numeric|jsonb?|regclass|double\s+precision)\b",
            "sqli.fragment",
            Low,
        ),
        // A function name and an opening parenthesis as the whole value.
        Shape { pattern: PROBED_CALL.as_str(), rule_id: "sqli.fragment", confidence: Low },
    ]
}

/// `concat(`, `IFNULL (`, `md5\(`, `length||(`: a probed function, at most four symbols,
/// `(` and the end of the value.
static PROBED_CALL: LazyLock<String> =
    LazyLock::new(|| format!(r"^\s*(?:{PROBED_FUNCTIONS})[\s?/\\|&!$.'\]=%]{{0,4}}\(\s*$"));

struct Compiled {
    list: PatternList,
    outcomes: Vec<(&'static str, Confidence)>,
}

static SHAPES: LazyLock<Compiled> = LazyLock::new(|| {
    let shapes = shapes();
    let patterns: Vec<&str> = shapes.iter().map(|s| s.pattern).collect();
    let list = PatternList::new(&patterns).expect("the SQL fragment patterns are valid");
    Compiled { list, outcomes: shapes.iter().map(|s| (s.rule_id, s.confidence)).collect() }
});

/// Looks for the shapes in `text`. The reported offset is in `text`.
pub(super) fn detect(text: &str) -> Option<SqlMatch> {
    let folded = Folded::new(text);
    let (index, at) = SHAPES.list.first(folded.text.as_bytes())?;
    let (rule_id, confidence) = SHAPES.outcomes[index];
    Some(SqlMatch { rule_id, confidence, at: folded.original_offset(at) })
}

/// A value in lower case with comments removed, and where each byte came from.
struct Folded {
    text: String,
    /// Offset in the original value of each byte of `text`; empty when they are the same.
    origins: Vec<usize>,
}

impl Folded {
    fn new(text: &str) -> Self {
        let plus_for_space = !text.contains(char::is_whitespace) && text.contains('+');
        if !text.is_ascii() {
            return Self::new_unicode(text, plus_for_space);
        }
        Self::new_ascii(text, plus_for_space)
    }

    /// Folds a value with non-ASCII characters: Unicode spaces (U+00A0, U+2000 to U+200A,
    /// ...) become ASCII spaces and typographic quotes ASCII quotes, as databases and lax
    /// decoders read them, before the ASCII fold.
    fn new_unicode(text: &str, plus_for_space: bool) -> Self {
        let mut ascii = String::with_capacity(text.len());
        let mut starts = Vec::with_capacity(text.len());
        for (at, c) in text.char_indices() {
            let folded = match c {
                '\u{2018}' | '\u{2019}' | '\u{b4}' | '\u{2032}' => '\'',
                '\u{201c}' | '\u{201d}' => '"',
                c if c.is_whitespace() => ' ',
                c => c,
            };
            let before = ascii.len();
            ascii.push(folded);
            starts.extend(std::iter::repeat_n(at, ascii.len() - before));
        }
        let inner = Self::new_ascii(&ascii, plus_for_space);
        let origins = if inner.origins.is_empty() {
            starts
        } else {
            inner.origins.iter().map(|&i| starts.get(i).copied().unwrap_or(0)).collect()
        };
        Self { text: inner.text, origins }
    }

    /// Lower-cases `text`, opens executable comments, drops other comments and, with
    /// `plus_for_space`, reads `+` as a space. Non-ASCII characters stay as they are.
    fn new_ascii(text: &str, plus_for_space: bool) -> Self {
        let bytes = text.as_bytes();
        let has_comment = memchr::memchr_iter(b'/', bytes).any(|at| bytes.get(at + 1) == Some(&b'*'));
        if !has_comment && !plus_for_space {
            return Self { text: text.to_ascii_lowercase(), origins: Vec::new() };
        }

        let mut out = Vec::with_capacity(bytes.len());
        let mut origins = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                if bytes.get(i + 2) == Some(&b'!') {
                    // `/*!50000UNION*/`: MySQL runs the text, so only the version is dropped.
                    i += 3;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                    out.push(b' ');
                    origins.push(i);
                    continue;
                }
                // Other comments vanish, so `UNI/**/ON` reads as the keyword a filter that
                // strips comments would pass on. A comment left open cuts off the query
                // and stays.
                if let Some(at) = memchr::memmem::find(&bytes[i + 2..], b"*/") {
                    i += 2 + at + 2;
                    continue;
                }
                out.extend_from_slice(b"/*");
                origins.extend([i, i + 1]);
                i += 2;
                continue;
            }
            if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                out.push(b' ');
                origins.push(i);
                i += 2;
                continue;
            }
            let byte = if plus_for_space && bytes[i] == b'+' { b' ' } else { bytes[i].to_ascii_lowercase() };
            out.push(byte);
            origins.push(i);
            i += 1;
        }
        // Only ASCII bytes were replaced, and each dropped comment starts and ends at an
        // ASCII byte, so the bytes kept are valid UTF-8 and the lossy branch does not run.
        let text = String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self { text, origins }
    }

    fn original_offset(&self, at: usize) -> usize {
        if self.origins.is_empty() { at } else { self.origins.get(at).copied().unwrap_or(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(text: &str) -> Option<(&'static str, Confidence)> {
        detect(text).map(|m| (m.rule_id, m.confidence))
    }

    #[test]
    fn fragments_that_must_trigger() {
        use Confidence::*;
        let cases = [
            ("-1945+/*!UNiOn*/ /*!SeLEct*/+1,2,3", "sqli.union", High),
            ("1 uni/**/on select all from where", "sqli.union", High),
            ("-229 uni0n select concat(password) from mysql.user", "sqli.union", High),
            ("1FUNION SELECT 2", "sqli.union", High),
            ("1UNIONSELECT2--", "sqli.union", High),
            ("-1 union distinct all select table_name from t", "sqli.union", High),
            ("1-(union(select id from users limit 1,1))", "sqli.union", High),
            ("TRUE DIV(SELECT ORD(LEFT", "sqli.statement", Medium),
            ("1 AND SELECT TOP 10 USERNAME FROM USERS -- 1", "sqli.statement", Medium),
            ("select current_database();", "sqli.statement", Medium),
            ("select current_user;", "sqli.statement", Medium),
            ("SELECT CHAR(0x66)", "sqli.statement", Medium),
            ("OR '{\"b\":2}'::jsonb <@ '{\"a\":1}'::jsonb", "sqli.function", Medium),
            ("starts_with(password,'a')::int", "sqli.function", Medium),
            ("OR '[1,2]' ? '1'", "sqli.function", Medium),
            ("14968 order by 5", "sqli.clause", Medium),
            (" ORDER BY 12 ", "sqli.clause", Medium),
            ("1' GROUP BY 1,2,--", "sqli.clause", Medium),
            ("id having (1 or true)", "sqli.clause", Medium),
            ("HAVING 1=", "sqli.clause", Medium),
            ("limit 0,1--", "sqli.clause", Medium),
            ("case when 2 then 3 end", "sqli.statement", Medium),
            ("SELECT (CASE WHEN", "sqli.statement", Medium),
            ("1; EXECUTE AS LOGIN 'root'", "sqli.stacked", Medium),
            ("exec xp_regread", "sqli.stacked", Medium),
            ("1' --sp_password", "sqli.function", Medium),
            ("',NULL) waifor delay '0:0:20' /*", "sqli.stacked", Medium),
            ("select @@version foo", "sqli.statement", Medium),
            ("A' DIV 'B", "sqli.fragment", Low),
            ("A 'OR' B", "sqli.fragment", Low),
            ("AND deleted = 0)", "sqli.fragment", Low),
            ("|| langCode == '", "sqli.fragment", Low),
            ("&&(e===", "sqli.fragment", Low),
            ("or class!=\"", "sqli.fragment", Low),
            (") AS cc FROM", "sqli.fragment", Low),
            ("` AS `edit_user_id` from", "sqli.fragment", Low),
            ("from `information_schema`.tables limit", "sqli.function", Medium),
            ("from `db_miwf`.`sys_refindex` limit", "sqli.fragment", Low),
            ("COALESCE(", "sqli.fragment", Low),
            ("Rand (", "sqli.fragment", Low),
            ("md5\\(", "sqli.fragment", Low),
            ("length||(", "sqli.fragment", Low),
            ("pay=xp_cmdshell", "sqli.function", Medium),
            ("sp_executesql", "sqli.function", Medium),
            ("FROM INFORMATION_SCHEMA.", "sqli.function", Medium),
            ("northwind", "sqli.fragment", Low),
            ("procedure analyse (", "sqli.clause", Medium),
            ("into outfile '", "sqli.clause", Medium),
            ("selectect user(", "sqli.statement", Medium),
            ("9999 or {if length(( select username from user where id=1))>0}", "sqli.statement", Medium),
            ("exec (@", "sqli.stacked", Medium),
            ("IS NULL", "sqli.fragment", Low),
            ("XOR", "sqli.fragment", Low),
            ("xor 2 <", "sqli.fragment", Low),
            ("in (0,1)", "sqli.fragment", Low),
            ("or 'a' <", "sqli.fragment", Low),
            ("' or abc!", "sqli.fragment", Low),
            ("'UNION A", "sqli.fragment", Low),
            ("a'or?--", "sqli.fragment", Low),
            ("' or true; foo", "sqli.fragment", Low),
            (") like (", "sqli.fragment", Low),
            ("if(2=", "sqli.fragment", Low),
            (" case when condition1 then result1", "sqli.fragment", Low),
            ("execute node_", "sqli.fragment", Low),
            ("password::int", "sqli.fragment", Low),
            ("select current server from sysibm.sysdummy1;", "sqli.function", Medium),
            ("BACKUP database master to disks='x'", "sqli.stacked", Medium),
            ("\\'; desc users; --", "sqli.stacked", Medium),
            ("' or MATCH username AGAINST ('+admin -a' IN BOOLEAN MODE); -- -a", "sqli.stacked", Medium),
            ("-747 select union 1,2,3,4,5,6/*", "sqli.statement", Medium),
            ("(select 1 foobar from dual)", "sqli.statement", Medium),
            ("1) FROM USERS WHERE USERNAME=", "sqli.statement", Medium),
            ("SELECT $.`` 1.e.table_name", "sqli.statement", Medium),
            ("1\"OR!(false) #1 !", "sqli.fragment", Low),
            ("\u{2019} or \u{2018}1\u{2019}=\u{2019}1", "sqli.tautology", Medium),
            ("1or1=1", "sqli.fragment", Low),
            ("' grant connect to name; grant resource to name; --", "sqli.fragment", Low),
            ("1--", "sqli.fragment", Low),
            ("1 * 1/*", "sqli.fragment", Low),
            ("348 and 1/*", "sqli.fragment", Low),
            ("1\u{a0}UNION\u{a0}SELECT\u{a0}2--", "sqli.union", High),
        ];
        for (input, rule, confidence) in cases {
            assert_eq!(rule_of(input), Some((rule, confidence)), "input {input:?}");
        }
    }

    #[test]
    fn near_misses_stay_quiet() {
        let benign = [
            "union was a great select",
            "the students' and teachers' union select committee",
            "reunion selection",
            "order by date",
            "sort in order by 5 stars",
            "having 2 kids",
            "case closed",
            "just in case, when it rains then stay home; the end",
            "known as Bob from accounting",
            "and then some",
            "or else",
            "oregon = state",
            "price > 5 and size < 10",
            "count( me in",
            "concat(a, b)",
            "date(2024-01-01)",
            "rock 'n' roll",
            "exec summary",
            "select a plan",
            "(select one)",
            "1 + 2",
            "from here to there",
            "like",
            "in (stock)",
            "and more",
            "or 5 of them",
            "'Union Jack' flag",
            "execute",
            "std::string",
            "information schema design",
            "xp_points",
            "2010-01-01--",
            "1,1--",
            "grant access to everyone",
            "backup database nightly",
            "match day against (rivals)",
        ];
        for input in benign {
            assert_eq!(detect(input), None, "input {input:?}");
        }
    }

    #[test]
    fn offsets_point_into_the_original_value() {
        let text = "1/**/UNI/**/ON/**/SELECT 1";
        let found = detect(text).unwrap();
        assert_eq!(&text[found.at..found.at + 1], "1");
        let found = detect("xyz 14968 order by 5").unwrap();
        assert_eq!(found.at, 8);
    }
}
