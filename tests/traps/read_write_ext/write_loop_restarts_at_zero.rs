// trap-expect: fail
// Trap for 03_async_io/read_write_ext: a `write` loop that always sends the start of the message.
//
// The learner understood that one `write` may send only part of the buffer and loops until the
// returned counts add up to the message length, but passes the whole `msg` every time instead of
// what is left of it. Through the 8-byte pipe the first bytes are sent again and again (and the
// counts overshoot to 104). `send_message_writes_every_byte` fails with "send_message must write
// the 100 bytes of the message, each exactly once", the round trip with "all 100 bytes must make
// the trip". `write_all` does this bookkeeping for you.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends every byte of `msg` into `writer`.
pub async fn send_message<W: AsyncWrite + Unpin>(
    writer: &mut W,
    msg: &[u8],
) -> std::io::Result<()> {
    let mut sent = 0;
    while sent < msg.len() {
        sent += writer.write(msg).await?;
    }
    Ok(())
}

/// Reads exactly `len` bytes from `reader`.
pub async fn recv_message<R: AsyncRead + Unpin>(
    reader: &mut R,
    len: usize,
) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    reader.read_exact(&mut buf).await?;
    Ok(buf)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // A pipe in memory that holds at most 8 bytes at a time, like a tiny socket buffer.
    let (mut client, mut server) = tokio::io::duplex(8);
    let msg = b"Async IO: a read or write can move fewer bytes than you asked for.";
    let (sent, received) = tokio::join!(
        send_message(&mut client, msg),
        recv_message(&mut server, msg.len())
    );
    sent?;
    println!("{}", String::from_utf8_lossy(&received?));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;
    use tokio::time::timeout;

    fn message() -> Vec<u8> {
        (0..100u8).collect()
    }

    #[tokio::test]
    async fn send_message_writes_every_byte() {
        // The pipe holds only 8 bytes, so one `write` call can move at most 8 of the 100 bytes.
        let (mut client, mut server) = tokio::io::duplex(8);
        let msg = message();
        let to_send = msg.clone();
        let sender = tokio::spawn(async move {
            send_message(&mut client, &to_send)
                .await
                .expect("send_message failed");
            // `client` is dropped here, so the reader below sees end-of-file.
        });
        let mut received = Vec::new();
        timeout(Duration::from_secs(2), server.read_to_end(&mut received))
            .await
            .expect("reading the pipe did not finish within 2 s")
            .expect("reading the pipe failed");
        sender.await.expect("the sender task panicked");
        assert_eq!(
            received.len(),
            100,
            "send_message must write the 100 bytes of the message, each exactly once"
        );
        assert_eq!(received, msg, "the bytes must arrive intact and in order");
    }

    #[tokio::test]
    async fn recv_message_fills_the_whole_buffer() {
        // The data arrives in two pieces, like packets on a network.
        let mut reader = tokio_test::io::Builder::new()
            .read(b"hel")
            .read(b"lo")
            .build();
        let got = recv_message(&mut reader, 5)
            .await
            .expect("recv_message failed");
        assert_eq!(
            got,
            b"hello".to_vec(),
            "recv_message must keep reading until all 5 bytes are there"
        );
    }

    #[tokio::test]
    async fn round_trip_through_a_small_pipe() {
        let (mut client, mut server) = tokio::io::duplex(8);
        let msg = message();
        let (sent, received) = timeout(Duration::from_secs(2), async {
            tokio::join!(
                send_message(&mut client, &msg),
                recv_message(&mut server, 100)
            )
        })
        .await
        .expect("the round trip did not finish within 2 s");
        sent.expect("send_message failed");
        assert_eq!(
            received.expect("recv_message failed"),
            msg,
            "all 100 bytes must make the trip"
        );
    }

    #[tokio::test]
    async fn two_messages_over_one_connection() {
        // A connection carries many messages: after one, the writer must still be usable.
        let (mut client, mut server) = tokio::io::duplex(8);
        let (sent, received) = timeout(Duration::from_secs(2), async {
            tokio::join!(
                async {
                    send_message(&mut client, b"first").await?;
                    send_message(&mut client, b"second!").await
                },
                async {
                    let first = recv_message(&mut server, 5).await?;
                    let second = recv_message(&mut server, 7).await?;
                    Ok::<_, std::io::Error>((first, second))
                }
            )
        })
        .await
        .expect("two messages did not make the trip within 2 s");
        sent.expect(
            "sending the second message failed: did send_message close the writer (`shutdown`) \
             after the first one? The caller may have more to send",
        );
        let (first, second) = received.expect("recv_message failed");
        assert_eq!(first, b"first".to_vec(), "the first message is \"first\"");
        assert_eq!(
            second,
            b"second!".to_vec(),
            "the second message is \"second!\""
        );
    }

    #[tokio::test]
    async fn an_empty_message() {
        // Zero bytes are always there: no read is needed, even on a stream that has ended.
        let mut ended = tokio_test::io::Builder::new().build();
        let got = recv_message(&mut ended, 0).await.expect(
            "recv_message(reader, 0) must succeed without reading: check whether the buffer is \
             full BEFORE you read, or a stream that has ended looks like an early end-of-file",
        );
        assert!(got.is_empty(), "0 bytes asked, got {got:?}");
        let (mut client, _server) = tokio::io::duplex(8);
        send_message(&mut client, b"")
            .await
            .expect("sending an empty message must succeed");
    }

    #[tokio::test]
    async fn recv_message_reports_early_eof() {
        // Only 3 of the 5 wanted bytes exist: that is an error, not a short message.
        let mut reader = tokio_test::io::Builder::new().read(b"abc").build();
        let err = recv_message(&mut reader, 5)
            .await
            .expect_err("recv_message must fail when the stream ends too early");
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof,
            "a stream that ends before `len` bytes is an UnexpectedEof error"
        );
    }

    #[tokio::test]
    async fn recv_message_reads_no_more_than_len() {
        // Two 5-byte messages arrive in pieces that do not line up with the messages. The first
        // call must stop after exactly 5 bytes and leave "WORLD" in the stream for the second.
        let mut reader = tokio_test::io::Builder::new()
            .read(b"hel")
            .read(b"loWOR")
            .read(b"LD")
            .build();
        let first = recv_message(&mut reader, 5)
            .await
            .expect("recv_message failed on the first message");
        assert_eq!(first, b"hello".to_vec(), "the first message is \"hello\"");
        let second = recv_message(&mut reader, 5).await.expect(
            "recv_message failed on the second message: did the first call read past its 5 \
             bytes and throw away the start of the next message?",
        );
        assert_eq!(
            second,
            b"WORLD".to_vec(),
            "recv_message must not swallow bytes of the next message"
        );
    }
}
