/* hostprobe.c — see hostprobe.h. */
#include "hostprobe.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "proc.h"

static int is_executable(const char *path)
{
    return host_is_file(path) && access(path, X_OK) == 0;
}

char *host_which(const char *name)
{
    if (!name || !*name)
        return NULL;
    if (strchr(name, '/'))
        return is_executable(name) ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0 && p[0] == '/') {
            char *cand = xasprintf("%.*s/%s", (int)len, p, name);
            if (is_executable(cand))
                return cand;
            free(cand);
        }
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}

int host_run(const char *path, char *const argv[], int timeout_ms, char **out, int *status,
             char **err)
{
    struct proc p;
    proc_init(&p, HOST_RUN_MAX);
    *status = -1;
    int rc = proc_start(&p, path, argv,
                        PROC_STDIN_NULL | PROC_OUT | PROC_ERR_NULL | PROC_GROUP | PROC_CLOSE_FDS,
                        err);
    if (rc == 0) {
        int st = proc_finish(&p, now_ms() + timeout_ms);
        if (st == PROC_TIMEOUT)
            rc = seterr(err, "%s did not answer within %d ms, killed", path, timeout_ms);
        else
            *status = st;
    }
    *out = buf_detach(&p.out[PROC_FD_OUT], NULL);
    proc_free(&p);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int host_list_dir(const char *dir, struct strv *names)
{
    strv_clear(names);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            strv_push(names, de->d_name);
    closedir(d);
    if (names->n > 1)
        qsort(names->v, names->n, sizeof *names->v, cmp_str);
    return 0;
}

int host_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int host_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
