//! The file system mounted for real and driven through `std::fs`, as a program would: what was
//! synced (file and directory) survives a power cut, the rest does not. Fails, never skips,
//! where FUSE cannot be mounted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is the test failing

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

use liptako_crashfs::{Disk, Fsync, Mounted};

fn mount(disk: Disk, at: &Path, fsync: Fsync) -> Mounted {
    disk.mount(at, fsync)
        .unwrap_or_else(|err| panic!("the power-cut tests need FUSE: {err}"))
}

fn write_file(path: &Path, bytes: &[u8], sync: bool) {
    let mut file = File::create(path).unwrap();
    file.write_all(bytes).unwrap();
    if sync {
        file.sync_all().unwrap();
    }
}

fn sync_dir(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

#[test]
fn only_what_was_synced_survives_a_power_cut() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path();
    let mounted = mount(Disk::new(), at, Fsync::Honoured);
    fs::create_dir(at.join("d")).unwrap();
    sync_dir(at);
    write_file(&at.join("d/synced"), b"file and directory", true);
    write_file(&at.join("d/name-only"), b"directory only", false);
    write_file(&at.join("file-only"), b"file only", true);
    sync_dir(&at.join("d"));
    write_file(&at.join("d/late"), b"after the directory sync", true);
    // Appended after the last sync of a synced file: lost, the synced part kept.
    let mut appended = OpenOptions::new()
        .append(true)
        .open(at.join("d/synced"))
        .unwrap();
    appended.write_all(b", then more").unwrap();
    drop(appended);
    assert_eq!(
        fs::read(at.join("d/synced")).unwrap(),
        b"file and directory, then more"
    );
    let stats = mounted.stats();
    assert_eq!((stats.file_syncs, stats.dir_syncs), (3, 2));

    let (disk, lost) = mounted.power_cut().unwrap();
    assert_eq!(lost.unsynced_files, 2, "name-only and synced: {lost:?}");
    let mounted = mount(disk, at, Fsync::Honoured);
    assert_eq!(
        fs::read(at.join("d/synced")).unwrap(),
        b"file and directory"
    );
    assert_eq!(fs::read(at.join("d/name-only")).unwrap(), b"");
    assert!(!at.join("file-only").exists());
    assert!(!at.join("d/late").exists());
    let mut names: Vec<_> = fs::read_dir(at.join("d"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["name-only", "synced"]);

    // `sync(1)` makes everything durable; a rename is durable once its directory is synced.
    write_file(&at.join("d/late"), b"late", false);
    mounted.sync();
    fs::rename(at.join("d/late"), at.join("d/renamed")).unwrap();
    sync_dir(&at.join("d"));
    fs::remove_file(at.join("d/name-only")).unwrap();
    let (disk, _) = mounted.power_cut().unwrap();
    let mounted = mount(disk, at, Fsync::Honoured);
    assert_eq!(fs::read(at.join("d/renamed")).unwrap(), b"late");
    assert!(!at.join("d/late").exists());
    assert!(
        at.join("d/name-only").exists(),
        "its removal was not synced"
    );
    drop(mounted);
}

#[test]
fn ignored_fsync_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path();
    let mounted = mount(Disk::new(), at, Fsync::Ignored);
    write_file(&at.join("before"), b"synced by sync(1)", false);
    mounted.sync();
    write_file(&at.join("after"), b"fsync answers but keeps nothing", true);
    sync_dir(at);
    write_file(&at.join("before"), b"rewritten", true);
    let (disk, lost) = mounted.power_cut().unwrap();
    assert_eq!(lost.file_syncs, 2);
    let _mounted = mount(disk, at, Fsync::Honoured);
    assert_eq!(fs::read(at.join("before")).unwrap(), b"synced by sync(1)");
    assert!(!at.join("after").exists());
}
