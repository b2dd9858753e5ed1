//! `bhd`: the one binary. Parses the command line and calls into the server and store crates;
//! no logic of its own beyond printing.

use anyhow::{Context, bail};
use bhd_domain::{Email, OrgName, Password, PersonName, Scope, Slug};
use bhd_server::config::Config;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;

// mimalloc instead of glibc malloc: the server allocates many short-lived buffers (roll-ups,
// model state, frames), and glibc's malloc and free were ~7 % of a nightly recomputation.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "bhd",
    version,
    about = "Business Health Dashboard: one health score for your business"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Serialize, Default)]
struct Global {
    /// Configuration file (default: ./bhd.toml if present).
    #[arg(long, global = true)]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://…); overrides BHD_DATABASE_URL.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, dashboard, jobs) and print its URL.
    Serve {
        /// Address to listen on; overrides BHD_LISTEN.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Create a demo organization with years of realistic daily history, and its owner.
    Demo {
        /// saas, ecommerce or services.
        #[arg(long, default_value = "saas")]
        profile: String,
        /// Years of daily history (at least 1).
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// The demo owner's email.
        #[arg(long, default_value = "demo@bhd.local")]
        email: String,
        /// The demo owner's password (at least 10 characters).
        #[arg(long, env = "BHD_DEMO_PASSWORD", default_value = "demo-password-123")]
        password: String,
        /// Succeed without change when the email already has an account (first-start scripts).
        #[arg(long)]
        exists_ok: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Set an organization's plan (free, pro or enterprise), which sets how long raw metric
    /// points are kept (36, 84 or 120 months; roll-ups are kept for good).
    Plan {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// free, pro or enterprise.
        plan: String,
    },
    /// Import metric points from a CSV or NDJSON file (as POST /api/v1/metrics/import does).
    Import {
        /// The file to read, or - for standard input.
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// csv or ndjson (default: from the file's extension).
        #[arg(long)]
        format: Option<String>,
    },
    /// Compute and store an organization's health score now, and print it with its breakdown.
    Score {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Print the score as JSON (the shape of GET /api/v1/health/score).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user with an organization of their own, which they own.
    Create {
        /// Succeed without change when a user with this email exists.
        #[arg(long)]
        exists_ok: bool,
        #[arg(long)]
        email: String,
        /// At least 10 characters.
        #[arg(long, env = "BHD_USER_PASSWORD")]
        password: String,
        #[arg(long)]
        name: String,
        /// Name of the user's organization.
        #[arg(long = "org-name")]
        org_name: String,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create an API key for an organization and print it (shown once).
    Create {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// read, ingest or admin; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// A label for the key.
        #[arg(long, default_value = "command line")]
        name: String,
    },
}

#[derive(Serialize)]
struct Overrides {
    #[serde(flatten)]
    global: Global,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "pretty" {
        builder.init();
    } else {
        builder.json().flatten_event(true).init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: draining requests");
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with causes), not a debug dump.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let config_file = cli.global.config.clone();
    let config = Config::load(
        config_file.as_deref(),
        Overrides {
            global: cli.global,
            listen,
        },
    )?;
    init_logging(&config);
    match cli.command {
        Command::Serve { .. } => {
            let url = bhd_server::redact_url(&config.database_url);
            let store = bhd_store::connect(&config.database_url)
                .await
                .with_context(|| format!("opening database {url}"))?;
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .with_context(|| format!("binding {}", config.listen))?;
            let addr = listener.local_addr()?;
            let state = bhd_server::state(
                config,
                store,
                std::sync::Arc::new(bhd_server::clock::SystemClock),
            )?;
            println!(
                "bhd {} serving http://{addr}/ (database {url})",
                env!("CARGO_PKG_VERSION")
            );
            println!("API docs at http://{addr}/docs");
            bhd_server::serve(listener, state, shutdown_signal()).await
        }
        Command::Demo {
            profile,
            years,
            email,
            password,
            exists_ok,
        } => {
            let profile: bhd_domain::demo::Profile = profile
                .parse()
                .map_err(|e| anyhow::anyhow!("--profile {e}"))?;
            anyhow::ensure!(
                (1..=20).contains(&years),
                "--years must be between 1 and 20"
            );
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let password =
                Password::parse(&password).map_err(|e| anyhow::anyhow!("--password {e}"))?;
            let store = bhd_store::connect(&config.database_url).await?;
            if exists_ok && store.user_credentials(&email).await?.is_some() {
                println!("demo user {email} already exists; nothing to do");
                return Ok(());
            }
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {pos}/{len} points ({eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(format!("loading {years} years of {profile} history"));
            let demo = bhd_server::demo::load(
                store.as_ref(),
                profile,
                years,
                email.clone(),
                password,
                chrono::Utc::now(),
                |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )
            .await
            .map_err(|e| {
                if bhd_server::demo::is_taken(&e) {
                    anyhow::anyhow!("a user with email {email} already exists")
                } else {
                    e
                }
            })?;
            bar.finish_and_clear();
            println!(
                "demo organization {} (slug {}) with {} points; log in as {} with the password you gave (default demo-password-123)",
                demo.organization.name, demo.organization.slug, demo.points, demo.user.email
            );
            Ok(())
        }
        Command::Migrate => {
            bhd_store::connect(&config.database_url).await?;
            println!(
                "migrations applied to {}",
                bhd_server::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    exists_ok,
                    email,
                    password,
                    name,
                    org_name,
                },
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let password =
                Password::parse(&password).map_err(|e| anyhow::anyhow!("--password {e}"))?;
            let name = PersonName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let org_name =
                OrgName::parse(&org_name).map_err(|e| anyhow::anyhow!("--org-name {e}"))?;
            let store = bhd_store::connect(&config.database_url).await?;
            let now = chrono::Utc::now();
            let password_hash = bhd_server::auth::password::hash(password).await?;
            let user = bhd_store::NewUser {
                email: email.clone(),
                name: name.as_str().to_owned(),
                password_hash,
                now,
            };
            let org = bhd_server::orgs::new_organization(org_name, None, None, None, now);
            match store.signup(user, org).await {
                Ok((user, org)) => {
                    println!(
                        "created user {} ({}) owning organization {} (slug {})",
                        user.email, user.id, org.name, org.slug
                    );
                    Ok(())
                }
                Err(bhd_store::StoreError::Conflict("email")) if exists_ok => {
                    println!("user {email} already exists");
                    Ok(())
                }
                Err(bhd_store::StoreError::Conflict("email")) => {
                    bail!("a user with email {email} already exists")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Import { file, org, format } => {
            use bhd_server::import::Format;
            let stdin = file.as_os_str() == "-";
            let format: Format = match format {
                Some(f) => f.parse().map_err(|e| anyhow::anyhow!("--format: {e}"))?,
                None if stdin => {
                    bail!("--format csv|ndjson is required when reading standard input")
                }
                None => Format::from_path(&file).with_context(|| {
                    format!(
                        "cannot tell the format of {} from its extension; pass --format csv|ndjson",
                        file.display()
                    )
                })?,
            };
            let slug = Slug::parse(&org).map_err(|e| anyhow::anyhow!("--org {e}"))?;
            let (reader, total): (Box<dyn tokio::io::AsyncRead + Unpin + Send>, Option<u64>) =
                if stdin {
                    (Box::new(tokio::io::stdin()), None)
                } else {
                    let f = tokio::fs::File::open(&file)
                        .await
                        .with_context(|| format!("opening {}", file.display()))?;
                    let len = f.metadata().await.ok().map(|m| m.len());
                    (Box::new(f), len)
                };
            let store = bhd_store::connect(&config.database_url).await?;
            let organization = store
                .organization_by_slug(&slug)
                .await?
                .with_context(|| format!("no organization with slug {slug}"))?;
            let state = bhd_server::state(
                config,
                store,
                std::sync::Arc::new(bhd_server::clock::SystemClock),
            )?;
            let bar = match total {
                Some(len) => indicatif::ProgressBar::new(len).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                ),
                None => indicatif::ProgressBar::new_spinner().with_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                ),
            };
            let name = if stdin {
                "standard input".to_owned()
            } else {
                file.display().to_string()
            };
            let result =
                bhd_server::import::import(&state, organization.id, reader, format, None, |p| {
                    bar.set_position(p.bytes);
                    bar.set_message(format!(
                        "{} lines, {} written, {} rejected",
                        p.lines, p.written, p.rejected
                    ));
                })
                .await;
            bar.finish_and_clear();
            let summary = match result {
                Ok(s) => s,
                Err(bhd_server::error::ApiError::Validation(errors)) => {
                    let why: Vec<String> = errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect();
                    bail!("{name}: the header row is invalid: {}", why.join("; "))
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("importing {name}"))),
            };
            println!(
                "imported {name} into {}: {} lines, {} accepted, {} updated, {} rejected",
                organization.slug,
                summary.lines,
                summary.accepted,
                summary.updated,
                summary.rejected_count
            );
            const SHOWN: usize = 20;
            for r in summary.rejected.iter().take(SHOWN) {
                println!("  line {}: {}", r.line, r.error);
            }
            if summary.rejected_count > SHOWN as u64 {
                println!(
                    "  … and {} more rejected lines",
                    summary.rejected_count - SHOWN as u64
                );
            }
            Ok(())
        }
        Command::Plan { org, plan } => {
            let slug = Slug::parse(&org).map_err(|e| anyhow::anyhow!("--org {e}"))?;
            let plan: bhd_domain::Plan = plan.parse().map_err(|e| anyhow::anyhow!("plan: {e}"))?;
            let store = bhd_store::connect(&config.database_url).await?;
            let organization = store
                .organization_by_slug(&slug)
                .await?
                .with_context(|| format!("no organization with slug {slug}"))?;
            store
                .set_plan(organization.id, plan, chrono::Utc::now())
                .await?;
            println!(
                "{} is now on the {plan} plan: raw metric points are kept {} months",
                organization.slug,
                plan.retention_months()
            );
            Ok(())
        }
        Command::Apikey {
            command: ApikeyCommand::Create { org, scopes, name },
        } => {
            let slug = Slug::parse(&org).map_err(|e| anyhow::anyhow!("--org {e}"))?;
            let scopes = Scope::parse_list(&scopes).map_err(|e| anyhow::anyhow!("--scope {e}"))?;
            let name = OrgName::parse(&name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let store = bhd_store::connect(&config.database_url).await?;
            let organization = store
                .organization_by_slug(&slug)
                .await?
                .with_context(|| format!("no organization with slug {slug}"))?;
            let (key, key_hash) =
                bhd_server::auth::tokens::new_opaque(bhd_server::auth::tokens::API_KEY_PREFIX);
            let stored = store
                .create_api_key(
                    organization.id,
                    bhd_store::NewApiKey {
                        name: name.as_str().to_owned(),
                        prefix: key[..12].to_owned(),
                        key_hash,
                        scopes,
                        created_by: None,
                        now: chrono::Utc::now(),
                    },
                )
                .await?;
            let scopes: Vec<&str> = stored.scopes.iter().map(Scope::as_str).collect();
            eprintln!(
                "created API key {} for {} with scopes {}; it is shown once:",
                stored.id,
                organization.slug,
                scopes.join(",")
            );
            println!("{key}");
            Ok(())
        }
        Command::Score { org, json } => {
            let slug = Slug::parse(&org).map_err(|e| anyhow::anyhow!("--org {e}"))?;
            let store = bhd_store::connect(&config.database_url).await?;
            let organization = store
                .organization_by_slug(&slug)
                .await?
                .with_context(|| format!("no organization with slug {slug}"))?;
            let state = bhd_server::state(
                config,
                store,
                std::sync::Arc::new(bhd_server::clock::SystemClock),
            )?;
            let score = bhd_server::health::recalculate(&state, organization.id)
                .await
                .map_err(|e| anyhow::Error::new(e).context("computing the health score"))?;
            let recs = bhd_domain::score::recommendations(&score);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&score::to_json(&score, &recs)?)?
                );
            } else {
                print!("{}", score::render(&organization.name, &score, &recs));
            }
            Ok(())
        }
    }
}

mod score;
