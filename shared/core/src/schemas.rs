//! JSON Schemas of the event contracts and the customer profile, generated from the Rust types.

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Value, json};

use crate::customer::CustomerProfile;
use crate::events::{
    ApplicationCompleted, ApplicationIncomplete, BalanceRestored, CustomerActivity, DetailType, EnvelopeSchema,
    FlightDelayed, LowBalance, SuspiciousTransaction, TransactionAnswer,
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

/// The envelopes of the events producers put on the bus, named by detail type.
fn input_schemas() -> Vec<(String, Value)> {
    fn named<T: JsonSchema>(t: DetailType, description: &str) -> (String, Value) {
        (t.as_str().to_owned(), envelope::<T>(t, description))
    }
    use DetailType as D;
    vec![
        named::<LowBalance>(
            D::LowBalance,
            "An account's balance fell below the customer's threshold.",
        ),
        named::<FlightDelayed>(D::FlightDelayed, "A booked flight will leave later than scheduled."),
        named::<ApplicationIncomplete>(
            D::ApplicationIncomplete,
            "An application for a product waits for the customer.",
        ),
        named::<SuspiciousTransaction>(D::SuspiciousTransaction, "A payment that may not be the customer's."),
        named::<BalanceRestored>(D::BalanceRestored, "The account is no longer low."),
        named::<ApplicationCompleted>(D::ApplicationCompleted, "The customer finished the application."),
        named::<TransactionAnswer>(
            D::TransactionConfirmed,
            "The customer confirmed a suspicious transaction was theirs.",
        ),
        named::<TransactionAnswer>(
            D::TransactionDisputed,
            "The customer said a suspicious transaction was not theirs.",
        ),
        named::<CustomerActivity>(
            D::CustomerActivity,
            "An app or web session seen on one of the customer's devices; forewarn learns the device's usual hours.",
        ),
    ]
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
