//! `taosctl completion bash|zsh|fish`: a shell completion script, from the clap types.

use clap::{Args, CommandFactory, ValueEnum};

use crate::failure::Result;

#[derive(Args, Debug)]
pub struct Completion {
    /// The shell the script is for
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Completion {
    /// Prints the script on stdout. It needs no server and no configuration.
    pub fn print(&self) -> Result<()> {
        let shell = match self.shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        // Made whole first: clap_complete panics on a write error, and a reader that stops
        // early (`| head -1`) is not one.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut crate::Cli::command(), "taosctl", &mut script);
        crate::output::write_stdout(&script);
        Ok(())
    }
}
