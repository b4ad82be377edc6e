//! The simulator: the same decisions as the Lambda functions, on an in-memory store and a
//! virtual clock, producing a timeline of decisions, deliveries and cancellations.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;

use jiff::ToSpan;

use crate::conversation::{InboundSms, Intent, ReplyText, parse_inbound_sms, reply_text};
use crate::customer::{Channel, Customer, Device};
use crate::engine::{Delivery, Destination, Engine};
use crate::events::{CustomerActivity, Detail, Event, EventError};
use crate::habits::Habits;
use crate::loops::{
    Answer, Matched, QUESTION_HOURS, Question, match_question, reminder_channel, reminder_message, transaction_of,
};
use crate::messages::RenderError;
use crate::policy::{Context, DeliveryRecord, DeliveryStatus, Outcome, Plan, Route};
use crate::types::Id;

/// One input to the simulation: a parsed event, an inbound SMS, or a rejected input with
/// what could be read of it.
pub enum Input {
    Event(Box<Event>),
    /// An inbound SMS: `{"detail-type": "InboundSms", "time": …, "detail": {<End User Messaging JSON>}}`.
    Reply {
        time: Timestamp,
        sms: Box<InboundSms>,
    },
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
        if let Some(input) = Input::inbound_sms(json) {
            return input;
        }
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

    /// The simulator's stand-in for an SMS arriving through SNS.
    fn inbound_sms(json: &str) -> Option<Input> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        if v.get("detail-type")?.as_str()? != INBOUND_SMS {
            return None;
        }
        let rejected = |error: EventError| Input::Rejected {
            event_id: v.get("id").and_then(|i| i.as_str()).map(str::to_owned),
            detail_type: Some(INBOUND_SMS.into()),
            customer_id: None,
            time: v.get("time").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()),
            error,
        };
        let Some(time) = v.get("time").and_then(|t| t.as_str()).and_then(|t| t.parse().ok()) else {
            return Some(rejected(EventError::new("time", "missing or not an RFC 3339 time")));
        };
        let detail = v.get("detail").map(|d| d.to_string()).unwrap_or_default();
        Some(match parse_inbound_sms(&detail) {
            Ok(sms) => Input::Reply {
                time,
                sms: Box::new(sms),
            },
            Err(e) => rejected(EventError::new(format!("detail.{}", e.path), e.reason)),
        })
    }

    fn time(&self) -> Option<Timestamp> {
        match self {
            Input::Event(e) => Some(e.time.0),
            Input::Reply { time, .. } => Some(*time),
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
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        reminder: bool,
    },
    /// An inbound SMS and what forewarn did with it.
    Reply {
        reply_id: String,
        customer_id: Option<String>,
        from: String,
        intent: &'static str,
        outcome: &'static str,
        answer: String,
        reasons: Vec<String>,
        at: Timestamp,
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
            Record::Reply { customer_id, .. } => customer_id.as_deref(),
        }
    }
    /// When the line happened on the virtual clock.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Decision { at, .. } | Record::Cancelled { at, .. } | Record::Reply { at, .. } => *at,
            Record::Delivery { sent_at, .. } => *sent_at,
        }
    }
}

struct Pending {
    send_at: Timestamp,
    event_id: Id,
    customer_id: Id,
    deliveries: Vec<Delivery>,
    reminder: bool,
}

const INBOUND_SMS: &str = "InboundSms";

/// The in-memory store and virtual clock.
pub struct Simulator {
    engine: Engine,
    customers: HashMap<Id, Customer>,
    history: HashMap<Id, Vec<DeliveryRecord>>,
    seen: HashSet<Id>,
    pending: Vec<Pending>,
    questions: Vec<Question>,
    habits: HashMap<(Id, Id), Habits>,
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
            questions: Vec::new(),
            habits: HashMap::new(),
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
                Input::Reply { time, sms } => {
                    self.advance(time);
                    self.reply(&sms, time)?;
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
            self.emit(&p.event_id, &p.customer_id, p.send_at, &p.deliveries, p.reminder);
        }
    }

    fn handle(&mut self, event: &Event) -> Result<(), RenderError> {
        let now = event.time.0;
        let cid = event.detail.customer_id().clone();
        if let Detail::CustomerActivity(a) = &event.detail {
            self.learn(event, a);
            return Ok(());
        }
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
        for closed in &plan.closes {
            let before = self.pending.len();
            self.pending
                .retain(|p| !(p.reminder && p.customer_id == cid && &p.event_id == closed));
            if self.pending.len() < before {
                self.out.push(Record::Cancelled {
                    event_id: closed.to_string(),
                    customer_id: cid.to_string(),
                    by_event_id: event.id.to_string(),
                    reason: "the question was answered before the reminder".into(),
                    at: now,
                });
            }
            for q in self
                .questions
                .iter_mut()
                .filter(|q| &q.event_id == closed && q.customer_id == cid && q.answer.is_none())
            {
                q.answer = Some(Answer {
                    intent: "closed".into(),
                    at: now,
                    inbound_message_id: event.id.to_string(),
                });
            }
        }
        if let Some(send_at) = plan.send_at {
            self.remember(event, plan, &decision.deliveries, send_at);
            match plan.outcome {
                Outcome::SendNow => {
                    self.emit(&event.id, &cid, send_at, &decision.deliveries, false);
                    self.escalate(event, &decision.deliveries, now)?;
                }
                _ => self.pending.push(Pending {
                    send_at,
                    event_id: event.id.clone(),
                    customer_id: cid,
                    deliveries: decision.deliveries,
                    reminder: false,
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

    /// A critical alert that asks for an answer gets one reminder on the next channel.
    fn escalate(&mut self, event: &Event, sent: &[Delivery], now: Timestamp) -> Result<(), RenderError> {
        let cid = event.detail.customer_id();
        let Some(customer) = self.customers.get(cid) else {
            return Ok(());
        };
        if !matches!(event.detail, Detail::SuspiciousTransaction(_)) || sent.is_empty() {
            return Ok(());
        }
        let sms_sent = sent.iter().any(|d| d.route.channel == Channel::Sms);
        let Some((channel, device_id, to)) = reminder_channel(customer, sms_sent) else {
            return Ok(());
        };
        let message = reminder_message(&self.engine, event, customer, channel)?;
        let device_kind = device_id
            .as_ref()
            .and_then(|id| customer.devices.iter().find(|d| &d.id == id))
            .map(|d| d.kind);
        self.pending.push(Pending {
            send_at: now + self.engine.policy.reminder_minutes.minutes(),
            event_id: event.id.clone(),
            customer_id: cid.clone(),
            deliveries: vec![Delivery {
                route: Route {
                    channel,
                    device_id,
                    device_kind,
                },
                to,
                message,
            }],
            reminder: true,
        });
        Ok(())
    }

    /// A session on a device joins its habits; the customer's usual hours follow.
    fn learn(&mut self, event: &Event, a: &CustomerActivity) {
        let Some(customer) = self.customers.get_mut(&a.customer_id) else {
            self.out
                .push(self.activity_record(event, "suppressed", vec!["unknown customer: nothing learned".into()]));
            return;
        };
        let zone = customer.zone.primary();
        let habits = self
            .habits
            .entry((a.customer_id.clone(), a.device_id.clone()))
            .or_insert_with(|| Habits::new(a.at.0));
        if !habits.record(event.id.as_str(), zone.to_datetime(a.at.0), a.at.0) {
            return;
        }
        let windows = habits.windows();
        let sessions = habits.sessions;
        let device = match customer.devices.iter().position(|d| d.id == a.device_id) {
            Some(i) => &mut customer.devices[i],
            None => {
                customer.devices.push(Device {
                    id: a.device_id.clone(),
                    kind: a.device_kind,
                    platform: a.platform.as_ref().map(|p| p.to_string()),
                    push_endpoint: None,
                    enabled: true,
                    last_seen: None,
                    active_hours: vec![],
                    learned: false,
                    disabled_reason: None,
                });
                customer.devices.last_mut().expect("just pushed")
            }
        };
        device.last_seen = device.last_seen.max(Some(a.at.0));
        let reason = match windows {
            Some(w) => {
                let text = w.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join("; ");
                device.active_hours = w;
                device.learned = true;
                format!("usual hours on {} {}: {text}", a.device_kind.as_str(), a.device_id)
            }
            None => format!(
                "session {sessions} on {} {}: not enough sessions to learn usual hours yet",
                a.device_kind.as_str(),
                a.device_id
            ),
        };
        self.out.push(self.activity_record(event, "recorded", vec![reason]));
    }

    fn activity_record(&self, event: &Event, outcome: &'static str, reasons: Vec<String>) -> Record {
        Record::Decision {
            event_id: Some(event.id.to_string()),
            detail_type: Some(event.detail_type().to_string()),
            customer_id: Some(event.detail.customer_id().to_string()),
            outcome,
            send_at: None,
            channels: vec![],
            reasons,
            at: event.time.0,
        }
    }

    /// An inbound SMS: the same matching as the `reply` function, on the simulated questions.
    fn reply(&mut self, sms: &InboundSms, now: Timestamp) -> Result<(), RenderError> {
        let owner = self
            .customers
            .values()
            .find(|c| c.phone.usable().is_some_and(|p| p.e164() == sms.from.e164()))
            .map(|c| c.id.clone());
        let matched = match sms.intent {
            Intent::Yes | Intent::No => match match_question(&self.questions, sms, now) {
                Matched::Open(q) | Matched::Again(q) => Some(q.clone()),
                Matched::Expired => {
                    return self.replied(
                        sms,
                        owner,
                        "expired",
                        ReplyText::Expired,
                        vec!["the question expired: no event".into()],
                        now,
                    );
                }
                Matched::None => None,
            },
            _ => None,
        };
        let Some(q) = matched else {
            let (outcome, text, why) = match (sms.intent, &owner) {
                (_, None) => (
                    "unknown_sender",
                    ReplyText::UnknownSender,
                    "no customer or question for this number",
                ),
                (Intent::Stop, Some(cid)) => {
                    let c = self.customers.get_mut(cid).expect("owner exists");
                    if c.has_opted_out(Channel::Sms) {
                        return Ok(());
                    }
                    c.opted_out.push(Channel::Sms);
                    (
                        "opted_out",
                        ReplyText::OptedOut,
                        "opted out of SMS: later decisions skip SMS",
                    )
                }
                (Intent::Help, _) => ("help", ReplyText::Help, "asked for help"),
                (Intent::Other, _)
                    if self
                        .questions
                        .iter()
                        .any(|q| q.phone == sms.from.e164() && q.answer.is_none() && now < q.expires_at) =>
                {
                    (
                        "unrecognised",
                        ReplyText::Unrecognised,
                        "not an answer forewarn understands: no event",
                    )
                }
                _ => (
                    "no_open_question",
                    ReplyText::NoOpenQuestion,
                    "no open question for this number: no event",
                ),
            };
            return self.replied(sms, owner, outcome, text, vec![why.into()], now);
        };
        let yes = sms.intent == Intent::Yes;
        if let Some(x) = self.questions.iter_mut().find(|x| x.sort_key() == q.sort_key()) {
            x.answer = Some(Answer {
                intent: sms.intent.as_str().into(),
                at: now,
                inbound_message_id: sms.inbound_message_id.clone(),
            });
        }
        let kind = if yes {
            "TransactionConfirmed"
        } else {
            "TransactionDisputed"
        };
        let mut reasons = vec![format!(
            "answered {} to the question of event {}: {kind} put on the bus",
            if yes { "YES" } else { "NO" },
            q.event_id
        )];
        if self
            .pending
            .iter()
            .any(|p| p.reminder && p.event_id == q.event_id && p.customer_id == q.customer_id)
        {
            reasons.push("the pending reminder is cancelled".into());
        }
        let text = if yes { ReplyText::Confirmed } else { ReplyText::Disputed };
        self.replied(
            sms,
            Some(q.customer_id.clone()),
            if yes { "confirmed" } else { "disputed" },
            text,
            reasons,
            now,
        )?;
        let answer = crate::events::parse_event_value(serde_json::json!({
            "version": "0", "id": format!("{}-answer", sms.inbound_message_id), "detail-type": kind,
            "source": "forewarn", "time": now.to_string(),
            "detail": {"customer_id": q.customer_id, "transaction_id": q.transaction_id,
                       "answered_at": now.to_string(), "channel": "sms"}
        }));
        match answer {
            Ok(e) => self.handle(&e),
            Err(_) => Ok(()),
        }
    }

    fn replied(
        &mut self,
        sms: &InboundSms,
        customer_id: Option<Id>,
        outcome: &'static str,
        text: ReplyText,
        reasons: Vec<String>,
        at: Timestamp,
    ) -> Result<(), RenderError> {
        let locale = customer_id
            .as_ref()
            .and_then(|c| self.customers.get(c))
            .map_or("en", |c| c.locale.as_str());
        self.out.push(Record::Reply {
            reply_id: sms.inbound_message_id.clone(),
            customer_id: customer_id.map(|c| c.to_string()),
            from: sms.from.masked(),
            intent: sms.intent.as_str(),
            outcome,
            answer: reply_text(locale, text).to_owned(),
            reasons,
            at,
        });
        Ok(())
    }

    fn emit(&mut self, event_id: &Id, customer_id: &Id, at: Timestamp, deliveries: &[Delivery], reminder: bool) {
        let zone = self
            .customers
            .get(customer_id)
            .map(|c| c.zone.primary())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let local = at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
        for d in deliveries {
            let m = &d.message;
            if let (true, Destination::Phone(phone)) = (m.expects_reply, &d.to) {
                self.questions.push(Question {
                    phone: phone.e164().to_owned(),
                    customer_id: customer_id.clone(),
                    event_id: event_id.clone(),
                    subject: self
                        .history
                        .get(customer_id)
                        .and_then(|h| h.iter().find(|r| &r.event_id == event_id))
                        .map(|r| r.subject.clone())
                        .unwrap_or_default(),
                    transaction_id: String::new(),
                    asked_at: at,
                    expires_at: at + QUESTION_HOURS.hours(),
                    provider_message_id: None,
                    answer: None,
                });
                if let Some(q) = self.questions.last_mut() {
                    q.transaction_id = transaction_of(&q.subject).unwrap_or_default().to_owned();
                }
            }
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
                reminder,
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
