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

use crate::kinds::Category;
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

    /// How long the SMS provider has to report a text of this kind delivered before the
    /// alert falls over to the next channel (`receipt_within_minutes`); `None`: it never does.
    pub fn receipt_window(&self) -> Option<jiff::SignedDuration> {
        self.def
            .receipt_within_minutes
            .map(|m| jiff::SignedDuration::from_mins(i64::from(m)))
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

/// `catalog/categories.toml` as built in.
pub const CATEGORIES_TOML: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/categories.toml"));

/// One category of alert of `categories.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryDef {
    pub name: Category,
    pub description: String,
}

/// One table of `categories.toml`, as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryTable {
    description: String,
}

/// The top-level keys of a TOML text in the order it writes them (a `toml::Table` sorts them),
/// from the parser's spans; empty when it is not TOML.
pub(crate) fn keys_in_file_order(text: &str) -> Vec<String> {
    let Ok(table) = toml::de::DeTable::parse(text) else {
        return Vec::new();
    };
    let mut keys: Vec<(usize, String)> = table
        .get_ref()
        .keys()
        .map(|k| (k.span().start, k.get_ref().to_string()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// `table`'s entries in the order `text` (its source) writes them.
pub(crate) fn in_file_order(text: &str, mut table: toml::Table) -> Vec<(String, toml::Value)> {
    let mut out: Vec<(String, toml::Value)> = keys_in_file_order(text)
        .into_iter()
        .filter_map(|k| table.remove(&k).map(|v| (k, v)))
        .collect();
    out.extend(table);
    out
}

/// Reads a `categories.toml`: one table per category, named by it, with its `description`,
/// in the file's order.
pub fn parse_categories(text: &str) -> Result<Vec<CategoryDef>, CatalogError> {
    const FILE: &str = "categories.toml";
    let tables: toml::Table = toml::from_str(text).map_err(|e| CatalogError::new(FILE, e.to_string().trim_end()))?;
    let mut out = Vec::with_capacity(tables.len());
    for (key, value) in in_file_order(text, tables) {
        let name = Category::parse(&key).map_err(|r| CatalogError::new(FILE, format!("[{key}]: {r}")))?;
        let table: CategoryTable = value
            .try_into()
            .map_err(|e: toml::de::Error| CatalogError::new(FILE, format!("[{key}]: {}", e.message())))?;
        if table.description.trim().is_empty() {
            return Err(CatalogError::new(FILE, format!("[{key}].description: empty")));
        }
        out.push(CategoryDef {
            name,
            description: table.description,
        });
    }
    if out.is_empty() {
        return Err(CatalogError::new(FILE, "no categories: a kind needs one to name"));
    }
    Ok(out)
}

/// The categories built in (`catalog/categories.toml`).
fn built_in_categories() -> Vec<CategoryDef> {
    parse_categories(CATEGORIES_TOML).unwrap_or_else(|e| panic!("the built-in categories are invalid: {e}"))
}

/// The directory of kind files of a catalog directory: `DIR/kinds`, or `DIR` itself when it
/// has no `kinds` directory.
pub fn kinds_dir(dir: &std::path::Path) -> std::path::PathBuf {
    let kinds = dir.join("kinds");
    if kinds.is_dir() { kinds } else { dir.to_owned() }
}

/// Every kind and category, read from kind files and `categories.toml` and cross-checked.
#[derive(Debug)]
pub struct Catalog {
    kinds: Vec<Kind>,
    categories: Vec<CategoryDef>,
}

impl Catalog {
    /// Reads `(file name, TOML text)` pairs, with the built-in categories; the first fault found is returned.
    pub fn parse<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, CatalogError> {
        Catalog::parse_with(built_in_categories(), files)
    }

    /// Reads `(file name, TOML text)` pairs whose kinds name `categories`.
    pub fn parse_with<'a>(
        categories: Vec<CategoryDef>,
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalog, CatalogError> {
        Catalog::read(categories, files, |text| {
            toml::from_str(text).map_err(|e| e.to_string())
        })
    }

    /// Reads `(file name, kind file as JSON)` pairs: the built-in catalog, translated at build time.
    fn parse_json<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, CatalogError> {
        Catalog::read(built_in_categories(), files, |text| {
            serde_json::from_str(text).map_err(|e| e.to_string())
        })
    }

    fn read<'a>(
        categories: Vec<CategoryDef>,
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
        let catalog = Catalog { kinds, categories };
        catalog.cross_check()?;
        Ok(catalog)
    }

    /// Reads a catalog directory: the kind files of [`kinds_dir`], and `DIR/categories.toml`
    /// (the built-in categories when it has none).
    pub fn load(dir: &std::path::Path) -> Result<Catalog, CatalogError> {
        let path = dir.join("categories.toml");
        let categories = match path.is_file() {
            true => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| CatalogError::new(&path.display().to_string(), e.to_string()))?;
                parse_categories(&text)?
            }
            false => built_in_categories(),
        };
        Catalog::load_kinds(&kinds_dir(dir), categories)
    }

    /// Reads every `*.toml` of `dir`, with the built-in categories.
    pub fn load_dir(dir: &std::path::Path) -> Result<Catalog, CatalogError> {
        Catalog::load_kinds(dir, built_in_categories())
    }

    fn load_kinds(dir: &std::path::Path, categories: Vec<CategoryDef>) -> Result<Catalog, CatalogError> {
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
        Catalog::parse_with(categories, files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
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

    /// The categories of alert, in `categories.toml` order.
    pub fn categories(&self) -> &[CategoryDef] {
        &self.categories
    }

    /// Whether `name` is a category of this catalog.
    pub fn has_category(&self, name: &Category) -> bool {
        self.categories.iter().any(|c| c.name == *name)
    }

    /// A profile's `channel_preferences` keys: the first that is not a category of this catalog
    /// is a fault at `channel_preferences.<name>`.
    pub fn check_preferences<'c>(
        &self,
        mut categories: impl Iterator<Item = &'c Category>,
    ) -> Result<(), crate::error::EventError> {
        match categories.find(|c| !self.has_category(c)) {
            Some(unknown) => Err(crate::error::EventError::new(
                format!("channel_preferences.{unknown}"),
                format!("not a category of the catalog ({})", self.category_names()),
            )),
            None => Ok(()),
        }
    }

    /// The category names, for messages: `security, travel, account, applications`.
    pub fn category_names(&self) -> String {
        let names: Vec<&str> = self.categories.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
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
            if let Some(c) = k.def.category.as_ref().filter(|c| !self.has_category(c)) {
                return Err(CatalogError::new(
                    &k.file,
                    format!(
                        "category: {c} is not a category of categories.toml ({})",
                        self.category_names()
                    ),
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
    fn a_kind_may_name_only_a_category_of_categories_toml() {
        let text = Catalog::embedded_files()
            .iter()
            .find(|(n, _)| *n == "payment-due.toml")
            .unwrap()
            .1;
        let cards = text.replace("category = \"account\"", "category = \"cards\"");
        let err = Catalog::parse([("payment-due.toml", cards.as_str())]).unwrap_err();
        assert_eq!(err.file, "payment-due.toml");
        assert_eq!(
            err.reason,
            "category: cards is not a category of categories.toml (security, travel, account, applications)"
        );
        let with_cards = format!("{CATEGORIES_TOML}\n[cards]\ndescription = \"A card expires.\"\n");
        let files = Catalog::embedded_files()
            .iter()
            .map(|&(n, t)| (n, if n == "payment-due.toml" { cards.as_str() } else { t }));
        let c = Catalog::parse_with(parse_categories(&with_cards).unwrap(), files).unwrap();
        assert!(c.has_category(&Category::parse("cards").unwrap()));
    }

    #[test]
    fn a_categories_file_names_the_category_at_fault() {
        let bad = [
            (
                "[Cards]\ndescription = \"x\"\n",
                "[Cards]: \"Cards\" is not a category name",
            ),
            ("[cards]\ndescription = \" \"\n", "[cards].description: empty"),
            (
                "[cards]\ndescription = \"x\"\nchannels = 1\n",
                "[cards]: unknown field `channels`",
            ),
            ("", "no categories"),
        ];
        for (text, want) in bad {
            let err = parse_categories(text).unwrap_err();
            assert_eq!(err.file, "categories.toml");
            assert!(err.reason.starts_with(want), "{text:?}: {err}");
        }
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
