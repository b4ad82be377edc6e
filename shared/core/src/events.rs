//! The event contracts producers code against: EventBridge envelopes and their typed details.

mod context;
mod detail_type;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::catalog::{Placeholder, PlaceholderFormat, catalog, lookup, text_at};
pub use crate::error::EventError;
use crate::error::typed;
use crate::kinds::DeviceKind;
use crate::subject::Subject;
use crate::types::{Id, Instant, Money, PositiveMoney, Text, Url};
pub use context::{
    ContextChange, CustomerChanged, CustomerErased, CustomerUpserted, DeviceRegistered, DeviceRemoved, MAX_TOKEN_LEN,
    ProfileField, ProfileFields, PushPlatform, PushToken,
};
pub use detail_type::DetailType;

/// Largest event accepted, in bytes of JSON: EventBridge's own limit for an entry.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// `LowBalance`: an account's balance fell below the customer's threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LowBalance {
    pub customer_id: Id,
    pub account_id: Id,
    pub balance: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upcoming_payment: Option<UpcomingPayment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpcomingPayment {
    pub payee: Text,
    pub amount: PositiveMoney,
    pub due_at: Instant,
}

/// `FlightDelayed`: a booked flight will leave later than scheduled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FlightDelayed {
    pub customer_id: Id,
    pub booking_ref: Id,
    pub flight: Flight,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebooking: Option<Rebooking>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Flight {
    pub number: Id,
    /// IATA airport code of departure, e.g. LIS.
    pub origin: Id,
    pub destination: Id,
    pub scheduled_departure: Instant,
    pub estimated_departure: Instant,
}

/// Where the customer can rebook, when the airline offers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rebooking {
    pub url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Text>,
}

/// `ApplicationIncomplete`: an application for a product is waiting for the customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationIncomplete {
    pub customer_id: Id,
    pub application_id: Id,
    pub product: Text,
    #[schemars(length(min = 1, max = 20))]
    pub missing_items: Vec<Text>,
    pub resume_url: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Instant>,
}

/// `SuspiciousTransaction`: a card or account payment that may not be the customer's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SuspiciousTransaction {
    pub customer_id: Id,
    pub transaction_id: Id,
    pub account_id: Id,
    pub amount: PositiveMoney,
    pub merchant: Merchant,
    pub occurred_at: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}$"))]
    pub card_last4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Merchant {
    pub name: Text,
    pub city: Text,
    /// ISO 3166-1 alpha-2 country code, e.g. ES.
    pub country: Id,
}

/// `BalanceRestored`: the account is no longer low; a pending notice is moot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BalanceRestored {
    pub customer_id: Id,
    pub account_id: Id,
}

/// `ApplicationCompleted`: the customer finished the application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationCompleted {
    pub customer_id: Id,
    pub application_id: Id,
}

/// `TransactionConfirmed` / `TransactionDisputed`: the customer (or the bank) answered the
/// question about a suspicious transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TransactionAnswer {
    pub customer_id: Id,
    pub transaction_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Instant>,
    /// The channel the answer came through, e.g. `sms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Id>,
    /// The alert whose question was answered, when forewarn asked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Id>,
    /// The inbound message that carried the answer, when it came by SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<Text>,
}

/// `CustomerActivity`: an app or web session the bank's or airline's systems saw on one of
/// the customer's devices; forewarn learns each device's usual hours from these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerActivity {
    pub customer_id: Id,
    pub device_id: Id,
    pub device_kind: DeviceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Text>,
    /// When the session was seen.
    pub at: Instant,
}

/// A typed event detail.
#[derive(Clone, Debug, PartialEq)]
pub enum Detail {
    LowBalance(LowBalance),
    FlightDelayed(FlightDelayed),
    ApplicationIncomplete(ApplicationIncomplete),
    SuspiciousTransaction(SuspiciousTransaction),
    BalanceRestored(BalanceRestored),
    ApplicationCompleted(ApplicationCompleted),
    TransactionConfirmed(TransactionAnswer),
    TransactionDisputed(TransactionAnswer),
    CustomerActivity(CustomerActivity),
    /// A change of the customer's context: profile, devices, erasure (`context`).
    Context(ContextChange),
    /// A kind the catalog alone declares: its detail as the producer wrote it, checked
    /// against the kind's JSON Schema.
    Catalog(CatalogDetail),
}

/// The detail of a kind with no Rust type: valid against its catalog schema.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogDetail {
    pub detail_type: DetailType,
    pub customer_id: Id,
    pub value: serde_json::Value,
}

impl Detail {
    /// The detail as producers write it, for events forewarn itself puts on the bus.
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            Detail::LowBalance(d) => serde_json::to_value(d),
            Detail::FlightDelayed(d) => serde_json::to_value(d),
            Detail::ApplicationIncomplete(d) => serde_json::to_value(d),
            Detail::SuspiciousTransaction(d) => serde_json::to_value(d),
            Detail::BalanceRestored(d) => serde_json::to_value(d),
            Detail::ApplicationCompleted(d) => serde_json::to_value(d),
            Detail::TransactionConfirmed(d) | Detail::TransactionDisputed(d) => serde_json::to_value(d),
            Detail::CustomerActivity(d) => serde_json::to_value(d),
            Detail::Context(c) => Ok(c.to_json()),
            Detail::Catalog(d) => Ok(d.value.clone()),
        };
        v.expect("event details serialize")
    }

    pub fn detail_type(&self) -> DetailType {
        match self {
            Detail::LowBalance(_) => DetailType::LowBalance,
            Detail::FlightDelayed(_) => DetailType::FlightDelayed,
            Detail::ApplicationIncomplete(_) => DetailType::ApplicationIncomplete,
            Detail::SuspiciousTransaction(_) => DetailType::SuspiciousTransaction,
            Detail::BalanceRestored(_) => DetailType::BalanceRestored,
            Detail::ApplicationCompleted(_) => DetailType::ApplicationCompleted,
            Detail::TransactionConfirmed(_) => DetailType::TransactionConfirmed,
            Detail::TransactionDisputed(_) => DetailType::TransactionDisputed,
            Detail::CustomerActivity(_) => DetailType::CustomerActivity,
            Detail::Context(c) => DetailType::of_context(c),
            Detail::Catalog(d) => d.detail_type,
        }
    }

    pub fn customer_id(&self) -> &Id {
        match self {
            Detail::LowBalance(d) => &d.customer_id,
            Detail::FlightDelayed(d) => &d.customer_id,
            Detail::ApplicationIncomplete(d) => &d.customer_id,
            Detail::SuspiciousTransaction(d) => &d.customer_id,
            Detail::BalanceRestored(d) => &d.customer_id,
            Detail::ApplicationCompleted(d) => &d.customer_id,
            Detail::TransactionConfirmed(d) | Detail::TransactionDisputed(d) => &d.customer_id,
            Detail::CustomerActivity(d) => &d.customer_id,
            Detail::Context(c) => c.customer_id(),
            Detail::Catalog(d) => &d.customer_id,
        }
    }

    /// What the event is about, from its catalog subject: deliveries for the same subject
    /// de-duplicate and cancel each other (`account:<id>`, `flight:<booking>:<number>`). A
    /// resolving event's is the first subject it settles; `CustomerActivity`'s, its device.
    pub fn subject(&self) -> Subject {
        subject_of(self, &self.to_json())
    }

    /// Checks the rules a JSON Schema cannot state, naming the field at fault.
    fn check(&self) -> Result<(), EventError> {
        match self {
            Detail::SuspiciousTransaction(d) => {
                if let Some(l4) = &d.card_last4
                    && (l4.len() != 4 || !l4.bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(EventError::new("detail.card_last4", "must be exactly four digits"));
                }
            }
            Detail::ApplicationIncomplete(d) => {
                if d.missing_items.is_empty() {
                    return Err(EventError::new("detail.missing_items", "must name at least one item"));
                }
                if d.missing_items.len() > 20 {
                    return Err(EventError::new("detail.missing_items", "more than 20 items"));
                }
            }
            Detail::FlightDelayed(d) => {
                let span = d
                    .flight
                    .estimated_departure
                    .0
                    .duration_since(d.flight.scheduled_departure.0);
                if span.as_secs().abs() > 14 * 24 * 3600 {
                    return Err(EventError::new(
                        "detail.flight.estimated_departure",
                        "more than 14 days from the scheduled departure",
                    ));
                }
            }
            Detail::Context(c) => c.check()?,
            _ => {}
        }
        Ok(())
    }
}

/// The subject of `detail`, whose JSON is `json`: from its catalog subject (a resolving
/// event's, the first subject it settles); `CustomerActivity`'s, its device.
fn subject_of(detail: &Detail, json: &serde_json::Value) -> Subject {
    if let Detail::CustomerActivity(d) = detail {
        return Subject::exact("device", [d.device_id.to_string()]);
    }
    if let Detail::Context(c) = detail {
        return Subject::exact("customer", [c.customer_id().to_string()]);
    }
    match detail.detail_type().kind() {
        Some(k) if k.notifies() => k.subject_of(json),
        _ => catalog()
            .resolved_subjects(detail.detail_type().as_str(), json)
            .into_iter()
            .next()
            .unwrap_or_default(),
    }
}

/// A parsed, checked business event in its EventBridge envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: Id,
    pub source: Text,
    pub time: Instant,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resources: Vec<String>,
    pub detail: Detail,
    /// The detail as JSON, made once when first needed: subjects, timing fields and
    /// placeholders are read from it by their catalog paths (`DetailJson::default()`).
    pub json: DetailJson,
}

/// A cache of an event's detail as JSON: filled once, never compared.
#[derive(Clone, Debug, Default)]
pub struct DetailJson(std::sync::OnceLock<serde_json::Value>);

impl PartialEq for DetailJson {
    fn eq(&self, _: &DetailJson) -> bool {
        true
    }
}

impl Event {
    pub fn detail_type(&self) -> DetailType {
        self.detail.detail_type()
    }

    /// The detail as JSON (`Detail::to_json`), made on first use.
    pub fn detail_json(&self) -> &serde_json::Value {
        self.json.0.get_or_init(|| self.detail.to_json())
    }

    /// What the event is about ([`Detail::subject`]), read from the cached JSON.
    pub fn subject(&self) -> Subject {
        subject_of(&self.detail, self.detail_json())
    }

    /// The text of the detail field at a dotted `path`, empty when absent.
    pub fn text_at(&self, path: &str) -> String {
        text_at(self.detail_json(), path)
    }

    /// The event as EventBridge delivered it, which `parse_event_value` reads back: kept with
    /// a claim so a later step (a late hard bounce) can decide on the same event again.
    pub fn to_envelope(&self) -> serde_json::Value {
        serde_json::json!({
            "version": "0",
            "id": self.id,
            "detail-type": self.detail_type().as_str(),
            "source": self.source,
            "time": self.time,
            "account": self.account,
            "region": self.region,
            "resources": self.resources,
            "detail": self.detail.to_json(),
        })
    }
}

/// The EventBridge envelope as it arrives, before the detail is typed.
#[derive(Deserialize)]
struct RawEnvelope {
    #[serde(default)]
    version: Option<String>,
    id: Id,
    #[serde(rename = "detail-type")]
    detail_type: String,
    source: Text,
    time: Instant,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
    detail: serde_json::Value,
}

/// The envelope fields of a JSON Schema, for documentation and validation.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct EnvelopeSchema<D> {
    pub version: String,
    pub id: Id,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: Text,
    pub account: String,
    pub time: Instant,
    pub region: String,
    pub resources: Vec<String>,
    pub detail: D,
}

/// Parses an EventBridge event from JSON text, naming the JSON path of the first fault.
pub fn parse_event(json: &str) -> Result<Event, EventError> {
    if json.len() > MAX_EVENT_BYTES {
        return Err(EventError::new(
            "$",
            format!("event is {} bytes; the limit is {MAX_EVENT_BYTES}", json.len()),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| EventError::new("$", format!("not valid JSON: {e}")))?;
    crate::unique_keys::check_unique_keys(json)?;
    parse_event_value(value)
}

/// Parses an EventBridge event already read as a JSON value. A repeated key was already lost
/// when the value was read (serde_json keeps the last), so only [`parse_event`] can refuse one.
pub fn parse_event_value(value: serde_json::Value) -> Result<Event, EventError> {
    if !value.is_object() {
        return Err(EventError::new("$", "an event must be a JSON object"));
    }
    let env: RawEnvelope = typed("", value)?;
    if let Some(v) = &env.version
        && v != "0"
    {
        return Err(EventError::new(
            "version",
            format!("unsupported envelope version {v:?}; expected \"0\""),
        ));
    }
    let detail_type = DetailType::parse(&env.detail_type).ok_or_else(|| {
        EventError::new(
            "detail-type",
            format!(
                "unknown detail type {:?}; expected one of {}",
                crate::types::truncate(&env.detail_type, 60),
                DetailType::all()
                    .into_iter()
                    .map(DetailType::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    if !env.detail.is_object() {
        return Err(EventError::new("detail", "must be a JSON object"));
    }
    let d = env.detail;
    let detail = match detail_type {
        DetailType::LowBalance => Detail::LowBalance(typed("detail", d)?),
        DetailType::FlightDelayed => Detail::FlightDelayed(typed("detail", d)?),
        DetailType::ApplicationIncomplete => Detail::ApplicationIncomplete(typed("detail", d)?),
        DetailType::SuspiciousTransaction => Detail::SuspiciousTransaction(typed("detail", d)?),
        DetailType::BalanceRestored => Detail::BalanceRestored(typed("detail", d)?),
        DetailType::ApplicationCompleted => Detail::ApplicationCompleted(typed("detail", d)?),
        DetailType::TransactionConfirmed => Detail::TransactionConfirmed(typed("detail", d)?),
        DetailType::TransactionDisputed => Detail::TransactionDisputed(typed("detail", d)?),
        DetailType::CustomerActivity => Detail::CustomerActivity(typed("detail", d)?),
        DetailType::CustomerUpserted => Detail::Context(ContextChange::Upserted(typed("detail", d)?)),
        DetailType::CustomerChanged => Detail::Context(ContextChange::Changed(typed("detail", d)?)),
        DetailType::CustomerErased => Detail::Context(ContextChange::Erased(typed("detail", d)?)),
        DetailType::DeviceRegistered => Detail::Context(ContextChange::DeviceRegistered(typed("detail", d)?)),
        DetailType::DeviceRemoved => Detail::Context(ContextChange::DeviceRemoved(typed("detail", d)?)),
        other => catalog_detail(other, d)?,
    };
    detail.check()?;
    if let Detail::CustomerActivity(a) = &detail
        && a.at.0.duration_since(env.time.0).as_secs() > 24 * 3600
    {
        return Err(EventError::new(
            "detail.at",
            "more than a day after the event's time: a session cannot be seen in the future",
        ));
    }
    Ok(Event {
        id: env.id,
        source: env.source,
        time: env.time,
        account: env.account,
        region: env.region,
        resources: env.resources,
        detail,
        json: DetailJson::default(),
    })
}

/// A detail of a kind the catalog alone declares, checked against its JSON Schema: the
/// first fault is named by its JSON path (`detail.amount.currency`).
fn catalog_detail(t: DetailType, d: serde_json::Value) -> Result<Detail, EventError> {
    let kind = t
        .kind()
        .ok_or_else(|| EventError::new("detail-type", format!("{t} has no catalog entry")))?;
    let validator = kind
        .validator()
        .map_err(|e| EventError::new("detail-type", format!("the catalog schema of {t} is invalid: {e}")))?;
    if let Some(err) = validator.iter_errors(&d).next() {
        let mut path = String::from("detail");
        for segment in err.instance_path().to_string().split('/').skip(1) {
            path.push('.');
            path.push_str(segment);
        }
        return Err(EventError::new(
            path,
            crate::types::truncate(&err.to_string(), 200).into_owned(),
        ));
    }
    check_money(&kind.def.placeholders, &d)?;
    let customer_id: Id = typed("detail.customer_id", d.get("customer_id").cloned().unwrap_or_default())?;
    Ok(Detail::Catalog(CatalogDetail {
        detail_type: t,
        customer_id,
        value: d,
    }))
}

/// Reads every money placeholder of a catalog-only kind as [`Money`]: a schema's pattern
/// admits any three capital letters, the parser only an ISO 4217 code in use.
fn check_money(placeholders: &BTreeMap<String, Placeholder>, d: &serde_json::Value) -> Result<(), EventError> {
    for p in placeholders.values().filter(|p| p.format == PlaceholderFormat::Money) {
        if let Some(v) = lookup(d, &p.path) {
            typed::<Money>(&format!("detail.{}", p.path), v.clone())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(detail_type: &str, detail: serde_json::Value) -> String {
        json!({
            "version": "0", "id": "e-1", "detail-type": detail_type, "source": "bank.core",
            "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "eu-west-1",
            "resources": [], "detail": detail
        })
        .to_string()
    }

    fn flight(est: serde_json::Value) -> serde_json::Value {
        json!({"customer_id": "c-1", "booking_ref": "ABC123", "flight": {
            "number": "TP1234", "origin": "LIS", "destination": "LHR",
            "scheduled_departure": "2026-11-22T12:00:00Z", "estimated_departure": est}})
    }

    #[test]
    fn a_valid_flight_delay_parses_into_its_typed_detail() {
        let e = parse_event(&envelope("FlightDelayed", flight(json!("2026-11-22T14:30:00Z")))).unwrap();
        assert_eq!(e.detail_type(), DetailType::FlightDelayed);
        assert_eq!(e.detail.subject(), "flight:ABC123:TP1234");
        assert_eq!(e.detail.customer_id().as_str(), "c-1");
    }

    #[test]
    fn every_bundled_event_reads_back_the_same_from_its_envelope() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let Ok(text) = std::fs::read_to_string(entry.unwrap().path()) else {
                continue;
            };
            let Ok(event) = parse_event(&text) else { continue };
            assert_eq!(
                parse_event_value(event.to_envelope()),
                Ok(event.clone()),
                "{}",
                event.id
            );
            read += 1;
        }
        assert!(read >= 20, "only {read} bundled events parsed");
    }

    #[test]
    fn malformed_events_are_rejected_with_the_json_path_and_reason() {
        let cases: Vec<(String, &str, &str)> = vec![
            (
                envelope("FlightDelayed", flight(json!("soon"))),
                "detail.flight.estimated_departure",
                "not an RFC 3339 time",
            ),
            (
                envelope("FlightDelayed", flight(json!(17))),
                "detail.flight.estimated_departure",
                "invalid type",
            ),
            (envelope("NoSuchThing", json!({})), "detail-type", "unknown detail type"),
            (
                envelope("LowBalance", json!({"customer_id": "c", "account_id": "a"})),
                "detail",
                "required field `balance` is missing",
            ),
            (
                envelope(
                    "LowBalance",
                    json!({"customer_id": "c", "account_id": "a", "balance": {"amount": 12.5, "currency": "EUR"}}),
                ),
                "detail.balance.amount",
                "in quotes",
            ),
            (
                envelope(
                    "LowBalance",
                    json!({"customer_id": "c", "account_id": "a", "balance": {"amount": "1", "currency": "euro"}}),
                ),
                "detail.balance.currency",
                "ISO 4217",
            ),
            (
                envelope(
                    "SuspiciousTransaction",
                    json!({"customer_id": "c", "transaction_id": "t", "account_id": "a",
                    "amount": {"amount": "-5.00", "currency": "EUR"}, "merchant": {"name": "X", "city": "Y", "country": "ES"},
                    "occurred_at": "2026-11-22T10:00:00Z"}),
                ),
                "detail.amount.amount",
                "must not be negative",
            ),
            (
                envelope(
                    "ApplicationIncomplete",
                    json!({"customer_id": "c", "application_id": "a", "product": "Loan",
                    "missing_items": [], "resume_url": "https://bank.example/resume"}),
                ),
                "detail.missing_items",
                "at least one",
            ),
            (
                envelope(
                    "ApplicationIncomplete",
                    json!({"customer_id": "c", "application_id": "a", "product": "Loan",
                    "missing_items": ["id"], "resume_url": "javascript:alert(1)"}),
                ),
                "detail.resume_url",
                "must be an https URL",
            ),
            (
                envelope(
                    "FlightDelayed",
                    json!({"customer_id": "c", "booking_ref": "B", "flight": {"number": "TP1", "origin": "LIS",
                    "destination": "LHR", "scheduled_departure": "2026-11-22T12:00:00Z",
                    "estimated_departure": "2026-11-22T13:00:00Z"}, "rebooking": {"url": "http://air.example/r"}}),
                ),
                "detail.rebooking.url",
                "must be an https URL",
            ),
            (
                envelope("BalanceRestored", json!({"customer_id": "", "account_id": "a"})),
                "detail.customer_id",
                "must not be empty",
            ),
            (
                envelope("BalanceRestored", json!("text")),
                "detail",
                "must be a JSON object",
            ),
            ("[1,2]".to_owned(), "$", "must be a JSON object"),
            ("{".to_owned(), "$", "not valid JSON"),
            (
                json!({"id": "e", "detail-type": "LowBalance", "source": "s", "detail": {}}).to_string(),
                "$",
                "`time` is missing",
            ),
        ];
        for (json, path, reason) in cases {
            let err = parse_event(&json).expect_err(&json);
            assert_eq!(err.path, path, "{json} -> {err}");
            assert!(err.reason.contains(reason), "{json} -> {err}");
        }
    }

    fn payment_due(amount: &str, balance: &str, currency: &str) -> String {
        envelope(
            "PaymentDue",
            json!({"customer_id": "c", "account_id": "a", "payment_id": "p", "payee": "EDP",
            "amount": {"amount": amount, "currency": currency}, "balance": {"amount": balance, "currency": currency},
            "due_at": "2026-11-27T09:00:00Z"}),
        )
    }

    fn low_balance(balance: &str, currency: &str, upcoming: &str) -> String {
        envelope(
            "LowBalance",
            json!({"customer_id": "c", "account_id": "a", "balance": {"amount": balance, "currency": currency},
            "upcoming_payment": {"payee": "EDP", "amount": {"amount": upcoming, "currency": "EUR"},
            "due_at": "2026-11-27T09:00:00Z"}}),
        )
    }

    #[test]
    fn an_overdrawn_balance_is_accepted_where_the_kind_has_a_balance() {
        let e = parse_event(&payment_due("86.40", "-12.50", "EUR")).unwrap();
        assert_eq!(e.detail_json()["balance"]["amount"], "-12.50");
        let e = parse_event(&low_balance("-12.50", "EUR", "86.40")).unwrap();
        let Detail::LowBalance(d) = &e.detail else {
            panic!("not a LowBalance: {e:?}")
        };
        assert_eq!(d.balance.amount.as_str(), "-12.50");
    }

    #[test]
    fn a_negative_amount_to_pay_is_rejected_naming_the_field() {
        let cases = [
            (
                payment_due("-86.40", "10.00", "EUR"),
                "detail.amount.amount",
                "does not match",
            ),
            (
                low_balance("5.00", "EUR", "-86.40"),
                "detail.upcoming_payment.amount.amount",
                "must not be negative",
            ),
            (
                low_balance("5.00", "EUR", "0.00"),
                "detail.upcoming_payment.amount.amount",
                "greater than zero",
            ),
        ];
        for (json, path, reason) in cases {
            let err = parse_event(&json).expect_err(&json);
            assert_eq!(err.path, path, "{json} -> {err}");
            assert!(err.reason.contains(reason), "{json} -> {err}");
        }
    }

    #[test]
    fn a_currency_code_not_in_iso_4217_is_rejected_naming_the_field() {
        let cases = [
            (payment_due("86.40", "10.00", "XXZ"), "detail.amount.currency"),
            (low_balance("5.00", "XXZ", "86.40"), "detail.balance.currency"),
        ];
        for (json, path) in cases {
            let err = parse_event(&json).expect_err(&json);
            assert_eq!(err.path, path, "{json} -> {err}");
            assert!(
                err.reason.contains("not an ISO 4217 currency code in use"),
                "{json} -> {err}"
            );
            assert!(err.reason.contains("XXZ"), "{json} -> {err}");
        }
        assert!(parse_event(&payment_due("86.40", "10.00", "AED")).is_ok());
    }

    #[test]
    fn a_plain_http_resume_url_is_rejected_naming_the_field() {
        let detail = |url: &str| {
            json!({"customer_id": "c", "application_id": "a", "product": "Loan",
                   "missing_items": ["id"], "resume_url": url})
        };
        let err = parse_event(&envelope("ApplicationIncomplete", detail("http://bank.example/resume"))).unwrap_err();
        assert_eq!(err.to_string(), "detail.resume_url: must be an https URL");
        assert!(
            parse_event(&envelope(
                "ApplicationIncomplete",
                detail("https://bank.example/resume")
            ))
            .is_ok()
        );
    }

    #[test]
    fn an_oversized_event_is_rejected_before_it_is_parsed() {
        let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_EVENT_BYTES));
        let err = parse_event(&big).unwrap_err();
        assert!(err.reason.contains("limit"), "{err}");
    }

    #[test]
    fn a_departure_absurdly_far_from_schedule_is_rejected() {
        let err = parse_event(&envelope("FlightDelayed", flight(json!("9999-12-31T00:00:00Z")))).unwrap_err();
        assert_eq!(err.path, "detail.flight.estimated_departure");
    }
}
