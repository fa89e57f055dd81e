// The Tokio explainer's real-world example, server side: "a web server that handles requests
// asynchronously". This one speaks just enough HTTP/1.1 by hand, over a Tokio `TcpListener`.
//
// It has two problems. Fix both TODOs:
// 1. It serves one connection at a time. A client that is slow to send its request holds up
//    every other client, although the server is only *waiting*. Give each connection its own
//    task, so the waiting happens in that task and the accept loop goes on.
// 2. For an unknown path it hangs up without any answer. Every request deserves a response:
//    reply `404 Not Found`.

use tokio::io::{self, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections forever and serves each of them.
async fn run_server(listener: TcpListener) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // TODO: the loop cannot accept the next client until this connection is done.
        // Serve each connection in a task of its own.
        if let Err(e) = handle_connection(socket).await {
            eprintln!("connection error: {e}");
        }
    }
}

/// Reads one HTTP request and writes one response, then closes the connection.
async fn handle_connection(socket: TcpStream) -> io::Result<()> {
    let mut socket = BufReader::new(socket);

    // The request line, e.g. "GET /users/1 HTTP/1.1".
    let mut request_line = String::new();
    socket.read_line(&mut request_line).await?;
    // Then the headers, up to an empty line. This server does not need them.
    loop {
        let mut header = String::new();
        let n = socket.read_line(&mut header).await?;
        if n == 0 || header.trim_end().is_empty() {
            break;
        }
    }

    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/users/1" => ("200 OK", "Alice"),
        "/users/2" => ("200 OK", "Bob"),
        // TODO: the client gets no response at all for other paths. Send a 404 instead.
        _ => return Ok(()),
    };

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
    use std::time::Duration;
    use tokio::io::AsyncReadExt;
    use tokio::time::timeout;

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

    #[tokio::test]
    async fn serves_a_user() {
        let addr = start_server().await;

        let reply = timeout(Duration::from_secs(2), get(addr, "/users/1"))
            .await
            .expect("no answer within 2 s");

        assert_eq!(
            reply.expect("the request should succeed"),
            (200, "Alice".to_string())
        );
    }

    #[tokio::test]
    async fn unknown_path_gets_404() {
        let addr = start_server().await;

        let reply = timeout(Duration::from_secs(2), get(addr, "/nope"))
            .await
            .expect("no answer within 2 s");

        let (status, _) = reply.expect(
            "the server should answer every request; hanging up without a response is an error for the client",
        );
        assert_eq!(status, 404, "an unknown path should get 404 Not Found");
    }

    #[tokio::test]
    async fn slow_client_does_not_block_others() {
        let addr = start_server().await;

        // Client A sends half of a request, then goes quiet.
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /users/1 HTTP/1.1\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;

        // Client B must not have to wait for A.
        let reply = timeout(Duration::from_secs(1), get(addr, "/users/2"))
            .await
            .expect(
                "client B got no answer within 1 s: the server is still busy waiting for client A",
            );
        assert_eq!(
            reply.expect("client B's request should succeed"),
            (200, "Bob".to_string())
        );

        // Now A finishes its request, and gets its answer too.
        slow.write_all(b"host: test\r\n\r\n").await.unwrap();
        let mut response = String::new();
        timeout(Duration::from_secs(1), slow.read_to_string(&mut response))
            .await
            .expect("client A got no answer within 1 s")
            .unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with("Alice"),
            "client A should get its user too; got {response:?}. A slow client is only \
             waiting, not misbehaving: don't hang up on it, give it a task of its own"
        );
    }
}
