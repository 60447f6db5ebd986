//! Handing back the code pages only start-up needed. Migrations, the docs' ingest, the
//! contract's parse and reconcile run once, and the kernel maps a binary's pages in
//! 64 KiB runs around each one touched: idle, two thirds of taosd's resident memory was its
//! own code, most of it never run again. Telling the kernel at the end of start-up that the
//! binary's mapped pages may go (`MADV_PAGEOUT`) drops them now, as memory pressure would
//! later; what serving needs faults back in on first use, from the page cache.

/// Asks the kernel to reclaim this process's mapped pages of its own executable (clean file
/// pages: nothing is written or lost). Best effort: on a kernel without `MADV_PAGEOUT`
/// (before Linux 5.4) or anything unreadable, nothing happens.
pub fn release() {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return;
    };
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return;
    };
    let exe = exe.to_string_lossy();
    for line in maps.lines() {
        // `start-end perms offset dev inode path`
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        // Only read-only or executable mappings: a writable one holds data.
        if perms.contains('w') || line.split_whitespace().nth(5) != Some(&*exe) {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else {
            continue;
        };
        // SAFETY: advice on a range of this process's own read-only file mapping, as
        // /proc/self/maps lists it; MADV_PAGEOUT changes no content, only residency.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT);
        }
    }
}
