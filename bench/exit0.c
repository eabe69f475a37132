/* exit0.c — the trivial "real tool" of bench row 1.
 *
 * bench/run.sh links it statically (when the static libc is installed) and
 * puts it on PATH as `pip`, after the shim, so that row 1 measures what an
 * exec costs and nothing the tool itself does. It exits 0 at once, whatever
 * its arguments. */
int main(void)
{
    return 0;
}
