// alternative: tokio::select! between reading the head and a sleep of REQUEST_DEADLINE

// The Tokio explainer's real-world example, server side: "a web server that handles requests
// asynchronously". This one speaks just enough HTTP/1.1 by hand, over a Tokio `TcpListener`, and
// already gives every connection a task of its own, so a slow client holds up nobody else.
//
// But a task waits as long as its client likes. A client that connects and then sends nothing,
// or trickles one header line every few hundred milliseconds, keeps its task, its buffer and its
// socket forever; a few thousand such clients (a "slowloris" attack) and the server runs out of
// sockets. Real servers give each client a deadline for sending its request.
//
// TODO: in `handle_connection`, give the client `REQUEST_DEADLINE` (from the moment it connects)
// to send its whole request head. When the deadline passes, answer `408 Request Timeout` and
// close the connection. A client that is slow but makes the deadline must still be served.

use std::time::Duration;

use tokio::io::BufReader;
use tokio::io::{self, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// How long a client has, from connecting, to send its request line and headers.
const REQUEST_DEADLINE: Duration = Duration::from_secs(1);

/// Accepts connections forever and serves each of them in a task of its own.
async fn run_server(listener: TcpListener) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = handle_connection(socket).await {
                eprintln!("connection error: {e}");
            }
        });
    }
}

/// Reads the request line and the headers, up to the empty line, and returns the path.
async fn read_request_head<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<String> {
    // The request line, e.g. "GET /users/1 HTTP/1.1".
    let mut request_line = String::new();
    reader.read_line(&mut request_line).await?;
    // Then the headers, up to an empty line. This server does not need them.
    loop {
        let mut header = String::new();
        let n = reader.read_line(&mut header).await?;
        if n == 0 || header.trim_end().is_empty() {
            break;
        }
    }
    Ok(request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string())
}

/// Reads one HTTP request and writes one response, then closes the connection. Generic over the
/// stream, so that the tests can also use an in-memory one on a paused clock.
async fn handle_connection<S: AsyncRead + AsyncWrite + Unpin>(socket: S) -> io::Result<()> {
    let mut socket = BufReader::new(socket);

    let head = tokio::select! {
        head = read_request_head(&mut socket) => head,
        _ = tokio::time::sleep(REQUEST_DEADLINE) => {
            return respond(&mut socket, "408 Request Timeout", "too slow").await;
        }
    };
    let (status, body) = match head?.as_str() {
        "/users/1" => ("200 OK", "Alice"),
        "/users/2" => ("200 OK", "Bob"),
        _ => ("404 Not Found", "no such page"),
    };

    respond(&mut socket, status, body).await
}

/// Writes one response and closes our side of the connection.
async fn respond<W: AsyncWrite + Unpin>(
    socket: &mut W,
    status: &str,
    body: &str,
) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("serving on http://{addr}");
    tokio::spawn(run_server(listener));

    // Be our own first client.
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in ["/users/1", "/users/2", "/nope"] {
        match client.get(format!("http://{addr}{path}")).send().await {
            Ok(response) => println!("{path}: {}", response.status()),
            Err(e) => println!("{path}: {e}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::io::AsyncReadExt;
    use tokio::time::{Instant, sleep, timeout};

    async fn start_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(run_server(listener));
        addr
    }

    async fn get(addr: SocketAddr, path: &str) -> reqwest::Result<(u16, String)> {
        let client = reqwest::Client::builder().no_proxy().build()?;
        let response = client.get(format!("http://{addr}{path}")).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    // Real sockets, real time: the server as a client sees it.

    #[tokio::test]
    async fn serves_users_and_404() {
        let addr = start_server().await;
        for (path, want) in [
            ("/users/1", (200, "Alice")),
            ("/users/2", (200, "Bob")),
            ("/nope", (404, "no such page")),
        ] {
            let reply = timeout(Duration::from_secs(2), get(addr, path))
                .await
                .unwrap_or_else(|_| panic!("no answer for {path} within 2 s"))
                .unwrap_or_else(|e| panic!("the request for {path} failed: {e}"));
            assert_eq!(reply, (want.0, want.1.to_string()), "GET {path}");
        }
    }

    // In memory, on a paused clock: a `duplex` pipe stands in for the socket, and the test
    // plays the client, as slowly as it likes, with exact (virtual) timings.

    /// Serves one connection on an in-memory socket. `client` writes the request in pieces,
    /// pausing before each one; returns everything the server answered, and when it finished.
    async fn serve_in_memory(pieces: Vec<(Duration, &'static str)>) -> (String, Duration) {
        let start = Instant::now();
        let (client, server) = tokio::io::duplex(1024);
        tokio::spawn(handle_connection(server));
        let (mut from_server, mut to_server) = tokio::io::split(client);
        tokio::spawn(async move {
            for (pause, piece) in pieces {
                sleep(pause).await;
                if to_server.write_all(piece.as_bytes()).await.is_err() {
                    return; // the server hung up
                }
            }
            // Then stay connected, silent, until the test ends.
            std::future::pending::<()>().await;
        });
        let mut answer = String::new();
        timeout(
            Duration::from_secs(60),
            from_server.read_to_string(&mut answer),
        )
        .await
        .expect(
            "the server still had not answered after 60 s: with no deadline, or a deadline on \
             only part of the request head (the request line, one line at a time), a client \
             that never finishes its request keeps its task (and socket) waiting forever",
        )
        .unwrap();
        (answer, start.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn silent_client_gets_408_at_the_deadline() {
        let (answer, took) = serve_in_memory(vec![]).await;
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "a client that sends nothing should get 408 Request Timeout; got {answer:?}"
        );
        assert_eq!(
            took, REQUEST_DEADLINE,
            "the 408 should come at the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn trickling_client_gets_408_at_the_deadline() {
        // The request line, then one header line every 400 ms, never the end of the head.
        let mut pieces = vec![(Duration::ZERO, "GET /users/1 HTTP/1.1\r\n")];
        pieces.extend((0..20).map(|_| (Duration::from_millis(400), "x-trickle: 1\r\n")));
        let (answer, took) = serve_in_memory(pieces).await;
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "a client still sending headers after the deadline should get 408; got {answer:?}"
        );
        assert_eq!(
            took, REQUEST_DEADLINE,
            "the deadline counts from when the client connected, for the whole request head; a \
             deadline that starts again with every line never ends for a client that trickles"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_client_within_the_deadline_is_served() {
        let pieces = vec![
            (Duration::ZERO, "GET /users/2 HTTP/1.1\r\n"),
            (Duration::from_millis(600), "host: test\r\n"),
            (Duration::from_millis(300), "\r\n"),
        ];
        let (answer, took) = serve_in_memory(pieces).await;
        assert!(
            answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.ends_with("Bob"),
            "a client that sends its whole request within the deadline (900 ms of 1 s) should be \
             served; got {answer:?}"
        );
        assert_eq!(took, Duration::from_millis(900));
    }
}
