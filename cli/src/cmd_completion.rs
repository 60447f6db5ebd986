//! `taosctl completion bash|zsh|fish`: a shell completion script, from the clap types.

use clap::{Args, CommandFactory, ValueEnum};

use crate::failure::Result;

#[derive(Args, Debug)]
pub struct Completion {
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
        clap_complete::generate(
            shell,
            &mut crate::Cli::command(),
            "taosctl",
            &mut std::io::stdout(),
        );
        Ok(())
    }
}
