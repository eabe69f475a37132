/* initcmd.h — `torchshim init`: wire torchshim into an interactive shell.
 *
 *   eval "$(torchshim init bash)"          in ~/.bashrc
 *   eval "$(torchshim init zsh)"           in ~/.zshrc
 *   torchshim init fish | source           in ~/.config/fish/config.fish
 *   torchshim init --uninstall [SHELL]     how to take it out again
 *   torchshim init                         the shell named by $SHELL
 *
 * Prints the shell's snippet (shim/init/torchshim.<shell>, installed to
 * <prefix>/share/torchshim/init/) with its placeholders filled in, in code
 * only (a line whose first non-blank character is '#' is printed as it is,
 * so the header can name the placeholders):
 *   @TORCHSHIM@  the absolute path of this torchshim, quoted for the shell;
 *   @SHIMDIR@    the shim directory (pip, conda, ... -> torchshim) quoted,
 *                or an empty word when there is none;
 *   @PYMINORS@   the Python 3 minor versions X that get pip3.X and python3.X
 *                functions, as words: "8 9 ... 15".
 * The snippet defines shell functions for pip, pip3, pip3.X, conda, mamba
 * and micromamba (see the snippets for why functions and not only PATH),
 * and for python, python3 and python3.X, which hand `-m pip` installs
 * (install, download, wheel) to `torchshim pip --python PY` and run the
 * interpreter untouched otherwise; it puts the shim directory on PATH once;
 * evaluating it twice changes nothing. `--uninstall` prints how to undo it
 * (the functions it removes are listed from the same version range).
 *
 * Where things are found:
 *   snippet:  $TORCHSHIM_DATADIR/init/, <exe dir>/../share/torchshim/init/
 *             (installed), <exe dir>/../shim/init/ (build tree), then the
 *             data directory compiled in (TORCHSHIM_DATADIR_FALLBACK) when
 *             TORCHSHIM_DATADIR is not set;
 *   shim dir: $TORCHSHIM_SHIMDIR when it is a directory, else
 *             <exe dir>/../share/torchshim/shims when that is one.
 *
 * Libc only: this is part of the front end.
 * Exit status: 0; 1 when the snippet cannot be found or read or stdout fails;
 * 2 for a usage error (unknown shell or option). */
#ifndef TORCHSHIM_INITCMD_H
#define TORCHSHIM_INITCMD_H

/* argv[0] is "init". */
int cmd_init(int argc, char **argv);

#endif
