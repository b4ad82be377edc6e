//! The API's OpenAPI 3.1 document, made from the route table and the bodies' schemars schemas (committed as docs/openapi.json, drift-tested).

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use crate::api::{Action, ROUTES};
use crate::api_bodies::{CustomerView, DeviceBody, DeviceView, ErasureBody, ErrorBody, Preferences, ProfilePatch};
use forewarn_core::events::ProfileFields;

/// A `$ref` to `T`'s schema under `components/schemas`.
fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

fn content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn error(g: &mut SchemaGenerator, description: &str) -> Value {
    json!({"description": description, "content": content(schema::<ErrorBody>(g))})
}

/// A request body's schema and whether it is required.
type RequestBody = Option<(Value, bool)>;
/// The success answer: status, description, the body's schema.
type Success = (u16, &'static str, Option<Value>);

/// The request body and the success answer of an action.
fn bodies(g: &mut SchemaGenerator, action: Action) -> (RequestBody, Success) {
    match action {
        Action::GetCustomer => (None, (200, "The customer as stored", Some(schema::<CustomerView>(g)))),
        Action::PutCustomer => (
            Some((schema::<ProfileFields>(g), true)),
            (
                200,
                "The customer as stored after the change",
                Some(schema::<CustomerView>(g)),
            ),
        ),
        Action::PatchCustomer => (
            Some((schema::<ProfilePatch>(g), true)),
            (
                200,
                "The customer as stored after the change",
                Some(schema::<CustomerView>(g)),
            ),
        ),
        Action::EraseCustomer => (Some((schema::<ErasureBody>(g), false)), (204, "Erased", None)),
        Action::PutDevice => (
            Some((schema::<DeviceBody>(g), true)),
            (200, "The device as registered", Some(schema::<DeviceView>(g))),
        ),
        Action::DeleteDevice => (None, (204, "Removed", None)),
        Action::GetPreferences => (
            None,
            (200, "The customer's preferences", Some(schema::<Preferences>(g))),
        ),
        Action::PutPreferences => (
            Some((schema::<Preferences>(g), true)),
            (
                200,
                "The preferences as stored after the change",
                Some(schema::<Preferences>(g)),
            ),
        ),
    }
}

fn parameter(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": forewarn_core::types::MAX_ID_LEN}})
}

/// One operation of the document.
fn operation(g: &mut SchemaGenerator, action: Action, summary: &str, path: &str) -> Value {
    let (request, (status, description, answer)) = bodies(g, action);
    let writes = !matches!(action, Action::GetCustomer | Action::GetPreferences);
    let mut params = vec![parameter("customer_id", "The bank's customer id")];
    if path.contains("{device_id}") {
        params.push(parameter("device_id", "The app's id for the device"));
    }
    if writes {
        params.push(json!({"name": "If-Match", "in": "header", "required": false,
            "description": "The ETag a read gave: the write happens only if the profile is still at that revision (412 otherwise). `*`: only if a profile is stored. Without it the newest change of each field wins.",
            "schema": {"type": "string"}}));
    }
    let etag =
        json!({"ETag": {"description": "The profile's revision, a strong entity tag", "schema": {"type": "string"}}});
    let mut ok = json!({"description": description, "headers": etag});
    if let Some(a) = answer {
        ok["content"] = content(a);
    }
    let mut responses = Map::new();
    responses.insert(status.to_string(), ok);
    if writes {
        responses.insert(
            "400".into(),
            error(
                g,
                "Malformed input: `field` names it as the context events do below their `detail`",
            ),
        );
        responses.insert(
            "409".into(),
            error(
                g,
                "A newer change (or the customer's erasure) holds what this one would set",
            ),
        );
        responses.insert(
            "412".into(),
            error(g, "If-Match no longer matches: read the customer again"),
        );
    } else {
        responses.insert("404".into(), error(g, "No such customer (unknown, or erased)"));
    }
    responses.insert(
        "503".into(),
        error(g, "A service was busy or unavailable: retry (Retry-After)"),
    );
    let mut op = json!({"summary": summary, "operationId": format!("{action:?}"), "parameters": params,
        "responses": responses, "security": [{"sigv4": []}]});
    if let Some((body, required)) = request {
        op["requestBody"] = json!({"required": required, "content": content(body)});
    }
    op
}

/// The whole document.
pub fn openapi() -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let mut paths = Map::new();
    for r in &ROUTES {
        let op = operation(&mut g, r.action, r.summary, r.path);
        let entry = paths.entry(r.path).or_insert_with(|| json!({}));
        entry[r.method.to_ascii_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "forewarn context API", "version": env!("CARGO_PKG_VERSION"),
            "description": "What the context events do, answered at once: customers, devices, preferences, erasure. Every write is stamped with the request's time; responses carry the profile's revision as ETag. Unknown paths answer 404, other methods 405 with Allow."},
        "paths": paths,
        "components": {
            "schemas": g.take_definitions(true),
            "securitySchemes": {"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header",
                "description": "AWS Signature Version 4 (the function URL's AuthType AWS_IAM): lambda:InvokeFunctionUrl on the function"}}
        }
    })
}
