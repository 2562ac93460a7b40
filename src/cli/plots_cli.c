/*
 * plots_cli.c - the plot-property options shared by `dv plots modify` and
 * `dv stage add --plot` (plots_cli.h), so both accept and check the same.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dv/error.h"
#include "plots_cli.h"

bool cli_is_plot_option(int opt)
{
	return opt == 'x' || opt == 'y' || opt == 't' || opt == 'T' || opt == 'X' || opt == 'Y';
}

int cli_plot_option_apply(dv_plot_props **props, int opt, const char *value, bool *y_seen)
{
	dv_plot_props *p;
	char **field;

	if (!*value)
		return dv_error(DV_EUSAGE, "empty value for -%c; 'dv plots modify --unset' removes a property",
				opt);
	if (opt == 't' && dv_plot_template_index(value) < 0)
		return dv_error(DV_EUSAGE, "unknown plot template '%s' (known: linear, scatter, smooth, bar, "
				"confusion, confusion_normalized)", value);
	if (!*props)
		*props = dv_plot_props_new();
	p = *props;
	if (opt == 'y') {
		if (!*y_seen) {
			dv_strvec_free(&p->y);
			*y_seen = true;
		}
		if (!dv_strvec_contains(&p->y, value))
			dv_strvec_push(&p->y, value);
		return 0;
	}
	field = opt == 'x' ? &p->x : opt == 't' ? &p->template : opt == 'T' ? &p->title :
		opt == 'X' ? &p->x_label : &p->y_label;
	free(*field);
	*field = dv_strdup(value);
	return 0;
}
