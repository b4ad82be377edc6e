//! What the CLI's end-to-end tests share: running the real binary, reading its JSON lines, scratch directories.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `forewarn` binary run with `args`.
pub fn forewarn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forewarn"))
        .args(args)
        .output()
        .expect("the forewarn binary runs")
}

/// The JSON lines a successful run prints.
pub fn json_lines(args: &[&str]) -> Vec<Value> {
    let out = forewarn(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

pub fn samples_dir() -> String {
    format!("{}/../events", env!("CARGO_MANIFEST_DIR"))
}

/// The decision lines by event id, in timeline order.
pub fn decisions(lines: &[Value]) -> HashMap<String, Vec<&Value>> {
    let mut by_id: HashMap<String, Vec<&Value>> = HashMap::new();
    for l in lines.iter().filter(|l| l["kind"] == "decision") {
        // An input that could not be read at all has no id.
        let Some(id) = l["event_id"].as_str() else { continue };
        by_id.entry(id.to_owned()).or_default().push(l);
    }
    by_id
}

/// A fresh directory under the system's temporary one, for files a test writes; unique to
/// this test binary and process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "forewarn-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `from`, files and folders, copied to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}
