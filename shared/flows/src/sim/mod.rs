//! The simulator: the production flows on the in-memory adapters and a virtual clock. It
//! only orders the inputs, fires due schedules, routes forewarn's own events back as
//! EventBridge would, and turns what the flows did into timeline lines.

mod input;
mod record;

use std::collections::HashSet;
use std::rc::Rc;

use forewarn_core::conversation::InboundSms;
use forewarn_core::customer::{Customer, CustomerProfile};
use forewarn_core::engine::{Destination, Engine};
use forewarn_core::events::{Detail, Event};
use forewarn_core::outcomes::{Outcome, OutcomeEvent, OutcomeType};
use forewarn_core::policy::classify;
use forewarn_core::types::{Id, Instant, Text};
use jiff::Timestamp;

pub use input::{INBOUND_SMS, Input};
pub use record::{Record, display_zone};

use crate::memory::{Memory, MemoryService, run_ready};
use crate::report::Report;

/// The production flows on one in-memory state, with the lines they produced so far.
pub struct Simulator {
    memory: Rc<Memory>,
    service: MemoryService,
    customers: Vec<Customer>,
    out: Vec<Record>,
    /// How many outcome events and emitted events were already turned into lines.
    outcomes_seen: usize,
    emitted_seen: usize,
    /// The messages (by provider message id) and cancelled deliveries already shown: a
    /// duplicate event puts its outcome events again, but nothing more reached the customer.
    shown: HashSet<String>,
}

impl Simulator {
    /// A simulator whose store holds `profiles`.
    pub fn new(engine: Engine, profiles: Vec<CustomerProfile>) -> Simulator {
        let customers = profiles.iter().filter_map(|p| Customer::from_profile(p).ok()).collect();
        let (memory, service) = Memory::service(engine, profiles);
        Simulator {
            memory,
            service,
            customers,
            out: Vec::new(),
            outcomes_seen: 0,
            emitted_seen: 0,
            shown: HashSet::new(),
        }
    }

    /// Runs every input in order of envelope time (stable for equal times), then fires
    /// whatever is still scheduled. Inputs without a readable time go first.
    pub fn run(self, inputs: Vec<Input>) -> Vec<Record> {
        self.run_with_customers(inputs).0
    }

    /// [`Simulator::run`], with every customer the run knew: the profiles it started with and
    /// those context events created, each as last seen (an erased one as before its erasure),
    /// so a timeline can show each in their own time zone.
    pub fn run_with_customers(mut self, mut inputs: Vec<Input>) -> (Vec<Record>, Vec<Customer>) {
        inputs.sort_by_key(|i| i.time().unwrap_or(Timestamp::MIN));
        for input in inputs {
            let at = input.time().unwrap_or(Timestamp::MIN);
            self.advance(at);
            match input {
                Input::Event(e) => self.event(&e),
                Input::Reply { time, sms } => self.reply(&sms, time),
                Input::Rejected {
                    event_id,
                    detail_type,
                    customer_id,
                    error,
                    ..
                } => self.out.push(Record::Decision {
                    event_id,
                    detail_type,
                    customer_id,
                    outcome: Outcome::Rejected.as_str(),
                    send_at: None,
                    channels: vec![],
                    reasons: vec![format!("rejected: {error}")],
                    at,
                }),
            }
        }
        self.advance(Timestamp::MAX);
        (self.out, self.customers)
    }

    /// Moves the virtual clock to `now`: every schedule due by then fires dispatch at its time.
    fn advance(&mut self, now: Timestamp) {
        while let Some((at, request)) = self.memory.next_due(now) {
            // A dispatch that fails is retried by Scheduler in production; here its outcome
            // events (or none) are the record.
            let _ = run_ready(self.service.dispatch(&request, at));
            self.collect(at);
        }
    }

    /// A business event through the flow its function runs.
    fn event(&mut self, event: &Event) {
        let now = event.time.0;
        let result = if matches!(event.detail, Detail::CustomerActivity(_)) {
            run_ready(self.service.activity(event, now))
        } else if matches!(event.detail, Detail::Context(_)) {
            let r = run_ready(self.service.context(event, now));
            self.reread(event.detail.customer_id());
            r
        } else if classify(event.detail_type()).is_some() {
            run_ready(self.service.notify(event, now))
        } else {
            run_ready(self.service.resolve(event, now))
        };
        let report = result.unwrap_or_else(|e| Report::of(Outcome::Rejected, vec![format!("failed: {e}")]));
        self.out.push(Record::Decision {
            event_id: Some(event.id.to_string()),
            detail_type: Some(event.detail_type().to_string()),
            customer_id: Some(event.detail.customer_id().to_string()),
            outcome: report.outcome.as_str(),
            send_at: report.send_at,
            channels: report.channels.iter().map(|c| c.as_str()).collect(),
            reasons: report.reasons,
            at: now,
        });
        self.collect(now);
        self.route_emitted();
    }

    /// Reads a customer again after a context event changed them, for the zone their lines are shown in.
    /// A customer erased keeps their last known self here: their earlier lines still read in
    /// their own zone.
    fn reread(&mut self, customer_id: &Id) {
        let profiles = self.memory.profiles.borrow();
        if let Some(c) = profiles
            .iter()
            .find(|p| &p.customer_id == customer_id)
            .and_then(|p| Customer::from_profile(p).ok())
        {
            self.customers.retain(|c| &c.id != customer_id);
            self.customers.push(c);
        }
    }

    /// An inbound SMS through the reply flow.
    fn reply(&mut self, sms: &InboundSms, now: Timestamp) {
        let before = self.memory.sent.borrow().len();
        let report = run_ready(self.service.reply(sms, now))
            .unwrap_or_else(|e| Report::of(Outcome::Rejected, vec![format!("failed: {e}")]));
        // The answer back: what this reply sent to the number it came from.
        let to = Destination::Phone(sms.from.clone());
        let answer = self.memory.sent.borrow()[before..]
            .iter()
            .find(|m| m.to == to)
            .map(|m| m.message.body.clone());
        self.out.push(Record::Reply {
            reply_id: sms.inbound_message_id.clone(),
            customer_id: report.customer_id.as_ref().map(Id::to_string),
            from: sms.from.masked(),
            intent: sms.intent.as_str(),
            outcome: report.outcome.as_str(),
            answer,
            reasons: report.reasons,
            at: now,
        });
        self.collect(now);
        self.route_emitted();
    }

    /// forewarn's own events (e.g. `TransactionConfirmed` from a reply) reach the resolve
    /// flow, as the stack's rule routes them.
    fn route_emitted(&mut self) {
        loop {
            let emitted: Vec<(Detail, Timestamp)> = self.memory.emitted.borrow()[self.emitted_seen..].to_vec();
            if emitted.is_empty() {
                return;
            }
            self.emitted_seen += emitted.len();
            for (i, (detail, at)) in emitted.into_iter().enumerate() {
                let id = match &detail {
                    Detail::TransactionConfirmed(a) | Detail::TransactionDisputed(a) => {
                        a.reply_id.as_ref().map(|r| format!("{r}-answer"))
                    }
                    _ => None,
                }
                .unwrap_or_else(|| format!("forewarn-{}-{i}", self.emitted_seen));
                let Ok(id) = Id::parse(id.as_str()) else { continue };
                let event = Event {
                    id,
                    source: Text::parse("forewarn").expect("a valid source"),
                    time: Instant(at),
                    account: None,
                    region: None,
                    resources: vec![],
                    detail,
                    json: Default::default(),
                };
                self.event(&event);
            }
        }
    }

    /// Outcome events put on the bus since the last look.
    fn new_outcomes(&self) -> Vec<OutcomeEvent> {
        self.memory.outcomes.borrow()[self.outcomes_seen..].to_vec()
    }

    /// Turns the new outcome events into delivery and cancellation lines: one per message the
    /// provider took and one per delivery cancelled, however often its outcome event is put.
    fn collect(&mut self, now: Timestamp) {
        let outcomes = self.new_outcomes();
        self.outcomes_seen += outcomes.len();
        for o in outcomes {
            if !self.shown.insert(shown_key(&o)) {
                continue;
            }
            match o.detail_type {
                OutcomeType::NotificationSent => {
                    if let Some(line) = self.delivery(&o, now) {
                        self.out.push(line);
                    }
                }
                OutcomeType::NotificationCancelled => self.out.push(Record::Cancelled {
                    event_id: o.event_id.clone(),
                    customer_id: o.customer_id.clone(),
                    by_event_id: o.by_event_id.clone(),
                    reason: o.reasons.last().cloned().unwrap_or_default(),
                    at: now,
                }),
                _ => {}
            }
        }
    }

    /// The delivery line of a `NotificationSent`, with the words the sender accepted.
    fn delivery(&self, o: &OutcomeEvent, at: Timestamp) -> Option<Record> {
        let sent = self.memory.sent.borrow();
        let m = sent
            .iter()
            .find(|m| Some(m.provider_message_id.as_str()) == o.provider_message_id.as_deref())?;
        let customer = self.customers.iter().find(|c| c.id.as_str() == o.customer_id);
        let (zone, _) = display_zone(customer);
        Some(Record::Delivery {
            event_id: o.event_id.clone(),
            customer_id: o.customer_id.clone(),
            channel: o.channel?.as_str(),
            device_id: o.device_id.clone(),
            sent_at: at,
            local_time: at.to_zoned(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            to: m.to.masked(),
            subject: m.message.subject.clone().or_else(|| m.message.title.clone()),
            body: m.message.body.clone(),
            expects_reply: m.message.expects_reply,
            reminder: o.reminder,
            intrusion: m.message.intrusion,
        })
    }
}

/// What a line shows once: the message the provider took, or the delivery row cancelled.
fn shown_key(o: &OutcomeEvent) -> String {
    match (&o.detail_type, &o.provider_message_id) {
        (OutcomeType::NotificationSent, Some(id)) => format!("sent {id}"),
        _ => format!(
            "{} {} {} {} {}",
            o.detail_type.as_str(),
            o.event_id,
            o.channel.map(|c| c.as_str()).unwrap_or("-"),
            o.device_id.as_deref().unwrap_or("-"),
            o.reminder
        ),
    }
}
