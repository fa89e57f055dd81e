// Solution: show the current value first, marking it seen with `borrow_and_update()`, then wait
// with `changed().await` until there is a newer one. `changed()` fails only when the sender is
// gone, which ends the display.

use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What the display has shown so far, oldest first.
pub type Shown = Arc<Mutex<Vec<i32>>>;

/// A display for a thermostat's temperature: it shows the current temperature at once, then the
/// latest one every time it changes, until the thermostat (the sender) goes away.
pub async fn display(mut rx: watch::Receiver<i32>, shown: Shown) {
    loop {
        let temperature = *rx.borrow_and_update();
        shown.lock().unwrap().push(temperature);
        if rx.changed().await.is_err() {
            break;
        }
    }
}

#[tokio::main]
async fn main() {
    let (tx, rx) = watch::channel(20);
    let shown = Shown::default();
    let screen = tokio::spawn(display(rx, Arc::clone(&shown)));
    for temperature in [21, 22, 23] {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        tx.send(temperature).unwrap();
    }
    drop(tx);
    screen.await.unwrap();
    println!("shown: {:?}", shown.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio_test::task::{Spawn, spawn};

    // The tests poll the display by hand: each `poll` lets it run until it waits again, so the
    // tests see exactly what it shows between two sends, and whether it asked to be polled again.
    fn start(rx: watch::Receiver<i32>) -> (Spawn<impl Future<Output = ()>>, Shown) {
        let shown = Shown::default();
        (spawn(display(rx, Arc::clone(&shown))), shown)
    }

    // Polls the display once, then lets the runtime deliver any wake-up it deferred (a task that
    // yields is woken only after the others have had their turn).
    async fn poll_once(screen: &mut Spawn<impl Future<Output = ()>>) -> std::task::Poll<()> {
        let poll = screen.poll();
        tokio::task::yield_now().await;
        poll
    }

    fn shown_so_far(shown: &Shown) -> Vec<i32> {
        shown.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn shows_the_current_value_at_once() {
        let (_tx, rx) = watch::channel(20);
        let (mut screen, shown) = start(rx);
        assert!(
            poll_once(&mut screen).await.is_pending(),
            "the display runs until the sender is gone"
        );
        let so_far = shown_so_far(&shown);
        assert!(
            so_far.len() < 2,
            "nothing was sent, yet the display showed 20 {} times: it shows the value it holds \
             again and again instead of waiting for a newer one (`wait_for` and `borrow` look \
             at the current value, seen or not; `changed()` waits for a newer one)",
            so_far.len()
        );
        assert_eq!(
            so_far,
            [20],
            "the channel already holds 20, so the display should show it right away. \
             `changed()` waits for a value NEWER than the one the receiver has seen, and a new \
             receiver has already seen the value it starts with"
        );
    }

    #[tokio::test]
    async fn waits_without_spinning() {
        let (_tx, rx) = watch::channel(20);
        let (mut screen, _shown) = start(rx);
        assert!(poll_once(&mut screen).await.is_pending());
        assert!(
            !screen.is_woken(),
            "nothing changed, yet the display asked to be polled again at once: that is a busy \
             loop, burning a CPU core to re-read the same value. Await a change instead"
        );
    }

    #[tokio::test]
    async fn a_new_value_wakes_the_display() {
        let (tx, rx) = watch::channel(20);
        let (mut screen, shown) = start(rx);
        assert!(poll_once(&mut screen).await.is_pending());
        tx.send(21).unwrap();
        assert!(
            screen.is_woken(),
            "a new value was sent, but the display was not woken: is it checking on a timer \
             instead of awaiting the channel's change notification?"
        );
        assert!(poll_once(&mut screen).await.is_pending());
        assert_eq!(
            shown_so_far(&shown),
            [20, 21],
            "the display should show 20 at once, then 21"
        );
    }

    #[tokio::test]
    async fn a_busy_display_skips_straight_to_the_latest_value() {
        let (tx, rx) = watch::channel(20);
        let (mut screen, shown) = start(rx);
        assert!(poll_once(&mut screen).await.is_pending());
        // Three updates before the display gets to run again: a watch channel keeps only the
        // latest, which is all a display needs.
        for temperature in [21, 22, 23] {
            tx.send(temperature).unwrap();
        }
        assert!(poll_once(&mut screen).await.is_pending());
        assert_eq!(
            shown_so_far(&shown),
            [20, 23],
            "after three quick updates the display should show the latest one, once"
        );
    }

    #[tokio::test]
    async fn a_value_sent_before_the_display_starts_is_shown_once() {
        let (tx, rx) = watch::channel(20);
        tx.send(21).unwrap();
        let (mut screen, shown) = start(rx);
        assert!(poll_once(&mut screen).await.is_pending());
        assert_eq!(
            shown_so_far(&shown),
            [21],
            "the display showed the same value twice: reading it with `borrow()` does not mark \
             it as seen, so `changed()` reports it again. `borrow_and_update()` marks it seen"
        );
    }

    #[tokio::test]
    async fn stops_when_the_thermostat_is_gone() {
        let (tx, rx) = watch::channel(20);
        let (mut screen, _shown) = start(rx);
        assert!(poll_once(&mut screen).await.is_pending());
        drop(tx);
        assert!(
            poll_once(&mut screen).await.is_ready(),
            "the sender is gone, so no new value can ever come: the display should stop"
        );
    }
}
