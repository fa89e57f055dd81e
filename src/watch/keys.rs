//! Single-key input for watch mode. On a terminal, canonical mode and echo are switched off
//! (not raw mode: Ctrl-C and newlines keep working) and restored on drop; from a pipe, each
//! line's first character is a key.

use std::io::{BufRead, IsTerminal, Read};

use anyhow::{Context, Result};
use rustix::termios::{self, LocalModes, OptionalActions, Termios};
use tokio::sync::mpsc;

/// Restores the terminal's settings when watch mode ends.
pub struct TerminalGuard(Option<Termios>);

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Some(original) = &self.0 {
            let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, original);
        }
    }
}

pub fn listen() -> Result<(TerminalGuard, mpsc::UnboundedReceiver<char>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let stdin = std::io::stdin();
    let guard = if stdin.is_terminal() {
        let original =
            termios::tcgetattr(&stdin).context("failed to read the terminal settings")?;
        let mut single_keys = original.clone();
        single_keys
            .local_modes
            .remove(LocalModes::ICANON | LocalModes::ECHO);
        termios::tcsetattr(&stdin, OptionalActions::Now, &single_keys)
            .context("failed to set the terminal to single-key input")?;
        TerminalGuard(Some(original))
    } else {
        TerminalGuard(None)
    };
    let tty = guard.0.is_some();
    // A plain thread: reading stdin blocks, and this one must never hold up the exit.
    std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            if tty {
                let mut byte = [0u8; 1];
                let mut lock = stdin.lock();
                while let Ok(1) = lock.read(&mut byte) {
                    if tx.send(byte[0] as char).is_err() {
                        break;
                    }
                }
            } else {
                for line in stdin.lock().lines() {
                    let Ok(line) = line else { break };
                    if let Some(c) = line.trim().chars().next()
                        && tx.send(c).is_err()
                    {
                        break;
                    }
                }
            }
        })
        .context("failed to start the key reader")?;
    Ok((guard, rx))
}
