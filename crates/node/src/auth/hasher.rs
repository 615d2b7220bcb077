//! [`Hasher`]: where passwords are checked, on a few threads of its own.
//!
//! Argon2 takes ~19 MiB per hash. On the runtime's blocking pool every thread that ever hashed
//! keeps that memory in its allocator arena, so a burst of logins spread over hundreds of
//! threads held most of a gigabyte after the burst (measured: 782 MiB after 300 concurrent
//! logins, with at most four hashing at once). A fixed set of [`MAX_CONCURRENT_HASHES`]
//! threads, each hashing into one buffer it allocates once and reuses, bounds both the
//! concurrent hashes and the memory held (about 19 MiB per thread, whatever the load); a
//! bounded queue in front of them ([`MAX_WAITING_LOGINS`]) turns the rest away at once.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::hash_password;

/// Password checks running at once (each takes ~19 MiB for a few tens of milliseconds).
pub const MAX_CONCURRENT_HASHES: usize = 4;
/// Checks waiting for a hashing thread before more are turned away at once.
pub const MAX_WAITING_LOGINS: usize = 64;

struct Job {
    password: String,
    /// The stored hash; `None` for an unknown or disabled account (a dummy hash is checked, so
    /// the answer takes as long).
    phc: Option<String>,
    answer: oneshot::Sender<bool>,
}

/// The password-checking threads.
pub struct Hasher {
    jobs: SyncSender<Job>,
}

/// Why a check did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HasherError {
    /// Too many checks are waiting.
    #[error("too many logins at once")]
    Busy,
    /// The threads are gone.
    #[error("the password checker stopped")]
    Stopped,
}

impl Hasher {
    /// Starts [`MAX_CONCURRENT_HASHES`] threads.
    pub fn start() -> std::io::Result<Hasher> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(MAX_WAITING_LOGINS);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..MAX_CONCURRENT_HASHES {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || work(&queue))?;
        }
        Ok(Hasher { jobs })
    }

    /// Whether `password` matches `phc` (`None`: it never does, at the same cost).
    pub async fn check(&self, password: String, phc: Option<String>) -> Result<bool, HasherError> {
        let (answer, result) = oneshot::channel();
        match self.jobs.try_send(Job {
            password,
            phc,
            answer,
        }) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(HasherError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(HasherError::Stopped),
        }
        result.await.map_err(|_| HasherError::Stopped)
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    // This thread's one hashing buffer, grown to what the stored parameters ask, then reused.
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = {
            let queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.recv()
        };
        let Ok(job) = job else {
            return; // the node is gone
        };
        let matches = match &job.phc {
            Some(phc) => verify_into(&mut memory, job.password.as_bytes(), phc),
            None => {
                // An unknown account costs as much as a real one.
                let _ = verify_into(&mut memory, job.password.as_bytes(), dummy());
                false
            }
        };
        // The caller may have gone (its request was cancelled): nothing to do.
        let _ = job.answer.send(matches);
    }
}

/// The hash unknown accounts are checked against (made once, on first use).
fn dummy() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("liptako-dummy-password").unwrap_or_default())
}

/// Most memory a stored hash may ask for, in KiB blocks (argon2's default is 19 MiB; a stored
/// hash asking for more than 256 MiB is refused rather than allocated).
const MAX_BLOCKS: usize = 256 * 1024;

/// Whether `password` matches the PHC string `phc`, hashing into `memory`.
pub fn verify_into(memory: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&hash),
        Algorithm::try_from(hash.algorithm.as_str()),
    ) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let n_blocks = params.block_count();
    if n_blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < n_blocks {
        memory.resize(n_blocks, Block::default());
    }
    let Some(blocks) = memory.get_mut(..n_blocks) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    argon2
        .hash_password_into_with_memory(password, salt, &mut out, blocks)
        .is_ok()
        && out.len() == expected.len()
        && out
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_into_one_buffer_as_argon2_does() {
        let phc = hash_password("correct horse battery").unwrap();
        let mut memory = Vec::new();
        assert!(verify_into(&mut memory, b"correct horse battery", &phc));
        let capacity = memory.capacity();
        assert!(!verify_into(&mut memory, b"wrong horse battery", &phc));
        assert_eq!(memory.capacity(), capacity, "the buffer is reused");
        assert!(!verify_into(&mut memory, b"x", "not a phc string"));
        assert!(super::super::verify_password("correct horse battery", &phc));
    }
}
