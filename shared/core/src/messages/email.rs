//! The email layout, in one place: every kind's body inside the same document, with the subject as title and heading, the bank's name and logo, and the footer.
//!
//! A kind's `html` template writes only its body (paragraphs, lists); the renderer wraps it
//! here rather than each of the kinds × languages extending a layout, so no kind file repeats
//! the document's head and a bank changes the frame once. The plain-text part is framed with
//! the same words in the same order: the bank's name, the subject, the body, the footer.

use minijinja::{Environment, Value, context};

use super::brand::Brand;
use super::format::Lang;

/// The layout's template name (`.html`: autoescaped like the kinds' HTML).
pub(super) const LAYOUT_NAME: &str = "forewarn/layout/email.html";
/// The layout's source.
pub(super) const LAYOUT: &str = include_str!("layout.html");

/// What frames one email: its language, subject and brand, and the preference page when
/// there is one (none today: issue 24 gives one; without it the footer says where in the app to go).
pub(super) struct Frame<'a> {
    pub lang: Lang,
    pub subject: &'a str,
    pub brand: &'a Brand,
    pub manage_url: Option<&'a str>,
}

/// The HTML part: `body` (the kind's rendered, escaped HTML) inside the layout.
pub(super) fn html(env: &Environment<'_>, frame: &Frame<'_>, body: &str) -> Result<String, minijinja::Error> {
    let words = frame.brand.words(frame.lang);
    env.get_template(LAYOUT_NAME)?.render(context! {
        lang => frame.lang.tag(),
        subject => frame.subject,
        brand => &frame.brand.name,
        logo => frame.brand.logo.as_ref().map(|u| u.as_str()),
        body => Value::from_safe_string(body.trim_end().to_owned()),
        footer => &words.footer,
        manage => &words.manage,
        manage_in_app => &words.manage_in_app,
        manage_url => frame.manage_url,
        legal => &words.legal,
    })
}

/// The plain-text part: the same words as [`html`], in the same order.
pub(super) fn text(frame: &Frame<'_>, body: &str) -> String {
    let words = frame.brand.words(frame.lang);
    let manage = match frame.manage_url {
        Some(url) => format!("{}: {url}", words.manage),
        None => words.manage_in_app.clone(),
    };
    format!(
        "{}\n\n{}\n\n{}\n\n{}\n{manage}\n{}\n",
        frame.brand.name,
        frame.subject,
        body.trim_end(),
        words.footer,
        words.legal
    )
}
