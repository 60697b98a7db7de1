//! Diagnostics of bad test files against golden files: each `tests/diagnostics/NAME.yaml`
//! has the expected output in `NAME.txt`. Run with `UPDATE_GOLDEN=1` to rewrite them
//! after a deliberate change, and review the diff.

use std::path::Path;

use palisade_testing::{ParseError, parse_file};

#[test]
fn diagnostics_match_golden_files() {
    let dir = Path::new("tests/diagnostics");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected the bad test files in {}", dir.display());

    let mut mismatches = Vec::new();
    for file in files {
        let rendered = match parse_file(&file) {
            Ok(_) => panic!("{} parsed, but it is a bad test file", file.display()),
            Err(ParseError::Invalid(diagnostics)) => diagnostics.iter().map(|d| d.render()).collect::<String>(),
            Err(other) => format!("{other}\n"),
        };
        let golden = file.with_extension("txt");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &rendered).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if rendered != expected {
            mismatches.push(format!("{}:\n--- expected\n{expected}--- actual\n{rendered}", file.display()));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
