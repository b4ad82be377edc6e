//! The in-memory devices by endpoint (push feedback) and the devices a customer file writes (import).

use std::rc::Rc;

use forewarn_core::customer::DeviceProfile;
use forewarn_core::types::Id;

use super::Memory;
use crate::error::FlowError;
use crate::ports::{ImportedDevices, PushDevices};

impl PushDevices for Rc<Memory> {
    async fn endpoint_owner(&self, endpoint: &str) -> Result<Option<(Id, Id)>, FlowError> {
        Ok(self.profiles.borrow().iter().find_map(|p| {
            p.devices
                .iter()
                .find(|d| d.push_endpoint.as_deref() == Some(endpoint))
                .map(|d| (p.customer_id.clone(), d.device_id.clone()))
        }))
    }

    async fn disable_device(
        &self,
        customer_id: &Id,
        device_id: &Id,
        endpoint: &str,
        why: &str,
    ) -> Result<bool, FlowError> {
        let holds = self.profiles.borrow().iter().any(|p| {
            &p.customer_id == customer_id
                && p.devices
                    .iter()
                    .any(|d| &d.device_id == device_id && d.push_endpoint.as_deref() == Some(endpoint))
        });
        if holds {
            self.disabled
                .borrow_mut()
                .push((customer_id.clone(), device_id.clone(), why.to_owned()));
        }
        Ok(holds)
    }
}

impl ImportedDevices for Rc<Memory> {
    async fn put_device(&self, customer_id: &Id, device: &DeviceProfile) -> Result<bool, FlowError> {
        let disabled = self
            .disabled
            .borrow()
            .iter()
            .any(|(c, d, _)| c == customer_id && d == &device.device_id);
        let mut profiles = self.profiles.borrow_mut();
        let Some(p) = profiles
            .iter_mut()
            .find(|p| &p.customer_id == customer_id)
            .filter(|_| !disabled)
        else {
            return Ok(false);
        };
        p.devices.retain(|d| d.device_id != device.device_id);
        p.devices.push(device.clone());
        Ok(true)
    }

    async fn delete_device(&self, customer_id: &Id, device_id: &Id) -> Result<(), FlowError> {
        if let Some(p) = self
            .profiles
            .borrow_mut()
            .iter_mut()
            .find(|p| &p.customer_id == customer_id)
        {
            p.devices.retain(|d| &d.device_id != device_id);
        }
        Ok(())
    }
}
