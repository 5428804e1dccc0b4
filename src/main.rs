//! Loads configuration and runs the console (or a maintenance command).

use clap::Parser;
use custodian::config::{Command, Config};
use custodian::startup::{prepare_database, Application};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    custodian::telemetry::init();
    let config = Config::parse();
    match config.command {
        Some(Command::Migrate) => {
            let url = config.database_url.clone();
            actix_web::web::block(move || prepare_database(&url)).await??;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Serve) | None => {
            let app = Application::build(&config).await?;
            tracing::info!("Custodian listening on http://{}", app.address());
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}
