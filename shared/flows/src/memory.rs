//! In-memory adapters for every port: a store with the same conditional writes as the
//! table, a sender that records what it sent, a scheduler whose due schedules the caller
//! fires, and a bus that keeps what was put on it. The simulator and the flows' tests run on
//! these; they are single-threaded and never wait.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use forewarn_core::customer::{Channel, CustomerProfile, UnusableContact};
use forewarn_core::engine::{Destination, Engine};
use forewarn_core::events::Detail;
use forewarn_core::outcomes::{DispatchRequest, OutcomeEvent};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use jiff::Timestamp;

use crate::error::{FlowError, Port};
use crate::ports::{Activities, Bus, Claims, Deliveries, Overdue, Partitions, Resolutions, Scheduler, Sender};
use crate::records::{
    AnswerWindow, Claim, Commit, CommitResult, DeviceActivity, Finish, Partition, PartitionParts, Question, Resolution,
    SendResult, StoredDelivery, StoredMessage,
};
use crate::service::Service;
use crate::state;

mod context;
mod devices;
mod phones;

pub use context::{ContextMemory, MemoryEndpoint};

/// Runs a flow on in-memory ports, which never wait.
pub fn run_ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("in-memory ports never wait"),
    }
}

/// Counts down an injected fault; true if it fires now.
fn take_one(faults: &RefCell<usize>) -> bool {
    let mut n = faults.borrow_mut();
    let fire = *n > 0;
    *n = n.saturating_sub(1);
    fire
}

/// One message the in-memory sender accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    pub provider_message_id: String,
    pub to: Destination,
    pub message: StoredMessage,
    pub customer_id: Option<Id>,
}

/// Everything the in-memory adapters hold.
#[derive(Default)]
pub struct Memory {
    pub profiles: RefCell<Vec<CustomerProfile>>,
    pub opt_outs: RefCell<Vec<(Id, Channel)>>,
    /// `(customer, channel, reason)` of each opt-in (START).
    pub opt_ins: RefCell<Vec<(Id, Channel, String)>>,
    pub unusable: RefCell<Vec<(Id, UnusableContact)>>,
    /// `(customer, device, reason)`.
    pub disabled: RefCell<Vec<(Id, Id, String)>>,
    pub activity: RefCell<Vec<(Id, DeviceActivity)>>,
    pub rows: RefCell<Vec<StoredDelivery>>,
    pub claims: RefCell<Vec<(Id, Claim)>>,
    pub questions: RefCell<Vec<Question>>,
    /// Each number's counted automatic answers: `(e164, window)`.
    pub answers: RefCell<Vec<(String, AnswerWindow)>>,
    pub sent: RefCell<Vec<SentMessage>>,
    /// Masked destinations (or parts of them) the sender treats as unreachable.
    pub unreachable: RefCell<Vec<String>>,
    /// Whether the sender reports texts delivered, as End User Messaging SMS does (off: as
    /// SNS, and the simulator, which hears no receipts).
    pub sms_receipts: RefCell<bool>,
    /// How many of the next sends the provider throttles (a retryable error).
    pub throttle_sends: RefCell<usize>,
    /// How many of the next finishing writes fail, as if the process died before them.
    pub fail_finishes: RefCell<usize>,
    /// How many of the next `publish` calls fail (a retryable error).
    pub fail_publishes: RefCell<usize>,
    /// How many of the next schedule creations fail (a retryable error).
    pub fail_schedules: RefCell<usize>,
    pub schedules: RefCell<Vec<(Timestamp, DispatchRequest)>>,
    /// Each customer's resolutions.
    pub resolutions: RefCell<Vec<(Id, Resolution)>>,
    /// Each customer's decision count (`Partition::decisions`).
    pub decisions: RefCell<Vec<(Id, u64)>>,
    /// Runs once at the start of the next commit: another invocation's work landing between
    /// this one's read and its write.
    #[allow(clippy::type_complexity)]
    pub interleave: RefCell<Option<Box<dyn FnOnce()>>>,
    pub outcomes: RefCell<Vec<OutcomeEvent>>,
    /// forewarn's own business events, with when they happened.
    pub emitted: RefCell<Vec<(Detail, Timestamp)>>,
    /// What the context flow keeps beside the profiles: stamps, device states, erasures, endpoints.
    pub context: RefCell<ContextMemory>,
}

/// The flows wired to one shared in-memory state.
pub type MemoryService = Service<Rc<Memory>, Rc<Memory>, Rc<Memory>, Rc<Memory>>;

impl Memory {
    /// A state holding `profiles`, and the flows wired to it.
    pub fn service(engine: Engine, profiles: Vec<CustomerProfile>) -> (Rc<Memory>, MemoryService) {
        let memory = Rc::new(Memory {
            profiles: RefCell::new(profiles),
            ..Memory::default()
        });
        let service = Service::new(engine, memory.clone(), memory.clone(), memory.clone(), memory.clone());
        (memory, service)
    }

    /// Takes the earliest schedule due by `until`, if any.
    pub fn next_due(&self, until: Timestamp) -> Option<(Timestamp, DispatchRequest)> {
        let mut schedules = self.schedules.borrow_mut();
        let i = (0..schedules.len())
            .filter(|&i| schedules[i].0 <= until)
            .min_by_key(|&i| schedules[i].0)?;
        Some(schedules.remove(i))
    }

    fn parts(&self, customer_id: &Id) -> PartitionParts {
        let mut profile = self
            .profiles
            .borrow()
            .iter()
            .find(|p| &p.customer_id == customer_id)
            .cloned();
        let mut devices = profile
            .as_mut()
            .map(|p| std::mem::take(&mut p.devices))
            .unwrap_or_default();
        for (_, device, why) in self.disabled.borrow().iter().filter(|(c, ..)| c == customer_id) {
            for d in devices.iter_mut().filter(|d| &d.device_id == device) {
                d.disabled_reason = Some(why.clone());
            }
        }
        let mine = |c: &Id| c == customer_id;
        PartitionParts {
            profile,
            devices,
            opted_out: self
                .opt_outs
                .borrow()
                .iter()
                .filter(|(c, _)| mine(c))
                .map(|(_, ch)| *ch)
                .collect(),
            unusable: self
                .unusable
                .borrow()
                .iter()
                .filter(|(c, _)| mine(c))
                .map(|(_, u)| u.clone())
                .collect(),
            activity: self
                .activity
                .borrow()
                .iter()
                .filter(|(c, _)| mine(c))
                .map(|(_, a)| a.clone())
                .collect(),
            deliveries: self
                .rows
                .borrow()
                .iter()
                .filter(|r| mine(&r.customer_id))
                .cloned()
                .collect(),
            claim: None,
            opted_in: self
                .opt_ins
                .borrow()
                .iter()
                .filter(|(c, ..)| mine(c))
                .map(|(_, ch, why)| (*ch, why.clone()))
                .collect(),
            decisions: self.decisions_of(customer_id),
            resolutions: self
                .resolutions
                .borrow()
                .iter()
                .filter(|(c, _)| mine(c))
                .map(|(_, r)| r.clone())
                .collect(),
        }
    }

    fn decisions_of(&self, customer_id: &Id) -> u64 {
        let all = self.decisions.borrow();
        all.iter().find(|(c, _)| c == customer_id).map_or(0, |(_, n)| *n)
    }

    /// Writes questions, keeping an answer already recorded.
    fn upsert_questions(&self, asked: &[Question]) {
        let mut questions = self.questions.borrow_mut();
        for q in asked {
            match questions.iter_mut().find(|x| x.same(q)) {
                Some(x) => {
                    let answer = x.answer.take();
                    *x = q.clone();
                    x.answer = answer;
                }
                None => questions.push(q.clone()),
            }
        }
    }

    fn put_row(&self, row: &StoredDelivery) {
        let mut rows = self.rows.borrow_mut();
        rows.retain(|r| !r.is(&row.key()));
        rows.push(row.clone());
    }
}

impl Partitions for Rc<Memory> {
    async fn load(&self, customer_id: &Id, event_id: Option<&Id>) -> Result<Partition, FlowError> {
        let mut parts = self.parts(customer_id);
        parts.claim = event_id.and_then(|e| {
            self.claims
                .borrow()
                .iter()
                .find(|(c, claim)| c == customer_id && &claim.event_id == e)
                .map(|(_, claim)| claim.clone())
        });
        Ok(parts.assemble())
    }
}

impl Claims for Rc<Memory> {
    async fn commit(&self, c: &Commit) -> Result<CommitResult, FlowError> {
        state::check_commit(c)?;
        let interleave = self.interleave.borrow_mut().take();
        if let Some(other) = interleave {
            other();
        }
        let still_scheduled = |x: &StoredDelivery| {
            self.rows
                .borrow()
                .iter()
                .any(|r| r.is(&x.key()) && r.record.status == DeliveryStatus::Scheduled)
        };
        let claimed = self.claims.borrow().iter().any(|(cid, x)| {
            cid == &c.customer_id && x.event_id == c.claim.event_id && (x.completed || !c.takes_over())
        });
        if claimed {
            return Ok(CommitResult::AlreadyClaimed);
        }
        let moved_on = c.decisions.is_some_and(|n| n != self.decisions_of(&c.customer_id));
        if moved_on || !c.cancel.iter().all(still_scheduled) {
            return Ok(CommitResult::Conflict);
        }
        if let Some(n) = c.decisions {
            let mut all = self.decisions.borrow_mut();
            all.retain(|(cid, _)| cid != &c.customer_id);
            all.push((c.customer_id.clone(), n + 1));
        }
        {
            let mut claims = self.claims.borrow_mut();
            let same = |(cid, x): &(Id, Claim)| cid == &c.customer_id && x.event_id == c.claim.event_id;
            match claims.iter().position(same) {
                Some(i) if c.takes_over() && !claims[i].1.completed => claims[i].1 = c.claim.clone(),
                Some(_) => return Ok(CommitResult::AlreadyClaimed),
                None => claims.push((c.customer_id.clone(), c.claim.clone())),
            }
        }
        for row in c.new_rows.iter().chain(&c.cancel) {
            self.put_row(row);
        }
        self.upsert_questions(&c.questions);
        Ok(CommitResult::Committed)
    }

    async fn finish(&self, f: &Finish) -> Result<(), FlowError> {
        state::check_finish(f)?;
        if take_one(&self.fail_finishes) {
            return Err(FlowError::transient(
                Port::Dynamodb,
                "the finishing write failed (injected)",
            ));
        }
        if let (Some(cid), Some(claim)) = (&f.customer_id, &f.claim) {
            let mut claims = self.claims.borrow_mut();
            claims.retain(|(c, x)| !(c == cid && x.event_id == claim.event_id));
            claims.push((cid.clone(), claim.clone()));
        }
        for row in &f.rows {
            self.put_row(row);
        }
        self.upsert_questions(&f.questions);
        if let Some(cid) = &f.customer_id {
            let mut disabled = self.disabled.borrow_mut();
            disabled.extend(
                f.disabled_devices
                    .iter()
                    .map(|(d, why)| (cid.clone(), d.clone(), why.clone())),
            );
        }
        Ok(())
    }
}

impl Deliveries for Rc<Memory> {
    async fn delivery(&self, key: &DispatchRequest) -> Result<Option<StoredDelivery>, FlowError> {
        Ok(self.rows.borrow().iter().find(|r| r.is(key)).cloned())
    }

    async fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> Result<bool, FlowError> {
        state::check_move(from, row.record.status)?;
        let mut rows = self.rows.borrow_mut();
        let holds = |r: &StoredDelivery| from != DeliveryStatus::Sending || r.attempt == row.attempt;
        match rows
            .iter_mut()
            .find(|r| r.is(&row.key()) && r.record.status == from && holds(r))
        {
            Some(r) => {
                *r = row.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn insert(&self, row: &StoredDelivery) -> Result<bool, FlowError> {
        state::check_new(row.record.status)?;
        let mut rows = self.rows.borrow_mut();
        if rows.iter().any(|r| r.is(&row.key())) {
            return Ok(false);
        }
        rows.push(row.clone());
        Ok(true)
    }

    async fn take(&self, row: &StoredDelivery, now: Timestamp) -> Result<bool, FlowError> {
        state::check_take(row.record.status)?;
        let mut rows = self.rows.borrow_mut();
        match rows.iter_mut().find(|r| r.is(&row.key()) && state::takeable(r, now)) {
            Some(r) => {
                *r = row.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl Overdue for Rc<Memory> {
    async fn overdue(&self, before: Timestamp, limit: usize) -> Result<Vec<StoredDelivery>, FlowError> {
        let mut rows: Vec<StoredDelivery> = self
            .rows
            .borrow()
            .iter()
            .filter(|r| (r.record.is_pending() || r.unreported) && r.record.send_at < before)
            .cloned()
            .collect();
        rows.sort_by_key(|r| r.record.send_at);
        rows.truncate(limit);
        Ok(rows)
    }
}

impl Resolutions for Rc<Memory> {
    async fn resolved(&self, customer_id: &Id, r: &Resolution) -> Result<(), FlowError> {
        let mut all = self.resolutions.borrow_mut();
        let same = |(c, x): &(Id, Resolution)| c == customer_id && x.subject == r.subject;
        if all.iter().any(|x| same(x) && x.1.at >= r.at) {
            return Ok(());
        }
        all.retain(|x| !same(x));
        all.push((customer_id.clone(), r.clone()));
        Ok(())
    }
}

impl Activities for Rc<Memory> {
    async fn save_activity(
        &self,
        customer_id: &Id,
        a: &DeviceActivity,
        previous: Option<u32>,
    ) -> Result<bool, FlowError> {
        let mut all = self.activity.borrow_mut();
        let current = all
            .iter()
            .position(|(c, d)| c == customer_id && d.device_id == a.device_id);
        if current.map(|i| all[i].1.habits.sessions) != previous {
            return Ok(false);
        }
        if let Some(i) = current {
            all.remove(i);
        }
        all.push((customer_id.clone(), a.clone()));
        Ok(true)
    }
}

impl Sender for Rc<Memory> {
    async fn send(&self, to: &Destination, m: &StoredMessage, customer: Option<&Id>) -> Result<SendResult, FlowError> {
        let masked = to.masked();
        if take_one(&self.throttle_sends) {
            return Err(FlowError::transient(Port::Sns, "Throttling: rate exceeded"));
        }
        if self.unreachable.borrow().iter().any(|u| masked.contains(u.as_str())) {
            return Ok(SendResult::Unreachable("disabled".into()));
        }
        let mut sent = self.sent.borrow_mut();
        let provider_message_id = format!("m-{}", sent.len() + 1);
        sent.push(SentMessage {
            provider_message_id: provider_message_id.clone(),
            to: to.clone(),
            message: m.clone(),
            customer_id: customer.cloned(),
        });
        Ok(SendResult::Sent { provider_message_id })
    }

    fn reports_delivery(&self, channel: Channel) -> bool {
        channel == Channel::Sms && *self.sms_receipts.borrow()
    }
}

impl Scheduler for Rc<Memory> {
    async fn create(&self, at: Timestamp, request: &DispatchRequest) -> Result<(), FlowError> {
        if take_one(&self.fail_schedules) {
            return Err(FlowError::transient(
                Port::Scheduler,
                "CreateSchedule failed (injected)",
            ));
        }
        let mut schedules = self.schedules.borrow_mut();
        if !schedules.iter().any(|(_, r)| r == request) {
            schedules.push((at, request.clone()));
        }
        Ok(())
    }

    async fn delete(&self, request: &DispatchRequest) -> Result<(), FlowError> {
        self.schedules.borrow_mut().retain(|(_, r)| r != request);
        Ok(())
    }
}

impl Bus for Rc<Memory> {
    async fn publish(&self, outcomes: &[OutcomeEvent]) -> Result<(), FlowError> {
        if take_one(&self.fail_publishes) {
            return Err(FlowError::transient(
                Port::EventBridge,
                "injected: the process died before PutEvents",
            ));
        }
        self.outcomes.borrow_mut().extend(outcomes.iter().cloned());
        Ok(())
    }

    async fn emit(&self, detail: &Detail, at: Timestamp) -> Result<(), FlowError> {
        self.emitted.borrow_mut().push((detail.clone(), at));
        Ok(())
    }
}
