// trap-expect: fail
// Trap for 03_async_io/tcp_echo_server: one OS thread per connection, the std way.
//
// The learner does what a std server does: `std::thread::spawn` for each client, and inside the
// thread `Handle::block_on(handle(socket))` to run the async handler. Every client is served at
// once, so the echo tests pass. But it is a thread per connection: ten thousand idle clients
// would be ten thousand OS threads, each with its own stack, which is what async tasks avoid.
// `connections_are_tasks_not_threads` counts the server's threads (Linux) and fails with "the
// server started 5 more OS threads for 5 clients: each connection should be a Tokio task
// (`tokio::spawn`), not a thread ...".

use tokio::net::{TcpListener, TcpStream};

/// Echoes one connection until the client closes it. Returns the number of bytes echoed.
async fn handle(mut socket: TcpStream) -> std::io::Result<u64> {
    let (mut reader, mut writer) = socket.split();
    tokio::io::copy(&mut reader, &mut writer).await
}

/// Accepts connections forever and echoes each of them.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (socket, peer) = listener.accept().await?;
        let runtime = tokio::runtime::Handle::current();
        std::thread::spawn(move || {
            if let Err(e) = runtime.block_on(handle(socket)) {
                eprintln!("connection from {peer} failed: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("echo server on {}", listener.local_addr()?);
    println!("try: nc {} (Ctrl-C to stop)", listener.local_addr()?);
    serve(listener).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::time::timeout;

    // Real sockets on 127.0.0.1 use real time: 2 s is ages for a loopback echo.
    const LIMIT: Duration = Duration::from_secs(2);

    async fn start_server() -> SocketAddr {
        start_named_server().await.0
    }

    /// Starts the server on its own thread and runtime, and returns the thread's unique name.
    /// A server that blocks its thread then fails the test's timeouts below, instead of
    /// freezing the test itself.
    async fn start_named_server() -> (SocketAddr, String) {
        static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("echo-server-{n}");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind failed");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("could not build the server's runtime");
                rt.block_on(async {
                    let listener = TcpListener::from_std(listener).expect("from_std failed");
                    let _ = serve(listener).await;
                });
            })
            .expect("could not start the server's thread");
        (addr, name)
    }

    async fn connect(addr: SocketAddr) -> TcpStream {
        timeout(LIMIT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .expect("connect failed")
    }

    async fn echo_once(client: &mut TcpStream, msg: &str) -> String {
        client
            .write_all(msg.as_bytes())
            .await
            .expect("write failed");
        let mut back = vec![0u8; msg.len()];
        timeout(LIMIT, client.read_exact(&mut back))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no echo of {msg:?} within 2 s: is the server still busy with another \
                     client, or is its thread blocked?"
                )
            })
            .expect("read failed");
        String::from_utf8(back).unwrap()
    }

    #[tokio::test]
    async fn echoes_one_client() {
        let addr = start_server().await;
        let mut client = connect(addr).await;
        assert_eq!(echo_once(&mut client, "hello").await, "hello");
        assert_eq!(echo_once(&mut client, "again").await, "again");
    }

    #[tokio::test]
    async fn idle_client_does_not_block_others() {
        let addr = start_server().await;
        // Client A connects first and then says nothing at all.
        let _idle = connect(addr).await;
        // Client B must still be served.
        let mut busy = connect(addr).await;
        assert_eq!(echo_once(&mut busy, "ping").await, "ping");
    }

    #[tokio::test]
    async fn clients_are_served_in_any_order() {
        let addr = start_server().await;
        let mut clients = Vec::new();
        for _ in 0..5 {
            clients.push(connect(addr).await);
        }
        // The client that connected last talks first.
        for (i, client) in clients.iter_mut().enumerate().rev() {
            let msg = format!("client {i}");
            assert_eq!(echo_once(client, &msg).await, msg);
        }
    }

    /// How many threads of this process have the name `name` (Linux; `None` elsewhere). A
    /// thread started without a name of its own inherits the name of the thread that started it.
    fn threads_named(name: &str) -> Option<usize> {
        let tasks = std::fs::read_dir("/proc/self/task").ok()?;
        Some(
            tasks
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .filter(|comm| comm.trim_end() == name)
                .count(),
        )
    }

    #[tokio::test]
    async fn connections_are_tasks_not_threads() {
        let (addr, server) = start_named_server().await;
        let mut clients = Vec::new();
        for i in 0..5 {
            let mut client = connect(addr).await;
            let msg = format!("client {i}");
            assert_eq!(echo_once(&mut client, &msg).await, msg);
            clients.push(client); // all 5 stay connected
        }
        if let Some(threads) = threads_named(&server) {
            assert!(
                threads <= 1,
                "the server started {} more OS threads for 5 clients: each connection should be \
                 a Tokio task (`tokio::spawn`), not a thread. Tasks are far cheaper, and the \
                 runtime's own threads run them all",
                threads.saturating_sub(1)
            );
        }
    }
}
