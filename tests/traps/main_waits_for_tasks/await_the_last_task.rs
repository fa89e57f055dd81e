// trap-expect: fail
// Wrong fix for 06_basic_example/main_waits_for_tasks: the learner awaits the task spawned last,
// as if tasks ended in the order they started. Chen's invitation (2 s) was spawned last, Asha's
// takes 3 s, so `party` returns before hers is out and the runtime drops it.
// `every_invitation_is_out_before_the_runtime_shuts_down` says "only ["Ben", "Chen"] were
// invited: party() returned while invitations were still on their way".

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The guests invited so far, in the order their invitations went out.
pub type Sent = Arc<Mutex<Vec<&'static str>>>;

/// Sends one invitation: it takes `delay`, then notes the guest in `sent`.
async fn invite(guest: &'static str, delay: Duration, sent: Sent) {
    tokio::time::sleep(delay).await;
    sent.lock().unwrap().push(guest);
}

/// Sends every guest's invitation, all at the same time, and returns when all are out.
pub async fn party(guests: &[(&'static str, Duration)], sent: Sent) {
    let mut last = None;
    for &(guest, delay) in guests {
        last = Some(tokio::spawn(invite(guest, delay, sent.clone())));
    }
    if let Some(last) = last {
        last.await.expect("an invitation task panicked");
    }
}

/// The whole program, as `#[tokio::main]` runs it: start a runtime, run the body, shut down.
/// The clock starts paused, so the seconds of delay pass at once (and are still counted).
/// Returns the list of invited guests, and how long the body took.
#[tokio::main(flavor = "current_thread", start_paused = true)]
pub async fn run(guests: &[(&'static str, Duration)]) -> (Sent, Duration) {
    let sent = Sent::default();
    let start = tokio::time::Instant::now();
    party(guests, sent.clone()).await;
    (sent, start.elapsed())
}

fn main() {
    let (sent, took) = run(&[
        ("Asha", Duration::from_secs(3)),
        ("Ben", Duration::from_secs(1)),
    ]);
    println!("invited {:?} in {took:?}", sent.lock().unwrap());
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUESTS: [(&str, Duration); 3] = [
        ("Asha", Duration::from_secs(3)),
        ("Ben", Duration::from_secs(1)),
        ("Chen", Duration::from_secs(2)),
    ];

    // `run` builds its own runtime, so these are plain `#[test]`s. When `run` returns, its
    // runtime has shut down, exactly as when a `#[tokio::main] fn main` returns: the list is
    // read after that, when no task can add to it any more.
    fn party_of(guests: &[(&'static str, Duration)]) -> (Vec<&'static str>, Duration) {
        let (sent, took) = run(guests);
        let sent = sent.lock().unwrap().clone();
        (sent, took)
    }

    #[test]
    fn every_invitation_is_out_before_the_runtime_shuts_down() {
        let (sent, _) = party_of(&GUESTS);
        let mut got = sent.clone();
        got.sort();
        assert_eq!(
            got,
            ["Asha", "Ben", "Chen"],
            "only {sent:?} were invited: party() returned while invitations were still on their \
             way, so run() ended, its runtime shut down, and a runtime that shuts down drops \
             every task that hasn't finished, silently. Wait for the tasks before returning"
        );
    }

    #[test]
    fn invitations_go_out_at_the_same_time() {
        let (sent, took) = party_of(&GUESTS);
        assert_eq!(
            sent,
            ["Ben", "Chen", "Asha"],
            "each invitation should go out after its own delay, all at the same time (Ben after \
             1 s, Chen after 2 s, Asha after 3 s); this order means they did not"
        );
        assert_eq!(
            took,
            Duration::from_secs(3),
            "the party should take as long as the slowest invitation (3 s on the paused clock), \
             not {took:?}: wait for the tasks themselves, not for a guessed time, and not by \
             checking on a timer whether they are done"
        );
    }

    #[test]
    fn no_guests_no_waiting() {
        let (sent, took) = party_of(&[]);
        assert!(
            sent.is_empty(),
            "nobody was invited, yet {sent:?} got invitations"
        );
        assert_eq!(
            took,
            Duration::ZERO,
            "with no guests there is nothing to wait for, but run() waited {took:?}"
        );
    }
}
