//! The push fields of every notifying kind × language, from the catalog: by urgency, grouped by
//! category, collapsed by subject, with no customer data in the ids; and the README's list of
//! what the app registers, generated from the catalog.
//!
//! Fields as the references define them: APNs `interruption-level`, `relevance-score`,
//! `thread-id`, `category`
//! (<https://developer.apple.com/documentation/usernotifications/generating-a-remote-notification>),
//! `apns-priority` 10 or 5 and `apns-collapse-id` of at most 64 bytes
//! (<https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns>),
//! FCM `android.priority` `HIGH` / `NORMAL` and a `ttl` of at most 4 weeks
//! (<https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages#androidconfig>).

use std::fs;
use std::path::Path;

use forewarn_core::catalog::{Kind, catalog};
use forewarn_core::events::{Event, parse_event_value};
use forewarn_core::kinds::{Channel, Urgency};
use forewarn_core::messages::format::Lang;
use forewarn_core::messages::push::{
    AndroidPriority, InterruptionLevel, MAX_TTL_SECS, PushFields, QUESTION_CATEGORY, app_registration, collapse_id,
    push_fields,
};
use forewarn_core::messages::{Message, MessageInput, Renderer};
use forewarn_core::policy::Intrusion;
use jiff::Timestamp;
use serde_json::{Value, json};

const NAME: &str = "Ana Example";
const EVENT_TIME: &str = "2026-11-22T08:00:00Z";

/// An event of `kind` from its first schema example, with `edit` applied to the detail.
fn event(kind: &Kind, edit: impl Fn(&mut Value)) -> Event {
    let mut detail = kind.def.schema["examples"][0].clone();
    edit(&mut detail);
    parse_event_value(json!({
        "version": "0", "id": "e-1", "detail-type": kind.name(), "source": "bank.test",
        "time": EVENT_TIME, "resources": [], "detail": detail,
    }))
    .unwrap_or_else(|e| panic!("{}: {e}", kind.name()))
}

fn push(e: &Event, lang: Lang) -> Message {
    let zone = jiff::tz::TimeZone::UTC;
    Renderer::new()
        .render(&MessageInput {
            detail: &e.detail,
            channel: Channel::Push,
            locale: lang.tag(),
            time_zone: &zone,
            customer_name: Some(NAME),
            event_time: e.time.0,
            json: None,
        })
        .unwrap()
}

fn fields(m: &Message, intrusion: Intrusion) -> PushFields {
    let now: Timestamp = EVENT_TIME.parse().unwrap();
    push_fields(m.traits.as_ref(), intrusion, m.ttl, m.deep_link.as_deref(), now)
}

fn notifying() -> impl Iterator<Item = &'static Kind> {
    catalog().kinds().iter().filter(|k| k.notifies())
}

/// Every string of `v`, for the customer data a push id must not hold.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 3 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn every_kind_in_every_language_gets_the_push_fields_of_its_urgency_and_category() {
    let mut seen = 0;
    for kind in notifying() {
        let (category, urgency) = (kind.def.category.clone().unwrap(), kind.def.urgency.unwrap());
        let e = event(kind, |_| {});
        for &lang in Lang::all() {
            let at = format!("{} {}", kind.name(), lang.tag());
            let m = push(&e, lang);
            let traits = m.traits.clone().expect("a notifying kind's message has traits");
            let f = fields(&m, Intrusion::Normal);
            let (level, priority, score, android) = match urgency {
                Urgency::Critical => (InterruptionLevel::TimeSensitive, 10, 1.0, AndroidPriority::High),
                Urgency::High => (InterruptionLevel::TimeSensitive, 10, 0.75, AndroidPriority::High),
                Urgency::Normal => (InterruptionLevel::Active, 5, 0.5, AndroidPriority::Normal),
                Urgency::Low => (InterruptionLevel::Passive, 5, 0.25, AndroidPriority::Normal),
            };
            assert_eq!(
                (f.interruption, f.apns_priority, f.relevance_score, f.android_priority),
                (level, priority, score, android),
                "{at}"
            );
            assert_eq!(f.sound, level != InterruptionLevel::Passive, "{at}");
            let channel = format!("forewarn.{category}");
            assert_eq!(f.thread_id.as_deref(), Some(channel.as_str()), "{at}");
            assert_eq!(f.android_channel.as_deref(), Some(channel.as_str()), "{at}");
            let collapse = f.collapse_id.clone().unwrap();
            assert!(collapse.len() <= 64, "{at}: {collapse}");
            assert_eq!(collapse, collapse_id(&traits.subject), "{at}");
            let question = kind.def.expects_reply;
            assert_eq!(f.category, question.then_some(QUESTION_CATEGORY), "{at}");
            assert_eq!(
                f.actions,
                if question { vec!["CONFIRM", "DISPUTE"] } else { vec![] },
                "{at}"
            );
            let now: Timestamp = EVENT_TIME.parse().unwrap();
            let left = m.ttl.unwrap().duration_since(now).as_secs().clamp(0, MAX_TTL_SECS);
            assert_eq!(f.ttl_secs, Some(left), "{at}");
            assert!(left > 0, "{at}: the example event still matters when it is sent");
            assert_eq!(f.deep_link, m.deep_link, "{at}");
            // No customer data in the ids: not the name, nor any text of the event.
            let mut values = vec![NAME.to_owned()];
            strings(&kind.def.schema["examples"][0], &mut values);
            for id in [&collapse, &channel] {
                for v in &values {
                    assert!(!id.contains(v.as_str()), "{at}: {v:?} in {id}");
                }
            }
            seen += 1;
        }
    }
    assert!(seen >= 5 * Lang::all().len(), "{seen} kind × language pairs");
}

#[test]
fn the_fraud_alert_breaks_through_focus_and_asks_with_two_actions() {
    let m = push(
        &event(catalog().kind("SuspiciousTransaction").unwrap(), |_| {}),
        Lang::all()[0],
    );
    let f = fields(&m, Intrusion::Normal);
    assert_eq!(f.interruption.as_str(), "time-sensitive");
    assert_eq!((f.apns_priority, f.relevance_score), (10, 1.0));
    assert_eq!(f.android_priority.as_str(), "HIGH");
    assert_eq!(f.android_channel.as_deref(), Some("forewarn.security"));
    assert_eq!(f.category, Some("FOREWARN_QUESTION"));
    assert_eq!(f.actions, ["CONFIRM", "DISPUTE"]);
}

#[test]
fn a_push_made_passive_by_policy_is_passive_at_priority_five_whatever_its_urgency() {
    for kind in notifying() {
        let m = push(&event(kind, |_| {}), Lang::all()[0]);
        let f = fields(&m, Intrusion::Passive);
        assert_eq!(
            (f.interruption, f.apns_priority, f.sound, f.android_priority),
            (InterruptionLevel::Passive, 5, false, AndroidPriority::Normal),
            "{}",
            kind.name()
        );
    }
}

#[test]
fn a_later_update_of_the_same_flight_replaces_the_earlier_one_and_another_flight_does_not() {
    let kind = catalog().kind("FlightDelayed").unwrap();
    let delay = |leaves: &str, number: Option<&str>| {
        let e = event(kind, |d| {
            d["flight"]["estimated_departure"] = json!(leaves);
            if let Some(n) = number {
                d["flight"]["number"] = json!(n);
            }
        });
        fields(&push(&e, Lang::all()[0]), Intrusion::Normal)
            .collapse_id
            .unwrap()
    };
    let (first, later) = ("2026-11-23T17:00:00Z", "2026-11-23T19:30:00Z");
    assert_eq!(delay(first, None), delay(later, None));
    assert_ne!(delay(first, None), delay(first, Some("TP9999")));
}

#[test]
fn a_message_without_traits_is_pushed_as_a_plain_active_notification() {
    let now: Timestamp = EVENT_TIME.parse().unwrap();
    let f = push_fields(None, Intrusion::Normal, None, None, now);
    assert_eq!((f.interruption, f.apns_priority), (InterruptionLevel::Active, 5));
    assert_eq!(
        (f.thread_id, f.collapse_id, f.android_channel, f.category),
        (None, None, None, None)
    );
}

#[test]
fn the_readme_lists_the_channels_and_categories_the_app_registers_from_the_catalog() {
    let (begin, end) = (
        "<!-- push: generated from the catalog by forewarn-core's push_payloads test -->\n",
        "<!-- push end -->",
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = fs::read_to_string(&path).unwrap();
    let start = readme.find(begin).expect("the README marks its push registration list") + begin.len();
    let stop = readme[start..]
        .find(end)
        .expect("the README ends its push registration list")
        + start;
    let want = format!("{}{}{}", &readme[..start], app_registration(catalog()), &readme[stop..]);
    if std::env::var_os("FOREWARN_BLESS").is_some() {
        fs::write(&path, &want).unwrap();
    }
    assert!(
        fs::read_to_string(&path).unwrap() == want,
        "the README's push registration list drifted from the catalog; regenerate with \
         FOREWARN_BLESS=1 cargo test -p forewarn-core --test push_payloads"
    );
    let list = app_registration(catalog());
    assert!(list.contains("| `forewarn.security` | `IMPORTANCE_HIGH` |"), "{list}");
    assert!(list.contains("FOREWARN_QUESTION"), "{list}");
}
