/* forge-scan.c — bench/conda-forge.sh's driver: select a few names' records
 * from a conda-forge-sized channel the three ways torchshim can.
 *
 *   forge-scan scan FILE [--chunk N] [--save BLOB] NAME...
 *       cold: repodata_scan_file() over FILE (.json, .json.zst, ...); with
 *       --save, the kept records' compact index is written to BLOB
 *   forge-scan warm BLOB NAME...
 *       warm: repodata_index_deserialize() of BLOB
 *   forge-scan shards SUBDIR_DIR NAME...
 *       CEP 16: SUBDIR_DIR/repodata_shards.msgpack.zst, then each name's
 *       shard file (URL resolved with shards_url() against a file:// URL)
 *
 * Prints "<records> records (<skipped> skipped) in <ms> ms" on stdout;
 * exit 1 on any error. Built by bench/conda-forge.sh against
 * build/libtorchshim.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"
#include "repodata.h"
#include "shards.h"

static int report(const struct repodata_index *idx, long long t0)
{
    printf("%zu records (%zu skipped) in %lld ms\n", idx->n, idx->skipped, now_ms() - t0);
    return idx->n ? 0 : 1;
}

static int do_scan(int argc, char **argv)
{
    const char *file = argv[0], *save = NULL;
    struct repodata_scan_opts o = { 0 };
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--chunk"))
            o.chunk = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--save"))
            save = argv[i + 1];
    }
    struct repodata_index idx;
    char *err = NULL;
    long long t0 = now_ms();
    if (repodata_scan_file(file, (const char *const *)argv + i, &o, &idx, &err) != 0)
        die(1, "%s", err);
    int rc = report(&idx, t0);
    if (save) {
        char *blob;
        size_t len;
        if (repodata_index_serialize(&idx, &blob, &len) != 0 ||
            file_write_atomic(save, NULL, 0, blob, len, 0644, &err) != 0)
            die(1, "cannot save %s: %s", save, err ? err : "serialize failed");
        free(blob);
    }
    repodata_index_free(&idx);
    return rc;
}

static int do_warm(char **argv)
{
    char *blob, *err = NULL;
    size_t len;
    long long t0 = now_ms();
    if (file_read(argv[0], (size_t)1 << 30, &blob, &len, &err) != 0)
        die(1, "cannot read %s: %s", argv[0], err ? err : "missing");
    struct repodata_index idx;
    int rc = repodata_index_deserialize(blob, len, &idx);
    if (rc != 0)
        die(1, "%s: %s", argv[0], repodata_strerror(rc));
    free(blob);
    rc = report(&idx, t0);
    repodata_index_free(&idx);
    return rc;
}

static int load_shard(const struct shards_index *ix, const char *dir, const char *name,
                      struct repodata_index *all)
{
    char *err = NULL, *body, *base = xasprintf("file://%s/repodata_shards.msgpack.zst", dir);
    char *url = shards_url(ix, base, name, &err);
    size_t len;
    struct repodata_index one;
    free(base);
    if (!url)
        return err ? (die(1, "%s", err), -1) : 0;
    if (file_read(url + strlen("file://"), SHARDS_MAX_BYTES, &body, &len, &err) != 0 ||
        shards_load(ix, name, body, len, NULL, &one, &err) != 0)
        die(1, "%s: %s", url, err ? err : "missing");
    repodata_index_merge(all, &one);
    repodata_index_free(&one);
    free(body);
    free(url);
    return 0;
}

static int do_shards(int argc, char **argv)
{
    char *err = NULL, *body;
    size_t len;
    long long t0 = now_ms();
    char *path = xasprintf("%s/repodata_shards.msgpack.zst", argv[0]);
    struct shards_index ix;
    if (file_read(path, SHARDS_MAX_BYTES, &body, &len, &err) != 0 ||
        shards_index_parse(body, len, &ix, &err) != 0)
        die(1, "%s: %s", path, err ? err : "missing");
    free(body);
    free(path);
    struct repodata_index all = { 0 };
    for (int i = 1; i < argc; i++)
        load_shard(&ix, argv[0], argv[i], &all);
    int rc = report(&all, t0);
    repodata_index_free(&all);
    shards_index_free(&ix);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die(2, "usage: forge-scan scan FILE [--chunk N] [--save BLOB] NAME... | "
               "warm BLOB NAME... | shards SUBDIR_DIR NAME...");
    if (!strcmp(argv[1], "scan"))
        return do_scan(argc - 2, argv + 2);
    if (!strcmp(argv[1], "warm"))
        return do_warm(argv + 2);
    if (!strcmp(argv[1], "shards"))
        return do_shards(argc - 2, argv + 2);
    die(2, "forge-scan: unknown mode %s", argv[1]);
}
