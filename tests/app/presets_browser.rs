//! "Save as new" in a real browser (SPEC 2.3's example): an Administrator opens the
//! Salesperson preset, ticks the two A/B test keys, saves it as "SalespersonAB".

use crate::browser::Chrome;
use crate::helpers::*;
use crate::presets::{keys_of, preset_named, set};
use custodian::permissions::{Perm, Role};
use thirtyfour::prelude::*;

#[tokio::test]
async fn administrator_saves_salesperson_with_ab_tests_as_a_new_preset() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", Role::Administrator);
    let chrome = Chrome::start().await;
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    let d = &chrome.driver;
    d.goto(format!("{}/presets", app.address)).await.unwrap();
    chrome.click_through(By::LinkText("Salesperson")).await;
    let h1 = d.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert!(h1.starts_with("Salesperson"), "{h1}");
    for key in ["tests.ab_messages", "tests.abx_dynamic_content"] {
        let b = d.find(By::Css(format!("#preset-form input[name=perm][value='{key}']"))).await.unwrap();
        assert!(!b.is_selected().await.unwrap());
        b.click().await.unwrap();
        assert!(b.is_selected().await.unwrap());
    }
    d.find(By::Id("f-name")).await.unwrap().send_keys("SalespersonAB").await.unwrap();
    chrome.click_through(By::Id("save-as-new")).await;
    let h1 = d.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert!(h1.starts_with("SalespersonAB"), "{h1}");
    let flash = d.find(By::Css(".flash-success")).await.unwrap().text().await.unwrap();
    assert!(flash.contains("SalespersonAB"));
    chrome.quit().await;

    let id = preset_named(&app, "SalespersonAB").expect("the preset exists");
    let expected = set(&[
        "contacts.view",
        "contacts.create",
        "contacts.edit",
        "email.send",
        "templates.view",
        "analytics.basic",
        "tests.ab_messages",
        "tests.abx_dynamic_content",
    ]);
    assert_eq!(keys_of(&app, id), expected, "exactly the Salesperson keys plus the two ticked");
    assert!(
        expected.contains(Perm::TestsAbMessages)
            && expected.difference(Role::Salesperson.default_permissions()).len() == 2
    );
}
