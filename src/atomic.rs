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
}
