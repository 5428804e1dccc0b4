//! End-to-end flows in real headless Chromium (Debian's chromium and chromium-driver).
//! The harness starts and stops chromedriver itself.

use crate::helpers::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

/// A chromedriver process and one browser session; both end when this drops.
pub struct Chrome {
    pub driver: WebDriver,
    process: Child,
    _profile: TempDir,
}

pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Chrome {
    pub async fn start() -> Chrome {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let process = Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)");
        let profile = TempDir(std::env::temp_dir().join(format!("custodian-chrome-{}", rand::random::<u64>())));
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())).unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.0.display())).unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = None;
        for _ in 0..50 {
            match WebDriver::new(&url, caps.clone()).await {
                Ok(driver) => return Chrome { driver, process, _profile: profile },
                Err(e) => last_err = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last_err:?}");
    }

    /// Signs in through the sign-in page.
    /// The id of the element that has the focus once the page's scripts ran ("" if none).
    pub async fn focused(&self) -> String {
        for _ in 0..40 {
            let id: String =
                self.driver.execute("return document.activeElement.id;", Vec::new()).await.unwrap().convert().unwrap();
            if !id.is_empty() {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        String::new()
    }

    pub async fn login(&self, base: &str, email: &str, password: &str) {
        self.driver.goto(format!("{base}/login")).await.unwrap();
        self.driver.find(By::Id("f-email")).await.unwrap().send_keys(email).await.unwrap();
        self.driver.find(By::Id("f-password")).await.unwrap().send_keys(password).await.unwrap();
        self.driver.find(By::Css("button[type=submit].primary")).await.unwrap().click().await.unwrap();
        // Wait until the browser has left the sign-in page, so later look-ups see the next page.
        for _ in 0..100 {
            let url = self.driver.current_url().await.unwrap();
            if !url.path().starts_with("/login") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("still on the sign-in page after submitting it");
    }

    /// Waits (up to 30 s: the machine may be busy) for an element of the next page.
    pub async fn wait_for(&self, by: By) -> WebElement {
        self.driver.query(by).wait(Duration::from_secs(30), Duration::from_millis(100)).first().await.unwrap()
    }

    /// Waits until an element shows `text` (the previous page may have the same element). A page
    /// that reloads while it is read (a run's page does, for its report) leaves a stale element:
    /// it is looked for again.
    pub async fn wait_text(&self, by: By, text: &str) -> WebElement {
        for _ in 0..10 {
            let found = self
                .driver
                .query(by.clone())
                .with_text(text.to_string())
                .wait(Duration::from_secs(30), Duration::from_millis(100))
                .first()
                .await;
            match found {
                Ok(e) => return e,
                Err(e) if e.to_string().contains("stale element") => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => panic!("{e}"),
            }
        }
        panic!("no element showing {text:?}: the page kept reloading")
    }

    /// Clicks something that loads a new page and waits until the old page is gone, so the
    /// next look-up cannot find an element of the page that was left (WebDriver's find does
    /// not wait for a navigation a click started).
    pub async fn click_through(&self, by: By) {
        let old_page = self.driver.find(By::Tag("html")).await.unwrap();
        self.driver.find(by).await.unwrap().click().await.unwrap();
        old_page
            .wait_until()
            .wait(Duration::from_secs(30), Duration::from_millis(50))
            .stale()
            .await
            .expect("the click did not load a new page within 30 s");
    }

    pub async fn quit(mut self) {
        let driver = self.driver.clone();
        let _ = driver.quit().await;
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Chrome {
    /// A test that fails before `quit` would leave Chromium running (it is chromedriver's
    /// child, not ours): end chromedriver's children first, then chromedriver.
    fn drop(&mut self) {
        let _ = Command::new("pkill").args(["-KILL", "-P", &self.process.id().to_string()]).status();
        let _ = self.process.kill();
    }
}

#[tokio::test]
async fn browser_signs_in_and_sees_the_dashboard() {
    let app = spawn_app().await;
    app.create_user("ada@example.com", custodian::permissions::Role::Administrator);
    let chrome = Chrome::start().await;
    // The sign-in page starts with the cursor in its first field; a refused sign-in puts it back
    // there (the field the server refused, else the first).
    chrome.driver.goto(format!("{}/login", app.address)).await.unwrap();
    assert_eq!(chrome.focused().await, "f-email");
    chrome.login(&app.address, "ada@example.com", TEST_PASSWORD).await;
    let h1 = chrome.driver.find(By::Css("main h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Welcome, Test Administrator");
    let nav = chrome.driver.find(By::Css("nav.mainnav")).await.unwrap().text().await.unwrap();
    assert!(nav.contains("Users"));
    chrome.quit().await;
}
