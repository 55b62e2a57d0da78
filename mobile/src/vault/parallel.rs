//! Opening a long run of stored records while they are still being read.
//!
//! A session is hundreds of events, and opening one (a decryption and a
//! JSON decode) costs several times what reading its row does. So rows are
//! handed out in chunks as SQLite yields them: helper threads open chunks
//! while this thread reads on, then it helps open what is left. The opened
//! records come back in row order, and the first failure in that order (a
//! damaged record, or the read itself failing) is the answer.

use std::sync::{mpsc, Mutex, OnceLock, PoisonError};

use super::error::VaultError;

/// Rows per chunk: enough that handing one out costs little beside opening
/// it, few enough that a short session still spreads over the cores.
pub(super) const CHUNK: usize = 8;
/// Helper threads beside the reading one, at most.
const MAX_HELPERS: usize = 7;

fn helpers() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    // Asking costs a system call and cgroup reads; the answer never changes.
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
    cores.saturating_sub(1).min(MAX_HELPERS)
}

/// Opens each row as it is read, on several cores once there is more than
/// one chunk, and returns the opened records in row order.
pub(crate) fn open_each<R: Send, T: Send>(
    rows: impl IntoIterator<Item = Result<R, VaultError>>,
    open: impl Fn(R) -> Result<T, VaultError> + Sync,
) -> Result<Vec<T>, VaultError> {
    open_in_chunks(rows, CHUNK, open)
}

/// [`open_each`] handing out `per_chunk` items at a time: 1 when each item
/// is itself a chunk of rows read into one buffer.
pub(crate) fn open_in_chunks<R: Send, T: Send>(
    rows: impl IntoIterator<Item = Result<R, VaultError>>,
    per_chunk: usize,
    open: impl Fn(R) -> Result<T, VaultError> + Sync,
) -> Result<Vec<T>, VaultError> {
    let per_chunk = per_chunk.max(1);
    let (to_open, queue) = mpsc::channel::<(usize, Vec<R>)>();
    let queue = Mutex::new(queue);
    let (open, queue) = (&open, &queue);
    // Takes chunks until the queue is empty and closed. The lock is held
    // only while taking one.
    let work = move || {
        let mut opened = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
            let Ok((index, chunk)) = next else {
                return opened;
            };
            opened.push((index, chunk.into_iter().map(open).collect::<Vec<_>>()));
        }
    };
    std::thread::scope(|scope| {
        let mut helpers = Vec::new();
        let mut chunk = Vec::with_capacity(per_chunk);
        let mut sent = 0;
        let mut read_failure = None;
        for row in rows {
            match row {
                Ok(row) => chunk.push(row),
                Err(err) => {
                    read_failure = Some(err);
                    break;
                }
            }
            if chunk.len() == per_chunk {
                if sent == 0 {
                    // Only now is there enough to share.
                    helpers = (0..self::helpers()).map(|_| scope.spawn(work)).collect();
                }
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(per_chunk));
                // `queue` outlives this scope, so the send cannot fail.
                let _ = to_open.send((sent, full));
                sent += 1;
            }
        }
        if !chunk.is_empty() {
            let _ = to_open.send((sent, chunk));
        }
        drop(to_open);
        let mut opened = work();
        for helper in helpers {
            let theirs = helper
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            opened.extend(theirs);
        }
        opened.sort_unstable_by_key(|(index, _)| *index);
        let records = opened
            .into_iter()
            .flat_map(|(_, chunk)| chunk)
            .collect::<Result<Vec<T>, VaultError>>()?;
        match read_failure {
            Some(err) => Err(err),
            None => Ok(records),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::crypto::{open, seal, RecordKind, RecordRef, RECORD_FORMAT};
    use super::super::keys::DataKey;
    use super::*;

    fn event(n: usize) -> RecordRef {
        RecordRef::new(RecordKind::Event, format!("s#{n}"))
    }

    fn sealed_rows(key: &DataKey, count: usize) -> Vec<(usize, Vec<u8>)> {
        (0..count)
            .map(|n| (n, seal(key, &event(n), n.to_string().as_bytes())))
            .collect()
    }

    #[test]
    fn records_of_every_count_open_in_order() {
        let key = DataKey::random();
        let open_one = |(n, sealed): (usize, Vec<u8>)| {
            open(&key, &event(n), RECORD_FORMAT, &sealed).map(|plain| plain.to_vec())
        };
        // Empty, under one chunk, exactly one, one more, and many chunks.
        for count in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 300] {
            let rows = sealed_rows(&key, count).into_iter().map(Ok);
            let opened = open_each(rows, open_one).unwrap();
            let expected: Vec<Vec<u8>> = (0..count).map(|n| n.to_string().into_bytes()).collect();
            assert_eq!(opened, expected, "{count} records");
        }
    }

    #[test]
    fn the_first_damaged_record_in_order_is_named() {
        let key = DataKey::random();
        let open_one = |(n, sealed): (usize, Vec<u8>)| {
            open(&key, &event(n), RECORD_FORMAT, &sealed).map(|plain| plain.to_vec())
        };
        let mut damaged = sealed_rows(&key, 300);
        damaged[250].1[30] ^= 1;
        damaged[120].1[30] ^= 1;
        let err = open_each(damaged.into_iter().map(Ok), open_one).unwrap_err();
        assert!(err.to_string().contains("event s#120"), "{err}");
    }

    #[test]
    fn a_read_that_fails_midway_is_the_error_unless_a_record_before_it_is_damaged() {
        let key = DataKey::random();
        let open_one = |(n, sealed): (usize, Vec<u8>)| {
            open(&key, &event(n), RECORD_FORMAT, &sealed).map(|plain| plain.to_vec())
        };
        let read_fails_at = |at: usize, rows: Vec<(usize, Vec<u8>)>| {
            rows.into_iter().enumerate().map(move |(n, row)| match n {
                n if n == at => Err(VaultError::Locked),
                _ => Ok(row),
            })
        };
        let rows = sealed_rows(&key, 100);
        let err = open_each(read_fails_at(70, rows.clone()), open_one).unwrap_err();
        assert!(matches!(err, VaultError::Locked), "{err}");

        let mut damaged = rows;
        damaged[40].1[30] ^= 1;
        let err = open_each(read_fails_at(70, damaged), open_one).unwrap_err();
        assert!(err.to_string().contains("event s#40"), "{err}");
    }
}
