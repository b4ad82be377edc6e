//! The API's OpenAPI document is generated from the route table and the bodies' schemas; docs/openapi.json must be what the code makes.

use std::path::Path;

#[test]
fn the_committed_openapi_document_is_the_one_the_code_makes() {
    let want = serde_json::to_string_pretty(&forewarn_aws::api_openapi::openapi()).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("FOREWARN_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).ok().as_deref() == Some(want.as_str()),
        "docs/openapi.json drifted; regenerate with FOREWARN_BLESS=1 cargo test -p forewarn-aws --test openapi"
    );
}

#[test]
fn the_openapi_document_has_every_route_and_resolves_every_schema_it_names() {
    let doc = forewarn_aws::api_openapi::openapi();
    for r in &forewarn_aws::api::ROUTES {
        let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
        assert!(op.is_object(), "{} {} is missing", r.method, r.path);
    }
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference.split('"').next().unwrap();
        let name = name
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{name}"));
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is not defined");
    }
    assert_eq!(doc["openapi"], "3.1.0");
}
