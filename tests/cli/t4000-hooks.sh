#!/bin/sh
# dv install / uninstall and the git hooks, driven by the real git command:
# pre-commit refuses a commit that leaves data behind, post-checkout makes
# the data follow the branch, pre-push pushes the data; a hook that was
# there before keeps running, and uninstall restores it exactly.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# The hooks must find dv without PATH: through the path 'dv install' wrote.
if command -v dv >/dev/null 2>&1; then
	PATH=$(printf '%s\n' "$PATH" | tr ':' '\n' | while read -r d; do
		[ -x "$d/dv" ] || printf '%s:' "$d"; done)
	export PATH
fi

new_repo repo

test_case 'install puts three executable hooks in .git/hooks and says so' '
	cd repo &&
	dv install >out &&
	assert_contains out "installed the pre-commit hook" &&
	for h in pre-commit post-checkout pre-push; do
		test -x .git/hooks/$h &&
		assert_contains .git/hooks/$h "# dv-hook: $h" &&
		assert_contains .git/hooks/$h "dv_fallback='"'"'$DV'"'"'"
	done
'

test_case 'install again changes nothing (idempotent)' '
	cd repo &&
	cp .git/hooks/pre-commit pc.before &&
	dv install >out &&
	assert_contains out "installed already" &&
	cmp pc.before .git/hooks/pre-commit &&
	test ! -e .git/hooks/pre-commit.dv-chained &&
	rm pc.before out
'

test_case 'a commit with data changed but its .stage not updated is refused, naming path and fix' '
	cd repo &&
	echo one >data.txt && mkdir d && echo a >d/a &&
	dv add -q data.txt d && git commit -q -m data &&
	dv unprotect data.txt d && echo two >data.txt && echo b >d/b &&
	echo note >notes.md && git add notes.md &&
	expect_code 1 git commit -q -m notes 2>err &&
	cat err &&
	assert_contains err "the commit is refused" &&
	assert_contains err "data.txt (modified): dv add data.txt" &&
	assert_contains err "d/b (added): dv add d" &&
	assert_contains err "git commit --no-verify" &&
	test "$(git log -1 --format=%s)" = data
'

test_case 'after dv add the same commit goes through' '
	cd repo &&
	dv add -q data.txt d &&
	git commit -q -m notes &&
	test "$(git log -1 --format=%s)" = notes &&
	git show --name-only HEAD >files && assert_contains files data.txt.stage
'

test_case 'a deleted data file is refused with the restore or untrack fix' '
	cd repo &&
	rm data.txt &&
	git commit -q --allow-empty -m empty 2>err && exit 1
	assert_contains err "data.txt (deleted): dv checkout data.txt" &&
	assert_contains err "dv remove data.txt.stage" &&
	dv checkout -q && git commit -q --allow-empty -m empty
'

test_case 'a pipeline stage that never ran does not block a commit' '
	cd repo &&
	dv stage add -n later -o later.out "echo x >later.out" &&
	git commit -q -m "define later" &&
	test "$(git log -1 --format=%s)" = "define later"
'

test_case 'git checkout of another branch brings its data (post-checkout)' '
	cd repo &&
	git checkout -q -b other &&
	dv unprotect data.txt && echo other >data.txt && dv add -q data.txt &&
	git commit -q -m other &&
	git checkout -q main 2>err &&
	test "$(cat data.txt)" = two &&
	git checkout -q other &&
	test "$(cat data.txt)" = other &&
	git checkout -q main && test "$(cat data.txt)" = two
'

test_case 'a file checkout (git checkout REV -- PATH) leaves the data alone' '
	cd repo &&
	git checkout -q other -- data.txt.stage &&
	test "$(cat data.txt)" = two &&
	dv status >st && assert_contains st "modified" &&
	git checkout -q HEAD -- data.txt.stage && dv status --exit-code data.txt.stage
'

test_case 'post-checkout names the fix when the branch data is not in the cache' '
	cd repo &&
	git checkout -q other && git checkout -q main &&
	obj=$(grep hash data.txt.stage | sed "s/.*xxh128://") &&
	dir=.dv/cache/files/xxh128/$(echo $obj | cut -c1-2) &&
	other_obj=$(git show other:data.txt.stage | grep hash | sed "s/.*xxh128://") &&
	odir=.dv/cache/files/xxh128/$(echo $other_obj | cut -c1-2) &&
	mv $odir/$(echo $other_obj | cut -c3-) saved.obj &&
	expect_code 1 git checkout -q other 2>err &&
	cat err &&
	assert_contains err "dv pull" &&
	mv saved.obj $odir/$(echo $other_obj | cut -c3-) &&
	dv checkout -q && test "$(cat data.txt)" = other &&
	git checkout -q main
'

test_case 'the dv on PATH is the one the hooks run' '
	cd repo &&
	mkdir -p "$TRASH/bin" &&
	printf "#!/bin/sh\necho \"\$*\" >>\"$TRASH/dv-calls\"\nexec \"$DV\" \"\$@\"\n" >"$TRASH/bin/dv" &&
	chmod +x "$TRASH/bin/dv" &&
	PATH="$TRASH/bin:$PATH" git checkout -q other &&
	assert_contains "$TRASH/dv-calls" checkout &&
	PATH="$TRASH/bin:$PATH" git checkout -q main
'

test_case 'a rebase does not run dv checkout (post-checkout skips it)' '
	cd repo &&
	git checkout -q -b rebased main && git commit -q --allow-empty -m on-main-side &&
	git checkout -q other && git commit -q --allow-empty -m on-other-side &&
	: >"$TRASH/dv-calls" &&
	PATH="$TRASH/bin:$PATH" git rebase -q rebased &&
	test -d .git/rebase-merge && exit 1
	assert_not_contains "$TRASH/dv-calls" checkout &&
	git checkout -q main && git branch -q -D rebased
'

test_case 'git push pushes the data to the default dv remote (pre-push)' '
	git init -q --bare origin.git &&
	cd repo &&
	git remote add origin ../origin.git &&
	dv remote add -d store ../store &&
	git add .dv/config && git commit -q -m remote &&
	git push -q origin main 2>err &&
	cat err &&
	obj=$(grep hash data.txt.stage | sed "s/.*xxh128://") &&
	test -f ../store/files/xxh128/$(echo $obj | cut -c1-2)/$(echo $obj | cut -c3-) &&
	git --git-dir=../origin.git rev-parse main >pushed && test "$(cat pushed)" = "$(git rev-parse main)"
'

test_case 'a clone of what was pushed pulls its data' '
	git clone -q origin.git clone &&
	cd clone && dv pull -q && test "$(cat data.txt)" = two && test "$(cat d/b)" = b
'

test_case 'when dv push fails the git push is refused' '
	cd repo &&
	dv unprotect data.txt && echo three >data.txt && dv add -q data.txt &&
	git commit -q -m three &&
	obj=$(grep hash data.txt.stage | sed "s/.*xxh128://") &&
	chmod -R u+w .dv/cache &&
	rm .dv/cache/files/xxh128/$(echo $obj | cut -c1-2)/$(echo $obj | cut -c3-) &&
	expect_code 1 git push -q origin main 2>err &&
	cat err &&
	assert_contains err "git push --no-verify" &&
	test "$(git --git-dir=../origin.git rev-parse main)" != "$(git rev-parse main)" &&
	dv add -q data.txt && git push -q origin main
'

test_case 'without a default dv remote the git push goes on, with a note' '
	cd repo &&
	dv remote default --unset 2>/dev/null || dv config --unset core.remote &&
	git commit -q --allow-empty -m "no remote" &&
	git push -q origin main 2>err &&
	assert_contains err "no default dv remote" &&
	test "$(git --git-dir=../origin.git rev-parse main)" = "$(git rev-parse main)"
'

test_case 'uninstall removes the hooks' '
	cd repo &&
	dv uninstall >out &&
	assert_contains out "removed the pre-commit hook" &&
	test ! -e .git/hooks/pre-commit && test ! -e .git/hooks/post-checkout &&
	test ! -e .git/hooks/pre-push
'

new_repo user
test_case 'an existing hook is chained: it still runs, and its refusal stops the commit' '
	cd user &&
	printf "#!/bin/sh\necho user-hook-ran >>\"%s/user-hook.log\"\ntest ! -e block\n" "$TRASH" >.git/hooks/pre-commit &&
	chmod 755 .git/hooks/pre-commit && cp .git/hooks/pre-commit ../pre-commit.orig &&
	dv install >out &&
	assert_contains out "kept as .git/hooks/pre-commit.dv-chained" &&
	cmp ../pre-commit.orig .git/hooks/pre-commit.dv-chained &&
	git commit -q --allow-empty -m one &&
	test "$(cat "$TRASH/user-hook.log")" = user-hook-ran &&
	touch block &&
	expect_code 1 git commit -q --allow-empty -m two &&
	rm block && test "$(git log -1 --format=%s)" = one
'

test_case 'install again keeps the chain as it is' '
	cd user &&
	dv install >out && assert_contains out "installed already" &&
	cmp ../pre-commit.orig .git/hooks/pre-commit.dv-chained
'

test_case 'a second foreign hook where the chained one sits is refused, nothing changed' '
	cd user &&
	cp .git/hooks/pre-commit ours &&
	echo "#!/bin/sh" >.git/hooks/pre-commit &&
	expect_error 1 "pre-commit.dv-chained" dv install &&
	test "$(cat .git/hooks/pre-commit)" = "#!/bin/sh" &&
	cp ours .git/hooks/pre-commit && rm ours
'

test_case 'uninstall restores the user hook exactly (bytes and mode)' '
	cd user &&
	dv uninstall >out &&
	assert_contains out "put back" &&
	cmp ../pre-commit.orig .git/hooks/pre-commit &&
	test -x .git/hooks/pre-commit &&
	test ! -e .git/hooks/pre-commit.dv-chained && test ! -e .git/hooks/pre-push &&
	dv uninstall && cmp ../pre-commit.orig .git/hooks/pre-commit
'

test_case 'core.hooksPath is respected (relative to the work tree)' '
	cd user &&
	git config core.hooksPath githooks &&
	mkdir sub && cd sub && dv install >/dev/null && cd .. &&
	test -x githooks/pre-commit && test -x githooks/pre-push &&
	test ! -e .git/hooks/pre-push &&
	echo x >x.bin && dv add -q x.bin && git commit -q -m x &&
	echo y >x.bin &&
	expect_code 1 git commit -q --allow-empty -m y &&
	dv uninstall >/dev/null && test ! -e githooks/pre-commit &&
	git config --unset core.hooksPath
'

test_done
