//! What one search may cost. Unbounded, 250 repetitions of one word took 7–10 s (every
//! repetition is one more term for the engine to rank and highlight), and eight of those held
//! every pool connection, so the rest of the API answered 503. So: a word counts once, a
//! search has at most [`MAX_WORDS`] different words, each search has a statement deadline
//! on the database, and at most [`AT_ONCE`] run at once (well below either pool), so search
//! can never starve the other operations of connections.

use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::errors::{self, Error, Result};

/// Different words in one search, at most.
pub const MAX_WORDS: usize = 16;
/// Searches running at once, at most (the pools hold 8 connections on SQLite, 16 on
/// PostgreSQL).
const AT_ONCE: usize = 3;
/// How long a search waits for one of those places before it is answered busy.
const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// How long the database may work on one search; far above what a search under the caps
/// takes on a database of docs, so only an overloaded server hits it.
pub const DEADLINE: Duration = Duration::from_secs(1);
/// `Retry-After` of a busy answer, in seconds.
const RETRY_AFTER_SECS: &str = "1";

static SEARCHES: Semaphore = Semaphore::const_new(AT_ONCE);

/// The words to search for: each word once (compared as the tokenizer folds case; the first
/// spelling is kept), in the order given. More than [`MAX_WORDS`] different ones are refused.
pub fn distinct_words(words: Vec<String>) -> Result<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<String> = words
        .into_iter()
        .filter(|w| seen.insert(w.to_lowercase()))
        .collect();
    if distinct.len() > MAX_WORDS {
        return Err(Error::new(
            &errors::INVALID_SEARCH_QUERY,
            format!(
                "`q` has {} different words; a search takes at most {MAX_WORDS}.",
                distinct.len()
            ),
        ));
    }
    Ok(distinct)
}

/// A place among the searches running at once; waits up to [`QUEUE_WAIT`] for one.
pub async fn admit() -> Result<SemaphorePermit<'static>> {
    match tokio::time::timeout(QUEUE_WAIT, SEARCHES.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(Error::internal("search permit", closed)),
        Err(_) => Err(busy(
            "The server is running as many searches as it takes at once.",
        )),
    }
}

/// The answer to a search that ran past [`DEADLINE`].
pub fn out_of_time() -> Error {
    busy(&format!(
        "The search ran longer than the {} ms a search may take.",
        DEADLINE.as_millis()
    ))
}

fn busy(detail: &str) -> Error {
    Error::new(&errors::SEARCH_BUSY, detail).with("retry_after", RETRY_AFTER_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_word_counts_once_whatever_its_case() {
        assert_eq!(
            distinct_words(words(&["Token", "issue", "token", "TOKEN", "issue"])).unwrap(),
            words(&["Token", "issue"])
        );
        assert_eq!(distinct_words(vec!["a".into(); 250]).unwrap(), words(&["a"]));
    }

    #[test]
    fn more_than_sixteen_different_words_are_refused() {
        let sixteen: Vec<String> = (0..16).map(|n| format!("w{n}")).collect();
        assert_eq!(distinct_words(sixteen.clone()).unwrap(), sixteen);
        let mut seventeen = sixteen;
        seventeen.push("w16".into());
        let err = distinct_words(seventeen).unwrap_err();
        assert!(err.is(&errors::INVALID_SEARCH_QUERY));
        assert!(err.detail.contains("17 different words"), "{}", err.detail);
    }
}
