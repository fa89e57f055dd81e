// fs_report: files, the async way.
//
// `tokio::fs` has async versions of `std::fs` (`read_to_string`, `write`, `create_dir_all`,
// `rename`, `File`, ...). Files have no async API in most operating systems, so Tokio runs each
// call on its blocking thread pool and lets your task wait without holding up a worker thread.
//
// Two things work differently from `std`:
// - `tokio::io::BufWriter` does NOT flush when it is dropped (a destructor can't `.await`).
//   Whatever is still in its buffer is simply lost unless you `flush().await` it (or
//   `shutdown().await`) first.
// - a path's directories must exist before you create a file in it, just like with `std`.
//
// TODO: `save_report` fails when the report's directory doesn't exist yet, and the report it
// writes comes out empty. Fix both.

use std::io;
use std::path::Path;
use tokio::io::{AsyncWriteExt, BufWriter};

/// Writes `lines` (one per line) to `dir/report.txt`, creating `dir` if needed. The file is
/// written as `dir/report.tmp` first, then renamed, so a reader never sees half a report.
pub async fn save_report(dir: &Path, lines: &[&str]) -> io::Result<()> {
    // TODO: what if `dir` doesn't exist yet?
    let tmp = dir.join("report.tmp");
    let file = tokio::fs::File::create(&tmp).await?;
    let mut writer = BufWriter::new(file);
    for line in lines {
        writer.write_all(line.as_bytes()).await?;
        writer.write_all(b"\n").await?;
    }
    // TODO: is everything written to the file now?
    tokio::fs::rename(&tmp, dir.join("report.txt")).await
}

/// Reads `dir/report.txt` back, one string per line.
pub async fn load_report(dir: &Path) -> io::Result<Vec<String>> {
    let text = tokio::fs::read_to_string(dir.join("report.txt")).await?;
    Ok(text.lines().map(String::from).collect())
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let dir = std::env::temp_dir().join("tokiolings-fs-report-demo");
    save_report(&dir, &["hello", "world"]).await?;
    println!("{:?}", load_report(&dir).await?);
    tokio::fs::remove_dir_all(&dir).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh directory under the system's temp dir, removed again when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(test: &str) -> TempDir {
            let path = std::env::temp_dir().join(format!(
                "tokiolings-fs_report-{test}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("cannot create a temp dir for the test");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn a_saved_report_reads_back_whole() {
        let tmp = TempDir::new("whole");
        let lines = ["cpu 12%", "mem 3.1 GB", "disk ok"];
        save_report(&tmp.0, &lines)
            .await
            .expect("save_report failed");
        let got = load_report(&tmp.0).await.expect("report.txt can't be read");
        assert_eq!(
            got, lines,
            "report.txt should hold every line that was written: tokio's BufWriter keeps what \
             you write in memory until it is flushed, and dropping it does not flush"
        );
        assert!(
            !tmp.0.join("report.tmp").exists(),
            "report.tmp should have been renamed to report.txt"
        );
    }

    #[tokio::test]
    async fn the_directory_is_created_if_missing() {
        let tmp = TempDir::new("nested");
        let dir = tmp.0.join("reports").join("2026");
        let saved = save_report(&dir, &["one line"]).await;
        assert!(
            saved.is_ok(),
            "saving into {} failed ({:?}): its directories don't exist yet, and a file can only \
             be created in an existing directory (all of its parents too)",
            dir.display(),
            saved.err()
        );
        assert_eq!(
            load_report(&dir).await.expect("report.txt can't be read"),
            ["one line"],
            "the report should read back"
        );
    }

    #[tokio::test]
    async fn saving_again_replaces_the_report() {
        let tmp = TempDir::new("again");
        save_report(&tmp.0, &["old", "old", "old"])
            .await
            .expect("save_report failed");
        save_report(&tmp.0, &["new"])
            .await
            .expect("save_report failed");
        assert_eq!(
            load_report(&tmp.0).await.expect("report.txt can't be read"),
            ["new"],
            "the second report replaces the first, and holds exactly its own lines (a line left \
             in a tokio BufWriter's buffer is lost when the writer is dropped)"
        );
    }
}
