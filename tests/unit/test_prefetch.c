/* test_prefetch.c — prefetch without the network: the [prefetch]
 * configuration, the pip side's pieces (which command qualifies, quiet,
 * which requirements may be rewritten, file URLs, direct references, safe
 * file names), reuse of a file already there (stamps, hashing, the archive
 * check) and the wheel store's scan and clean. Real files in a temp dir;
 * wheels are real zips written by python3's zipfile. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "msg.h"
#include "partfile.h"
#include "pipfetch.h"
#include "pipjob.h"
#include "prefetch.h"
#include "testutil.h"
#include "verify.h"
#include "wheelstore.h"

static void spit(const char *path, const char *text)
{
    char *err = NULL;
    if (file_write_atomic(path, text, strlen(text), NULL, 0, 0644, &err))
        fail_msg("%s", err);
}

/* A real wheel at PATH: pkg/__init__.py, pkg/data.bin (SIZE bytes), and
 * a dist-info with METADATA; the same bytes every time (fixed dates). */
static void make_wheel(const char *path, int size)
{
    int r = run_cmd("python3 -c \"import zipfile, sys\n"
                    "def put(z, name, data):\n"
                    "    z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)\n"
                    "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
                    "    put(z, 'pkg/__init__.py', '')\n"
                    "    put(z, 'pkg/data.bin', bytes(range(256)) * (int(sys.argv[2]) // 256))\n"
                    "    put(z, 'pkg-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\\\nName: pkg\\\\nVersion: 1.0\\\\n')\n"
                    "\" '%s' %d",
                    path, size);
    assert_int_equal(r, 0);
}

static void sha_of_file(const char *path, char *out)
{
    struct dl_hash h;
    int fd = open(path, O_RDONLY);
    struct stat st;
    assert_true(fd >= 0 && fstat(fd, &st) == 0);
    assert_int_equal(dl_hash_init(&h, 0, NULL), 0);
    assert_int_equal(dl_hash_file(&h, fd, 0, st.st_size, NULL), 0);
    dl_hash_final(&h, out, NULL);
    dl_hash_free(&h);
    close(fd);
}

/* ---- configuration ------------------------------------------------------ */

static int load_user(struct config *c, const char *text, char **err)
{
    char *path = xasprintf("%s/user.ini", test_home);
    spit(path, text);
    int r = config_load_files(c, NULL, path, err);
    free(path);
    return r;
}

static void test_config_prefetch(void **state)
{
    (void)state;
    test_env_reset(test_home);
    struct config c;
    char *err = NULL;
    assert_int_equal(load_user(&c, "[use]\n", &err), 0);
    assert_int_equal(c.prefetch_enabled, PREFETCH_AUTO);
    assert_int_equal(c.prefetch_threshold, 100LL << 20);
    assert_int_equal(c.prefetch_connections, 8);
    assert_null(c.prefetch_dir);
    config_free(&c);

    assert_int_equal(load_user(&c, "[prefetch]\nenabled = always\nthreshold = 2G\n"
                                   "connections = 16\ndir = ~/wheels\n", &err), 0);
    assert_int_equal(c.prefetch_enabled, PREFETCH_ALWAYS);
    assert_int_equal(c.prefetch_threshold, 2LL << 30);
    assert_int_equal(c.prefetch_connections, 16);
    char *want = xasprintf("%s/wheels", test_home);
    assert_string_equal(c.prefetch_dir, want);
    free(want);
    assert_int_equal(c.warnings.n, 0);
    config_free(&c);

    /* the shipped file has the section with the defaults, and no warnings */
    assert_int_equal(config_load(&c, &err), 0);
    assert_int_equal(c.prefetch_enabled, PREFETCH_AUTO);
    assert_int_equal(c.prefetch_threshold, 100LL << 20);
    assert_int_equal(c.warnings.n, 0);
    config_free(&c);

    static const char *const bad[] = {
        "[prefetch]\nenabled = maybe\n",  "[prefetch]\nthreshold = 10X\n",
        "[prefetch]\nthreshold = -1\n",    "[prefetch]\nconnections = 0\n",
        "[prefetch]\nconnections = 65\n",  "[prefetch]\ndir = relative/wheels\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (load_user(&c, bad[i], &err) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(strstr(err, "[prefetch]"));
        free(err);
        err = NULL;
        config_free(&c);
    }
    assert_int_equal(load_user(&c, "[prefetch]\nspeed = fast\n", &err), 0);
    assert_int_equal(c.warnings.n, 1);
    assert_non_null(strstr(c.warnings.v[0], "unknown key 'speed'"));
    config_free(&c);
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct { const char *in; long long out; } ok[] = {
        { "0", 0 }, { "1048576", 1048576 }, { "100M", 100LL << 20 }, { "100m", 100LL << 20 },
        { "512K", 512LL << 10 }, { "2G", 2LL << 30 }, { "3GiB", 3LL << 30 }, { "10MB", 10LL << 20 },
        { "42B", 42 },
    };
    static const char *const bad[] = { "", "M", "-1", "1.5G", "10X", "10 M", "10Mi", "1T",
                                       "99999999999999999999" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        long long v = -7;
        if (config_parse_size(ok[i].in, &v) || v != ok[i].out)
            fail_msg("%s: got %lld", ok[i].in, v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long long v;
        if (config_parse_size(bad[i], &v) == 0)
            fail_msg("accepted %s", bad[i]);
    }
}

/* ---- the pip side's pieces ---------------------------------------------- */

static void test_file_url_and_names(void **state)
{
    (void)state;
    char *u = pipfetch_file_url("/home/a b/w/torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl");
    assert_string_equal(u, "file:///home/a%20b/w/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl");
    free(u);
    u = pipfetch_file_url("/x/%;#?@.whl");
    assert_string_equal(u, "file:///x/%25%3B%23%3F%40.whl");
    free(u);

    char *n = pipfetch_wheel_filename(
        "https://m.example/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl#sha256=ab");
    assert_string_equal(n, "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl");
    free(n);
    n = pipfetch_wheel_filename("https://m.example/f/torch-2.3.1-cp312-none-any.whl?token=1");
    assert_string_equal(n, "torch-2.3.1-cp312-none-any.whl");
    free(n);
    static const char *const unsafe[] = {
        "https://m.example/whl/",                                   /* no name */
        "https://m.example/whl/torch-2.3.1.tar.gz",                 /* not a wheel */
        "https://m.example/whl/..%2Ftorch-2.3.1-cp312-none-any.whl", /* a slash inside */
        "https://m.example/whl/.torch-2.3.1-cp312-none-any.whl",    /* hidden */
        "https://m.example/whl/%2E%2E",
    };
    for (size_t i = 0; i < sizeof unsafe / sizeof *unsafe; i++) {
        n = pipfetch_wheel_filename(unsafe[i]);
        if (n)
            fail_msg("%s gave %s", unsafe[i], n);
    }
}

static void test_direct_reference(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "torch==2.3.1+cu121", "torch @ file:///s/t.whl" },
        { "torch[opt-einsum,x]==2.3.1+cu121 ; python_version >= \"3.8\"",
          "torch[opt-einsum,x] @ file:///s/t.whl ; python_version >= \"3.8\"" },
        { "Torch_Vision==0.18.1+cu121;sys_platform=='linux'",
          "Torch_Vision @ file:///s/t.whl ; sys_platform=='linux'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = pipfetch_direct_reference(cases[i].in, "file:///s/t.whl");
        assert_non_null(got);
        if (strcmp(got, cases[i].out))
            fail_msg("%s\n want %s\n got  %s", cases[i].in, cases[i].out, got);
        free(got);
    }
    assert_null(pipfetch_direct_reference("./local/dir", "file:///s/t.whl"));
}

static void test_mode_env(void **state)
{
    (void)state;
    struct config c = { .prefetch_enabled = PREFETCH_ALWAYS };
    unsetenv("TORCHSHIM_PREFETCH");
    assert_int_equal(pipfetch_mode(&c), PREFETCH_ALWAYS);
    static const char *const off[] = { "0", "false", "no", "off", "OFF" };
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        setenv("TORCHSHIM_PREFETCH", off[i], 1);
        assert_int_equal(pipfetch_mode(&c), PREFETCH_NEVER);
    }
    setenv("TORCHSHIM_PREFETCH", "1", 1);
    assert_int_equal(pipfetch_mode(&c), PREFETCH_ALWAYS);
    unsetenv("TORCHSHIM_PREFETCH");
}

/* A pip job for CMD under the shipped configuration. */
static void job_for(const char *cmd, struct config *cfg, struct pip_job *job)
{
    char *err = NULL;
    struct strv in = STRV_INIT;
    split_cmd(cmd, &in);
    assert_int_equal(config_load(cfg, &err), 0);
    if (pip_job_init(job, cfg, "/usr/bin/pip", (int)in.n, in.v, &err))
        fail_msg("%s: %s", cmd, err);
    strv_clear(&in);
}

static void test_applies_and_quiet(void **state)
{
    (void)state;
    static const struct { const char *cmd; int applies, quiet; } cases[] = {
        { "install torch", 1, 0 },
        { "-q install torch", 1, 1 },
        { "install -qq torch", 1, 1 },
        { "install --progress-bar off torch", 1, 1 },
        { "install --progress-bar on torch", 1, 0 },
        { "install --target /tmp/t torch", 1, 0 },
        { "download torch", 0, 0 },
        { "wheel torch", 0, 0 },
        { "install --dry-run torch", 0, 0 },
        { "install --platform manylinux2014_x86_64 --only-binary :all: --target /t torch", 0, 0 },
        { "install --python-version 3.9 --only-binary :all: --target /t torch", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        test_env_reset(test_home);
        unsetenv("PIP_QUIET");
        unsetenv("PIP_PROGRESS_BAR");
        unsetenv("TORCHSHIM_DRY_RUN");
        struct config cfg;
        struct pip_job job;
        const char *why = NULL;
        job_for(cases[i].cmd, &cfg, &job);
        if (pipfetch_applies(&job, &why) != cases[i].applies)
            fail_msg("%s: applies %d (%s)", cases[i].cmd, !cases[i].applies, why ? why : "");
        if (pipfetch_quiet(&job) != cases[i].quiet)
            fail_msg("%s: quiet %d", cases[i].cmd, !cases[i].quiet);
        pip_job_free(&job);
        config_free(&cfg);
    }
    struct config cfg;
    struct pip_job job;
    const char *why;
    job_for("install torch", &cfg, &job);
    setenv("PIP_QUIET", "1", 1);
    assert_true(pipfetch_quiet(&job));
    setenv("PIP_QUIET", "0", 1);
    assert_false(pipfetch_quiet(&job));
    setenv("PIP_PROGRESS_BAR", "off", 1);
    assert_true(pipfetch_quiet(&job));
    unsetenv("PIP_QUIET");
    unsetenv("PIP_PROGRESS_BAR");
    setenv("TORCHSHIM_DRY_RUN", "1", 1);
    assert_false(pipfetch_applies(&job, &why));
    assert_string_equal(why, "TORCHSHIM_DRY_RUN");
    unsetenv("TORCHSHIM_DRY_RUN");
    pip_job_free(&job);
    config_free(&cfg);
}

static void pin(struct pip_treq *t, const char *pinned, const char *url, const char *hash)
{
    t->pinned = xstrdup(pinned);
    t->wheel_url = xstrdup(url);
    t->wheel_hash = hash ? xstrdup(hash) : NULL;
}

#define SHA_A "sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* The command line's and -r files' requirements are rewritable; a
 * constraints file's are not. */
static void test_collect(void **state)
{
    (void)state;
    test_env_reset(test_home);
    char *req = xasprintf("%s/req.txt", test_home), *con = xasprintf("%s/con.txt", test_home);
    spit(req, "torchvision\n");
    spit(con, "torchaudio==2.3.1\n");
    char *cmd = xasprintf("install torch -r %s -c %s", req, con);
    struct config cfg;
    struct pip_job job;
    job_for(cmd, &cfg, &job);
    assert_int_equal(job.ntreqs, 3);
    const char *base = "https://m.example/whl/cu121/";
    for (size_t i = 0; i < job.ntreqs; i++) {
        struct pip_treq *t = &job.treqs[i];
        char *url = xasprintf("%s%s-1.0%%2Bcu121-cp312-cp312-linux_x86_64.whl", base,
                              t->req.norm_name);
        char *p = xasprintf("%s==1.0+cu121", t->req.norm_name);
        pin(t, p, url, !strcmp(t->req.norm_name, "torch") ? SHA_A : NULL);
        free(url);
        free(p);
    }
    struct pipfetch_wheels w = { 0 };
    pipfetch_collect(&job, 0, &w);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.v[0].filename, "torch-1.0+cu121-cp312-cp312-linux_x86_64.whl");
    assert_string_equal(w.v[0].project, "torch");
    assert_string_equal(w.v[0].sha256, SHA_A + 7);
    assert_int_equal(w.v[0].urls.n, 1);
    assert_string_equal(w.v[1].filename, "torchvision-1.0+cu121-cp312-cp312-linux_x86_64.whl");
    assert_null(w.v[1].sha256);
    pipfetch_wheels_free(&w);
    pipfetch_collect(&job, 1, &w);
    assert_int_equal(w.n, 3);
    pipfetch_wheels_free(&w);
    pip_job_free(&job);
    config_free(&cfg);
    free(cmd);
    free(req);
    free(con);
}

/* ---- reuse: stamps, hashing, the archive check -------------------------- */

static void test_have_and_stamps(void **state)
{
    (void)state;
    char *dir = xasprintf("%s/have", test_home), *stamps = xasprintf("%s/.verified", dir);
    char *dest = xasprintf("%s/pkg-1.0-py3-none-any.whl", dir), sha[65], *err = NULL;
    assert_int_equal(mkdir_p(dir, 0700, &err), 0);
    make_wheel(dest, 4096);
    sha_of_file(dest, sha);
    struct prefetch_item it = { .dest = dest, .sha256 = sha };
    char *stamp = xasprintf("%s/pkg-1.0-py3-none-any.whl", stamps);

    assert_int_equal(prefetch_have(&it, stamps), 1);      /* hashed, then stamped */
    struct stat st;
    assert_int_equal(stat(stamp, &st), 0);
    it.size = 12;                                          /* another size: no */
    assert_int_equal(prefetch_have(&it, stamps), 0);
    it.size = 0;
    it.sha256 = "00000000000000000000000000000000000000000000000000000000000000ff";
    assert_int_equal(prefetch_have(&it, stamps), 0);      /* another digest: no */
    it.sha256 = sha;

    /* the stamp stands for the file while size, mtime and inode match: an
     * edit that keeps all three (not something that happens by accident)
     * is trusted... */
    struct stat before;
    assert_int_equal(stat(dest, &before), 0);
    int fd = open(dest, O_WRONLY);
    assert_int_equal(pwrite(fd, "Z", 1, 100), 1);
    struct timespec ts[2] = { before.st_atim, before.st_mtim };
    assert_int_equal(futimens(fd, ts), 0);
    close(fd);
    assert_int_equal(prefetch_have(&it, stamps), 1);
    /* ... a new mtime makes it hash again, and the edit shows */
    assert_int_equal(run_cmd("touch -d '2001-01-01' '%s'", dest), 0);
    assert_int_equal(prefetch_have(&it, stamps), 0);
    /* without a stamp dir the file is always hashed */
    make_wheel(dest, 4096);
    assert_int_equal(prefetch_have(&it, NULL), 1);

    /* no digest: the archive check decides */
    it.sha256 = NULL;
    unlink(stamp);
    assert_int_equal(prefetch_have(&it, stamps), 1);
    assert_int_equal(stat(stamp, &st), 0);
    unlink(stamp);
    spit(dest, "not a zip at all");
    assert_int_equal(prefetch_have(&it, stamps), 0);
    unlink(dest);
    assert_int_equal(prefetch_have(&it, stamps), 0);      /* missing */
    free(stamp);
    free(dest);
    free(stamps);
    free(dir);
}

/* Everything reused: no download, and the hook is not called. */
static int hook_calls;
static void hook(void *ctx)
{
    (void)ctx;
    hook_calls++;
}

static void test_files_all_reused(void **state)
{
    (void)state;
    char *dir = xasprintf("%s/reuse", test_home), *err = NULL;
    char *dest = xasprintf("%s/pkg-1.0-py3-none-any.whl", dir), sha[65];
    assert_int_equal(mkdir_p(dir, 0700, &err), 0);
    make_wheel(dest, 100000);
    sha_of_file(dest, sha);
    const char *urls[] = { "http://127.0.0.1:9/never/asked.whl" };
    struct prefetch_item it = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = sha };
    struct prefetch_opts o = { .before_download = hook, .quiet = 1 };
    int signo = -1;
    hook_calls = 0;
    assert_int_equal(prefetch_files(&it, 1, &o, &signo, &err), PREFETCH_OK);
    assert_true(it.ok && it.reused);
    assert_int_equal(it.requests, 0);
    assert_int_equal(signo, 0);
    assert_int_equal(hook_calls, 0);
    prefetch_item_clear(&it);
    /* a digest it does not have: downloaded (from a closed port: fails) */
    it.sha256 = "00000000000000000000000000000000000000000000000000000000000000ff";
    o.fetch = &(struct fetch_opts){ .connect_timeout_ms = 500 };
    assert_int_equal(prefetch_files(&it, 1, &o, &signo, &err), PREFETCH_FAILED);
    assert_false(it.ok);
    assert_non_null(it.error);
    assert_int_equal(hook_calls, 1);
    assert_non_null(err);
    free(err);
    prefetch_item_clear(&it);
    free(dest);
    free(dir);
}

/* ---- the wheel store ---------------------------------------------------- */

static void put_file(const char *dir, const char *name, const char *text, const char *when)
{
    char *p = xasprintf("%s/%s", dir, name);
    spit(p, text);
    if (when)
        assert_int_equal(run_cmd("touch -d '%s' '%s'", when, p), 0);
    free(p);
}

static int present(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    int r = access(p, F_OK) == 0;
    free(p);
    return r;
}

static void test_wheelstore(void **state)
{
    (void)state;
    char *dir = xasprintf("%s/store", test_home), *err = NULL;
    char *stamps = wheelstore_stamps(dir);
    assert_int_equal(wheelstore_prepare(dir, &err), 0);
    assert_int_equal(mkdir_p(stamps, 0700, &err), 0);
    put_file(dir, "a-1.0-py3-none-any.whl", "aaaa", "2020-01-01");
    put_file(dir, "b-1.0-py3-none-any.whl", "bbbbbbbb", "2022-01-01");
    put_file(dir, "c-1.0-py3-none-any.whl", "cc", "2021-01-01");
    put_file(stamps, "a-1.0-py3-none-any.whl", "stamp", NULL);
    put_file(stamps, "b-1.0-py3-none-any.whl", "stamp", NULL);
    put_file(stamps, "gone-1.0-py3-none-any.whl", "stamp", NULL);  /* orphan */
    put_file(dir, "notes.txt", "mine", NULL);                       /* not ours */
    put_file(dir, "d-1.0-py3-none-any.whl.part", "0123456789", NULL);
    put_file(dir, "d-1.0-py3-none-any.whl.part.state",
             "torchshim-part 1\nsize\t10\nsha256\t-\nmd5\t-\ndone\t0\t4\n", NULL);
    put_file(dir, "e-1.0-py3-none-any.whl.part", "busy", NULL);
    char *busy = xasprintf("%s/e-1.0-py3-none-any.whl.part", dir);
    int bfd = open(busy, O_RDWR);
    assert_true(bfd >= 0 && flock(bfd, LOCK_EX) == 0);     /* "a download runs" */
    /* dependency links (pipdeps.h): one to a wheel that stays, one to a
     * wheel that goes, in one directory; another directory whose only link
     * goes */
    char *l1 = xasprintf("%s/" WHEELSTORE_LINKS "/0123", dir), *l2 = xasprintf("%s/" WHEELSTORE_LINKS "/4567", dir);
    assert_int_equal(mkdir_p(l1, 0700, &err), 0);
    assert_int_equal(mkdir_p(l2, 0700, &err), 0);
    char *tb = xasprintf("%s/b-1.0-py3-none-any.whl", dir), *ta = xasprintf("%s/a-1.0-py3-none-any.whl", dir);
    char *lb = xasprintf("%s/b-1.0-1torchshim-py3-none-any.whl", l1);
    char *la = xasprintf("%s/a-1.0-1torchshim-py3-none-any.whl", l1);
    char *la2 = xasprintf("%s/a-1.0-1torchshim-py3-none-any.whl", l2);
    assert_int_equal(symlink(tb, lb), 0);
    assert_int_equal(symlink(ta, la), 0);
    assert_int_equal(symlink(ta, la2), 0);

    struct wheelstore_info si;
    assert_int_equal(wheelstore_scan(dir, &si, &err), 0);
    assert_int_equal(si.nwheels, 3);
    assert_int_equal(si.nparts, 2);
    assert_int_equal(si.wheel_bytes, 14);
    assert_string_equal(si.v[0].name, "b-1.0-py3-none-any.whl");  /* newest first */
    assert_string_equal(si.v[1].name, "c-1.0-py3-none-any.whl");
    assert_string_equal(si.v[2].name, "a-1.0-py3-none-any.whl");
    assert_int_equal(si.v[3].kind, WS_PART);
    assert_string_equal(si.v[3].name, "d-1.0-py3-none-any.whl");
    assert_int_equal(si.v[3].done, 4);
    assert_int_equal(si.v[3].size, 10);
    assert_false(si.v[3].busy);
    assert_string_equal(si.v[4].name, "e-1.0-py3-none-any.whl");
    assert_true(si.v[4].busy);
    wheelstore_info_clear(&si);

    size_t removed = 0;
    unsigned long long freed = 0;
    assert_int_equal(wheelstore_clean(dir, 1, -1, &removed, &freed, &err), 0);
    assert_true(present(dir, "b-1.0-py3-none-any.whl"));
    assert_false(present(dir, "a-1.0-py3-none-any.whl"));
    assert_false(present(dir, "c-1.0-py3-none-any.whl"));
    assert_true(present(stamps, "b-1.0-py3-none-any.whl"));
    assert_false(present(stamps, "a-1.0-py3-none-any.whl"));
    assert_false(present(stamps, "gone-1.0-py3-none-any.whl"));
    assert_false(present(dir, "d-1.0-py3-none-any.whl.part"));
    assert_false(present(dir, "d-1.0-py3-none-any.whl.part.state"));
    assert_true(present(dir, "e-1.0-py3-none-any.whl.part"));    /* busy: kept */
    assert_true(present(dir, "notes.txt"));
    assert_int_equal(removed, 8);  /* a, c, a's stamp, gone's stamp, d's part and state,
                                      the two links to a */
    struct stat lst;
    assert_int_equal(lstat(lb, &lst), 0);                         /* b stays: its link too */
    assert_int_equal(lstat(la, &lst), -1);
    assert_int_equal(lstat(l2, &lst), -1);                        /* left empty: gone */
    free(l1); free(l2); free(tb); free(ta); free(lb); free(la); free(la2);
    close(bfd);

    assert_int_equal(wheelstore_clean(dir, 5, -1, &removed, &freed, &err), 0);
    assert_true(present(dir, "b-1.0-py3-none-any.whl"));         /* within the newest 5 */
    assert_int_equal(wheelstore_clean(dir, 5, 3600, &removed, &freed, &err), 0);
    assert_false(present(dir, "b-1.0-py3-none-any.whl"));        /* ... but older than 1 h */
    put_file(dir, "b-1.0-py3-none-any.whl", "bbbbbbbb", NULL);
    assert_int_equal(wheelstore_clean(dir, -1, 3600, &removed, &freed, &err), 0);
    assert_true(present(dir, "b-1.0-py3-none-any.whl"));         /* new */
    assert_int_equal(wheelstore_clean(dir, -1, -1, &removed, &freed, &err), 0);
    assert_false(present(dir, "b-1.0-py3-none-any.whl"));
    assert_false(present(dir, "e-1.0-py3-none-any.whl.part"));
    assert_true(present(dir, "notes.txt"));
    /* a store that does not exist is empty */
    char *none = xasprintf("%s/none", test_home);
    assert_int_equal(wheelstore_scan(none, &si, &err), 0);
    assert_int_equal(si.n, 0);
    free(none);
    free(busy);
    free(stamps);
    free(dir);
}

static void test_store_dir(void **state)
{
    (void)state;
    test_env_reset(test_home);
    struct config c = { 0 };
    char *d = wheelstore_dir(&c), *want = xasprintf("%s/wheels", test_home);
    assert_string_equal(d, want);
    free(d);
    c.prefetch_dir = "/srv/wheels";
    d = wheelstore_dir(&c);
    assert_string_equal(d, "/srv/wheels");
    free(d);
    free(want);
}

int main(void)
{
    msg_init_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_prefetch),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_file_url_and_names),
        cmocka_unit_test(test_direct_reference),
        cmocka_unit_test(test_mode_env),
        cmocka_unit_test(test_applies_and_quiet),
        cmocka_unit_test(test_collect),
        cmocka_unit_test(test_have_and_stamps),
        cmocka_unit_test(test_files_all_reused),
        cmocka_unit_test(test_wheelstore),
        cmocka_unit_test(test_store_dir),
    };
    return cmocka_run_group_tests_name("prefetch", tests, test_home_setup, test_home_teardown);
}
