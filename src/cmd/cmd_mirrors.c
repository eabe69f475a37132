/* cmd_mirrors.c — torchshim mirrors: the configured sites and which ones are
 * in use; with --probe, how fast each answers; with --save, the fastest per
 * role written into the user's [use] section.
 *
 *   torchshim mirrors [SITE...]
 *   torchshim mirrors --probe [--timeout S] [--save] [SITE...]
 *
 * SITE limits the listing / the probe to those sites. The probe asks every
 * site for every role it serves, all at once (probe.h), for at most S
 * seconds (default 5), and prints one table per role, fastest first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "msg.h"
#include "probe.h"
#include "strv.h"

static double mono_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    errorf("usage: torchshim mirrors [--probe [--timeout SECONDS] [--save]] [SITE...]");
    return 2;
}

/* Is SITE one of those [use] picks for ROLE? */
static int in_use(const struct config *c, enum role r, const char *site)
{
    const struct site *sites[64];
    size_t n = config_sites_for(c, r, sites, sizeof sites / sizeof *sites);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(sites[i]->name, site))
            return 1;
    return 0;
}

static void print_sources(const struct config *c)
{
    char *user = config_user_path();
    printf("configuration: %s/torchshim.ini (shipped defaults)\n",
           c->datadir ? c->datadir : "?");
    if (c->user_file)
        printf("               %s (yours)\n", c->user_file);
    else
        printf("               no user file%s%s%s\n", user ? " (" : "", user ? user : "",
               user ? " would be read)" : "");
    const char *m = getenv("TORCHSHIM_MIRROR");
    if (m && *m)
        printf("               TORCHSHIM_MIRROR=%s\n", m);
    free(user);
}

static void list_sites(const struct config *c, char *const *only, size_t nonly)
{
    print_sources(c);
    printf("\n[use]\n");
    for (int r = 0; r < ROLE_N; r++)
        printf("  %-7s %s\n", role_name((enum role)r), c->use[r] ? c->use[r] : "(none)");
    printf("\nsites ('*' marks a URL [use] picks):\n");
    for (size_t i = 0; i < c->nsites; i++) {
        const struct site *s = &c->sites[i];
        if (!probe_site_listed(s, c, only, nonly))
            continue;
        printf("  %s\n", s->name);
        for (int r = 0; r < ROLE_N; r++) {
            if (!s->url[r])
                continue;
            const char *extra = "";
            if (r == ROLE_WHEELS)
                extra = s->wheels_format == WHEELS_SIMPLE ? "  (simple index)" : "  (find-links page)";
            printf("    %c %-7s %s%s\n", in_use(c, (enum role)r, s->name) ? '*' : ' ',
                   role_name((enum role)r), s->url[r], extra);
            if (r == ROLE_CONDA && s->conda_channels)
                printf("      %-7s channels: %s\n", "", s->conda_channels);
        }
    }
}

/* What each role's probe asks for (probe.h). */
static const char *const probe_what[ROLE_N] = {
    "the cpu variant page", "<pypi>/typing-extensions/", "<conda>/pytorch/noarch/repodata.json",
    "<nvidia>/noarch/repodata.json",
};

/* One table per role, ITEMS sorted by probe_sort. A failure shows its URL. */
static void print_table(const struct config *c, const struct probe_item *items, size_t n,
                        long timeout_ms)
{
    int w = 4;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(items[i].site) > w)
            w = (int)strlen(items[i].site);
    for (size_t i = 0; i < n;) {
        enum role r = items[i].role;
        printf("\n%s (%s)\n", role_name(r), probe_what[r]);
        printf("  %3s   %-*s %9s %11s  %s\n", "#", w, "site", "latency", "speed", "status");
        int rank = 0;
        for (; i < n && items[i].role == r; i++) {
            const struct probe_item *it = &items[i];
            char num[16], lat[32], rate[32];
            if (it->state == PROBE_OK)
                snprintf(num, sizeof num, "%d", ++rank);
            else
                snprintf(num, sizeof num, "-");
            probe_fmt_duration(it->state == PROBE_OK ? it->latency : -1, lat, sizeof lat);
            probe_fmt_rate(probe_rate(it), rate, sizeof rate);
            char *status = probe_fmt_status(it, timeout_ms);
            printf("  %3s %c %-*s %9s %11s  %s%s%s%s\n", num, in_use(c, r, it->site) ? '*' : ' ', w,
                   it->site, lat, rate, status, it->state == PROBE_OK ? "" : " (", 
                   it->state == PROBE_OK ? "" : it->url, it->state == PROBE_OK ? "" : ")");
            free(status);
        }
    }
}

/* Write the fastest answering site per role into the user file. */
static int save(const struct probe_item *items, size_t n)
{
    const char *use[ROLE_N] = { NULL };
    struct strv said = STRV_INIT;
    for (int r = 0; r < ROLE_N; r++) {
        int probed = 0;
        for (size_t i = 0; i < n; i++)
            probed |= items[i].role == (enum role)r;
        const struct probe_item *best = probe_best(items, n, (enum role)r);
        if (best) {
            use[r] = best->site;
            strv_pushf(&said, "%s = %s", role_name((enum role)r), best->site);
        } else if (probed) {
            notef("no site answered for %s: [use] %s is left as it was", role_name((enum role)r),
                  role_name((enum role)r));
        }
    }
    if (!said.n) {
        errorf("no site answered: nothing saved");
        strv_clear(&said);
        return 1;
    }
    char *path = config_user_path(), *err = NULL;
    int r = 0;
    if (probe_save_use(path, use, &err)) {
        errorf("cannot save: %s", err);
        free(err);
        r = 1;
    } else {
        printf("\nsaved to %s:\n[use]\n", path);
        for (size_t i = 0; i < said.n; i++)
            printf("%s\n", said.v[i]);
    }
    free(path);
    strv_clear(&said);
    return r;
}

static int probe(const struct config *c, char *const *only, size_t nonly, long timeout_ms,
                 int do_save)
{
    struct probe_item *items = NULL;
    char *err = NULL;
    long n = probe_plan(c, 0, only, nonly, &items, &err);
    if (n < 0) {
        errorf("%s", err);
        free(err);
        return 2;
    }
    if (n == 0) {
        errorf("no site serves any role: nothing to probe");
        free(items);
        return 1;
    }
    size_t nsites = 0;
    for (long i = 0; i < n; i++) {
        long k = 0;
        while (k < i && strcmp(items[k].site, items[i].site))
            k++;
        nsites += k == i;
    }
    char d[32];
    probe_fmt_duration((double)timeout_ms / 1000, d, sizeof d);
    printf("probing %ld URLs of %zu sites at once (at most %s)...\n", n, nsites, d);
    fflush(stdout);
    struct probe_opts o = { .timeout_ms = timeout_ms,
                            .connect_timeout_ms = c->connect_timeout * 1000 };
    double t0 = mono_secs();
    long answered = probe_run(items, (size_t)n, &o, &err);
    if (answered < 0) {
        errorf("probe: %s", err);
        free(err);
        probe_items_free(items, (size_t)n);
        return 1;
    }
    double took = mono_secs() - t0;
    probe_sort(items, (size_t)n);
    print_table(c, items, (size_t)n, timeout_ms);
    probe_fmt_duration(took, d, sizeof d);
    printf("\n%ld of %ld answered in %s ('*': in use; latency: time to the first byte; speed: "
           "of the body)\n",
           answered, n, d);
    int r = answered > 0 ? 0 : 1;
    if (do_save)
        r = save(items, (size_t)n);
    probe_items_free(items, (size_t)n);
    return r;
}

int cmd_mirrors(int argc, char **argv)
{
    int do_probe = 0, do_save = 0;
    long timeout_ms = PROBE_DEFAULT_TIMEOUT_MS;
    struct strv only = STRV_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--probe")) {
            do_probe = 1;
        } else if (!strcmp(a, "--save")) {
            do_save = do_probe = 1;
        } else if (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10)) {
            const char *v = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : NULL;
            char *end = NULL;
            errno = 0;
            double s = v ? strtod(v, &end) : -1;
            if (!v || errno || end == v || *end || !(s > 0) || s > 3600) {
                errorf("--timeout wants a number of seconds (0 < S <= 3600)");
                strv_clear(&only);
                return 2;
            }
            timeout_ms = (long)(s * 1000 + 0.5);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: torchshim mirrors [--probe [--timeout SECONDS] [--save]] [SITE...]\n\n"
                   "  (no option)  list the configured sites and the [use] choice per role\n"
                   "  --probe      ask every site for every role it serves, at once, and rank\n"
                   "               them by latency (time to the first byte)\n"
                   "  --timeout S  give up on what has not answered after S seconds (5)\n"
                   "  --save       write the fastest answering site per role into [use] of\n"
                   "               your config file (other content is kept)\n"
                   "  SITE...      only these sites\n");
            strv_clear(&only);
            return 0;
        } else if (a[0] == '-') {
            strv_clear(&only);
            return usage();
        } else {
            strv_push(&only, a);
        }
    }

    struct config c;
    char *err = NULL;
    if (config_load(&c, &err)) {
        errorf("configuration: %s", err);
        free(err);
        config_free(&c);
        strv_clear(&only);
        return 1;
    }
    int r = 0;
    for (size_t i = 0; i < only.n; i++)
        if (!config_site(&c, only.v[i])) {
            errorf("no mirror site '%s' is configured (see torchshim mirrors)", only.v[i]);
            r = 2;
        }
    if (!r) {
        if (do_probe)
            r = probe(&c, only.v, only.n, timeout_ms, do_save);
        else
            list_sites(&c, only.v, only.n);
    }
    config_free(&c);
    strv_clear(&only);
    return r;
}
