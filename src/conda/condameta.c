/* condameta.c — see condameta.h. */
#include "condameta.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "msg.h"
#include "repodata.h"

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Read one conda-meta record; 0 when it is package NAME. */
static int read_record(const char *path, const char *name, struct condameta_pkg *out)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        file_read(path, CONDAMETA_MAX_BYTES, &text, &len, NULL) != 0)
        return -1;
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    const char *n = str_of(j, "name"), *v = str_of(j, "version"), *b = str_of(j, "build");
    int rc = -1;
    if (n && !strcmp(n, name) && repodata_valid_version(v) && b && repodata_valid_build(b)) {
        out->name = xstrdup(n);
        out->version = xstrdup(v);
        out->build = xstrdup(b);
        rc = 0;
    }
    cJSON_Delete(j);
    return rc;
}

int condameta_find(const char *prefix, const char *name, struct condameta_pkg *out)
{
    memset(out, 0, sizeof *out);
    if (!prefix || !name)
        return -1;
    char *dir = xasprintf("%s/conda-meta", prefix);
    DIR *d = opendir(dir);
    int rc = -1;
    size_t nl = strlen(name);
    for (struct dirent *e; d && rc && (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l <= nl + 6 || strncmp(e->d_name, name, nl) || e->d_name[nl] != '-' ||
            strcmp(e->d_name + l - 5, ".json"))
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        rc = read_record(path, name, out);
        free(path);
    }
    if (d)
        closedir(d);
    free(dir);
    return rc;
}

void condameta_pkg_free(struct condameta_pkg *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->version);
    free(p->build);
    memset(p, 0, sizeof *p);
}
