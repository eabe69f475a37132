/* cmd_cache.c — torchshim cache info | cache clean [--older-than SECONDS]
 * [--keep N]: the cache of indexes (cache.h) and the wheel store of
 * prefetched wheels (wheelstore.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "commands.h"
#include "msg.h"
#include "progress.h"
#include "wheelstore.h"

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

/* The wheel store's part of `cache info`. */
static int store_info(const char *store)
{
    struct wheelstore_info si;
    char *err = NULL, size[32], done[16], total[16];
    if (wheelstore_scan(store, &si, &err)) {
        errorf("%s", err);
        free(err);
        return 1;
    }
    human(si.wheel_bytes, size, sizeof size);
    printf("wheel store: %s\n%zu wheels, %s", store, si.nwheels, size);
    human(si.part_bytes, size, sizeof size);
    printf("; %zu unfinished downloads, %s\n", si.nparts, size);
    for (size_t i = 0; i < si.n; i++) {
        const struct wheelstore_entry *e = &si.v[i];
        human(e->bytes, size, sizeof size);
        if (e->kind == WS_WHEEL) {
            printf("  wheel  %10s  %s\n", size, e->name);
            continue;
        }
        dl_human_bytes(e->done, done, sizeof done);
        dl_human_bytes(e->size, total, sizeof total);
        printf("  part   %10s  %s (%s of %s%s)\n", size, e->name, done, e->size >= 0 ? total : "?",
               e->busy ? ", downloading now" : "");
    }
    wheelstore_info_clear(&si);
    return 0;
}

static int store_clean(const char *store, long long keep, long long older)
{
    size_t removed = 0;
    unsigned long long freed = 0;
    char *err = NULL, size[32];
    if (wheelstore_clean(store, keep, older, &removed, &freed, &err)) {
        errorf("%s", err);
        free(err);
        return 1;
    }
    human(freed, size, sizeof size);
    printf("removed %zu files (%s) from %s\n", removed, size, store);
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

enum { OPT_OLDER_THAN = 100, OPT_KEEP };

static const struct optdef cache_opts[] = {
    { "older-than", 0, 1, OPT_OLDER_THAN },
    { "keep", 0, 1, OPT_KEEP },
    OPTDEF_END,
};

/* Option ID as a count >= 0 into *out (-1 when absent); -1 when malformed. */
static int count_opt(const struct cmd_ctx *c, int id, long long *out)
{
    const char *v = cmd_opt(c, id);
    char *end = NULL;
    *out = v ? strtoll(v, &end, 10) : -1;
    return v && (end == v || *end || *out < 0) ? -1 : 0;
}

static int run(struct cmd_ctx *c)
{
    const char *dir = cache_dir_default();
    const char *sub = c->args.n ? c->args.v[0] : "info";
    long long older, keep;
    if (c->args.n > 1)
        return cmd_usage_error(c, "one subcommand: info or clean");
    int is_info = !strcmp(sub, "info") && !cmd_has(c, OPT_OLDER_THAN) && !cmd_has(c, OPT_KEEP);
    if (!is_info && strcmp(sub, "clean"))
        return cmd_usage_error(c, "'%s': info or clean [--older-than SECONDS] [--keep N]", sub);
    if (count_opt(c, OPT_OLDER_THAN, &older))
        return cmd_usage_error(c, "--older-than %s: a number of seconds", cmd_opt(c, OPT_OLDER_THAN));
    if (count_opt(c, OPT_KEEP, &keep))
        return cmd_usage_error(c, "--keep %s: a number of wheels", cmd_opt(c, OPT_KEEP));
    char *store = wheelstore_dir(c->have_cfg ? &c->cfg : NULL);
    if (!dir && !store) {
        errorf("no cache directory: set TORCHSHIM_CACHE_DIR or HOME");
        return 1;
    }
    int r = 0;
    if (dir && !(keep >= 0 && older < 0))  /* --keep alone concerns the wheels only */
        r |= is_info ? info(dir) : clean(dir, older);
    if (store)
        r |= is_info ? store_info(store) : store_clean(store, keep, older);
    free(store);
    return r;
}

const struct engine_cmd cmd_cache = {
    "cache", run, CMD_CONFIG | CMD_SOFT_CONFIG, cache_opts,
    "usage: torchshim cache [info]\n"
    "       torchshim cache clean [--older-than SECONDS] [--keep N]\n"
    "\n"
    "  info    where the cache is and what it holds; the wheel store (prefetched\n"
    "          wheels, [prefetch] dir) and its unfinished downloads\n"
    "  clean   remove fetched indexes (those older than SECONDS), corrupt entries\n"
    "          and what interrupted writers left, rewritten copies of requirements\n"
    "          and environment files (not those of the last minute); the wheel\n"
    "          store's wheels (those older than SECONDS) and unfinished downloads\n"
    "  --keep N  keep the N most recently downloaded wheels (the indexes are\n"
    "          left alone unless --older-than is given too)\n",
};
