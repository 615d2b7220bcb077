//! The two layers of the file system: what the disk holds ([`Tree`] `disk`) and what running
//! programs see (`live`), and the rules that move state from the second to the first.
//!
//! Rules (strict POSIX, stricter than ext4's journal; see the crate doc for why):
//! - `write`, `truncate`, `chmod`, ... change `live` only.
//! - `fsync`/`fdatasync` of a file copies that file's content, size and attributes to `disk`.
//!   It does not make the file's name durable.
//! - `fsync` of a directory copies that directory's entries (names → inodes) to `disk`. An entry
//!   whose inode was never synced appears there as it was synced: an empty file or an empty
//!   directory.
//! - A power cut keeps `disk` only; inodes no directory on `disk` reaches are gone, as a journal
//!   replay frees orphans.
//!
//! Everything here is plain data, tested without mounting anything; `fuse.rs` maps kernel
//! requests onto it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::time::SystemTime;

/// An error a request answers with (an errno).
pub(crate) type Errno = libc::c_int;

/// The inode number of the root directory, as FUSE fixes it.
pub(crate) const ROOT: u64 = 1;
/// Unit of dirty tracking: what an `fsync` copies of a file is the chunks written since the last.
const CHUNK_BYTES: u64 = 4096;
/// Largest file this test file system holds (it keeps every file in memory twice).
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 30;

/// What happens to `fsync`: the real thing, or a lie (it answers success and keeps nothing),
/// which is what a program that never calls `fsync` gets on a real disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    /// `fsync` makes the file (or the directory's entries) durable.
    Honoured,
    /// `fsync` answers success and changes nothing durable.
    Ignored,
}

/// Counters since the mount, and at a power cut what it threw away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `fsync`/`fdatasync` calls on files that reached the file system.
    pub file_syncs: u64,
    /// `fsync` calls on directories.
    pub dir_syncs: u64,
    /// `write` calls.
    pub writes: u64,
    /// Bytes written but not synced when the power was cut (whole chunks, bounded by file size).
    pub unsynced_bytes: u64,
    /// Files holding unsynced content, or never synced at all, when the power was cut.
    pub unsynced_files: u64,
}

/// One inode.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) perm: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) mtime: SystemTime,
    pub(crate) ctime: SystemTime,
    /// Names that refer to it (files; directories report 2).
    pub(crate) nlink: u32,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    File {
        data: Vec<u8>,
        /// Chunks changed since the file was last synced (always empty on `disk`).
        dirty: BTreeSet<u64>,
    },
    Dir {
        entries: BTreeMap<OsString, u64>,
        parent: u64,
    },
}

impl Node {
    fn new(kind: Kind, perm: u16, uid: u32, gid: u32) -> Node {
        let now = SystemTime::now();
        Node {
            kind,
            perm,
            uid,
            gid,
            mtime: now,
            ctime: now,
            nlink: 1,
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir { .. })
    }

    pub(crate) fn size(&self) -> u64 {
        match &self.kind {
            Kind::File { data, .. } => data.len() as u64,
            Kind::Dir { entries, .. } => entries.len() as u64,
        }
    }

    /// Takes the attributes `live` has (what an `fsync` makes durable besides content).
    fn keep_attributes(&mut self, live: &Node) {
        self.perm = live.perm;
        self.uid = live.uid;
        self.gid = live.gid;
        self.mtime = live.mtime;
        self.ctime = live.ctime;
    }

    /// The same inode as a directory sync writes it when its own content was never synced.
    fn as_never_synced(&self) -> Node {
        let kind = match &self.kind {
            Kind::File { .. } => Kind::File {
                data: Vec::new(),
                dirty: BTreeSet::new(),
            },
            Kind::Dir { parent, .. } => Kind::Dir {
                entries: BTreeMap::new(),
                parent: *parent,
            },
        };
        Node {
            kind,
            ..self.clone()
        }
    }
}

/// A set of inodes rooted at [`ROOT`].
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    nodes: HashMap<u64, Node>,
}

impl Tree {
    /// An empty file system: a root directory owned by `uid:gid`.
    pub(crate) fn new(uid: u32, gid: u32) -> Tree {
        let root = Node::new(
            Kind::Dir {
                entries: BTreeMap::new(),
                parent: ROOT,
            },
            0o755,
            uid,
            gid,
        );
        Tree {
            nodes: HashMap::from([(ROOT, root)]),
        }
    }

    /// Only what the root reaches, with link counts recounted: what a disk holds after a
    /// journal replay.
    fn reachable(mut self) -> Tree {
        let mut links: HashMap<u64, u32> = HashMap::from([(ROOT, 1)]);
        let mut to_visit = vec![ROOT];
        while let Some(ino) = to_visit.pop() {
            if let Some(Node {
                kind: Kind::Dir { entries, .. },
                ..
            }) = self.nodes.get(&ino)
            {
                for child in entries.values() {
                    let count = links.entry(*child).or_insert(0);
                    *count += 1;
                    if *count == 1 {
                        to_visit.push(*child);
                    }
                }
            }
        }
        self.nodes.retain(|ino, _| links.contains_key(ino));
        for (ino, node) in &mut self.nodes {
            node.nlink = links.get(ino).copied().unwrap_or(1);
        }
        self
    }
}

/// The mounted file system: both layers and the rules.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) live: Tree,
    pub(crate) disk: Tree,
    pub(crate) fsync: Fsync,
    /// False once the power is cut: every request then fails and nothing more reaches `disk`.
    pub(crate) powered: bool,
    pub(crate) stats: Stats,
    next_ino: u64,
}

impl State {
    /// Boots from what a disk holds.
    pub(crate) fn boot(disk: Tree, fsync: Fsync) -> State {
        let disk = disk.reachable();
        let next_ino = disk.nodes.keys().max().copied().unwrap_or(ROOT) + 1;
        State {
            live: disk.clone(),
            disk,
            fsync,
            powered: true,
            stats: Stats::default(),
            next_ino,
        }
    }

    /// Cuts the power: returns what the disk holds and what was thrown away. Nothing reaches
    /// the disk afterwards.
    pub(crate) fn cut(&mut self) -> (Tree, Stats) {
        self.powered = false;
        let mut stats = self.stats;
        for (ino, node) in &self.live.nodes {
            if let Kind::File { data, dirty } = &node.kind {
                let on_disk = self.disk.nodes.contains_key(ino);
                if !dirty.is_empty() || !on_disk {
                    stats.unsynced_files += 1;
                }
                let len = data.len() as u64;
                stats.unsynced_bytes += dirty
                    .iter()
                    .map(|chunk| {
                        let start = chunk * CHUNK_BYTES;
                        (start + CHUNK_BYTES).min(len).saturating_sub(start)
                    })
                    .sum::<u64>();
            }
        }
        (self.disk.clone().reachable(), stats)
    }

    pub(crate) fn node(&self, ino: u64) -> Result<&Node, Errno> {
        self.live.nodes.get(&ino).ok_or(libc::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.live.nodes.get_mut(&ino).ok_or(libc::ENOENT)
    }

    fn entries(&self, dir: u64) -> Result<&BTreeMap<OsString, u64>, Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            Kind::File { .. } => Err(libc::ENOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match &mut self.node_mut(dir)?.kind {
            Kind::Dir { entries, .. } => Ok(entries),
            Kind::File { .. } => Err(libc::ENOTDIR),
        }
    }

    pub(crate) fn lookup(&self, parent: u64, name: &OsStr) -> Result<u64, Errno> {
        self.entries(parent)?.get(name).copied().ok_or(libc::ENOENT)
    }

    /// `..` of a directory, for listings.
    pub(crate) fn parent_of(&self, dir: u64) -> Result<u64, Errno> {
        match &self.node(dir)?.kind {
            Kind::Dir { parent, .. } => Ok(*parent),
            Kind::File { .. } => Err(libc::ENOTDIR),
        }
    }

    /// The entries of a directory, in name order.
    pub(crate) fn list(&self, dir: u64) -> Result<Vec<(OsString, u64, bool)>, Errno> {
        self.entries(dir)?
            .iter()
            .map(|(name, ino)| Ok((name.clone(), *ino, self.node(*ino)?.is_dir())))
            .collect()
    }

    /// Creates a file or a directory named `name` in `parent`.
    pub(crate) fn create(
        &mut self,
        parent: u64,
        name: &OsStr,
        dir: bool,
        perm: u16,
        uid: u32,
        gid: u32,
    ) -> Result<u64, Errno> {
        if name.len() > 255 {
            return Err(libc::ENAMETOOLONG);
        }
        if self.entries(parent)?.contains_key(name) {
            return Err(libc::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let kind = if dir {
            Kind::Dir {
                entries: BTreeMap::new(),
                parent,
            }
        } else {
            Kind::File {
                data: Vec::new(),
                dirty: BTreeSet::new(),
            }
        };
        self.live
            .nodes
            .insert(ino, Node::new(kind, perm & 0o7777, uid, gid));
        self.entries_mut(parent)?.insert(name.to_owned(), ino);
        self.touch(parent)?;
        Ok(ino)
    }

    /// Removes a file's name (`dir` false) or an empty directory (`dir` true).
    pub(crate) fn remove(&mut self, parent: u64, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        let node = self.node(ino)?;
        match (&node.kind, dir) {
            (Kind::File { .. }, true) => return Err(libc::ENOTDIR),
            (Kind::Dir { .. }, false) => return Err(libc::EISDIR),
            (Kind::Dir { entries, .. }, true) if !entries.is_empty() => {
                return Err(libc::ENOTEMPTY);
            }
            _ => {}
        }
        self.entries_mut(parent)?.remove(name);
        let node = self.node_mut(ino)?;
        node.nlink = node.nlink.saturating_sub(1);
        node.ctime = SystemTime::now();
        self.touch(parent)
    }

    /// `rename(2)`; `no_replace` is `RENAME_NOREPLACE`.
    pub(crate) fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        no_replace: bool,
    ) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        let moving_dir = self.node(ino)?.is_dir();
        self.entries(new_parent)?;
        if let Ok(target) = self.lookup(new_parent, new_name) {
            if target == ino {
                return Ok(());
            }
            if no_replace {
                return Err(libc::EEXIST);
            }
            match (&self.node(target)?.kind, moving_dir) {
                (Kind::Dir { .. }, false) => return Err(libc::EISDIR),
                (Kind::File { .. }, true) => return Err(libc::ENOTDIR),
                (Kind::Dir { entries, .. }, true) if !entries.is_empty() => {
                    return Err(libc::ENOTEMPTY);
                }
                _ => {}
            }
            let target = self.node_mut(target)?;
            target.nlink = target.nlink.saturating_sub(1);
        }
        self.entries_mut(parent)?.remove(name);
        self.entries_mut(new_parent)?
            .insert(new_name.to_owned(), ino);
        if let Kind::Dir { parent, .. } = &mut self.node_mut(ino)?.kind {
            *parent = new_parent;
        }
        self.node_mut(ino)?.ctime = SystemTime::now();
        self.touch(parent)?;
        self.touch(new_parent)
    }

    fn touch(&mut self, ino: u64) -> Result<(), Errno> {
        let node = self.node_mut(ino)?;
        let now = SystemTime::now();
        node.mtime = now;
        node.ctime = now;
        Ok(())
    }

    pub(crate) fn read(&self, ino: u64, offset: u64, size: u32) -> Result<&[u8], Errno> {
        match &self.node(ino)?.kind {
            Kind::File { data, .. } => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let end = start.saturating_add(size as usize).min(data.len());
                Ok(data.get(start..end).unwrap_or_default())
            }
            Kind::Dir { .. } => Err(libc::EISDIR),
        }
    }

    pub(crate) fn write(&mut self, ino: u64, offset: u64, bytes: &[u8]) -> Result<u32, Errno> {
        let end = offset.checked_add(bytes.len() as u64).ok_or(libc::EFBIG)?;
        if end > MAX_FILE_BYTES {
            return Err(libc::EFBIG);
        }
        let written = u32::try_from(bytes.len()).map_err(|_| libc::EINVAL)?;
        self.stats.writes += 1;
        let node = self.node_mut(ino)?;
        let Kind::File { data, dirty } = &mut node.kind else {
            return Err(libc::EISDIR);
        };
        let len = data.len() as u64;
        if end > len {
            grow(data, dirty, end);
        }
        mark(dirty, offset, end);
        // Both bounds are at most `end`, which now fits the file.
        let range = usize::try_from(offset).map_err(|_| libc::EFBIG)?
            ..usize::try_from(end).map_err(|_| libc::EFBIG)?;
        data.get_mut(range).ok_or(libc::EIO)?.copy_from_slice(bytes);
        node.mtime = SystemTime::now();
        node.ctime = node.mtime;
        Ok(written)
    }

    /// `truncate(2)` to `size`, shrinking or growing.
    pub(crate) fn set_size(&mut self, ino: u64, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_BYTES {
            return Err(libc::EFBIG);
        }
        let node = self.node_mut(ino)?;
        let Kind::File { data, dirty } = &mut node.kind else {
            return Err(libc::EISDIR);
        };
        if size > data.len() as u64 {
            grow(data, dirty, size);
        } else {
            data.truncate(usize::try_from(size).map_err(|_| libc::EFBIG)?);
        }
        node.mtime = SystemTime::now();
        node.ctime = node.mtime;
        Ok(())
    }

    /// `chmod`, `chown` and `utimes`, each when given.
    pub(crate) fn set_attributes(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        mtime: Option<SystemTime>,
    ) -> Result<(), Errno> {
        let node = self.node_mut(ino)?;
        if let Some(mode) = mode {
            node.perm = (mode & 0o7777) as u16;
        }
        if let Some(uid) = uid {
            node.uid = uid;
        }
        if let Some(gid) = gid {
            node.gid = gid;
        }
        if let Some(mtime) = mtime {
            node.mtime = mtime;
        }
        node.ctime = SystemTime::now();
        Ok(())
    }

    /// `fsync` of a file or a directory, as the policy says: a file's content, size and
    /// attributes become durable (not its name); a directory's entries do, pointing at what each
    /// inode's last sync left on disk (an empty file or directory if never synced).
    pub(crate) fn sync(&mut self, ino: u64) -> Result<(), Errno> {
        let dir = self.node(ino)?.is_dir();
        if dir {
            self.stats.dir_syncs += 1;
        } else {
            self.stats.file_syncs += 1;
        }
        match (self.fsync, dir) {
            (Fsync::Ignored, _) => Ok(()),
            (Fsync::Honoured, false) => self.sync_file(ino),
            (Fsync::Honoured, true) => self.sync_dir(ino),
        }
    }

    fn sync_file(&mut self, ino: u64) -> Result<(), Errno> {
        let live = self.live.nodes.get_mut(&ino).ok_or(libc::ENOENT)?;
        let Kind::File { data, dirty } = &mut live.kind else {
            return Err(libc::EISDIR);
        };
        let Some(on_disk) = self.disk.nodes.get_mut(&ino) else {
            dirty.clear();
            self.disk.nodes.insert(ino, live.clone());
            return Ok(());
        };
        let Kind::File { data: kept, .. } = &mut on_disk.kind else {
            return Err(libc::EIO);
        };
        kept.resize(data.len(), 0);
        for chunk in std::mem::take(dirty) {
            let start = usize::try_from(chunk * CHUNK_BYTES).unwrap_or(usize::MAX);
            let end = start.saturating_add(CHUNK_BYTES as usize).min(data.len());
            if let (Some(from), Some(to)) = (data.get(start..end), kept.get_mut(start..end)) {
                to.copy_from_slice(from);
            }
        }
        on_disk.keep_attributes(live);
        Ok(())
    }

    fn sync_dir(&mut self, ino: u64) -> Result<(), Errno> {
        let live = self.live.nodes.get(&ino).ok_or(libc::ENOENT)?;
        let Kind::Dir { entries, .. } = &live.kind else {
            return Err(libc::ENOTDIR);
        };
        for child in entries.values() {
            if !self.disk.nodes.contains_key(child) {
                let node = self.live.nodes.get(child).ok_or(libc::EIO)?;
                self.disk.nodes.insert(*child, node.as_never_synced());
            }
        }
        let on_disk = self
            .disk
            .nodes
            .entry(ino)
            .or_insert_with(|| live.as_never_synced());
        on_disk.kind = live.kind.clone();
        on_disk.keep_attributes(live);
        Ok(())
    }

    /// Everything becomes durable, as after `sync(1)` on a real disk.
    pub(crate) fn sync_everything(&mut self) {
        for node in self.live.nodes.values_mut() {
            if let Kind::File { dirty, .. } = &mut node.kind {
                dirty.clear();
            }
        }
        self.disk = self.live.clone();
    }
}

/// Zero-fills `data` up to `len`; the new bytes are unsynced too.
fn grow(data: &mut Vec<u8>, dirty: &mut BTreeSet<u64>, len: u64) {
    let old = data.len() as u64;
    mark(dirty, old, len);
    data.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
}

fn mark(dirty: &mut BTreeSet<u64>, start: u64, end: u64) {
    if end > start {
        dirty.extend(start / CHUNK_BYTES..=(end - 1) / CHUNK_BYTES);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn boot() -> State {
        State::boot(Tree::new(0, 0), Fsync::Honoured)
    }

    /// Cuts the power and boots again from what the disk held.
    fn reboot(state: &mut State) -> State {
        State::boot(state.cut().0, state.fsync)
    }

    fn file(state: &mut State, dir: u64, name: &str, bytes: &[u8]) -> u64 {
        let ino = state
            .create(dir, OsStr::new(name), false, 0o644, 0, 0)
            .unwrap();
        state.write(ino, 0, bytes).unwrap();
        ino
    }

    fn mkdir(state: &mut State, name: &str) -> u64 {
        state
            .create(ROOT, OsStr::new(name), true, 0o755, 0, 0)
            .unwrap()
    }

    fn content(state: &State, dir: u64, name: &str) -> Option<Vec<u8>> {
        let ino = state.lookup(dir, OsStr::new(name)).ok()?;
        Some(state.read(ino, 0, u32::MAX).unwrap().to_vec())
    }

    #[test]
    fn nothing_unsynced_survives_a_cut() {
        let mut state = boot();
        file(&mut state, ROOT, "a", b"hello");
        let (_, stats) = state.cut();
        assert_eq!((stats.unsynced_files, stats.unsynced_bytes), (1, 5));
        let state = reboot(&mut state);
        assert_eq!(content(&state, ROOT, "a"), None);
    }

    #[test]
    fn a_synced_file_needs_its_directory_synced_too() {
        let mut state = boot();
        let a = file(&mut state, ROOT, "a", b"file only");
        state.sync(a).unwrap();
        let b = file(&mut state, ROOT, "b", b"file and directory");
        state.sync(b).unwrap();
        file(&mut state, ROOT, "c", b"directory only");
        state.sync(ROOT).unwrap();
        let state = reboot(&mut state);
        assert_eq!(content(&state, ROOT, "a"), Some(b"file only".to_vec()));
        assert_eq!(
            content(&state, ROOT, "b"),
            Some(b"file and directory".to_vec())
        );
        assert_eq!(content(&state, ROOT, "c"), Some(Vec::new()));
    }

    #[test]
    fn a_file_synced_before_its_directory_entry_is_kept() {
        let mut state = boot();
        let a = file(&mut state, ROOT, "a", b"early");
        state.sync(a).unwrap();
        state.write(a, 5, b" and late").unwrap();
        state.sync(ROOT).unwrap();
        let mut state = reboot(&mut state);
        assert_eq!(content(&state, ROOT, "a"), Some(b"early".to_vec()));
        // Inode numbers stay those of the disk; new ones do not collide.
        let b = file(&mut state, ROOT, "b", b"");
        assert_ne!(a, b);
    }

    #[test]
    fn only_synced_chunks_and_size_survive() {
        let mut state = boot();
        let a = file(&mut state, ROOT, "a", &[1; 10_000]);
        state.sync(a).unwrap();
        state.sync(ROOT).unwrap();
        state.write(a, 9_000, &[2; 3_000]).unwrap(); // grows to 12,000, unsynced
        state.write(a, 0, &[3; 10]).unwrap();
        state.sync(a).unwrap();
        state.write(a, 100, &[4; 10]).unwrap(); // lost
        state.set_size(a, 50).unwrap(); // lost
        let state = reboot(&mut state);
        let data = content(&state, ROOT, "a").unwrap();
        assert_eq!(data.len(), 12_000);
        assert_eq!(&data[..10], &[3; 10]);
        assert_eq!(&data[100..110], &[1; 10]);
        assert_eq!(&data[9_000..], &[2; 3_000]);
    }

    #[test]
    fn shrink_then_grow_reads_zeros_after_sync() {
        let mut state = boot();
        let a = file(&mut state, ROOT, "a", &[7; 8_192]);
        state.sync(a).unwrap();
        state.sync(ROOT).unwrap();
        state.set_size(a, 10).unwrap();
        state.set_size(a, 8_192).unwrap();
        state.sync(a).unwrap();
        let state = reboot(&mut state);
        let data = content(&state, ROOT, "a").unwrap();
        assert_eq!(&data[..10], &[7; 10]);
        assert!(data[10..].iter().all(|byte| *byte == 0));
    }

    #[test]
    fn unlink_and_rename_are_durable_only_with_their_directories() {
        let mut state = boot();
        let dir = mkdir(&mut state, "d");
        let a = file(&mut state, dir, "a", b"A");
        let b = file(&mut state, dir, "b", b"B");
        state.sync(a).unwrap();
        state.sync(b).unwrap();
        state.sync(dir).unwrap();
        state.sync(ROOT).unwrap();
        state.remove(dir, OsStr::new("a"), false).unwrap();
        state
            .rename(dir, OsStr::new("b"), ROOT, OsStr::new("b2"), false)
            .unwrap();
        state.sync(ROOT).unwrap(); // b2 durable; d still lists a and b on disk
        let state = reboot(&mut state);
        assert_eq!(content(&state, dir, "a"), Some(b"A".to_vec()));
        assert_eq!(content(&state, dir, "b"), Some(b"B".to_vec()));
        assert_eq!(content(&state, ROOT, "b2"), Some(b"B".to_vec()));
        assert_eq!(state.node(b).unwrap().nlink, 2);
    }

    #[test]
    fn an_unreachable_directory_is_gone() {
        let mut state = boot();
        let dir = mkdir(&mut state, "d");
        let a = file(&mut state, dir, "a", b"A");
        state.sync(a).unwrap();
        state.sync(dir).unwrap(); // d's entries are durable, d's own name is not
        let state = reboot(&mut state);
        assert_eq!(state.lookup(ROOT, OsStr::new("d")), Err(libc::ENOENT));
        assert!(state.node(a).is_err());
    }

    #[test]
    fn ignored_fsync_keeps_nothing_and_sync_everything_keeps_all() {
        let mut state = State::boot(Tree::new(0, 0), Fsync::Ignored);
        let a = file(&mut state, ROOT, "a", b"kept");
        state.sync_everything();
        state.write(a, 0, b"lost").unwrap();
        state.sync(a).unwrap();
        state.sync(ROOT).unwrap();
        file(&mut state, ROOT, "b", b"lost");
        state.sync(ROOT).unwrap();
        let state = reboot(&mut state);
        assert_eq!(content(&state, ROOT, "a"), Some(b"kept".to_vec()));
        assert_eq!(content(&state, ROOT, "b"), None);
    }

    #[test]
    fn name_rules() {
        let mut state = boot();
        let dir = mkdir(&mut state, "d");
        file(&mut state, dir, "a", b"");
        file(&mut state, ROOT, "f", b"");
        let exists = state.create(ROOT, OsStr::new("d"), false, 0o644, 0, 0);
        assert_eq!(exists, Err(libc::EEXIST));
        assert_eq!(
            state.remove(ROOT, OsStr::new("d"), true),
            Err(libc::ENOTEMPTY)
        );
        assert_eq!(
            state.remove(ROOT, OsStr::new("d"), false),
            Err(libc::EISDIR)
        );
        assert_eq!(
            state.remove(ROOT, OsStr::new("f"), true),
            Err(libc::ENOTDIR)
        );
        let clash = state.rename(ROOT, OsStr::new("f"), ROOT, OsStr::new("d"), false);
        assert_eq!(clash, Err(libc::EISDIR));
        let kept = state.rename(dir, OsStr::new("a"), ROOT, OsStr::new("f"), true);
        assert_eq!(kept, Err(libc::EEXIST));
        state
            .rename(dir, OsStr::new("a"), ROOT, OsStr::new("f"), false)
            .unwrap();
        state.remove(ROOT, OsStr::new("d"), true).unwrap();
        assert_eq!(state.write(2, MAX_FILE_BYTES, b"x"), Err(libc::EFBIG));
    }
}
