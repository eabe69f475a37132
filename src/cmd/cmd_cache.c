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

int cmd_cache(int argc, char **argv)
{
    const char *dir = cache_dir_default();
    const char *sub = argc > 1 ? argv[1] : "info";
    char *err = NULL;
    char size[32];
    if (!dir)
        die(1, "no cache directory: set TORCHSHIM_CACHE_DIR or HOME");
    if (!strcmp(sub, "info")) {
        struct cache_info ci;
        if (cache_info(dir, &ci, &err))
            die(1, "%s", err);
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
    if (!strcmp(sub, "clean")) {
        long long older = -1;
        if (argc > 3 && !strcmp(argv[2], "--older-than"))
            older = atoll(argv[3]);
        size_t removed = 0;
        unsigned long long freed = 0;
        if (cache_clean(dir, older, &removed, &freed, &err))
            die(1, "%s", err);
        human(freed, size, sizeof size);
        printf("removed %zu files (%s) from %s\n", removed, size, dir);
        return 0;
    }
    errorf("usage: torchshim cache info | torchshim cache clean [--older-than SECONDS]");
    return 2;
}
