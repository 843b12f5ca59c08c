//! Replacing a file so that a reader (or a crash) never sees half of it.
//!
//! Writers write to [`temp_path`] beside the target, sync it and call
//! [`persist`], which renames it into place and syncs the directory. A crash
//! at any point leaves either the old file or the new one, plus at worst a
//! stray temporary file that [`remove_stale_temps`] clears later.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The temporary file a writer of `path` uses: `.NAME.PID.tmp` in the same
/// directory (a rename is only atomic within one file system).
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lineage".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Renames the synced `temp` over `path` and makes the rename durable.
pub fn persist(temp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(temp, path)?;
    // Not every platform can open a directory, and the data is already
    // safe, so a failure to sync the directory is ignored.
    if let Ok(d) = File::open(parent_dir(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Syncs the finished temporary file `file` (at `temp`) and renames it
/// over `path` ([`persist`]): a reader sees the old file or the whole new
/// one, never half a file.
pub fn commit(file: File, temp: &Path, path: &Path) -> std::io::Result<()> {
    file.sync_all()?;
    drop(file);
    persist(temp, path)
}

/// Bytes between background syncs of the fingerprint writers' files, so
/// that the final fsync has little left to write and does not stall the
/// end.
pub const SYNC_EVERY: usize = 4 << 20;

/// Syncs a file that is still being written, in the background: every
/// [`every`](Self::new) bytes its data so far goes to disk on a thread of
/// its own, so that the final sync in [`commit`] has little left to write
/// and no writing thread waits for the disk meanwhile.
#[derive(Debug)]
pub struct BackgroundSync {
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
    pub fn due(&mut self, bytes: usize) -> bool {
        self.unsynced += bytes;
        self.unsynced >= self.every && self.syncing.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Collects the previous sync's outcome (waiting for it, if
    /// [`due`](Self::due) was not asked), then starts syncing what `file`
    /// holds now. Without a thread (the OS refused one) it syncs here
    /// instead.
    pub fn start(&mut self, file: &File) -> std::io::Result<()> {
        self.unsynced = 0;
        join_sync(self.syncing.take())?;
        let clone = file.try_clone()?;
        let spawned = std::thread::Builder::new()
            .name("lineage-sync".into())
            .spawn(move || clone.sync_data());
        match spawned {
            Ok(handle) => {
                self.syncing = Some(handle);
                Ok(())
            }
            Err(_) => file.sync_data(),
        }
    }

    /// Waits for the running sync, if any; its error if it failed.
    pub fn wait(&mut self) -> std::io::Result<()> {
        join_sync(self.syncing.take())
    }
}

/// Waits for a background sync and returns its outcome.
fn join_sync(handle: Option<std::thread::JoinHandle<std::io::Result<()>>>) -> std::io::Result<()> {
    match handle.map(std::thread::JoinHandle::join) {
        None | Some(Ok(Ok(()))) => Ok(()),
        Some(Ok(Err(e))) => Err(e),
        Some(Err(_)) => Err(std::io::Error::other("background sync failed")),
    }
}

/// Writes `bytes` to `path` atomically: temporary file, fsync, rename.
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
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Removes temporary files that writers of `path` killed before their
/// rename left behind. Call only while holding the writers' lock, so that
/// no live writer's file is removed.
pub fn remove_stale_temps(path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(parent_dir(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".tmp") {
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
