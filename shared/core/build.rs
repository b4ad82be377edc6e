//! Builds the catalog (`catalog/kinds/*.toml` at the repository root) into the binary: every
//! function package and the CLI carry their kinds and templates, with no file to read at start.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/kinds");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the catalog {}: {e}", dir.display()))
        .map(|e| e.expect("a catalog entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// The catalog's kind files, by file name, in name order.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo::rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file name").to_string_lossy();
        let path = f.canonicalize().expect("a catalog file path");
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.display()).expect("write to a String");
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalog_files.rs");
    std::fs::write(target, out).expect("write the catalog index");
}
