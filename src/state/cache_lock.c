/* cache_lock.c — the source cache's recorder lock (cache_impl.h).
 *
 * A recorder is known alive by a lock, not by its pid (a pid is reused once
 * its process is gone, after a reboot too): the file locks/KEY in the
 * cache's folder, byte 1 write-locked (fcntl) by the recorder's process for
 * its whole life, byte 0 by whoever starts a recorder process until that
 * process holds byte 1. Alive = either byte locked; only the holder of byte
 * 1 is ever signalled. A starter that holds its byte looks, through the
 * same descriptor, for another process holding either: deciding and
 * claiming are then one step. fcntl locks belong to a process and any
 * close of the file drops them, so a process never opens the lock of a
 * recording its own row names (a thread of its own). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_impl.h"
#include "../util/error.h"

void rill__cache_lock_path(char *out, size_t cap, const char *dir, const char *key)
{
    snprintf(out, cap, "%s/locks/%s", dir, key);
}

int rill__cache_lock(const char *dir, const char *key, int byte, int wait)
{
    char path[4096];
    struct flock fl;
    int fd;
    snprintf(path, sizeof(path), "%s/locks", dir);
    mkdir(path, 0777);
    rill__cache_lock_path(path, sizeof(path), dir, key);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
        return rill__error_errno(errno, "source cache: cannot open the recorder's lock %s",
                                 path);
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte;
    fl.l_len = 1;
    while (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) < 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        close(fd);
        return rill__error_errno(e, "source cache: cannot lock %s (another recorder holds it)",
                                 path);
    }
    return fd;
}

int rill__cache_lock_holder(const char *dir, const char *key, int byte)
{
    char path[4096];
    struct flock fl;
    int fd, rc;
    rill__cache_lock_path(path, sizeof(path), dir, key);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0; /* never locked */
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = byte < 0 ? 0 : byte;
    fl.l_len = byte < 0 ? 2 : 1;
    rc = fcntl(fd, F_GETLK, &fl) < 0 ? 0 : fl.l_type == F_UNLCK ? 0 : (int)fl.l_pid;
    close(fd);
    return rc > 0 ? rc : 0;
}

int rill__cache_lock_fd_holder(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 2;
    if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
        return 0;
    return fl.l_pid > 0 ? (int)fl.l_pid : 1;
}
