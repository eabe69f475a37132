#!/bin/sh
# install.sh — build and install torchshim.
#
#   ./install.sh              deps (apt, with sudo if needed), build, install to ~/.local
#   ./install.sh --system     ... to /usr/local
#   ./install.sh --prefix DIR ... to DIR
#   ./install.sh --deps-only [--test-deps]   only install the packages (CI uses this)
#   -y                        no questions (apt-get -y)
#
# Re-running it is harmless: packages already there stay, files are replaced,
# symlinks are re-made.
set -eu

prefix=${PREFIX:-$HOME/.local}
deps_only=0 test_deps=0 yes=0
while [ $# -gt 0 ]; do
    case $1 in
        --system) prefix=/usr/local ;;
        --prefix) shift; prefix=$1 ;;
        --prefix=*) prefix=${1#--prefix=} ;;
        --deps-only) deps_only=1 ;;
        --test-deps) test_deps=1 ;;
        -y|--yes) yes=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

cd "$(dirname "$0")"

# Build: a C compiler, make, pkg-config and the engine's libraries.
# Run: python3-pip, the tool torchshim stands in for (conda is yours to bring).
APT_BUILD="build-essential pkg-config libcurl4-openssl-dev libarchive-dev libcjson-dev libuv1-dev libinih-dev libyaml-dev libmsgpack-dev zlib1g-dev libssl-dev"
APT_RUN="python3-pip ca-certificates"
APT_TEST="libcmocka-dev bats nginx-light python3-venv zstd bzip2 curl hyperfine procps zsh fish time aria2 clang libclang-rt-14-dev"

say() { printf 'install.sh: %s\n' "$*"; }

install_deps() {
    if [ -r /etc/os-release ]; then . /etc/os-release; fi
    case " ${ID:-} ${ID_LIKE:-} " in
        *" debian "*|*" ubuntu "*)
            pkgs="$APT_BUILD $APT_RUN"
            [ "$test_deps" -eq 1 ] && pkgs="$pkgs $APT_TEST"
            missing=
            for p in $pkgs; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
                    missing="$missing $p"
            done
            if [ -z "$missing" ]; then
                say "packages already installed"
                return 0
            fi
            sudo=
            if [ "$(id -u)" -ne 0 ]; then
                sudo=sudo
                say "installing packages with sudo:$missing"
            else
                say "installing packages:$missing"
            fi
            assume=
            [ "$yes" -eq 1 ] || [ ! -t 0 ] && assume=-y
            export DEBIAN_FRONTEND=noninteractive
            $sudo apt-get update -qq
            # shellcheck disable=SC2086
            $sudo apt-get install $assume -qq --no-install-recommends $missing
            ;;
        *)
            say "not Debian/Ubuntu: install these yourself, then run make && make install"
            say "  dnf:    gcc make pkgconf-pkg-config libcurl-devel libarchive-devel cjson-devel libuv-devel inih-devel libyaml-devel msgpack-devel zlib-devel openssl-devel"
            say "  pacman: base-devel pkgconf curl libarchive cjson libuv libinih libyaml msgpack-c zlib openssl"
            say "  brew:   pkg-config curl libarchive cjson libuv inih libyaml msgpack zlib openssl"
            say "  tests:  cmocka bats nginx python3 zstd bzip2 curl hyperfine aria2 clang"
            for lib in libcurl libarchive libcjson libuv inih yaml-0.1 msgpack zlib libcrypto; do
                pkg-config --exists "$lib" 2>/dev/null || { say "missing: $lib"; exit 1; }
            done
            ;;
    esac
}

install_deps
[ "$deps_only" -eq 1 ] && exit 0

make -s
make -s install PREFIX="$prefix"

# The shim directory: pip, pip3, conda, mamba, micromamba -> torchshim.
shimdir=$prefix/share/torchshim/shims
mkdir -p "$shimdir"
for n in pip pip3 conda mamba micromamba; do
    ln -sfn "$prefix/bin/torchshim" "$shimdir/$n"
done

say "installed $prefix/bin/torchshim and the shims in $shimdir"
shell=$(basename "${SHELL:-bash}")
case $shell in
    zsh) rc='~/.zshrc'; line="eval \"\$($prefix/bin/torchshim init zsh)\"" ;;
    fish) rc='~/.config/fish/config.fish'; line="$prefix/bin/torchshim init fish | source" ;;
    *) rc='~/.bashrc'; line="eval \"\$($prefix/bin/torchshim init bash)\"" ;;
esac
say "to use it as pip and conda in your shell, add this line to $rc (after conda's block):"
echo
echo "    $line"
echo
say "for scripts and other shells, put the shim directory first on PATH instead:"
say "    export TORCHSHIM_SHIMDIR=\"$shimdir\" PATH=\"$shimdir:\$PATH\""
say "or run one command through it: $prefix/bin/torchshim install   (torchshim help)"
