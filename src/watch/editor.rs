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
    let path_var = env("PATH").unwrap_or_default();
    if env("TERM_PROGRAM").as_deref() == Some("vscode") {
        if !on_path("code", &path_var) {
            return Err("this is VS Code's terminal, but its `code` command is not on PATH (VS Code: \"Shell Command: Install 'code' command in PATH\"), or pass --edit-cmd CMD".into());
        }
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
    // Checked here, not left to `sh`: the editor runs without a terminal, so its "not found"
    // would be seen by no one.
    if !on_path(program, &path_var) {
        return Err(format!(
            "${var} is `{cmd}`, but `{program}` is not found (on PATH); pass --edit-cmd CMD"
        ));
    }
    Ok(Editor { command: cmd })
}

/// Whether `program` can be run: a path to a file, or a file in one of `path_var`'s directories.
fn on_path(program: &str, path_var: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .any(|d| Path::new(d).join(program).is_file())
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
        let bin = tempfile::tempdir().unwrap();
        for name in ["code", "subl", "gedit", "nvim"] {
            std::fs::write(bin.path().join(name), "").unwrap();
        }
        let path = format!("/nonexistent:{}", bin.path().display());
        let pick = |cmd: Option<&str>, vars: &[(&str, &str)]| {
            let mut vars = vars.to_vec();
            vars.push(("PATH", &path));
            choose(cmd, env(&vars))
        };
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
        let err = pick(None, &[("EDITOR", "nvim")]).unwrap_err();
        assert!(
            err.contains("$EDITOR is `nvim`, which runs in this terminal"),
            "{err}"
        );
        // Not installed: said now, not lost in a terminal-less `sh`.
        let err = pick(None, &[("VISUAL", "kate")]).unwrap_err();
        assert!(err.contains("`kate` is not found"), "{err}");
        let err = choose(
            None,
            env(&[("TERM_PROGRAM", "vscode"), ("PATH", "/nonexistent")]),
        )
        .unwrap_err();
        assert!(err.contains("`code` command is not on PATH"), "{err}");
        // Asked for by name, a terminal editor is the learner's choice.
        assert_eq!(pick(Some("vim"), &[]).unwrap().command, "vim");
    }
}
