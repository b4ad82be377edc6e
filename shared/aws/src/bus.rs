//! Puts outcome events on the EventBridge bus, checking every entry's result.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use forewarn_core::events::Detail;
use forewarn_core::outcomes::OutcomeEvent;
use forewarn_flows::ports::Bus;
use forewarn_flows::{FlowError, Port};

use crate::error::port_error;

/// PutEvents takes at most 10 entries per call.
const BATCH: usize = 10;
/// Rounds of re-sending the entries that failed before giving up.
const ROUNDS: usize = 3;

#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    pub client: aws_sdk_eventbridge::Client,
    pub bus: String,
}

impl EventBridgeBus {
    /// Puts raw entries in batches of 10, re-sending failed entries; returns those that
    /// still failed, with their error code and message.
    pub async fn put_all(&self, entries: Vec<PutEventsRequestEntry>) -> Result<Vec<(usize, String)>, FlowError> {
        let mut pending: Vec<(usize, PutEventsRequestEntry)> = entries.into_iter().enumerate().collect();
        let mut failures = Vec::new();
        for round in 0..ROUNDS {
            failures.clear();
            let mut retry = Vec::new();
            for chunk in pending.chunks(BATCH) {
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(chunk.iter().map(|(_, e)| e.clone()).collect()))
                    .send()
                    .await
                    .map_err(|e| port_error(Port::EventBridge, e))?;
                if out.failed_entry_count == 0 {
                    continue;
                }
                for ((i, entry), result) in chunk.iter().zip(out.entries.unwrap_or_default()) {
                    if let Some(code) = result.error_code {
                        failures.push((*i, format!("{code}: {}", result.error_message.unwrap_or_default())));
                        retry.push((*i, entry.clone()));
                    }
                }
            }
            if retry.is_empty() {
                return Ok(vec![]);
            }
            pending = retry;
            if round + 1 < ROUNDS {
                tokio::time::sleep(std::time::Duration::from_millis(100 << round)).await;
            }
        }
        Ok(failures)
    }
}

impl Bus for EventBridgeBus {
    async fn emit(&self, detail: &Detail, at: jiff::Timestamp) -> Result<(), FlowError> {
        let detail_type = detail.detail_type().as_str();
        let detail = detail.to_json();
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                at.as_millisecond(),
            ))
            .source("forewarn")
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        match self.put_all(vec![entry]).await?.first() {
            None => Ok(()),
            Some((_, why)) => Err(FlowError::transient(
                Port::EventBridge,
                format!("{detail_type} was not accepted: {why}"),
            )),
        }
    }

    async fn publish(&self, outcomes: &[OutcomeEvent]) -> Result<(), FlowError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let entries = outcomes
            .iter()
            .map(|o| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source("forewarn")
                    .detail_type(o.detail_type.as_str())
                    .detail(serde_json::to_string(o).expect("outcomes serialize"))
                    .build()
            })
            .collect();
        let failed = self.put_all(entries).await?;
        match failed.first() {
            None => Ok(()),
            Some((_, why)) => Err(FlowError::transient(
                Port::EventBridge,
                format!(
                    "{} of {} outcome events were not accepted: {why}",
                    failed.len(),
                    outcomes.len()
                ),
            )),
        }
    }
}
