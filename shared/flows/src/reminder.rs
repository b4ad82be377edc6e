//! What sending teaches and what a question leads to: the escalation reminder of an
//! unanswered fraud alert, the questions sent rows asked, and devices that stopped receiving.

use forewarn_core::conversation::reminder_prefix;
use forewarn_core::customer::{Channel, Customer};
use forewarn_core::engine::{Destination, Engine};
use forewarn_core::events::{Detail, Event};
use forewarn_core::messages::safe::{self, Placeholders, neutralise};
use forewarn_core::messages::{Message, RenderError, brand};
use forewarn_core::policy::DeliveryStatus;
use forewarn_core::types::Id;
use jiff::{Timestamp, ToSpan};

use crate::error::FlowError;
use crate::records::{Address, QUESTION_HOURS, Question, StoredDelivery, StoredMessage};
use crate::service::Service;

/// Where a reminder goes: push if the SMS went out, otherwise SMS, then email.
pub fn reminder_channel(customer: &Customer, sms_sent: bool) -> Option<(Channel, Option<Id>, Destination)> {
    let order: &[Channel] = if sms_sent {
        &[Channel::Push, Channel::Email]
    } else {
        &[Channel::Sms, Channel::Email]
    };
    order.iter().find_map(|&ch| {
        if customer.has_opted_out(ch) {
            return None;
        }
        // Push goes to the device most likely at hand: glanceable, then the one seen last.
        let device = match ch {
            Channel::Push => Some(
                &customer
                    .devices
                    .iter()
                    .filter(|d| d.pushable())
                    .max_by_key(|d| (d.kind.is_glanceable(), d.last_seen))?
                    .id,
            ),
            Channel::Sms | Channel::Email => None,
        };
        let to = customer.destination(ch, device)?;
        Some((ch, device.cloned(), to))
    })
}

/// The alert worded again for `channel`, marked as a reminder.
pub fn reminder_message(
    engine: &Engine,
    event: &Event,
    customer: &Customer,
    channel: Channel,
) -> Result<Message, RenderError> {
    let mut message = engine.render(event, customer, channel)?;
    let prefix = reminder_prefix(&customer.locale);
    // After the bank's name that starts an SMS: "Example Bank: Reminder: …".
    let bank = brand::sms_prefix();
    message.body = match message.body.strip_prefix(&bank) {
        Some(rest) if channel == Channel::Sms => format!("{bank}{prefix}{rest}"),
        _ => format!("{prefix}{}", message.body),
    };
    message.subject = message.subject.map(|s| format!("{prefix}{s}"));
    message.title = message.title.map(|s| format!("{prefix}{s}"));
    Ok(message)
}

impl<St, Se, Sc, B> Service<St, Se, Sc, B> {
    /// The reminder row for a critical alert that asks for an answer, if one is due.
    pub(crate) fn reminder_row(
        &self,
        event: &Event,
        customer: &Customer,
        done: &[StoredDelivery],
        now: Timestamp,
    ) -> Result<Option<StoredDelivery>, FlowError> {
        if !matches!(event.detail, Detail::SuspiciousTransaction(_)) {
            return Ok(None);
        }
        let sent: Vec<&StoredDelivery> = done
            .iter()
            .filter(|r| r.record.status == DeliveryStatus::Sent)
            .collect();
        let Some(first) = sent.first() else { return Ok(None) };
        let sms_sent = sent.iter().any(|r| r.record.channel == Channel::Sms);
        let Some((channel, device_id, to)) = reminder_channel(customer, sms_sent) else {
            return Ok(None);
        };
        let message =
            reminder_message(&self.engine, event, customer, channel).map_err(|e| FlowError::Render(e.to_string()))?;
        let minutes = self.engine.policy.reminder_minutes;
        let mut row = (*first).clone();
        row.record.channel = channel;
        row.record.status = DeliveryStatus::Scheduled;
        row.record.send_at = now + minutes.minutes();
        row.record.expects_reply = message.expects_reply;
        row.device_id = device_id;
        row.address = Address::from_destination(&to);
        row.message = StoredMessage {
            about: first.message.about.clone(),
            ..StoredMessage::from(&message)
        };
        row.provider_message_id = None;
        row.failure = None;
        row.reminder = true;
        row.reasons = vec![format!(
            "reminder on {channel} in {minutes} min unless the customer answers first (push if the SMS went out, otherwise SMS, then email)"
        )];
        Ok(Some(row))
    }
}

/// What a fraud alert's question is about, in a few words: the merchant (at most 24
/// characters, its links and phone numbers replaced in the message's `language`, since the
/// question listing shows it in an SMS) and the amount, e.g. `Shop 12.00 EUR`. Kept only in
/// the store, never logged.
pub fn about_of(event: &Event, language: &str) -> Option<String> {
    let words = Placeholders::for_locale(language);
    match &event.detail {
        Detail::SuspiciousTransaction(t) => Some(format!(
            "{} {} {}",
            safe::cut(&neutralise(t.merchant.name.as_str(), words), 24, words).trim(),
            t.amount.amount.as_str(),
            t.amount.currency.as_str()
        )),
        _ => None,
    }
}

/// The transaction a question is about, from the subject `transaction:<id>`.
pub fn transaction_of(subject: &str) -> Option<&str> {
    subject.strip_prefix("transaction:")
}

/// The question an SMS row asks, if it asks one: open from before it is sent, with the
/// provider's id once it went out, closed at once when it did not go out.
pub fn question_of(r: &StoredDelivery) -> Option<Question> {
    if r.record.channel != Channel::Sms || !r.message.expects_reply {
        return None;
    }
    let Address::Phone(phone) = &r.address else { return None };
    Some(Question {
        phone: phone.clone(),
        customer_id: r.customer_id.clone(),
        event_id: r.record.event_id.clone(),
        subject: r.record.subject.to_string(),
        transaction_id: transaction_of(r.record.subject.as_str())?.to_owned(),
        asked_at: r.record.send_at,
        expires_at: match r.record.status {
            DeliveryStatus::Failed | DeliveryStatus::Cancelled | DeliveryStatus::Expired => r.record.send_at,
            _ => r.record.send_at + QUESTION_HOURS.hours(),
        },
        provider_message_id: r.provider_message_id.clone(),
        answer: None,
        about: r.message.about.clone(),
    })
}

/// The questions rows ask, for the reply flow to match answers to.
pub fn questions_of(rows: &[StoredDelivery]) -> Vec<Question> {
    rows.iter().filter_map(question_of).collect()
}

/// Push devices that turned out unable to receive, with why: `(device_id, reason)`.
pub fn disabled_of(rows: &[StoredDelivery]) -> Vec<(Id, String)> {
    rows.iter()
        .filter(|r| r.record.channel == Channel::Push && r.record.status == DeliveryStatus::Failed)
        // A disabled platform application (an expired certificate) is not the device's fault.
        .filter(|r| !r.failure.as_deref().is_some_and(|f| f.contains("platform application")))
        .filter_map(|r| {
            Some((
                r.device_id.clone()?,
                r.failure.clone().unwrap_or_else(|| "push unreachable".into()),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use forewarn_core::events::parse_event_value;

    fn fraud_at(merchant: &str) -> Event {
        parse_event_value(
            serde_json::json!({"version": "0", "id": "e-1", "detail-type": "SuspiciousTransaction",
            "source": "bank.cards", "time": "2026-11-22T10:00:00Z", "detail": {"customer_id": "c-1",
            "transaction_id": "t-1", "account_id": "a-1", "amount": {"amount": "12.00", "currency": "EUR"},
            "merchant": {"name": merchant, "city": "Lisboa", "country": "PT"},
            "occurred_at": "2026-11-22T09:58:00Z"}}),
        )
        .unwrap()
    }

    #[test]
    fn a_question_names_its_merchant_without_links_or_phone_numbers_in_the_customers_language() {
        let about = |merchant: &str, language: &str| about_of(&fraud_at(merchant), language).unwrap();
        assert_eq!(about("Café Lisboa", "en"), "Café Lisboa 12.00 EUR");
        assert_eq!(about("Call 800 555 0100", "en"), "Call [number removed] 12.00 EUR");
        assert_eq!(about("Ligue 800 555 0100", "pt"), "Ligue [número removido] 12.00 EUR");
        assert_eq!(
            about("Refunds evil.example/pay", "en"),
            "Refunds [link removed] 12.00 EUR"
        );
        // A placeholder that would be cut at 24 characters is left out whole.
        assert_eq!(about("Refunds at evil.example/pay now", "en"), "Refunds at… 12.00 EUR");
    }
}
