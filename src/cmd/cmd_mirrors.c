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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "msg.h"
#include "probe.h"
#include "strv.h"

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
    double t0 = timing_now();
    long answered = probe_run(items, (size_t)n, &o, &err);
    if (answered < 0) {
        errorf("probe: %s", err);
        free(err);
        probe_items_free(items, (size_t)n);
        return 1;
    }
    double took = timing_now() - t0;
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

enum { OPT_PROBE = 100, OPT_SAVE, OPT_TIMEOUT };

static const struct optdef mirrors_opts[] = {
    { "probe", 0, 0, OPT_PROBE },
    { "save", 0, 0, OPT_SAVE },
    { "timeout", 0, 1, OPT_TIMEOUT },
    OPTDEF_END,
};

static int run(struct cmd_ctx *c)
{
    int do_save = cmd_has(c, OPT_SAVE), do_probe = do_save || cmd_has(c, OPT_PROBE);
    long timeout_ms = PROBE_DEFAULT_TIMEOUT_MS;
    if (cmd_seconds(c, OPT_TIMEOUT, 3600, &timeout_ms))
        return 2;
    for (size_t i = 0; i < c->args.n; i++)
        if (!config_site(&c->cfg, c->args.v[i]))
            return cmd_usage_error(c, "no mirror site '%s' is configured (see torchshim mirrors)",
                                   c->args.v[i]);
    if (do_probe)
        return probe(&c->cfg, c->args.v, c->args.n, timeout_ms, do_save);
    list_sites(&c->cfg, c->args.v, c->args.n);
    return 0;
}

const struct engine_cmd cmd_mirrors = {
    "mirrors", run, CMD_CONFIG, mirrors_opts,
    "usage: torchshim mirrors [--probe [--timeout SECONDS] [--save]] [SITE...]\n"
    "\n"
    "  (no option)  list the configured sites and the [use] choice per role\n"
    "  --probe      ask every site for every role it serves, at once, and rank\n"
    "               them by latency (time to the first byte)\n"
    "  --timeout S  give up on what has not answered after S seconds (5)\n"
    "  --save       write the fastest answering site per role into [use] of\n"
    "               your config file (other content is kept)\n"
    "  SITE...      only these sites\n",
};
