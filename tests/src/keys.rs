//! The table's keys as the tests read them: forewarn-aws's one key module, never the strings spelled again.

use forewarn_aws::dynamo::keys::DeliveryKey;
pub use forewarn_aws::dynamo::{Pk, Sk};
use forewarn_core::types::Id;

fn id(s: &str) -> Id {
    Id::parse(s).expect("an id")
}

/// `CUSTOMER#<id>`, as stored.
pub fn customer_pk(customer_id: &str) -> String {
    Pk::Customer(id(customer_id)).to_string()
}

/// `PHONE#<e164>`, as stored.
pub fn phone_pk(e164: &str) -> String {
    Pk::phone(e164).to_string()
}

/// A stored sort key read back; `None` for one of no format of the table.
pub fn sk(key: &str) -> Option<Sk> {
    Sk::parse(key).ok()
}

/// The delivery row a sort key names, if it names one.
pub fn delivery(key: &str) -> Option<DeliveryKey> {
    match sk(key)? {
        Sk::Delivery(d) => Some(d),
        _ => None,
    }
}

pub fn is_delivery(key: &str) -> bool {
    delivery(key).is_some()
}

/// An idempotency claim's key (`EVENT#…`).
pub fn is_claim(key: &str) -> bool {
    matches!(sk(key), Some(Sk::Event(_)))
}

pub fn is_profile(key: &str) -> bool {
    sk(key) == Some(Sk::Profile)
}

/// A device's key (`DEVICE#<device_id>`), of `device` if given.
pub fn is_device(key: &str, device: Option<&str>) -> bool {
    matches!(sk(key), Some(Sk::Device(d)) if device.is_none_or(|x| d.as_str() == x))
}

/// The link from a phone number to `customer_id`.
pub fn is_phone_link(key: &str, customer_id: &str) -> bool {
    sk(key) == Some(Sk::Customer(id(customer_id)))
}
