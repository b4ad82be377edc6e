//! Where a message to the customer is addressed on each channel: the one match of channel to address.

use super::{Channel, Customer, EmailAddress, PhoneNumber};
use crate::types::Id;

/// Where a message is addressed.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    Phone(PhoneNumber),
    Email(EmailAddress),
    /// SNS platform endpoint ARN of a device.
    Endpoint(String),
}

impl Destination {
    /// Safe to print or log: `+351*******78`, `a***@example.com`, the endpoint's last part.
    pub fn masked(&self) -> String {
        match self {
            Destination::Phone(p) => p.masked(),
            Destination::Email(e) => e.masked(),
            Destination::Endpoint(arn) => {
                let last = arn.rsplit('/').next().unwrap_or("");
                format!("endpoint/…{}", crate::types::tail(last, 4))
            }
        }
    }
}

impl Customer {
    /// The customer's usable address on `channel`: their phone or email, or for push the
    /// endpoint of `device` if that device can take push. `None` when there is none. Opt-outs
    /// are the caller's to check: they say whether to send, not where.
    pub fn destination(&self, channel: Channel, device: Option<&Id>) -> Option<Destination> {
        match channel {
            Channel::Sms => self.phone.usable().cloned().map(Destination::Phone),
            Channel::Email => self.email.usable().cloned().map(Destination::Email),
            Channel::Push => self
                .devices
                .iter()
                .find(|d| Some(&d.id) == device && d.pushable())
                .and_then(|d| d.push_endpoint.clone())
                .map(Destination::Endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        Customer::from_json(serde_json::json!({"customer_id": "c-1", "time_zone": "Europe/Lisbon",
            "contacts": {"phone": "+351912345678", "email": "ana@example.com"},
            "devices": [
                {"device_id": "p1", "kind": "phone", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd1234"},
                {"device_id": "off", "kind": "tablet", "push_endpoint": "arn:aws:sns:eu-west-1:1:endpoint/GCM/app/ffff", "enabled": false},
                {"device_id": "bare", "kind": "desktop"}
            ]}))
        .unwrap()
    }

    fn id(s: &str) -> Id {
        Id::parse(s).unwrap()
    }

    #[test]
    fn sms_goes_to_the_phone_and_email_to_the_mailbox_whatever_the_device() {
        let c = customer();
        let phone = PhoneNumber::parse("+351912345678").unwrap();
        let email = EmailAddress::parse("ana@example.com").unwrap();
        assert_eq!(c.destination(Channel::Sms, None), Some(Destination::Phone(phone)));
        assert_eq!(
            c.destination(Channel::Email, Some(&id("p1"))),
            Some(Destination::Email(email))
        );
    }

    #[test]
    fn push_goes_to_the_endpoint_of_the_named_device_only_if_it_takes_push() {
        let c = customer();
        let endpoint = "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abcd1234".to_owned();
        assert_eq!(
            c.destination(Channel::Push, Some(&id("p1"))),
            Some(Destination::Endpoint(endpoint))
        );
        assert_eq!(c.destination(Channel::Push, Some(&id("off"))), None, "disabled");
        assert_eq!(c.destination(Channel::Push, Some(&id("bare"))), None, "no endpoint");
        assert_eq!(c.destination(Channel::Push, Some(&id("gone"))), None, "unknown device");
        assert_eq!(c.destination(Channel::Push, None), None, "no device named");
    }

    #[test]
    fn a_customer_without_contacts_has_no_sms_or_email_destination() {
        let c = Customer::from_json(serde_json::json!({"customer_id": "c-2", "time_zone": "Europe/Lisbon"})).unwrap();
        assert_eq!(c.destination(Channel::Sms, None), None);
        assert_eq!(c.destination(Channel::Email, None), None);
    }
}
