// alternative: `read_until` into a buffer kept outside the loop (cancel safe by its docs) instead of `lines()`

use tokio::io::{self, AsyncBufRead, AsyncBufReadExt};

/// One line without its line ending.
fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line).trim_end().to_string()
}
use tokio::time::{Duration, interval};

/// Reads lines until the input ends, while a heartbeat ticks every 100 ms.
/// Returns the lines (without the newline) and how many times the heartbeat ticked.
async fn read_with_heartbeat<R: AsyncBufRead + Unpin>(reader: R) -> io::Result<(Vec<String>, u32)> {
    let mut reader = reader;
    // `read_until` is cancel safe: bytes it has read stay in `line` when it is cancelled, and
    // the next call goes on from there. So `line` must live outside the loop.
    let mut line = Vec::new();
    let mut heartbeat = interval(Duration::from_millis(100));
    let mut received = Vec::new();
    let mut ticks = 0;
    loop {
        tokio::select! {
            n = reader.read_until(b'\n', &mut line) => {
                if n? == 0 {
                    // End of input; a last line without a newline may still be in `line`.
                    if !line.is_empty() {
                        received.push(text(&line));
                    }
                    break;
                }
                if line.ends_with(b"\n") {
                    received.push(text(&line));
                    line.clear();
                }
            }
            _ = heartbeat.tick() => ticks += 1,
        }
    }
    Ok((received, ticks))
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let (mut writer, reader) = io::duplex(64);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = writer.write_all(b"hel").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        let _ = writer.write_all(b"lo\nworld\n").await;
    });
    let (lines, ticks) = read_with_heartbeat(io::BufReader::new(reader)).await?;
    println!("lines: {lines:?}, heartbeats: {ticks}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;
    use tokio_test::io::Builder;

    #[tokio::test(start_paused = true)]
    async fn whole_lines_at_once() {
        // The last line has no newline: the end of the input ends it.
        let input = Builder::new().read(b"one\ntwo\nthree").build();

        let (lines, _) = read_with_heartbeat(BufReader::new(input)).await.unwrap();

        assert_eq!(
            lines,
            ["one", "two", "three"],
            "every line, without its newline; the last one ends at the end of the input"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_split_by_a_pause_stays_whole() {
        // "hel" arrives, then nothing for 250 ms (the heartbeat ticks in between), then the rest.
        let input = Builder::new()
            .read(b"hel")
            .wait(Duration::from_millis(250))
            .read(b"lo\nworld\n")
            .build();

        let (lines, _) = read_with_heartbeat(BufReader::new(input)).await.unwrap();

        assert_eq!(
            lines,
            ["hello", "world"],
            "bytes were lost: when the heartbeat branch wins, select! drops the read future, \
             and a read that is not cancel safe loses the part of the line it had read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeat_keeps_ticking_while_waiting() {
        let input = Builder::new()
            .read(b"he")
            .wait(Duration::from_millis(150))
            .read(b"ll")
            .wait(Duration::from_millis(100))
            .read(b"o\n")
            .build();
        let start = tokio::time::Instant::now();

        let (lines, ticks) = read_with_heartbeat(BufReader::new(input)).await.unwrap();

        assert_eq!(lines, ["hello"], "the line came in three pieces");
        assert_eq!(
            ticks, 3,
            "ticks at 0, 100 and 200 ms, while waiting for the rest of the line"
        );
        assert_eq!(start.elapsed(), Duration::from_millis(250));
    }
}
