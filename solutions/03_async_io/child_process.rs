// child_process: run a program, read its output as it comes, and don't leave it running.
//
// `tokio::process::Command` looks like `std::process::Command`, but waiting for the child and
// reading its pipes are async: your task waits, the thread doesn't. Three things to know:
// - a child's stdout goes where yours goes unless you ask for a pipe (`Stdio::piped()`); only
//   then is `child.stdout` a handle you can read;
// - a pipe holds only so much (often 64 KiB). A child that writes more waits until someone reads,
//   so read the output *while* the child runs, and wait for its exit after that;
// - dropping a `Child` does not stop the program: it keeps running on its own. To stop it, kill
//   it *and wait for it*: until its parent has waited for it, a dead child lingers as a "zombie"
//   process. (`kill_on_drop(true)` only sends the signal, and leaves the waiting to a background
//   clean-up at some later time.)

use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[derive(Debug)]
pub enum RunError {
    /// The script didn't finish within the limit. `pid` was its process id.
    TimedOut { pid: u32 },
    /// Starting it, reading from it or waiting for it failed.
    Io(std::io::Error),
}

/// Runs `sh -c script` and returns its standard output, line by line, or `TimedOut` if it takes
/// longer than `limit` in all. Either way, when `run_script` returns, the script is not running.
pub async fn run_script(script: &str, limit: Duration) -> Result<Vec<String>, RunError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(RunError::Io)?;
    let pid = child
        .id()
        .expect("a child that was not waited for has an id");
    let stdout = child
        .stdout
        .take()
        .expect("`child.stdout` is None: only a piped stdout (`Stdio::piped()`) can be read");
    let work = async {
        let mut lines = BufReader::new(stdout).lines();
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().await? {
            out.push(line);
        }
        child.wait().await?;
        Ok(out)
    };
    let outcome = tokio::time::timeout(limit, work).await;
    match outcome {
        Ok(result) => result.map_err(RunError::Io),
        Err(_elapsed) => {
            // Kills the script and waits until it is gone, so that no zombie is left behind.
            child.kill().await.map_err(RunError::Io)?;
            Err(RunError::TimedOut { pid })
        }
    }
}

#[tokio::main]
async fn main() {
    let out = run_script("echo hello; echo world", Duration::from_secs(5)).await;
    println!("{out:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real processes run on real time, so these tests use a real clock: short limits for the
    // script that is meant to overstay, generous ones (for a shell that echoes) for the rest.
    const PLENTY: Duration = Duration::from_secs(2);

    /// What `ps` says about `pid`: nothing when there is no such process, `Z...` for a zombie
    /// (a child that has died but that its parent has not waited for yet).
    fn process_state(pid: u32) -> String {
        let out = std::process::Command::new("ps")
            .args(["-o", "stat=", "-p", &pid.to_string()])
            .output()
            .expect("cannot run `ps`");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    #[tokio::test]
    async fn reads_every_line() {
        let out = run_script("echo one; echo two; echo three", PLENTY).await;
        assert!(
            matches!(&out, Ok(lines) if lines == &["one", "two", "three"]),
            "expected Ok([\"one\", \"two\", \"three\"]), got {out:?}. Is the child's stdout a \
             pipe you read (`Stdio::piped()`)?"
        );
    }

    #[tokio::test]
    async fn reads_more_than_a_pipe_holds() {
        // About 110 KB: more than a pipe buffers, so the child can only finish if someone reads.
        let out = run_script("seq 1 20000", PLENTY).await;
        match out {
            Ok(lines) => {
                assert_eq!(lines.len(), 20000, "seq 1 20000 prints 20000 lines");
                assert_eq!(lines.last().map(String::as_str), Some("20000"));
            }
            other => panic!(
                "expected 20000 lines, got {other:?}. A child that fills its stdout pipe waits \
                 for a reader: read the output while it runs, and wait for its exit afterwards"
            ),
        }
    }

    #[tokio::test]
    async fn a_script_over_its_limit_is_stopped() {
        // `exec` makes `sleep` the child itself, so the pid is sleep's.
        let out = run_script("exec sleep 30", Duration::from_millis(100)).await;
        let pid = match out {
            Err(RunError::TimedOut { pid }) => pid,
            other => panic!("a 30 s script with a 100 ms limit should time out, got {other:?}"),
        };
        let state = process_state(pid);
        if !state.is_empty() && !state.starts_with('Z') {
            // Don't leave it behind for the next test run.
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        assert!(
            !state.starts_with('Z'),
            "the timed-out script (pid {pid}) was killed but is still a zombie: a dead child stays \
             in the process table until its parent waits for it. Kill it and wait for it \
             (`child.kill().await` does both) before run_script returns"
        );
        assert!(
            state.is_empty(),
            "the timed-out script (pid {pid}) is still running (ps: {state}): giving up on a \
             child, or dropping its `Child`, doesn't stop it. Kill it, and wait for it, before \
             run_script returns"
        );
    }
}
