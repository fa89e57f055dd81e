// trap-expect: fail
// Trap for 03_async_io/line_protocol_mock: one `flush` at the end instead of one per reply.
//
// The learner adds the "\r\n" and knows a `BufWriter` must be flushed, but flushes once, after
// the loop, "so that nothing is left behind". Every reply then sits in the BufWriter's memory
// while the server waits for the next request, and the client waits for the reply before it
// sends that request: both wait forever. The paused clock lets the test's timeout fire at once:
// `replies_pong_to_ping` and the others fail with "serve_lines got stuck: it waits for the next
// line while the client still waits for a reply. Is the reply complete ... and flushed?".

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};

/// The reply to one request line (without the line ending).
fn reply_to(line: &str) -> String {
    if line == "PING" {
        "PONG".to_string()
    } else if let Some(text) = line.strip_prefix("ECHO ") {
        text.to_string()
    } else {
        "ERR unknown command".to_string()
    }
}

/// Answers request lines until the client closes. Returns the number of requests answered.
pub async fn serve_lines<S: AsyncRead + AsyncWrite + Unpin>(stream: S) -> std::io::Result<usize> {
    let (reader, writer) = tokio::io::split(stream);
    let mut lines = BufReader::new(reader).lines();
    let mut out = BufWriter::new(writer);
    let mut answered = 0;
    while let Some(line) = lines.next_line().await? {
        let reply = reply_to(&line);
        out.write_all(reply.as_bytes()).await?;
        out.write_all(b"\r\n").await?;
        answered += 1;
    }
    out.flush().await?; // everything goes out in one go at the end
    Ok(answered)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (client, server) = tokio::io::duplex(1024);
    let server = tokio::spawn(serve_lines(server));
    let (client_rd, mut client_wr) = tokio::io::split(client);
    let mut replies = BufReader::new(client_rd).lines();
    for request in ["PING", "ECHO hello, Tokio", "HELLO?"] {
        client_wr
            .write_all(format!("{request}\r\n").as_bytes())
            .await?;
        let reply = replies.next_line().await?.unwrap_or_default();
        println!("{request:>18} -> {reply}");
    }
    client_wr.shutdown().await?;
    println!("answered {} requests", server.await??);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;
    use tokio_test::io::Builder;

    // The mock client (tokio_test::io) sends and expects bytes in the scripted order. It panics
    // on a wrong write, and when it is dropped with part of its script unused. It reads the next
    // request only once the expected reply has been written.
    // A paused clock makes a stuck server fail in microseconds instead of hanging.
    async fn run(mock: tokio_test::io::Mock) -> usize {
        let server = tokio::spawn(async move {
            let mut client = Client {
                mock,
                shut_down: false,
            };
            match timeout(Duration::from_secs(10), serve_lines(&mut client)).await {
                // `client` is dropped here: the mock panics if it still expected more bytes.
                Ok(Ok(answered)) => Ok(answered),
                // Report the error or the hang, not the unused rest of the script.
                Ok(Err(e)) => {
                    std::mem::forget(client);
                    Err(Some(e))
                }
                Err(_) => {
                    std::mem::forget(client);
                    Err(None)
                }
            }
        });
        match server.await {
            Ok(Ok(answered)) => answered,
            Ok(Err(Some(e))) => panic!("serve_lines returned an error: {e}"),
            Ok(Err(None)) => panic!(
                "serve_lines got stuck: it waits for the next line while the client still waits \
                 for a reply. Is the reply complete (ends in \"\\r\\n\") and flushed?"
            ),
            Err(e) => {
                let payload = e.into_panic();
                let said = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                panic!(
                    "the mock client got bytes it did not expect. Each request line gets \
                     exactly one reply ending in \"\\r\\n\": PING -> PONG, ECHO text -> text, \
                     anything else -> ERR unknown command. A line may arrive in several reads, \
                     and one read may hold several lines. The mock says: {said}"
                )
            }
        }
    }

    /// The mock client, with one rule of a real connection that the mock does not check: after
    /// `shutdown`, the server's side is closed for writing and every later write fails.
    struct Client {
        mock: tokio_test::io::Mock,
        shut_down: bool,
    }

    impl AsyncRead for Client {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.mock).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Client {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            if self.shut_down {
                return std::task::Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::BrokenPipe,
                    "write after shutdown: `shutdown` closes the connection for writing, so no \
                     later reply can be sent. To send what the BufWriter holds, `flush` it",
                )));
            }
            std::pin::Pin::new(&mut self.mock).poll_write(cx, buf)
        }

        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.mock).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.shut_down = true;
            std::pin::Pin::new(&mut self.mock).poll_shutdown(cx)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn replies_pong_to_ping() {
        let mock = Builder::new().read(b"PING\r\n").write(b"PONG\r\n").build();
        assert_eq!(run(mock).await, 1, "one request, one reply");
    }

    #[tokio::test(start_paused = true)]
    async fn each_reply_arrives_before_the_next_request() {
        // The client sends its next line only after it has read the reply to the previous one.
        let mock = Builder::new()
            .read(b"PING\r\n")
            .write(b"PONG\r\n")
            .read(b"ECHO hello\r\n")
            .write(b"hello\r\n")
            .read(b"WHAT\r\n")
            .write(b"ERR unknown command\r\n")
            .build();
        assert_eq!(run(mock).await, 3, "three requests, three replies");
    }

    #[tokio::test(start_paused = true)]
    async fn pipelined_requests_in_one_chunk() {
        // Two requests arrive in one read; `lines()` splits them. A bare "\n" ends a line too.
        let mock = Builder::new()
            .read(b"PING\r\nECHO a b c\n")
            .write(b"PONG\r\na b c\r\n")
            .build();
        assert_eq!(run(mock).await, 2, "two requests, two replies");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_split_across_reads() {
        // One line can arrive in pieces: one `read` is not one line. `lines()` waits for the end.
        let mock = Builder::new()
            .read(b"PI")
            .read(b"NG\r\n")
            .write(b"PONG\r\n")
            .read(b"ECHO sp")
            .read(b"lit\r\n")
            .write(b"split\r\n")
            .build();
        assert_eq!(run(mock).await, 2, "two requests, two replies");
    }
}
