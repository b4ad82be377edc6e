//! Push the way APNs and FCM mean it: a message's traits, intrusion and time to live as the platforms' fields.
//!
//! One mapping ([`push_fields`]) from what forewarn knows of a message to what the push services
//! read; the AWS adapter only writes these fields where SNS wants them. References:
//! - APNs payload keys (`interruption-level`, `relevance-score`, `thread-id`, `category`):
//!   <https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification>
//! - APNs request headers (`apns-priority`, `apns-collapse-id` of at most 64 bytes,
//!   `apns-expiration`, `apns-push-type`):
//!   <https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns>
//! - FCM HTTP v1 `AndroidConfig` (`priority`, `collapse_key`, `ttl` of at most 4 weeks,
//!   `notification.channel_id`, `notification.tag`):
//!   <https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages#androidconfig>

use jiff::Timestamp;

use crate::catalog::Catalog;
use crate::kinds::Intrusion;
use crate::kinds::{Category, Urgency};

use super::Traits;

/// APNs `interruption-level`: whether a notification may break through Focus and the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InterruptionLevel {
    /// Added to the list quietly: no sound, no lit screen.
    Passive,
    /// Shown and sounded at once, but held by Focus and the notification summary.
    Active,
    /// Shown at once, through Focus and the summary (the app needs the Time Sensitive
    /// Notifications capability).
    TimeSensitive,
}

impl InterruptionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            InterruptionLevel::Passive => "passive",
            InterruptionLevel::Active => "active",
            InterruptionLevel::TimeSensitive => "time-sensitive",
        }
    }
}

/// FCM `android.priority`: whether the device is woken for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AndroidPriority {
    Normal,
    High,
}

impl AndroidPriority {
    /// The `AndroidMessagePriority` value of the FCM HTTP v1 API.
    pub fn as_str(self) -> &'static str {
        match self {
            AndroidPriority::Normal => "NORMAL",
            AndroidPriority::High => "HIGH",
        }
    }
}

/// The importance an Android notification channel is created with (`NotificationManager`):
/// fixed by the app when it creates the channel, changed afterwards only by the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelImportance {
    Low,
    Default,
    High,
}

impl ChannelImportance {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelImportance::Low => "IMPORTANCE_LOW",
            ChannelImportance::Default => "IMPORTANCE_DEFAULT",
            ChannelImportance::High => "IMPORTANCE_HIGH",
        }
    }

    /// The importance that lets a kind of `urgency` alert as it should.
    pub fn for_urgency(urgency: Urgency) -> ChannelImportance {
        match urgency {
            Urgency::Critical | Urgency::High => ChannelImportance::High,
            Urgency::Normal => ChannelImportance::Default,
            Urgency::Low => ChannelImportance::Low,
        }
    }
}

/// The APNs category of a question: the app registers it (`UNNotificationCategory`) with the
/// two [`QUESTION_ACTIONS`], so the notification shows them as buttons.
pub const QUESTION_CATEGORY: &str = "FOREWARN_QUESTION";

/// The actions of a question: id and English title. The app shows the title in its own words
/// and sends the id with the notification's `question` slot to the bank's backend.
pub const QUESTION_ACTIONS: [(&str, &str); 2] = [("CONFIRM", "It was me"), ("DISPUTE", "Not me")];

/// The key of a question's slot in the APNs payload and the FCM data: empty for now; issue 24
/// puts the answer token there, which the app sends back with the action it chose.
pub const QUESTION_SLOT: &str = "question";

/// FCM keeps a message at most four weeks; APNs has no stated limit, so both get the same cap.
pub const MAX_TTL_SECS: i64 = 28 * 24 * 3600;

/// The push fields of one message, for APNs and FCM.
#[derive(Clone, Debug, PartialEq)]
pub struct PushFields {
    pub interruption: InterruptionLevel,
    /// `apns-priority`: 10 sends at once, 5 when the device's power allows.
    pub apns_priority: u8,
    /// APNs `relevance-score` (0 to 1): the order in the notification summary.
    pub relevance_score: f64,
    /// APNs `thread-id`: the group in Notification Center, one per category (as Android's
    /// channels), none for a message without traits.
    pub thread_id: Option<String>,
    /// `apns-collapse-id`, FCM `collapse_key` and Android `notification.tag`: one per subject,
    /// so a later message about the same thing replaces the earlier one on the device.
    pub collapse_id: Option<String>,
    /// APNs `category` of a question ([`QUESTION_CATEGORY`]).
    pub category: Option<&'static str>,
    /// The action ids the app shows as buttons (questions only).
    pub actions: Vec<&'static str>,
    pub android_priority: AndroidPriority,
    /// `android.notification.channel_id`: one per catalog category ([`channel_id`]).
    pub android_channel: Option<String>,
    /// Seconds the platforms keep trying (SNS `…TTL` attributes, FCM `android.ttl`), at most
    /// [`MAX_TTL_SECS`]; none when the message has no time to live.
    pub ttl_secs: Option<i64>,
    /// Whether the notification sounds (not when passive).
    pub sound: bool,
    /// Where the notification opens.
    pub deep_link: Option<String>,
}

/// The Android notification channel (and APNs thread) of a category: `forewarn.security`.
pub fn channel_id(category: &Category) -> String {
    format!("forewarn.{category}")
}

/// The collapse id of a subject: `fw-` and 16 hex digits of its FNV-1a hash (19 bytes, within
/// APNs's 64). Hashed so the subject's identifiers (a booking reference, an account id) do not
/// travel to Apple and Google; FNV-1a is written out here because it is stable across builds
/// (std's hasher is not) and no secrecy is asked of it.
pub fn collapse_id(subject: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in subject.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fw-{hash:016x}")
}

/// How a message is pushed. Critical and high kinds are time-sensitive at priority 10;
/// normal ones active at priority 5 (shown at once when the device is awake, which
/// forewarn's timing already aims for; never waking it); low ones, and any message policy made
/// passive (a deadline inside quiet hours), passive at priority 5 without a sound.
/// `now` is when it is sent, for the time to live left.
pub fn push_fields(
    traits: Option<&Traits>,
    intrusion: Intrusion,
    ttl: Option<Timestamp>,
    deep_link: Option<&str>,
    now: Timestamp,
) -> PushFields {
    let urgency = traits.map_or(Urgency::Normal, |t| t.urgency);
    let interruption = match (intrusion, urgency) {
        (Intrusion::Passive, _) | (_, Urgency::Low) => InterruptionLevel::Passive,
        (_, Urgency::Normal) => InterruptionLevel::Active,
        (_, Urgency::High | Urgency::Critical) => InterruptionLevel::TimeSensitive,
    };
    let question = traits.is_some_and(|t| t.question);
    PushFields {
        interruption,
        // 10 wakes the device now; 5 lets APNs deliver when it is awake anyway. Only what
        // must not wait (time-sensitive) wakes it: the rule, and Apple's advice.
        apns_priority: if interruption == InterruptionLevel::TimeSensitive {
            10
        } else {
            5
        },
        relevance_score: match urgency {
            Urgency::Critical => 1.0,
            Urgency::High => 0.75,
            Urgency::Normal => 0.5,
            Urgency::Low => 0.25,
        },
        thread_id: traits.map(|t| channel_id(&t.category)),
        collapse_id: traits.map(|t| collapse_id(&t.subject)),
        category: question.then_some(QUESTION_CATEGORY),
        actions: match question {
            true => QUESTION_ACTIONS.iter().map(|(id, _)| *id).collect(),
            false => Vec::new(),
        },
        android_priority: match urgency {
            Urgency::Critical | Urgency::High if intrusion == Intrusion::Normal => AndroidPriority::High,
            _ => AndroidPriority::Normal,
        },
        android_channel: traits.map(|t| channel_id(&t.category)),
        ttl_secs: ttl.map(|t| t.duration_since(now).as_secs().clamp(0, MAX_TTL_SECS)),
        sound: interruption != InterruptionLevel::Passive,
        deep_link: deep_link.map(str::to_owned),
    }
}

/// The README's list of what the app registers, from `catalog`: an Android channel per
/// category (with the importance its most urgent kind needs) and the iOS question category.
pub fn app_registration(catalog: &Catalog) -> String {
    let mut out = String::from("| Android channel id | importance | for |\n|---|---|---|\n");
    for c in catalog.categories() {
        let kinds: Vec<_> = catalog
            .kinds()
            .iter()
            .filter(|k| k.notifies() && k.def.category.as_ref() == Some(&c.name))
            .collect();
        let Some(urgency) = kinds.iter().filter_map(|k| k.def.urgency).max() else {
            continue;
        };
        let names: Vec<String> = kinds.iter().map(|k| format!("`{}`", k.name())).collect();
        out.push_str(&format!(
            "| `{}` | `{}` | {} |\n",
            channel_id(&c.name),
            ChannelImportance::for_urgency(urgency).as_str(),
            names.join(", ")
        ));
    }
    let questions: Vec<String> = catalog
        .kinds()
        .iter()
        .filter(|k| k.notifies() && k.def.expects_reply)
        .map(|k| format!("`{}`", k.name()))
        .collect();
    let actions: Vec<String> = QUESTION_ACTIONS
        .iter()
        .map(|(id, title)| format!("`{id}` (\"{title}\")"))
        .collect();
    out.push_str(&format!(
        "\niOS category `{QUESTION_CATEGORY}` with the actions {} (questions: {}); on Android the \
         same action ids arrive in the message's data (`category`, `actions`).\n",
        actions.join(" and "),
        questions.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collapse_id_is_stable_short_and_differs_by_subject() {
        assert_eq!(collapse_id("flight:AB12CD,TP1"), collapse_id("flight:AB12CD,TP1"));
        assert_ne!(collapse_id("flight:AB12CD,TP1"), collapse_id("flight:AB12CD,TP2"));
        assert_eq!(collapse_id(&"x".repeat(5000)).len(), 19);
        // FNV-1a 64 of the empty string is its offset basis.
        assert_eq!(collapse_id(""), "fw-cbf29ce484222325");
    }

    #[test]
    fn a_time_to_live_is_the_time_left_capped_at_four_weeks_and_never_negative() {
        let now: Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let ttl = |t: &str| push_fields(None, Intrusion::Normal, Some(t.parse().unwrap()), None, now).ttl_secs;
        assert_eq!(ttl("2026-12-02T11:00:00Z"), Some(3600));
        assert_eq!(ttl("2027-06-01T00:00:00Z"), Some(MAX_TTL_SECS));
        assert_eq!(ttl("2026-12-01T00:00:00Z"), Some(0));
        assert_eq!(push_fields(None, Intrusion::Normal, None, None, now).ttl_secs, None);
    }
}
