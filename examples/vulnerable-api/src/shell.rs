//! A pretend shell for the command injection flaw. It splits input at `;`, `&&`, `||`,
//! `|` and line breaks, expands `$(...)` and backticks, and "runs" a handful of commands
//! by printing what they would print. Nothing is ever executed.

/// Runs a command line in the pretend shell and returns its output.
pub fn run(line: &str) -> String {
    let mut out = String::new();
    for command in split(line) {
        let expanded = expand(&command);
        out.push_str(&execute(expanded.trim()));
    }
    out
}

fn split(line: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' | '\n' => commands.push(std::mem::take(&mut current)),
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                commands.push(std::mem::take(&mut current));
            }
            '|' => {
                if chars.peek() == Some(&'|') {
                    chars.next();
                }
                commands.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    commands.push(current);
    commands.into_iter().filter(|c| !c.trim().is_empty()).collect()
}

/// Replaces `$(cmd)` and `` `cmd` `` with the pretend output of `cmd`.
fn expand(command: &str) -> String {
    let mut out = command.to_string();
    while let Some(start) = out.find("$(") {
        let Some(end) = out[start..].find(')') else { break };
        let inner = out[start + 2..start + end].to_string();
        out.replace_range(start..start + end + 1, execute(inner.trim()).trim());
    }
    while let Some(start) = out.find('`') {
        let Some(end) = out[start + 1..].find('`') else { break };
        let inner = out[start + 1..start + 1 + end].to_string();
        out.replace_range(start..start + end + 2, execute(inner.trim()).trim());
    }
    out
}

fn execute(command: &str) -> String {
    let mut words = command.split_whitespace();
    let Some(program) = words.next() else { return String::new() };
    let args: Vec<&str> = words.collect();
    match program {
        "ping" => {
            let host = args.iter().find(|a| !a.starts_with('-')).copied().unwrap_or("localhost");
            format!("PING {host}: 1 packets transmitted, 1 received, 0% packet loss\n")
        }
        "id" => String::from("uid=1000(app) gid=1000(app) groups=1000(app)\n"),
        "whoami" => String::from("app\n"),
        "echo" => format!("{}\n", args.join(" ")),
        other => format!("sh: 1: {other}: not found\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretend_shell_cases() {
        let cases = [
            ("ping 127.0.0.1", "PING 127.0.0.1: 1 packets transmitted, 1 received, 0% packet loss\n"),
            (
                "ping 127.0.0.1; id",
                "PING 127.0.0.1: 1 packets transmitted, 1 received, 0% packet loss\nuid=1000(app) gid=1000(app) groups=1000(app)\n",
            ),
            ("ping x && whoami", "PING x: 1 packets transmitted, 1 received, 0% packet loss\napp\n"),
            ("ping $(id)", "PING uid=1000(app): 1 packets transmitted, 1 received, 0% packet loss\n"),
            ("ping `whoami`", "PING app: 1 packets transmitted, 1 received, 0% packet loss\n"),
            ("ping x | rm -rf /", "PING x: 1 packets transmitted, 1 received, 0% packet loss\nsh: 1: rm: not found\n"),
        ];
        for (line, expected) in cases {
            assert_eq!(run(line), expected, "{line}");
        }
    }
}
