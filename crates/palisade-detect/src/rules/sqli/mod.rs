//! SQL injection by lexing the value as SQL in the three places an application puts a
//! value: bare (a number), inside a `'...'` literal and inside a `"..."` literal.
//!
//! For each place the lexer's tokens are walked with a small state machine of what may
//! follow what in SQL (an operand after an operator, an operator after an operand, `SELECT`
//! after `UNION` or `(`, ...). Ordinary text stops being SQL within a token or two: "2 or
//! 4 metal buttons" puts a name after a number, and "O'Brien" puts a name after a literal.
//! So only the prefix that is still valid SQL is searched for the signs of an injection:
//!
//! - `sqli.union`: `UNION [ALL] SELECT`.
//! - `sqli.stacked`: `;` followed by a statement of a recognisable shape (`DROP TABLE`,
//!   `EXEC xp_...`, `DECLARE @v`, `WAITFOR DELAY '...'`, `SELECT ...`).
//! - `sqli.tautology`: a condition after `AND`/`OR`/`WHERE`/`HAVING` that compares
//!   literals or calls a function or a subquery (`OR 1=1`, `AND SLEEP(5)`).
//! - `sqli.function`: a call of a function used for timing, errors, files or fingerprinting
//!   (`SLEEP`, `BENCHMARK`, `EXTRACTVALUE`, `LOAD_FILE`, `@@version` readers, ...).
//! - `sqli.clause`: `ORDER BY`, `GROUP BY`, `HAVING`, `PROCEDURE`, `INTO OUTFILE` after a
//!   break-out, used to count columns or write files.
//! - `sqli.comment_truncation`: a literal closed by the value and the rest of the query cut
//!   off by a comment (`admin'--`).
//! - `sqli.statement`: the whole value is a query such as `SELECT ... FROM ...`.
//!
//! Values the walk does not flag go on to [`fragments`]: keywords hidden by comments or
//! misspelled for filters, PostgreSQL casts and JSON operators, and pieces of SQL sent
//! alone (`sqli.fragment`, low confidence).

mod fragments;
mod lexer;

use std::cell::RefCell;

use lexer::{Kind, Lexer, Start, Token};

use crate::finding::Confidence;

/// Most tokens walked per context. Beyond this the value is treated as SQL that stayed
/// valid, which only matters for values that are already long SQL text.
const MAX_TOKENS: usize = 384;

/// The verdict of the SQL analysis on one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    /// Byte offset in the value where the injection starts.
    pub at: usize,
}

thread_local! {
    /// The token buffer of every context of every value on this thread, kept between calls
    /// to save an allocation per value. It contains at most [`MAX_TOKENS`] tokens.
    static TOKENS: RefCell<Vec<Token>> = const { RefCell::new(Vec::new()) };
}

/// Checks `text` in the bare, single-quoted and double-quoted contexts and returns the
/// strongest match.
pub fn detect(text: &str) -> Option<SqlMatch> {
    TOKENS.with_borrow_mut(|tokens| detect_with(text, tokens))
}

fn detect_with(text: &str, tokens: &mut Vec<Token>) -> Option<SqlMatch> {
    let mut best = detect_in_contexts(text, tokens);
    // `1'+union+select+1` in a path or JSON value: `+` for a space, as URL encoders
    // write it, in a value with no other spaces.
    if best.is_none() && text.contains('+') && !text.contains(char::is_whitespace) {
        best = detect_in_contexts(&text.replace('+', " "), tokens);
    }
    // `id=1 and 1=1` as one value: a query-string pair or a form body stored in a single
    // field. The part after the name is a value of its own.
    let value_at = assigned_value_start(text);
    if best.is_none()
        && let Some(value_at) = value_at
    {
        best = detect_in_contexts(&text[value_at..], tokens).map(|m| SqlMatch { at: m.at + value_at, ..m });
    }
    best.or_else(|| fragments::detect(text)).or_else(|| {
        let value_at = value_at?;
        fragments::detect(&text[value_at..]).map(|m| SqlMatch { at: m.at + value_at, ..m })
    })
}

/// Returns where the value starts in text of the form `name=value`, whose name is a
/// parameter name (letters, digits, `_`, `-`, `.`, `[`, `]`).
fn assigned_value_start(text: &str) -> Option<usize> {
    let equals = memchr::memchr(b'=', text.as_bytes())?;
    let name = &text.as_bytes()[..equals];
    let is_name = !name.is_empty()
        && name.len() <= 64
        && name[0].is_ascii_alphabetic()
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'));
    (is_name && equals + 1 < text.len() && text.as_bytes()[equals + 1] != b'=').then_some(equals + 1)
}

fn detect_in_contexts(text: &str, tokens: &mut Vec<Token>) -> Option<SqlMatch> {
    let mut best = analyze(text, Start::Bare, tokens);
    for quote in [b'\'', b'"'] {
        // No context can beat a high-confidence match: `stronger` keeps the first of equals.
        if best.is_some_and(|m| m.confidence == Confidence::High) {
            break;
        }
        if memchr::memchr(quote, text.as_bytes()).is_some() {
            best = stronger(best, analyze(text, Start::InString(quote), tokens));
        }
    }
    best
}

fn stronger(a: Option<SqlMatch>, b: Option<SqlMatch>) -> Option<SqlMatch> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.confidence > x.confidence { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Token kinds as a compact fingerprint, one letter per token, for tests and debugging:
/// `1 or 1=1--` is `n&n=nc`.
pub fn fingerprint(text: &str, start_in_string: Option<u8>) -> String {
    let start = start_in_string.map(Start::InString).unwrap_or(Start::Bare);
    Lexer::new(text, start)
        .take(MAX_TOKENS)
        .map(|token| match token.kind {
            Kind::Number => 'n',
            Kind::String => 's',
            Kind::Word => 'w',
            Kind::Variable => 'v',
            Kind::Function => 'f',
            Kind::Logic => '&',
            Kind::Not => '!',
            Kind::Compare => '=',
            Kind::Arith => '+',
            Kind::LParen => '(',
            Kind::RParen => ')',
            Kind::Comma => ',',
            Kind::Semicolon => ';',
            Kind::Union => 'U',
            Kind::Select => 'S',
            Kind::Statement => 'T',
            Kind::Clause => 'k',
            Kind::As => 'a',
            Kind::Case => 'C',
            Kind::CaseBranch => 'b',
            Kind::End => 'e',
            Kind::Comment => 'c',
            Kind::Unknown => '?',
        })
        .collect()
}

/// The kind of token the walk expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Operand,
    AfterOperand,
    /// After a function name: only `(`.
    Arguments,
    /// After `UNION`: `SELECT` or `(`.
    UnionTarget,
    /// After `AS`: a name.
    Alias,
    /// After `NOT` that follows an operand: `LIKE`, `IN`, `BETWEEN`, ...
    NegatedCompare,
    /// After `;`: the next statement.
    StatementStart,
    /// Inside a statement other than `SELECT`, whose grammar is not checked.
    StatementBody,
}

/// The condition being read after `AND`, `OR`, `WHERE` or `HAVING`.
#[derive(Debug, Clone, Copy, Default)]
struct Predicate {
    active: bool,
    /// Started by `AND`, `OR` or `XOR` rather than `WHERE`, `HAVING` or `WHEN`.
    after_logic: bool,
    at: usize,
    depth: i32,
    tokens: usize,
    literals: usize,
    words: usize,
    functions: usize,
    subqueries: usize,
    /// A comparison with a literal or call on at least one side.
    compares_value: bool,
    /// A comparison with literals or calls on both sides, as `1=1` or `'a'='a'`.
    compares_constants: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Signals {
    union_select: Option<usize>,
    /// `UNION` with no `SELECT` after it: at the end, before a comment, or before a column
    /// list (`-1 union`, `1 union 1,2,3`), as payloads that probe the filter write it.
    union_dangling: Option<usize>,
    stacked: Option<usize>,
    /// Strongest condition seen: 2 for constants compared or calls, 1 for a comparison
    /// with one literal side, and where it starts.
    condition: Option<(u8, usize)>,
    /// A single literal as the whole condition, ended by a comment or the end of input.
    literal_condition: Option<usize>,
    /// A comparison of constants outside any condition (`'-'y'-0='1`); meaningful only
    /// after a quote break-out.
    constant_comparison: Option<usize>,
    function: Option<usize>,
    clause: Option<usize>,
    select_from: Option<usize>,
    /// The walk ended at a comment that cut off the rest.
    ends_in_comment: bool,
    /// Tokens walked before the first token that is not valid SQL.
    valid_tokens: usize,
    /// Every token was valid and the input ended where a statement may end.
    complete: bool,
}

/// Functions whose call in a parameter value is a sign of injection: delays for blind
/// injection, error-based extraction, file and network access, fingerprinting.
fn is_attack_function(name: &str) -> bool {
    // A `match` on the lower-cased bytes lets the compiler dispatch on the length first.
    let is_known = |word: &[u8]| {
        let mut buffer = [0u8; 32];
        let Some(lower) = buffer.get_mut(..word.len()) else { return false };
        for (lower, &b) in lower.iter_mut().zip(word) {
            *lower = b.to_ascii_lowercase();
        }
        matches!(
            &*lower,
            b"sleep"
                | b"benchmark"
                | b"pg_sleep"
                | b"pg_read_file"
                | b"pg_ls_dir"
                | b"lo_import"
                | b"lo_export"
                | b"dbms_pipe.receive_message"
                | b"dbms_lock.sleep"
                | b"dbms_xmlgen.getxml"
                | b"utl_inaddr.get_host_address"
                | b"utl_inaddr.get_host_name"
                | b"utl_http.request"
                | b"ctxsys.drithsx.sn"
                | b"extractvalue"
                | b"updatexml"
                | b"xmltype"
                | b"load_file"
                | b"randomblob"
                | b"generate_series"
                | b"name_const"
                | b"geometrycollection"
                | b"multipoint"
                | b"polygon"
                | b"linestring"
                | b"multilinestring"
                | b"multipolygon"
                | b"xp_cmdshell"
                | b"xp_dirtree"
                | b"xp_fileexist"
                | b"sys_exec"
                | b"sys_eval"
                | b"openrowset"
                | b"opendatasource"
                | b"version"
                | b"database"
                | b"schema"
                | b"current_user"
                | b"system_user"
                | b"session_user"
                | b"user_name"
                | b"db_name"
                | b"host_name"
                | b"suser_sname"
                | b"is_srvrolemember"
                | b"connection_id"
                | b"sqlite_version"
                | b"crypt_key"
                | b"regexp_substring"
                | b"make_set"
                | b"elt"
                | b"iif"
                | b"exp"
                | b"json_keys"
                | b"gtid_subset"
        )
    };

    let name = trim_quoting(name.as_bytes());
    // A qualified name (`sys.user_lock.sleep`) counts by its full name and its last part.
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => is_known(name) || is_known(&name[dot + 1..]),
        None => is_known(name),
    }
}

/// Returns `name` without the backticks and brackets around it.
fn trim_quoting(name: &[u8]) -> &[u8] {
    let is_quoting = |b: &u8| matches!(b, b'`' | b'[' | b']');
    let start = name.iter().position(|b| !is_quoting(b)).unwrap_or(name.len());
    let end = name.iter().rposition(|b| !is_quoting(b)).map_or(start, |last| last + 1);
    &name[start..end]
}

/// Table and schema names that only reconnaissance queries name, as prefixes.
const CATALOG_PREFIXES: &[&str] = &[
    "information_schema",
    "mysql.user",
    "mysql.db",
    "sysobjects",
    "syscolumns",
    "sysusers",
    "sys.objects",
    "sys.tables",
    "sys.sql_logins",
    "master.dbo",
    "master..",
    "pg_catalog",
    "pg_shadow",
    "pg_user",
    "pg_tables",
    "sqlite_master",
    "sqlite_schema",
    "all_tables",
    "all_users",
    "user_tables",
    "user_tab_columns",
    "dba_users",
    "sysibm.",
    "msysobjects",
    "domain.domains",
    "rdb$",
];

/// The first bytes of [`CATALOG_PREFIXES`] in both cases, which rule out most names with
/// one lookup.
static CATALOG_FIRST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < CATALOG_PREFIXES.len() {
        let first = CATALOG_PREFIXES[i].as_bytes()[0];
        table[first.to_ascii_lowercase() as usize] = true;
        table[first.to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    table
};

/// Checks whether `name` starts with one of [`CATALOG_PREFIXES`], ignoring ASCII case.
fn is_catalog_name(name: &str) -> bool {
    let name = name.as_bytes();
    if !name.first().is_some_and(|&b| CATALOG_FIRST_BYTES[b as usize]) {
        return false;
    }
    CATALOG_PREFIXES
        .iter()
        .any(|prefix| name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes()))
}

fn analyze(text: &str, start: Start, tokens: &mut Vec<Token>) -> Option<SqlMatch> {
    tokens.clear();
    Lexer::new(text, start).lex_into(tokens, MAX_TOKENS);
    let result = match start {
        Start::InString(_) => analyze_quoted(text, tokens),
        Start::Bare => analyze_bare(text, tokens),
    };
    result.or_else(|| attack_anywhere(text, tokens))
}

/// Signs that count anywhere in the value, also where the text around them is not valid
/// SQL (T-SQL batches with labels, payloads built for another injection point):
///
/// - a call of a function that only attacks call (`BENCHMARK(`, `SLEEP(`, `EXTRACTVALUE(`,
///   ...) with a literal, call or subquery as its first argument:
///   `' if(benchmark(3000000,md5(1)),null,null))`;
/// - `;` followed by a statement that declares or sets a variable, runs a procedure or
///   dynamic SQL, or drops, creates, alters or truncates an object;
/// - `EXEC(@variable)`, which runs the SQL text in a variable.
fn attack_anywhere(text: &str, tokens: &[Token]) -> Option<SqlMatch> {
    let kind_at = |i: usize| tokens.get(i).map(|t| t.kind);
    for (index, token) in tokens.iter().enumerate() {
        match token.kind {
            Kind::Function if kind_at(index + 1) == Some(Kind::LParen) => {
                let name = &text[token.start..token.end];
                let argument = kind_at(index + 2);
                if matches!(
                    argument,
                    Some(Kind::Number | Kind::String | Kind::Function | Kind::LParen | Kind::Select | Kind::Variable)
                ) && is_attack_only_function(name)
                {
                    return found("sqli.function", Confidence::Medium, token.start);
                }
                if argument == Some(Kind::Variable)
                    && (name.eq_ignore_ascii_case("exec") || name.eq_ignore_ascii_case("execute"))
                {
                    return found("sqli.stacked", Confidence::Medium, token.start);
                }
            }
            Kind::Semicolon if kind_at(index + 1) == Some(Kind::Statement) => {
                let statement = &tokens[index + 1];
                let keyword = &text[statement.start..statement.end];
                let runs_code =
                    ["declare", "set", "exec", "execute", "drop", "create", "alter", "truncate", "shutdown"]
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(keyword));
                if runs_code && statement_has_attack_shape(text, tokens, index + 1) {
                    return found("sqli.stacked", Confidence::Medium, statement.start);
                }
            }
            _ => {}
        }
    }
    None
}

/// Checks whether `name` is in the subset of [`is_attack_function`] that ordinary text and
/// ordinary queries do not call: delays, error-based extraction, files, network, commands.
fn is_attack_only_function(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "sleep",
        "benchmark",
        "pg_sleep",
        "pg_read_file",
        "dbms_pipe.receive_message",
        "dbms_lock.sleep",
        "utl_inaddr.get_host_address",
        "utl_http.request",
        "extractvalue",
        "updatexml",
        "load_file",
        "randomblob",
        "name_const",
        "xp_cmdshell",
        "xp_dirtree",
        "sys_exec",
        "sys_eval",
        "openrowset",
    ];
    let name = name.trim_matches(|c| c == '`' || c == '[' || c == ']');
    let last = memchr::memrchr(b'.', name.as_bytes()).map_or(name, |dot| &name[dot + 1..]);
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name) || n.eq_ignore_ascii_case(last))
}

fn found(rule_id: &'static str, confidence: Confidence, at: usize) -> Option<SqlMatch> {
    Some(SqlMatch { rule_id, confidence, at })
}

/// Checks a value that closed a literal the application opened; `tokens[0]` is that
/// literal.
fn analyze_quoted(text: &str, tokens: &[Token]) -> Option<SqlMatch> {
    let first = tokens.first()?;
    if first.open || tokens.len() < 2 {
        return None;
    }
    let breakout = first.end.saturating_sub(1);
    let quote = text.as_bytes()[breakout];
    let tail = &tokens[1..];

    let signals = walk(text, tail, Expect::AfterOperand);
    if let Some(result) = strong_signal(&signals) {
        return Some(result);
    }
    if let Some((_, at)) = signals.condition {
        return found("sqli.tautology", Confidence::Medium, at);
    }
    if tail[0].kind == Kind::Select
        && let Some(at) = signals.select_from
    {
        return found("sqli.stacked", Confidence::Medium, at);
    }
    if let Some(at) = signals.clause {
        return found("sqli.clause", Confidence::Medium, at);
    }

    // `A' LIKE 'B`, `aa'^0+0 = '0`, `x' = !!'0`, `aa'in (0)#`: the value closes the literal
    // and continues with an operator. Every later token is valid SQL, and the value ends in
    // a literal that the application's quote closes, or in a comment that cuts off the rest.
    // Text that quotes a word (`SMALL "&" SIGN`, `"LIKE" STAMP`) has the same tokens. So the
    // prefix must be one short word, and two tokens only count with a symbol as operator.
    let prefix = text[..breakout].trim();
    if signals.complete
        && tail.len() >= 2
        && prefix.len() <= 20
        && !prefix.contains(char::is_whitespace)
        && matches!(tail[0].kind, Kind::Compare | Kind::Arith | Kind::Logic | Kind::Not)
        && let Some(last) = tail.last()
    {
        let closed_by_application = last.kind == Kind::String
            && last.open
            && text.as_bytes()[last.start] == quote
            && (tail.len() >= 3
                || (quote == b'\''
                    && last.end - last.start <= 4
                    && !text[tail[0].start..tail[0].end].bytes().any(|b| b.is_ascii_alphabetic())));
        if closed_by_application || (signals.ends_in_comment && cuts_off_query(&text[last.start..last.end])) {
            return found("sqli.tautology", Confidence::Medium, breakout);
        }
    }
    if let Some(at) = signals.union_dangling {
        return found("sqli.union", Confidence::Medium, at);
    }

    // The weaker signs below also occur in text that quotes words ("the "#2" pick",
    // `BAR'# BLAH`). Injected prefixes are one token (an id, a user name, nothing), so
    // these count only when the text before the quote has no space.
    if text[..breakout].contains(char::is_whitespace) {
        return None;
    }

    // `admin'--`, `x')#`: the literal is closed and the rest of the query commented out.
    let after_parens =
        tail.iter().position(|t| !matches!(t.kind, Kind::RParen | Kind::Semicolon)).unwrap_or(tail.len());
    if let Some(comment) = tail.get(after_parens).filter(|t| t.kind == Kind::Comment)
        && cuts_off_query(&text[comment.start..comment.end])
    {
        return found("sqli.comment_truncation", Confidence::Medium, breakout);
    }
    if let Some(at) = signals.literal_condition {
        return found("sqli.tautology", Confidence::Medium, at);
    }
    if let Some(at) = signals.constant_comparison {
        return found("sqli.tautology", Confidence::Medium, at);
    }
    // `x'='x`, `'^'`, `'*'`: the literal becomes an expression of two literals, which
    // MySQL converts to a number and compares to the column.
    if quote == b'\''
        && tail.len() == 2
        && matches!(tail[0].kind, Kind::Compare | Kind::Arith | Kind::Logic)
        && tail[1].kind == Kind::String
        && tail[1].open
        && tail[1].end - tail[1].start <= 4
        && text[tail[1].start..].starts_with('\'')
        && text[tail[0].start..tail[0].end].bytes().all(|b| !b.is_ascii_alphabetic())
    {
        return found("sqli.tautology", Confidence::Medium, breakout);
    }
    None
}

/// True for a comment as attackers write it to cut off the rest of a query. That is `--`
/// or `#` at the end or followed by a space, `-` or `+` (which keep it a comment in MySQL),
/// or any `/*`. Text such as `#2` or `--INFANT` does not count.
fn cuts_off_query(comment: &str) -> bool {
    let rest = comment.strip_prefix("--").or_else(|| comment.strip_prefix('#'));
    match rest {
        Some(rest) if comment.starts_with('#') => !rest.starts_with(|c: char| c.is_alphanumeric()),
        Some(rest) => rest.is_empty() || rest.starts_with([' ', '\t', '-', '+', '\r']),
        None => comment.starts_with("/*"),
    }
}

/// Checks a value placed in SQL without quotes, as a number or a whole query.
fn analyze_bare(text: &str, tokens: &[Token]) -> Option<SqlMatch> {
    let first = tokens.first()?;
    match first.kind {
        Kind::Select | Kind::Statement | Kind::LParen => {
            let signals = walk(text, tokens, Expect::StatementStart);
            if let Some(at) = signals.select_from.or(signals.stacked).or(signals.union_select) {
                return found("sqli.statement", Confidence::High, at);
            }
            if let Some(result) = strong_signal(&signals) {
                return Some(result);
            }
            // `(1) and (1)=(2) union select ...`: a parenthesized value, not a query.
            if first.kind == Kind::LParen {
                let signals = walk(text, tokens, Expect::Operand);
                return strong_signal(&signals).or_else(|| expression_signal(text, tokens, &signals));
            }
            None
        }
        Kind::Logic | Kind::Union | Kind::Clause | Kind::RParen | Kind::Semicolon | Kind::As | Kind::Comma => {
            let signals = walk(text, tokens, Expect::AfterOperand);
            if let Some(result) = strong_signal(&signals) {
                return Some(result);
            }
            // `ORDER BY 3--`, `GROUP BY 1,2`: a column count probe as the whole value.
            if first.kind == Kind::Clause
                && signals.complete
                && tokens.get(1).is_some_and(|t| t.kind == Kind::Number)
                && is_probe_clause(&text[first.start..first.end])
            {
                return found("sqli.clause", Confidence::Medium, first.start);
            }
            None
        }
        Kind::Number | Kind::Variable | Kind::Function | Kind::Arith | Kind::String | Kind::Not | Kind::Case => {
            let signals = walk(text, tokens, Expect::Operand);
            if let Some(result) = strong_signal(&signals) {
                return Some(result);
            }
            if let Some((_, at)) = signals.condition.filter(|(strength, _)| *strength >= 1) {
                return found("sqli.tautology", Confidence::Medium, at);
            }
            if let Some(at) = signals.clause {
                return found("sqli.clause", Confidence::Medium, at);
            }
            expression_signal(text, tokens, &signals)
        }
        Kind::Word => {
            // A name first (`admin or 1=1`) is also how ordinary text starts, so only the
            // unambiguous signs count.
            let signals = walk(text, tokens, Expect::Operand);
            if let Some(at) = signals.union_select.or(signals.stacked).or(signals.function) {
                let rule = if signals.union_select.is_some() {
                    "sqli.union"
                } else if signals.stacked.is_some() {
                    "sqli.stacked"
                } else {
                    "sqli.function"
                };
                return found(rule, Confidence::High, at);
            }
            match signals.condition {
                Some((2, at)) => found("sqli.tautology", Confidence::Medium, at),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `ORDER BY`, `GROUP BY`: the clauses that count columns by number.
fn is_probe_clause(clause: &str) -> bool {
    let clause = clause.as_bytes();
    clause.len() > 5 && (clause[..5].eq_ignore_ascii_case(b"order") || clause[..5].eq_ignore_ascii_case(b"group"))
}

/// Weaker signs for a value that is an expression rather than a name: a query in
/// parentheses, a dangling `UNION`, a whole `CASE ... END`, or an expression cut off by a
/// comment (`1 or (1 or 1)--`, `( 'a' )  --`, `@version/*`).
fn expression_signal(text: &str, tokens: &[Token], signals: &Signals) -> Option<SqlMatch> {
    let first = tokens.first()?;
    if let Some(at) = signals.union_dangling {
        return found("sqli.union", Confidence::Medium, at);
    }
    if !signals.complete {
        return None;
    }

    if let Some(at) = signals.select_from {
        return found("sqli.statement", Confidence::Medium, at);
    }
    let last = tokens.last()?;
    if first.kind == Kind::Case && last.kind == Kind::End {
        return found("sqli.statement", Confidence::Medium, first.start);
    }

    // `456 + ASCII(SUBSTRING(passwd,1,1))-10`: a call whose argument is another call, as
    // blind extraction reads a value one character at a time.
    if first.kind != Kind::String
        && let Some(pair) = tokens
            .windows(3)
            .find(|w| w[0].kind == Kind::Function && w[1].kind == Kind::LParen && w[2].kind == Kind::Function)
    {
        return found("sqli.function", Confidence::Medium, pair[0].start);
    }

    // Part numbers and lists end in dashes too (`1,1--`, `1611-ABC--`): the expression
    // needs an operator beyond arithmetic, or a space before the comment.
    let structured = tokens.iter().any(|t| {
        matches!(
            t.kind,
            Kind::LParen | Kind::Logic | Kind::Compare | Kind::Select | Kind::Variable | Kind::Function | Kind::Not
        )
    });
    let spaced = text[..last.start].ends_with(char::is_whitespace);
    if signals.ends_in_comment && (structured || spaced) && cuts_off_query(&text[last.start..last.end]) {
        return found("sqli.comment_truncation", Confidence::Medium, last.start);
    }
    None
}

fn strong_signal(signals: &Signals) -> Option<SqlMatch> {
    if let Some(at) = signals.union_select {
        return found("sqli.union", Confidence::High, at);
    }
    if let Some(at) = signals.stacked {
        return found("sqli.stacked", Confidence::High, at);
    }
    if let Some(at) = signals.function {
        return found("sqli.function", Confidence::High, at);
    }
    if let Some((2, at)) = signals.condition {
        return found("sqli.tautology", Confidence::High, at);
    }
    None
}

/// Walks `tokens` from the state `expect` while they form valid SQL and collects signals.
fn walk(text: &str, tokens: &[Token], mut expect: Expect) -> Signals {
    let mut signals = Signals::default();
    let mut predicate = Predicate::default();
    let mut depth: i32 = 0;
    let mut in_from = false;
    let mut previous: Option<&Token> = None;
    // A clause keyword counts once two more tokens, or the rest of the input, are valid
    // SQL after it: "INTO THE WILD" stops being SQL at "WILD".
    let mut clause_candidate: Option<(usize, usize)> = None;

    let token_text = |t: &Token| &text[t.start..t.end];

    for (index, token) in tokens.iter().enumerate() {
        let prev_kind = previous.map(|p| p.kind);
        let is_last = index + 1 == tokens.len();

        if token.kind == Kind::Comment {
            if is_last {
                signals.ends_in_comment = !matches!(expect, Expect::Operand | Expect::Arguments);
                break;
            }
            // A line comment ended by a newline: the next line continues the query.
            continue;
        }

        // Conditions end at the next operator of lower precedence or an unmatched `)`.
        if predicate.active {
            let ends = match token.kind {
                Kind::Logic | Kind::Semicolon | Kind::Union | Kind::Clause | Kind::CaseBranch | Kind::Statement => {
                    depth <= predicate.depth
                }
                Kind::RParen => depth <= predicate.depth,
                _ => false,
            };
            if ends {
                finish_predicate(&mut predicate, &mut signals, false);
            }
        }

        let next_expect = match expect {
            Expect::Operand => match token.kind {
                Kind::Number | Kind::String => {
                    predicate.literals += 1;
                    Some(Expect::AfterOperand)
                }
                Kind::Word => {
                    predicate.words += 1;
                    if is_catalog_name(token_text(token)) {
                        signals.function.get_or_insert(token.start);
                    }
                    Some(Expect::AfterOperand)
                }
                Kind::Variable => {
                    predicate.words += 1;
                    if token_text(token).starts_with("@@") {
                        signals.function.get_or_insert(token.start);
                    }
                    Some(Expect::AfterOperand)
                }
                Kind::Function => Some(call(token, text, &mut signals, &mut predicate)),
                // `LIKE(`, `REGEXP(` are also functions in SQLite and MySQL.
                Kind::Compare if token_text(token).as_bytes()[0].is_ascii_alphabetic() => match tokens.get(index + 1) {
                    Some(next) if next.kind == Kind::LParen => Some(call(token, text, &mut signals, &mut predicate)),
                    _ => None,
                },
                Kind::LParen => {
                    depth += 1;
                    Some(Expect::Operand)
                }
                Kind::RParen if prev_kind == Some(Kind::LParen) => {
                    depth -= 1;
                    Some(Expect::AfterOperand)
                }
                Kind::Not => Some(Expect::Operand),
                Kind::Arith => {
                    let op = token_text(token);
                    if op == "*" && matches!(prev_kind, Some(Kind::Select | Kind::LParen | Kind::Comma)) {
                        Some(Expect::AfterOperand)
                    } else if matches!(op, "-" | "+" | "~") || op.eq_ignore_ascii_case("binary") {
                        Some(Expect::Operand)
                    } else {
                        None
                    }
                }
                Kind::Select if matches!(prev_kind, None | Some(Kind::LParen | Kind::Union | Kind::Semicolon)) => {
                    predicate.subqueries += 1;
                    Some(Expect::Operand)
                }
                Kind::Case => Some(Expect::Operand),
                // `INTO OUTFILE '...'`, `INTO DUMPFILE '...'`.
                Kind::Clause if previous.is_some_and(|p| token_text(p).eq_ignore_ascii_case("into")) => {
                    Some(Expect::Operand)
                }
                Kind::CaseBranch if prev_kind == Some(Kind::Case) => {
                    start_predicate(&mut predicate, token.start, depth);
                    Some(Expect::Operand)
                }
                _ => None,
            },
            Expect::AfterOperand => match token.kind {
                Kind::Compare => {
                    if !predicate.active && compares_constants(tokens, index) {
                        signals.constant_comparison.get_or_insert(token.start);
                    }
                    note_comparison(tokens, index, &mut predicate);
                    Some(Expect::Operand)
                }
                Kind::Arith => Some(Expect::Operand),
                Kind::Logic => {
                    start_predicate(&mut predicate, token.start, depth);
                    predicate.after_logic = true;
                    Some(Expect::Operand)
                }
                Kind::Not => Some(Expect::NegatedCompare),
                Kind::RParen => {
                    depth -= 1;
                    Some(Expect::AfterOperand)
                }
                Kind::Comma => Some(Expect::Operand),
                Kind::Semicolon => Some(Expect::StatementStart),
                Kind::Union => Some(Expect::UnionTarget),
                Kind::Clause => {
                    let clause = token_text(token).to_ascii_lowercase();
                    in_from = matches!(clause.as_str(), "from" | "join") || clause.ends_with("join");
                    if matches!(clause.as_str(), "where" | "having") {
                        start_predicate(&mut predicate, token.start, depth);
                    }
                    if clause.starts_with("order")
                        || clause.starts_with("group")
                        || clause == "having"
                        || clause == "procedure"
                        || clause == "into"
                    {
                        clause_candidate.get_or_insert((token.start, index));
                    }
                    if clause == "from" && tokens[..index].iter().any(|t| t.kind == Kind::Select) {
                        signals.select_from.get_or_insert(token.start);
                    }
                    Some(Expect::Operand)
                }
                Kind::As => Some(Expect::Alias),
                // `WHEN` starts a condition, as `WHERE` does.
                Kind::CaseBranch => {
                    if token_text(token).eq_ignore_ascii_case("when") {
                        start_predicate(&mut predicate, token.start, depth);
                    }
                    Some(Expect::Operand)
                }
                Kind::End => Some(Expect::AfterOperand),
                // T-SQL needs no `;` between statements: `1' WAITFOR DELAY '0:0:5'--`.
                Kind::Statement if statement_has_attack_shape(text, tokens, index) => {
                    signals.stacked.get_or_insert(token.start);
                    Some(Expect::StatementBody)
                }
                // `x' select ... from ...`: a query right after the value.
                Kind::Select if previous.is_none() => Some(Expect::Operand),
                // ... and a parenthesized query can start the next statement:
                // `1 (SELECT CASE WHEN ...)`.
                Kind::LParen if tokens.get(index + 1).is_some_and(|t| t.kind == Kind::Select) => {
                    depth += 1;
                    Some(Expect::Operand)
                }
                // A name after `)` or a table name is an alias: `(select ...)x`, `users u`.
                Kind::Word if prev_kind == Some(Kind::RParen) || (in_from && prev_kind == Some(Kind::Word)) => {
                    Some(Expect::AfterOperand)
                }
                _ => None,
            },
            Expect::Arguments => match token.kind {
                Kind::LParen => {
                    depth += 1;
                    Some(Expect::Operand)
                }
                _ => None,
            },
            Expect::UnionTarget => match token.kind {
                Kind::Select => {
                    signals.union_select.get_or_insert(previous.map(|p| p.start).unwrap_or(token.start));
                    Some(Expect::Operand)
                }
                Kind::Number if prev_kind == Some(Kind::Union) => {
                    signals.union_dangling.get_or_insert(previous.map(|p| p.start).unwrap_or(token.start));
                    Some(Expect::AfterOperand)
                }
                Kind::Statement if prev_kind == Some(Kind::Union) => {
                    signals.union_dangling.get_or_insert(previous.map(|p| p.start).unwrap_or(token.start));
                    Some(Expect::StatementBody)
                }
                Kind::LParen => {
                    depth += 1;
                    Some(Expect::UnionTarget)
                }
                _ => None,
            },
            Expect::Alias => match token.kind {
                Kind::Word | Kind::String => Some(Expect::AfterOperand),
                _ => None,
            },
            Expect::NegatedCompare => match token.kind {
                // `1 NOT LIKE 0`: the comparison is between the operands around `NOT LIKE`.
                Kind::Compare => {
                    note_comparison(tokens, index, &mut predicate);
                    if let Some(left) = index.checked_sub(2).and_then(|i| tokens.get(i))
                        && matches!(left.kind, Kind::Number | Kind::String | Kind::RParen)
                        && tokens.get(index + 1).is_some_and(|t| matches!(t.kind, Kind::Number | Kind::String))
                    {
                        predicate.compares_constants = true;
                    }
                    Some(Expect::Operand)
                }
                _ => None,
            },
            Expect::StatementStart => match token.kind {
                Kind::Select => {
                    if prev_kind == Some(Kind::Semicolon) {
                        signals.stacked.get_or_insert(token.start);
                    }
                    Some(Expect::Operand)
                }
                Kind::LParen => {
                    depth += 1;
                    Some(Expect::StatementStart)
                }
                Kind::Statement => {
                    if statement_has_attack_shape(text, tokens, index) {
                        signals.stacked.get_or_insert(token.start);
                    }
                    Some(Expect::StatementBody)
                }
                Kind::Function => {
                    // A procedural `IF(...)` after `;` runs the next statement on a condition.
                    if prev_kind == Some(Kind::Semicolon) && token_text(token).eq_ignore_ascii_case("if") {
                        signals.stacked.get_or_insert(token.start);
                        Some(Expect::StatementBody)
                    } else {
                        Some(call(token, text, &mut signals, &mut predicate))
                    }
                }
                Kind::End => Some(Expect::StatementBody),
                // A procedural `IF cond stmt` or `WHILE cond stmt` after `;`.
                Kind::Word
                    if prev_kind == Some(Kind::Semicolon)
                        && ["if", "while"].iter().any(|w| token_text(token).eq_ignore_ascii_case(w))
                        && tokens.get(index + 1).is_some_and(|t| {
                            matches!(t.kind, Kind::Not | Kind::LParen | Kind::Number | Kind::Function | Kind::Variable)
                        }) =>
                {
                    signals.stacked.get_or_insert(token.start);
                    Some(Expect::StatementBody)
                }
                _ => None,
            },
            Expect::StatementBody => match token.kind {
                Kind::Semicolon => Some(Expect::StatementStart),
                Kind::Unknown => None,
                Kind::Function => {
                    if is_attack_function(token_text(token)) {
                        signals.function.get_or_insert(token.start);
                    }
                    Some(Expect::StatementBody)
                }
                _ => Some(Expect::StatementBody),
            },
        };

        match next_expect {
            Some(next) => {
                if predicate.active {
                    predicate.tokens += 1;
                }
                expect = next;
                previous = Some(token);
                signals.valid_tokens = index + 1;
            }
            None => {
                // Not SQL from here on. A condition cut short counts only when it had
                // compared constants and gone on for a few valid tokens, as attack
                // payloads with a dialect quirk do: `1=(SELECT TOP 1 a ':' b ...`.
                if predicate.active && predicate.compares_constants && predicate.tokens >= 4 {
                    finish_predicate(&mut predicate, &mut signals, false);
                }
                if let Some((at, clause_index)) = clause_candidate
                    && index >= clause_index + 3
                {
                    signals.clause = Some(at);
                }
                return signals;
            }
        }
    }

    if predicate.active {
        finish_predicate(&mut predicate, &mut signals, true);
    }
    if expect == Expect::UnionTarget
        && let Some(union) = previous.filter(|p| p.kind == Kind::Union)
    {
        signals.union_dangling.get_or_insert(union.start);
    }
    signals.complete = signals.ends_in_comment
        || matches!(expect, Expect::AfterOperand | Expect::StatementStart | Expect::StatementBody);
    if let Some((at, _)) = clause_candidate
        && signals.complete
    {
        signals.clause = Some(at);
    }
    signals
}

/// Records a function call and returns the next expectation.
fn call(token: &Token, text: &str, signals: &mut Signals, predicate: &mut Predicate) -> Expect {
    predicate.functions += 1;
    if is_attack_function(&text[token.start..token.end]) {
        signals.function.get_or_insert(token.start);
    }
    Expect::Arguments
}

fn start_predicate(predicate: &mut Predicate, at: usize, depth: i32) {
    *predicate = Predicate { active: true, at, depth, ..Predicate::default() };
}

/// True when the comparison at `tokens[index]` has a literal, call or parenthesized
/// expression on both sides.
fn compares_constants(tokens: &[Token], index: usize) -> bool {
    let is_value = |t: Option<&Token>| {
        t.is_some_and(|t| matches!(t.kind, Kind::Number | Kind::String | Kind::RParen | Kind::Function | Kind::LParen))
    };
    let left = index.checked_sub(1).and_then(|i| tokens.get(i));
    is_value(left) && is_value(tokens.get(index + 1))
}

/// Marks what kind of comparison the operator at `tokens[index]` makes.
fn note_comparison(tokens: &[Token], index: usize, predicate: &mut Predicate) {
    let is_value = |t: Option<&Token>| {
        t.is_some_and(|t| matches!(t.kind, Kind::Number | Kind::String | Kind::RParen | Kind::Function | Kind::LParen))
    };
    let left = index.checked_sub(1).and_then(|i| tokens.get(i));
    // `IS NOT NULL`, `= !!'0'`: the operand after any `NOT`s.
    let right = tokens[index + 1..].iter().find(|t| t.kind != Kind::Not);
    let right_value = is_value(right) || right.is_some_and(|t| t.kind == Kind::Arith);
    if is_value(left) || right_value {
        predicate.compares_value = true;
    }
    if is_value(left) && right_value {
        predicate.compares_constants = true;
    }
}

fn finish_predicate(predicate: &mut Predicate, signals: &mut Signals, at_end: bool) {
    predicate.active = false;
    let strength = if predicate.compares_constants || predicate.functions > 0 || predicate.subqueries > 0 {
        2
    } else if predicate.compares_value {
        1
    } else {
        0
    };
    if strength > 0 {
        let best = signals.condition.map(|(s, _)| s).unwrap_or(0);
        if strength > best {
            signals.condition = Some((strength, predicate.at));
        }
    }
    // `' or 1--`, `' or 'x` (closed by the application's quote): a constant condition,
    // two tokens with the `OR`.
    if at_end && predicate.after_logic && predicate.tokens == 2 && predicate.literals == 1 {
        signals.literal_condition.get_or_insert(predicate.at);
    }
}

/// True when the statement keyword at `tokens[index]` (after `;`) starts a statement of a
/// shape seen in attacks rather than a word in a sentence: `DROP TABLE x`, `EXEC xp_...`,
/// `DECLARE @x`, `WAITFOR DELAY '...'`, `INSERT INTO`, `SHUTDOWN`.
fn statement_has_attack_shape(text: &str, tokens: &[Token], index: usize) -> bool {
    let keyword = text[tokens[index].start..tokens[index].end].to_ascii_lowercase();
    let next = tokens.get(index + 1);
    let next_text = next.map(|t| text[t.start..t.end].to_ascii_lowercase()).unwrap_or_default();
    let next_kind = next.map(|t| t.kind);
    let after_next = tokens.get(index + 2).map(|t| t.kind);
    match keyword.as_str() {
        // `DROP users --`: a name and nothing after it.
        "drop"
            if next_kind == Some(Kind::Word) && matches!(after_next, None | Some(Kind::Comment | Kind::Semicolon)) =>
        {
            true
        }
        "begin" => matches!(next_kind, Some(Kind::Statement | Kind::Select)),
        "load" => matches!(next_text.as_str(), "data" | "xml"),
        "drop" | "create" | "alter" | "truncate" => matches!(
            next_text.as_str(),
            "table"
                | "database"
                | "schema"
                | "view"
                | "index"
                | "procedure"
                | "function"
                | "user"
                | "trigger"
                | "login"
        ),
        "insert" => next_text == "into",
        "delete" => {
            next_text == "from"
                || tokens.get(index + 2).is_some_and(|t| text[t.start..t.end].eq_ignore_ascii_case("from"))
        }
        "update" => tokens.get(index + 2).is_some_and(|t| text[t.start..t.end].eq_ignore_ascii_case("set")),
        "exec" | "execute" => {
            matches!(next_kind, Some(Kind::Variable | Kind::LParen | Kind::String | Kind::Function))
                || next_text.starts_with("xp_")
                || next_text.starts_with("sp_")
                || next_text.starts_with("master")
        }
        "declare" | "set" => next_kind == Some(Kind::Variable),
        "shutdown" => matches!(next_kind, None | Some(Kind::Comment | Kind::Semicolon)) || next_text == "with",
        "call" => next_kind == Some(Kind::Function),
        _ => keyword.starts_with("waitfor") && next_kind == Some(Kind::String),
    }
}

#[cfg(test)]
mod tests;
