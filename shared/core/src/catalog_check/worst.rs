//! The worst cases a catalog must survive: every free-text field at its longest, in characters that force UCS-2 SMS, and markup in every field of the HTML.

use serde_json::Value;

use super::*;
use crate::messages::brand;

/// A copy of `v` with every free-text string (one with no `format`, `enum`, `const` or
/// `pattern`) replaced by `fill(its maxLength)`, and every free-text list at its longest.
pub(super) fn worst(root: &Value, schemas: &[&Value], v: &Value, fill: &dyn Fn(usize) -> String) -> Value {
    let below = |sub: &dyn Fn(&Value) -> Option<&Value>| -> Vec<&Value> {
        schemas
            .iter()
            .filter_map(|b| sub(b))
            .flat_map(|s| branches(root, s))
            .collect()
    };
    match v {
        Value::Object(m) => {
            let walk = |(k, x): (&String, &Value)| {
                let props = below(&|b| b.get("properties")?.get(k));
                (k.clone(), worst(root, &props, x, fill))
            };
            Value::Object(m.iter().map(walk).collect())
        }
        Value::Array(items) => {
            let item = below(&|b| b.get("items"));
            let mut out: Vec<Value> = items.iter().map(|x| worst(root, &item, x, fill)).collect();
            let longest = largest(schemas, "maxItems").unwrap_or(MAX_ITEMS).min(MAX_ITEMS);
            while let Some(last) = out.last().filter(|_| free_text(&item) && out.len() < longest) {
                out.push(last.clone());
            }
            Value::Array(out)
        }
        Value::String(_) if free_text(schemas) => {
            Value::String(fill(largest(schemas, "maxLength").unwrap_or(DEFAULT_MAX_LENGTH)))
        }
        other => other.clone(),
    }
}

pub(super) fn free_text(schemas: &[&Value]) -> bool {
    types(schemas).contains("string") && !["format", "enum", "const", "pattern"].iter().any(|k| has(schemas, k))
}

/// Renders `detail` of the kind `t` on `channel` in `lang`, for a customer named `name` in UTC.
pub(super) fn render(
    r: &Renderer,
    t: DetailType,
    detail: &Value,
    channel: Channel,
    lang: Lang,
    name: &str,
) -> Result<Message, RenderError> {
    let customer_id = Id::parse("catalog-check").expect("a valid id");
    let detail = Detail::Catalog(CatalogDetail {
        detail_type: t,
        customer_id,
        value: detail.clone(),
    });
    let (locale, time_zone, event_time) = (lang.tag(), &TimeZone::UTC, Timestamp::UNIX_EPOCH);
    r.render(&MessageInput {
        detail: &detail,
        channel,
        locale,
        time_zone,
        customer_name: Some(name),
        event_time,
        json: None,
    })
}

/// With the costliest values each schema example can hold, the SMS of every language fits in
/// [`MAX_SMS_SEGMENTS`], every part renders, and the HTML part escapes what producers write.
/// One problem per template part: the first example that shows it.
pub(super) fn worst_cases(renderer: &Renderer, kind: &Kind, report: &mut Report<'_>) {
    let Some(t) = DetailType::parse(kind.name()) else {
        let reason = "cannot render: this process's catalog does not hold the kind (install it first)";
        report.add("detail_type", reason);
        return;
    };
    let (root, costly) = (&kind.def.schema, |n: usize| "🙂".repeat(n));
    let top = branches(root, root);
    let mut reported = BTreeSet::new();
    for (i, base) in examples(kind).iter().enumerate() {
        let long = worst(root, &top, base, &costly);
        let html = worst(root, &top, base, &|_| SCRIPT.to_owned());
        let langs = Lang::all()
            .iter()
            .copied()
            .filter(|l| kind.def.templates.contains_key(l.tag()));
        for lang in langs {
            let sms = render(renderer, t, &long, Channel::Sms, lang, &costly(DEFAULT_MAX_LENGTH));
            let push = render(renderer, t, &long, Channel::Push, lang, &costly(DEFAULT_MAX_LENGTH));
            let email = render(renderer, t, &html, Channel::Email, lang, SCRIPT);
            let mut found: Vec<(&str, String)> = [("sms", &sms), ("push", &push), ("email", &email)]
                .into_iter()
                .filter_map(|(part, m)| Some((part, format!("does not render: {}", m.as_ref().err()?))))
                .collect();
            if let Some(reason) = sms.ok().and_then(|m| too_long(&m)) {
                found.push(("sms", reason));
            }
            let html = email.ok().and_then(|m| m.html).unwrap_or_default();
            if html.contains(SCRIPT) {
                found.push(("html", format!("a producer's {SCRIPT} reaches the HTML part unescaped")));
            }
            for (part, reason) in found {
                let at = format!("templates.{}.{part}", lang.tag());
                if reported.insert(at.clone()) {
                    report.add(
                        at,
                        format!("{reason} (with the worst-case values of schema.examples[{i}])"),
                    );
                }
            }
        }
    }
}

/// Why `sms` is too long, when it takes more than [`MAX_SMS_SEGMENTS`]: its fixed words, or
/// the bank's name before them when the text alone would fit.
fn too_long(sms: &Message) -> Option<String> {
    let s = sms.sms.filter(|s| s.segments > MAX_SMS_SEGMENTS)?;
    let encoding = if s.encoding == Encoding::Gsm7 { "GSM-7" } else { "UCS-2" };
    let (n, units) = (s.segments, s.units);
    let taken = format!(
        "the SMS takes {n} segments ({units} {encoding} units), more than {MAX_SMS_SEGMENTS} even when compact"
    );
    let name = &brand::brand().name;
    let text = sms.body.strip_prefix(&brand::sms_prefix()).unwrap_or(&sms.body);
    if crate::messages::sms::segments(text).segments > MAX_SMS_SEGMENTS {
        return Some(format!("{taken}: shorten its fixed words"));
    }
    Some(format!(
        "{taken} with the bank's name before it: brand.toml `name` (\"{name}\", {} characters) is too long for this text; shorten the name or the fixed words",
        name.chars().count()
    ))
}
