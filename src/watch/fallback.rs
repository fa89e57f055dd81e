//! Where file-system events won't arrive, and how watch mode finds out.
//!
//! Before watching: WSL's Windows drives (`/mnt/<letter>` under a Microsoft kernel) and network
//! or shared-folder file systems (by `statfs` magic) are known not to report saves made from
//! the other side (Windows, the host, another machine), so watch mode polls there and says so.
//! While watching: a slow poller runs beside the events as a watchdog; a save the poller saw
//! that no event reported within a few seconds means events don't work here, and watch mode
//! switches to polling, saying so. So does a file watcher error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

/// How often the watchdog poller looks at the files (cheap: one `stat` per file).
pub const WATCHDOG_INTERVAL: Duration = Duration::from_secs(2);
/// How long after the poller saw a save an event may still arrive before watch mode gives up
/// on events. Native events arrive within milliseconds; this only has to beat a busy machine.
pub const GRACE: Duration = Duration::from_secs(3);

/// Why saves in `dir` may raise no events, or `None`.
pub fn blind_spot(dir: &Path) -> Option<String> {
    let osrelease = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if is_wsl_drive(&osrelease, dir) {
        return Some(format!(
            "{} is on a Windows drive under WSL, where saves made from Windows raise no file events",
            dir.display()
        ));
    }
    let magic = rustix::fs::statfs(dir).ok()?.f_type as u64 & 0xffff_ffff;
    network_fs(magic).map(|fs| {
        format!(
            "{} is on {fs}, where saves made elsewhere raise no file events",
            dir.display()
        )
    })
}

/// A Windows drive mounted into WSL (1 or 2): `/mnt/c/...` under a Microsoft kernel.
fn is_wsl_drive(osrelease: &str, dir: &Path) -> bool {
    let wsl = osrelease.to_ascii_lowercase().contains("microsoft");
    let mut parts = dir.components().skip(1);
    let drive = matches!(
        (parts.next(), parts.next()),
        (Some(m), Some(d)) if m.as_os_str() == "mnt"
            && d.as_os_str().len() == 1
            && d.as_os_str().to_string_lossy().chars().all(|c| c.is_ascii_alphabetic())
    );
    wsl && drive
}

/// File systems whose changes may come from another machine or the host (magic numbers from
/// Linux's `include/uapi/linux/magic.h` and the file systems' sources). FUSE is not listed: it
/// is as often local, and the watchdog catches it where it is not.
fn network_fs(magic: u64) -> Option<&'static str> {
    Some(match magic {
        0x6969 => "NFS",
        0x517B | 0xFF53_4D42 | 0xFE53_4D42 => "an SMB/CIFS share",
        0x0102_1997 => "a 9p mount (WSL2's Windows drives, container and VM shared folders)",
        0x786F_4256 => "a VirtualBox shared folder",
        0x7C7C_6673 => "a Parallels shared folder",
        0x5346_414F => "AFS",
        0x00C3_6400 => "CephFS",
        0x7375_7245 => "Coda",
        0x0BD0_0BD0 => "Lustre",
        0x0116_1970 => "GFS2",
        _ => return None,
    })
}

/// The watchdog's bookkeeping: when events last reported each path, and a save the poller
/// saw that no event has reported yet.
#[derive(Default)]
pub struct Watchdog {
    seen: HashMap<PathBuf, Instant>,
    suspect: Option<(PathBuf, Instant)>,
}

impl Watchdog {
    /// A file-system event reported `path`.
    pub fn event(&mut self, path: &Path, now: Instant) {
        self.seen.insert(path.to_path_buf(), now);
        if self.suspect.as_ref().is_some_and(|(p, _)| p == path) {
            self.suspect = None;
        }
    }

    /// The poller saw `path` change: unless an event reported it lately, it is suspect until
    /// the grace time is over.
    pub fn polled(&mut self, path: &Path, now: Instant) {
        // The poller sees a save up to one interval late; the event came at the save.
        let recent = WATCHDOG_INTERVAL * 2 + GRACE;
        let reported = self
            .seen
            .get(path)
            .is_some_and(|t| now.duration_since(*t) <= recent);
        if !reported && self.suspect.is_none() {
            self.suspect = Some((path.to_path_buf(), now + GRACE));
        }
    }

    /// When to look whether the suspect save was reported after all.
    pub fn deadline(&self) -> Option<Instant> {
        self.suspect.as_ref().map(|(_, d)| *d)
    }

    /// The save no event reported, once its grace time is over.
    pub fn missed(&mut self, now: Instant) -> Option<PathBuf> {
        match &self.suspect {
            Some((_, due)) if *due <= now => self.suspect.take().map(|(p, _)| p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsl_windows_drives_are_recognised() {
        let wsl = "5.15.153.1-microsoft-standard-WSL2";
        assert!(is_wsl_drive(
            wsl,
            Path::new("/mnt/c/Users/me/tokiolings/exercises")
        ));
        assert!(is_wsl_drive("4.4.0-19041-Microsoft", Path::new("/mnt/d/x")));
        assert!(!is_wsl_drive(
            wsl,
            Path::new("/home/me/tokiolings/exercises")
        ));
        assert!(!is_wsl_drive(wsl, Path::new("/mnt/data/x")));
        assert!(!is_wsl_drive("6.8.0-generic", Path::new("/mnt/c/x")));
    }

    #[test]
    fn network_file_systems_are_named_local_ones_are_not() {
        assert_eq!(network_fs(0x6969), Some("NFS"));
        assert!(network_fs(0xFF53_4D42).unwrap().contains("SMB"));
        assert!(network_fs(0x0102_1997).unwrap().contains("9p"));
        // ext4, tmpfs, btrfs, overlayfs, FUSE.
        for local in [0xEF53, 0x0102_1994, 0x9123_683E, 0x794C_7630, 0x6573_5546] {
            assert_eq!(network_fs(local), None, "{local:#x}");
        }
    }

    #[test]
    fn blind_spot_is_none_for_a_local_temp_dir() {
        let dir = tempfile::tempdir().unwrap();
        let magic = rustix::fs::statfs(dir.path()).unwrap().f_type as u64 & 0xffff_ffff;
        if network_fs(magic).is_none() {
            assert_eq!(blind_spot(dir.path()), None);
        }
    }

    #[test]
    fn a_save_only_the_poller_saw_is_missed_after_the_grace_time() {
        let file = Path::new("/c/exercises/a.rs");
        let mut dog = Watchdog::default();
        let t0 = Instant::now();
        // An event, then the poller: fine.
        dog.event(file, t0);
        dog.polled(file, t0 + WATCHDOG_INTERVAL);
        assert_eq!(dog.deadline(), None);
        // The poller first, then the event within the grace time: fine.
        let t1 = t0 + Duration::from_secs(60);
        dog.polled(file, t1);
        assert_eq!(dog.deadline(), Some(t1 + GRACE));
        assert_eq!(dog.missed(t1 + GRACE / 2), None);
        dog.event(file, t1 + GRACE / 2);
        assert_eq!(dog.missed(t1 + GRACE), None);
        // The poller alone: missed once the grace time is over.
        let t2 = t1 + Duration::from_secs(60);
        dog.polled(file, t2);
        assert_eq!(dog.missed(t2 + GRACE / 2), None);
        assert_eq!(dog.missed(t2 + GRACE).as_deref(), Some(file));
    }
}
