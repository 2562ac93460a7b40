/*
 * prepare.h - from a raw CSV file to model-ready matrices: validate, clean,
 * encode, split, standardize.  dv-prepare is a thin command line around it;
 * the unit tests call it directly to check its exact error messages.
 *
 * The task is recognised from the header line:
 *   rental  borough,room_type,latitude,longitude,minimum_nights,
 *           number_of_reviews,availability_365,price
 *   topics  label,text
 *
 * Rental features (d = 19 + geo_grid^2), in this order:
 *   4 borough dummies (Brooklyn, Queens, Bronx, Staten Island; Manhattan is
 *   the reference), 2 room-type dummies (Private room, Shared room; Entire
 *   home/apt is the reference), 8 borough x room-type products, latitude,
 *   longitude, log1p(minimum_nights), log1p(number_of_reviews),
 *   availability_365, and geo_grid^2 Gaussian bumps on a grid over the city
 *   (price depends on location non-linearly; a linear model needs these).
 *   Dropping each category's reference level keeps the design matrix full
 *   rank, so ridge with lambda = 0 is still solvable.  Target: price.
 * Topics features (d = hash_dims): log1p of the count of words hashed to
 *   each bucket (FNV-1a of the lower-cased word).  Target: the label, as an
 *   index into the alphabetically sorted label names.
 *
 * Cleaning: a row with an empty field is dropped (missing value); a rental
 * row with a number outside its valid range (tasks.h) is dropped; price and
 * minimum_nights are clipped to clip_price / clip_nights.  Anything else
 * that is wrong - a non-numeric or non-finite number, an unknown category,
 * a wrong field count, an empty file - is an error: the file is broken and
 * guessing would hide it.
 */
#ifndef DV_ML_PREPARE_H
#define DV_ML_PREPARE_H

#include <stddef.h>

#include "matfile.h"
#include "params.h"

typedef enum { ML_TASK_RENTAL = 1, ML_TASK_TOPICS = 2 } ml_task;

typedef struct {
	ml_task task;
	size_t rows_read;        /* data rows in the file */
	size_t dropped_missing;  /* rows with an empty field */
	size_t dropped_range;    /* rows with a value out of range */
	size_t clipped;          /* values clipped (price, minimum_nights) */
} ml_prepare_report;

/* Reads, validates and cleans `csv_path` into an encoded but not yet
 * standardized data set. */
int ml_prepare_load(ml_dataset *out, ml_prepare_report *report,
		    const char *csv_path, const ml_prepare_params *p);

/* Shuffles the rows with p->seed, takes the first n - round(n *
 * test_fraction) of the shuffled order as the training set, and
 * standardizes every column of every row with the training rows' mean and
 * standard deviation (so nothing about the test set leaks into training).
 * *order (n entries, caller frees) lists training rows, then test rows. */
int ml_prepare_split(size_t **order, size_t *n_train, ml_dataset *ds,
		     const ml_prepare_params *p);

#endif
