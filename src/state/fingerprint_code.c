/* fingerprint_code.c — what identifies the user's code and external
 * content (include/rill/fingerprint.h): the loaded object holding an
 * address and its GNU build-id, read from the NT_GNU_BUILD_ID note of its
 * loaded program headers (dl_iterate_phdr: no file is opened); an external
 * command's program and script files; and the XXH3-128 hashes of a file and
 * of a folder.
 *
 * The folder hash is a stream over the folder's entries, depth first, the
 * entries of each folder in byte order of their names; each entry is
 * written unambiguously as
 *   u8 kind ('f', 'd', 'l'), u64 length, relative path,
 *   then for 'f': u64 size, its 16-byte hash; for 'l': u64 length, target
 * (integers little-endian), so two different trees cannot give the same
 * stream. */
#include "fingerprint.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/error.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#define CHUNK (64u * 1024)

/* ---- hashing files ---- */

/* Hashes fd to its end; *size: bytes read. 0 or -1 with errno. */
static int hash_fd(unsigned char out[FP_HASH], uint64_t *size, int fd)
{
    XXH3_state_t st;
    XXH128_canonical_t can;
    char *buf = malloc(CHUNK);
    ssize_t got;
    if (buf == NULL) {
        errno = ENOMEM;
        return -1;
    }
    XXH3_INITSTATE(&st);
    XXH3_128bits_reset(&st);
    *size = 0;
    for (;;) {
        got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        XXH3_128bits_update(&st, buf, (size_t)got);
        *size += (uint64_t)got;
    }
    free(buf);
    if (got < 0)
        return -1;
    XXH128_canonicalFromHash(&can, XXH3_128bits_digest(&st));
    memcpy(out, can.digest, FP_HASH);
    return 0;
}

/* Hashes the regular file path (followed when a link); *size may be NULL. */
static int hash_path(unsigned char out[FP_HASH], uint64_t *size, const char *path)
{
    struct stat sb;
    uint64_t n;
    int fd, rc = 0;
    /* O_NONBLOCK: a fifo is refused below instead of waiting for a writer */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        return rill__error_errno(errno, "fingerprints: cannot read %s", path);
    if (fstat(fd, &sb) < 0) {
        rc = rill__error_errno(errno, "fingerprints: cannot read %s", path);
    } else if (S_ISDIR(sb.st_mode)) {
        rc = rill__error(RILL_EISDIR, "fingerprints: %s is a folder, not a file", path);
    } else if (!S_ISREG(sb.st_mode)) {
        rc = rill__error(RILL_EINVAL, "fingerprints: %s is not a regular file", path);
    } else if (hash_fd(out, &n, fd) < 0) {
        rc = rill__error_errno(errno, "fingerprints: cannot read %s", path);
    } else if (size) {
        *size = n;
    }
    close(fd);
    return rc;
}

int rill_fingerprints_hash_file(unsigned char out[RILL_FINGERPRINT_HASH_SIZE], const char *path)
{
    if (out == NULL || path == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_hash_file: a NULL argument");
    return hash_path(out, NULL, path);
}

/* ---- hashing folders ---- */

static void feed_u64(XXH3_state_t *st, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    XXH3_128bits_update(st, b, 8);
}

static void feed_entry(XXH3_state_t *st, char kind, const char *rel)
{
    unsigned char k = (unsigned char)kind;
    size_t n = strlen(rel);
    XXH3_128bits_update(st, &k, 1);
    feed_u64(st, n);
    XXH3_128bits_update(st, rel, n);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without . and ..), sorted: *names (caller frees each
 * and the array), *n. */
static int list_dir(char ***names, size_t *n, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t cap = 0, i;
    int rc = 0;
    *names = NULL;
    *n = 0;
    if (d == NULL)
        return rill__error_errno(errno, "fingerprints: cannot list %s", dir);
    for (;;) {
        errno = 0;
        if ((e = readdir(d)) == NULL) {
            if (errno)
                rc = rill__error_errno(errno, "fingerprints: cannot list %s", dir);
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((rc = rill__fp_grow(&v, &cap, *n, sizeof(*v))) < 0)
            break;
        if ((v[*n] = rill__fp_strdup(e->d_name)) == NULL) {
            rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory listing %s", dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (rc < 0) {
        for (i = 0; i < *n; i++)
            free(v[i]);
        free(v);
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(v, *n, sizeof(*v), by_name);
    *names = v;
    return 0;
}

/* path + "/" + name, or NULL on no memory. */
static char *join(const char *path, const char *name)
{
    size_t a = strlen(path), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, path, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* Feeds the entries of the folder full (rel: its path relative to the
 * top, "" for the top) into st. */
static int hash_tree(XXH3_state_t *st, const char *full, const char *rel)
{
    char **names = NULL, *path = NULL, *sub = NULL, *target = NULL;
    size_t n = 0, i;
    int rc;
    if ((rc = list_dir(&names, &n, full)) < 0)
        return rc;
    for (i = 0; i < n && rc == 0; i++) {
        struct stat sb;
        path = join(full, names[i]);
        sub = rel[0] ? join(rel, names[i]) : rill__fp_strdup(names[i]);
        if (path == NULL || sub == NULL) {
            rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory hashing %s", full);
        } else if (lstat(path, &sb) < 0) {
            rc = rill__error_errno(errno, "fingerprints: cannot read %s", path);
        } else if (S_ISREG(sb.st_mode)) {
            unsigned char h[FP_HASH];
            uint64_t size;
            if ((rc = hash_path(h, &size, path)) == 0) {
                feed_entry(st, 'f', sub);
                feed_u64(st, size);
                XXH3_128bits_update(st, h, FP_HASH);
            }
        } else if (S_ISDIR(sb.st_mode)) {
            feed_entry(st, 'd', sub);
            rc = hash_tree(st, path, sub);
        } else if (S_ISLNK(sb.st_mode)) {
            size_t cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 256;
            ssize_t got;
            for (;;) {
                if ((target = malloc(cap)) == NULL) {
                    rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory hashing %s", path);
                    break;
                }
                if ((got = readlink(path, target, cap)) < 0) {
                    rc = rill__error_errno(errno, "fingerprints: cannot read the link %s", path);
                    break;
                }
                if ((size_t)got < cap) { /* whole */
                    feed_entry(st, 'l', sub);
                    feed_u64(st, (uint64_t)got);
                    XXH3_128bits_update(st, target, (size_t)got);
                    break;
                }
                free(target);
                target = NULL;
                if (cap > SIZE_MAX / 2) {
                    rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory hashing %s", path);
                    break;
                }
                cap *= 2;
            }
        } else {
            rc = rill__error(RILL_EINVAL, "fingerprints: %s is a special file (not a file, a "
                             "folder or a link): a folder's hash cannot hold it", path);
        }
        free(path);
        free(sub);
        free(target);
        path = sub = target = NULL;
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int rill_fingerprints_hash_dir(unsigned char out[RILL_FINGERPRINT_HASH_SIZE], const char *dir)
{
    XXH3_state_t st;
    XXH128_canonical_t can;
    struct stat sb;
    int rc;
    if (out == NULL || dir == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_hash_dir: a NULL argument");
    if (stat(dir, &sb) < 0)
        return rill__error_errno(errno, "fingerprints: cannot read the folder %s", dir);
    if (!S_ISDIR(sb.st_mode))
        return rill__error(RILL_ENOTDIR, "fingerprints: %s is not a folder", dir);
    XXH3_INITSTATE(&st);
    XXH3_128bits_reset(&st);
    if ((rc = hash_tree(&st, dir, "")) < 0)
        return rc;
    XXH128_canonicalFromHash(&can, XXH3_128bits_digest(&st));
    memcpy(out, can.digest, FP_HASH);
    return 0;
}

/* ---- loaded objects ---- */

typedef struct find_object {
    int main_program;    /* 1: the first object (the executable), not by addr */
    uintptr_t addr;
    int found;
    int rc;
    char *name;          /* the object's path as the loader has it ("" main) */
    unsigned char *id;   /* its build-id, when it has one */
    size_t id_len;
} find_object;

/* The build-id in the notes at p (n bytes, entries aligned to align). */
static void build_id_in(find_object *fo, const unsigned char *p, size_t n, size_t align)
{
    size_t at = 0;
    while (n - at >= sizeof(ElfW(Nhdr))) {
        ElfW(Nhdr) h;
        size_t name_len, desc_len, desc_at;
        memcpy(&h, p + at, sizeof(h));
        name_len = ((size_t)h.n_namesz + align - 1) & ~(align - 1);
        desc_len = ((size_t)h.n_descsz + align - 1) & ~(align - 1);
        if (name_len > n - at - sizeof(h) || desc_len > n - at - sizeof(h) - name_len)
            return; /* malformed: no build-id from it */
        desc_at = at + sizeof(h) + name_len;
        if (h.n_type == NT_GNU_BUILD_ID && h.n_namesz == 4 &&
            memcmp(p + at + sizeof(h), "GNU", 4) == 0 && h.n_descsz > 0 &&
            h.n_descsz <= FP_ID_MAX) {
            if ((fo->id = malloc(h.n_descsz)) == NULL) {
                fo->rc = RILL_ENOMEM;
                return;
            }
            memcpy(fo->id, p + desc_at, h.n_descsz);
            fo->id_len = h.n_descsz;
            return;
        }
        at = desc_at + desc_len;
    }
}

static int on_object(struct dl_phdr_info *info, size_t size, void *data)
{
    find_object *fo = data;
    int i, in = 0;
    (void)size;
    in = fo->main_program; /* the loader lists the executable first */
    for (i = 0; i < info->dlpi_phnum && !in; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t from = (uintptr_t)info->dlpi_addr + (uintptr_t)ph->p_vaddr;
        if (ph->p_type == PT_LOAD && fo->addr >= from && fo->addr - from < ph->p_memsz)
            in = 1;
    }
    if (!in)
        return 0;
    fo->found = 1;
    if ((fo->name = rill__fp_strdup(info->dlpi_name ? info->dlpi_name : "")) == NULL) {
        fo->rc = RILL_ENOMEM;
        return 1;
    }
    for (i = 0; i < info->dlpi_phnum && fo->id == NULL && fo->rc == 0; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_NOTE)
            build_id_in(fo, (const unsigned char *)(info->dlpi_addr + ph->p_vaddr),
                        ph->p_memsz, ph->p_align == 8 ? 8 : 4);
    }
    return 1;
}

/* The path of the running executable: /proc/self/exe resolved, else
 * dladdr's name for it. */
static char *exe_path(const char *fallback)
{
    char buf[PATH_MAX + 1];
    ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX);
    if (n > 0) {
        buf[n] = '\0';
        return rill__fp_strdup(buf);
    }
    return rill__fp_strdup(fallback ? fallback : "(the executable)");
}

/* Adds the object fo found (fallback: dladdr's name for it, may be NULL);
 * frees what fo holds. */
static int add_found(rill_fingerprints *f, find_object *fo, const char *fallback)
{
    rill__fp_code c;
    int rc;
    memset(&c, 0, sizeof(c));
    if (fo->rc < 0 || (fo->found && fo->name == NULL)) {
        rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory");
        goto done;
    }
    if (!fo->found) {
        rc = rill__error(RILL_ENOTFOUND, "fingerprints: the address %p is in no loaded "
                         "segment of %s", (void *)fo->addr, fallback ? fallback : "an object");
        goto done;
    }
    if (fo->name[0] != '/') {
        /* the main program (""); or a library dlopen'ed by a relative path,
         * named absolutely so that the working directory does not count */
        char *abs = fo->name[0] ? realpath(fo->name, NULL) : exe_path(fallback);
        if (abs == NULL && fo->name[0] == '\0') {
            rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory");
            goto done;
        }
        if (abs) {
            free(fo->name);
            fo->name = abs;
        }
    }
    c.name = fo->name;
    fo->name = NULL;
    if (fo->id) {
        c.kind = FP_BUILD_ID;
        c.id = fo->id;
        c.id_len = fo->id_len;
        fo->id = NULL;
    } else {
        c.kind = FP_FILE_HASH;
        c.id_len = FP_HASH;
        if ((c.id = malloc(FP_HASH)) == NULL) {
            rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory");
            goto done;
        }
        if ((rc = hash_path(c.id, NULL, c.name)) < 0) {
            char why[512];
            snprintf(why, sizeof(why), "%s", rill_error_last());
            rc = rill__error(rc == RILL_ENOMEM ? rc : RILL_EIO, "fingerprints: %s has no "
                             "build-id and its file cannot be hashed (%s)", c.name, why);
            goto done;
        }
    }
    rc = rill__fp_insert_code(f, &c);
done:
    rill__fp_code_clear(&c);
    free(fo->name);
    free(fo->id);
    return rc;
}

int rill_fingerprints_add_code(rill_fingerprints *f, const void *fn)
{
    Dl_info di;
    find_object fo;
    if (f == NULL || fn == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_code: a NULL argument");
    if (dladdr(fn, &di) == 0)
        return rill__error(RILL_ENOTFOUND, "fingerprints: the address %p is in no loaded "
                           "object", fn);
    memset(&fo, 0, sizeof(fo));
    fo.addr = (uintptr_t)fn;
    dl_iterate_phdr(on_object, &fo);
    return add_found(f, &fo, di.dli_fname);
}

int rill_fingerprints_add_executable(rill_fingerprints *f)
{
    find_object fo;
    if (f == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_executable: f is NULL");
    memset(&fo, 0, sizeof(fo));
    fo.main_program = 1;
    dl_iterate_phdr(on_object, &fo);
    return add_found(f, &fo, NULL);
}

/* ---- external commands ---- */

/* The program file of name: name itself when it holds a '/', else the
 * first executable regular file name in PATH. */
static int find_program(char **out, const char *name)
{
    const char *path = getenv("PATH"), *p;
    struct stat sb;
    *out = NULL;
    if (strchr(name, '/')) {
        if (stat(name, &sb) < 0 || !S_ISREG(sb.st_mode))
            return rill__error(RILL_ENOTFOUND, "fingerprints: the program %s is not a file",
                               name);
        if ((*out = rill__fp_strdup(name)) == NULL)
            return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
        return 0;
    }
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dn = end ? (size_t)(end - p) : strlen(p);
        char *cand = malloc(dn + strlen(name) + 3);
        if (cand == NULL)
            return rill__error(RILL_ENOMEM, "fingerprints: out of memory");
        if (dn == 0)
            sprintf(cand, "./%s", name);
        else
            sprintf(cand, "%.*s/%s", (int)dn, p, name);
        if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0) {
            *out = cand;
            return 0;
        }
        free(cand);
        if (end == NULL)
            break;
        p = end;
    }
    return rill__error(RILL_ENOTFOUND, "fingerprints: the program %s is not in PATH", name);
}

int rill_fingerprints_add_command(rill_fingerprints *f, const char *const *argv)
{
    rill__fp_command c;
    uint32_t n = 0, i;
    int rc = 0;
    if (f == NULL || argv == NULL || argv[0] == NULL)
        return rill__error(RILL_EINVAL, "rill_fingerprints_add_command: no command");
    while (argv[n] != NULL) {
        if (n == UINT32_MAX - 1)
            return rill__error(RILL_EINVAL, "fingerprints: a command of too many arguments");
        n++;
    }
    memset(&c, 0, sizeof(c));
    if ((c.argv = calloc(n, sizeof(*c.argv))) == NULL ||
        (c.files = calloc(n, sizeof(*c.files))) == NULL) {
        rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory");
        goto done;
    }
    for (c.argc = 0; c.argc < n; c.argc++)
        if ((c.argv[c.argc] = rill__fp_strdup(argv[c.argc])) == NULL) {
            rc = rill__error(RILL_ENOMEM, "fingerprints: out of memory");
            goto done;
        }
    if ((rc = find_program(&c.program, argv[0])) < 0 ||
        (rc = hash_path(c.program_hash, NULL, c.program)) < 0)
        goto done;
    for (i = 1; i < n; i++) {
        struct stat sb;
        if (argv[i][0] == '\0' || stat(argv[i], &sb) < 0 || !S_ISREG(sb.st_mode))
            continue;
        if ((rc = hash_path(c.files[c.nfiles].hash, NULL, argv[i])) < 0)
            goto done;
        c.files[c.nfiles++].arg = i;
    }
    rc = rill__fp_insert_command(f, &c);
done:
    rill__fp_command_clear(&c);
    return rc;
}
