/* fuzz_reqfile.c — the requirements-file reader (src/pip/reqfile.h): the
 * input is written to a file of its own in a private temporary directory
 * (relative -r/-c names resolve there: reqfile.h) and
 * processed with hooks that do what the engine's do: pin torch lines and
 * rewrite the official index, so rewritten copies are written into an
 * output directory, which is emptied after each run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "pipcmd.h"
#include "reqfile.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_option(void *ctx, const char *file, int opt, const char *value,
                      struct strv *out)
{
    (void)ctx;
    (void)file;
    if (opt == PIP_INDEX_URL && value && strstr(value, "download.pytorch.org"))
        strv_push(out, "--find-links http://127.0.0.1/pytorch-wheels/cu121");
}

static void on_requirement(void *ctx, const char *file, const char *req, struct strv *out)
{
    (void)ctx;
    (void)file;
    if (!strncmp(req, "torch", 5))
        strv_push(out, "torch==2.3.1+cu121");
}

static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char outdir[256];
    if (!outdir[0]) {
        snprintf(outdir, sizeof outdir, "%s/out", fuzz_tmpdir());
        mkdir(outdir, 0700);
    }
    const char *path = fuzz_tmpfile(data, size, "requirements.txt");
    struct reqfile_hooks hooks = { on_option, on_requirement, NULL };
    char *rewritten = NULL, *err = NULL;
    (void)reqfile_process(path, &hooks, outdir, &rewritten, &err);
    free(rewritten);
    free(err);
    rewritten = err = NULL;
    (void)reqfile_process(path, &hooks, NULL, &rewritten, &err);
    free(rewritten);
    free(err);
    empty_dir(outdir);
    return 0;
}
