//! The API on `lambda_http`: a function URL's request (payload 2.0) into an [`ApiRequest`], the answer into its response, one `done` line per request.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::request::{LambdaRequest, RequestContext};
use lambda_http::{Body, LambdaEvent, Request, RequestExt, service_fn};
use tracing::{Instrument, info, info_span, warn};

use crate::api::{ApiRequest, ApiResponse, handle};
use crate::counter::RequestCounter;
use forewarn_flows::ports::{Bus, ContextStore, Endpoints, Partitions, Scheduler};
use forewarn_flows::service::Service;

/// The request as the flow reads it: method, raw path, `If-Match`, body, the time it arrived
/// (the function URL's `requestContext.timeEpoch`) and Lambda's request id.
pub fn api_request(req: &Request, now: jiff::Timestamp) -> ApiRequest {
    let time = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(c)) => jiff::Timestamp::from_millisecond(c.time_epoch).ok(),
        _ => None,
    };
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let path = match req.raw_http_path() {
        "" => req.uri().path(),
        p => p,
    };
    ApiRequest {
        method: req.method().as_str().to_owned(),
        path: path.to_owned(),
        if_match: req
            .headers()
            .get("if-match")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: req.body().to_vec(),
        time: time.filter(|t| t.as_second() > 0).unwrap_or(now),
        request_id,
    }
}

/// The function URL's response (payload 2.0) of an answer: JSON, its `ETag`, `Allow` and
/// `Retry-After` when set.
pub fn http_response(a: &ApiResponse) -> ApiGatewayV2httpResponse {
    let mut headers = lambda_http::http::HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = lambda_http::http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    if let Some(tag) = a.etag_header() {
        set("etag", tag);
    }
    if let Some(allow) = &a.allow {
        set("allow", allow.clone());
    }
    if a.retry_after {
        set("retry-after", "1".into());
    }
    if a.body.is_some() {
        set("content-type", "application/json".into());
    }
    let mut r = ApiGatewayV2httpResponse::default();
    r.status_code = i64::from(a.status);
    r.headers = headers;
    r.body = a.body.as_ref().map(|v| Body::Text(v.to_string()));
    r
}

/// Serves the API until Lambda stops the process: one `done` line per request (method,
/// route template, status; ids only, never a body).
pub async fn serve_api<St, Se, Sc, B>(
    service: &Service<St, Se, Sc, B>,
    counter: RequestCounter,
) -> Result<(), lambda_http::Error>
where
    St: ContextStore + Partitions,
    Se: Endpoints,
    Sc: Scheduler,
    B: Bus,
{
    let counter = &counter;
    let metrics = crate::emf::init("api", crate::config::Env::process().metrics_namespace());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaRequest>| {
        let request_id = event.context.request_id.clone();
        let req = Request::from(event.payload).with_lambda_context(event.context);
        let span = info_span!("invocation", function = "api", request_id = %request_id);
        async move {
            counter.take_all();
            forewarn_flows::metrics::invocation_started();
            let started = std::time::Instant::now();
            let request = api_request(&req, jiff::Timestamp::now());
            let (call, answer) = Box::pin(handle(service, &request)).await;
            crate::emf::flush(metrics);
            let (requests, waited) = counter.take_all();
            let route = call.as_ref().map_or("-", |c| c.route);
            let customer_id = call.as_ref().map(|c| c.customer_id.to_string()).unwrap_or_default();
            let field = answer
                .body
                .as_ref()
                .and_then(|b| b["field"].as_str())
                .unwrap_or_default()
                .to_owned();
            if answer.status >= 500 {
                warn!(method = %request.method, route, customer_id, status = answer.status, field, "request failed");
            }
            info!(method = %request.method, route, customer_id, status = answer.status, field,
                  elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                  service_us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
                  requests = ?requests, "done");
            Ok::<_, std::convert::Infallible>(http_response(&answer))
        }
        .instrument(span)
    }))
    .await
}
