//! A database outage gives 503 pages, and the server recovers by itself when it is back.
//! PostgreSQL is reached through a TCP proxy the test can cut and restore.

use crate::helpers::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                conns2.lock().unwrap().push(h);
            }
        });
        Proxy { port, up, conns }
    }

    /// Cuts every open connection and refuses new ones.
    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn database_outage_gives_503_and_the_server_recovers() {
    let db = TestDb::new();
    let proxy = Proxy::start().await;
    let via = format!("postgres://postgres@127.0.0.1:{}/{}?sslmode=disable", proxy.port, db.name);
    let app = spawn_app_on(db, Some(via)).await;
    let (_, b) = app.signed_in("ada@example.com", custodian::permissions::Role::Administrator).await;
    assert_eq!(b.get("/").await.status(), 200);

    proxy.down();
    let health = b.get("/healthz").await;
    assert_eq!(health.status(), 503);
    let page = b.get("/").await;
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("The database is not answering"));
    let anon = app.browser().get("/login").await;
    assert_eq!(anon.status(), 503, "a fresh visitor gets the outage page too");

    proxy.up();
    assert_eq!(b.get("/healthz").await.status(), 200);
    assert_eq!(b.get("/").await.status(), 200, "same session works again without a restart");
}
