//! Counts round-trips per service and operation with an SDK interceptor, and the time spent
//! in them, so each invocation can report how many requests it made (retries included) and
//! how long it waited on services.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// Shared by every client of a process; `take` reads and resets the counts.
#[derive(Clone, Debug, Default)]
pub struct RequestCounter(Arc<Mutex<Counts>>);

#[derive(Debug, Default)]
struct Counts {
    requests: BTreeMap<String, u32>,
    waited: Duration,
}

/// When the operation in this config bag started.
#[derive(Clone, Debug)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl RequestCounter {
    /// `{"DynamoDB.Query": 1, "SNS.Publish": 1, …}` since the last call.
    pub fn take(&self) -> BTreeMap<String, u32> {
        self.take_all().0
    }

    /// The counts and the time spent waiting on services since the last call.
    pub fn take_all(&self) -> (BTreeMap<String, u32>, Duration) {
        let mut c = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (std::mem::take(&mut c.requests), std::mem::take(&mut c.waited))
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "forewarn.RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = match cfg.load::<Metadata>() {
            Some(m) => format!("{}.{}", m.service(), m.name()),
            None => "unknown".to_owned(),
        };
        *self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .requests
            .entry(key)
            .or_default() += 1;
        Ok(())
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>() {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).waited += at.elapsed();
        }
        Ok(())
    }
}
