//! The `detail-type` of an event: the seed kinds by name, any other from the catalog.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Kind, catalog};
use crate::types::truncate;

/// An event's EventBridge `detail-type`: one of the catalog's kinds (`catalog/kinds/`), or
/// `CustomerActivity`. The seed kinds are named constants; any other is read from the catalog.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DetailType(&'static str);

#[allow(non_upper_case_globals)]
impl DetailType {
    pub const LowBalance: DetailType = DetailType("LowBalance");
    pub const FlightDelayed: DetailType = DetailType("FlightDelayed");
    pub const ApplicationIncomplete: DetailType = DetailType("ApplicationIncomplete");
    pub const SuspiciousTransaction: DetailType = DetailType("SuspiciousTransaction");
    pub const BalanceRestored: DetailType = DetailType("BalanceRestored");
    pub const ApplicationCompleted: DetailType = DetailType("ApplicationCompleted");
    pub const TransactionConfirmed: DetailType = DetailType("TransactionConfirmed");
    pub const TransactionDisputed: DetailType = DetailType("TransactionDisputed");
    pub const CustomerActivity: DetailType = DetailType("CustomerActivity");
    pub const CustomerUpserted: DetailType = DetailType("CustomerUpserted");
    pub const CustomerChanged: DetailType = DetailType("CustomerChanged");
    pub const CustomerErased: DetailType = DetailType("CustomerErased");
    pub const DeviceRegistered: DetailType = DetailType("DeviceRegistered");
    pub const DeviceRemoved: DetailType = DetailType("DeviceRemoved");

    /// The context events (`events::ContextChange`), which the `context` flow applies.
    pub const CONTEXT: [DetailType; 5] = [
        DetailType::CustomerUpserted,
        DetailType::CustomerChanged,
        DetailType::CustomerErased,
        DetailType::DeviceRegistered,
        DetailType::DeviceRemoved,
    ];

    /// The kinds with typed details in Rust, `CustomerActivity` and the context events.
    const BUILT_IN: [DetailType; 14] = [
        DetailType::LowBalance,
        DetailType::FlightDelayed,
        DetailType::ApplicationIncomplete,
        DetailType::SuspiciousTransaction,
        DetailType::BalanceRestored,
        DetailType::ApplicationCompleted,
        DetailType::TransactionConfirmed,
        DetailType::TransactionDisputed,
        DetailType::CustomerActivity,
        DetailType::CustomerUpserted,
        DetailType::CustomerChanged,
        DetailType::CustomerErased,
        DetailType::DeviceRegistered,
        DetailType::DeviceRemoved,
    ];

    /// Every detail type this build understands: the catalog's kinds, then `CustomerActivity`
    /// and the context events.
    pub fn all() -> Vec<DetailType> {
        let mut all: Vec<DetailType> = catalog().kinds().iter().map(|k| DetailType(k.name())).collect();
        all.push(DetailType::CustomerActivity);
        all.extend(DetailType::CONTEXT);
        all
    }

    /// The detail type of a context change.
    pub fn of_context(c: &super::ContextChange) -> DetailType {
        use super::ContextChange as C;
        match c {
            C::Upserted(_) => DetailType::CustomerUpserted,
            C::Changed(_) => DetailType::CustomerChanged,
            C::Erased(_) => DetailType::CustomerErased,
            C::DeviceRegistered(_) => DetailType::DeviceRegistered,
            C::DeviceRemoved(_) => DetailType::DeviceRemoved,
        }
    }

    /// A context event's (`CONTEXT`).
    pub fn is_context(self) -> bool {
        DetailType::CONTEXT.contains(&self)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    pub fn parse(s: &str) -> Option<DetailType> {
        if let Some(t) = DetailType::BUILT_IN.into_iter().find(|d| d.0 == s) {
            return Some(t);
        }
        catalog().kind(s).map(|k| DetailType(k.name()))
    }

    /// Its catalog entry; `None` for `CustomerActivity`.
    pub fn kind(self) -> Option<&'static Kind> {
        catalog().kind(self.0)
    }
}

impl fmt::Debug for DetailType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for DetailType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for DetailType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for DetailType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        DetailType::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown detail type {:?}: not in the catalog",
                truncate(&s, 60)
            ))
        })
    }
}

impl JsonSchema for DetailType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DetailType".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = DetailType::all().into_iter().map(DetailType::as_str).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}
