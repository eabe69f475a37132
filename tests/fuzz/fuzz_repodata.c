/* fuzz_repodata.c — repodata_parse (src/conda/repodata.h) on arbitrary
 * bytes, exactly len of them (no terminating NUL: the contract is (json,
 * len)); the same through repodata_parse_tree, which must agree on the
 * record count; the parsed index through serialize/deserialize and back;
 * and the raw input as a compact blob (repodata_index_deserialize must
 * reject what it cannot trust, never crash). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repodata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct repodata_index *idx)
{
    char *buf = NULL;
    size_t len = 0;
    if (repodata_index_serialize(idx, &buf, &len) != 0)
        return;
    struct repodata_index back = { 0 };
    if (repodata_index_deserialize(buf, len, &back) != 0 || back.n != idx->n)
        abort();
    for (size_t i = 0; i < back.n; i++)
        if (strcmp(back.recs[i].name, idx->recs[i].name) ||
            strcmp(back.recs[i].build, idx->recs[i].build) ||
            back.recs[i].n_depends != idx->recs[i].n_depends)
            abort();
    /* merging dedups (same subdir and file name), also within one index;
     * merging the same records again adds nothing */
    struct repodata_index merged = { 0 };
    size_t added = repodata_index_merge(&merged, &back);
    if (added != merged.n || merged.n > back.n || repodata_index_merge(&merged, idx) != 0 ||
        merged.n != added)
        abort();
    const struct repodata_record *r[4];
    repodata_find(&merged, "pytorch", r, 4);
    repodata_index_free(&merged);
    repodata_index_free(&back);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so ASan sees any read past len */
    char *json = malloc(size ? size : 1);
    if (!json)
        abort();
    if (size)
        memcpy(json, data, size);
    for (int pass = 0; pass < 2; pass++) {
        const char *const *names = pass ? NULL : repodata_default_names;
        struct repodata_index idx = { 0 }, tree = { 0 };
        char *err = NULL, *err2 = NULL;
        int r = repodata_parse(json, size, names, &idx, &err);
        int r2 = repodata_parse_tree(json, size, names, &tree, &err2);
        if (r == 0 && r2 == 0 && (idx.n != tree.n || idx.skipped != tree.skipped))
            abort();  /* "the results are the same" (repodata.h) */
        if (r == 0)
            roundtrip(&idx);
        free(err);
        free(err2);
        repodata_index_free(&idx);
        repodata_index_free(&tree);
    }
    struct repodata_index blob = { 0 };
    if (repodata_index_deserialize(json, size, &blob) == 0)
        roundtrip(&blob);
    repodata_index_free(&blob);
    free(json);
    return 0;
}
