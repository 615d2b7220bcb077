//! The kernel's requests mapped onto [`State`]: each takes the lock, fails with `EIO` once the
//! power is cut, and answers from the live layer. Only `fsync` and `fsyncdir` move anything to
//! the disk layer; `flush` (every `close`) and `release` do not.

use std::ffi::OsStr;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    FileAttr, FileType, Filesystem, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
};

use crate::model::{Errno, MAX_FILE_BYTES, Node, State};

/// How long the kernel may cache names and attributes. Every change goes through the kernel,
/// so its caches stay right; a power cut unmounts, which drops them.
const TTL: Duration = Duration::from_secs(1);

pub(crate) struct CrashFs {
    pub(crate) state: Arc<Mutex<State>>,
    /// Told when the session ends (after the unmount).
    pub(crate) ended: Sender<()>,
}

impl CrashFs {
    fn state(&self) -> Result<MutexGuard<'_, State>, Errno> {
        // A panic while holding the lock leaves the state as a crash would: keep serving it.
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if state.powered {
            Ok(state)
        } else {
            Err(libc::EIO)
        }
    }

    fn entry(&self, reply: ReplyEntry, result: Result<FileAttr, Errno>) {
        match result {
            Ok(attr) => reply.entry(&TTL, &attr, 0),
            Err(err) => reply.error(err),
        }
    }

    /// Creates a file or a directory for `req`'s user.
    fn make(
        &self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        dir: bool,
    ) -> Result<FileAttr, Errno> {
        let mut state = self.state()?;
        let perm = (mode & 0o7777) as u16;
        let ino = state.create(parent, name, dir, perm, req.uid(), req.gid())?;
        attr_of(&state, ino)
    }

    /// Opens a file (`dir` false) or a directory; handles are not used.
    fn open_as(&self, ino: u64, dir: bool, reply: ReplyOpen) {
        match self
            .state()
            .and_then(|state| state.node(ino).map(Node::is_dir))
        {
            Ok(is_dir) if is_dir == dir => reply.opened(0, 0),
            Ok(true) => reply.error(libc::EISDIR),
            Ok(false) => reply.error(libc::ENOTDIR),
            Err(err) => reply.error(err),
        }
    }

    fn empty(reply: ReplyEmpty, result: Result<(), Errno>) {
        match result {
            Ok(()) => reply.ok(),
            Err(err) => reply.error(err),
        }
    }
}

fn attr(ino: u64, node: &Node) -> FileAttr {
    let size = node.size();
    FileAttr {
        ino,
        size,
        blocks: size.div_ceil(512),
        atime: node.mtime,
        mtime: node.mtime,
        ctime: node.ctime,
        crtime: node.ctime,
        kind: if node.is_dir() {
            FileType::Directory
        } else {
            FileType::RegularFile
        },
        perm: node.perm,
        nlink: if node.is_dir() { 2 } else { node.nlink },
        uid: node.uid,
        gid: node.gid,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

fn attr_of(state: &State, ino: u64) -> Result<FileAttr, Errno> {
    state.node(ino).map(|node| attr(ino, node))
}

fn to_offset(offset: i64) -> Result<u64, Errno> {
    u64::try_from(offset).map_err(|_| libc::EINVAL)
}

impl Filesystem for CrashFs {
    fn destroy(&mut self) {
        let _ = self.ended.send(());
    }

    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        let result = self.state().and_then(|state| {
            let ino = state.lookup(parent, name)?;
            attr_of(&state, ino)
        });
        self.entry(reply, result);
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        match self.state().and_then(|state| attr_of(&state, ino)) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(err) => reply.error(err),
        }
    }

    fn setattr(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<u64>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<u32>,
        reply: ReplyAttr,
    ) {
        let mtime = mtime.map(|time| match time {
            TimeOrNow::SpecificTime(time) => time,
            TimeOrNow::Now => SystemTime::now(),
        });
        let result = self.state().and_then(|mut state| {
            if let Some(size) = size {
                state.set_size(ino, size)?;
            }
            state.set_attributes(ino, mode, uid, gid, mtime)?;
            attr_of(&state, ino)
        });
        match result {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(err) => reply.error(err),
        }
    }

    fn mkdir(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let result = self.make(req, parent, name, mode & !umask, true);
        self.entry(reply, result);
    }

    fn unlink(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        let result = self
            .state()
            .and_then(|mut state| state.remove(parent, name, false));
        Self::empty(reply, result);
    }

    fn rmdir(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        let result = self
            .state()
            .and_then(|mut state| state.remove(parent, name, true));
        Self::empty(reply, result);
    }

    fn rename(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        flags: u32,
        reply: ReplyEmpty,
    ) {
        let result = if flags & !libc::RENAME_NOREPLACE != 0 {
            Err(libc::EINVAL) // RENAME_EXCHANGE, RENAME_WHITEOUT: not needed by what we test
        } else {
            let no_replace = flags & libc::RENAME_NOREPLACE != 0;
            self.state()
                .and_then(|mut state| state.rename(parent, name, new_parent, new_name, no_replace))
        };
        Self::empty(reply, result);
    }

    fn open(&mut self, _req: &Request<'_>, ino: u64, _flags: i32, reply: ReplyOpen) {
        self.open_as(ino, false, reply);
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        let state = match self.state() {
            Ok(state) => state,
            Err(err) => return reply.error(err),
        };
        match to_offset(offset).and_then(|offset| state.read(ino, offset, size)) {
            Ok(bytes) => reply.data(bytes),
            Err(err) => reply.error(err),
        }
    }

    fn write(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        let result = self
            .state()
            .and_then(|mut state| state.write(ino, to_offset(offset)?, data));
        match result {
            Ok(written) => reply.written(written),
            Err(err) => reply.error(err),
        }
    }

    fn flush(&mut self, _req: &Request<'_>, _ino: u64, _fh: u64, _lock: u64, reply: ReplyEmpty) {
        // `close` is not a sync: nothing becomes durable here.
        Self::empty(reply, self.state().map(|_| ()));
    }

    fn fsync(&mut self, _req: &Request<'_>, ino: u64, _fh: u64, _data: bool, reply: ReplyEmpty) {
        let result = self.state().and_then(|mut state| state.sync(ino));
        Self::empty(reply, result);
    }

    fn opendir(&mut self, _req: &Request<'_>, ino: u64, _flags: i32, reply: ReplyOpen) {
        self.open_as(ino, true, reply);
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        mut reply: ReplyDirectory,
    ) {
        let listing = self.state().and_then(|state| {
            let mut listing = vec![
                (OsStr::new(".").to_owned(), ino, true),
                (OsStr::new("..").to_owned(), state.parent_of(ino)?, true),
            ];
            listing.extend(state.list(ino)?);
            Ok(listing)
        });
        let listing = match (listing, to_offset(offset)) {
            (Ok(listing), Ok(offset)) => listing
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX)),
            (Err(err), _) | (_, Err(err)) => return reply.error(err),
        };
        // The offset of an entry is where the next listing resumes.
        for (next, (name, child, dir)) in (offset.saturating_add(1)..).zip(listing) {
            let kind = if dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            if reply.add(child, next, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(&mut self, _req: &Request<'_>, ino: u64, _fh: u64, _data: bool, reply: ReplyEmpty) {
        let result = self.state().and_then(|mut state| state.sync(ino));
        Self::empty(reply, result);
    }

    fn statfs(&mut self, _req: &Request<'_>, _ino: u64, reply: ReplyStatfs) {
        let blocks = MAX_FILE_BYTES / 4096;
        reply.statfs(blocks, blocks, blocks, 1 << 20, 1 << 20, 4096, 255, 4096);
    }

    fn create(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        match self.make(req, parent, name, mode & !umask, false) {
            Ok(attr) => reply.created(&TTL, &attr, 0, 0, 0),
            Err(err) => reply.error(err),
        }
    }
}
