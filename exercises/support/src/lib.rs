//! Test helpers for the tokiolings course: tiny HTTP/1.1 servers on `127.0.0.1:0`.
//!
//! The 09_real_world exercises talk to these instead of the internet. Every server runs as a
//! task on the *current* Tokio runtime (so call these from inside `#[tokio::test]`), answers
//! each request with `connection: close`, and stops when the runtime shuts down.
//! Use them with real time only: never with `#[tokio::test(start_paused = true)]`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One HTTP reply: a status code and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// How long to wait between sending the headers and sending the body (default: none).
    pub body_delay: Duration,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: impl Into<String>) -> Self {
        Self::with_status(200, body)
    }

    /// Any status code with `body`.
    pub fn with_status(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            body: body.into(),
            body_delay: Duration::ZERO,
        }
    }

    /// Sends the headers at once but the body only after `delay` (a slow download).
    pub fn body_after(mut self, delay: Duration) -> Self {
        self.body_delay = delay;
        self
    }
}

/// Starts a server whose `handler` gets each request's path (e.g. `"/users/1"`) and returns
/// the reply. Connections are served concurrently, one task each. Returns the address.
pub async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                // A client that goes away early is not the test's business.
                let _ = answer(socket, handler).await;
            });
        }
    });
    addr
}

/// Starts a server with fixed routes `(path, status, body)`; other paths get `404` with the
/// body `"not found"`.
pub async fn stub(routes: &[(&str, u16, &str)]) -> SocketAddr {
    let routes: Vec<(String, Reply)> = routes
        .iter()
        .map(|(path, status, body)| (path.to_string(), Reply::with_status(*status, *body)))
        .collect();
    let routes = Arc::new(routes);
    serve(move |path| {
        let routes = Arc::clone(&routes);
        async move {
            routes
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, reply)| reply.clone())
                .unwrap_or_else(|| Reply::with_status(404, "not found"))
        }
    })
    .await
}

/// Starts a server that accepts connections, reads the requests and never answers.
pub async fn silent() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Keep the connection open and swallow whatever arrives, until the client
                // hangs up or the runtime shuts down.
                let mut sink = [0u8; 1024];
                while let Ok(n) = socket.read(&mut sink).await {
                    if n == 0 {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// Starts a server that answers every request with `200 OK` and the body `pieces.concat()`: the
/// headers (with the full `content-length`) at once, then one piece after each `every` (a
/// download that keeps trickling in, so no single read ever waits long).
pub async fn trickle(pieces: &[&str], every: Duration) -> SocketAddr {
    let pieces: Arc<Vec<String>> = Arc::new(pieces.iter().map(|p| p.to_string()).collect());
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let pieces = Arc::clone(&pieces);
            tokio::spawn(async move {
                // A client that goes away early is not the test's business.
                let _ = answer_in_pieces(socket, &pieces, every).await;
            });
        }
    });
    addr
}

async fn answer_in_pieces(
    mut socket: TcpStream,
    pieces: &[String],
    every: Duration,
) -> std::io::Result<()> {
    if !read_request_head(&mut socket).await? {
        return Ok(());
    }
    let len: usize = pieces.iter().map(String::len).sum();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await?;
    socket.flush().await?;
    for piece in pieces {
        tokio::time::sleep(every).await;
        socket.write_all(piece.as_bytes()).await?;
        socket.flush().await?;
    }
    socket.shutdown().await
}

/// Reads a request head up to the empty line. `false` if the client hung up first.
async fn read_request_head(socket: &mut TcpStream) -> std::io::Result<bool> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(false);
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(true)
}

/// An address on 127.0.0.1 where nothing listens, so connecting is refused.
pub fn refused_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address")
    // `listener` is dropped here, which closes the port again.
}

async fn answer<F, Fut>(mut socket: TcpStream, handler: Arc<F>) -> std::io::Result<()>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Reply>,
{
    // Read the request head (these clients send no body) up to the empty line.
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    // Request line: "GET /users/1 HTTP/1.1".
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();

    let reply = handler(path).await;
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len(),
    );
    if reply.body_delay.is_zero() {
        socket
            .write_all(format!("{head}{}", reply.body).as_bytes())
            .await?;
    } else {
        socket.write_all(head.as_bytes()).await?;
        socket.flush().await?;
        tokio::time::sleep(reply.body_delay).await;
        socket.write_all(reply.body.as_bytes()).await?;
    }
    socket.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
