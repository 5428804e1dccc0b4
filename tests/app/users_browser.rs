//! The user wizard in headless Chromium: three steps with Back in between, the summary, and
//! the created user.

use crate::browser::Chrome;
use crate::helpers::*;
use crate::users::NEW_PASSWORD;
use custodian::db::schema::users;
use custodian::db::views::user_overrides;
use custodian::permissions::Role;
use diesel::prelude::*;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

async fn fill(chrome: &Chrome, id: &str, value: &str) {
    let el = chrome.driver.find(By::Id(id)).await.unwrap();
    el.clear().await.unwrap();
    el.send_keys(value).await.unwrap();
}

async fn click(chrome: &Chrome, id: &str) {
    chrome.click_through(By::Id(id)).await;
}

/// Waits for an element (pages load after clicks).
async fn wait(chrome: &Chrome, css: &str) -> WebElement {
    chrome.driver.query(By::Css(css)).first().await.unwrap_or_else(|_| panic!("{css} did not appear"))
}

#[tokio::test]
async fn browser_walks_the_wizard_with_back_and_creates_the_user() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let chrome = Chrome::start().await;
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    wait(&chrome, "nav.mainnav").await;
    chrome.driver.goto(format!("{}/users/new", app.address)).await.unwrap();
    assert_eq!(chrome.focused().await, "f-first_name", "the wizard starts in its first field");

    // Step 1.
    fill(&chrome, "f-first_name", "Grace").await;
    fill(&chrome, "f-last_name", "Hopper").await;
    fill(&chrome, "f-email", "grace@example.com").await;
    fill(&chrome, "f-phone", "+48 600 700 800").await;
    fill(&chrome, "f-password", NEW_PASSWORD).await;
    fill(&chrome, "f-password_confirm", NEW_PASSWORD).await;
    click(&chrome, "wizard-next").await;

    // Step 2: the role change redraws the checklist (static/js/user_wizard.js).
    let role = wait(&chrome, "#f-role").await;
    SelectElement::new(&role).await.unwrap().select_by_value("salesperson").await.unwrap();
    wait(&chrome, "#f-role option[value='salesperson'][selected]").await;
    let ab = wait(&chrome, "input[name=perm][value='tests.ab_messages']").await;
    assert!(!ab.is_selected().await.unwrap());
    ab.click().await.unwrap();
    // Issue #30: marked as an override at once, as the page says, before any round trip.
    let marked = wait(&chrome, "label.override-grant input[value='tests.ab_messages']").await;
    assert!(marked.is_selected().await.unwrap());
    click(&chrome, "wizard-back").await;

    // Back on step 1: everything kept.
    let email = wait(&chrome, "#f-email").await;
    assert_eq!(email.value().await.unwrap().as_deref(), Some("grace@example.com"));
    assert_eq!(
        chrome.driver.find(By::Id("f-phone")).await.unwrap().value().await.unwrap().as_deref(),
        Some("+48 600 700 800")
    );
    click(&chrome, "wizard-next").await;

    // Step 2 again: the grant is still ticked and marked.
    let ab = wait(&chrome, "label.override-grant input[value='tests.ab_messages']").await;
    assert!(ab.is_selected().await.unwrap());
    // Issue #30: Enter in "Preset name" saves the preset rather than reloading the page.
    let name = wait(&chrome, "#f-preset_name").await;
    name.send_keys("Grace's desk" + Key::Enter).await.unwrap();
    chrome.wait_text(By::Css("#f-preset label"), "Grace's desk").await;
    let saved: i64 = custodian::db::schema::presets::table
        .filter(custodian::db::schema::presets::name.eq("Grace's desk"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(saved, 1, "saved by Enter");
    click(&chrome, "wizard-next").await;

    // Step 3, then Back and Next once more.
    let summary = wait(&chrome, "#wizard-summary").await.text().await.unwrap();
    for text in ["grace@example.com", "+48600700800", "Salesperson", "tests.ab_messages"] {
        assert!(summary.contains(text), "summary shows {text}: {summary}");
    }
    click(&chrome, "wizard-back").await;
    wait(&chrome, "#f-role").await;
    click(&chrome, "wizard-next").await;
    wait(&chrome, "#wizard-summary").await;
    click(&chrome, "wizard-save").await;

    let h1 = wait(&chrome, ".user-profile h1").await.text().await.unwrap();
    assert_eq!(h1, "Grace Hopper");
    let mut c = app.conn();
    let (id, role): (i64, String) = users::table
        .filter(users::email.eq("grace@example.com"))
        .select((users::id, users::role))
        .first(&mut c)
        .unwrap();
    assert_eq!(role, "salesperson");
    // The checklist saved as a preset became the user's only preset, with no overrides.
    let held: Vec<String> = custodian::db::views::user_presets::table
        .inner_join(custodian::db::schema::presets::table)
        .filter(custodian::db::views::user_presets::user_id.eq(id))
        .select(custodian::db::schema::presets::name)
        .load(&mut c)
        .unwrap();
    assert_eq!(held, ["Grace's desk"]);
    let overrides: i64 =
        user_overrides::table.filter(user_overrides::user_id.eq(id)).count().get_result(&mut c).unwrap();
    assert_eq!(overrides, 0);
    chrome.quit().await;
}
