/*
 * params.h - hyperparameters of the ML stages, read from an INI file
 * (`params.ini` by default) with inih.
 *
 * Each program reads only its own section, so a pipeline that changes a
 * [train] key does not make dv think the prepare stage changed.  Inside our
 * sections the reader is strict - an unknown key, a duplicate, a bad value
 * or a missing required key is an error naming the file (and line) - since a
 * typo'd hyperparameter that silently falls back to a default produces a
 * plausible, wrong model.  Other sections are ignored: they belong to other
 * stages.
 *
 *   [prepare]
 *   test_fraction = 0.2   required, in (0, 1)
 *   seed = 42             required, shuffle seed
 *   clip_price = 500      rental: prices above are clipped to this
 *   clip_nights = 365     rental: minimum_nights above are clipped
 *   geo_grid = 6          rental: geo_grid^2 location features (0 = none)
 *   hash_dims = 64        topics: hashed bag-of-words dimensions
 *
 *   [train]
 *   model = ridge|logreg  required
 *   lambda = 0.1          ridge: required, L2 penalty (>= 0)
 *   lr = 0.5              logreg: required, learning rate
 *   epochs = 10           logreg: required
 *   batch = 256           logreg: mini-batch rows
 *   l2 = 1e-4             logreg: L2 penalty on the weights
 *   lr_decay = 0          logreg: lr / (1 + lr_decay * epoch)
 *   seed = 1              logreg: mini-batch order
 */
#ifndef DV_ML_PARAMS_H
#define DV_ML_PARAMS_H

#include <stdint.h>

typedef struct {
	double test_fraction;
	uint64_t seed;
	double clip_price;
	double clip_nights;
	long geo_grid;
	long hash_dims;
} ml_prepare_params;

typedef enum {
	ML_MODEL_RIDGE = 1,
	ML_MODEL_LOGREG = 2,
} ml_model_kind;

typedef struct {
	ml_model_kind model;
	double lambda;
	double lr;
	double lr_decay;
	long epochs;
	long batch;
	double l2;
	uint64_t seed;
} ml_train_params;

int ml_params_load_prepare(ml_prepare_params *out, const char *path);
int ml_params_load_train(ml_train_params *out, const char *path);

#endif
