/* Declarations of every cmd_<name>() in the command table. */
#ifndef DV_COMMANDS_H
#define DV_COMMANDS_H

#include "cli.h"

#define DV_COMMAND(name, fn, flags, summary) int fn(int argc, char **argv, dv_repo *repo);
#include "commands.def"
#undef DV_COMMAND

#endif
