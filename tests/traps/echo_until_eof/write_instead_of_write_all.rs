// trap-expect: fail
// Trap for 03_async_io/echo_until_eof: the loop and the `Ok(0)` check are right, but the echo
// uses `write` instead of `write_all`.
//
// `write` may take only part of the chunk and returns how many bytes it took; the learner
// ignores that number (or counts it, but never sends the rest). With a roomy in-memory pipe that
// seems to work. `echoes_every_byte_when_a_write_is_short` gives echo a stream that takes at
// most 3 bytes per `write`, and fails with "every byte of each chunk must come back: one
// `write` may take only part of the chunk (here 3 bytes) ...".

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Writes back everything it reads, until the peer closes. Returns the number of bytes echoed.
pub async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> std::io::Result<u64> {
    let mut buf = [0u8; 1024];
    let mut total = 0u64;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write(&buf[..n]).await?;
        total += n as u64;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (mut client, server) = tokio::io::duplex(64);
    let server = tokio::spawn(echo(server));
    for word in ["one", "two", "three"] {
        client.write_all(word.as_bytes()).await?;
        let mut back = vec![0u8; word.len()];
        client.read_exact(&mut back).await?;
        println!(
            "sent {word:?}, got back {:?}",
            String::from_utf8_lossy(&back)
        );
    }
    drop(client); // end-of-file for the server
    println!("echoed {} bytes in total", server.await??);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::timeout;

    // Real time on purpose: a loop that keeps reading after EOF never lets a paused clock
    // advance, so this timeout would never fire. In real time it does.
    const LIMIT: Duration = Duration::from_secs(1);

    async fn say(client: &mut tokio::io::DuplexStream, word: &str) -> String {
        client
            .write_all(word.as_bytes())
            .await
            .unwrap_or_else(|e| panic!("could not send {word:?}: {e} (did echo stop early?)"));
        let mut back = vec![0u8; word.len()];
        timeout(LIMIT, client.read_exact(&mut back))
            .await
            .unwrap_or_else(|_| panic!("no echo of {word:?} within 1 s"))
            .unwrap_or_else(|e| panic!("no echo of {word:?}: {e} (did echo stop early?)"));
        String::from_utf8(back).unwrap()
    }

    #[tokio::test]
    async fn echoes_every_chunk() {
        let (mut client, server) = tokio::io::duplex(64);
        let server = tokio::spawn(echo(server));
        assert_eq!(say(&mut client, "one").await, "one");
        assert_eq!(say(&mut client, "two").await, "two");
        assert_eq!(say(&mut client, "three").await, "three");
        drop(client);
        let total = timeout(LIMIT, server)
            .await
            .expect("echo must return soon after the peer closes (read gave Ok(0))")
            .expect("the echo task panicked")
            .expect("echo returned an error");
        assert_eq!(total, 11, "echo must report all 11 bytes it echoed");
    }

    #[tokio::test]
    async fn returns_at_eof() {
        let (client, server) = tokio::io::duplex(64);
        drop(client); // the peer closes at once
        let total = timeout(LIMIT, echo(server))
            .await
            .expect("echo must return when read gives Ok(0)")
            .expect("echo returned an error");
        assert_eq!(total, 0, "nothing was sent, so nothing was echoed");
    }

    #[tokio::test]
    async fn echoes_a_large_message() {
        // 5 000 bytes do not fit in one 1 024-byte read, nor in the 64-byte pipe.
        let (client, server) = tokio::io::duplex(64);
        let server = tokio::spawn(echo(server));
        let (mut rd, mut wr) = tokio::io::split(client);
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let to_send = data.clone();
        let writer = tokio::spawn(async move {
            wr.write_all(&to_send).await?;
            wr.shutdown().await // end-of-file for the server
        });
        let mut back = Vec::new();
        timeout(LIMIT, rd.read_to_end(&mut back))
            .await
            .expect("the echo did not finish within 1 s")
            .expect("reading the echo failed");
        assert_eq!(back.len(), 5000, "every byte must come back");
        assert_eq!(back, data, "the bytes must come back intact and in order");
        let sent = writer.await.expect("the writer task panicked");
        sent.expect("sending the 5 000 bytes failed");
        let total = server
            .await
            .expect("the echo task panicked")
            .expect("echo failed");
        assert_eq!(total, 5000, "echo must report the 5 000 bytes it echoed");
    }

    /// A stream whose `write` takes at most 3 bytes per call, like a socket with a full send
    /// buffer. Reads pass straight through.
    struct ShortWrites(tokio::io::DuplexStream);

    impl tokio::io::AsyncRead for ShortWrites {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl tokio::io::AsyncWrite for ShortWrites {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let n = buf.len().min(3);
            std::pin::Pin::new(&mut self.0).poll_write(cx, &buf[..n])
        }

        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }

    #[tokio::test]
    async fn echoes_every_byte_when_a_write_is_short() {
        // The server's side accepts at most 3 bytes per `write`: a 10-byte chunk needs 4 writes.
        let (client, server) = tokio::io::duplex(64);
        let server = tokio::spawn(echo(ShortWrites(server)));
        let (mut rd, mut wr) = tokio::io::split(client);
        wr.write_all(b"0123456789").await.expect("sending failed");
        wr.shutdown().await.expect("closing failed"); // end-of-file for the server
        let mut back = Vec::new();
        timeout(LIMIT, rd.read_to_end(&mut back))
            .await
            .expect("the echo did not end within 1 s after the peer closed")
            .expect("reading the echo failed");
        assert_eq!(
            String::from_utf8_lossy(&back),
            "0123456789",
            "every byte of each chunk must come back: one `write` may take only part of the \
             chunk (here 3 bytes), and the rest is lost unless you write it too (`write_all`)"
        );
        let total = server
            .await
            .expect("the echo task panicked")
            .expect("echo failed");
        assert_eq!(total, 10, "echo must report the 10 bytes it echoed");
    }

    #[tokio::test]
    async fn a_read_error_is_returned() {
        // The peer sends "abc", then the connection breaks: that is an error, not end-of-file.
        let mock = tokio_test::io::Builder::new()
            .read(b"abc")
            .write(b"abc")
            .read_error(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ))
            .build();
        let result = timeout(LIMIT, echo(mock))
            .await
            .expect("echo did not return within 1 s after the read error");
        let err = result.expect_err(
            "the connection broke (read returned an error), but echo returned Ok: an error is \
             not end-of-file, pass it on with `?`",
        );
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::ConnectionReset,
            "echo must return the read's own error"
        );
    }
}
