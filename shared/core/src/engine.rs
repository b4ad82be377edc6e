//! Decide and render in one step: the plan, plus the addressed, worded message for each route.

use jiff::Timestamp;

pub use crate::customer::Destination;
use crate::customer::{Channel, Customer};
use crate::events::Event;
use crate::messages::safe::{LinkHosts, host_of};
use crate::messages::{Message, MessageInput, RenderError, Renderer, SmsReplies};
use crate::policy::{Context, Plan, Policy, Route, decide};

/// One message, addressed and worded.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub route: Route,
    pub to: Destination,
    pub message: Message,
}

/// A plan with its messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub plan: Plan,
    pub deliveries: Vec<Delivery>,
}

/// The policy and the renderer, built once and shared by every decision.
pub struct Engine {
    pub policy: Policy,
    /// None for a function that only decides (resolve, activity): it links no templates and
    /// no ICU4X data.
    renderer: Option<Renderer>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Policy::default())
    }
}

impl Engine {
    pub fn new(policy: Policy) -> Engine {
        Engine {
            policy,
            renderer: Some(Renderer::new()),
        }
    }

    /// The same engine, placing only producer links on `hosts` in its messages
    /// (`FOREWARN_LINK_HOSTS`); a link on another host is left out, and the plan says so.
    pub fn with_link_hosts(self, hosts: LinkHosts) -> Engine {
        Engine {
            renderer: self.renderer.map(|r| r.with_link_hosts(hosts)),
            ..self
        }
    }

    /// The same engine, wording SMS questions for a sender that can or cannot receive the
    /// answer (`FOREWARN_SMS_ORIGINATION`: an alphanumeric sender id cannot).
    pub fn with_sms_replies(self, replies: SmsReplies) -> Engine {
        Engine {
            renderer: self.renderer.map(|r| r.with_sms_replies(replies)),
            ..self
        }
    }

    /// An engine that decides but never words a message.
    pub fn without_messages(policy: Policy) -> Engine {
        Engine { policy, renderer: None }
    }

    /// Decides `event` at `now` and renders a message for each chosen route.
    pub fn decide(&self, event: &Event, ctx: &Context<'_>, now: Timestamp) -> Result<Decision, RenderError> {
        let mut plan = decide(&self.policy, event, ctx, now);
        let mut deliveries = Vec::with_capacity(plan.routes.len());
        if let Some(customer) = ctx.customer {
            for route in &plan.routes {
                let Some(to) = customer.destination(route.channel, route.device_id.as_ref()) else {
                    continue;
                };
                deliveries.push(Delivery {
                    route: route.clone(),
                    to,
                    message: self.render(event, customer, route.channel)?,
                });
            }
        }
        let refused = self.renderer.as_ref().and_then(|r| r.refused_link(event));
        if let Some(link) = refused.filter(|_| !deliveries.is_empty()) {
            plan.reasons.push(format!(
                "the link to {} is left out of the messages: not a host FOREWARN_LINK_HOSTS allows",
                host_of(&link)
            ));
        }
        Ok(Decision { plan, deliveries })
    }

    /// Words `event` for `customer` on `channel`.
    pub fn render(&self, event: &Event, customer: &Customer, channel: Channel) -> Result<Message, RenderError> {
        let Some(renderer) = &self.renderer else {
            return Err(RenderError::NoTemplate("this function words no messages".into()));
        };
        let zone = customer.zone.primary();
        renderer.render(&MessageInput {
            detail: &event.detail,
            channel,
            locale: &customer.locale,
            time_zone: &zone,
            customer_name: customer.name.as_deref(),
            event_time: event.time.0,
            json: Some(event.detail_json()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_event_value;
    use crate::policy::Outcome;

    #[test]
    fn an_engine_without_messages_decides_the_same_but_refuses_to_word_one() {
        let customer = Customer::from_json(serde_json::json!({"customer_id": "c-1", "time_zone": "Europe/Lisbon",
            "contacts": {"phone": "+351912345678"}}))
        .unwrap();
        let event = parse_event_value(
            serde_json::json!({"version": "0", "id": "e", "detail-type": "BalanceRestored",
            "source": "s", "time": "2026-11-23T10:00:00Z", "detail": {"customer_id": "c-1", "account_id": "a"}}),
        )
        .unwrap();
        let ctx = Context {
            customer: Some(&customer),
            history: &[],
            seen_before: false,
        };
        let quiet = Engine::without_messages(Policy::default());
        let plan = quiet.decide(&event, &ctx, event.time.0).unwrap().plan;
        assert_eq!(plan.outcome, Outcome::Resolved);
        assert_eq!(plan, Engine::default().decide(&event, &ctx, event.time.0).unwrap().plan);
        let err = quiet.render(&event, &customer, Channel::Sms).unwrap_err();
        assert!(err.to_string().contains("words no messages"), "{err}");
    }

    #[test]
    fn a_link_on_a_host_not_allowed_is_left_out_of_every_message_and_the_plan_says_why() {
        let customer = Customer::from_json(serde_json::json!({"customer_id": "c-1", "time_zone": "Europe/Lisbon",
            "contacts": {"phone": "+351912345678", "email": "ana@example.com"}}))
        .unwrap();
        let event = |url: &str| {
            parse_event_value(
                serde_json::json!({"version": "0", "id": "e", "detail-type": "ApplicationIncomplete",
                "source": "s", "time": "2026-11-23T10:00:00Z", "detail": {"customer_id": "c-1",
                "application_id": "a", "product": "Loan", "missing_items": ["payslip"], "resume_url": url}}),
            )
            .unwrap()
        };
        let ctx = Context {
            customer: Some(&customer),
            history: &[],
            seen_before: false,
        };
        let engine = Engine::default().with_link_hosts(LinkHosts::parse("bank.example").unwrap());
        let now = "2026-11-23T10:00:00Z".parse().unwrap();
        let allowed = engine
            .decide(&event("https://apply.bank.example/r"), &ctx, now)
            .unwrap();
        assert!(!allowed.plan.reasons.iter().any(|r| r.contains("FOREWARN_LINK_HOSTS")));
        let refused = engine
            .decide(&event("https://bank.example.evil.example/r"), &ctx, now)
            .unwrap();
        assert!(!refused.deliveries.is_empty());
        let why = refused.plan.reasons.iter().find(|r| r.contains("FOREWARN_LINK_HOSTS"));
        assert!(
            why.is_some_and(|r| r.contains("bank.example.evil.example")),
            "{:?}",
            refused.plan.reasons
        );
        for channel in [Channel::Sms, Channel::Push, Channel::Email] {
            let m = engine
                .render(&event("https://evil.example/r"), &customer, channel)
                .unwrap();
            let text = format!("{} {:?} {:?}", m.body, m.html, m.deep_link);
            assert!(!text.contains("evil.example"), "{channel}: {text}");
            assert!(channel == Channel::Push || text.contains("online"), "{channel}: {text}");
        }
    }
}
