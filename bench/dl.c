/* bench/dl.c — a tiny driver of the downloader (src/net/download.h) for
 * bench/download.sh and for trying it out by hand:
 *
 *   dl [-c CONNS] [-m MIN_PIECE] [-s SIZE] [--sha256 HEX] [--md5 HEX]
 *      [--progress] [--no-archive-check] DEST URL [URL...]
 *
 * Prints one line on stdout:
 *   ok|failed|interrupted bytes=N fetched=N reused=N requests=N dropped=N seconds=S sha256=HEX
 * and the error on stderr. Exit 0 when DEST is in place and verified, 1 when
 * not, 128+signal after SIGINT/SIGTERM (the part file stays resumable).
 * TORCHSHIM_VERBOSE=1 traces every request.
 *
 * Built by bench/download.sh against build/libtorchshim.a:
 *   cc -O2 -D_GNU_SOURCE -Isrc/common -Isrc/net bench/dl.c build/libtorchshim.a \
 *      $(pkg-config --cflags --libs libcurl libarchive libuv libcrypto ...) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "download.h"
#include "msg.h"

static void usage(void)
{
    fprintf(stderr, "usage: dl [-c CONNS] [-m MIN_PIECE] [-s SIZE] [--sha256 HEX] [--md5 HEX]\n"
                    "          [--progress] [--no-archive-check] DEST URL [URL...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "sha256", required_argument, NULL, 'S' },
        { "md5", required_argument, NULL, 'M' },
        { "progress", no_argument, NULL, 'P' },
        { "no-archive-check", no_argument, NULL, 'A' },
        { NULL, 0, NULL, 0 },
    };
    struct dl_file f = { 0 };
    struct dl_opts o = { 0 };
    int c;
    msg_init_from_env();
    while ((c = getopt_long(argc, argv, "c:m:s:", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.connections = atoi(optarg); break;
        case 'm': o.min_piece = strtoll(optarg, NULL, 10); break;
        case 's': f.size = strtoll(optarg, NULL, 10); break;
        case 'S': f.sha256 = optarg; break;
        case 'M': f.md5 = optarg; break;
        case 'P': o.progress = 1; break;
        case 'A': f.no_archive_check = 1; break;
        default: usage();
        }
    }
    if (argc - optind < 2)
        usage();
    f.dest = argv[optind];
    f.urls = (const char *const *)&argv[optind + 1];
    f.nurls = (size_t)(argc - optind - 1);
    struct fetch_opts fo = { .connect_timeout_ms = 5000 };
    o.fetch = &fo;

    char *err = NULL;
    int sig = 0;
    int r = download_run(&f, 1, &o, &sig, &err);
    printf("%s bytes=%lld fetched=%lld reused=%lld requests=%d dropped=%d seconds=%.3f sha256=%s\n",
           r == DL_OK ? "ok" : r == DL_INTERRUPTED ? "interrupted" : "failed", (long long)f.bytes,
           (long long)f.fetched, (long long)f.reused, f.requests, f.mirrors_dropped, f.seconds,
           f.sha256_got[0] ? f.sha256_got : "-");
    if (err)
        fprintf(stderr, "dl: %s\n", err);
    free(err);
    dl_file_clear(&f);
    return r == DL_OK ? 0 : r == DL_INTERRUPTED ? 128 + sig : 1;
}
