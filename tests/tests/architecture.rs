//! The layering, checked: each crate depends only on the layers above it, the pure layers
//! link no SDK and no async runtime, no crate has a module import cycle, and no source file
//! holds more than 500 lines of non-test code nor a function over 80 lines (docs/ARCHITECTURE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use forewarn_e2e::root;

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().trim_end_matches(".workspace").to_owned());
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// A file's code before its `#[cfg(test)]` module.
fn non_test_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[test]
fn each_layer_depends_only_on_the_layers_above_it() {
    let forbidden: [(&str, &[&str]); 3] = [
        (
            "shared/core",
            &[
                "forewarn-flows",
                "forewarn-aws",
                "forewarn-cli",
                "tokio",
                "lambda_runtime",
            ],
        ),
        (
            "shared/flows",
            &["forewarn-aws", "forewarn-cli", "tokio", "lambda_runtime"],
        ),
        ("shared/aws", &["forewarn-cli"]),
    ];
    for (krate, banned) in forbidden {
        let deps = dependencies(&root().join(krate).join("Cargo.toml"));
        for d in &deps {
            assert!(!banned.contains(&d.as_str()), "{krate} must not depend on {d}");
            if krate != "shared/aws" {
                assert!(
                    !d.starts_with("aws-") && !d.starts_with("aws_"),
                    "{krate} must not depend on the SDK ({d})"
                );
            }
        }
    }
    let cli = dependencies(&root().join("cli/Cargo.toml"));
    let manifest = std::fs::read_to_string(root().join("cli/Cargo.toml")).unwrap();
    for d in cli
        .iter()
        .filter(|d| d.starts_with("aws") || *d == "forewarn-aws" || *d == "tokio")
    {
        let optional = manifest
            .lines()
            .any(|l| l.trim_start().starts_with(&format!("{d} ")) && l.contains("optional = true"));
        assert!(
            optional,
            "the CLI links {d} only with its `aws` feature, so `simulate` builds without the SDK"
        );
    }
}

#[test]
fn no_crate_has_a_module_import_cycle() {
    for krate in ["shared/core", "shared/flows", "shared/aws", "cli"] {
        let src = root().join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
            let module = rel.split(['/', '.']).next().unwrap().to_owned();
            let code = non_test_code(f);
            let uses = graph.entry(module.clone()).or_default();
            for part in code.split("crate::").skip(1) {
                let target: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !target.is_empty() && target != module {
                    uses.insert(target);
                }
            }
            // `use crate::{a, b::c}`
            for part in code.split("use crate::{").skip(1) {
                let list = part.split('}').next().unwrap_or("");
                for item in list.split(',') {
                    let target: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !target.is_empty() && target != module {
                        uses.insert(target);
                    }
                }
            }
        }
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{krate}: module import cycle {}", cycle.join(" → "));
        }
    }
}

/// A cycle in the graph, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn a_cycle_between_two_modules_is_found() {
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let acyclic = BTreeMap::from([("a".to_owned(), BTreeSet::from(["b".to_owned()]))]);
    assert_eq!(find_cycle(&acyclic), None);
}

/// Every source file of the product's crates and of the benchmarks.
fn product_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "shared/core/src",
        "shared/flows/src",
        "shared/aws/src",
        "cli/src",
        "functions",
        "bench/src",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    files
}

/// Each `fn` in rustfmt-formatted code, by name, with its length in lines: from its
/// signature to the closing brace at the signature's indentation.
fn function_lengths(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let indent = &line[..line.len() - line.trim_start().len()];
        let name = line.trim_start().split("fn ").nth(1).filter(|_| {
            let head = line.trim_start().split("fn ").next().unwrap_or("");
            head.split_whitespace()
                .all(|w| ["pub", "pub(crate)", "pub(super)", "async", "const", "unsafe"].contains(&w))
        });
        let Some(name) = name.map(|n| n.split(['(', '<']).next().unwrap_or(n).to_owned()) else {
            i += 1;
            continue;
        };
        let body = (i..lines.len()).find(|&j| lines[j].trim_end().ends_with('{') || lines[j].trim_end().ends_with(';'));
        let close = body
            .filter(|&j| lines[j].trim_end().ends_with('{'))
            .and_then(|j| (j + 1..lines.len()).find(|&k| lines[k].trim_end() == format!("{indent}}}")));
        match close {
            Some(k) => {
                out.push((name, k - i + 1));
                i = k + 1;
            }
            None => i += 1,
        }
    }
    out
}

#[test]
fn function_lengths_run_from_the_signature_to_the_closing_brace() {
    let code = "fn a() {\n    let x = 1;\n}\n\npub async fn b<T>(\n    t: T,\n) -> u8 {\n    if t {\n    }\n    0\n}\n";
    assert_eq!(function_lengths(code), [("a".to_owned(), 3), ("b".to_owned(), 7)]);
}

#[test]
fn no_function_of_the_product_runs_over_80_lines() {
    let too_long: Vec<String> = product_sources()
        .iter()
        .flat_map(|f| {
            let shown = f.strip_prefix(root()).unwrap_or(f).display().to_string();
            function_lengths(&non_test_code(f))
                .into_iter()
                .filter(|(_, n)| *n > 80)
                .map(move |(name, n)| format!("{shown}: {name} ({n} lines)"))
        })
        .collect();
    assert!(too_long.is_empty(), "split these: {too_long:?}");
}

#[test]
fn no_source_file_holds_more_than_500_lines_of_non_test_code() {
    let files = product_sources();
    let too_long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = non_test_code(f).lines().filter(|l| !l.trim().is_empty()).count();
            (n > 500).then(|| format!("{} ({n} lines)", f.strip_prefix(root()).unwrap_or(f).display()))
        })
        .collect();
    assert!(too_long.is_empty(), "split these: {too_long:?}");
}
