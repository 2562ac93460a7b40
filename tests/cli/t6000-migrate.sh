#!/bin/sh
# dv migrate: a DVC 3.x repository (built in the layout DVC writes, by
# lib/make-dvc-repo.py: files, a directory, a 3-stage pipeline with
# params.yaml, a metrics file, a foreach stage, remotes) becomes a dv one in
# one commit, after which status is clean and repro runs nothing.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

python3 "$DV_SOURCE_DIR/tests/cli/lib/make-dvc-repo.py" work/repo >/dev/null || exit 1
(cd work/repo && git config user.name t && git config user.email t@t)
cp -a work pristine

test_case 'dv migrate converts everything and commits once' '
	cd work/repo && find .dvc/cache -type f | sort >../cache-before &&
	dv migrate >out 2>err &&
	grep -F "Migrated 13 stages and 2 data files" out &&
	grep -F "dv: warning: remote '"'"'gcs'"'"' (gs://bucket/path): dv has no remote of that kind" err &&
	test "$(git log --format=%s -1)" = "Migrate from DVC (dv migrate)" &&
	test "$(git rev-list --count HEAD)" = 2 &&
	for f in data/raw.csv.stage images.stage prepare.stage train.stage evaluate.stage split.stage \
		split@us.stage split@eu.stage fit@uk.stage fit@us.stage score.stage .dv/config; do
		git ls-files --error-unmatch "$f" >/dev/null || return 1
	done &&
	test -z "$(git status --porcelain -- "*.stage" .dv)"
'

test_case 'after it, status is clean and repro runs nothing' '
	cd work/repo &&
	dv status >st && assert_contains st "Data and pipelines are up to date." &&
	dv repro >rp && ! grep -F Running rp
'

test_case 'stages keep params, metrics, plots, cache:false, foreach and the lock state' '
	cd work/repo &&
	grep -x "key = prepare.split" prepare.stage && grep -x "value = 0.25" prepare.stage &&
	grep -x "cmd = ./src/prepare.sh \${prepare.split}" prepare.stage &&
	grep -x "metric = true" evaluate.stage && grep -x "plot = true" evaluate.stage &&
	grep -x "template = linear" evaluate.stage && grep -x "x = step" evaluate.stage &&
	grep -x "y = acc" evaluate.stage && grep -x "title = Accuracy" evaluate.stage &&
	test "$(grep -c "cache = false" evaluate.stage)" = 2 &&
	grep -x "foreach = us, eu" split.stage &&
	grep -x "model = cnn, xgb" mat.stage && grep -x "n = 1, 2" mat.stage &&
	grep -x "cmd = echo xgb 2 > mat-xgb-2.txt" "mat@xgb-2.stage" &&
	grep -x "cmd = cd sub && cat in.txt in.txt > out.txt" sub.stage && grep -x "path = sub/out.txt" sub.stage &&
	grep -x "path = split-\${item}.csv" split.stage &&
	grep -x "hash = $(xxh128 split-us.csv)" "split@us.stage" &&
	grep -x "hash = $(xxh128 data/raw.csv)" data/raw.csv.stage &&
	grep -x "files = 6" images.stage &&
	dv metrics show >m && grep -E "^metrics.json +acc +0.75$" m
'

test_case 'foreach over a mapping: one stage per key, ${key} and ${item.x} written in' '
	cd work/repo &&
	grep -x "cmd = echo uk 3 > fit-uk.txt" "fit@uk.stage" && grep -x "cmd = echo us 5 > fit-us.txt" "fit@us.stage" &&
	grep -x "path = fit-us.txt" "fit@us.stage" && grep -x "hash = $(xxh128 fit-us.txt)" "fit@us.stage" &&
	dv repro "fit@us" >rp && ! grep -F Running rp && dv repro -f "fit@us" >rp && grep -F "Running stage '"'"'fit@us'"'"'" rp &&
	test "$(cat fit-us.txt)" = "us 5"
'

test_case 'metrics in YAML: show and diff read them' '
	cd work/repo && grep -x "metric = true" score.stage &&
	dv metrics show >m && grep -E "^scores.yaml +auc +0.9$" m && grep -E "^scores.yaml +loss.val +0.25$" m &&
	cp scores.yaml ../scores.keep && printf "auc: 0.95\nloss:\n  val: 0.2\n" >scores.yaml &&
	dv metrics diff >d && grep -E "^scores.yaml +auc +0.9 +0.95 +\+0.05$" d &&
	cp ../scores.keep scores.yaml
'

test_case 'the data is in dv'"'"'s cache: checkout restores it; DVC'"'"'s cache is untouched' '
	cd work/repo && rm -rf model.bin images data/prepared &&
	dv checkout >/dev/null && test -f images/sub/deep.txt && test -f data/prepared/train.csv &&
	head -1 model.bin | grep -x "lr=0.01 epochs=3" &&
	dv status >st && assert_contains st "up to date" &&
	find .dvc/cache -type f | sort >../cache-after && test_cmp ../cache-before ../cache-after &&
	test -f dvc.yaml && test -f dvc.lock && test -f images.dvc
'

test_case 'remotes dv supports are converted, the default kept' '
	cd work/repo &&
	test "$(dv config remote.store.url)" = ../dvc-store &&
	test "$(dv config remote.s3.url)" = s3://bucket/path &&
	test "$(dv config remote.s3.endpoint)" = http://127.0.0.1:9 &&
	test "$(dv config core.remote)" = store &&
	! dv config remote.gcs.url
'

test_case 'a param changed after migrating reruns its stage with the new value' '
	cd work/repo && sed -i "s/lr: 0.01/lr: 0.02/" params.yaml &&
	dv status >st && assert_contains st "params.yaml:train.lr" &&
	dv repro >rp && grep -F "Running stage '"'"'train'"'"'" rp && ! grep -F "Running stage '"'"'prepare'"'"'" rp &&
	head -1 model.bin | grep -x "lr=0.02 epochs=3"
'

test_case 'a file changed since DVC recorded it is reported, not hidden' '
	rm -rf changed && cp -a pristine changed && cd changed/repo &&
	echo extra >>split-eu.csv && echo "{}" >metrics.json &&
	dv migrate --no-commit >out 2>err &&
	grep -F "'"'"'metrics.json'"'"' changed since DVC recorded it" err &&
	test "$(git rev-list --count HEAD)" = 1 && git diff --cached --name-only | grep -x train.stage &&
	dv status >st && grep -A2 "split@eu.stage" st | grep -F "modified out" &&
	grep -A2 "evaluate.stage" st | grep -F "modified out"
'

test_case 'interrupted (an unreadable object), then rerun: it finishes' '
	rm -rf cut && cp -a pristine cut && cd cut/repo &&
	obj=$(find .dvc/cache/files/md5 -type f ! -name "*.dir" | sort | tail -1) &&
	mv "$obj" "$obj.away" && mkdir "$obj" &&
	expect_code 1 dv migrate 2>err && grep -F "cannot read" err &&
	test "$(git rev-list --count HEAD)" = 1 &&
	test -n "$(find .dv/cache/files -type f)" &&
	rmdir "$obj" && mv "$obj.away" "$obj" &&
	dv migrate >out2 && test "$(git rev-list --count HEAD)" = 2 &&
	dv status >st && assert_contains st "up to date" &&
	dv repro >rp && ! grep -F Running rp
'

test_case 'bad input: no DVC repository, malformed dvc.yaml with its line, --from other' '
	new_repo plain && (cd plain && expect_error 1 "is not a DVC repository: there is no .dvc directory" dv migrate) &&
	rm -rf bad && cp -a pristine bad && cd bad/repo &&
	printf "stages:\n  a:\n    cmd: [x\n  b: 1\n" >dvc.yaml &&
	expect_error 1 "cannot read '"'"'dvc.yaml'"'"' line 4" dv migrate &&
	expect_code 2 dv migrate --from git
'

test_done
