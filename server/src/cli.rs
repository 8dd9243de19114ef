//! Command-line parsing. Few enough commands that a match beats a parser dependency.

pub const USAGE: &str = "Usage:
  server [--seed-demo]        serve Cohort (with --seed-demo: fill an empty database with demo data first)
  server seed-demo            fill an empty database with demo data, then exit
  server create-admin EMAIL   make EMAIL an admin (creates the account if needed; the password is
                              COHORT_ADMIN_PASSWORD, or a random one that is printed)
  server migrate              apply database migrations, then exit
  server seed-bench           fill an empty database with the benchmark data set (bench/campaigns.sh)
  server bench-payments       measure pledging and settlement through the simulator (bench/payments.sh)
  server bench-media          measure lesson media streaming: throughput, range seeks, memory (bench/media.sh)
  server --help               this text

Configuration comes from the environment: see README.md (COHORT_ADDR, DATABASE_URL, PUBLIC_URL, …).";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve { seed_demo: bool },
    SeedDemo,
    SeedBench,
    BenchPayments,
    BenchMedia,
    CreateAdmin { email: String },
    Migrate,
    Help,
}

impl Command {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
        let args: Vec<String> = args.into_iter().collect();
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        match words.as_slice() {
            [] => Ok(Command::Serve { seed_demo: false }),
            ["--seed-demo"] | ["serve", "--seed-demo"] => Ok(Command::Serve { seed_demo: true }),
            ["serve"] => Ok(Command::Serve { seed_demo: false }),
            ["seed-demo"] => Ok(Command::SeedDemo),
            ["seed-bench"] => Ok(Command::SeedBench),
            ["bench-payments"] => Ok(Command::BenchPayments),
            ["bench-media"] => Ok(Command::BenchMedia),
            ["create-admin", email] => Ok(Command::CreateAdmin {
                email: email.to_string(),
            }),
            ["create-admin"] => Err("create-admin needs an EMAIL".into()),
            ["migrate"] => Ok(Command::Migrate),
            ["--help"] | ["-h"] | ["help"] => Ok(Command::Help),
            other => Err(format!("unknown arguments: {}", other.join(" "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Command, String> {
        Command::parse(s.split_whitespace().map(String::from))
    }

    #[test]
    fn documented_commands_parse() {
        assert_eq!(parse(""), Ok(Command::Serve { seed_demo: false }));
        assert_eq!(parse("--seed-demo"), Ok(Command::Serve { seed_demo: true }));
        assert_eq!(
            parse("create-admin a@b.co"),
            Ok(Command::CreateAdmin {
                email: "a@b.co".into()
            })
        );
        assert_eq!(parse("migrate"), Ok(Command::Migrate));
        assert_eq!(parse("bench-media"), Ok(Command::BenchMedia));
        assert_eq!(parse("--help"), Ok(Command::Help));
    }

    #[test]
    fn unknown_or_incomplete_commands_are_refused() {
        assert!(parse("create-admin").is_err());
        assert!(parse("--seed").is_err());
        assert!(parse("serve now please").is_err());
    }
}
