// trap-expect: fail
// Wrong fix for 03_async_io/frame_reader: the learner skips the buffer and lets `read_u16` and
// `read_exact` wait for whole pieces, which does handle split and merged frames. But both report
// any end of stream as `UnexpectedEof`, so the learner maps that error to a clean end. A stream
// cut inside the 2-byte length then also looks clean: `a_stream_that_ends_inside_a_frame_is_an_error`
// says "the stream ended after [0], in the middle of a frame: ... got Ok(None)". Telling "no
// bytes at all" from "some bytes" needs the bytes: a buffer.

use bytes::{Buf, Bytes, BytesMut};
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads frames from a byte stream. A frame is a 2-byte big-endian length, then that many bytes
/// of payload.
pub struct FrameReader<R> {
    stream: R,
    /// Bytes read from the stream but not yet returned as a frame.
    buffer: BytesMut,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(stream: R) -> Self {
        FrameReader {
            stream,
            buffer: BytesMut::with_capacity(4096),
        }
    }

    /// The next frame's payload; `Ok(None)` when the stream ends cleanly between two frames, and
    /// an `UnexpectedEof` error when it ends in the middle of a frame.
    pub async fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        let len = match self.stream.read_u16().await {
            Ok(len) => len as usize,
            // No length: the stream is over.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload).await?;
        Ok(Some(Bytes::from(payload)))
    }

    /// Takes one whole frame off the front of the buffer, if the buffer holds one.
    fn parse_frame(&mut self) -> Option<Bytes> {
        if self.buffer.len() < 2 {
            return None;
        }
        let len = u16::from_be_bytes([self.buffer[0], self.buffer[1]]) as usize;
        if self.buffer.len() < 2 + len {
            return None;
        }
        self.buffer.advance(2);
        Some(self.buffer.split_to(len).freeze())
    }
}

/// Encodes one frame, the way a sender would.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).expect("a frame holds at most 65535 bytes");
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

#[tokio::main]
async fn main() {
    let (mut client, server) = tokio::io::duplex(4);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for word in ["hello", "framed", "world"] {
            client.write_all(&frame(word.as_bytes())).await.unwrap();
        }
    });
    let mut reader = FrameReader::new(server);
    while let Some(frame) = reader.read_frame().await.unwrap() {
        println!("{}", String::from_utf8_lossy(&frame));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio_test::io::Builder;

    // Reads frames until the end of the stream and lists their payloads. It runs in its own task
    // so that a panic in read_frame becomes a failure that says what probably went wrong. The
    // reader comes back too: the caller keeps it until its asserts are done, because a mock
    // stream dropped with data left in it panics with a message of its own.
    async fn all_frames<S: AsyncRead + Unpin + Send + 'static>(
        stream: S,
    ) -> (Vec<String>, FrameReader<S>) {
        let reading = tokio::spawn(async move {
            let mut reader = FrameReader::new(stream);
            let mut frames = Vec::new();
            loop {
                match reader.read_frame().await {
                    Ok(Some(frame)) => frames.push(String::from_utf8_lossy(&frame).into_owned()),
                    Ok(None) => return Ok((frames, reader)),
                    Err(e) => return Err((frames, e, reader)),
                }
            }
        });
        let result = reading.await.unwrap_or_else(|e| {
            panic!(
                "read_frame panicked ({e}). Does it assume that one read gives exactly one \
                 whole frame? A read gives whatever bytes have arrived: part of a frame, or \
                 several frames"
            )
        });
        result.unwrap_or_else(|(frames, e, _reader)| {
            panic!(
                "read_frame returned an error ({e}) after {} whole frames, though the \
                 stream ended right after a whole frame. Was that frame still waiting in the \
                 buffer? Look for a whole frame in the buffer before reading more",
                frames.len()
            )
        })
    }

    #[tokio::test]
    async fn one_frame_per_read() {
        let stream = Builder::new()
            .read(&frame(b"hello"))
            .read(&frame(b"world"))
            .build();
        let (frames, _reader) = all_frames(stream).await;
        assert_eq!(
            frames,
            ["hello", "world"],
            "two frames, each in a read of its own. None at all? Does the read get room to \
             fill: `read(&mut buf)` fills at most `buf.len()` bytes, and an empty `BytesMut` has \
             length 0, so the read returns 0, which looks like the end of the stream \
             (`read_buf` appends to a BytesMut instead)"
        );
    }

    #[tokio::test]
    async fn a_frame_split_across_reads() {
        // The length is split too: 0x00, then 0x05 with the first bytes of the payload.
        let stream = Builder::new()
            .read(&[0])
            .read(&[5, b'h', b'e'])
            .read(b"llo")
            .build();
        let (frames, _reader) = all_frames(stream).await;
        assert_eq!(
            frames,
            ["hello"],
            "one frame arrived in three reads: a read gives whatever bytes have arrived, not a \
             whole frame, so keep reading into a buffer until it holds a whole frame"
        );
    }

    #[tokio::test]
    async fn two_frames_in_one_read() {
        let stream = Builder::new()
            .read(&[frame(b"first"), frame(b"second")].concat())
            .read(&frame(b"third"))
            .build();
        let (frames, _reader) = all_frames(stream).await;
        assert_eq!(
            frames,
            ["first", "second", "third"],
            "\"first\" and \"second\" arrived in the same read. After returning \"first\", the \
             bytes of \"second\" are already in your buffer: keep them there, and look for a \
             whole frame in the buffer before reading more"
        );
    }

    #[tokio::test]
    async fn an_empty_frame_is_still_a_frame() {
        let stream = Builder::new()
            .read(&[frame(b""), frame(b"x")].concat())
            .build();
        let (frames, _reader) = all_frames(stream).await;
        assert_eq!(
            frames,
            ["", "x"],
            "a frame of length 0 is a frame with an empty payload, not the end of the stream"
        );
    }

    #[tokio::test]
    async fn a_stream_that_ends_inside_a_frame_is_an_error() {
        // One cut in the payload, one cut in the length itself.
        for cut in [vec![0, 5, b'h', b'e'], vec![0]] {
            let stream = Builder::new().read(&frame(b"ok")).read(&cut).build();
            let mut reader = FrameReader::new(stream);
            let first = reader.read_frame().await.expect("the first frame is whole");
            assert_eq!(
                first.as_deref(),
                Some(&b"ok"[..]),
                "the stream starts with the whole frame \"ok\""
            );
            let end = reader.read_frame().await;
            assert!(
                matches!(&end, Err(e) if e.kind() == io::ErrorKind::UnexpectedEof),
                "the stream ended after {cut:?}, in the middle of a frame: that is an \
                 UnexpectedEof error, not a clean end (Ok(None)) and not a frame; got {end:?}"
            );
        }
    }

    #[tokio::test]
    async fn big_frames_through_a_small_pipe() {
        // A pipe that holds 16 bytes at a time: every 1000-byte frame needs many reads.
        let (mut client, server) = tokio::io::duplex(16);
        let writer = tokio::spawn(async move {
            for byte in [b'a', b'b', b'c'] {
                client.write_all(&frame(&[byte; 1000])).await.unwrap();
            }
        });
        let (frames, reader) = all_frames(server).await;
        let expected: Vec<String> = ["a", "b", "c"].iter().map(|s| s.repeat(1000)).collect();
        assert!(
            frames == expected,
            "expected 3 frames of 1000 bytes each ('a's, 'b's, 'c's); got {} frames of sizes {:?}",
            frames.len(),
            frames.iter().map(String::len).collect::<Vec<_>>()
        );
        drop(reader);
        writer.await.unwrap();
    }
}
