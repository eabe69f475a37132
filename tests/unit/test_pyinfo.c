/* test_pyinfo.c — Python environment facts from fake environments in
 * tests/fixtures/pyenvs (see the README there) and from a real venv. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "buf.h"
#include "fileio.h"
#include "hostprobe.h"
#include "msg.h"
#include "pyinfo.h"

#define PYENVS "tests/fixtures/pyenvs"

struct env {
    char *top;         /* absolute repository root */
    char *tmp;         /* scratch directory, removed at the end */
    char *saved_path, *saved_home;
};

static char *top_dir(void)
{
    const char *t = getenv("TORCHSHIM_TOP");
    if (t && *t == '/')
        return xstrdup(t);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        die(1, "getcwd failed");
    char *r = xstrdup(cwd);
    free(cwd);
    return r;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int group_setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    e->top = top_dir();
    const char *tmpdir = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/torchshim-pyinfo.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmpl)) {
        free(tmpl);
        return -1;
    }
    e->tmp = tmpl;
    const char *p = getenv("PATH");
    const char *h = getenv("HOME");
    e->saved_path = xstrdup(p ? p : "/usr/bin:/bin");
    e->saved_home = h ? xstrdup(h) : NULL;
    /* no user site-packages of the person running the tests */
    char *home = xasprintf("%s/home", e->tmp);
    mkdir(home, 0755);
    setenv("HOME", home, 1);
    free(home);
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    struct env *e = *state;
    setenv("PATH", e->saved_path, 1);
    if (e->saved_home)
        setenv("HOME", e->saved_home, 1);
    rm_rf(e->tmp);
    free(e->tmp);
    free(e->top);
    free(e->saved_path);
    free(e->saved_home);
    free(e);
    return 0;
}

static char *read_all(const char *path)
{
    char *text = NULL;
    return file_read(path, 1 << 20, &text, NULL, NULL) == 0 ? text : NULL;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    char *err = NULL;
    if (file_write_atomic(path, text, strlen(text), NULL, 0, mode, &err) < 0)
        fail_msg("cannot write %s: %s", path, err);
}

/* Copy fixture script REL into the scratch dir as NAME with @TOP@ replaced. */
static char *instantiate(const struct env *e, const char *rel, const char *name)
{
    char *src = xasprintf("%s/%s", e->top, rel);
    char *text = read_all(src);
    if (!text)
        fail_msg("cannot read %s", src);
    struct buf out = BUF_INIT;
    for (const char *p = text; *p;) {
        const char *at = strstr(p, "@TOP@");
        size_t n = at ? (size_t)(at - p) : strlen(p);
        buf_add(&out, p, n);
        if (at)
            buf_adds(&out, e->top);
        p += n + (at ? 5 : 0);
    }
    char *dst = xasprintf("%s/%s", e->tmp, name);
    write_file(dst, buf_str(&out), 0755);
    buf_free(&out);
    free(text);
    free(src);
    return dst;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = s ? strlen(s) : 0, b = strlen(suffix);
    return s && a >= b && !strcmp(s + a - b, suffix);
}

/* ---- shebangs ------------------------------------------------------------------ */

static void test_parse_shebang(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
        int via_env;
    } cases[] = {
        { "#!/usr/bin/python3.11\nimport sys\n", "/usr/bin/python3.11", 0 },
        { "#!/opt/venv/bin/python -E\n", "/opt/venv/bin/python", 0 },
        { "#! /opt/venv/bin/python\n", "/opt/venv/bin/python", 0 },
        { "#!/usr/bin/python3\r\nimport re\r\n", "/usr/bin/python3", 0 },
        { "#!/usr/bin/python3", "/usr/bin/python3", 0 },
        { "#!/usr/bin/env python3\n", "python3", 1 },
        { "#!/usr/bin/env -S python3 -u\n", "python3", 1 },
        { "#!/usr/bin/env PYTHONUTF8=1 python3.12\n", "python3.12", 1 },
        { "#!/bin/sh\n'''exec' \"/long path/venv/bin/python\" \"$0\" \"$@\"\n' '''\n",
          "/long path/venv/bin/python", 0 },
        { "#!/bin/sh\n'''exec' /opt/x/bin/python3 \"$0\" \"$@\"\n' '''\n", "/opt/x/bin/python3",
          0 },
        { "#!/bin/sh\n'''exec' '/q/bin/python' \"$0\" \"$@\"\n' '''\n", "/q/bin/python", 0 },
        { "#!/bin/sh\n'''exec' \"/unterminated\n\" \"$0\"\n", NULL, 0 },
        { "#!/bin/sh\necho not pip\n", NULL, 0 },
        { "#!/bin/sh", NULL, 0 },
        { "import sys\n", NULL, 0 },
        { "", NULL, 0 },
        { "#!\n", NULL, 0 },
        { "#!python\n", NULL, 0 },
        { "#!/usr/bin/env\n", NULL, 0 },
        { "\177ELF\002\001\001", NULL, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int via_env = -1;
        char *got = pyinfo_parse_shebang(cases[i].text, &via_env);
        if ((got == NULL) != (cases[i].want == NULL) ||
            (got && strcmp(got, cases[i].want) != 0))
            fail_msg("case %zu: got '%s', want '%s'", i, got ? got : "(null)",
                     cases[i].want ? cases[i].want : "(null)");
        if (got && via_env != cases[i].via_env)
            fail_msg("case %zu: via_env %d", i, via_env);
        free(got);
    }
}

/* ---- environments ------------------------------------------------------------------ */

struct env_case {
    const char *fixture;      /* pip script (with @TOP@) or interpreter, under PYENVS */
    int is_pip;
    const char *path_dir;     /* put this fixture dir on PATH first (env shebangs) */
    const char *version;
    int major, minor;
    const char *source_has;
    const char *prefix_suffix;
    int is_venv, is_conda;
    const char *site0_suffix; /* NULL: no site dir expected */
    const char *torch, *local;
};

static const struct env_case env_cases[] = {
    { "venv311/bin/pip", 1, NULL, "3.11.2", 3, 11, "venv311/pyvenv.cfg", "/venv311", 1, 0,
      "/venv311/lib/python3.11/site-packages", "2.3.1+cu121", "cu121" },
    { "uvenv/bin/pip", 1, "uvenv/bin", "3.12.1", 3, 12, "uvenv/pyvenv.cfg", "/uvenv", 1, 0,
      "/uvenv/lib/python3.12/site-packages", "2.4.0+cpu", "cpu" },
    { "long path env/bin/pip3", 1, NULL, "3.10", 3, 10, "interpreter name", "/long path env", 0,
      0, "/long path env/lib/python3.10/site-packages", NULL, NULL },
    { "libdir/bin/python3", 0, NULL, "3.9", 3, 9, "libdir/lib/python3.9", "/libdir", 0, 0,
      "/libdir/lib/python3.9/site-packages", "1.13.1", NULL },
    { "runonly/bin/python", 0, NULL, "3.10.14", 3, 10, " -c ", "/runonly", 0, 0, NULL, NULL,
      NULL },
    { "conda312/bin/python", 0, NULL, "3.12.1", 3, 12,
      "conda-meta/python-3.12.1-hab00c5b_1_cpython.json", "/conda312", 0, 1,
      "/conda312/lib/python3.12/site-packages", "2.3.1", NULL },
    { "venv311/bin/python3", 0, NULL, "3.11.2", 3, 11, "pyvenv.cfg", "/venv311", 1, 0,
      "/venv311/lib/python3.11/site-packages", "2.3.1+cu121", "cu121" },
};

static void check_env(const struct env_case *c, const struct pyinfo *pi)
{
    const char *f = c->fixture;
    if (strcmp(pi->version, c->version) != 0 || pi->major != c->major || pi->minor != c->minor)
        fail_msg("%s: version %s (%d.%d), want %s", f, pi->version, pi->major, pi->minor,
                 c->version);
    if (!strstr(pi->version_source, c->source_has))
        fail_msg("%s: version source '%s' lacks '%s'", f, pi->version_source, c->source_has);
    if (!ends_with(pi->prefix, c->prefix_suffix))
        fail_msg("%s: prefix '%s'", f, pi->prefix ? pi->prefix : "(null)");
    if (pi->is_venv != c->is_venv || pi->is_conda != c->is_conda)
        fail_msg("%s: venv %d conda %d", f, pi->is_venv, pi->is_conda);
    if (c->site0_suffix) {
        if (!pi->site_dirs.n || !ends_with(pi->site_dirs.v[0], c->site0_suffix))
            fail_msg("%s: site dir '%s'", f, pi->site_dirs.n ? pi->site_dirs.v[0] : "none");
    } else if (pi->site_dirs.n) {
        fail_msg("%s: unexpected site dir %s", f, pi->site_dirs.v[0]);
    }
    assert_non_null(pi->python);
    assert_null(pi->error);
    struct pyinfo_dist d;
    int rc = pyinfo_torch_installed(pi, &d);
    if (c->torch) {
        if (rc != 1 || strcmp(d.version, c->torch) != 0)
            fail_msg("%s: torch rc %d version %s, want %s", f, rc, d.version ? d.version : "-",
                     c->torch);
        assert_string_equal(d.name, "torch");
        if (c->local)
            assert_string_equal(d.local, c->local);
        else
            assert_null(d.local);
        size_t plen = strcspn(c->torch, "+");
        assert_int_equal(strlen(d.public_version), plen);
        assert_memory_equal(d.public_version, c->torch, plen);
        assert_true(strstr(d.path, "torch-") != NULL);
    } else if (rc != 0) {
        fail_msg("%s: torch found (%d)", f, rc);
    }
    pyinfo_dist_free(&d);
}

static void test_environments(void **state)
{
    struct env *e = *state;
    for (size_t i = 0; i < sizeof env_cases / sizeof *env_cases; i++) {
        const struct env_case *c = &env_cases[i];
        if (c->path_dir) {
            char *p = xasprintf("%s/" PYENVS "/%s:%s", e->top, c->path_dir, e->saved_path);
            setenv("PATH", p, 1);
            free(p);
        } else {
            setenv("PATH", e->saved_path, 1);
        }
        struct pyinfo pi = PYINFO_INIT;
        int rc;
        char *rel = xasprintf(PYENVS "/%s", c->fixture);
        if (c->is_pip) {
            char *name = xasprintf("pip-%zu", i);
            char *pip = instantiate(e, rel, name);
            rc = pyinfo_from_pip(pip, &pi);
            free(pip);
            free(name);
        } else {
            char *abs = xasprintf("%s/%s", e->top, rel);
            rc = pyinfo_from_python(abs, &pi);
            free(abs);
        }
        free(rel);
        if (rc != 0)
            fail_msg("%s: rc %d: %s", c->fixture, rc, pi.error ? pi.error : "");
        check_env(c, &pi);
        pyinfo_free(&pi);
    }
    setenv("PATH", e->saved_path, 1);
}

static void test_conda_prefix(void **state)
{
    struct env *e = *state;
    struct pyinfo pi = PYINFO_INIT;
    char *prefix = xasprintf("%s/" PYENVS "/conda312", e->top);
    assert_int_equal(pyinfo_from_conda_prefix(prefix, &pi), 0);
    assert_string_equal(pi.version, "3.12.1");
    assert_int_equal(pi.major, 3);
    assert_int_equal(pi.minor, 12);
    assert_true(pi.is_conda);
    assert_false(pi.is_venv);
    assert_string_equal(pi.prefix, prefix);
    assert_true(ends_with(pi.python, "/conda312/bin/python"));
    assert_true(ends_with(pi.version_source, "python-3.12.1-hab00c5b_1_cpython.json"));
    struct pyinfo_dist d;
    assert_int_equal(pyinfo_torch_installed(&pi, &d), 1);
    assert_string_equal(d.version, "2.3.1");
    assert_null(d.local);
    pyinfo_dist_free(&d);
    free(prefix);

    static const struct {
        const char *dir, *err_has;
    } bad[] = {
        { "conda-mismatch", "3.11.5" },
        { "conda-mismatch", "3.11.4" },
        { "conda-nopy", "no python" },
        { "venv311", "not a conda environment" },
        { "no-such-env", "not a conda environment" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *p = xasprintf("%s/" PYENVS "/%s", e->top, bad[i].dir);
        int rc = pyinfo_from_conda_prefix(p, &pi);
        if (rc != -1 || !pi.error || !strstr(pi.error, bad[i].err_has))
            fail_msg("%s: rc %d error '%s', want '%s'", bad[i].dir, rc,
                     pi.error ? pi.error : "", bad[i].err_has);
        assert_null(pi.version);
        pyinfo_free(&pi);
        free(p);
    }
    /* the version check also applies when reached through the interpreter */
    char *tmpconda = xasprintf("%s/conda-broken", e->tmp);
    char *bin = xasprintf("%s/bin", tmpconda);
    char *meta = xasprintf("%s/conda-meta", tmpconda);
    mkdir(tmpconda, 0755);
    mkdir(bin, 0755);
    mkdir(meta, 0755);
    char *py = xasprintf("%s/python3.11", bin);
    write_file(py, "#!/bin/sh\nexit 1\n", 0755);
    char *rec = xasprintf("%s/python-3.11.4-h955ad1f_0.json", meta);
    write_file(rec, "{\"name\": \"python\", \"version\": \"3.11.5\"}\n", 0644);
    assert_int_equal(pyinfo_from_python(py, &pi), -1);
    assert_non_null(strstr(pi.error, "3.11.5"));
    pyinfo_free(&pi);
    /* not JSON */
    write_file(rec, "{\"name\": \"python\", \"version\": \n", 0644);
    assert_int_equal(pyinfo_from_conda_prefix(tmpconda, &pi), -1);
    assert_non_null(strstr(pi.error, "JSON"));
    pyinfo_free(&pi);
    free(rec);
    free(py);
    free(meta);
    free(bin);
    free(tmpconda);
}

static void test_errors(void **state)
{
    struct env *e = *state;
    struct pyinfo pi = PYINFO_INIT;
    char *p = xasprintf("%s/" PYENVS "/notascript/bin/pip", e->top);
    assert_int_equal(pyinfo_from_pip(p, &pi), -1);
    assert_non_null(strstr(pi.error, "not a script"));
    pyinfo_free(&pi);
    free(p);

    assert_int_equal(pyinfo_from_pip(PYENVS "/no-such/bin/pip", &pi), -1);
    assert_non_null(strstr(pi.error, "no-such/bin/pip"));
    pyinfo_free(&pi);

    /* the interpreter named by the shebang is gone */
    char *gone = xasprintf("%s/pip-gone", e->tmp);
    write_file(gone, "#!/nonexistent/venv/bin/python3.11\nimport sys\n", 0755);
    assert_int_equal(pyinfo_from_pip(gone, &pi), -1);
    assert_non_null(strstr(pi.error, "/nonexistent/venv/bin/python3.11"));
    assert_non_null(strstr(pi.error, "pip-gone"));
    pyinfo_free(&pi);
    free(gone);

    /* env shebang, interpreter not on PATH */
    char *envpip = xasprintf("%s/pip-env", e->tmp);
    write_file(envpip, "#!/usr/bin/env python3.99\n", 0755);
    assert_int_equal(pyinfo_from_pip(envpip, &pi), -1);
    assert_non_null(strstr(pi.error, "on PATH"));
    pyinfo_free(&pi);
    free(envpip);

    /* nothing tells the version and the interpreter will not say */
    char *dir = xasprintf("%s/mute", e->tmp);
    mkdir(dir, 0755);
    char *py = xasprintf("%s/python", dir);
    write_file(py, "#!/bin/sh\nexit 1\n", 0755);
    assert_int_equal(pyinfo_from_python(py, &pi), -1);
    assert_non_null(strstr(pi.error, "cannot tell"));
    pyinfo_free(&pi);
    free(py);
    free(dir);
}

static void test_find_dist(void **state)
{
    struct env *e = *state;
    struct pyinfo pi = PYINFO_INIT;
    char *py = xasprintf("%s/" PYENVS "/venv311/bin/python3", e->top);
    assert_int_equal(pyinfo_from_python(py, &pi), 0);
    free(py);
    static const struct {
        const char *ask;
        int rc;
        const char *name, *version, *local;
    } cases[] = {
        { "torch", 1, "torch", "2.3.1+cu121", "cu121" },
        { "Torch", 1, "torch", "2.3.1+cu121", "cu121" },
        { "torchvision", 1, "torchvision", "0.18.1+cu121", "cu121" },
        { "TorchVision", 1, "torchvision", "0.18.1+cu121", "cu121" },
        { "nvidia-cublas-cu12", 1, "nvidia-cublas-cu12", "12.1.3.1", NULL },
        { "nvidia_cublas_cu12", 1, "nvidia-cublas-cu12", "12.1.3.1", NULL },
        { "nvidia.cublas--cu12", 1, "nvidia-cublas-cu12", "12.1.3.1", NULL },
        { "torchaudio", 0, NULL, NULL, NULL },
        { "numpy", 0, NULL, NULL, NULL },
        { "tor", 0, NULL, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pyinfo_dist d;
        int rc = pyinfo_find_dist(&pi, cases[i].ask, &d);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d", cases[i].ask, rc);
        if (rc == 1) {
            assert_string_equal(d.name, cases[i].name);
            assert_string_equal(d.version, cases[i].version);
            if (cases[i].local)
                assert_string_equal(d.local, cases[i].local);
            else
                assert_null(d.local);
        } else {
            assert_null(d.version);
        }
        pyinfo_dist_free(&d);
    }
    pyinfo_free(&pi);

    /* broken metadata: no Version header (one in the body does not count),
     * a Name that disagrees with the directory; the first site dir that has
     * an entry decides */
    char *s1 = xasprintf("%s/site1", e->tmp);
    char *s2 = xasprintf("%s/site2", e->tmp);
    mkdir(s1, 0755);
    mkdir(s2, 0755);
    char *d1 = xasprintf("%s/torch-9.9.dist-info", s1);
    char *d2 = xasprintf("%s/torchvision-1.0.dist-info", s1);
    char *d3 = xasprintf("%s/torchaudio-2.3.1+rocm6.0.dist-info", s2);
    char *d4 = xasprintf("%s/torch-2.2.2+cpu.dist-info", s2);
    mkdir(d1, 0755);
    mkdir(d2, 0755);
    mkdir(d3, 0755);
    mkdir(d4, 0755);
    char *m1 = xasprintf("%s/METADATA", d1);
    char *m2 = xasprintf("%s/METADATA", d2);
    char *m3 = xasprintf("%s/METADATA", d3);
    char *m4 = xasprintf("%s/METADATA", d4);
    write_file(m1, "Metadata-Version: 2.1\nName: torch\n\nVersion: 9.9\n", 0644);
    write_file(m2, "Metadata-Version: 2.1\nName: torchaudio\nVersion: 1.0\n", 0644);
    write_file(m3, "Metadata-Version: 2.1\r\nName: torchaudio\r\nVersion: 2.3.1+rocm6.0\r\n\r\n",
               0644);
    write_file(m4, "Metadata-Version: 2.1\nName: torch\nVersion: 2.2.2+cpu\n", 0644);
    struct pyinfo fake = PYINFO_INIT;
    strv_push(&fake.site_dirs, s1);
    strv_push(&fake.site_dirs, s2);
    struct pyinfo_dist d;
    /* torch: site1's is unreadable; site2's is shadowed by it */
    assert_int_equal(pyinfo_find_dist(&fake, "torch", &d), -1);
    assert_null(d.version);
    /* torchvision: site1's entry names another project */
    assert_int_equal(pyinfo_find_dist(&fake, "torchvision", &d), -1);
    assert_null(d.version);
    /* torchaudio: only in site2 (CRLF metadata) */
    assert_int_equal(pyinfo_find_dist(&fake, "torchaudio", &d), 1);
    assert_string_equal(d.version, "2.3.1+rocm6.0");
    assert_string_equal(d.local, "rocm6.0");
    assert_string_equal(d.public_version, "2.3.1");
    assert_true(ends_with(d.path, "/site2/torchaudio-2.3.1+rocm6.0.dist-info"));
    pyinfo_dist_free(&d);
    /* with site1 fixed, torch comes from site1 */
    write_file(m1, "Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1+cu124\n", 0644);
    assert_int_equal(pyinfo_find_dist(&fake, "torch", &d), 1);
    assert_string_equal(d.version, "2.5.1+cu124");
    assert_true(ends_with(d.path, "/site1/torch-9.9.dist-info"));
    pyinfo_dist_free(&d);
    pyinfo_free(&fake);
    char *paths[] = { m1, m2, m3, m4, d1, d2, d3, d4, s1, s2 };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        remove(paths[i]);
        free(paths[i]);
    }
}

/* Outside a venv, ~/.local's site-packages comes first, as in sys.path. */
static void test_user_site(void **state)
{
    struct env *e = *state;
    const char *home = getenv("HOME");
    char *parts[] = {
        xasprintf("%s/.local", home),
        xasprintf("%s/.local/lib", home),
        xasprintf("%s/.local/lib/python3.9", home),
        xasprintf("%s/.local/lib/python3.9/site-packages", home),
        xasprintf("%s/.local/lib/python3.9/site-packages/torch-2.0.1.dist-info", home),
    };
    size_t np = sizeof parts / sizeof *parts;
    for (size_t i = 0; i < np; i++)
        mkdir(parts[i], 0755);
    char *meta = xasprintf("%s/METADATA", parts[np - 1]);
    write_file(meta, "Metadata-Version: 2.1\nName: torch\nVersion: 2.0.1\n", 0644);

    struct pyinfo pi = PYINFO_INIT;
    char *py = xasprintf("%s/" PYENVS "/libdir/bin/python3", e->top);
    assert_int_equal(pyinfo_from_python(py, &pi), 0);
    assert_true(pi.site_dirs.n >= 2);
    assert_string_equal(pi.site_dirs.v[0], parts[3]);
    assert_true(ends_with(pi.site_dirs.v[1], "/libdir/lib/python3.9/site-packages"));
    struct pyinfo_dist d;
    assert_int_equal(pyinfo_torch_installed(&pi, &d), 1);
    assert_string_equal(d.version, "2.0.1");   /* shadows the egg-info 1.13.1 */
    pyinfo_dist_free(&d);
    pyinfo_free(&pi);
    free(py);

    /* a venv does not see it (include-system-site-packages = false) */
    py = xasprintf("%s/" PYENVS "/venv311/bin/python3", e->top);
    assert_int_equal(pyinfo_from_python(py, &pi), 0);
    for (size_t i = 0; i < pi.site_dirs.n; i++)
        assert_null(strstr(pi.site_dirs.v[i], "/.local/"));
    pyinfo_free(&pi);
    free(py);

    remove(meta);
    free(meta);
    for (size_t i = np; i-- > 0;) {
        remove(parts[i]);
        free(parts[i]);
    }
}

/* ---- platform ----------------------------------------------------------------------- */

static void test_conda_subdir(void **state)
{
    (void)state;
    static const struct {
        const char *sys, *mach, *want;
    } cases[] = {
        { "Linux", "x86_64", "linux-64" },
        { "Linux", "aarch64", "linux-aarch64" },
        { "Linux", "ppc64le", "linux-ppc64le" },
        { "Linux", "s390x", "linux-s390x" },
        { "Darwin", "arm64", "osx-arm64" },
        { "Darwin", "x86_64", "osx-64" },
        { "MINGW64_NT-10.0-19045", "x86_64", "win-64" },
        { "CYGWIN_NT-10.0", "x86_64", "win-64" },
        { "MSYS_NT-10.0-22631", "x86_64", "win-64" },
        { "Linux", "mips", NULL },
        { "SunOS", "i86pc", NULL },
        { "linux", "x86_64", NULL },
        { NULL, "x86_64", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = pyinfo_conda_subdir_for(cases[i].sys, cases[i].mach);
        if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want)))
            fail_msg("%s/%s: got %s", cases[i].sys ? cases[i].sys : "NULL", cases[i].mach,
                     got ? got : "NULL");
    }
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    const char *mine = pyinfo_conda_subdir_for(u.sysname, u.machine);
    char *saved = getenv("CONDA_SUBDIR") ? xstrdup(getenv("CONDA_SUBDIR")) : NULL;
    unsetenv("CONDA_SUBDIR");
    const char *got = pyinfo_conda_subdir();
    if (mine)
        assert_string_equal(got, mine);
    else
        assert_null(got);
    setenv("CONDA_SUBDIR", "osx-arm64", 1);
    assert_string_equal(pyinfo_conda_subdir(), "osx-arm64");
    setenv("CONDA_SUBDIR", "", 1);
    assert_true(pyinfo_conda_subdir() == mine || !strcmp(pyinfo_conda_subdir(), mine));
    if (saved)
        setenv("CONDA_SUBDIR", saved, 1);
    else
        unsetenv("CONDA_SUBDIR");
    free(saved);
}

static void test_platform(void **state)
{
    struct env *e = *state;
    struct pyinfo pi = PYINFO_INIT;
    char *py = xasprintf("%s/" PYENVS "/venv311/bin/python3", e->top);
    assert_int_equal(pyinfo_from_python(py, &pi), 0);
    free(py);
    struct utsname u;
    assert_int_equal(uname(&u), 0);
    char lower[sizeof u.sysname];
    size_t i;
    for (i = 0; u.sysname[i]; i++)
        lower[i] = (char)tolower((unsigned char)u.sysname[i]);
    lower[i] = '\0';
    assert_string_equal(pi.os, lower);
    assert_string_equal(pi.machine, u.machine);
#ifdef __GLIBC__
    assert_non_null(pi.glibc);
    assert_string_equal(pi.glibc, gnu_get_libc_version());
#else
    assert_null(pi.glibc);
#endif
    pyinfo_free(&pi);
    /* filled on failure too */
    assert_int_equal(pyinfo_from_conda_prefix("/nonexistent", &pi), -1);
    assert_string_equal(pi.machine, u.machine);
    pyinfo_free(&pi);
}

/* ---- a real venv ------------------------------------------------------------------------ */

static void test_real_venv(void **state)
{
    struct env *e = *state;
    const char *python = "/usr/bin/python3";
    if (access(python, X_OK) != 0)
        skip();
    setenv("PATH", e->saved_path, 1);
    char *venv = xasprintf("%s/real venv", e->tmp);
    char *out = NULL;
    int st = -1;
    char *const mk[] = { "python3", "-m", "venv", venv, NULL };
    if (host_run(python, mk, 120000, &out, &st, NULL) != 0 || st != 0) {
        free(out);
        free(venv);
        skip(); /* no venv module (Debian without python3-venv) */
    }
    free(out);
    /* the truth, from the interpreter itself */
    char *const ask[] = { "python3", "-c",
                          "import sys; print('%d.%d.%d' % sys.version_info[:3])", NULL };
    assert_int_equal(host_run(python, ask, 20000, &out, &st, NULL), 0);
    assert_int_equal(st, 0);
    out[strcspn(out, "\n")] = '\0';
    char *truth = out;

    struct pyinfo pi = PYINFO_INIT;
    char *pip = xasprintf("%s/bin/pip", venv);
    if (access(pip, F_OK) != 0) {
        /* venv without ensurepip: the interpreter path still works */
        free(pip);
        pip = NULL;
        char *vpy = xasprintf("%s/bin/python", venv);
        assert_int_equal(pyinfo_from_python(vpy, &pi), 0);
        free(vpy);
    } else {
        /* a path with a space: pip wrote its /bin/sh trampoline */
        char *head = read_all(pip);
        assert_non_null(head);
        assert_non_null(strstr(head, "'''exec'"));
        free(head);
        if (pyinfo_from_pip(pip, &pi) != 0)
            fail_msg("from_pip: %s", pi.error);
    }
    assert_string_equal(pi.version, truth);
    assert_true(pi.is_venv);
    assert_false(pi.is_conda);
    assert_string_equal(pi.prefix, venv);
    assert_true(ends_with(pi.version_source, "/pyvenv.cfg"));
    char *site = xasprintf("%s/lib/python%d.%d/site-packages", venv, pi.major, pi.minor);
    assert_true(pi.site_dirs.n >= 1);
    assert_string_equal(pi.site_dirs.v[0], site);
    struct pyinfo_dist d;
    assert_int_equal(pyinfo_torch_installed(&pi, &d), 0);
    if (pip) {
        assert_int_equal(pyinfo_find_dist(&pi, "pip", &d), 1);
        assert_string_equal(d.name, "pip");
        assert_true(isdigit((unsigned char)d.version[0]));
        assert_true(strncmp(d.path, site, strlen(site)) == 0);
        pyinfo_dist_free(&d);
    }
    pyinfo_free(&pi);

    /* the venv's python symlink leads to the same answer */
    char *vpy = xasprintf("%s/bin/python", venv);
    assert_int_equal(pyinfo_from_python(vpy, &pi), 0);
    assert_string_equal(pi.version, truth);
    assert_string_equal(pi.python, vpy);
    pyinfo_free(&pi);
    /* and the base interpreter, outside the venv, tells its version without a venv */
    assert_int_equal(pyinfo_from_python(python, &pi), 0);
    assert_false(pi.is_venv);
    char *mm = xasprintf("%d.%d", pi.major, pi.minor);
    assert_int_equal(strncmp(truth, mm, strlen(mm)), 0);
    free(mm);
    pyinfo_free(&pi);

    free(vpy);
    free(site);
    free(pip);
    free(truth);
    rm_rf(venv);
    free(venv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_shebang),
        cmocka_unit_test(test_environments),
        cmocka_unit_test(test_conda_prefix),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_find_dist),
        cmocka_unit_test(test_user_site),
        cmocka_unit_test(test_conda_subdir),
        cmocka_unit_test(test_platform),
        cmocka_unit_test(test_real_venv),
    };
    return cmocka_run_group_tests_name("pyinfo", tests, group_setup, group_teardown);
}
