/* cmd_cache.c — torchshim cache info | cache clean [--older-than SECONDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "commands.h"
#include "msg.h"

static void human(unsigned long long b, char *out, size_t n)
{
    if (b >= 1048576)
        snprintf(out, n, "%.1f MiB", (double)b / 1048576.0);
    else if (b >= 1024)
        snprintf(out, n, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(out, n, "%llu B", b);
}

static int info(const char *dir)
{
    struct cache_info ci;
    char *err = NULL, size[32];
    if (cache_info(dir, &ci, &err)) {
        errorf("%s", err);
        free(err);
        return 1;
    }
    human(ci.bytes, size, sizeof size);
    printf("cache: %s\n%zu index files, %zu compact indexes, %s\n", dir, ci.nhttp, ci.nblob,
           size);
    for (size_t i = 0; i < ci.n; i++) {
        const struct cache_item *it = &ci.items[i];
        human(it->bytes, size, sizeof size);
        printf("  %-6s %10s  %6llds old  %s%s\n", it->kind == CACHE_HTTP ? "fetch" : "index",
               size, it->age, it->name, it->corrupt ? "  (corrupt)" : "");
    }
    cache_info_clear(&ci);
    return 0;
}

static int clean(const char *dir, long long older)
{
    size_t removed = 0;
    unsigned long long freed = 0;
    char *err = NULL, size[32];
    if (cache_clean(dir, older, &removed, &freed, &err)) {
        errorf("%s", err);
        free(err);
        return 1;
    }
    human(freed, size, sizeof size);
    printf("removed %zu files (%s) from %s\n", removed, size, dir);
    return 0;
}

enum { OPT_OLDER_THAN = 100 };

static const struct optdef cache_opts[] = {
    { "older-than", 0, 1, OPT_OLDER_THAN },
    OPTDEF_END,
};

static int run(struct cmd_ctx *c)
{
    const char *dir = cache_dir_default();
    const char *sub = c->args.n ? c->args.v[0] : "info";
    if (!dir) {
        errorf("no cache directory: set TORCHSHIM_CACHE_DIR or HOME");
        return 1;
    }
    if (c->args.n > 1)
        return cmd_usage_error(c, "one subcommand: info or clean");
    if (!strcmp(sub, "info") && !cmd_has(c, OPT_OLDER_THAN))
        return info(dir);
    if (strcmp(sub, "clean"))
        return cmd_usage_error(c, "'%s': info or clean [--older-than SECONDS]", sub);
    const char *v = cmd_opt(c, OPT_OLDER_THAN);
    char *end = NULL;
    long long older = v ? strtoll(v, &end, 10) : -1;
    if (v && (end == v || *end || older < 0))
        return cmd_usage_error(c, "--older-than %s: a number of seconds", v);
    return clean(dir, older);
}

const struct engine_cmd cmd_cache = {
    "cache", run, 0, cache_opts,
    "usage: torchshim cache [info]\n"
    "       torchshim cache clean [--older-than SECONDS]\n"
    "\n"
    "  info    where the cache is and what it holds\n"
    "  clean   remove fetched indexes (those older than SECONDS), corrupt entries\n"
    "          and what interrupted writers left\n",
};
