//! `watch --edit`: open the current exercise in the learner's editor whenever it changes.
//!
//! Which editor: `--edit-cmd CMD`, else `code` inside VS Code's integrated terminal
//! (`TERM_PROGRAM=vscode`), else `$VISUAL`, else `$EDITOR`. The command runs through `sh -c`
//! with the file's path as one more argument, in its own process group (Ctrl-C in watch mode
//! must not close the editor), with no terminal: watch mode owns this one.

use std::path::Path;
use std::process::Stdio;

use anyhow::{Context, Result};

/// Editors that draw in the terminal they start from: watch mode, which owns that terminal,
/// can't share it, so these are not started by themselves (`--edit-cmd` still may).
const TERMINAL_EDITORS: &[&str] = &[
    "vi",
    "vim",
    "nvim",
    "nano",
    "pico",
    "micro",
    "hx",
    "helix",
    "kak",
    "joe",
    "ne",
    "ed",
    "mg",
    "emacs",
    "emacsclient",
];

#[derive(Debug, PartialEq)]
pub struct Editor {
    /// A shell command; the path is appended as `"$1"`.
    command: String,
}

/// The editor to use; `Err` says, for the learner, why there is none.
pub fn choose(
    edit_cmd: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Editor, String> {
    if let Some(cmd) = edit_cmd {
        return Ok(Editor {
            command: cmd.to_string(),
        });
    }
    if env("TERM_PROGRAM").as_deref() == Some("vscode") {
        // `-r`: the window this terminal belongs to, not a new one.
        return Ok(Editor {
            command: "code -r".into(),
        });
    }
    let Some((var, cmd)) = ["VISUAL", "EDITOR"]
        .into_iter()
        .find_map(|v| env(v).filter(|c| !c.trim().is_empty()).map(|c| (v, c)))
    else {
        return Err(
            "--edit found no editor: set $VISUAL or $EDITOR, or pass --edit-cmd CMD".into(),
        );
    };
    let program = cmd.split_whitespace().next().unwrap_or("");
    let base = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if TERMINAL_EDITORS.contains(&base.as_str()) {
        return Err(format!(
            "${var} is `{cmd}`, which runs in this terminal, where watch mode is: open the file in another terminal, or pass --edit-cmd with an editor that opens its own window (e.g. `code -r`)"
        ));
    }
    Ok(Editor { command: cmd })
}

impl Editor {
    /// Starts the editor on `path` without waiting for it.
    pub fn open(&self, path: &Path) -> Result<()> {
        let mut child = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{} \"$1\"", self.command))
            .arg("tokiolings-edit")
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("failed to start the editor `{}`", self.command))?;
        // Reaped in the background: a GUI editor's launcher may stay for its window's life.
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_editor_is_chosen_in_the_documented_order() {
        let pick = |cmd: Option<&str>, vars: &[(&str, &str)]| choose(cmd, env(vars));
        let all = [
            ("TERM_PROGRAM", "vscode"),
            ("VISUAL", "subl -w"),
            ("EDITOR", "gedit"),
        ];
        assert_eq!(pick(Some("zed"), &all).unwrap().command, "zed");
        assert_eq!(pick(None, &all).unwrap().command, "code -r");
        assert_eq!(pick(None, &all[1..]).unwrap().command, "subl -w");
        assert_eq!(pick(None, &all[2..]).unwrap().command, "gedit");
        assert!(pick(None, &[]).unwrap_err().contains("--edit-cmd"));
        let err = pick(None, &[("EDITOR", "/usr/bin/nvim")]).unwrap_err();
        assert!(err.contains("$EDITOR is `/usr/bin/nvim`"), "{err}");
        // Asked for by name, a terminal editor is the learner's choice.
        assert_eq!(pick(Some("vim"), &[]).unwrap().command, "vim");
    }
}
