/* publish.c — giving a run's output files their final names, all or
 * nothing where it can be known before, and resumable where it cannot.
 *
 * Every file is checked before any is renamed: a temporary that is gone
 * must have been published already (its final name holds the same file,
 * by device, inode, size and modification time), and nothing but a regular file or a link may stand
 * at a final name. Then the files are renamed in order; one that fails
 * stops the publish with the path and the system's reason, and nothing
 * already renamed is removed: the list the checkpoint holds (with each
 * file's identity) says exactly which are published, and a resume renames
 * the rest. The folders are synced after the renames, so a state change
 * made after a publish never claims files a crash could still lose.
 *
 * A run id the caller chose (rather than one made for the run) names a
 * whole set: once every file is published, the files of that run id in
 * DIR and its partition folders that this run did not write are removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"
#include "writer.h"

int rill__fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    if (rc < 0 && (errno == EINVAL || errno == EROFS)) /* a folder that cannot be synced */
        rc = 0;
    close(fd);
    return rc;
}

int rill__sync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n == 0)
        return rill__fsync_dir(slash ? "/" : ".");
    if (n >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    return rill__fsync_dir(dir);
}

/* Whether f is published already, 0 when it waits; an error when neither
 * can be: something that is not a file at its final name, or its
 * temporary gone without it being published. */
static int check(const rill__outfile *f, int *done)
{
    struct stat st;
    int fin = lstat(f->fin, &st) == 0;
    *done = 0;
    if (!fin && errno != ENOENT)
        return rill__error(RILL_EIO, "cannot publish %s: %s", f->fin, strerror(errno));
    if (access(f->tmp, F_OK) == 0) {
        if (fin && S_ISDIR(st.st_mode))
            return rill__error(RILL_EIO, "cannot publish %s: %s", f->fin, strerror(EISDIR));
        if (fin && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            return rill__error(RILL_EIO, "cannot publish %s: it exists and is not a regular "
                               "file", f->fin);
        return 0;
    }
    if (errno != ENOENT)
        return rill__error(RILL_EIO, "cannot publish %s: %s", f->tmp, strerror(errno));
    if (fin && (f->ino == 0 || rill__same_file(f, &st))) {
        *done = 1; /* published before a kill or a failed publish */
        return 0;
    }
    return rill__error(RILL_EIO, "cannot publish %s: its temporary file %s was removed "
                       "before it was published (%s)", f->fin, f->tmp, strerror(ENOENT));
}

int rill__same_file(const rill__outfile *f, const struct stat *st)
{
    return (uint64_t)st->st_dev == f->dev && (uint64_t)st->st_ino == f->ino &&
           (uint64_t)st->st_size == f->size &&
           (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec == f->mtime;
}

static int ours(const rill__outfile *files, size_t n, const char *path)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(files[i].fin, path) == 0)
            return 1;
    return 0;
}

/* Whether name is <run_id>-<n>.<ext> for one of the writer's extensions. */
static int of_run(const char *name, const char *run_id)
{
    static const char *exts[] = {"txt", "tsv", "jsonl", "rill"};
    size_t len = strlen(run_id), i;
    const char *p = name + len + 1;
    if (strncmp(name, run_id, len) != 0 || name[len] != '-' || *p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != '.')
        return 0;
    for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (strcmp(p, exts[i]) == 0)
            return 1;
    return 0;
}

/* Removes the files of run_id under path (and its partition folders, two
 * deep) that are not among files. */
static int sweep(const char *path, int depth, const char *run_id, const rill__outfile *files,
                 size_t n)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int rc = 0, removed = 0;
    if (d == NULL)
        return errno == ENOENT ? 0 : rill__error(RILL_EIO, "cannot read %s: %s", path,
                                                 strerror(errno));
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char sub[4096];
        struct stat st;
        if (e->d_name[0] == '.' ||
            (size_t)snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >= sizeof(sub) ||
            lstat(sub, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 2 && strchr(e->d_name, '='))
            rc = sweep(sub, depth + 1, run_id, files, n);
        else if (S_ISREG(st.st_mode) && of_run(e->d_name, run_id) && !ours(files, n, sub)) {
            if (unlink(sub) < 0 && errno != ENOENT)
                rc = rill__error(RILL_EIO, "cannot remove %s, a file of an earlier run with "
                                 "run id '%s': %s", sub, run_id, strerror(errno));
            removed = 1;
        }
    }
    closedir(d);
    if (rc == 0 && removed && rill__fsync_dir(path) < 0)
        rc = rill__error(RILL_EIO, "cannot sync %s: %s", path, strerror(errno));
    return rc;
}

int rill__publish(rill__outfile *files, size_t n, const char *dir, const char *run_id)
{
    size_t i;
    int rc, done;
    for (i = 0; i < n; i++) /* all checked before any is renamed */
        if ((rc = check(&files[i], &done)) < 0)
            return rc;
    for (i = 0; i < n; i++) {
        if ((rc = check(&files[i], &done)) < 0)
            return rc;
        if (!done && rename(files[i].tmp, files[i].fin) < 0)
            return rill__error(RILL_EIO, "cannot publish %s: %s", files[i].fin,
                               strerror(errno));
    }
    for (i = 0; i < n; i++) { /* the renames outlive a crash before the state says so */
        const char *prev = i ? strrchr(files[i - 1].fin, '/') : NULL;
        const char *slash = strrchr(files[i].fin, '/');
        if (prev && slash && prev - files[i - 1].fin == slash - files[i].fin &&
            strncmp(files[i - 1].fin, files[i].fin, (size_t)(slash - files[i].fin)) == 0)
            continue; /* the same folder as the file before */
        if (rill__sync_parent(files[i].fin) < 0)
            return rill__error(RILL_EIO, "cannot sync the folder of %s: %s", files[i].fin,
                               strerror(errno));
    }
    return run_id ? sweep(dir, 0, run_id, files, n) : 0;
}

int rill__tmp_open(char *path, size_t cap, const char *dir, const char *name)
{
    int tries, fd = -1;
    for (tries = 0; tries < 16; tries++) {
        unsigned char r[6];
        if (getentropy(r, sizeof(r)) < 0) {
            unsigned long x = (unsigned long)getpid() ^ (unsigned long)path ^ (unsigned long)tries;
            memcpy(r, &x, sizeof(r) < sizeof(x) ? sizeof(r) : sizeof(x));
        }
        if ((size_t)snprintf(path, cap, "%s/.%s.%02x%02x%02x%02x%02x%02x.tmp", dir, name, r[0],
                             r[1], r[2], r[3], r[4], r[5]) >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return fd;
}
