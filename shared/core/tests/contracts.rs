//! The published contracts: schemas and the README's table of kinds are generated from the
//! catalog (and the Rust types), and every sample obeys them.

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

/// Writes `want` to `path` under FOREWARN_BLESS; otherwise, whether the file holds it.
fn same_or_bless(path: &Path, want: &str) -> bool {
    if std::env::var_os("FOREWARN_BLESS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, want).unwrap();
        return true;
    }
    fs::read_to_string(path).ok().as_deref() == Some(want)
}

#[test]
fn the_catalog_format_schema_is_generated_from_the_kind_file_type() {
    let want = serde_json::to_string_pretty(&schemas::kind_file_schema()).unwrap() + "\n";
    assert!(
        same_or_bless(&root().join("catalog/kind.schema.json"), &want),
        "catalog/kind.schema.json drifted; regenerate with FOREWARN_BLESS=1 cargo test -p forewarn-core --test contracts"
    );
}

#[test]
fn the_readme_table_of_kinds_is_generated_from_the_catalog() {
    let (begin, end) = (
        "<!-- kinds: generated from catalog/kinds by forewarn-core's contracts test -->\n",
        "<!-- kinds end -->",
    );
    let path = root().join("README.md");
    let readme = fs::read_to_string(&path).unwrap();
    let start = readme.find(begin).expect("the README marks its table of kinds") + begin.len();
    let stop = readme[start..].find(end).expect("the README ends its table of kinds") + start;
    let table = forewarn_core::catalog::docs::kinds_table(forewarn_core::catalog::catalog());
    let want = format!("{}{table}{}", &readme[..start], &readme[stop..]);
    assert!(
        same_or_bless(&path, &want),
        "the README's table of kinds drifted from the catalog; regenerate with FOREWARN_BLESS=1 cargo test -p forewarn-core --test contracts"
    );
}

#[test]
fn the_catalog_schema_of_every_kind_with_a_rust_type_is_that_types_schema() {
    use forewarn_core::events::{
        ApplicationCompleted, ApplicationIncomplete, BalanceRestored, FlightDelayed, LowBalance, SuspiciousTransaction,
        TransactionAnswer,
    };
    fn of<T: schemars::JsonSchema>() -> serde_json::Value {
        let mut v = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let o = v.as_object_mut().unwrap();
        o.remove("$schema");
        o.remove("title");
        v
    }
    let typed = [
        ("LowBalance", of::<LowBalance>()),
        ("FlightDelayed", of::<FlightDelayed>()),
        ("ApplicationIncomplete", of::<ApplicationIncomplete>()),
        ("SuspiciousTransaction", of::<SuspiciousTransaction>()),
        ("BalanceRestored", of::<BalanceRestored>()),
        ("ApplicationCompleted", of::<ApplicationCompleted>()),
        ("TransactionConfirmed", of::<TransactionAnswer>()),
        ("TransactionDisputed", of::<TransactionAnswer>()),
    ];
    for (name, want) in typed {
        let kind = forewarn_core::catalog::catalog().kind(name).unwrap();
        let mut got = kind.def.schema.clone();
        got.as_object_mut().unwrap().remove("examples");
        let (mut got_wo, mut want_wo) = (got.clone(), want.clone());
        got_wo.as_object_mut().unwrap().remove("description");
        want_wo.as_object_mut().unwrap().remove("description");
        assert_eq!(
            got_wo, want_wo,
            "{}: the catalog's schema and the Rust type's differ",
            kind.file
        );
    }
}

#[test]
fn checked_in_schemas_match_the_catalog_and_the_rust_types() {
    let dir = root().join("events/schemas");
    let mut drifted = Vec::new();
    for (name, schema) in schemas::all() {
        let path = dir.join(format!("{name}.json"));
        let want = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if !same_or_bless(&path, &want) {
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
