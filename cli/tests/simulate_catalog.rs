//! `forewarn simulate --catalog DIR` end to end: a kind and a category that only the directory declares are decided, routed and rendered, and an unsound directory is refused.

mod common;

use common::*;

/// A copy of the repository's catalog in `dir/catalog`, with `CardExpiring`: a kind no Rust
/// names, made from `PaymentDue` with its own German title.
fn catalog_with_a_new_kind(dir: &std::path::Path) -> std::path::PathBuf {
    let catalog = dir.join("catalog");
    copy_dir(
        std::path::Path::new(&format!("{}/../catalog", env!("CARGO_MANIFEST_DIR"))),
        &catalog,
    );
    let due = std::fs::read_to_string(catalog.join("kinds/payment-due.toml")).unwrap();
    let card = due
        .replace("\"PaymentDue\"", "\"CardExpiring\"")
        .replace("name = \"payment\"", "name = \"card\"")
        .replace("Zahlung fällig", "Karte läuft ab");
    assert_ne!(card, due);
    std::fs::write(catalog.join("kinds/card-expiring.toml"), card).unwrap();
    catalog
}

#[test]
fn simulate_with_a_catalog_directory_decides_and_renders_a_kind_only_that_directory_declares() {
    let dir = scratch("new-kind");
    let catalog = catalog_with_a_new_kind(&dir);
    let event = std::fs::read_to_string(format!("{}/payment-due.json", samples_dir()))
        .unwrap()
        .replace("\"PaymentDue\"", "\"CardExpiring\"")
        .replace("pd-0001", "ce-0001");
    std::fs::write(dir.join("card-expiring.json"), event).unwrap();
    let events = dir.join("card-expiring.json");
    let built_in = json_lines(&["simulate", "--format", "json", "--events", events.to_str().unwrap()]);
    assert_eq!(
        decisions(&built_in)["ce-0001"][0]["outcome"],
        "rejected",
        "the built-in catalog does not know the kind"
    );
    let lines = json_lines(&[
        "simulate",
        "--format",
        "json",
        "--catalog",
        catalog.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let d = decisions(&lines);
    assert_eq!(d["ce-0001"][0]["outcome"], "send_now", "{:?}", d["ce-0001"]);
    let delivery = lines
        .iter()
        .find(|l| l["kind"] == "delivery" && l["event_id"] == "ce-0001")
        .expect("the new kind's message");
    let subject = delivery["subject"].as_str().unwrap();
    assert!(subject.starts_with("Karte läuft ab: 112,40"), "{delivery}");
}

#[test]
fn simulate_with_an_unsound_catalog_directory_exits_2_naming_the_problem() {
    let dir = scratch("bad-catalog");
    let catalog = catalog_with_a_new_kind(&dir);
    let kind = catalog.join("kinds/card-expiring.toml");
    let text = std::fs::read_to_string(&kind).unwrap();
    std::fs::write(&kind, text.replacen("{{ payee }}", "{{ betrag }}", 1)).unwrap();
    let out = forewarn(&["simulate", "--catalog", catalog.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("card-expiring.toml") && err.contains("betrag"), "{err}");
    assert!(out.stdout.is_empty(), "nothing is simulated");
    let missing = forewarn(&["simulate", "--catalog", "/nonexistent/catalog"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/catalog"));
}

#[test]
fn a_cards_category_added_as_catalog_files_routes_a_new_kind_by_the_customers_preference_for_it() {
    let dir = scratch("cards");
    let catalog = catalog_with_a_new_kind(&dir);
    let kind = catalog.join("kinds/card-expiring.toml");
    let text = std::fs::read_to_string(&kind).unwrap();
    std::fs::write(&kind, text.replace("category = \"account\"", "category = \"cards\"")).unwrap();
    let customers = dir.join("customers.json");
    std::fs::write(
        &customers,
        r#"[{"customer_id": "c-2001", "name": "Gil", "locale": "de-DE", "time_zone": "Europe/Berlin",
             "contacts": {"email": "gil@example.com", "phone": "+447700900555"},
             "channel_preferences": {"cards": ["email", "sms"]}}]"#,
    )
    .unwrap();
    let event = std::fs::read_to_string(format!("{}/payment-due.json", samples_dir()))
        .unwrap()
        .replace("\"PaymentDue\"", "\"CardExpiring\"")
        .replace("pd-0001", "ce-0002")
        .replace("c-1007", "c-2001");
    let events = dir.join("card-expiring.json");
    std::fs::write(&events, event).unwrap();
    let args = |catalog: &std::path::Path| {
        [
            "simulate",
            "--format",
            "json",
            "--catalog",
            catalog.to_str().unwrap(),
            "--customers",
            customers.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ]
        .map(str::to_owned)
    };
    let unknown = forewarn(&args(&catalog).each_ref().map(String::as_str));
    assert_eq!(unknown.status.code(), Some(2), "cards is not a category yet");
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("card-expiring.toml: category: cards is not a category of categories.toml"),
        "{err}"
    );
    let categories = catalog.join("categories.toml");
    let mut text = std::fs::read_to_string(&categories).unwrap();
    text.push_str("\n[cards]\ndescription = \"A card expires, is blocked or is replaced.\"\n");
    std::fs::write(&categories, text).unwrap();
    let lines = json_lines(&args(&catalog).each_ref().map(String::as_str));
    let d = decisions(&lines);
    let decision = d["ce-0002"][0];
    assert_eq!(decision["channels"], serde_json::json!(["email"]), "{decision}");
    let reasons = decision["reasons"].to_string();
    assert!(reasons.contains("cards alert, normal urgency"), "{reasons}");
    assert!(
        reasons.contains("channel email: first reachable of email → sms (the customer's preference)"),
        "{reasons}"
    );
    let delivery = lines
        .iter()
        .find(|l| l["kind"] == "delivery" && l["event_id"] == "ce-0002")
        .expect("the cards message");
    assert_eq!(delivery["channel"], "email", "{delivery}");
    let check = forewarn(&[
        "catalog",
        "check",
        catalog.to_str().unwrap(),
        "--events",
        dir.to_str().unwrap(),
    ]);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn a_profile_preferring_a_category_the_catalog_lacks_is_skipped_naming_the_field() {
    let dir = scratch("unknown-category");
    let customers = dir.join("customers.json");
    std::fs::write(
        &customers,
        r#"[{"customer_id": "c-2002", "contacts": {"email": "kim@example.com"}, "channel_preferences": {"cards": ["email"]}}]"#,
    )
    .unwrap();
    let out = forewarn(&[
        "simulate",
        "--customers",
        customers.to_str().unwrap(),
        "--events",
        &format!("{}/low-balance.json", samples_dir()),
    ]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "channel_preferences.cards: not a category of the catalog (security, travel, account, applications)"
        ),
        "{err}"
    );
}
