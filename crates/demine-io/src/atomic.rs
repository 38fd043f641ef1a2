//! Files appear whole or not at all: written to a temporary file in the same folder, flushed
//! to disk, then renamed over the target (`tempfile::NamedTempFile::persist`). A crash, a full
//! disk or an error midway leaves the old file (or none), never half a file. A target that is
//! not a file (`/dev/stdout`, a named pipe, a device) is written straight into: renamed over,
//! it would be replaced by a file. A symbolic link (`/dev/stdout` redirected to a file, a link
//! to a file) is followed: the file it names is replaced, the link stays.

use crate::FileError;
use std::io::Write;
use std::path::Path;

/// Writes what `fill` writes to `path`, atomically.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), FileError> {
    let werr = |e: std::io::Error| FileError::Write {
        path: path.to_owned(),
        cause: e,
    };
    if demine_core::is_special_file(path) {
        let mut out = std::io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(path).map_err(werr)?);
        fill(&mut out).map_err(werr)?;
        return out.flush().map_err(werr);
    }
    // Renamed over, a link would become a file: replace what it names instead.
    let resolved;
    let path = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        resolved = std::fs::canonicalize(path).map_err(werr)?;
        resolved.as_path()
    } else {
        path
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(werr)?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut out).map_err(werr)?;
        out.flush().map_err(werr)?;
    }
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

/// Writes `bytes` to `path`, atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_with(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A named pipe (as `/dev/stdout` or `/dev/null`, which are not files) is written into;
    /// renaming a file over `/dev/null` replaced the device for everyone on the machine.
    #[cfg(unix)]
    #[test]
    fn a_pipe_is_written_into_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("no mkfifo here: skipped");
            return;
        }
        let (sent, read) = std::sync::mpsc::channel();
        {
            let pipe = pipe.clone();
            std::thread::spawn(move || sent.send(std::fs::read(pipe).unwrap()));
        }
        write_atomically(&pipe, b"through the pipe").unwrap();
        assert!(
            std::fs::metadata(&pipe).unwrap().file_type().is_fifo(),
            "the pipe became a file"
        );
        // A pipe replaced by a file leaves its reader waiting: a failure, not a hung test.
        let got = read.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(got.as_deref(), Ok(&b"through the pipe"[..]));
    }

    /// A link is followed (`/dev/stdout` when the shell sends it to a file is one): the file it
    /// names gets the content and the link stays; renamed over, `/dev/stdout` became a file.
    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.parquet");
        std::fs::write(&file, b"old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
            "the link became a file"
        );
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.geojson");
        write_atomically(&p, b"old").unwrap();
        let e = write_with(&p, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(e.unwrap_err().to_string().contains("disk full"));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }
}
