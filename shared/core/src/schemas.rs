//! JSON Schemas of the event contracts (from the catalog's kind files), the outcome events and the customer profile (from the Rust types).

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Value, json};

use crate::catalog::{Kind, KindFile, catalog};
use crate::customer::CustomerProfile;
use crate::events::{
    CustomerActivity, CustomerChanged, CustomerErased, CustomerUpserted, DetailType, DeviceRegistered, DeviceRemoved,
    EnvelopeSchema,
};
use crate::outcomes::{DispatchRequest, OutcomeEvent, OutcomeType, SCHEDULED_TIME_FIELD};

fn envelope<D: JsonSchema>(detail_type: DetailType, description: &str) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<EnvelopeSchema<D>>().to_value();
    schema["title"] = json!(detail_type.as_str());
    schema["description"] = json!(description);
    schema["$id"] = json!(format!("https://forewarn.dev/schemas/{}.json", detail_type.as_str()));
    schema["properties"]["detail-type"] = json!({"const": detail_type.as_str()});
    schema["properties"]["version"] = json!({"const": "0"});
    schema
}

/// Every schema, by file name (`events/schemas/<name>.json`).
pub fn all() -> Vec<(String, Value)> {
    let mut out = input_schemas();
    out.extend(
        OutcomeType::ALL
            .iter()
            .map(|kind| (kind.as_str().to_owned(), outcome_schema(*kind))),
    );
    let mut dispatch = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<DispatchRequest>()
        .to_value();
    dispatch["$id"] = json!("https://forewarn.dev/schemas/DispatchRequest.json");
    dispatch["description"] = json!("What an EventBridge Scheduler schedule hands to the dispatch function.");
    dispatch["properties"][SCHEDULED_TIME_FIELD] = json!({
        "type": "string",
        "description": "When the firing was scheduled for: Scheduler's <aws.scheduler.scheduled-time>, an RFC 3339 time."
    });
    out.push(("DispatchRequest".into(), dispatch));
    let mut profile = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<CustomerProfile>()
        .to_value();
    profile["$id"] = json!("https://forewarn.dev/schemas/CustomerProfile.json");
    out.push(("CustomerProfile".into(), profile));
    out
}

/// The envelopes of the events producers put on the bus, named by detail type: every kind of
/// the catalog, with the detail schema its kind file declares, and `CustomerActivity`.
fn input_schemas() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = catalog()
        .kinds()
        .iter()
        .map(|k| (k.name().to_owned(), catalog_envelope(k)))
        .collect();
    out.push((
        DetailType::CustomerActivity.as_str().to_owned(),
        envelope::<CustomerActivity>(
            DetailType::CustomerActivity,
            "An app or web session seen on one of the customer's devices; forewarn learns the device's usual hours.",
        ),
    ));
    out.extend(context_schemas());
    out
}

/// The envelopes of the context events, which the `context` function applies.
fn context_schemas() -> Vec<(String, Value)> {
    let named = |t: DetailType, schema: Value| (t.as_str().to_owned(), schema);
    vec![
        named(
            DetailType::CustomerUpserted,
            envelope::<CustomerUpserted>(
                DetailType::CustomerUpserted,
                "The whole profile as the bank holds it now (devices apart); fields left out are cleared. The newest change of each field wins.",
            ),
        ),
        named(
            DetailType::CustomerChanged,
            envelope::<CustomerChanged>(
                DetailType::CustomerChanged,
                "Some fields of the profile set or cleared. The newest change of each field wins.",
            ),
        ),
        named(
            DetailType::CustomerErased,
            envelope::<CustomerErased>(
                DetailType::CustomerErased,
                "Forget the customer: profile, contacts, devices, pending messages and their schedules. A marker without personal data stays.",
            ),
        ),
        named(
            DetailType::DeviceRegistered,
            envelope::<DeviceRegistered>(
                DetailType::DeviceRegistered,
                "A push token for the customer's app on a device; forewarn makes and keeps its SNS platform endpoint.",
            ),
        ),
        named(
            DetailType::DeviceRemoved,
            envelope::<DeviceRemoved>(
                DetailType::DeviceRemoved,
                "The customer's app left a device: push to it stops and its endpoint is deleted.",
            ),
        ),
    ]
}

/// The envelope of a catalog kind: its detail is the kind's own schema, whose `$defs`
/// references are rewritten to where the detail now sits.
fn catalog_envelope(k: &Kind) -> Value {
    let t = DetailType::parse(k.name()).expect("a catalog kind is a detail type");
    let mut schema = envelope::<serde_json::Map<String, Value>>(t, &k.def.description);
    let detail = serde_json::to_string(&k.def.schema)
        .expect("a schema serializes")
        .replace("\"#/$defs/", "\"#/properties/detail/$defs/");
    schema["properties"]["detail"] = serde_json::from_str(&detail).expect("a rewritten schema reads back");
    schema
}

/// The JSON Schema of a kind file (`catalog/kind.schema.json`), documenting the catalog format.
pub fn kind_file_schema() -> Value {
    let mut schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<KindFile>()
        .to_value();
    schema["$id"] = json!("https://forewarn.dev/schemas/catalog-kind.json");
    schema["title"] = json!("forewarn catalog kind");
    schema["description"] = json!(
        "One file of catalog/kinds/: a notification kind (role = \"notify\") or an event that resolves notices (role = \"resolve\"). Written in TOML; this schema describes the document it parses to."
    );
    schema
}

/// The envelope of one outcome event forewarn puts on the bus.
fn outcome_schema(kind: OutcomeType) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator
        .into_root_schema_for::<EnvelopeSchema<OutcomeEvent>>()
        .to_value();
    schema["title"] = json!(kind.as_str());
    schema["description"] = json!(
        "An outcome forewarn puts on the bus (source `forewarn`): ids, channel, times and reasons; never an address or a message body."
    );
    schema["$id"] = json!(format!("https://forewarn.dev/schemas/{}.json", kind.as_str()));
    schema["properties"]["detail-type"] = json!({"const": kind.as_str()});
    schema["properties"]["source"] = json!({"const": "forewarn"});
    schema["properties"]["version"] = json!({"const": "0"});
    schema
}

/// The schema for a detail type's envelope.
pub fn for_detail_type(t: DetailType) -> Value {
    all()
        .into_iter()
        .find(|(n, _)| n == t.as_str())
        .map(|(_, s)| s)
        .expect("every detail type has a schema")
}
