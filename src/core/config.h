/* config.h — torchshim's configuration: mirror sites, which site serves each
 * role, network limits, the PyTorch package lists, prefetching.
 *
 * Sources, later ones overriding earlier ones key by key:
 *   1. the shipped defaults <datadir>/torchshim.ini (config/ in the tree);
 *   2. the user's file: $TORCHSHIM_CONFIG, else
 *      $XDG_CONFIG_HOME/torchshim/config.ini, else ~/.config/torchshim/config.ini
 *      (XDG_CONFIG_HOME and HOME only when absolute: never a file in the
 *      current directory). Each file must be a regular file of at most
 *      CONFIG_MAX_FILE bytes; $TORCHSHIM_CONFIG must exist; a directory or a
 *      device in its place is an error;
 *   3. TORCHSHIM_MIRROR=<site>: that site for every role it serves.
 * INI syntax as parsed by libinih: [section], key = value, ';' comments
 * (inline after whitespace), indented continuation lines. */
#ifndef TORCHSHIM_CONFIG_H
#define TORCHSHIM_CONFIG_H

#include <stddef.h>

#include "strv.h"

enum role { ROLE_WHEELS, ROLE_PYPI, ROLE_CONDA, ROLE_NVIDIA, ROLE_N };
enum wheels_format { WHEELS_FIND_LINKS, WHEELS_SIMPLE };

struct site {
    char *name;
    char *url[ROLE_N];          /* NULL where the site does not serve the role */
    enum wheels_format wheels_format;
    char *wheels_nightly;       /* template with {variant}, or NULL */
    char *conda_channels;       /* space-separated channel names under url[ROLE_CONDA] */
    char *defaults;             /* space-separated URLs for conda's "defaults" */
};

/* [prefetch] enabled: when the big wheels are downloaded before pip runs
 * (src/pip/prefetch.h, README "Prefetch"). */
enum prefetch_mode {
    PREFETCH_AUTO = 0,         /* intercepted pip installs, files above the threshold */
    PREFETCH_ALWAYS,           /* intercepted pip installs, every pinned wheel */
    PREFETCH_NEVER,
};
#define PREFETCH_DEFAULT_THRESHOLD ((long long)100 << 20)   /* 100M */
#define PREFETCH_DEFAULT_CONNECTIONS 8
#define PREFETCH_MAX_CONNECTIONS 64

/* Largest configuration file read (larger is an error). */
#define CONFIG_MAX_FILE ((size_t)1 << 20)

struct config {
    struct site *sites;
    size_t nsites, sites_cap;
    char *use[ROLE_N];          /* space-separated site names, in order */
    long connect_timeout;       /* seconds */
    long timeout;               /* seconds */
    long cache_ttl;             /* seconds */
    char *pip_packages;         /* space-separated, PEP 503 names */
    char *conda_packages;       /* space-separated */
    char *datadir;              /* where torchshim.ini and the tables are */
    char *user_file;            /* the user file read, or NULL */
    /* [prefetch] */
    int prefetch_enabled;       /* enum prefetch_mode */
    long long prefetch_threshold;  /* bytes (K, M, G suffixes: binary units) */
    int prefetch_connections;   /* per file, 1..PREFETCH_MAX_CONNECTIONS */
    char *prefetch_dir;         /* the wheel store, absolute ("~/" expanded from an
                                   absolute HOME); NULL: <cache dir>/wheels */
    struct strv warnings;       /* unknown keys and sections, ignored settings */
};

/* "100M", "2G", "512K", "1048576" (optionally followed by "B" or "iB";
 * K, M, G are binary units) into *out. 0, or -1 when malformed. */
int config_parse_size(const char *v, long long *out);

/* Load everything. On error returns -1 with a message in *err (malloc'd). */
int config_load(struct config *c, char **err);
/* Load only the given files (tests). */
int config_load_files(struct config *c, const char *defaults, const char *user, char **err);
void config_free(struct config *c);

const char *role_name(enum role r);
const struct site *config_site(const struct config *c, const char *name);
/* The sites chosen for ROLE that serve it, in order; returns the count. */
size_t config_sites_for(const struct config *c, enum role r, const struct site **out, size_t max);
/* The first of them, or NULL. */
const struct site *config_site_for(const struct config *c, enum role r);
/* Is SITE the official upstream? */
int site_is_official(const struct site *s);
/* Does the site's conda root serve CHANNEL (e.g. "conda-forge")? Without
 * conda-channels, a conda root serves the pytorch channel only. */
int site_serves_channel(const struct site *s, const char *channel);

/* The configured (non-official) site whose wheels or wheels-nightly URL
 * URL is, and the variant it names ("" for a page of every variant), or
 * NULL. Scheme and trailing slashes do not count. */
const struct site *config_wheels_site_of(const struct config *c, const char *url, char *variant,
                                         size_t vn, int *nightly);

/* Expand {variant} in a wheels template; malloc'd. */
char *site_wheels_url(const char *tmpl, const char *variant);

/* Is NAME (any spelling; PEP 503-normalised here) in the space-separated list? */
int config_list_has(const char *list, const char *name);

/* The data directory: $TORCHSHIM_DATADIR, else ../share/torchshim or
 * ../config beside the running executable. malloc'd. */
char *config_datadir(void);
/* Path of a shipped data file (e.g. "pairing.tsv"); malloc'd. */
char *config_data_file(const struct config *c, const char *name);
/* The user config file path per the order above; malloc'd. */
char *config_user_path(void);

#endif
