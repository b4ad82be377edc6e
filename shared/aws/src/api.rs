//! The HTTP API's glue: the route table (which the OpenAPI document is made from), a request read into the context event it stands for (checked by the core, so a fault is named as the events name it), `If-Match` into a precondition, and every answer's status, `ETag` and JSON body.

use forewarn_core::customer::CustomerProfile;
use forewarn_core::events::{
    ContextChange, CustomerErased, Detail, EventError, MAX_EVENT_BYTES, ProfileField, ProfileFields,
};
use forewarn_core::types::{Id, Instant};
use forewarn_flows::FlowError;
use forewarn_flows::context::api::{Precondition, Refusal};
use forewarn_flows::context::{Stamp, StoredContext};
use forewarn_flows::ports::{Bus, ContextStore, Endpoints, Partitions, Scheduler};
use forewarn_flows::service::Service;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api_bodies::{DeviceBody, ErasureBody, ErrorBody, Preferences, ProfilePatch, devices_of, view_of};

/// What a route does: the context event it stands for, or a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    GetCustomer,
    PutCustomer,
    PatchCustomer,
    EraseCustomer,
    PutDevice,
    DeleteDevice,
    GetPreferences,
    PutPreferences,
}

/// One route: method, path template, what it does, and the words and bodies the OpenAPI
/// document shows for it.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub action: Action,
    pub summary: &'static str,
}

/// Every route the API serves; routing and the OpenAPI document both read it.
pub const ROUTES: [Route; 8] = [
    Route {
        method: "GET",
        path: "/customers/{customer_id}",
        action: Action::GetCustomer,
        summary: "The stored profile and devices, with the profile's revision as ETag",
    },
    Route {
        method: "PUT",
        path: "/customers/{customer_id}",
        action: Action::PutCustomer,
        summary: "The whole profile (CustomerUpserted): fields left out are cleared",
    },
    Route {
        method: "PATCH",
        path: "/customers/{customer_id}",
        action: Action::PatchCustomer,
        summary: "Some fields (CustomerChanged): `set` replaces, `cleared` removes, the others stay",
    },
    Route {
        method: "DELETE",
        path: "/customers/{customer_id}",
        action: Action::EraseCustomer,
        summary: "Erases the customer (CustomerErased): only the erasure's marker stays",
    },
    Route {
        method: "PUT",
        path: "/customers/{customer_id}/devices/{device_id}",
        action: Action::PutDevice,
        summary: "Registers a device's push token (DeviceRegistered); SNS makes its endpoint",
    },
    Route {
        method: "DELETE",
        path: "/customers/{customer_id}/devices/{device_id}",
        action: Action::DeleteDevice,
        summary: "Removes a device (DeviceRemoved): push to it stops, its endpoint is deleted",
    },
    Route {
        method: "GET",
        path: "/customers/{customer_id}/preferences",
        action: Action::GetPreferences,
        summary: "The fields a customer chooses, with the profile's revision as ETag",
    },
    Route {
        method: "PUT",
        path: "/customers/{customer_id}/preferences",
        action: Action::PutPreferences,
        summary: "The fields a customer chooses, all of them: those left out are cleared",
    },
];

/// A request, as the function URL hands it over.
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: String,
    /// The raw path, percent-encoded.
    pub path: String,
    pub if_match: Option<String>,
    pub body: Vec<u8>,
    /// When the request arrived: the change's `changed_at`.
    pub time: Timestamp,
    /// Lambda's request id: with the time, the change's stamp.
    pub request_id: String,
}

/// An answer: status, the profile's revision as `ETag`, `Allow` for a 405, and a JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub etag: Option<u64>,
    pub allow: Option<String>,
    pub retry_after: bool,
    pub body: Option<Value>,
}

impl ApiResponse {
    fn json(status: u16, body: &impl Serialize, etag: Option<u64>) -> ApiResponse {
        ApiResponse {
            status,
            etag,
            allow: None,
            retry_after: false,
            body: Some(serde_json::to_value(body).expect("API bodies serialize")),
        }
    }
    fn empty(status: u16, etag: Option<u64>) -> ApiResponse {
        ApiResponse {
            status,
            etag,
            allow: None,
            retry_after: false,
            body: None,
        }
    }
    /// A refusal naming `field`; quoted values in `reason` (serde echoes input) are blanked.
    pub fn error(status: u16, field: impl Into<String>, reason: impl AsRef<str>) -> ApiResponse {
        let body = ErrorBody {
            field: field.into(),
            reason: blank_quoted(reason.as_ref()),
        };
        ApiResponse::json(status, &body, None)
    }
    /// The `ETag` header's value: the revision, quoted (a strong tag).
    pub fn etag_header(&self) -> Option<String> {
        self.etag.map(|r| format!("\"{r}\""))
    }
}

/// `a "value" here` → `a "…" here`: no input a caller sent comes back in an error body.
fn blank_quoted(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut inside = false;
    for c in reason.chars() {
        if c == '"' {
            if inside {
                out.push('…');
            }
            inside = !inside;
            out.push(c);
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// A routed request: what to do, to whom.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub action: Action,
    pub customer_id: Id,
    pub device_id: Option<Id>,
    /// The route's path template, for the logs.
    pub route: &'static str,
}

fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Finds the route of `method` and `path`: 404 for a path no route has, 405 (with `Allow`)
/// for a method its path does not take, 400 for an id that is not one.
pub fn route(method: &str, path: &str) -> Result<Call, ApiResponse> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut allowed = Vec::new();
    for r in &ROUTES {
        let template: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
        if template.len() != segments.len()
            || !template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t.starts_with('{') || t == s)
        {
            continue;
        }
        if r.method != method {
            allowed.push(r.method);
            continue;
        }
        let mut ids = Vec::new();
        for (t, s) in template.iter().zip(&segments).filter(|(t, _)| t.starts_with('{')) {
            let field = t.trim_matches(['{', '}']);
            let text = decode(s).ok_or_else(|| ApiResponse::error(400, field, "not percent-encoded UTF-8"))?;
            ids.push(Id::parse(text).map_err(|why| ApiResponse::error(400, field, why))?);
        }
        let mut ids = ids.into_iter();
        return Ok(Call {
            action: r.action,
            customer_id: ids.next().expect("every route names a customer"),
            device_id: ids.next(),
            route: r.path,
        });
    }
    if allowed.is_empty() {
        return Err(ApiResponse::error(404, "path", "no such route"));
    }
    let mut r = ApiResponse::error(405, "method", format!("{method} is not allowed here"));
    r.allow = Some(allowed.join(", "));
    Err(r)
}

/// `If-Match` as a precondition: none, `*`, or the quoted revision an `ETag` gave. A weak or
/// foreign tag can never match (412); a value that is no entity tag is a 400.
pub fn precondition(if_match: Option<&str>) -> Result<Precondition, ApiResponse> {
    let Some(v) = if_match.map(str::trim) else {
        return Ok(Precondition::None);
    };
    if v == "*" {
        return Ok(Precondition::Exists);
    }
    let stale = || ApiResponse::error(412, "If-Match", "matches no revision of this customer");
    if v.starts_with("W/\"") {
        return Err(stale());
    }
    let Some(tag) = v.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return Err(ApiResponse::error(
            400,
            "If-Match",
            "not an entity tag: quote it, as ETag gives it",
        ));
    };
    tag.parse().map(Precondition::Revision).map_err(|_| stale())
}

/// Reads the body as `T`, naming a fault by its path in the body.
fn body<T: DeserializeOwned>(req: &ApiRequest) -> Result<T, ApiResponse> {
    if req.body.len() > MAX_EVENT_BYTES {
        return Err(ApiResponse::error(
            413,
            "$",
            format!("the body is over {MAX_EVENT_BYTES} bytes"),
        ));
    }
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiResponse::error(400, "$", "a JSON body is required"));
    }
    let v: Value =
        serde_json::from_slice(&req.body).map_err(|e| ApiResponse::error(400, "$", format!("not valid JSON: {e}")))?;
    forewarn_core::error::typed("", v).map_err(bad)
}

fn bad(e: EventError) -> ApiResponse {
    ApiResponse::error(400, e.path, e.reason)
}

/// The context change a write stands for, checked by the core as the event would be: a
/// fault's path loses the event's `detail` (and `below`, the part the body stands for).
fn change(detail_type: &str, detail: Value, stamp: &Stamp, below: &str) -> Result<ContextChange, ApiResponse> {
    let envelope = json!({"version": "0", "id": stamp.event_id, "detail-type": detail_type, "source": "forewarn.api",
        "time": stamp.at, "detail": detail});
    match forewarn_core::events::parse_event_value(envelope) {
        Ok(e) => match e.detail {
            Detail::Context(c) => Ok(c),
            _ => unreachable!("a context detail type gives a context change"),
        },
        Err(e) => {
            let path = match e.path.strip_prefix(below) {
                Some("") => "$".to_owned(),
                Some(rest) if rest.starts_with('.') => rest[1..].to_owned(),
                _ => match e.path.strip_prefix("detail.") {
                    Some(rest) => rest.to_owned(),
                    None => "$".to_owned(),
                },
            };
            Err(ApiResponse::error(400, path, e.reason))
        }
    }
}

/// Runs one request against the context flow and answers it.
pub async fn handle<St, Se, Sc, B>(service: &Service<St, Se, Sc, B>, req: &ApiRequest) -> (Option<Call>, ApiResponse)
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    let call = match route(&req.method, &req.path) {
        Ok(c) => c,
        Err(r) => return (None, r),
    };
    let answer = match run(service, req, &call).await {
        Ok(r) | Err(r) => r,
    };
    (Some(call), answer)
}

async fn run<St, Se, Sc, B>(
    service: &Service<St, Se, Sc, B>,
    req: &ApiRequest,
    call: &Call,
) -> Result<ApiResponse, ApiResponse>
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    let id = &call.customer_id;
    let event_id = Id::parse(format!("api-{}", req.request_id)).map_err(|e| ApiResponse::error(500, "$", e))?;
    let stamp = Stamp { at: req.time, event_id };
    let reading = matches!(call.action, Action::GetCustomer | Action::GetPreferences);
    let pre = if reading {
        Precondition::None
    } else {
        precondition(req.if_match.as_deref())?
    };
    match call.action {
        Action::GetCustomer | Action::GetPreferences => {
            let stored = service.api_read(id).await.map_err(flow)?;
            shown(id, &stored, call.action)
        }
        Action::PutCustomer | Action::PatchCustomer | Action::PutPreferences => {
            let (values, fields, shows) = profile_change(call.action, req, id, &stamp)?;
            let stored = service
                .api_profile(id, &values, &fields, &stamp, pre)
                .await
                .map_err(refused)?;
            shown(id, &stored, shows)
        }
        Action::PutDevice => {
            let device_id = call.device_id.clone().expect("a device route names a device");
            let device: DeviceBody = body(req)?;
            let mut detail = detail_of(id, &stamp, serde_json::to_value(&device).expect("a device serializes"));
            detail["device_id"] = json!(device_id);
            let ContextChange::DeviceRegistered(d) = change("DeviceRegistered", detail, &stamp, "detail")? else {
                unreachable!("DeviceRegistered gives a registration")
            };
            let stored = service.api_register_device(&d, &stamp, pre).await.map_err(refused)?;
            let view = devices_of(&stored).into_iter().find(|v| v.device_id == device_id);
            Ok(match view {
                Some(v) => ApiResponse::json(200, &v, stored.revision),
                None => ApiResponse::error(409, "device_id", "a newer change of this device holds it"),
            })
        }
        Action::DeleteDevice => {
            let device_id = call.device_id.clone().expect("a device route names a device");
            service
                .api_remove_device(id, &device_id, &stamp, pre)
                .await
                .map_err(refused)?;
            Ok(ApiResponse::empty(204, None))
        }
        Action::EraseCustomer => {
            let e: ErasureBody = if req.body.iter().all(u8::is_ascii_whitespace) {
                ErasureBody::default()
            } else {
                body(req)?
            };
            let erased = CustomerErased {
                customer_id: id.clone(),
                changed_at: Instant(req.time),
                reference: e.reference,
            };
            service
                .api_erase(&erased, &stamp, pre, req.time)
                .await
                .map_err(refused)?;
            Ok(ApiResponse::empty(204, None))
        }
    }
}

/// An event's detail: the customer id and the request's time, then `extra`'s fields.
fn detail_of(id: &Id, stamp: &Stamp, extra: Value) -> Value {
    let mut d = json!({"customer_id": id, "changed_at": Instant(stamp.at)});
    d.as_object_mut()
        .expect("an object")
        .extend(extra.as_object().cloned().unwrap_or_default());
    d
}

/// A profile write's values, the fields it sets or clears, and what its answer shows.
fn profile_change(
    action: Action,
    req: &ApiRequest,
    id: &Id,
    stamp: &Stamp,
) -> Result<(CustomerProfile, Vec<ProfileField>, Action), ApiResponse> {
    Ok(match action {
        Action::PutCustomer => {
            let fields: ProfileFields = body(req)?;
            let detail = detail_of(id, stamp, json!({"profile": fields}));
            let ContextChange::Upserted(u) = change("CustomerUpserted", detail, stamp, "detail.profile")? else {
                unreachable!("CustomerUpserted gives an upsert")
            };
            (
                u.profile.to_profile(id),
                ProfileField::ALL.to_vec(),
                Action::GetCustomer,
            )
        }
        Action::PatchCustomer => {
            let patch: ProfilePatch = body(req)?;
            let detail = detail_of(id, stamp, serde_json::to_value(&patch).expect("a patch serializes"));
            let ContextChange::Changed(c) = change("CustomerChanged", detail, stamp, "detail")? else {
                unreachable!("CustomerChanged gives a change")
            };
            let mut fields = c.set.present();
            fields.extend(&c.cleared);
            (c.set.to_profile(id), fields, Action::GetCustomer)
        }
        _ => {
            let prefs: Preferences = body(req)?;
            let set = prefs.to_fields();
            let cleared: Vec<ProfileField> = ProfileField::PREFERENCES
                .into_iter()
                .filter(|f| !set.present().contains(f))
                .collect();
            let detail = detail_of(id, stamp, json!({"set": set, "cleared": cleared}));
            let ContextChange::Changed(c) = change("CustomerChanged", detail, stamp, "detail.set")? else {
                unreachable!("CustomerChanged gives a change")
            };
            (
                c.set.to_profile(id),
                ProfileField::PREFERENCES.to_vec(),
                Action::GetPreferences,
            )
        }
    })
}

/// The stored customer (or their preferences), or 404 when no profile is held.
fn shown(id: &Id, stored: &StoredContext, action: Action) -> Result<ApiResponse, ApiResponse> {
    let Some(view) = view_of(id, stored).map_err(flow)? else {
        return Err(ApiResponse::error(
            404,
            "customer_id",
            "no such customer (unknown, or erased)",
        ));
    };
    Ok(match action {
        Action::GetPreferences => ApiResponse::json(200, &Preferences::of(view.profile), stored.revision),
        _ => ApiResponse::json(200, &view, stored.revision),
    })
}

fn refused(r: Refusal) -> ApiResponse {
    match r {
        Refusal::Stale { current } => {
            let mut a = ApiResponse::error(412, "If-Match", "the customer changed since it was read: read it again");
            a.etag = current;
            a
        }
        Refusal::Newer { field, reason } => ApiResponse::error(409, field, reason),
        Refusal::Flow(e) => flow(e),
    }
}

/// A flow failure: 400 for input the flow refused, 503 (retry) when a retry can help, 500
/// otherwise. The body never carries a provider's text.
fn flow(e: FlowError) -> ApiResponse {
    match e {
        FlowError::Input(why) => ApiResponse::error(400, "$", why),
        e if e.retryable() => {
            let mut a = ApiResponse::error(503, "$", "a service was busy or unavailable: retry");
            a.retry_after = true;
            a
        }
        _ => ApiResponse::error(500, "$", "internal error"),
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
