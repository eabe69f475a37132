/* pipconf.h — the source settings in pip's configuration files, as the pip
 * torchshim will run reads them (pip/_internal/configuration.py):
 *
 *   global  $XDG_CONFIG_DIRS/pip/pip.conf (each dir; default /etc/xdg),
 *           /etc/pip.conf
 *   user    ~/.pip/pip.conf, $XDG_CONFIG_HOME/pip/pip.conf (~/.config/...)
 *   site    <prefix of the pip's environment>/pip.conf
 *   then    $PIP_CONFIG_FILE; PIP_CONFIG_FILE=/dev/null loads none at all
 *
 * Later files win key by key; in a file, the subcommand's section
 * ([install], [download], [wheel]) wins over [global]. Keys are long option
 * names ("index-url"; "index_url" alike); continuation lines extend a value;
 * list values are separated by white space. Each file is read whole, at most
 * PIPCONF_MAX_FILE bytes, regular files only (others are skipped: pip's
 * problem to report). Environment variables (PIP_INDEX_URL ...) are the
 * caller's: they override these. */
#ifndef TORCHSHIM_PIPCONF_H
#define TORCHSHIM_PIPCONF_H

#define PIPCONF_MAX_FILE ((size_t)1 << 20)

enum pipconf_key { PC_INDEX_URL, PC_EXTRA_INDEX_URL, PC_FIND_LINKS, PC_NO_INDEX, PC_NKEYS };

struct pipconf {
    char *value[PC_NKEYS];     /* NULL when no file sets it */
    char *origin[PC_NKEYS];    /* the file that set it */
};

/* Load for SUBCMD (install, download, wheel) and the pip at REAL_PIP
 * (<prefix>/bin/pip; NULL: no site file). Never fails: unreadable files are
 * skipped. */
void pipconf_load(struct pipconf *pc, const char *real_pip, const char *subcmd);
void pipconf_free(struct pipconf *pc);
/* The option name of a key ("extra-index-url"). */
const char *pipconf_key_name(enum pipconf_key k);

#endif
