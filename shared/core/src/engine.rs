//! Decide and render in one step: the plan, plus the addressed, worded message for each route.

use jiff::Timestamp;

use crate::customer::{Channel, Customer, EmailAddress, PhoneNumber};
use crate::events::Event;
use crate::messages::{Message, MessageInput, RenderError, Renderer};
use crate::policy::{Context, Plan, Policy, Route, decide};

/// Where a message is addressed.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    Phone(PhoneNumber),
    Email(EmailAddress),
    /// SNS platform endpoint ARN of a device.
    Endpoint(String),
}

impl Destination {
    /// Safe to print or log: `+35191*****78`, `a***@example.com`, the endpoint's last part.
    pub fn masked(&self) -> String {
        match self {
            Destination::Phone(p) => p.masked(),
            Destination::Email(e) => e.masked(),
            Destination::Endpoint(arn) => {
                let tail = arn.rsplit('/').next().unwrap_or("");
                let keep: String = tail
                    .chars()
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                format!("endpoint/…{keep}")
            }
        }
    }
}

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
#[derive(Default)]
pub struct Engine {
    pub policy: Policy,
    renderer: Renderer,
}

impl Engine {
    pub fn new(policy: Policy) -> Engine {
        Engine {
            policy,
            renderer: Renderer::new(),
        }
    }

    /// Decides `event` at `now` and renders a message for each chosen route.
    pub fn decide(&self, event: &Event, ctx: &Context<'_>, now: Timestamp) -> Result<Decision, RenderError> {
        let plan = decide(&self.policy, event, ctx, now);
        let mut deliveries = Vec::with_capacity(plan.routes.len());
        if let Some(customer) = ctx.customer {
            for route in &plan.routes {
                let Some(to) = address(customer, route) else { continue };
                deliveries.push(Delivery {
                    route: route.clone(),
                    to,
                    message: self.render(event, customer, route.channel)?,
                });
            }
        }
        Ok(Decision { plan, deliveries })
    }

    /// Words `event` for `customer` on `channel`.
    pub fn render(&self, event: &Event, customer: &Customer, channel: Channel) -> Result<Message, RenderError> {
        let zone = customer.zone.primary();
        self.renderer.render(&MessageInput {
            detail: &event.detail,
            channel,
            locale: &customer.locale,
            time_zone: &zone,
            customer_name: customer.name.as_deref(),
            event_time: event.time.0,
        })
    }
}

/// The customer's address for a route; the policy only chooses reachable routes.
fn address(customer: &Customer, route: &Route) -> Option<Destination> {
    match route.channel {
        Channel::Sms => customer.phone.usable().cloned().map(Destination::Phone),
        Channel::Email => customer.email.usable().cloned().map(Destination::Email),
        Channel::Push => {
            let id = route.device_id.as_ref()?;
            let device = customer.devices.iter().find(|d| &d.id == id)?;
            device.push_endpoint.clone().map(Destination::Endpoint)
        }
    }
}
