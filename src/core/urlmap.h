/* urlmap.h — recognise the official sources torchshim redirects.
 *
 *   https://download.pytorch.org/whl/<variant>[/...]         PyTorch wheels
 *   https://download.pytorch.org/whl/nightly/<variant>        nightly wheels
 *   https://download.pytorch.org/whl/test/<variant>           release candidates
 *   https://download.pytorch.org/whl[/<variant>]/torch_stable.html  legacy flat page
 *   https://pypi.org/simple, https://pypi.python.org/simple   PyPI
 *   pytorch, nvidia, conda-forge, https://conda.anaconda.org/<channel>  conda */
#ifndef TORCHSHIM_URLMAP_H
#define TORCHSHIM_URLMAP_H

#include <stddef.h>

enum wheel_channel { WCH_STABLE, WCH_NIGHTLY, WCH_TEST };

struct pytorch_index {
    enum wheel_channel channel;
    char variant[32];     /* "cu118", "cpu", "rocm6.1"; "" for the all-variants page */
    int flat_page;        /* .../torch_stable.html */
};

/* Is URL a download.pytorch.org wheel index? Fills *out when it is. */
int urlmap_pytorch_index(const char *url, struct pytorch_index *out);
/* Does URL point at download.pytorch.org at all? */
int urlmap_is_pytorch_host(const char *url);
/* A URL on the hosts the official index serves its files from
 * (download.pytorch.org, download-r2.pytorch.org): its path ("/whl/..."),
 * else NULL. */
const char *urlmap_official_files_path(const char *url);
/* Is URL the official PyPI simple index? */
int urlmap_is_official_pypi(const char *url);
/* Is VARIANT a plausible wheel variant label (cpu, cu121, rocm6.1, xpu, ...)? */
int urlmap_valid_variant(const char *variant);

/* Official conda channel named by a -c value: "pytorch", "pytorch/label/x",
 * "https://conda.anaconda.org/pytorch", ".../pytorch/" -> copies "pytorch"
 * (the channel, without label) into out and returns 1; a mirror or other URL
 * returns 0. "defaults" is returned as "defaults". */
int urlmap_conda_channel(const char *value, char *out, size_t n);

#endif
