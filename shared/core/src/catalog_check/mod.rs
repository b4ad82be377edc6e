//! `forewarn catalog check`: proves a catalog before it ships — schemas, examples and sample events, the fields every rule and placeholder names, templates in every language, the worst-case SMS and escaped HTML.

use std::collections::BTreeSet;
use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::Environment;
use minijinja::syntax::SyntaxConfig;
use serde_json::Value;

mod worst;

use crate::catalog::{Catalog, Kind, PlaceholderFormat, Timing};
use crate::customer::Channel;
use crate::events::{CatalogDetail, Detail, DetailType};
use crate::messages::format::Lang;
use crate::messages::sms::Encoding;
use crate::messages::{MAX_SMS_SEGMENTS, Message, MessageInput, RenderError, Renderer};
use crate::types::Id;
use worst::worst_cases;

/// One fault of a catalog: the file, the place in it (a TOML path, or the JSON path in a
/// sample event) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub at: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at.as_str() {
            "" => write!(f, "{}: {}", self.file, self.reason),
            at => write!(f, "{}: {at}: {}", self.file, self.reason),
        }
    }
}

impl Problem {
    fn new(file: &str, at: impl Into<String>, reason: impl Into<String>) -> Problem {
        let (file, at, reason) = (file.to_owned(), at.into(), reason.into());
        Problem { file, at, reason }
    }
}

/// The problems of one file, as they are found.
struct Report<'a> {
    file: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Report<'_> {
    fn add(&mut self, at: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem::new(self.file, at, reason));
    }
}

/// Longest free text assumed when its schema states no `maxLength`.
const DEFAULT_MAX_LENGTH: usize = 500;
/// Most list items assumed when its schema states no `maxItems` (and most a template sees).
const MAX_ITEMS: usize = 20;
/// What the HTML check puts in every free-text field: producer text loses markup brackets
/// before any template sees it, so what could still break out of the HTML's escaping is a
/// quote that ends an attribute.
const SCRIPT: &str = "\" onmouseover=\"alert(1)";

/// Every problem of `catalog` and of the sample events (`(file name, envelope)`) of its
/// kinds; none when the catalog is sound. Samples of other detail-types are left alone.
pub fn check(catalog: &'static Catalog, samples: &[(String, Value)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let renderer = Renderer::for_catalog(catalog);
    for kind in catalog.kinds() {
        let mut report = Report {
            file: &kind.file,
            problems: &mut problems,
        };
        let compiled = schema(kind, &mut report);
        fields(catalog, kind, &mut report);
        if kind.notifies() {
            templates(kind, &mut report);
        }
        if compiled && kind.notifies() {
            worst_cases(&renderer, kind, &mut report);
        }
    }
    for (file, sample) in samples {
        let Some(kind) = sample_kind(catalog, sample) else {
            continue;
        };
        let errors = kind.validator().ok().map(|v| v.iter_errors(&sample["detail"]));
        if let Some(err) = errors.and_then(|mut e| e.next()) {
            let at = json_path("detail", &err.instance_path().to_string());
            let reason = format!("{err} (not a valid {} detail: see {})", kind.name(), kind.file);
            problems.push(Problem::new(file, at, reason));
        }
    }
    problems
}

/// The problems of a `replies.toml` text ([`crate::conversation::check_replies`]).
pub fn replies(text: &str) -> Vec<Problem> {
    let problem = |reason| Problem::new("replies.toml", "", reason);
    crate::conversation::check_replies(text)
        .into_iter()
        .map(problem)
        .collect()
}

/// The problems of a `brand.toml` text for this process's languages (install the catalog's
/// reply texts first: their tables are the languages).
pub fn brand(text: &str) -> Vec<Problem> {
    crate::messages::brand::check(text)
        .into_iter()
        .map(|reason| Problem::new("brand.toml", "", reason))
        .collect()
}

/// The catalog kind a sample envelope is an event of.
pub fn sample_kind<'c>(catalog: &'c Catalog, sample: &Value) -> Option<&'c Kind> {
    catalog.kind(sample.get("detail-type")?.as_str()?)
}

/// The schema's examples (none when absent or not an array).
fn examples(kind: &Kind) -> &[Value] {
    let examples = kind.def.schema.get("examples").and_then(Value::as_array);
    examples.map_or(&[], Vec::as_slice)
}

/// The JSON path (`detail.amount.currency`) of a JSON pointer below `prefix`.
fn json_path(prefix: &str, pointer: &str) -> String {
    let segments = std::iter::once(prefix).chain(pointer.split('/').skip(1));
    let path = segments.filter(|s| !s.is_empty()).collect::<Vec<_>>().join(".");
    if path.is_empty() { "$".into() } else { path }
}

/// The schema compiles, names its customer and holds valid examples (one at least, for a
/// kind that notifies); returns whether it compiles.
fn schema(kind: &Kind, report: &mut Report<'_>) -> bool {
    let validator = match kind.validator() {
        Ok(v) => v,
        Err(e) => {
            let reason = format!("does not compile as a draft 2020-12 JSON Schema: {e}");
            report.add("schema", reason);
            return false;
        }
    };
    let root = &kind.def.schema;
    if !field(root, "customer_id").is_ok_and(|f| f.required) {
        let reason = "must list customer_id: every event names its customer";
        report.add("schema.required", reason);
    }
    if root.get("examples").is_some_and(|e| !e.is_array()) {
        report.add("schema.examples", "must be an array of example details");
    } else if kind.notifies() && examples(kind).is_empty() {
        let reason = "a notifying kind needs at least one example detail: its messages are checked with it";
        report.add("schema.examples", reason);
    }
    for (i, example) in examples(kind).iter().enumerate() {
        if let Some(err) = validator.iter_errors(example).next() {
            let path = json_path("", &err.instance_path().to_string());
            let reason = format!("does not validate: {path}: {err}");
            report.add(format!("schema.examples[{i}]"), reason);
        }
    }
    true
}

/// The schemas a value of `schema` may have to match: itself, the target of its `$ref`, and
/// the branches of its `anyOf`, `oneOf` and `allOf`, followed to any depth.
fn branches<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    fn walk<'a>(root: &'a Value, s: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
        if depth > 16 {
            return;
        }
        out.push(s);
        let reference = s.get("$ref").and_then(Value::as_str);
        let target = reference.and_then(|r| root.pointer(r.strip_prefix('#')?));
        let alternatives = ["anyOf", "oneOf", "allOf"]
            .into_iter()
            .filter_map(|k| s.get(k)?.as_array());
        for b in target.into_iter().chain(alternatives.flatten()) {
            walk(root, b, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, schema, 0, &mut out);
    out
}

/// The JSON types the branches state, `null` aside.
fn types<'a>(branches: &[&'a Value]) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for b in branches {
        match b.get("type") {
            Some(Value::String(t)) => drop(out.insert(t.as_str())),
            Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(Value::as_str)),
            _ => {}
        }
    }
    out.remove("null");
    out
}

fn has(branches: &[&Value], key: &str) -> bool {
    branches.iter().any(|b| b.get(key).is_some())
}

fn largest(branches: &[&Value], key: &str) -> Option<usize> {
    let values = branches.iter().filter_map(|b| b.get(key)?.as_u64());
    values.max().map(|n| n as usize)
}

fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

/// What a dotted path of a detail may hold, and whether it is always there (required at every
/// step, never null).
struct Field<'a> {
    branches: Vec<&'a Value>,
    required: bool,
}

/// The schema of the field at `path` (following `properties`, `$ref` and `anyOf`), or why
/// there is none.
fn field<'a>(root: &'a Value, path: &str) -> Result<Field<'a>, String> {
    let mut here = branches(root, root);
    let mut required = true;
    for (depth, key) in path.split('.').enumerate() {
        let (mut next, mut listed) = (Vec::new(), false);
        for b in &here {
            if let Some(s) = b.get("properties").and_then(|p| p.get(key)) {
                next.extend(branches(root, s));
                let required = b.get("required").and_then(Value::as_array);
                listed |= required.is_some_and(|r| r.iter().any(|k| k == key));
            }
        }
        if next.is_empty() {
            let known = here.iter().filter_map(|b| b.get("properties")?.as_object());
            let known: BTreeSet<&str> = known.flat_map(|p| p.keys().map(String::as_str)).collect();
            let place = match depth {
                0 => "the detail".to_owned(),
                _ => path.split('.').take(depth).collect::<Vec<_>>().join("."),
            };
            let known = Some(join(known))
                .filter(|k| !k.is_empty())
                .unwrap_or("no fields".into());
            return Err(format!("{path} is not in the schema: {place} has {known}"));
        }
        let null = |t: &Value| t == "null" || t.as_array().is_some_and(|a| a.iter().any(|x| x == "null"));
        required &= listed && !next.iter().any(|b| b.get("type").is_some_and(null));
        here = next;
    }
    Ok(Field {
        branches: here,
        required,
    })
}

/// What a value of `format` needs its field to be, if `f` is not.
fn misfit(format: PlaceholderFormat, f: &Field<'_>) -> Option<&'static str> {
    let types = types(&f.branches);
    let money = |b: &&Value| {
        b.get("properties")
            .is_some_and(|p| p.get("amount").is_some() && p.get("currency").is_some())
    };
    let (fits, needs) = match format {
        PlaceholderFormat::Money => (f.branches.iter().any(money), "an object with amount and currency"),
        PlaceholderFormat::Date | PlaceholderFormat::Datetime => (date_time(f), "a string with format: date-time"),
        PlaceholderFormat::List => (types.contains("array"), "an array"),
        PlaceholderFormat::Link => (types.contains("string"), "a string"),
        PlaceholderFormat::Text | PlaceholderFormat::Id | PlaceholderFormat::Masked => {
            let scalar = ["string", "number", "integer"].iter().any(|t| types.contains(t));
            (scalar || has(&f.branches, "enum"), "a string or a number")
        }
    };
    (!fits).then_some(needs)
}

fn date_time(f: &Field<'_>) -> bool {
    let is = |b: &&Value| b.get("format").is_some_and(|x| x == "date-time");
    f.branches.iter().any(is)
}

/// Every field a rule or placeholder names is in the schema, of a type that suits its use;
/// subject fields are always there.
fn fields<'a>(catalog: &Catalog, kind: &'a Kind, report: &mut Report<'_>) {
    let (root, def) = (&kind.def.schema, &kind.def);
    // (where, path, the format it is read in (None: the subject), what to say of the format)
    let mut uses: Vec<(String, &'a str, Option<PlaceholderFormat>, String)> = Vec::new();
    for (name, p) in &def.placeholders {
        let format = format!(" (format {})", format!("{:?}", p.format).to_lowercase());
        uses.push((format!("placeholders.{name}.path"), &p.path, Some(p.format), format));
    }
    for (i, path) in def.subject.iter().flat_map(|s| s.fields.iter()).enumerate() {
        uses.push((format!("subject.fields[{i}]"), path, None, String::new()));
    }
    let deadline = match &def.timing {
        Some(Timing::BeforeDeparture { departure, .. }) => Some(("timing.departure", departure)),
        Some(Timing::UsualMoment { deadline, .. } | Timing::BigScreen { deadline, .. }) => {
            deadline.as_ref().map(|d| ("timing.deadline", d))
        }
        _ => None,
    };
    let times = deadline.into_iter().chain(def.expires.as_ref().map(|e| ("expires", e)));
    let typed = |at: &str, path: &'a String, f| (at.to_owned(), path.as_str(), Some(f), String::new());
    let times = times.map(|(at, path)| typed(at, path, PlaceholderFormat::Datetime));
    uses.extend(times.chain(def.link.iter().map(|p| typed("link", p, PlaceholderFormat::Link))));
    for (at, path, format, said) in uses {
        match (field(root, path), format) {
            (Err(e), _) => report.add(at, e),
            (Ok(f), None) if !f.required => {
                let reason =
                    format!("{path} must be required (and never null) in the schema: every event names its subject");
                report.add(at, reason);
            }
            (Ok(f), Some(format)) => {
                if let Some(needs) = misfit(format, &f) {
                    report.add(at, format!("{path} must be {needs}{said}"));
                }
            }
            (Ok(_), None) => {}
        }
    }
    for (i, r) in def.resolved_by.iter().enumerate() {
        for (j, path) in r.fields.iter().enumerate() {
            let at = format!("resolved_by[{i}].match[{j}]");
            if let Err(e) = field(root, path) {
                report.add(&at, e);
            }
            if let Some(by) = catalog.kind(&r.kind)
                && let Err(e) = field(&by.def.schema, path)
            {
                report.add(&at, format!("in the schema of {} ({}): {e}", r.kind, by.file));
            }
        }
    }
}

/// Every language has every part, non-empty, compiling, using only the kind's values, and the
/// HTML part never turns escaping off.
fn templates(kind: &Kind, report: &mut Report<'_>) {
    let def = &kind.def;
    let tags: Vec<&str> = Lang::all().iter().map(|l| l.tag()).collect();
    for tag in def.templates.keys().filter(|t| !tags.contains(&t.as_str())) {
        let reason = format!(
            "not a language of replies.toml ({}): a language needs its reply texts too",
            tags.join(", ")
        );
        report.add(format!("templates.{tag}"), reason);
    }
    // The syntax the renderer compiles templates with.
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build();
    env.set_syntax(syntax.expect("the default delimiters are valid"));
    let mut allowed: BTreeSet<String> = env.globals().map(|(g, _)| g.to_owned()).collect();
    allowed.extend(["name", "compact", "can_reply", "bank", "app"].map(str::to_owned));
    for (name, p) in &def.placeholders {
        allowed.insert(name.clone());
        if p.format == PlaceholderFormat::List {
            allowed.extend(["hidden", "more", "items"].map(|s| format!("{name}_{s}")));
        }
    }
    let declared = join(def.placeholders.keys().map(String::as_str));
    for tag in tags.iter().copied() {
        let Some(t) = def.templates.get(tag) else {
            let reason = format!("missing: every notifying kind needs templates in {}", tags.join(", "));
            report.add(format!("templates.{tag}"), reason);
            continue;
        };
        let parts = [("sms", &t.sms, "sms.txt"), ("push", &t.push, "push.txt")];
        let parts = parts
            .into_iter()
            .chain([("email", &t.email, "email.txt"), ("html", &t.html, "email.html")]);
        for (part, source, suffix) in parts {
            let at = format!("templates.{tag}.{part}");
            let name = format!("{}/{tag}/{suffix}", kind.name());
            let template = match env.template_from_named_str(&name, source) {
                Ok(t) if !source.trim().is_empty() => t,
                result => {
                    report.add(
                        at,
                        result
                            .err()
                            .map_or("empty".into(), |e| format!("does not compile: {e}")),
                    );
                    continue;
                }
            };
            let used: BTreeSet<String> = template.undeclared_variables(false).into_iter().collect();
            for var in used.iter().filter(|v| !allowed.contains(*v)) {
                let reason = format!(
                    "uses {{{{ {var} }}}}, which is not a placeholder of {} (it has: {declared})",
                    kind.name()
                );
                report.add(&at, reason);
            }
            let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
            if part == "html" && (compact.contains("|safe") || compact.contains("filtersafe")) {
                report.add(&at, "uses the `safe` filter: producer text in HTML must stay escaped");
            }
            if part == "html" && compact.contains("autoescapefalse") {
                report.add(&at, "turns autoescaping off: producer text in HTML must stay escaped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository's catalog with `edit` applied to the text of `file`, leaked for the renderer.
    fn edited(file: &str, edit: impl Fn(&str) -> String) -> &'static Catalog {
        assert!(
            Catalog::embedded_files().iter().any(|(n, _)| *n == file),
            "no kind file {file}"
        );
        let files: Vec<(&str, String)> = Catalog::embedded_files()
            .iter()
            .map(|(n, t)| (*n, if *n == file { edit(t) } else { (*t).to_owned() }))
            .collect();
        let catalog = Catalog::parse(files.iter().map(|(n, t)| (*n, t.as_str()))).unwrap_or_else(|e| panic!("{e}"));
        Box::leak(Box::new(catalog))
    }

    /// The problems of `file` once `edit` is applied to it, as lines.
    fn problems_after(file: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
        let problems = check(edited(file, edit), &[]);
        problems
            .iter()
            .filter(|p| p.file == file)
            .map(ToString::to_string)
            .collect()
    }

    fn replace_once(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "{from:?} is not in the kind file");
        text.replacen(from, to, 1)
    }

    /// `text` put at the start of the `part` template of language `tag`.
    fn prepend(t: &str, tag: &str, part: &str, text: &str) -> String {
        let section = t
            .find(&format!("[templates.\"{tag}\"]"))
            .expect("the language's templates");
        let opening = format!("\n{part} = '''\n");
        let start = section + t[section..].find(&opening).expect("the part") + opening.len();
        format!("{}{text}{}", &t[..start], &t[start..])
    }

    fn sample_events() -> Vec<(String, Value)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "json") {
                let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                match json {
                    Value::Array(items) => out.extend(items.into_iter().map(|v| (name.clone(), v))),
                    v => out.push((name, v)),
                }
            }
        }
        out
    }

    #[test]
    fn the_repositorys_catalog_and_samples_have_no_problems() {
        let catalog: &'static Catalog = Box::leak(Box::new(Catalog::embedded()));
        let samples = sample_events();
        assert!(
            samples
                .iter()
                .filter(|(_, s)| sample_kind(catalog, s).is_some())
                .count()
                > 10
        );
        let problems: Vec<String> = check(catalog, &samples).iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        let replies =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/replies.toml")).unwrap();
        assert_eq!(super::replies(&replies), Vec::new());
    }

    #[test]
    fn a_template_using_an_unknown_placeholder_is_named_with_the_kinds_placeholders() {
        let got = problems_after("payment-due.toml", |t| prepend(t, "de", "sms", "{{ balanse }} "));
        let want = "payment-due.toml: templates.de.sms: uses {{ balanse }}, which is not a placeholder of PaymentDue \
                    (it has: account, amount, balance, due, payee)";
        assert!(got.iter().any(|p| p == want), "{got:#?}");
    }

    #[test]
    fn a_missing_language_is_named() {
        let got = problems_after("payment-due.toml", |t| {
            let start = t.find("[templates.\"fr\"]").unwrap();
            let end = t[start + 1..].find("\n[").map_or(t.len(), |i| start + i + 2);
            format!("{}{}", &t[..start], &t[end..])
        });
        assert!(
            got.iter()
                .any(|p| p.starts_with("payment-due.toml: templates.fr: missing: every notifying kind needs")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_placeholder_path_not_in_the_schema_is_named_with_the_fields_there() {
        let got = problems_after("payment-due.toml", |t| {
            replace_once(t, "path = \"due_at\"", "path = \"due_on\"")
        });
        assert!(
            got.iter().any(|p| p.starts_with("payment-due.toml: placeholders.due.path: due_on is not in the schema: the detail has account_id, amount")),
            "{got:#?}"
        );
        let got = problems_after("low-balance.toml", |t| {
            replace_once(
                t,
                "path = \"upcoming_payment.payee\"",
                "path = \"upcoming_payment.amount\"",
            )
        });
        assert!(
            got.iter()
                .any(|p| p.starts_with("low-balance.toml: placeholders.payee.path: upcoming_payment.amount must be a string or a number (format text)")),
            "{got:#?}"
        );
    }

    #[test]
    fn an_example_or_a_sample_that_does_not_validate_is_named_with_the_json_path() {
        let got = problems_after("payment-due.toml", |t| {
            replace_once(t, "currency = \"GBP\"", "currency = \"gbp\"")
        });
        assert!(
            got.iter()
                .any(|p| p
                    .starts_with("payment-due.toml: schema.examples[1]: does not validate: amount.currency: \"gbp\"")),
            "{got:#?}"
        );
        let catalog: &'static Catalog = Box::leak(Box::new(Catalog::embedded()));
        let mut sample = sample_events()
            .into_iter()
            .find(|(f, _)| f == "low-balance.json")
            .unwrap();
        sample.1["detail"]["balance"]["currency"] = "euro".into();
        let got: Vec<String> = check(catalog, &[sample]).iter().map(ToString::to_string).collect();
        assert!(
            got.iter()
                .any(|p| p.starts_with("low-balance.json: detail.balance.currency: \"euro\" does not match")),
            "{got:#?}"
        );
    }

    #[test]
    fn an_sms_too_long_even_when_compact_is_named_with_its_language_and_example() {
        let words = "Add money before then to avoid a failed payment. ".repeat(4);
        let got = problems_after("payment-due.toml", |t| prepend(t, "en", "sms", &words));
        assert!(
            got.iter()
                .any(|p| p.starts_with("payment-due.toml: templates.en.sms: the SMS takes")
                    && p.ends_with(
                        "even when compact: shorten its fixed words (with the worst-case values of schema.examples[0])"
                    )),
            "{got:#?}"
        );
        let fits = problems_after("payment-due.toml", |t| t.to_owned());
        assert!(!fits.iter().any(|p| p.contains("templates.en.sms")), "{fits:#?}");
    }

    #[test]
    fn html_that_is_not_escaped_is_refused() {
        let got = problems_after("payment-due.toml", |t| {
            prepend(t, "en", "html", "<p>{{ payee|safe }}</p>\n")
        });
        for want in [
            "payment-due.toml: templates.en.html: uses the `safe` filter: producer text in HTML must stay escaped",
            "payment-due.toml: templates.en.html: a producer's \" onmouseover=\"alert(1) reaches the HTML part unescaped \
             (with the worst-case values of schema.examples[0])",
        ] {
            assert!(got.iter().any(|p| p == want), "{want}\n{got:#?}");
        }
        let got = problems_after("payment-due.toml", |t| {
            prepend(t, "en", "html", "{% autoescape false %}{% endautoescape %}\n")
        });
        assert!(
            got.iter()
                .any(|p| p.contains("templates.en.html: turns autoescaping off")),
            "{got:#?}"
        );
    }

    #[test]
    fn a_schema_that_does_not_compile_or_omits_the_customer_is_named() {
        let got = problems_after("payment-due.toml", |t| {
            replace_once(t, "minLength = 1, maxLength = 60", "minLength = \"one\"")
        });
        assert!(
            got.iter()
                .any(|p| p.starts_with("payment-due.toml: schema: does not compile as a draft 2020-12 JSON Schema")),
            "{got:#?}"
        );
        let got = problems_after("payment-due.toml", |t| {
            replace_once(
                t,
                "required = [\"customer_id\", \"account_id\"",
                "required = [\"account_id\"",
            )
        });
        assert!(
            got.iter().any(|p| p.contains("schema.required: must list customer_id")),
            "{got:#?}"
        );
    }

    #[test]
    fn template_syntax_errors_and_fields_of_rules_are_named() {
        let got = problems_after("payment-due.toml", |t| prepend(t, "en", "sms", "{% if %}"));
        assert!(
            got.iter().any(
                |p| p.starts_with("payment-due.toml: templates.en.sms: does not compile: syntax error")
                    && p.contains("(in PaymentDue/en/sms.txt:")
            ),
            "{got:#?}"
        );
        let got = problems_after("payment-due.toml", |t| {
            replace_once(
                t,
                "fields = [\"account_id\", \"payment_id\"]",
                "fields = [\"account_id\", \"payment_id\", \"method\"]",
            )
        });
        assert!(
            got.iter()
                .any(|p| p.contains("subject.fields[2]: method must be required")),
            "{got:#?}"
        );
        let got = problems_after("payment-due.toml", |t| {
            replace_once(t, "expires = \"due_at\"", "expires = \"payee\"")
        });
        assert!(
            got.iter()
                .any(|p| p.contains("expires: payee must be a string with format: date-time")),
            "{got:#?}"
        );
    }

    #[test]
    fn worst_case_details_fill_free_text_and_keep_the_rest() {
        let root: Value = serde_json::json!({
            "type": "object",
            "properties": {
                "a": {"type": "string", "maxLength": 3},
                "t": {"type": "string", "format": "date-time"},
                "e": {"enum": ["x"]},
                "l": {"type": "array", "maxItems": 4, "items": {"$ref": "#/$defs/T"}},
                "o": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/T"}]}
            },
            "$defs": {"T": {"type": "string"}}
        });
        let v = serde_json::json!({"a": "b", "t": "2026-01-01T00:00:00Z", "e": "x", "l": ["i"], "o": "p"});
        let got = worst::worst(&root, &branches(&root, &root), &v, &|n| "🙂".repeat(n));
        let long = "🙂".repeat(DEFAULT_MAX_LENGTH);
        assert_eq!(
            got,
            serde_json::json!({"a": "🙂🙂🙂", "t": "2026-01-01T00:00:00Z", "e": "x",
                               "l": [long, long, long, long], "o": long})
        );
    }
}
