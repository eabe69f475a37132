/* wheelstore.c — see wheelstore.h. */
#include "wheelstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
#include "msg.h"
#include "partfile.h"

char *wheelstore_dir(const struct config *cfg)
{
    if (cfg && cfg->prefetch_dir)
        return xstrdup(cfg->prefetch_dir);
    const char *cache = cache_dir_default();
    return cache ? xasprintf("%s/wheels", cache) : NULL;
}

char *wheelstore_stamps(const char *dir)
{
    return xasprintf("%s/" WHEELSTORE_STAMPS, dir);
}

int wheelstore_prepare(const char *dir, char **err)
{
    return mkdir_p(dir, 0700, err);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

/* Is the part file PATH locked by a download in progress? */
static int part_busy(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), busy = 0;
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        busy = errno == EWOULDBLOCK;
    else
        flock(fd, LOCK_UN);
    close(fd);
    return busy;
}

static void add_part(struct wheelstore_info *si, const char *dir, const char *name,
                     const struct stat *st)
{
    struct wheelstore_entry *e = &si->v[si->n++];
    e->kind = WS_PART;
    e->name = xstrndup(name, strlen(name) - strlen(PART_SUFFIX));
    e->bytes = (unsigned long long)st->st_blocks * 512ULL;
    e->mtime = (long long)st->st_mtime;
    e->done = 0;
    e->size = -1;
    char *part = xasprintf("%s/%s", dir, name);
    char *state = xasprintf("%s/%s" STATE_SUFFIX, dir, e->name);
    struct part_state ps;
    struct stat sst;
    char *err = NULL;
    part_state_init(&ps);
    if (part_state_load(state, &ps, &err) == 0) {
        e->size = ps.size;
        e->done = rangeset_total(&ps.done);
    }
    if (stat(state, &sst) == 0) {
        e->bytes += (unsigned long long)sst.st_size;
        if ((long long)sst.st_mtime > e->mtime)
            e->mtime = (long long)sst.st_mtime;
    }
    e->busy = part_busy(part);
    part_state_clear(&ps);
    free(err);
    free(part);
    free(state);
    si->part_bytes += e->bytes;
    si->nparts++;
}

static int cmp_entries(const void *a, const void *b)
{
    const struct wheelstore_entry *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->kind == WS_WHEEL && x->mtime != y->mtime)
        return x->mtime > y->mtime ? -1 : 1;  /* newest first */
    return strcmp(x->name, y->name);
}

int wheelstore_scan(const char *dir, struct wheelstore_info *si, char **err)
{
    memset(si, 0, sizeof *si);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : seterr(err, "cannot read %s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        int wheel = ends_with(de->d_name, ".whl"), part = ends_with(de->d_name, ".whl" PART_SUFFIX);
        struct stat st;
        if ((!wheel && !part) || de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) ||
            !S_ISREG(st.st_mode))
            continue;
        if (si->n == cap) {
            cap = cap ? cap * 2 : 16;
            si->v = xrealloc(si->v, cap * sizeof *si->v);
        }
        if (part) {
            add_part(si, dir, de->d_name, &st);
            continue;
        }
        struct wheelstore_entry *e = &si->v[si->n++];
        memset(e, 0, sizeof *e);
        e->kind = WS_WHEEL;
        e->name = xstrdup(de->d_name);
        e->bytes = (unsigned long long)st.st_size;
        e->mtime = (long long)st.st_mtime;
        e->size = e->done = (int64_t)st.st_size;
        si->nwheels++;
        si->wheel_bytes += e->bytes;
    }
    closedir(d);
    if (si->n)
        qsort(si->v, si->n, sizeof *si->v, cmp_entries);
    return 0;
}

void wheelstore_info_clear(struct wheelstore_info *si)
{
    for (size_t i = 0; i < si->n; i++)
        free(si->v[i].name);
    free(si->v);
    memset(si, 0, sizeof *si);
}

/* unlink DIR/NAME SUFFIX, counting it. */
static void drop(const char *dir, const char *name, const char *suffix, size_t *removed,
                 unsigned long long *freed)
{
    char *p = xasprintf("%s/%s%s", dir, name, suffix);
    struct stat st;
    if (lstat(p, &st) == 0 && unlink(p) == 0) {
        (*removed)++;
        *freed += (unsigned long long)st.st_size;
    }
    free(p);
}

/* Stamps whose wheel is gone. */
static void drop_orphan_stamps(const char *dir, size_t *removed, unsigned long long *freed)
{
    char *sdir = wheelstore_stamps(dir);
    DIR *d = opendir(sdir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *w = xasprintf("%s/%s", dir, de->d_name);
        if (access(w, F_OK) < 0 && errno == ENOENT)
            drop(sdir, de->d_name, "", removed, freed);
        free(w);
    }
    if (d)
        closedir(d);
    free(sdir);
}

/* Links whose wheel is gone, and link directories left empty. */
static void drop_dangling_links(const char *dir, size_t *removed)
{
    char *ldir = xasprintf("%s/" WHEELSTORE_LINKS, dir);
    DIR *d = opendir(ldir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *sub = xasprintf("%s/%s", ldir, de->d_name);
        DIR *s = opendir(sub);
        struct dirent *le;
        while (s && (le = readdir(s))) {
            struct stat st;
            if (le->d_name[0] != '.' && fstatat(dirfd(s), le->d_name, &st, 0) < 0 &&
                errno == ENOENT && unlinkat(dirfd(s), le->d_name, 0) == 0)
                (*removed)++;
        }
        if (s)
            closedir(s);
        rmdir(sub);  /* only when empty */
        free(sub);
    }
    if (d)
        closedir(d);
    free(ldir);
}

int wheelstore_clean(const char *dir, long long keep, long long older_than, size_t *removed,
                     unsigned long long *freed, char **err)
{
    size_t rm = 0;
    unsigned long long fr = 0;
    struct wheelstore_info si;
    if (wheelstore_scan(dir, &si, err))
        return -1;
    long long now = (long long)time(NULL);
    char *sdir = wheelstore_stamps(dir);
    size_t kept = 0;
    for (size_t i = 0; i < si.n; i++) {
        const struct wheelstore_entry *e = &si.v[i];
        int old = older_than < 0 || now - e->mtime > older_than;
        if (e->kind == WS_WHEEL) {
            int beyond = keep >= 0 && kept >= (size_t)keep;
            int go = keep < 0 && older_than < 0 ? 1 : beyond || (older_than >= 0 && old);
            if (!go) {
                kept++;
                continue;
            }
            drop(dir, e->name, "", &rm, &fr);
            drop(sdir, e->name, "", &rm, &fr);
        } else if (!e->busy && old) {
            drop(dir, e->name, PART_SUFFIX, &rm, &fr);
            drop(dir, e->name, STATE_SUFFIX, &rm, &fr);
        }
    }
    drop_orphan_stamps(dir, &rm, &fr);
    drop_dangling_links(dir, &rm);
    free(sdir);
    wheelstore_info_clear(&si);
    if (removed)
        *removed = rm;
    if (freed)
        *freed = fr;
    return 0;
}
