/* pipfetch.h — prefetch on the pip path: the pinned PyTorch wheels of a
 * resolved pip command (pipjob.h, after resolve_pip) downloaded into the
 * wheel store (wheelstore.h) with prefetch_files() (prefetch.h), and the
 * requirements handed to pip replaced by the local files.
 *
 * When (pipfetch_run):
 *   - [prefetch] enabled is not never and TORCHSHIM_PREFETCH is not 0/false;
 *   - the command is a real install on this machine: `pip install`, without
 *     --dry-run, --platform/--abi/--implementation, --python-version, and
 *     not TORCHSHIM_DRY_RUN (download and wheel are never prefetched);
 *   - per wheel: not when the environment of the real pip has that very
 *     version installed (pip would say "already satisfied" and download
 *     nothing), unless pip reinstalls (--force-reinstall, -I) or installs
 *     elsewhere (--target, --prefix, --root, --python);
 *   - per wheel: it is in the store already (verified: no request), or
 *     enabled = always, or (auto) its size is above [prefetch] threshold.
 *     The size is asked before downloading with one HEAD request to the
 *     mirror that answered (sizeprobe.h; a ranged GET of byte 0 where HEAD
 *     is refused): the listings carry no sizes. A wheel file never changes, so the answer is kept in the
 *     cache (blob "wheel-size <url>", validated by its sha256 when known)
 *     and never asked again. A wheel whose size cannot be learnt is left
 *     to pip (a note).
 * Which requirements: those of the command line and of requirements files
 * the command names with -r (their copy gets the line, as the pin step's
 * copy does); not those of constraints files (pip refuses links there) nor
 * of files nested in others (whether pip reads them as constraints is not
 * known here): their wheels are left to pip.
 *
 * Sources: the wheel's URL on the wheels mirror that answered (job's pin),
 * then, when a SHA-256 is known (the listing's "#sha256=", or another
 * mirror's listing of the same file name), the same file's URL on every
 * other configured [use] wheels mirror (not the official one) whose
 * listing for the variant has it with the same digest: the downloader
 * spreads the connections over them. Without a digest, one mirror only
 * (pieces of two different files of the same name could not be told
 * apart).
 *
 * Torch's dependencies (pipdeps.h): the exactly pinned nvidia-* / triton
 * requirements of each torch wheel's METADATA that apply to the real pip's
 * interpreter join the wheels above (dep = 1) when every source pip reads
 * is one torchshim reads, as the file pip would take from them; the same
 * rules decide (installed already, in the store, always, threshold). The
 * ones now local are handed to pip by one more `--find-links` directory of
 * links (pipdeps.h says why that keeps what pip installs); pins are not
 * touched, nothing is added to the requirements.
 *
 * Handing over: `torch[extras]==2.3.1+cu121 ; marker` becomes
 * `torch[extras] @ file:///<store>/torch-2.3.1%2Bcu121-....whl ; marker`
 * (PEP 508 direct reference: extras and markers kept; the path is
 * percent-encoded). Any failure of a wheel leaves its pin as it was, with a
 * warning: pip then downloads it from the mirror as without prefetch.
 * SIGINT/SIGTERM during the download: the part files are kept (the next
 * run resumes them), nothing is rewritten, PIPFETCH_INTERRUPTED.
 *
 * Messages go to job->warnings (failures) and job->notes (what was done);
 * the downloader draws its progress line on a terminal unless pip's -q
 * (or --progress-bar off, PIP_QUIET, PIP_PROGRESS_BAR=off) says quiet. */
#ifndef TORCHSHIM_PIPFETCH_H
#define TORCHSHIM_PIPFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "pipjob.h"
#include "strv.h"

/* One wheel file that pins point at. */
struct pipfetch_wheel {
    char *filename;            /* percent-decoded: "torch-2.3.1+cu121-cp312-...whl" */
    char *project;             /* PEP 503 name of the requirement ("torch") */
    struct strv urls;          /* the answering mirror's URL first, then other mirrors' */
    char *sha256;              /* expected hex digest, or NULL */
    int64_t size;              /* bytes when probed, else -1 */
    int dep;                   /* a dependency of torch's (pipdeps.h), not a pin */
    char *requires_python;     /* a dependency's data-requires-python, or NULL */
};

struct pipfetch_wheels {
    struct pipfetch_wheel *v;
    size_t n;
};

/* The distinct wheel files JOB's pins point at: of every pinned
 * requirement (ALL), or only of those the prefetch may rewrite (see
 * above). Appends to OUT. */
void pipfetch_collect(const struct pip_job *job, int all, struct pipfetch_wheels *out);
/* Add the other configured wheels mirrors' URLs (see Sources), fetching
 * their listings (through the cache); failures are notes. */
void pipfetch_more_mirrors(struct pip_job *job, struct pipfetch_wheels *w);
void pipfetch_wheels_free(struct pipfetch_wheels *w);
void pipfetch_wheel_clear(struct pipfetch_wheel *w);

/* The effective [prefetch] enabled (TORCHSHIM_PREFETCH=0 makes it never). */
int pipfetch_mode(const struct config *cfg);
/* Does JOB's command qualify (see When)? 1 yes; 0 with *why_not static text. */
int pipfetch_applies(const struct pip_job *job, const char **why_not);
/* The last value of pip's long option NAME on JOB's command line, "" for a
 * flag, NULL when absent. */
const char *pipfetch_opt(const struct pip_job *job, const char *name);
/* Does pip's command line or environment say quiet? */
int pipfetch_quiet(const struct pip_job *job);

/* "file:///abs/path" with the path percent-encoded (malloc'd). */
char *pipfetch_file_url(const char *path);
/* The last path segment of URL, percent-decoded, when it is a safe wheel
 * file name (a well-formed wheel name, no '/', not starting with '.');
 * NULL otherwise. malloc'd. */
char *pipfetch_wheel_filename(const char *url);
/* REQ (a pinned requirement) as a direct reference to FILE_URL, keeping
 * name, extras and marker. malloc'd, or NULL when REQ does not parse. */
char *pipfetch_direct_reference(const char *req, const char *file_url);

enum pipfetch_result {
    PIPFETCH_NONE = 0,         /* nothing to prefetch (or off): pins as they are */
    PIPFETCH_DONE,             /* every wheel chosen is local now, pins rewritten */
    PIPFETCH_PARTIAL,          /* some failed (warnings): their pins unchanged */
    PIPFETCH_INTERRUPTED,      /* SIGINT/SIGTERM: *signo; nothing rewritten */
};

struct pipfetch_hooks {
    void (*before_download)(void *ctx);   /* once, before the first download request */
    void *ctx;
};

/* Prefetch JOB's wheels and rewrite its pins, as described above. HOOKS
 * may be NULL. *signo gets the signal of an interruption (0 otherwise). */
int pipfetch_run(struct pip_job *job, const struct pipfetch_hooks *hooks, int *signo);

#endif
