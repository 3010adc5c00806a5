//! `http.post`: POST a JSON body to a URL — the adapter for SMS and WeChat gateways and
//! other webhooks. 2xx is done; any other answer or no answer is a failure whose text
//! (status and the start of the body, or the connection error) becomes the job's
//! `last_error`. Every attempt carries `Idempotency-Key: <job key>`, so a receiver can
//! drop a repeat (a worker that died after sending but before recording it).

use crate::JobError;
use aftersales_app::Job;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The kind of the built-in webhook job.
pub const HTTP_POST: &str = "http.post";

/// The payload of an `http.post` job: `{"url": …, "body": …, "headers": {…}}`.
pub fn http_post_payload(
    url: &str,
    body: serde_json::Value,
    headers: &[(&str, &str)],
) -> serde_json::Value {
    let headers: BTreeMap<&str, &str> = headers.iter().copied().collect();
    serde_json::json!({ "url": url, "body": body, "headers": headers })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    url: String,
    body: serde_json::Value,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// The `http.post` handler, with one HTTP client for all its jobs.
#[derive(Clone)]
pub struct HttpPostHandler {
    client: reqwest::Client,
}

impl Default for HttpPostHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpPostHandler {
    /// A client that waits 10 s for a connection and 30 s for the whole answer, and does
    /// not follow redirects (a webhook that moved is a failure to look at).
    pub fn new() -> HttpPostHandler {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aftersales/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        HttpPostHandler { client }
    }

    pub async fn run(&self, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("unusable http.post payload: {e}")))?;
        if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
            return Err(JobError::permanent(format!(
                "the url must start with http:// or https://: {}",
                p.url
            )));
        }
        let mut req = self
            .client
            .post(&p.url)
            .header("Idempotency-Key", job.key.as_str())
            .json(&p.body);
        for (k, v) in &p.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| JobError::permanent(format!("invalid header name: {k}")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| JobError::permanent(format!("invalid value of header {k}")))?;
            req = req.header(name, value);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| JobError::retry(error_chain(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        let snippet: String = text.trim().chars().take(500).collect();
        Err(JobError::retry(if snippet.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {snippet}")
        }))
    }
}

/// An error with its causes: reqwest's own message alone says only "error sending request".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_helper_writes_what_the_handler_reads() {
        let v = http_post_payload(
            "https://sms.example.com/send",
            serde_json::json!({"to": "13800000000"}),
            &[("Authorization", "Bearer x")],
        );
        let p: Payload = serde_json::from_value(v).expect("payload");
        assert_eq!(p.url, "https://sms.example.com/send");
        assert_eq!(p.headers["Authorization"], "Bearer x");
        assert_eq!(p.body["to"], "13800000000");
    }
}
