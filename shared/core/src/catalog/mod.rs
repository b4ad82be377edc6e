//! The catalog: every notification kind and resolving event as checked data (`catalog/kinds/*.toml`), so a new kind or new wording needs no Rust.
//!
//! A kind file declares its detail-type and JSON Schema, its category and urgency, the fields
//! that name its subject, its repeat rule, the events that resolve it, its timing rule and
//! deadline, whether it expects a reply, its channel order, and its templates per language ×
//! channel. The files are built into every binary (`build.rs`); [`catalog`] reads them once.
//! The timing and repeat rules are a closed set of proven behaviours a kind picks and
//! parameterises; the wording and the contract are free.

pub mod docs;
mod file;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::subject;

pub use file::{KindFile, Placeholder, PlaceholderFormat, Repeat, ResolvedBy, Role, Subject, Templates, Timing};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));
}

/// A catalog that cannot be read, naming the file and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct CatalogError {
    pub file: String,
    pub reason: String,
}

impl CatalogError {
    fn new(file: &str, reason: impl Into<String>) -> CatalogError {
        CatalogError {
            file: file.to_owned(),
            reason: reason.into(),
        }
    }
}

/// One kind of the catalog, read and cross-checked.
#[derive(Debug)]
pub struct Kind {
    /// The file it came from (`low-balance.toml`).
    pub file: String,
    pub def: KindFile,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

impl Kind {
    /// The detail-type, as EventBridge carries it.
    pub fn name(&self) -> &str {
        &self.def.detail_type
    }

    pub fn notifies(&self) -> bool {
        self.def.role == Role::Notify
    }

    /// The compiled JSON Schema of the detail (compiled on first use).
    pub fn validator(&self) -> Result<&jsonschema::Validator, &str> {
        self.validator
            .get_or_init(|| {
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&self.def.schema)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The subject of a detail of this kind: `<name>:<field>:<field>…` (`account:PT50-1`).
    pub fn subject_of(&self, detail: &Value) -> subject::Subject {
        match &self.def.subject {
            Some(s) => subject::Subject::exact(&s.name, s.fields.iter().map(|f| text_at(detail, f))),
            None => subject::Subject::default(),
        }
    }

    /// When a notice of this kind stops mattering: the instant at its `expires` field, with
    /// that field, or [`DEFAULT_TTL`] after the event when the kind or the event names none.
    pub fn stops_mattering(&self, detail: &Value, event_time: jiff::Timestamp) -> (jiff::Timestamp, Option<&str>) {
        let field = self.def.expires.as_deref();
        match field.and_then(|p| text_at(detail, p).parse().ok()) {
            Some(at) => (at, field),
            None => (event_time.saturating_add(DEFAULT_TTL).unwrap_or(event_time), None),
        }
    }

    /// The subject's words for reasons: `account PT50-1`, `application app-9`.
    pub fn subject_label(&self, detail: &Value) -> String {
        match &self.def.subject {
            Some(s) => {
                let values: Vec<String> = s.fields.iter().map(|f| text_at(detail, f)).collect();
                format!("{} {}", s.name, values.join(" "))
            }
            None => String::new(),
        }
    }
}

/// How long a notice matters when its kind or its event names no deadline.
pub const DEFAULT_TTL: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// The value at a dotted `path` of a JSON detail (`flight.number`).
pub fn lookup<'v>(detail: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(detail, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// The text of the value at `path` (a string as is, a number written out); empty when absent.
pub fn text_at(detail: &Value, path: &str) -> String {
    match lookup(detail, path) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Every kind, read from kind files and cross-checked.
#[derive(Debug)]
pub struct Catalog {
    kinds: Vec<Kind>,
}

impl Catalog {
    /// Reads `(file name, TOML text)` pairs; the first fault found is returned.
    pub fn parse<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, CatalogError> {
        Catalog::read(files, |text| toml::from_str(text).map_err(|e| e.to_string()))
    }

    /// Reads `(file name, kind file as JSON)` pairs: the built-in catalog, translated at build time.
    fn parse_json<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, CatalogError> {
        Catalog::read(files, |text| serde_json::from_str(text).map_err(|e| e.to_string()))
    }

    fn read<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        parse: impl Fn(&str) -> Result<KindFile, String>,
    ) -> Result<Catalog, CatalogError> {
        let mut kinds = Vec::new();
        for (name, text) in files {
            let def = parse(text).map_err(|e| CatalogError::new(name, e))?;
            file::check_shape(&def).map_err(|r| CatalogError::new(name, r))?;
            kinds.push(Kind {
                file: name.to_owned(),
                def,
                validator: OnceLock::new(),
            });
        }
        let catalog = Catalog { kinds };
        catalog.cross_check()?;
        Ok(catalog)
    }

    /// Reads every `*.toml` of `dir`.
    pub fn load_dir(dir: &std::path::Path) -> Result<Catalog, CatalogError> {
        let where_ = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| CatalogError::new(&where_, e.to_string()))?;
        let mut files: Vec<(String, String)> = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| CatalogError::new(&where_, e.to_string()))?.path();
            if path.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| CatalogError::new(&path.display().to_string(), e.to_string()))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, text));
            }
        }
        if files.is_empty() {
            return Err(CatalogError::new(&where_, "no kind files (*.toml)"));
        }
        files.sort();
        Catalog::parse(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// The `(file name, TOML text)` pairs built into this binary, in name order.
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        embedded::FILES
    }

    /// The catalog built into this binary (read from its JSON translation).
    pub fn embedded() -> Catalog {
        Catalog::parse_json(embedded::JSON.iter().copied())
            .unwrap_or_else(|e| panic!("the built-in catalog is invalid: {e}"))
    }

    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    pub fn kind(&self, detail_type: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.name() == detail_type)
    }

    /// The subjects a resolving event of kind `resolving` settles: one per notice kind that
    /// names it in `resolved_by`, in catalog order; a prefix when it names only the leading
    /// fields of the notice's subject.
    pub fn resolved_subjects(&self, resolving: &str, detail: &Value) -> Vec<subject::Subject> {
        let mut out = Vec::new();
        for k in &self.kinds {
            let Some(subject) = &k.def.subject else { continue };
            for r in k.def.resolved_by.iter().filter(|r| r.kind == resolving) {
                let values = r.fields.iter().map(|f| text_at(detail, f));
                let pattern = if r.fields.len() < subject.fields.len() {
                    subject::Subject::prefix(&subject.name, values)
                } else {
                    subject::Subject::exact(&subject.name, values)
                };
                if !out.contains(&pattern) {
                    out.push(pattern);
                }
            }
        }
        out
    }

    /// Resolved-by links, subject fields and placeholders that point at nothing.
    fn cross_check(&self) -> Result<(), CatalogError> {
        let mut seen = BTreeMap::new();
        for k in &self.kinds {
            if let Some(other) = seen.insert(k.name(), &k.file) {
                return Err(CatalogError::new(
                    &k.file,
                    format!("detail_type {} is also declared by {other}", k.name()),
                ));
            }
        }
        for k in &self.kinds {
            let Some(subject) = &k.def.subject else { continue };
            for (i, r) in k.def.resolved_by.iter().enumerate() {
                let at = format!("resolved_by[{i}]");
                let Some(by) = self.kind(&r.kind) else {
                    return Err(CatalogError::new(
                        &k.file,
                        format!("{at}.kind: no kind file declares {}", r.kind),
                    ));
                };
                if by.notifies() {
                    return Err(CatalogError::new(
                        &k.file,
                        format!(
                            "{at}.kind: {} notifies; only a `role = \"resolve\"` kind can resolve",
                            r.kind
                        ),
                    ));
                }
                if r.fields.is_empty() || !subject.fields.starts_with(&r.fields) {
                    return Err(CatalogError::new(
                        &k.file,
                        format!(
                            "{at}.match: must be the leading fields of subject.fields ({})",
                            subject.fields.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The catalog this process runs on: the built-in one unless [`install`] gave another first.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(Catalog::embedded)
}

/// Makes `c` the catalog of this process (the CLI's `--catalog DIR`); refused once one is in use.
pub fn install(c: Catalog) -> Result<(), Catalog> {
    CATALOG.set(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_built_in_catalog_reads_and_holds_every_seed_kind() {
        let c = Catalog::embedded();
        let from_toml = Catalog::parse(Catalog::embedded_files().iter().copied()).unwrap();
        let defs = |c: &Catalog| {
            c.kinds()
                .iter()
                .map(|k| (k.file.clone(), k.def.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            defs(&c),
            defs(&from_toml),
            "the JSON built in reads as the TOML written"
        );
        for name in [
            "LowBalance",
            "FlightDelayed",
            "ApplicationIncomplete",
            "SuspiciousTransaction",
            "BalanceRestored",
        ] {
            assert!(c.kind(name).is_some(), "{name}");
        }
    }

    #[test]
    fn a_subject_is_built_from_the_declared_fields_in_order() {
        let c = Catalog::embedded();
        let flight = json!({"booking_ref": "ABC123", "flight": {"number": "TP1234"}});
        assert_eq!(
            c.kind("FlightDelayed").unwrap().subject_of(&flight),
            "flight:ABC123:TP1234"
        );
        let low = json!({"account_id": "PT50"});
        assert_eq!(c.kind("LowBalance").unwrap().subject_of(&low), "account:PT50");
        assert_eq!(c.kind("LowBalance").unwrap().subject_label(&low), "account PT50");
    }

    #[test]
    fn a_resolving_event_settles_the_subjects_of_every_kind_that_names_it() {
        let c = Catalog::embedded();
        let got = c.resolved_subjects("BalanceRestored", &json!({"account_id": "PT50"}));
        assert_eq!(got[0], crate::subject::Subject::exact("account", ["PT50".to_owned()]));
        assert!(!got[0].is_prefix());
        assert!(got[0].matches(&"account:PT50".into()) && !got[0].matches(&"account:PT500".into()));
        let prefix = got.iter().find(|s| s.is_prefix()).expect("PaymentDue's payment prefix");
        assert_eq!(prefix.as_str(), "payment:PT50:");
        assert!(prefix.matches(&"payment:PT50:p-1".into()) && !prefix.matches(&"payment:PT500:p-1".into()));
    }

    #[test]
    fn only_the_fraud_alert_may_ask_for_a_reply() {
        let text = Catalog::embedded_files()
            .iter()
            .find(|(n, _)| *n == "payment-due.toml")
            .unwrap()
            .1;
        let asking = text.replace("urgency = \"normal\"\n", "urgency = \"normal\"\nexpects_reply = true\n");
        let err = Catalog::parse([("payment-due.toml", asking.as_str())]).unwrap_err();
        assert!(err.reason.starts_with("expects_reply: "), "{err}");
    }

    #[test]
    fn a_resolved_by_link_to_an_unknown_or_notifying_kind_is_refused_naming_the_file() {
        let base = Catalog::embedded();
        let low = base.kinds().iter().find(|k| k.name() == "LowBalance").unwrap();
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../catalog/kinds/low-balance.toml"
        ))
        .unwrap();
        let broken = text.replace("kind = \"BalanceRestored\"", "kind = \"NoSuchKind\"");
        let err = Catalog::parse([(low.file.as_str(), broken.as_str())]).unwrap_err();
        assert_eq!(err.file, "low-balance.toml");
        assert!(
            err.reason
                .contains("resolved_by[0].kind: no kind file declares NoSuchKind"),
            "{err}"
        );
    }
}
