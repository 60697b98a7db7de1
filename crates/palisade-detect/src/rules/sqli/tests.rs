use super::*;

fn rule_of(text: &str) -> Option<&'static str> {
    detect(text).map(|m| m.rule_id)
}

#[test]
fn sqli_attacks() {
    let cases = [
        ("1 OR 1=1", "sqli.tautology"),
        ("1' OR '1'='1", "sqli.tautology"),
        ("' or ''='", "sqli.tautology"),
        ("\" or \"\"=\"", "sqli.tautology"),
        ("-1839' or '1'='1", "sqli.tautology"),
        ("admin'--", "sqli.comment_truncation"),
        ("admin')#", "sqli.comment_truncation"),
        ("admin'/*", "sqli.comment_truncation"),
        ("' or 1=1--", "sqli.tautology"),
        ("1' and sleep(5)#", "sqli.function"),
        ("1 union select 1,2,3", "sqli.union"),
        ("-1 UNION ALL SELECT NULL,NULL--", "sqli.union"),
        ("1/**/union/**/select/**/password/**/from/**/users", "sqli.union"),
        ("1 /*!50000union*/ select 1", "sqli.union"),
        ("x'; DROP TABLE users--", "sqli.stacked"),
        ("1; exec master..xp_cmdshell 'ping 127.0.0.1'", "sqli.stacked"),
        ("1'; WAITFOR DELAY '0:0:5'--", "sqli.stacked"),
        ("1 order by 5--", "sqli.clause"),
        ("1' ORDER BY 3-- -", "sqli.clause"),
        ("1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64", "sqli.tautology"),
        ("1')) or 8156=(select count(*) from generate_series(1,5000000))--", "sqli.function"),
        ("1) where 5598=5598 and 3707=(select count(*) from sysibm.systables as t1)--", "sqli.function"),
        ("1'XOR(if(now()=sysdate(),sleep(15),0))XOR'Z", "sqli.function"),
        ("SELECT * FROM users WHERE id = 1", "sqli.statement"),
        ("select @@version", "sqli.function"),
        ("1' and extractvalue(1,concat(0x7e,version()))--", "sqli.function"),
        ("1%' and 1=1 and '%'='", "sqli.tautology"),
        ("') or ('a'='a", "sqli.tautology"),
        ("1 rlike (select * from (select(sleep(5)))a)", "sqli.function"),
        ("x' AND 1=(SELECT COUNT(*) FROM tabname); --", "sqli.tautology"),
        ("1;select pg_sleep(5)", "sqli.stacked"),
        ("'='", "sqli.tautology"),
        ("1' in boolean mode) and 9198=9198--", "sqli.tautology"),
        ("1')) waitfor delay '0:0:5'--", "sqli.stacked"),
        ("1',(select (case when (8382=8382) then 1 else 1/(select 0) end))", "sqli.tautology"),
        ("1%';if(7899=7899) select 7899 else drop function zbbp--", "sqli.stacked"),
        ("1\";begin user_lock.sleep(5); end--", "sqli.function"),
        ("24'union+all+select+1,2,3+from+aa", "sqli.union"),
        ("1'+pi() and (3=pi())--", "sqli.tautology"),
        ("1 or 1=(SELECT TOP 1 cast(a as nvarchar) ':' cast(b as nvarchar) from t)--", "sqli.tautology"),
    ];
    for (input, rule) in cases {
        assert_eq!(rule_of(input), Some(rule), "input {input:?}, fingerprint {}", fingerprint(input, None));
    }
}

#[test]
fn sqli_near_misses() {
    let benign = [
        "O'Brien",
        "select a plan",
        "1-2 business days",
        "2 OR 4 METAL BUTTONS",
        "13 IS A LUCKY NUMBER",
        "D AND D DICE",
        "7 FOR ALL MANKIND",
        "FROM TO TAG CHRISTMAS",
        "WHERE IS GEORGE",
        "I'M AFRAID SO. YOU'RE ENTIRELY BONKERS",
        "DRESS WITH HAT 18';",
        "1 AND 1/2\" BUTTON",
        "Rock 'n' roll",
        "cats and dogs",
        "union was a great select",
        "D'or 1st parfume",
        "1) a-b=c",
        "john+or@var.es",
        "DEAR FINN,--I think it would do; copy should reach us second post",
        "price > 5 and size < 10",
        "It's a \"test\" and more",
        "Joe's #1 fan",
        "order of the phoenix",
        "3 or 4",
        "tufts3@joll.rs",
        "c/ huertas altas, 114",
        "{\"a\":\"b\"}",
        "the students' and teachers' union select committee",
        "SMALL \"&\" SIGN",
        "\"WHERE'S GEORGE\"",
        "\"INTO THE WILD\"",
        "7\" #2 CIRCULAR NEEDLE",
        "FOO BAR'# BLAH",
        "'-\"8",
        "select 'and'",
        "'countdown calendar\" and \"disney:",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "",
    ];
    for input in benign {
        assert_eq!(detect(input), None, "input {input:?}, fingerprint {}", fingerprint(input, None));
    }
}

#[test]
fn fingerprint_shows_token_kinds() {
    assert_eq!(fingerprint("1 or 1=1--", None), "n&n=nc");
    assert_eq!(fingerprint("x' union select 1", Some(b'\'')), "sUSn");
}

#[test]
fn hostile_input_is_bounded() {
    let long = "(".repeat(100_000);
    assert_eq!(detect(&long), None);
    let quotes = "'".repeat(100_001);
    let _ = detect(&quotes);
    let comments = "/*".repeat(50_000);
    let _ = detect(&comments);
}

/// Shapes recognised beyond the valid-prefix walk, each with inputs that must trigger it.
#[test]
fn sqli_extended_shapes() {
    let cases = [
        // An expression in parentheses or with operators, cut off by a comment.
        (" ( 1 OR 1 )  --", "sqli.comment_truncation"),
        (" ( (SELECT BINARY COS ( 'b')) )  --", "sqli.comment_truncation"),
        ("1 OR (1 OR 1)--", "sqli.comment_truncation"),
        ("@version /*", "sqli.comment_truncation"),
        ("1 --", "sqli.comment_truncation"),
        // `BINARY` as a unary operator.
        (" ( BINARY BINARY ( 1) )  --", "sqli.comment_truncation"),
        // Column count probes as the whole value.
        (" ORDER BY 3-- ", "sqli.clause"),
        (" GROUP BY 1 ", "sqli.clause"),
        // A dangling `UNION`.
        ("-1 union", "sqli.union"),
        ("1/1/**/union#--", "sqli.union"),
        ("-6374 union 1,2,3,4,5-- ", "sqli.union"),
        // Locking suffixes before `UNION SELECT`.
        ("1 for update union select 1", "sqli.union"),
        ("-1 LOCK IN SHARE MODE UNION SELECT table_name from information_schema.tables", "sqli.union"),
        // MySQL's `\N` for NULL.
        ("1001-\\N union select 1,2,3,4 from credit_cards", "sqli.union"),
        // A whole CASE expression.
        ("case 1 when 2 then 2 end", "sqli.statement"),
        // Literal continued by operators and closed by the application's quote.
        ("A '=' B", "sqli.tautology"),
        ("aa'^0+0 = '0", "sqli.tautology"),
        ("abc' = !!'0", "sqli.tautology"),
        ("aa'in (0)#(", "sqli.tautology"),
        ("aa' LIKE 0 -- -a", "sqli.tautology"),
        // Negated comparisons of constants.
        ("1 AND 1 NOT LIKE 0", "sqli.tautology"),
        ("1 || user_id is not null", "sqli.tautology"),
        // Attack-only functions anywhere.
        ("' if(benchmark(3000000,MD5(1)),NULL,NULL)) --", "sqli.function"),
        ("\" if(benchmark(3000000,MD5(1)),NULL,NULL),NULL) #", "sqli.function"),
        // Nested calls in an arithmetic value.
        ("456 + ASCII(substring(passwd,1,1))-10", "sqli.function"),
        // Statements after `;` anywhere, and dynamic SQL.
        ("'goto label; label: declare @s varchar(8000);set @s = cast(0x65 as varchar(max));exec(@s)--", "sqli.stacked"),
        ("0x77616974666F72 exec(@s)", "sqli.stacked"),
        ("'; if not(select system_user) <> 'sa' waitfor delay '0:0:2' --", "sqli.stacked"),
        ("1; BEGIN DECLARE @xy varchar(8000)", "sqli.stacked"),
        ("10;DROP members --", "sqli.stacked"),
        ("1;load data infile \"foo\"", "sqli.stacked"),
        // A value that starts after a comma or `AS`.
        (",NULL,NULL) waitfor delay '0:0:20' --", "sqli.stacked"),
        (" AS INJECTX WHERE 1=1 AND 1=1--", "sqli.tautology"),
        // A query right after the closed literal.
        ("' select * from information_schema.tables--", "sqli.function"),
        ("' select name from syscolumns where id = 1--", "sqli.function"),
        ("'); --", "sqli.comment_truncation"),
        // A `name=value` pair as one value.
        ("pay=AND 2771=1709)", "sqli.tautology"),
    ];
    for (input, rule) in cases {
        assert_eq!(rule_of(input), Some(rule), "input {input:?}, fingerprint {}", fingerprint(input, None));
    }
}

/// Near misses of the shapes in `sqli_extended_shapes`.
#[test]
fn sqli_extended_near_misses() {
    let benign = [
        // Part numbers, lists and dates that end in dashes.
        "1,1--",
        "1611-IioXXIG1ti8rspL2vbXFy--",
        "2010-01-01--",
        // Words in quotes, and quoted symbols.
        "SMALL \"&\" SIGN",
        "\"LIKE\" STAMP",
        "\"*\"",
        "'-\"8",
        "MISTERGLAS.DK'*'''''''''''",
        "/SEARCH?SEARCH_SUBMIT=&Q=36\"+X+48+\"+FRAME&VIEW_TYPE=GALLERY",
        // Ordinary words that are also keywords.
        "case closed",
        "credit union",
        "order by date",
        "for update only",
        "lock in share",
        "binary search tree",
        "not bad at all",
        "while you wait",
        // Function names in prose, without a call shape.
        "sleep well",
        "how to sleep()",
        "a benchmark (draft)",
        // A pair whose value is ordinary.
        "q=shoes and socks",
        "a=b",
        "x=",
        "Hello; if you can, come",
        "Cook it; set the table",
    ];
    for input in benign {
        assert_eq!(detect(input), None, "input {input:?}, fingerprint {}", fingerprint(input, None));
    }
}

#[test]
fn catalog_prefixes_ignore_case() {
    for prefix in CATALOG_PREFIXES {
        assert!(is_catalog_name(prefix), "{prefix}");
        assert!(is_catalog_name(&prefix.to_ascii_uppercase()), "{prefix}");
    }
    assert!(is_catalog_name("Information_Schema.tables"));
    assert!(!is_catalog_name("information"));
    assert!(!is_catalog_name("users"));
    assert!(!is_catalog_name(""));
}

#[test]
fn trims_quoting_from_names() {
    assert_eq!(trim_quoting(b"`sleep`"), b"sleep");
    assert_eq!(trim_quoting(b"[dbo].[x]"), b"dbo].[x");
    assert_eq!(trim_quoting(b"``"), b"");
    assert_eq!(trim_quoting(b"sleep"), b"sleep");
    assert!(is_attack_function("`SLEEP`"));
    assert!(is_attack_function("sys.user_lock.sleep"));
    assert!(!is_attack_function("sleeper"));
}
