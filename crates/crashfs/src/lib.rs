//! A test-only FUSE file system that can lose power: what a program wrote but did not `fsync`
//! is gone after [`Mounted::power_cut`], as it would be after a real power failure. It exists
//! to prove durability claims that `kill -9` cannot: a killed process leaves its writes in the
//! kernel's page cache, where a later reader finds them whether or not they ever reached the
//! disk. Nothing of this crate is in the shipped binary; the `liptako` tests use it.
//!
//! A [`Disk`] is what survives: the durable image, held in memory by the test (not in a backing
//! directory, so a cut is exactly "keep the disk layer", with nothing half-copied; a test's data
//! directory is a few megabytes). LazyFS does the same job in C++ but is not packaged where our
//! CI installs from; this is its smallest form in Rust. Mounting it
//! ([`Disk::mount`]) gives programs a directory to work in; the file system keeps two layers,
//! the disk and what programs see, and moves state from the second to the first only when asked
//! to, by these rules (strict POSIX, stricter than ext4, whose journal commits every pending
//! metadata change with any `fsync`):
//! - `fsync`/`fdatasync` of a file makes its content, size and attributes durable, not its name;
//! - `fsync` of a directory makes its entries durable (a file never synced then comes back
//!   empty);
//! - [`Mounted::sync`] makes everything durable, like `sync(1)` (the test decides when; the
//!   kernel's `syncfs` does not reach a FUSE file system);
//! - `close`, `flush`, time and unmounting make nothing durable.
//!
//! [`Mounted::power_cut`] stops the file system (every later request fails with `EIO`), unmounts
//! it, and hands back the disk: only what was synced, and only what a directory on the disk
//! still reaches. Mount it again to boot from it. With [`Fsync::Ignored`], `fsync` answers
//! success and keeps nothing: what a program that never syncs would get, so a durability test
//! can be shown to fail.
//!
//! A cut drops every unsynced byte; it does not model torn or partly persisted writes, which a
//! real disk may also produce. Regular files and directories only (no links, symlinks or
//! extended attributes); file locks are the kernel's own (FUSE's local locking); files live in
//! memory (at most 1 GiB each). Mounting needs `/dev/fuse` and root (or `fusermount3`).
//!
//! ```no_run
//! use liptako_crashfs::{Disk, Fsync};
//! let dir = tempfile::tempdir()?;
//! let mounted = Disk::new().mount(dir.path(), Fsync::Honoured)?;
//! let path = dir.path().join("a");
//! std::fs::write(&path, b"not synced")?;
//! let (disk, lost) = mounted.power_cut()?;
//! assert_eq!(lost.unsynced_files, 1);
//! let _mounted = disk.mount(dir.path(), Fsync::Honoured)?;
//! assert!(!path.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod fuse;
mod model;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use fuser::{BackgroundSession, MountOption};

pub use model::{Fsync, Stats};
use model::{State, Tree};

/// How long [`Mounted::power_cut`] waits for the kernel to let go of the file system.
const UNMOUNT_WAIT: Duration = Duration::from_secs(10);

/// What a disk holds: survives power cuts, mounts with [`Disk::mount`].
#[derive(Debug)]
pub struct Disk {
    tree: Tree,
}

impl Default for Disk {
    fn default() -> Disk {
        Disk::new()
    }
}

impl Disk {
    /// An empty disk: a root directory owned by root, mode 755.
    pub fn new() -> Disk {
        Disk {
            tree: Tree::new(0, 0),
        }
    }

    /// Mounts this disk at `at` (an existing, empty directory) and serves it on a thread of
    /// this process.
    pub fn mount(self, at: &Path, fsync: Fsync) -> Result<Mounted, MountError> {
        let state = Arc::new(Mutex::new(State::boot(self.tree, fsync)));
        let (ended, session_ended) = mpsc::channel();
        let filesystem = fuse::CrashFs {
            state: state.clone(),
            ended,
        };
        let options = [
            MountOption::FSName("liptako-crashfs".into()),
            MountOption::NoAtime,
        ];
        let session =
            fuser::spawn_mount2(filesystem, at, &options).map_err(|source| MountError::Mount {
                at: at.to_owned(),
                source,
            })?;
        Ok(Mounted {
            state,
            session: Some(session),
            session_ended,
            at: at.to_owned(),
        })
    }
}

/// A mounted [`Disk`]. Dropping it unmounts without a power cut (what was not synced is lost
/// with it).
pub struct Mounted {
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
    session_ended: Receiver<()>,
    at: PathBuf,
}

impl std::fmt::Debug for Mounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounted").field("at", &self.at).finish()
    }
}

impl Mounted {
    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.at
    }

    /// Makes everything written so far durable, like `sync(1)`.
    pub fn sync(&self) {
        self.state().sync_everything();
    }

    /// Counters since the mount.
    pub fn stats(&self) -> Stats {
        self.state().stats
    }

    /// Cuts the power: from now on every request fails, nothing more reaches the disk; the file
    /// system is unmounted (stop every program using it first) and its disk handed back, with
    /// the counters and what the cut threw away.
    pub fn power_cut(mut self) -> Result<(Disk, Stats), MountError> {
        let (tree, stats) = self.state().cut();
        // Dropping the session unmounts; the kernel then ends it, and the file system says so.
        self.session.take();
        match self.session_ended.recv_timeout(UNMOUNT_WAIT) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => Ok((Disk { tree }, stats)),
            Err(RecvTimeoutError::Timeout) => Err(MountError::Busy {
                at: self.at.clone(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.session.take();
    }
}

/// Why a mount or an unmount failed.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// The kernel refused the mount.
    #[error(
        "cannot mount a FUSE file system at {}: {source} (needs /dev/fuse, the fuse kernel \
         module, and root or fusermount3)", at.display()
    )]
    Mount { at: PathBuf, source: std::io::Error },
    /// The file system did not end after the unmount: a process still uses it.
    #[error("{} did not unmount: a process still uses it", at.display())]
    Busy { at: PathBuf },
}
