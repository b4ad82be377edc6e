//! The simulator: the same decisions as the Lambda functions, on an in-memory store and a
//! virtual clock, producing a timeline of decisions, deliveries and cancellations.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::customer::Customer;
use crate::engine::{Delivery, Engine};
use crate::events::{Event, EventError};
use crate::messages::RenderError;
use crate::policy::{Context, DeliveryRecord, DeliveryStatus, Outcome, Plan};
use crate::types::Id;

/// One input to the simulation: a parsed event, or a rejected one with what could be read of it.
pub enum Input {
    Event(Box<Event>),
    Rejected {
        event_id: Option<String>,
        detail_type: Option<String>,
        customer_id: Option<String>,
        time: Option<Timestamp>,
        error: EventError,
    },
}

impl Input {
    /// Parses one event's JSON; a fault becomes a `Rejected` input, never a panic.
    pub fn from_json(json: &str) -> Input {
        match crate::events::parse_event(json) {
            Ok(e) => Input::Event(Box::new(e)),
            Err(error) => {
                let v: Option<serde_json::Value> = serde_json::from_str(json).ok();
                let field = |k: &str| {
                    v.as_ref()
                        .and_then(|v| v.get(k))
                        .and_then(|x| x.as_str())
                        .map(str::to_owned)
                };
                let customer_id = v
                    .as_ref()
                    .and_then(|v| v.get("detail")?.get("customer_id")?.as_str().map(str::to_owned));
                Input::Rejected {
                    event_id: field("id"),
                    detail_type: field("detail-type"),
                    customer_id,
                    time: field("time").and_then(|t| t.parse().ok()),
                    error,
                }
            }
        }
    }

    fn time(&self) -> Option<Timestamp> {
        match self {
            Input::Event(e) => Some(e.time.0),
            Input::Rejected { time, .. } => *time,
        }
    }
}

/// A line of the timeline (`--format json` prints one per line).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Decision {
        event_id: Option<String>,
        detail_type: Option<String>,
        customer_id: Option<String>,
        outcome: &'static str,
        send_at: Option<Timestamp>,
        channels: Vec<&'static str>,
        reasons: Vec<String>,
        #[serde(skip)]
        at: Timestamp,
    },
    Delivery {
        event_id: String,
        customer_id: String,
        channel: &'static str,
        device_id: Option<String>,
        sent_at: Timestamp,
        local_time: String,
        to: String,
        subject: Option<String>,
        body: String,
        expects_reply: bool,
    },
    Cancelled {
        event_id: String,
        customer_id: String,
        by_event_id: String,
        reason: String,
        #[serde(skip)]
        at: Timestamp,
    },
}

impl Record {
    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Record::Decision { customer_id, .. } => customer_id.as_deref(),
            Record::Delivery { customer_id, .. } | Record::Cancelled { customer_id, .. } => Some(customer_id),
        }
    }
    /// When the line happened on the virtual clock.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Decision { at, .. } | Record::Cancelled { at, .. } => *at,
            Record::Delivery { sent_at, .. } => *sent_at,
        }
    }
}

struct Pending {
    send_at: Timestamp,
    event_id: Id,
    customer_id: Id,
    deliveries: Vec<Delivery>,
}

/// The in-memory store and virtual clock.
pub struct Simulator {
    engine: Engine,
    customers: HashMap<Id, Customer>,
    history: HashMap<Id, Vec<DeliveryRecord>>,
    seen: HashSet<Id>,
    pending: Vec<Pending>,
    out: Vec<Record>,
}

impl Simulator {
    pub fn new(engine: Engine, customers: Vec<Customer>) -> Simulator {
        Simulator {
            engine,
            customers: customers.into_iter().map(|c| (c.id.clone(), c)).collect(),
            history: HashMap::new(),
            seen: HashSet::new(),
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Runs every input in order of envelope time (stable for equal times), then sends
    /// whatever is still scheduled. Inputs without a readable time go first.
    pub fn run(mut self, mut inputs: Vec<Input>) -> Result<Vec<Record>, RenderError> {
        inputs.sort_by_key(|i| i.time().unwrap_or(Timestamp::MIN));
        for input in inputs {
            match input {
                Input::Event(e) => {
                    self.advance(e.time.0);
                    self.handle(&e)?;
                }
                Input::Rejected {
                    event_id,
                    detail_type,
                    customer_id,
                    time,
                    error,
                } => {
                    let at = time.unwrap_or(Timestamp::MIN);
                    self.advance(at);
                    self.out.push(Record::Decision {
                        event_id,
                        detail_type,
                        customer_id,
                        outcome: Outcome::Rejected.as_str(),
                        send_at: None,
                        channels: vec![],
                        reasons: vec![format!("rejected: {error}")],
                        at,
                    });
                }
            }
        }
        self.advance(Timestamp::MAX);
        Ok(self.out)
    }

    /// Moves the virtual clock to `now`, sending every delivery due by then.
    fn advance(&mut self, now: Timestamp) {
        self.pending.sort_by_key(|p| p.send_at);
        let due = self.pending.iter().take_while(|p| p.send_at <= now).count();
        for p in self.pending.drain(..due).collect::<Vec<_>>() {
            for r in self.history.entry(p.customer_id.clone()).or_default() {
                if r.event_id == p.event_id && r.status == DeliveryStatus::Scheduled {
                    r.status = DeliveryStatus::Sent;
                }
            }
            self.emit(&p.event_id, &p.customer_id, p.send_at, &p.deliveries);
        }
    }

    fn handle(&mut self, event: &Event) -> Result<(), RenderError> {
        let now = event.time.0;
        let cid = event.detail.customer_id().clone();
        let seen_before = !self.seen.insert(event.id.clone());
        let empty = Vec::new();
        let decision = {
            let ctx = Context {
                customer: self.customers.get(&cid),
                history: self.history.get(&cid).unwrap_or(&empty),
                seen_before,
            };
            self.engine.decide(event, &ctx, now)?
        };
        let plan = &decision.plan;
        self.out.push(Record::Decision {
            event_id: Some(event.id.to_string()),
            detail_type: Some(event.detail_type().to_string()),
            customer_id: Some(cid.to_string()),
            outcome: plan.outcome.as_str(),
            send_at: plan.send_at,
            channels: decision.deliveries.iter().map(|d| d.route.channel.as_str()).collect(),
            reasons: plan.reasons.clone(),
            at: now,
        });
        for c in &plan.cancellations {
            self.pending
                .retain(|p| !(p.customer_id == cid && p.event_id == c.event_id));
            for r in self.history.entry(cid.clone()).or_default() {
                if r.event_id == c.event_id && r.status == DeliveryStatus::Scheduled {
                    r.status = DeliveryStatus::Cancelled;
                }
            }
            self.out.push(Record::Cancelled {
                event_id: c.event_id.to_string(),
                customer_id: cid.to_string(),
                by_event_id: event.id.to_string(),
                reason: c.reason.clone(),
                at: now,
            });
        }
        if let Some(send_at) = plan.send_at {
            self.remember(event, plan, &decision.deliveries, send_at);
            match plan.outcome {
                Outcome::SendNow => self.emit(&event.id, &cid, send_at, &decision.deliveries),
                _ => self.pending.push(Pending {
                    send_at,
                    event_id: event.id.clone(),
                    customer_id: cid,
                    deliveries: decision.deliveries,
                }),
            }
        }
        Ok(())
    }

    fn remember(&mut self, event: &Event, plan: &Plan, deliveries: &[Delivery], send_at: Timestamp) {
        let status = if plan.outcome == Outcome::SendNow {
            DeliveryStatus::Sent
        } else {
            DeliveryStatus::Scheduled
        };
        let rows = self.history.entry(event.detail.customer_id().clone()).or_default();
        for d in deliveries {
            rows.push(DeliveryRecord {
                event_id: event.id.clone(),
                event_time: event.time.0,
                detail_type: event.detail_type(),
                subject: plan.subject.clone(),
                channel: d.route.channel,
                urgency: plan.urgency.unwrap_or(crate::policy::Urgency::Normal),
                status,
                send_at,
                expects_reply: d.message.expects_reply,
            });
        }
    }

    fn emit(&mut self, event_id: &Id, customer_id: &Id, at: Timestamp, deliveries: &[Delivery]) {
        let zone = self
            .customers
            .get(customer_id)
            .map(|c| c.zone.primary())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let local = at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
        for d in deliveries {
            let m = &d.message;
            self.out.push(Record::Delivery {
                event_id: event_id.to_string(),
                customer_id: customer_id.to_string(),
                channel: d.route.channel.as_str(),
                device_id: d.route.device_id.as_ref().map(Id::to_string),
                sent_at: at,
                local_time: local.clone(),
                to: d.to.masked(),
                subject: m.subject.clone().or_else(|| m.title.clone()),
                body: m.body.clone(),
                expects_reply: m.expects_reply,
            });
        }
    }
}

/// The zone a customer's timeline is shown in, and its name.
pub fn display_zone(c: Option<&Customer>) -> (jiff::tz::TimeZone, String) {
    let zone = c.map(|c| c.zone.primary()).unwrap_or(jiff::tz::TimeZone::UTC);
    let name = zone.iana_name().unwrap_or("UTC").to_owned();
    (zone, name)
}
