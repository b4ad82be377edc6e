//! The narrow ports the flows run on, one per capability, so each flow (and each Lambda
//! function) needs only the adapters it uses. Implemented by the AWS adapters and by `memory`.

use forewarn_core::customer::{Channel, DeviceProfile, PhoneNumber, UnusableContact};
use forewarn_core::engine::Destination;
use forewarn_core::events::{Detail, PushPlatform, PushToken};
use forewarn_core::outcomes::{DispatchRequest, OutcomeEvent};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use jiff::Timestamp;

use crate::error::{FlowError, Port};
use crate::records::{
    AnswerCount, Commit, CommitResult, DeviceActivity, Finish, Partition, PhoneBook, Question, Resolution, SendResult,
    StoredDelivery, StoredMessage,
};
use crate::stamped::{DeviceState, Erasure, Stamp, StampedProfile, StoredContext};

/// Reads a customer's partition.
pub trait Partitions {
    /// One read: profile, devices, deliveries, learned habits and, if asked, this event's claim.
    fn load(&self, customer_id: &Id, event_id: Option<&Id>) -> impl Future<Output = Result<Partition, FlowError>>;
}

/// Idempotency claims, written together with the rows they decide.
pub trait Claims {
    /// One write: the claim and the decision's rows, or `AlreadyClaimed`.
    fn commit(&self, commit: &Commit) -> impl Future<Output = Result<CommitResult, FlowError>>;
    /// One write after the effects: the claim completed, rows final, questions and disabled devices.
    fn finish(&self, finish: &Finish) -> impl Future<Output = Result<(), FlowError>>;
}

/// Delivery rows one at a time, with conditional state changes.
pub trait Deliveries {
    /// The row a schedule names.
    fn delivery(&self, key: &DispatchRequest) -> impl Future<Output = Result<Option<StoredDelivery>, FlowError>>;
    /// Moves a row from `from` to `row.record.status` if it is still in `from` (and, out of
    /// `sending`, still at `row.attempt`); false otherwise.
    fn transition(&self, row: &StoredDelivery, from: DeliveryStatus) -> impl Future<Output = Result<bool, FlowError>>;
    /// Writes `row`, taken for sending (`state::taken`), if the stored row is `scheduled`, or
    /// `sending` under a lease that ran out before `now`; false otherwise.
    fn take(&self, row: &StoredDelivery, now: Timestamp) -> impl Future<Output = Result<bool, FlowError>>;
    /// Writes a new row (a failover decided after the claim) unless one with its key exists;
    /// false if it does.
    fn insert(&self, row: &StoredDelivery) -> impl Future<Output = Result<bool, FlowError>>;
}

/// Rows across customers still pending long after their time: what the sweep reads.
pub trait Overdue {
    /// Up to `limit` rows still `scheduled` or `sending` whose time is before `before`,
    /// oldest first; a row may have moved on since (the read may lag the writes).
    fn overdue(&self, before: Timestamp, limit: usize) -> impl Future<Output = Result<Vec<StoredDelivery>, FlowError>>;
}

/// Resolutions, kept so a notice that arrives after its resolution is not sent.
pub trait Resolutions {
    /// Records `resolution` unless one at least as recent is kept for its subject.
    fn resolved(&self, customer_id: &Id, resolution: &Resolution) -> impl Future<Output = Result<(), FlowError>>;
}

/// What is kept under a phone number: who has it, and the questions sent to it.
pub trait Phones {
    /// One read: the customers with this phone number and the questions sent to it.
    fn phone_book(&self, phone: &PhoneNumber) -> impl Future<Output = Result<PhoneBook, FlowError>>;
    /// Records `question.answer` unless another answer is there already; true if this one counts.
    fn answer(&self, question: &Question) -> impl Future<Output = Result<bool, FlowError>>;
    /// Counts one automatic answer of `count` to `phone`, for the inbound message `by`, if the
    /// number got fewer than `limit` in its current window (`ANSWER_WINDOW_HOURS` from the
    /// first answer in it; a new one begins with the next answer after it ends). One
    /// conditional write, so concurrent replies cannot both pass; false, nothing counted, if over.
    fn count_answer(
        &self,
        phone: &PhoneNumber,
        count: AnswerCount,
        by: &str,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<bool, FlowError>>;
}

/// What the customer or the providers said about the customer's contacts.
pub trait Contacts {
    /// Records an opt-out; true if it is new.
    fn opt_out(
        &self,
        customer_id: &Id,
        channel: Channel,
        reason: &str,
    ) -> impl Future<Output = Result<bool, FlowError>>;
    /// Lifts the opt-out recorded for `channel` (the customer sent START) and records the
    /// opt-in with `reason`; true if there was an opt-out to lift.
    fn opt_in(&self, customer_id: &Id, channel: Channel, reason: &str)
    -> impl Future<Output = Result<bool, FlowError>>;
    /// Marks an address unusable for later decisions.
    fn suppress_contact(
        &self,
        customer_id: &Id,
        contact: &UnusableContact,
    ) -> impl Future<Output = Result<(), FlowError>>;
}

/// Each device's learned habits.
pub trait Activities {
    /// Saves a device's habits if nobody saved since `previous_sessions` was read; false otherwise.
    fn save_activity(
        &self,
        customer_id: &Id,
        activity: &DeviceActivity,
        previous_sessions: Option<u32>,
    ) -> impl Future<Output = Result<bool, FlowError>>;
}

/// SMS, push and email providers.
pub trait Sender {
    /// Sends one message; `customer` tags it so delivery feedback finds its way back.
    fn send(
        &self,
        to: &Destination,
        message: &StoredMessage,
        customer: Option<&Id>,
    ) -> impl Future<Output = Result<SendResult, FlowError>>;

    /// Whether the provider reports back when a message on `channel` reached the device
    /// (End User Messaging SMS does for texts; SNS's SMS does not): only then does a critical
    /// text await its receipt (`receipt`).
    fn reports_delivery(&self, channel: Channel) -> bool {
        let _ = channel;
        false
    }

    /// The service that carries `channel`, as the `ProviderErrors` metric names it: SES for
    /// email, SNS for push and (unless the adapter says End User Messaging SMS) texts.
    fn provider(&self, channel: Channel) -> Port {
        match channel {
            Channel::Email => Port::Ses,
            Channel::Sms | Channel::Push => Port::Sns,
        }
    }
}

/// One-time schedules that invoke dispatch.
pub trait Scheduler {
    /// Invokes dispatch with `request` at `at`; an existing schedule for it counts as created.
    fn create(&self, at: Timestamp, request: &DispatchRequest) -> impl Future<Output = Result<(), FlowError>>;
    /// Deletes the schedule of `request`; a missing one counts as deleted.
    fn delete(&self, request: &DispatchRequest) -> impl Future<Output = Result<(), FlowError>>;
}

/// The event bus.
pub trait Bus {
    /// Puts every outcome on the bus, retrying or failing on any entry that did not go.
    fn publish(&self, outcomes: &[OutcomeEvent]) -> impl Future<Output = Result<(), FlowError>>;
    /// Puts one business event of forewarn's own (source `forewarn`) that happened at `at`,
    /// e.g. `TransactionConfirmed`.
    fn emit(&self, detail: &Detail, at: Timestamp) -> impl Future<Output = Result<(), FlowError>>;
}

/// The customer's context as the context flow keeps it: stamped profile fields, device
/// registrations and the marker an erasure leaves. Every write is conditional.
pub trait ContextStore {
    /// One read: the stamped profile and its revision, the devices' states, the erasure marker.
    fn context(&self, customer_id: &Id) -> impl Future<Output = Result<StoredContext, FlowError>>;
    /// Writes `profile` if the stored profile's revision is still `expected` (none: no
    /// profile stored); false otherwise.
    fn save_profile(
        &self,
        customer_id: &Id,
        profile: &StampedProfile,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<bool, FlowError>>;
    /// Writes `device`'s state, the device as notify reads it (or its removal) and the index
    /// of its token, if the stored state's stamp is still `expected` (none: no state stored);
    /// false otherwise. A new registration clears what feedback learned of the device.
    fn save_device(
        &self,
        customer_id: &Id,
        device: &DeviceState,
        expected: Option<&Stamp>,
    ) -> impl Future<Output = Result<bool, FlowError>>;
    /// The customer and device whose registration holds `token` on `platform`, if any.
    fn token_owner(
        &self,
        platform: PushPlatform,
        token: &PushToken,
    ) -> impl Future<Output = Result<Option<(Id, Id)>, FlowError>>;
    /// Removes every item of the customer (profile, devices, rows, claims, habits, opt-outs,
    /// resolutions, their phone number's link and questions) and keeps `erasure`, unless a
    /// marker at least as new is kept: then nothing is removed and the answer is `None`.
    fn erase(
        &self,
        customer_id: &Id,
        erasure: &Erasure,
    ) -> impl Future<Output = Result<Option<std::collections::BTreeMap<String, usize>>, FlowError>>;
}

/// SNS platform endpoints on the stack's platform applications.
pub trait Endpoints {
    /// The endpoint of `token` on `platform`'s application: created if there is none, enabled
    /// and holding this token. The same token always gives the same endpoint.
    fn register(
        &self,
        platform: PushPlatform,
        token: &PushToken,
        customer_id: &Id,
    ) -> impl Future<Output = Result<String, FlowError>>;
    /// Deletes an endpoint no device uses any more; a missing one counts as deleted.
    fn retire(&self, endpoint: &str) -> impl Future<Output = Result<(), FlowError>>;
}

/// Devices found by the SNS platform endpoint they hold, for what SNS says about an endpoint.
pub trait PushDevices {
    /// The customer and device whose push endpoint is `endpoint`, if any.
    fn endpoint_owner(&self, endpoint: &str) -> impl Future<Output = Result<Option<(Id, Id)>, FlowError>>;
    /// Marks `device_id` unusable for `reason` if it still holds `endpoint`; false if it no
    /// longer does (re-registered on another endpoint, or removed).
    fn disable_device(
        &self,
        customer_id: &Id,
        device_id: &Id,
        endpoint: &str,
        reason: &str,
    ) -> impl Future<Output = Result<bool, FlowError>>;
}

/// The devices a customer file lists, written beside the profile by `import`.
pub trait ImportedDevices {
    /// Writes `device` as the file gives it, unless it was marked unusable since it was read;
    /// false then.
    fn put_device(&self, customer_id: &Id, device: &DeviceProfile) -> impl Future<Output = Result<bool, FlowError>>;
    /// Removes a device an earlier import wrote and the file no longer lists.
    fn delete_device(&self, customer_id: &Id, device_id: &Id) -> impl Future<Output = Result<(), FlowError>>;
}
