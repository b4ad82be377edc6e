//! Input errors that name the JSON path at fault, and the typed parse that produces them.

use serde::de::DeserializeOwned;

/// A rejected event: where in the JSON and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct EventError {
    pub path: String,
    pub reason: String,
}

impl EventError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        EventError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Deserializes `value` into `T`, reporting the failing path below `prefix`.
pub fn typed<T: DeserializeOwned>(prefix: &str, value: serde_json::Value) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") => "$".to_owned(),
            (true, _) => inner,
            (false, ".") => prefix.to_owned(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        EventError::new(path, tidy_serde_message(&e.into_inner().to_string()))
    })
}

/// Turns serde's wording into a short reason (`missing field` → `required field is missing`).
fn tidy_serde_message(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(field) = msg.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        return format!("required field `{field}` is missing");
    }
    msg.to_owned()
}
