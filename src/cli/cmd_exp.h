/*
 * cmd_exp.h - what the files of `dv exp` share: the subcommands that live
 * in their own files, the usage text, and finding the dv binary that
 * runs experiments in child processes.
 */
#ifndef DV_CMD_EXP_H
#define DV_CMD_EXP_H

#include <stddef.h>

#include "dv/repo.h"

const char *const *cli_exp_usage(void);
/* /proc/self/exe into `exe`. */
int cli_exp_exe(char *exe, size_t size);

int cli_exp_show(int argc, char **argv, dv_repo *repo);
int cli_exp_push(int argc, char **argv, dv_repo *repo);
int cli_exp_pull(int argc, char **argv, dv_repo *repo);

#endif
