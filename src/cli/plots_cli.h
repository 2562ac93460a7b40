/*
 * plots_cli.h - the plot-property options `dv plots modify` and
 * `dv stage add --plot` share: -x FIELD, -y FIELD (repeatable),
 * -t/--template, --title, --x-label, --y-label.
 */
#ifndef DV_PLOTS_CLI_H
#define DV_PLOTS_CLI_H

#include <stdbool.h>

#include "dv/stage.h"

#define CLI_PLOT_SHORTOPTS "x:y:t:"
/* The long options; title and the labels have no short form, their
 * getopt codes are the letters T, X and Y. */
#define CLI_PLOT_LONGOPTS \
	{ "x", required_argument, NULL, 'x' }, { "y", required_argument, NULL, 'y' }, \
	{ "template", required_argument, NULL, 't' }, { "title", required_argument, NULL, 'T' }, \
	{ "x-label", required_argument, NULL, 'X' }, { "y-label", required_argument, NULL, 'Y' }

/* Is getopt's `opt` one of the plot options? */
bool cli_is_plot_option(int opt);
/* Apply one plot option to *props (created when NULL).  The first -y of a
 * command replaces the listed y fields (`y_seen` tracks that).  Returns 0,
 * or DV_EUSAGE with the error set (an unknown template, an empty value). */
int cli_plot_option_apply(dv_plot_props **props, int opt, const char *value, bool *y_seen);

#endif
