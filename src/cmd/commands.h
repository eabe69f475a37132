/* commands.h — the engine's commands, one file each (cmd_<name>.c).
 * Each takes argv[0] = its own name. */
#ifndef TORCHSHIM_COMMANDS_H
#define TORCHSHIM_COMMANDS_H

int cmd_shim(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_resolve(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_mirrors(int argc, char **argv);

#endif
