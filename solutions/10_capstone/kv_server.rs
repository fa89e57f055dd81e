// Solution: the accept loop spawns one task per connection, so an idle client only blocks its
// own task. The std `Mutex` guard lives only inside one statement (`lock()`, copy the value
// out, unlock) and is gone before the `.await` that writes the reply; that also makes the
// connection future `Send`, which `tokio::spawn` requires. A missing key answers `(nil)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{self, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The shared store. Every connection gets a clone of the `Arc`.
type Db = Arc<Mutex<HashMap<String, String>>>;

fn new_db() -> Db {
    Arc::new(Mutex::new(HashMap::new()))
}

/// Accepts clients forever; each one may send many commands.
async fn run(listener: TcpListener, db: Db) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        let db = Arc::clone(&db);
        tokio::spawn(async move {
            if let Err(e) = handle_connection(socket, db).await {
                eprintln!("connection error: {e}");
            }
        });
    }
}

/// Serves one client: one command per line, one reply line per command.
///   SET key value  ->  OK
///   GET key        ->  the value, or (nil) if the key is not set
async fn handle_connection<S>(stream: S, db: Db) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, mut writer) = io::split(stream);
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        let mut words = line.splitn(3, ' ');
        let reply = match (words.next(), words.next(), words.next()) {
            (Some("SET"), Some(key), Some(value)) => {
                db.lock()
                    .unwrap()
                    .insert(key.to_string(), value.to_string());
                "OK".to_string()
            }
            (Some("GET"), Some(key), None) => {
                let value = db.lock().unwrap().get(key).cloned();
                value.unwrap_or_else(|| "(nil)".to_string())
            }
            _ => "ERR unknown command".to_string(),
        };
        writer.write_all(format!("{reply}\n").as_bytes()).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("kv server on {}", listener.local_addr()?);
    println!("try it: nc 127.0.0.1 <port>, then type `SET name Alice` and `GET name`");
    run(listener, new_db()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::net::TcpStream;
    use tokio::time::{sleep, timeout};

    /// Sends `commands` (one per line) over an in-memory connection and returns the replies.
    async fn session(db: &Db, commands: &[&str]) -> Vec<String> {
        let (client, server) = io::duplex(1024);
        let serve = handle_connection(server, Arc::clone(db));
        let talk = async move {
            let mut client = BufReader::new(client);
            let mut replies = Vec::new();
            for command in commands {
                client
                    .write_all(format!("{command}\n").as_bytes())
                    .await
                    .unwrap();
                let mut reply = String::new();
                client.read_line(&mut reply).await.unwrap();
                replies.push(reply.trim_end().to_string());
            }
            replies
            // `client` is dropped here: the server sees the end of input and returns.
        };
        let (served, replies) =
            timeout(Duration::from_secs(5), async { tokio::join!(serve, talk) })
                .await
                .expect("the session got stuck");
        served.expect("handle_connection should end with Ok when the client leaves");
        replies
    }

    #[tokio::test(start_paused = true)]
    async fn set_then_get() {
        let db = new_db();
        assert_eq!(
            session(&db, &["SET name Alice", "GET name"]).await,
            ["OK", "Alice"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn values_may_contain_spaces() {
        let db = new_db();
        assert_eq!(
            session(&db, &["SET greeting hello there", "GET greeting"]).await,
            ["OK", "hello there"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missing_key_is_nil() {
        let db = new_db();
        assert_eq!(
            session(&db, &["GET nobody"]).await,
            ["(nil)"],
            "a key that was never set should answer (nil), so clients can tell it from an empty value"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_value_is_not_nil() {
        let db = new_db();
        assert_eq!(
            session(&db, &["SET note ", "GET note", "GET other"]).await,
            ["OK", "", "(nil)"],
            "`note` was set to the empty string, so it has a value: an empty line. Only a key \
             that was never set answers (nil); look at whether the key is there, not at whether \
             the value is empty"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_command() {
        let db = new_db();
        assert_eq!(
            session(&db, &["HELLO", "GET"]).await,
            ["ERR unknown command", "ERR unknown command"],
            "a line that is not a whole SET or GET (an unknown word, or GET without a key) gets \
             the answer \"ERR unknown command\", and the session goes on"
        );
    }

    #[tokio::test]
    async fn idle_client_does_not_block_others() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = run(listener, new_db());

        let clients = async {
            // Client A connects, types half a command, and then does nothing.
            let mut idle = TcpStream::connect(addr).await.unwrap();
            idle.write_all(b"SET half").await.unwrap();
            sleep(Duration::from_millis(50)).await;

            // Clients B and C must still be served, and see each other's data.
            timeout(Duration::from_secs(1), async {
                let mut b = BufReader::new(TcpStream::connect(addr).await.unwrap());
                b.write_all(b"SET color blue\n").await.unwrap();
                let mut reply = String::new();
                b.read_line(&mut reply).await.unwrap();
                assert_eq!(reply, "OK\n", "client B's SET");

                let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
                c.write_all(b"GET color\n").await.unwrap();
                let mut reply = String::new();
                c.read_line(&mut reply).await.unwrap();
                assert_eq!(reply, "blue\n", "client C should see what client B stored");
            })
            .await
            .expect("clients B and C got no answer within 1 s: the server is stuck waiting for client A");
        };

        tokio::select! {
            result = server => panic!("the server stopped: {result:?}"),
            () = clients => {}
        }
    }
}
