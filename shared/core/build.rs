//! Builds the catalog (`catalog/kinds/*.toml` at the repository root) into the binary: every
//! function package and the CLI carry their kinds and templates, with no file to read at start.
//! Each file is also translated to JSON here, which reads several times faster than TOML at
//! cold start; a file that is not valid TOML fails the build, naming it.

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
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut toml_index = String::from(
        "/// The catalog's kind files, by file name, in name order.\npub const FILES: &[(&str, &str)] = &[\n",
    );
    let mut json_index =
        String::from("/// The same files as JSON, read at start.\npub const JSON: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo::rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file name").to_string_lossy().into_owned();
        let path = f.canonicalize().expect("a catalog file path");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let value: toml::Value = toml::from_str(&text).unwrap_or_else(|e| panic!("catalog/kinds/{name}: {e}"));
        let json_path = Path::new(&out_dir).join(format!("{name}.json"));
        std::fs::write(&json_path, serde_json::to_string(&value).expect("TOML values are JSON")).expect("write JSON");
        writeln!(toml_index, "    ({name:?}, include_str!({:?})),", path.display()).expect("write to a String");
        writeln!(json_index, "    ({name:?}, include_str!({:?})),", json_path.display()).expect("write to a String");
    }
    toml_index.push_str("];\n");
    json_index.push_str("];\n");
    let target = Path::new(&out_dir).join("catalog_files.rs");
    std::fs::write(target, toml_index + &json_index).expect("write the catalog index");
}
