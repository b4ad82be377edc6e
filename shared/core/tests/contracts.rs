//! The published contracts: schemas match the types, and every sample obeys them.

use std::fs;
use std::path::{Path, PathBuf};

use forewarn_core::events::{DetailType, parse_event};
use forewarn_core::schemas;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn samples() -> Vec<(PathBuf, serde_json::Value)> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .flat_map(|p| {
            let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            // A file may hold one event or an array of them.
            match v {
                serde_json::Value::Array(items) => items.into_iter().map(|v| (p.clone(), v)).collect(),
                v => vec![(p, v)],
            }
        })
        .collect()
}

fn validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("a valid JSON Schema")
}

#[test]
fn checked_in_schemas_match_the_rust_types() {
    let dir = root().join("events/schemas");
    let bless = std::env::var_os("FOREWARN_BLESS").is_some();
    let mut drifted = Vec::new();
    for (name, schema) in schemas::all() {
        let path = dir.join(format!("{name}.json"));
        let want = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if bless {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &want).unwrap();
        } else if fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            drifted.push(path.display().to_string());
        }
    }
    assert!(
        drifted.is_empty(),
        "schemas drifted from the types: {drifted:?}; regenerate with FOREWARN_BLESS=1 cargo test -p forewarn-core --test contracts"
    );
}

#[test]
fn every_sample_event_parses_and_validates_against_its_schema() {
    let samples = samples();
    assert!(samples.len() >= 8, "the samples are missing");
    let mut seen = std::collections::BTreeSet::new();
    for (path, value) in samples {
        let event = parse_event(&value.to_string()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        seen.insert(event.detail_type());
        let schema = schemas::for_detail_type(event.detail_type());
        let errors: Vec<String> = validator(&schema)
            .iter_errors(&value)
            .map(|e| format!("{} {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    assert_eq!(
        seen.len(),
        DetailType::all().len(),
        "a sample for every detail type: {seen:?}"
    );
}

#[test]
fn a_schema_rejects_what_the_parser_rejects() {
    let schema = schemas::for_detail_type(DetailType::LowBalance);
    let bad = serde_json::json!({"version": "0", "id": "e", "detail-type": "LowBalance", "source": "s", "account": "1",
        "time": "yesterday", "region": "eu-west-1", "resources": [],
        "detail": {"customer_id": "c", "account_id": "a", "balance": {"amount": 12.5, "currency": "EUR"}}});
    assert!(!validator(&schema).is_valid(&bad));
    assert!(parse_event(&bad.to_string()).is_err());
}

#[test]
fn the_sample_customers_validate_against_the_profile_schema() {
    let (_, schema) = schemas::all()
        .into_iter()
        .find(|(n, _)| n == "CustomerProfile")
        .unwrap();
    let v = validator(&schema);
    let customers: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root().join("infra/seed/customers.json")).unwrap()).unwrap();
    for c in customers.as_array().unwrap() {
        let errors: Vec<String> = v.iter_errors(c).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", c["customer_id"]);
    }
}
