#!/bin/sh
# The pre-commit hook refuses only what would put a lie in history (data
# changed but not recorded, a .stage with conflict markers or that does not
# parse, a .stage naming an object the local cache lacks) and only warns
# when pipeline stages are stale, so "commit the code, train overnight"
# needs no --no-verify; hooks.strict = true refuses stale stages too.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'setup: hooks installed, a pipeline run and committed' '
	cd repo &&
	dv install -q &&
	echo "int main(void) { return 0; }" >train.c && git add train.c &&
	echo raw >raw.txt && dv add -q raw.txt &&
	dv stage add -q -n train -d train.c -d raw.txt -o model.bin "cat train.c raw.txt >model.bin" &&
	dv repro -q && git add -A && git commit -q -m pipeline &&
	test "$(git log -1 --format=%s)" = pipeline
'

test_case 'a code change making a stage stale is committed, with a warning naming dv repro' '
	cd repo &&
	echo "/* faster */" >>train.c && git add train.c &&
	git commit -q -m "faster code" 2>err &&
	cat err &&
	test "$(git log -1 --format=%s)" = "faster code" &&
	assert_contains err "warning" &&
	assert_contains err "train.stage" &&
	assert_contains err "dv repro"
'

test_case 'hooks.strict = true refuses the stale stage' '
	cd repo &&
	dv config hooks.strict true && git add .dv/config &&
	expect_code 1 git commit -q -m strict 2>err &&
	cat err &&
	assert_contains err "refused" &&
	assert_contains err "dv repro train" &&
	test "$(git log -1 --format=%s)" = "faster code" &&
	dv config hooks.strict false && git add .dv/config && git commit -q -m relaxed
'

test_case 'an out changed by hand (not recorded) is refused' '
	cd repo &&
	dv repro -q && git add -A && git commit -q -m rerun &&
	dv unprotect model.bin && echo tampered >model.bin &&
	git commit -q --allow-empty -m lie 2>err && exit 1
	assert_contains err "model.bin" &&
	assert_contains err "refused" &&
	dv checkout -q -f model.bin && git commit -q --allow-empty -m clean
'

test_case 'a .stage with conflict markers is refused, naming it and the way out' '
	cd repo &&
	cp raw.txt.stage saved.stage &&
	{ echo "<<<<<<< HEAD"; cat saved.stage; echo "======="; cat saved.stage; echo ">>>>>>> other"; } >raw.txt.stage &&
	git add raw.txt.stage &&
	expect_code 1 git commit -q -m conflicted 2>err &&
	cat err &&
	assert_contains err "raw.txt.stage" &&
	assert_contains err "git checkout --ours" &&
	cp saved.stage raw.txt.stage && rm saved.stage && git add raw.txt.stage
'

test_case 'an unparsable .stage is refused' '
	cd repo &&
	echo "garbage line" >>raw.txt.stage && git add raw.txt.stage &&
	expect_code 1 git commit -q -m garbage 2>err &&
	assert_contains err "raw.txt.stage" &&
	git checkout -q HEAD -- raw.txt.stage
'

test_case 'a .stage naming an object missing from the local cache is refused' '
	cd repo &&
	h=$(sed -n "s/^hash = xxh128://p" raw.txt.stage) &&
	p=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	mv $p "$TRASH/saved.obj" &&
	expect_code 1 git commit -q --allow-empty -m missing 2>err &&
	cat err &&
	assert_contains err "raw.txt" &&
	assert_contains err "cache" &&
	mv "$TRASH/saved.obj" $p &&
	git commit -q --allow-empty -m ok
'

test_done
