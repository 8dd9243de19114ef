//! `server` — run Cohort. `server --help` lists the commands.

// Leptos view types of the larger pages (campaign editor, campaign page) nest deeper than
// rustc's default limit allows when computing their layout.
#![recursion_limit = "512"]

use std::process::ExitCode;

use app::backend::config::Settings;
use app::backend::AppState;
use server::cli::Command;

fn main() -> ExitCode {
    // The app's route and view types are deep; unoptimised builds need more than the 2 MiB a
    // worker thread gets by default to render them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 * 1024 * 1024)
        .build();
    match runtime {
        Ok(rt) => rt.block_on(run_main()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_main() -> ExitCode {
    server::telemetry::init_tracing();
    let command = match Command::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}\n\n{}", server::cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if matches!(command, Command::Help) {
        println!("{}", server::cli::USAGE);
        return ExitCode::SUCCESS;
    }
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "cohort stopped");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    server::telemetry::install_crypto_provider();
    let settings = Settings::from_env()?;
    let options = server::leptos_options(&settings);
    let state = AppState::init(settings, options).await?;
    match command {
        Command::Serve { seed_demo } => {
            if seed_demo {
                server::seed::seed_demo(&state).await?;
            }
            server::jobs::spawn_sweeper(state.clone());
            server::jobs::spawn_deadlines(state.clone());
            server::jobs::spawn_settlement(state.clone());
            server::jobs::spawn_reconciliation(state.clone());
            server::jobs::spawn_visit_flush(state.clone());
            let addr = state.settings.addr;
            let public_url = state.settings.public_url.clone();
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(%addr, %public_url, "Cohort is listening");
            println!("Cohort is running at {public_url}");
            server::serve(listener, server::router(state.clone())).await?;
            // Views counted since the last flush are written on the way out.
            state.visits.flush(&state.db).await.ok();
        }
        Command::Migrate => println!("migrations applied"),
        Command::BenchPayments => {
            // The simulator and the webhook endpoint answer on this server's own port.
            let listener = tokio::net::TcpListener::bind(state.settings.addr).await?;
            let app = server::router(state.clone());
            tokio::spawn(async move {
                let _ = server::serve(listener, app).await;
            });
            let table = server::bench_payments::run(&state)
                .await
                .map_err(|e| e.to_string())?;
            print!("{table}");
        }
        Command::BenchMedia => {
            // Measured through the real router on this server's own port.
            let listener = tokio::net::TcpListener::bind(state.settings.addr).await?;
            let app = server::router(state.clone());
            tokio::spawn(async move {
                let _ = server::serve(listener, app).await;
            });
            let table = server::bench_media::run(&state)
                .await
                .map_err(|e| e.to_string())?;
            print!("{table}");
        }
        Command::SeedDemo => server::seed::seed_demo(&state).await?,
        Command::SeedBench => {
            let outcome = server::bench_seed::seed(&state, Default::default()).await?;
            println!("{outcome}");
        }
        Command::CreateAdmin { email } => {
            let outcome = server::seed::create_admin(&state, &email).await?;
            println!("{outcome}");
        }
        Command::Help => {}
    }
    Ok(())
}
