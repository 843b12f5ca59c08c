//! Replacing a file so that a reader (or a crash) never sees half of it.
//!
//! Writers write to `temp_path` beside the target, sync it and call
//! `persist`, which renames it into place and syncs the directory. A crash
//! at any point leaves either the old file or the new one, plus at worst a
//! stray temporary file that `remove_stale_temps` (under a writers' lock)
//! or `remove_dead_temps` (without one) clears later.
//!
//! The target is the file a path names after following symbolic links
//! (`target`): writing `archive.idx -> /data/archive.idx` replaces
//! `/data/archive.idx` and keeps the link. A replaced file keeps its
//! permissions (and, where the process may, its owner). [`same_file`] tells
//! whether an output would replace one of the inputs, which callers refuse.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The file writing `path` replaces: `path` itself, or for a symbolic link
/// the file it points to (through every link of a chain; a dangling link's
/// destination, which writing creates).
pub(crate) fn target(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    // A bound on the chain: a loop is written as the link itself, and the
    // rename then fails with the system's own error.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&at) {
                Ok(next) => at = parent_dir(&at).join(next),
                Err(_) => return at,
            },
            _ => return at,
        }
    }
    path.to_path_buf()
}

/// Whether `a` and `b` name the same existing file, after links (device
/// and inode on Unix; canonical paths elsewhere).
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The temporary file a writer of `path` uses: `.NAME.PID.tmp` beside the
/// file `path` names ([`target`]; a rename is only atomic within one file
/// Whether `path` names something other than a regular file or a folder
/// (after links): a device such as `/dev/null` or `/dev/stdout`, a FIFO.
/// Those are written in place: renaming a file over one would replace the
/// device with a file.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// system).
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let path = target(path);
    if is_special(&path) {
        return path;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lineage".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Renames the synced `temp` over the file `path` names ([`target`]),
/// giving it the replaced file's permissions (and owner, where the process
/// may), and makes the rename durable.
pub(crate) fn persist(temp: &Path, path: &Path) -> std::io::Result<()> {
    let path = target(path);
    if let Ok(old) = std::fs::metadata(&path) {
        std::fs::set_permissions(temp, old.permissions())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // Only root may give a file away; anyone else keeps the file
            // theirs, as a plain write would.
            let _ = std::os::unix::fs::chown(temp, Some(old.uid()), Some(old.gid()));
        }
    }
    std::fs::rename(temp, &path)?;
    // Not every platform can open a directory, and the data is already
    // safe, so a failure to sync the directory is ignored.
    if let Ok(d) = File::open(parent_dir(&path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Syncs the finished temporary file `file` (at `temp`) and renames it
/// over `path` ([`persist`]): a reader sees the old file or the whole new
/// one, never half a file.
pub(crate) fn commit(file: File, temp: &Path, path: &Path) -> std::io::Result<()> {
    if temp == target(path) {
        // Written in place (a device or a FIFO): nothing to sync or rename.
        return Ok(());
    }
    file.sync_all()?;
    drop(file);
    persist(temp, path)
}

/// Removes the temporary file `temp` of a failed write of `path`, never
/// `path` itself (written in place when it is a device or a FIFO).
pub(crate) fn discard(temp: &Path, path: &Path) {
    if temp != target(path) {
        let _ = std::fs::remove_file(temp);
    }
}

/// Bytes between background syncs of the fingerprint writers' files, so
/// that the final fsync has little left to write and does not stall the
/// end.
pub(crate) const SYNC_EVERY: usize = 4 << 20;

/// Syncs a file that is still being written, in the background: every
/// [`every`](Self::new) bytes its data so far goes to disk on a thread of
/// its own, so that the final sync in [`commit`] has little left to write
/// and no writing thread waits for the disk meanwhile.
#[derive(Debug)]
pub(crate) struct BackgroundSync {
    every: usize,
    unsynced: usize,
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl BackgroundSync {
    /// A sync every `every` bytes.
    pub fn new(every: usize) -> BackgroundSync {
        BackgroundSync {
            every,
            unsynced: 0,
            syncing: None,
        }
    }

    /// Counts `bytes` more written; whether a sync is due: `every` bytes
    /// were written since the last one started, and it has finished (a
    /// writer never waits for the disk here; while a slow sync runs, the
    /// next one is only put off). When it is due, the caller flushes its
    /// buffers into the file and calls [`start`](Self::start).
    pub(crate) fn due(&mut self, bytes: usize) -> bool {
        self.unsynced += bytes;
        self.unsynced >= self.every && self.syncing.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Collects the previous sync's outcome (waiting for it, if
    /// [`due`](Self::due) was not asked), then starts syncing what `file`
    /// holds now. Without a thread (the OS refused one) it syncs here
    /// instead.
    pub(crate) fn start(&mut self, file: &File) -> std::io::Result<()> {
        self.unsynced = 0;
        join_sync(self.syncing.take())?;
        let clone = file.try_clone()?;
        let spawned = std::thread::Builder::new()
            .name("lineage-sync".into())
            .spawn(move || sync_data(&clone));
        match spawned {
            Ok(handle) => {
                self.syncing = Some(handle);
                Ok(())
            }
            Err(_) => sync_data(file),
        }
    }

    /// Waits for the running sync, if any; its error if it failed.
    pub(crate) fn wait(&mut self) -> std::io::Result<()> {
        join_sync(self.syncing.take())
    }
}

/// Waits for a background sync and returns its outcome.
/// `file.sync_data()`, where a device or a FIFO written in place (which
/// cannot be synced: EINVAL) counts as synced.
fn sync_data(file: &File) -> std::io::Result<()> {
    match file.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

fn join_sync(handle: Option<std::thread::JoinHandle<std::io::Result<()>>>) -> std::io::Result<()> {
    match handle.map(std::thread::JoinHandle::join) {
        None | Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(e))) => Err(e),
        Some(Err(_)) => Err(std::io::Error::other("background sync failed")),
    }
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename.
///
/// # Examples
///
/// ```
/// use lineage::store::atomic::write_atomic;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.txt");
/// write_atomic(&path, b"one")?;
/// write_atomic(&path, b"two")?;
/// assert_eq!(std::fs::read(&path)?, b"two");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temp = temp_path(path);
    let result = File::create(&temp).and_then(|mut f| {
        f.write_all(bytes)?;
        Ok(f)
    });
    match result.and_then(|f| commit(f, &temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            discard(&temp, path);
            Err(e)
        }
    }
}

/// Removes temporary files that writers of `path` killed before their
/// rename left behind. Call only while holding the writers' lock, so that
/// no live writer's file is removed.
pub(crate) fn remove_stale_temps(path: &Path) {
    remove_temps(path, |_| true);
}

/// Removes the temporary files of writers of `path` whose process has
/// ended (killed before their rename), for writers that take no lock: a
/// running writer's file is left alone. Where the system cannot tell
/// whether a process runs (no `/proc`), nothing is removed.
pub(crate) fn remove_dead_temps(path: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let me = std::process::id();
    remove_temps(path, |pid| {
        pid != me && !Path::new("/proc").join(pid.to_string()).exists()
    });
}

/// Removes `.NAME.PID.tmp` beside the file `path` names when `remove(PID)`.
fn remove_temps(path: &Path, remove: impl Fn(u32) -> bool) {
    let path = target(path);
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(parent_dir(&path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        let pid = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(&remove) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(dir.path().join(".x.bin.123.tmp"), b"half").unwrap();
        std::fs::write(dir.path().join("other.tmp"), b"keep").unwrap();
        remove_stale_temps(&path);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["other.tmp"]);
    }

    #[cfg(unix)]
    /// A FIFO (like `/dev/null` or `/dev/stdout`, not a regular file) is
    /// written in place: renaming a file over it would replace it.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_in_place_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = String::new();
                File::open(fifo).unwrap().read_to_string(&mut got).unwrap();
                got
            })
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn writes_follow_links_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.idx");
        let link = dir.path().join("link.idx");
        std::fs::write(&real, b"old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("real.idx", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(same_file(&link, &real));
        assert!(!same_file(&link, &dir.path().join("missing")));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn only_dead_writers_temps_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        let mine = temp_path(&path);
        std::fs::write(&mine, b"mine").unwrap();
        // No process has this id (above the kernel's pid_max).
        let dead = dir.path().join(".x.bin.4294967295.tmp");
        std::fs::write(&dead, b"half").unwrap();
        remove_dead_temps(&path);
        assert!(mine.exists());
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists());
        }
    }

    #[test]
    fn a_sync_is_due_every_so_many_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = File::create(dir.path().join("x.bin")).unwrap();
        let mut sync = BackgroundSync::new(10);
        assert!(!sync.due(4));
        assert!(!sync.due(5));
        assert!(sync.due(1));
        sync.start(&file).unwrap();
        // Counting starts again after a sync (and a sync is only due once
        // the last one finished).
        sync.wait().unwrap();
        assert!(!sync.due(9));
        assert!(sync.due(6));
        sync.start(&file).unwrap();
        sync.wait().unwrap();
        sync.wait().unwrap();
    }
}
