/*
 * ignore.h - keeping tracked data out of git: dv adds "/name" to the
 * .gitignore of the directory holding the data (as DVC does), once, and
 * removes it again when the data is untracked.
 */
#ifndef DV_IGNORE_H
#define DV_IGNORE_H

#include "dv/repo.h"

/* Ensure `relpath` is ignored; `gitignore_out` (may be NULL) receives the
 * repo-relative path of the .gitignore touched. */
int dv_gitignore_add(char **gitignore_out, dv_repo *repo, const char *relpath);
int dv_gitignore_remove(char **gitignore_out, dv_repo *repo, const char *relpath);

#endif
