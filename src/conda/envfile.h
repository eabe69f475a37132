/* envfile.h — read a conda environment file (environment.yml, as `conda env
 * create -f`, `conda env update -f`, `mamba env create -f` and `micromamba
 * create -f` take it), let the caller replace its sources and package
 * strings, and write the result as a new file.
 *
 * What is read (libyaml; the file's top level must be a mapping):
 *   name, prefix                     scalars (NULL when absent)
 *   variables                        a mapping of scalars (NAME: value)
 *   channels                         its string items, in order
 *   dependencies                     its string items (conda match specs), in
 *                                    order, and the list under the first
 *                                    `- pip:` item: pip lines, each a
 *                                    requirement ("torch==2.3.1") or an
 *                                    option line ("--index-url URL",
 *                                    "--extra-index-url URL", "-f URL",
 *                                    "--find-links URL", "-r file", ...),
 *                                    as written (the caller parses them)
 * Everything else (other keys, nested values, tags, aliases, the order of
 * keys and items, scalar and collection styles) is kept and written back;
 * libyaml's dumper renames anchors (&id001) and re-indents. Comments are
 * not kept: libyaml does not report them. The written file starts with a
 * comment saying so and naming the original.
 *
 * Indexes: channel i, dep i and pip line i count only string items of their
 * list (a `- pip:` mapping is not a dep; an item that is not a string is
 * skipped), in file order, and are renumbered by inserts and removals.
 *
 * Limits: at most ENVFILE_MAX_BYTES of input, YAMLDOC_MAX_DEPTH nesting,
 * one YAML document; the written text at most ENVFILE_MAX_OUT bytes.
 *
 * Memory: struct envfile is opaque and owns everything; strings returned
 * by the accessors stay valid until the item is replaced or removed, or the
 * envfile is freed. Errors: functions returning int give 0, or -1 with
 * *err (seterr); the envfile is unchanged after a failed edit. */
#ifndef TORCHSHIM_ENVFILE_H
#define TORCHSHIM_ENVFILE_H

#include <stddef.h>

#define ENVFILE_MAX_BYTES (4 * 1024 * 1024)
#define ENVFILE_MAX_OUT (64 * 1024 * 1024)

struct envfile;

/* Parse TEXT (LEN bytes); NAME names it in messages and in the header of
 * the written file (usually its path). */
int envfile_parse(const char *text, size_t len, const char *name, struct envfile **out,
                  char **err);
/* Read and parse PATH (a regular file; never blocks on a FIFO). */
int envfile_load(const char *path, struct envfile **out, char **err);
void envfile_free(struct envfile *ef);

const char *envfile_name(const struct envfile *ef);
const char *envfile_prefix(const struct envfile *ef);
size_t envfile_nvariables(const struct envfile *ef);
/* Variable I's name; its value in *VALUE. */
const char *envfile_variable(const struct envfile *ef, size_t i, const char **value);

size_t envfile_nchannels(const struct envfile *ef);
const char *envfile_channel(const struct envfile *ef, size_t i);
size_t envfile_ndeps(const struct envfile *ef);
const char *envfile_dep(const struct envfile *ef, size_t i);
/* Is there a `- pip:` list (possibly empty)? */
int envfile_has_pip(const struct envfile *ef);
size_t envfile_npip(const struct envfile *ef);
const char *envfile_pip(const struct envfile *ef, size_t i);

/* Replace item I with VALUE (written quoted when plain text would read back
 * as a number, bool or null). */
int envfile_set_channel(struct envfile *ef, size_t i, const char *value, char **err);
int envfile_set_dep(struct envfile *ef, size_t i, const char *value, char **err);
int envfile_set_pip(struct envfile *ef, size_t i, const char *value, char **err);

/* Insert VALUE so that it becomes channel AT (AT == nchannels appends). A
 * file without `channels:` gets one (after `name:`, else first). */
int envfile_insert_channel(struct envfile *ef, size_t at, const char *value, char **err);
/* Insert a pip line at AT (AT == npip appends); needs a `- pip:` list. */
int envfile_insert_pip(struct envfile *ef, size_t at, const char *value, char **err);
int envfile_remove_channel(struct envfile *ef, size_t i, char **err);
int envfile_remove_pip(struct envfile *ef, size_t i, char **err);

/* The file as YAML text (header comment included), malloc'd, in *OUT and *LEN. */
int envfile_emit(const struct envfile *ef, char **out, size_t *len, char **err);
/* Write it to PATH atomically (fileio.h file_write_atomic, mode 0644). */
int envfile_write(const struct envfile *ef, const char *path, char **err);

#endif
