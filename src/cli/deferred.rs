//! Subcommand flags built only for the subcommand being run.

use std::ops::Deref;

use clap::{ArgMatches, Args, Command, FromArgMatches};

/// A subcommand's arguments, added to its clap `Command` only when that
/// subcommand is parsed or its help is shown. Building every subcommand's
/// flags (help texts, defaults, environment variables) on each start was a
/// large part of a short command's run time, `tare template` above all.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: Args> Args for Deferred<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        cmd.defer(|cmd| keeping_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.defer(|cmd| keeping_about(cmd, T::augment_args_for_update))
    }
}

/// Adds the flags with `augment`, keeping the subcommand's own description:
/// clap sets it after adding the flags, so it is already there when a
/// deferred addition runs, and a flattened group's doc comment must not
/// replace it.
fn keeping_about(cmd: Command, augment: fn(Command) -> Command) -> Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = augment(cmd);
    let cmd = match about {
        Some(text) => cmd.about(text),
        None => cmd.about(None::<&str>),
    };
    match long_about {
        Some(text) => cmd.long_about(text),
        None => cmd.long_about(None::<&str>),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use crate::cli::Cli;

    #[test]
    fn every_subcommand_is_well_formed_once_built() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_subcommand_keeps_its_description_over_its_flattened_groups() {
        let help = Cli::try_parse_from(["tare", "install", "--help"])
            .unwrap_err()
            .to_string();
        assert!(
            help.starts_with("Install the data plane (or upgrade it in place"),
            "{help}"
        );
    }

    #[test]
    fn deferred_flags_parse_as_before() {
        let cli = Cli::try_parse_from(["tare", "template", "rel", "./chart", "-n", "ns"]).unwrap();
        let crate::cli::Command::Template(args) = cli.command else {
            panic!("not template")
        };
        assert_eq!((args.args.len(), args.namespace.as_str()), (2, "ns"));
    }
}
