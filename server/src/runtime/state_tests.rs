use chrono::{TimeZone, Utc};

use super::*;

/// The whole table, written out once: `P` acts, `U` is already there, `-` is impossible.
/// Columns: start, stop, pause, resume, restart.
const TABLE: [(State, &str); 7] = [
    (State::Created, "PU--P"),
    (State::Starting, "UP--P"),
    (State::Running, "UPPUP"),
    (State::Paused, "-PUPP"),
    (State::Stopping, "-U--P"),
    (State::Stopped, "PU--P"),
    (State::Failed, "PP--P"),
];

#[test]
fn every_verb_from_every_state() {
    assert_eq!(TABLE.len(), State::ALL.len());
    for (from, row) in TABLE {
        for (verb, want) in Verb::ALL.into_iter().zip(row.chars()) {
            let got = decide(from, verb);
            match want {
                'P' => assert_eq!(got, Decision::Proceed, "{verb} from {from}"),
                'U' => assert_eq!(got, Decision::Unchanged, "{verb} from {from}"),
                _ => {
                    let Decision::Invalid(allowed) = got else {
                        panic!("{verb} from {from}: {got:?}")
                    };
                    // The verbs offered instead are exactly those that act from here.
                    let acting: Vec<Verb> = Verb::ALL
                        .into_iter()
                        .zip(row.chars())
                        .filter(|(_, c)| *c == 'P')
                        .map(|(v, _)| v)
                        .collect();
                    assert_eq!(allowed, acting, "{verb} from {from}");
                    assert!(!allowed.is_empty(), "{from} must offer a way out");
                }
            }
        }
    }
}

#[test]
fn check_names_the_state_and_the_verbs_that_would_work() {
    let mut status = InstanceStatus::new();
    status.stopped_while_down();
    let err = status.check(Verb::Pause).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidTransition {
            verb: Verb::Pause,
            from: State::Stopped,
            allowed: vec![Verb::Start, Verb::Restart],
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot pause an agent that is stopped; it can start, restart"
    );
    assert_eq!(status.check(Verb::Stop), Ok(false));
    assert_eq!(status.check(Verb::Start), Ok(true));
}

fn at(s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).single().unwrap()
}

#[test]
fn a_run_from_start_to_a_requested_stop() {
    let mut s = InstanceStatus::new();
    s.starting_by_request();
    assert_eq!(s.state, State::Starting);
    s.running(Some(42), at(1));
    assert_eq!(
        (s.state, s.pid, s.started_at),
        (State::Running, Some(42), Some(at(1)))
    );
    s.paused();
    assert_eq!(
        s.check(Verb::Start).unwrap_err().to_string(),
        "cannot start an agent that is paused; it can stop, resume, restart"
    );
    s.resumed();
    s.stopping();
    // TERM-ignoring agent killed after the grace: still `stopped`, the signal recorded.
    assert_eq!(s.exited(Exit::signal(9), true, at(3)), State::Stopped);
    assert_eq!((s.exit_code, s.signal, s.pid), (Some(137), Some(9), None));
    assert_eq!(s.finished_at, Some(at(3)));
    assert_eq!(s.last_error, None);
}

#[test]
fn unexpected_exits() {
    let mut s = InstanceStatus::new();
    s.running(Some(1), at(0));
    assert_eq!(s.exited(Exit::code(3), false, at(1)), State::Failed);
    assert_eq!(s.exit_code, Some(3));
    assert_eq!(s.last_error.as_deref(), Some("exited with status 3"));

    s.running(Some(2), at(2));
    assert_eq!(s.last_error, None, "a new run clears the old error");
    assert_eq!(s.exited(Exit::signal(11), false, at(3)), State::Failed);
    assert_eq!(s.last_error.as_deref(), Some("killed by signal 11"));

    // An agent that finished its work on its own.
    s.running(Some(3), at(4));
    assert_eq!(s.exited(Exit::code(0), false, at(5)), State::Stopped);
}

#[test]
fn restart_policy_bookkeeping() {
    let mut s = InstanceStatus::new();
    s.running(Some(1), at(0));
    s.exited(Exit::code(1), false, at(1));
    s.restart_scheduled(at(2));
    assert_eq!(s.next_restart_at, Some(at(2)));
    s.starting_by_policy();
    s.running(Some(2), at(2));
    s.exited(Exit::code(1), false, at(3));
    s.starting_by_policy();
    assert_eq!((s.restart_count, s.next_restart_at), (2, None));
    s.exited(Exit::code(1), false, at(4));
    s.gave_up(3);
    assert_eq!(s.state, State::Failed);
    assert_eq!(
        s.last_error.as_deref(),
        Some("gave up after 3 failed starts in a row (last: exited with status 1)")
    );
    // The owner starts it again: the count begins anew.
    s.starting_by_request();
    assert_eq!(s.restart_count, 0);
}

#[test]
fn stopping_a_failed_instance_cancels_its_restart() {
    let mut s = InstanceStatus::new();
    s.running(Some(1), at(0));
    s.exited(Exit::code(1), false, at(1));
    s.restart_scheduled(at(5));
    assert_eq!(s.check(Verb::Stop), Ok(true));
    s.stopped_while_down();
    assert_eq!((s.state, s.next_restart_at), (State::Stopped, None));
    assert_eq!(s.exit_code, Some(1), "the last exit is kept");
}

#[test]
fn reconcile_marks_what_died_with_taosd() {
    for state in State::ALL {
        let mut s = InstanceStatus::new();
        s.state = state;
        s.pid = Some(7);
        let changed = s.lost_with_server(at(9));
        assert_eq!(changed, state.is_live(), "{state}");
        if changed {
            assert_eq!((s.state, s.pid), (State::Failed, None));
            assert_eq!(s.finished_at, Some(at(9)));
            assert_eq!(s.last_error.as_deref(), Some("taosd stopped while the agent ran"));
        } else {
            assert_eq!(s.state, state);
        }
    }
    // A failed instance waiting for its restart had one coming: that is lost too.
    let mut s = InstanceStatus::new();
    s.exited(Exit::code(1), false, at(1));
    s.restart_scheduled(at(2));
    assert!(s.lost_with_server(at(9)));
    assert_eq!((s.next_restart_at, s.finished_at), (None, Some(at(1))));
}

#[test]
fn statuses_are_plain_records() {
    let mut s = InstanceStatus::new();
    s.running(Some(5), at(0));
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["state"], "running");
    let back: InstanceStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, s);
    assert_eq!(serde_json::to_value(Verb::Resume).unwrap(), "resume");
}
